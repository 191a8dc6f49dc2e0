import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.pipeline import publish

from .conftest import SMALL

SAMPLE_TEAM = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"


def git(*args, cwd=None):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def wiki_remote(tmp_path):
    """A real bare git repository holding a wiki with one page of a user's own."""
    remote = tmp_path / "wiki.git"
    git("init", "--quiet", "--bare", str(remote))
    seed = tmp_path / "seed"
    git("clone", "--quiet", str(remote), str(seed))
    (seed / "Our-Team-Rules.md").write_text("# Written by a person\n")
    git("add", ".", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "seed", cwd=seed)
    git("push", "--quiet", "origin", "HEAD", cwd=seed)
    return remote


def clone(remote, where):
    git("clone", "--quiet", str(remote), str(where))
    return where


def test_mkdocs_target_builds_strict(tmp_path):
    out = tmp_path / "mk"
    assert main(["-q", "publish", "--target", "mkdocs", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    config = yaml.safe_load((out / "mkdocs.yml").read_text())
    syllabi = config["nav"][1]["Syllabi"]
    assert len(syllabi) == 5 and all(len(list(role.values())[0]) == 3 for role in syllabi)
    assert config["nav"][2]["Teams"][0]["Payments Risk"][0] == "teams/payments-risk/index.md"
    assert (out / "docs" / "teams" / "payments-risk" / "ana-ruiz.md").is_file()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=out,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert (out / "site" / "ml-engineer-small.html").is_file()


def test_git_wiki_layout(tmp_path):
    out = tmp_path / "wiki"
    assert main(["-q", "publish", "--target", "git-wiki", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"Home.md", "_Sidebar.md", "ml-engineer-small.md", "team-payments-risk.md",
            "team-payments-risk-ana-ruiz.md"} <= names
    home = (out / "Home.md").read_text()
    assert "](ml-engineer-small)" in home and ".md)" not in home  # wiki links name pages, no extension
    overview = (out / "team-payments-risk.md").read_text()
    assert "](team-payments-risk-ana-ruiz)" in overview and "team.ics" not in overview
    sidebar = (out / "_Sidebar.md").read_text()
    assert "- [ML engineer, small company](ml-engineer-small)" in sidebar
    assert "- [Payments Risk](team-payments-risk)" in sidebar


def test_push_to_a_real_git_wiki_keeps_other_pages(tmp_path, wiki_remote, catalog_dir):
    assert main(["-q", "publish", "--target", "git-wiki", "-o", str(tmp_path / "a"), "--push", str(wiki_remote),
                 "--message", "Syllabi for Q1"]) == 0
    first = clone(wiki_remote, tmp_path / "check1")
    assert (first / "Our-Team-Rules.md").read_text() == "# Written by a person\n"
    assert (first / "ml-engineer-small.md").is_file() and (first / "Home.md").is_file()
    assert git("log", "-1", "--format=%s", cwd=first).strip() == "Syllabi for Q1"

    # A smaller catalog: its pages replace ours, pages we no longer generate go, the user's page stays.
    small = catalog_dir(SMALL, name="small")
    assert main(["-q", "publish", "--target", "git-wiki", "--modules", str(small), "-o", str(tmp_path / "b"),
                 "--push", str(wiki_remote)]) == 0
    second = clone(wiki_remote, tmp_path / "check2")
    names = {p.name for p in second.iterdir()}
    assert "Our-Team-Rules.md" in names
    assert "engineering-manager-small.md" in names  # SMALL's framing targets all roles
    assert "data-engineer-small.md" in names
    generated = json.loads((second / ".curriculum-manifest.json").read_text())["generated"]
    assert set(generated) == {n for n in names if n.endswith(".md")} - {"Our-Team-Rules.md"}


def test_push_refuses_to_overwrite_a_page_it_did_not_write(tmp_path, wiki_remote):
    seed = clone(wiki_remote, tmp_path / "seed2")
    (seed / "Home.md").write_text("# The team's own home page\n")
    git("add", ".", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "home", cwd=seed)
    git("push", "--quiet", "origin", "HEAD", cwd=seed)
    with pytest.raises(CurriculumError, match="already has a page 'Home.md' that curriculum did not write"):
        publish("git-wiki", out_dir=tmp_path / "out", push=str(wiki_remote))
    check = clone(wiki_remote, tmp_path / "check")
    assert (check / "Home.md").read_text() == "# The team's own home page\n"


def test_unreachable_wiki_is_a_clear_error(tmp_path, capsys):
    assert main(["publish", "--target", "git-wiki", "-o", str(tmp_path / "o"),
                 "--push", str(tmp_path / "no-such-wiki.git")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("curriculum: error: git clone:") and "Traceback" not in err


def test_push_needs_a_git_wiki(tmp_path, capsys):
    assert main(["publish", "--target", "mkdocs", "--push", "x", "-o", str(tmp_path / "o")]) == 1
    assert "--push works with --target git-wiki or dokuwiki" in capsys.readouterr().err


def test_git_errors_never_show_credentials(tmp_path):
    with pytest.raises(CurriculumError) as info:
        publish("git-wiki", out_dir=tmp_path / "o", push="https://bot:s3cret-token@127.0.0.1:1/wiki.git")
    assert "s3cret" not in str(info.value) and "git clone" in str(info.value)


CONFLUENCE_ROOT = ('<root xmlns:ac="http://atlassian.com/content" '
                   'xmlns:ri="http://atlassian.com/resource/identifier">{}</root>')


def test_confluence_pages_are_storage_format_with_a_page_tree(tmp_path):
    import xml.etree.ElementTree as ET

    out = tmp_path / "cf"
    assert main(["-q", "publish", "--target", "confluence", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    titles = {page["title"] for page in manifest["pages"]}
    assert len(titles) == len(manifest["pages"]) == 1 + 15 + 1 + 12  # unique titles, as Confluence requires
    for page in manifest["pages"]:
        assert page["parent"] is None or page["parent"] in titles
        ET.fromstring(CONFLUENCE_ROOT.format((out / page["file"]).read_text()))  # well-formed XML
    syllabus = (out / "pages" / "ml-engineer-small.xml").read_text()
    assert '<ac:structured-macro ac:name="info">' in syllabus  # why this path
    index = (out / "pages" / "index.xml").read_text()
    assert '<ri:page ri:content-title="ML engineer at a small company"/>' in index


def test_storage_format_code_blocks_and_hostile_text():
    import xml.etree.ElementTree as ET

    from curriculum.publish.confluence import storage_format

    text = "Run:\n\n```python\nif a < b and c > d: print(']]>')\n```\n\n<script>alert(1)</script> <br> &nbsp; x"
    storage = str(storage_format(text))
    root = ET.fromstring(CONFLUENCE_ROOT.format(storage))
    macro = root.find("{http://atlassian.com/content}structured-macro")
    assert macro.get("{http://atlassian.com/content}name") == "code"
    assert "if a < b and c > d: print(']]>')" in "".join(macro.itertext())
    assert "<script" not in storage and "alert" not in storage  # the sanitiser drops scripts whole


def links_in(page: Path) -> list[str]:
    from html.parser import HTMLParser

    found = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("href", "src") and value and not value.startswith(("http:", "https:", "#", "mailto:")):
                    found.append(value.split("#")[0])

    Links().feed(page.read_text(encoding="utf-8"))
    return found


def test_site_has_every_page_and_no_broken_link(tmp_path):
    out = tmp_path / "site"
    assert main(["-q", "publish", "--target", "site", "--team", str(SAMPLE_TEAM), "-o", str(out)]) == 0
    assert (out / "index.html").is_file() and (out / "ml-engineer-small.html").is_file()
    assert (out / "teams" / "payments-risk" / "index.html").is_file()
    assert (out / "teams" / "payments-risk" / "grace-liu.html").is_file()
    module_pages = {p.stem for p in (out / "modules").glob("*.html")} - {"index"}
    assert "sklearn-baselines" in module_pages and len(module_pages) >= 60
    pages = list(out.rglob("*.html"))
    for page in pages:
        for link in links_in(page):
            assert (page.parent / link).resolve().is_file(), f"{page.relative_to(out)} links to missing {link}"
    module = (out / "modules" / "gradient-boosting.html").read_text()
    assert 'href="sklearn-baselines.html"' in module  # builds on
    assert 'href="../ml-engineer-small.html"' in module  # in these paths


def test_site_search_works_in_a_browser_from_the_file_system(tmp_path):
    from .test_xss import CHROMIUM, _browser

    sync_playwright = _browser()
    out = tmp_path / "site"
    assert main(["-q", "publish", "--target", "site", "-o", str(out)]) == 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto((out / "index.html").as_uri())
            page.fill("#search", "drift monitoring")
            results = page.locator("#search-results a")
            assert results.count() >= 1
            titles = results.all_text_contents()
            assert any("Monitoring" in title or "monitoring" in title for title in titles)
            results.first.click()
            page.wait_for_load_state()
            assert page.url.startswith((out / "modules").as_uri()) and page.title() in titles
        finally:
            browser.close()


def test_cli_lists_the_same_targets_as_the_registry():
    from curriculum.cli import PUBLISH_TARGETS
    from curriculum.publish import TARGETS

    assert PUBLISH_TARGETS == tuple(TARGETS)
