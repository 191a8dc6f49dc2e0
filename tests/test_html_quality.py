"""The generated pages hold to three outside checkers:

- every HTML page passes the W3C Nu HTML Checker (vnu.jar, run with Java)
  with zero errors;
- every HTML page has zero axe-core accessibility violations in headless
  Chromium (tests/axe_check.mjs, driven by playwright-core), and a screenshot
  of a syllabus shows a rendered, non-blank page of the viewport's size;
- every Markdown page passes markdownlint-cli2 with
  generated-pages.markdownlint.jsonc (at the repo root).

The pages are the built-in catalog (`curriculum build --format md html`) and
the example team (`curriculum team examples/payments-risk.yaml`), long
syllabi from real catalogs (tests/conftest.py's `third_party`): Metacademy's
ML researcher (391 modules over 112 weeks) and OSSU's (63 modules over 404
weeks at 10 h/week, from a start date), and the overview of the benchmark's
1,000-person department (its syllabi are the built-in catalog's again, so
they are not checked a thousand times), whose people table is also sorted
and filtered by keyboard in Chromium (tests/team_table_check.mjs).

The checkers are npm packages, looked for in $CURRICULUM_CHECKERS_DIR/node_modules
(default: .checkers/ at the repo root, which git ignores), as is mermaid for
tests/test_mermaid.py. Install them with

    npm install --prefix .checkers --no-save --no-audit --no-fund \
        vnu-jar playwright-core axe-core markdownlint-cli2 mermaid

Java and Node come from the system; Chromium is $CURRICULUM_CHROMIUM
(default /usr/lib/chromium/chromium). A missing tool skips its test, unless
CURRICULUM_REQUIRE_CHECKERS=1 (as in CI), where it fails the test instead.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from curriculum.cli import main

REPO = Path(__file__).resolve().parent.parent
CHECKERS = Path(os.environ.get("CURRICULUM_CHECKERS_DIR") or REPO / ".checkers").resolve()
MODULES = CHECKERS / "node_modules"
REQUIRE = os.environ.get("CURRICULUM_REQUIRE_CHECKERS") == "1"
CHROMIUM = os.environ.get("CURRICULUM_CHROMIUM", "/usr/lib/chromium/chromium")
MARKDOWNLINT_CONFIG = REPO / "generated-pages.markdownlint.jsonc"
AXE_SCRIPT = Path(__file__).parent / "axe_check.mjs"
TABLE_SCRIPT = Path(__file__).parent / "team_table_check.mjs"
TEAM_EXAMPLE = REPO / "examples" / "payments-risk.yaml"
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 800  # as in tests/axe_check.mjs
INSTALL_HINT = (f"install the checkers with `npm install --prefix {CHECKERS} --no-save --no-audit --no-fund "
                "vnu-jar playwright-core axe-core markdownlint-cli2 mermaid`, or point CURRICULUM_CHECKERS_DIR at the "
                "folder holding their node_modules")
TIMEOUT = 600


def require_tools(*tools: tuple[str, bool]) -> None:
    """Each tool is (what, present). Skip, or fail when CI requires the checkers."""
    missing = [what for what, present in tools if not present]
    if missing:
        reason = f"not installed: {', '.join(missing)}; {INSTALL_HINT}"
        if REQUIRE:
            pytest.fail(f"CURRICULUM_REQUIRE_CHECKERS=1 but {reason}")
        pytest.skip(reason)


def node_tool(package: str, relative: str) -> tuple[str, bool]:
    return (f"{package} (npm, {MODULES / package / relative})", (MODULES / package / relative).is_file())


def system_tool(name: str) -> tuple[str, bool]:
    return (f"{name} (on PATH)", shutil.which(name) is not None)


def run(command: list, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The built-in catalog in Markdown and HTML under out/, the example team
    under team/ (and re-planned from its progress under replanned/), and the static site's home, module index, a module page
    and a self-assessment under site/ (copied flat: their links are not followed here)."""
    root = tmp_path_factory.mktemp("quality")
    assert main(["-q", "build", "-o", str(root / "out"), "--format", "md", "html"]) == 0
    assert main(["-q", "team", str(TEAM_EXAMPLE), "-o", str(root / "team")]) == 0
    # The same team re-planned from its example progress: burn-up chart, progress tables, ticks.
    progress = [arg for name in ("payments-risk-progress.csv", "payments-risk-statements.json")
                for arg in ("--progress", str(TEAM_EXAMPLE.parent / name))]
    assert main(["-q", "team", str(TEAM_EXAMPLE), *progress, "--as-of", "2027-03-10",
                 "-o", str(root / "replanned")]) == 0
    # The static site's own pages (its syllabi and team pages are the ones above).
    site = root / "site-build"
    assert main(["-q", "publish", "--target", "site", "-o", str(site)]) == 0
    (root / "site").mkdir()
    # The self-assessment copied flat runs without its scripts: the page as it is without JavaScript
    # (tests/test_assess_web.py checks it with its questions and its result).
    for name in ("index.html", "modules/index.html", "modules/sklearn-baselines.html", "assess/ml-engineer-small.html"):
        text = (site / name).read_text(encoding="utf-8")
        (root / "site" / name.replace("/", "-")).write_text(text, encoding="utf-8")
    return root


