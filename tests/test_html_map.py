"""The HTML prerequisite map: only the arrows a reader needs, in lanes by
stage; one drawing per distinct set of modules; and for a large path, pan,
zoom, a focus view and a stages x levels overview, checked in headless
Chromium on the Metacademy ML researcher's path (tests/map_check.mjs; the
browser and playwright-core are found and skipped as in
tests/test_html_quality.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import networkx as nx
import pytest

from curriculum import diagrams
from curriculum.cli import main
from curriculum.diagrams import INTERACTIVE_MODULES, NODE_HEIGHT, OVERVIEW_MODULES, prerequisite_graph
from curriculum.model import LEVELS, STAGES, Profile
from curriculum.plan import plan_path
from curriculum.render import make_environment, render_plan

from .conftest import SMALL
from .test_html_quality import (
    AXE_SCRIPT, CHECKERS, CHROMIUM, MODULES, node_tool, read_png, require_tools, run, system_tool,
)

MAP_SCRIPT = Path(__file__).parent / "map_check.mjs"
FIGURE = re.compile(r'<figure class="diagram[^"]*" id="path-map">.*?</figure>', re.S)


def catalog(count: int) -> dict[str, dict]:
    """`count` modules over every stage, a few without one, each level, each
    needing a few earlier ones (some of them redundantly)."""
    stages = [*STAGES, None]
    modules = {}
    for index in range(count):
        earlier = {index - 1 - index % 5, index - 3, index - 11} if index % 7 else {index - 2, index - 4}
        fields = {"level": LEVELS[index * 3 // count], "roles": ["all"], "hours": 1,
                  "prerequisites": [f"m{i}" for i in sorted(earlier) if i >= 0]}
        if stages[index % len(stages)]:
            fields["stage"] = stages[index % len(stages)]
        modules[f"m{index}"] = fields
    return modules


def plan_of(loaded, modules):
    result = loaded(modules)
    return plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))


@pytest.fixture
def large(loaded):
    return plan_of(loaded, catalog(OVERVIEW_MODULES + 10))


def test_the_map_draws_exactly_the_transitive_reduction(large):
    graph = prerequisite_graph(large)
    full = nx.DiGraph((p, s.module.id) for s in large.steps for p in s.module.prerequisites)
    reduced = sorted(nx.transitive_reduction(full).edges)
    assert len(reduced) < full.number_of_edges()  # the catalog has redundant prerequisites
    assert list(graph.links) == reduced
    assert sorted((edge.source, edge.target) for edge in graph.edges) == reduced
    assert sorted((p, node.id) for node in graph.nodes for p in node.needs) == reduced
    figure = FIGURE.search(render_plan(make_environment(), large, ["html"])["ml-engineer-small.html"]).group()
    assert figure.count("<path ") == len(reduced)


def test_lanes_follow_the_lifecycle_stages(large):
    graph = prerequisite_graph(large)
    assert [lane.stage for lane in graph.lanes] == [*STAGES, None]
    assert graph.lanes[-1].name == "no stage"
    for above, below in zip(graph.lanes, graph.lanes[1:]):
        assert above.y + above.height < below.y
    lane = {lane.stage: lane for lane in graph.lanes}
    place = {}
    for node in graph.nodes:
        band = lane[node.stage]
        assert band.y < node.y and node.y + NODE_HEIGHT <= band.y + band.height
        assert (node.x, node.y) not in place, "two modules in one place"
        place[(node.x, node.y)] = node.id
    where = {node.id: node for node in graph.nodes}
    for prerequisite, module in graph.links:
        assert where[prerequisite].x < where[module].x  # columns by prerequisite depth


def test_a_path_with_one_lane_draws_no_lane_names(loaded):
    unstaged = {module_id: {k: v for k, v in fields.items() if k != "stage"} for module_id, fields in SMALL.items()}
    graph = prerequisite_graph(plan_of(loaded, unstaged))
    assert graph.lanes == () and not graph.interactive and graph.overview == ()


def test_modules_sit_near_what_they_link_to(loaded):
    # By id, "a-needs-z" would sit beside "a" and "b-needs-a" beside "z": crossed arrows.
    graph = prerequisite_graph(plan_of(loaded, {
        "a": {"roles": ["all"]}, "z": {"roles": ["all"]},
        "a-needs-z": {"prerequisites": ["z"], "roles": ["all"]},
        "b-needs-a": {"prerequisites": ["a"], "roles": ["all"]},
    }))
    y = {node.id: node.y for node in graph.nodes}
    assert (y["a"] < y["z"]) == (y["b-needs-a"] < y["a-needs-z"])


def test_the_same_modules_in_another_order_draw_the_same_map_once(large, monkeypatch):
    reordered = dataclasses.replace(large, steps=large.steps[::-1])
    calls = []
    real = diagrams.prerequisite_graph
    monkeypatch.setattr(diagrams, "prerequisite_graph", lambda plan: calls.append(plan) or real(plan))
    env = make_environment()
    pages = [render_plan(env, plan, ["html", "md"]) for plan in (large, reordered, large)]
    maps = [FIGURE.search(page["ml-engineer-small.html"]).group() for page in pages]
    assert maps[0] == maps[1] == maps[2]
    assert len(calls) == 1
    # The Markdown map numbers modules in path order, so it follows the order.
    markdown = [page["ml-engineer-small.md"] for page in pages]
    assert markdown[0] == markdown[2] != markdown[1]
    assert real(large) == real(reordered)


def test_a_small_map_is_a_plain_picture(loaded):
    page = render_plan(make_environment(), plan_of(loaded, SMALL), ["html"])["ml-engineer-small.html"]
    figure = FIGURE.search(page).group()
    assert "<script" not in page
    assert "map-tools" not in figure and 'class="map-overview"' not in page
    assert '<a class="node" href="#first-slice">' in figure and "data-needs" not in figure


def test_a_large_map_gets_controls_a_focus_view_and_an_overview(large):
    graph = prerequisite_graph(large)
    assert len(large.steps) >= OVERVIEW_MODULES >= INTERACTIVE_MODULES and graph.interactive
    stages = [row.stage for row in graph.overview]
    assert stages == [*STAGES, None]
    counts = {(row.stage, level): count for row in graph.overview for level, count in zip(LEVELS, row.counts)}
    for (stage, level), count in counts.items():
        assert count == sum(s.module.stage == stage and s.module.level == level for s in large.steps)
    page = render_plan(make_environment(), large, ["html"])["ml-engineer-small.html"]
    assert page.count("<script>") == 1 and "src=" not in page[page.index("<script>"):]
    # Without JavaScript the controls stay hidden and each module is a link to its section.
    assert '<div class="map-tools" hidden>' in page
    assert all(f'href="#{s.module.id}" data-needs=' in page for s in large.steps)
    assert f'<a href="#path-map" data-stage="data" data-level="foundation">{counts[("data", "foundation")]}</a>' in page


def test_a_small_map_fits_each_label_in_its_box():
    assert diagrams._fit_label("Python for data work") == "Python for data work"
    label = diagrams._fit_label("Bayesian parameter estimation: multivariate Gaussians")
    assert label.endswith("\u2026") and "Bayesian parameter estimation".startswith(label[:-1])


@pytest.fixture(scope="module")
def metacademy_page(third_party, tmp_path_factory) -> Path:
    """The Metacademy ML researcher's syllabus: a 391-module path."""
    out = tmp_path_factory.mktemp("metacademy-map")
    assert main(["-q", "path", "--role", "ml-researcher", "--size", "small", "--format", "html",
                 "--modules", str(third_party / "metacademy_content" / "modules"), "-o", str(out)]) == 0
    return out / "ml-researcher-small.html"


def require_browser():
    require_tools(system_tool("node"), node_tool("playwright-core", "package.json"),
                  (f"Chromium ({CHROMIUM})", os.access(CHROMIUM, os.X_OK)))


@pytest.fixture(scope="module")
def metacademy_map(metacademy_page) -> dict:
    """What map_check.mjs saw driving the map in Chromium; its screenshots
    are beside the page."""
    require_browser()
    result = run(["node", MAP_SCRIPT, "--checkers", CHECKERS, "--chromium", CHROMIUM,
                  "--page", metacademy_page, "--shots", metacademy_page.parent], cwd=metacademy_page.parent)
    assert result.returncode == 0, f"{MAP_SCRIPT.name} failed:\n{result.stderr}"
    return json.loads(result.stdout)


def test_the_large_map_passes_the_nu_checker_and_axe(metacademy_page):
    """The map section alone, in the syllabus's page (the rest of the page
    carries the catalog's own text and links)."""
    vnu = MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
    require_tools(system_tool("java"), ("vnu-jar (npm, " + str(vnu) + ")", vnu.is_file()),
                  node_tool("axe-core", "axe.min.js"))
    require_browser()
    page = metacademy_page.read_text(encoding="utf-8")
    # A long syllabus's headings carry ids for its contents list.
    section = page[page.rindex("<h2", 0, page.index(">Map of the path</h2>")):
                   page.rindex("<h2", 0, page.index(">Timeline</h2>"))]
    assert 'class="map-overview"' in section and "<script>" in section
    folder = metacademy_page.parent
    head = page[:page.index("<main>") + len("<main>")]
    (folder / "map.html").write_text(f"{head}<h1>Map</h1>\n{section}</main>\n</body>\n</html>\n", encoding="utf-8")
    result = run(["java", "-jar", vnu, "--errors-only", "--format", "gnu", "map.html"], cwd=folder)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
    result = run(["node", AXE_SCRIPT, "--checkers", CHECKERS, "--chromium", CHROMIUM, "map.html"], cwd=folder)
    assert result.returncode == 0, result.stderr
    violations = json.loads(result.stdout)["pages"]["map.html"]
    assert violations == [], [(v["id"], v["help"], v["nodes"][:3]) for v in violations]