def pages(root: Path, suffix: str) -> list[str]:
    """Paths relative to root, so that checker output stays short."""
    found = sorted(str(path.relative_to(root)) for path in root.glob(f"*/*{suffix}"))
    # 15 syllabi + index from the catalog, 12 members + overview from the team, and again re-planned.
    assert {f"out/index{suffix}", f"team/index{suffix}", f"replanned/index{suffix}"} <= set(found)
    assert len(found) >= 42, found
    return found


@pytest.fixture(scope="module")
def long_built(third_party, tmp_path_factory) -> Path:
    """Long syllabi (grouped by month, with contents) in Markdown and HTML:
    Metacademy's ML researcher under metacademy/, OSSU's under ossu/."""
    root = tmp_path_factory.mktemp("long")
    formats = ["--format", "md", "html"]
    assert main(["-q", "path", "--role", "ml-researcher", "--size", "small", *formats, "-o", str(root / "metacademy"),
                 "--modules", str(third_party / "metacademy_content" / "modules")]) == 0
    assert main(["-q", "path", "--role", "software-engineer", "--size", "small", "--hours-per-week", "10",
                 "--start", "2027-01-11", *formats, "-o", str(root / "ossu"),
                 "--modules", str(third_party / "ossu_cs" / "modules")]) == 0
    return root


def long_pages(root: Path, suffix: str) -> list[str]:
    found = sorted(str(path.relative_to(root)) for path in root.glob(f"*/*{suffix}"))
    assert found == [f"metacademy/ml-researcher-small{suffix}", f"ossu/software-engineer-small{suffix}"]
    return found


def assert_nu_passes(root: Path, html: list[str]) -> None:
    vnu = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    require_tools(system_tool("java"), ("vnu-jar (npm, " + str(vnu) + ")", vnu.is_file()))
    result = run(["java", "-jar", vnu, "--errors-only", "--format", "gnu", *html], cwd=root)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not report, f"Nu HTML Checker errors:\n{report}"


def test_html_pages_pass_the_nu_html_checker(built):
    assert_nu_passes(built, pages(built, ".html"))


def test_long_syllabi_pass_the_nu_html_checker(long_built):
    assert_nu_passes(long_built, long_pages(long_built, ".html"))


def run_axe(root: Path, html: list[str], *screenshot: str | Path) -> dict:
    """axe-core's violations per HTML page; with `--screenshot OUT --page PAGE`, a screenshot."""
    require_tools(system_tool("node"), node_tool("playwright-core", "package.json"),
                  node_tool("axe-core", "axe.min.js"), (f"Chromium ({CHROMIUM})", os.access(CHROMIUM, os.X_OK)))
    result = run(["node", AXE_SCRIPT, "--checkers", CHECKERS, "--chromium", CHROMIUM, *screenshot, *html], cwd=root)
    assert result.returncode == 0, f"axe_check.mjs failed:\n{result.stderr}"
    report = json.loads(result.stdout)
    assert sorted(report["pages"]) == html
    return report


@pytest.fixture(scope="module")
def axe_report(built) -> dict:
    """axe-core's violations per HTML page, and a screenshot of one syllabus."""
    return run_axe(built, pages(built, ".html"),
                   "--screenshot", built / "syllabus.png", "--page", "out/ml-engineer-small.html")


def test_html_pages_have_no_accessibility_violations(axe_report):
    assert_no_violations(axe_report)


def test_long_syllabi_have_no_accessibility_violations(long_built):
    assert_no_violations(run_axe(long_built, long_pages(long_built, ".html")))


def assert_no_violations(axe_report: dict) -> None:
    lines = []
    for page, violations in sorted(axe_report["pages"].items()):
        for violation in violations:
            lines.append(f"{page}: {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {' '.join(node['target'])}: {node['html']}")
            if len(violation["nodes"]) > 5:
                lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    assert not lines, "axe-core violations:\n" + "\n".join(lines)


def test_syllabus_screenshot_is_a_rendered_page(axe_report, built):
    shot = built / axe_report["screenshot"]["path"]
    width, height, pixels = read_png(shot.read_bytes())
    assert width >= VIEWPORT_WIDTH and height >= VIEWPORT_HEIGHT, (width, height)
    colours = Counter(pixels)
    background, count = colours.most_common(1)[0]
    assert len(colours) > 1, f"the screenshot is a single colour {background.hex()}"
    # Text, tables and boxes: a real page is far from one colour with a few specks.
    assert count < 0.99 * len(pixels), f"{count / len(pixels):.1%} of the screenshot is {background.hex()}"


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and pixels (bytes each) of an 8-bit, non-interlaced PNG: enough for screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        offset += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour_type in (0, 2, 4, 6), header
    size = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    stride = width * size
    raw = zlib.decompress(b"".join(idat))
    previous = bytearray(stride)
    pixels = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(size, stride):
                line[i] = (line[i] + line[i - size]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - size] if i >= size else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - size] if i >= size else 0
                b, c = previous[i], previous[i - size] if i >= size else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        pixels.extend(bytes(line[i:i + size]) for i in range(0, stride, size))
        previous = line
    return width, height, pixels