def test_the_metacademy_map_is_legible_at_its_default_zoom(metacademy_map):
    seen = metacademy_map
    assert seen["errors"] == []
    assert seen["tools"] and not seen["default"]["focusView"]
    assert seen["label"] is not None, "no module label in view"
    assert seen["label"]["height"] >= 11, seen["label"]
    assert seen["overflowing"] == []
    width, height, pixels = read_png(open(seen["shot"], "rb").read())
    assert (width, height) == (1280, 800)
    assert len(set(pixels)) > 50, "the screenshot shows no drawing"


def test_the_focus_view_is_reachable_by_keyboard(metacademy_map):
    seen = metacademy_map
    node = seen["afterTab"]["active"]
    assert node["tag"] == "a" and "node" in node["className"], node
    focused = seen["afterEnter"]
    assert focused["focusView"] and focused["current"] == [node["href"]]
    assert 1 < focused["lit"] < 391
    assert focused["fadedOpacity"] < 0.5 <= focused["litOpacity"]
    assert "needs" in focused["status"]
    assert not seen["afterEscape"]["focusView"] and seen["afterEscape"]["current"] == []
    assert seen["afterEscape"]["active"]["href"] == node["href"]  # focus stays on the module


def test_keys_zoom_and_pan_the_map(metacademy_map):
    def box(state):
        return [float(v) for v in state["viewBox"].split()]

    start, bigger, smaller, moved = (box(metacademy_map[k]) for k in ("afterEscape", "afterPlus", "afterMinus",
                                                                      "afterArrow"))
    assert bigger[2] < start[2] and bigger[3] < start[3]  # + shows less of the map, larger
    assert smaller[2] > start[2]
    assert moved[0] > smaller[0] and moved[1:] == smaller[1:]


def test_a_click_selects_a_module_and_an_overview_cell_selects_its_modules(metacademy_map):
    seen = metacademy_map
    assert seen["afterClick"]["focusView"] and len(seen["afterClick"]["current"]) == 1
    assert seen["url"].endswith(".html")  # the click did not leave for the module's section
    assert not seen["afterBack"]["focusView"]
    assert seen["afterCell"]["focusView"] and seen["afterCell"]["lit"] == seen["cellCount"]