def assert_markdownlint_passes(root: Path, markdown: list[str]) -> None:
    cli = MODULES / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    require_tools(system_tool("node"), node_tool("markdownlint-cli2", "markdownlint-cli2-bin.mjs"))
    # A leading ':' makes each a literal path rather than a glob.
    result = run(["node", cli, "--config", MARKDOWNLINT_CONFIG, *(f":{page}" for page in markdown)], cwd=root)
    assert result.returncode == 0, f"markdownlint-cli2 errors:\n{result.stdout}{result.stderr}"
    assert f"Linting: {len(markdown)} file(s)" in result.stdout + result.stderr


def test_markdown_pages_pass_markdownlint(built):
    assert_markdownlint_passes(built, pages(built, ".md"))


def test_long_syllabi_pass_markdownlint(long_built):
    assert_markdownlint_passes(long_built, long_pages(long_built, ".md"))


# --- a 1,000-person department's overview ------------------------------------------


def browser_tools() -> None:
    require_tools(system_tool("node"), node_tool("playwright-core", "package.json"),
                  node_tool("axe-core", "axe.min.js"), (f"Chromium ({CHROMIUM})", os.access(CHROMIUM, os.X_OK)))


def test_department_overview_passes_the_nu_html_checker(department):
    _, folder = department
    vnu = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    require_tools(system_tool("java"), ("vnu-jar (npm, " + str(vnu) + ")", vnu.is_file()))
    result = run(["java", "-jar", vnu, "--errors-only", "--format", "gnu", "index.html"], cwd=folder)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and not report, f"Nu HTML Checker errors:\n{report}"


def test_department_overview_has_no_accessibility_violations(department):
    _, folder = department
    browser_tools()
    result = run(["node", AXE_SCRIPT, "--checkers", CHECKERS, "--chromium", CHROMIUM, "index.html"], cwd=folder)
    assert result.returncode == 0, f"axe_check.mjs failed:\n{result.stderr}"
    violations = json.loads(result.stdout)["pages"]["index.html"]
    assert not violations, "axe-core violations:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: {v['nodes'][0]['html']}" for v in violations)


def test_department_overview_passes_markdownlint(department):
    _, folder = department
    cli = MODULES / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    require_tools(system_tool("node"), node_tool("markdownlint-cli2", "markdownlint-cli2-bin.mjs"))
    result = run(["node", cli, "--config", MARKDOWNLINT_CONFIG, ":index.md"], cwd=folder)
    assert result.returncode == 0, f"markdownlint-cli2 errors:\n{result.stdout}{result.stderr}"


def test_department_people_table_sorts_and_filters_by_keyboard(department):
    """Tab to the filter box and type part of a path's name: only the rows
    holding it stay; clear it, Tab to the Hours heading and press Enter:
    the rows go from fewest hours to most, and Enter again the other way."""
    planned, folder = department
    browser_tools()
    wanted = "Data engineer 2"
    result = run(["node", TABLE_SCRIPT, "--checkers", CHECKERS, "--chromium", CHROMIUM,
                  "--filter", wanted, "--sort", "Hours", "index.html"], cwd=folder)
    assert result.returncode == 0, f"team_table_check.mjs failed:\n{result.stderr}"
    report = json.loads(result.stdout)
    assert not report["errors"]
    people = len(planned.plans)
    assert len(report["loaded"]["rows"]) == people and not any(row["hidden"] for row in report["loaded"]["rows"])

    assert report["tabs_to_filter"] is not None and report["filtered"]["focused"] == "people-filter"
    filtered = report["filtered"]["rows"]
    shown = [row for row in filtered if not row["hidden"]]
    holding = [row for row in filtered if any(wanted.lower() in cell.lower() for cell in row["cells"])]
    assert shown == holding and 0 < len(shown) < people
    assert report["filtered"]["status"].startswith(f"{len(shown)} of {people} shown")
    assert not any(row["hidden"] for row in report["cleared"]["rows"])

    assert report["tabs_to_heading"] is not None and report["sorted"]["focused"] == "Hours"
    column = report["headings"].index("Hours")
    ascending = [float(row["cells"][column]) for row in report["sorted"]["rows"]]
    descending = [float(row["cells"][column]) for row in report["reversed"]["rows"]]
    assert ascending == sorted(ascending) and descending == sorted(descending, reverse=True)
    assert ascending[0] < ascending[-1]
    assert report["sorted"]["sort"][column] == "ascending" and report["reversed"]["sort"][column] == "descending"
    assert sorted(row["cells"][0] for row in report["sorted"]["rows"]) == sorted(m.name for m, _ in planned.plans)
