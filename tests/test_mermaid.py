"""Markdown maps within Mermaid's limits.

Every Mermaid block the tool writes is rendered with the real `mermaid` npm
package (v11, as GitHub and GitLab use it) in headless Chromium
(tests/mermaid_check.mjs), for the built-in catalog and the Metacademy and
OSSU catalogs, and must render without error within Mermaid's default limits:
500 edges and 50,000 characters a block. The checkers are found and skipped
as in tests/test_html_quality.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import networkx as nx
import pytest

from curriculum.cli import main
from curriculum.diagrams import MAP_MAX_EDGES, MAP_MAX_NODES, mermaid_map
from curriculum.model import Profile
from curriculum.plan import plan_path
from curriculum.render import make_environment, render_plan

from .conftest import SMALL
from .test_html_quality import (
    CHECKERS, CHROMIUM, MARKDOWNLINT_CONFIG, MODULES, TIMEOUT, node_tool, require_tools, run, system_tool,
)

MERMAID_MAX_EDGES, MERMAID_MAX_TEXT = 500, 50_000  # mermaid's defaults: maxEdges, maxTextSize
CHECK_SCRIPT = Path(__file__).parent / "mermaid_check.mjs"
MERMAID_BLOCK = re.compile(r"^```mermaid\n(.*?)^```$", re.S | re.M)


def mermaid_blocks(page: str) -> list[str]:
    return MERMAID_BLOCK.findall(page)


def edges(block: str) -> int:
    return block.count(" --> ")


def test_a_map_draws_only_the_links_a_reader_needs(loaded):
    # evaluate needs cleaning through baseline as well: no arrow of its own.
    result = loaded({**SMALL, "evaluate": {**SMALL["evaluate"], "prerequisites": ["baseline", "cleaning"]}})
    plan = plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))
    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    [block] = mermaid_blocks(page)
    number = {step.module.id: index for index, step in enumerate(plan.steps, start=1)}
    assert f"n{number['baseline']} --> n{number['evaluate']}" in block
    assert f"n{number['cleaning']} --> n{number['evaluate']}" not in block
    assert f"n{number['cleaning']} --> n{number['baseline']}" in block
    assert "### Map:" not in page


def large_catalog(count: int) -> dict[str, dict]:
    """`count` modules, most of them practitioner modules of the modeling
    stage, each needing earlier ones mostly of its own stage: too many for
    one diagram, and modeling's practitioner modules too many for one too."""
    stages = ["foundations", "data", "modeling", "modeling", "modeling", "modeling", "evaluation"]
    modules = {}
    for index in range(count):
        earlier = [index - 7, index - 21] + ([index - 1] if index % 30 == 0 else [])
        level = "foundation" if index < count // 10 else "advanced" if index >= count * 9 // 10 else "practitioner"
        modules[f"m{index}"] = {"stage": stages[index % len(stages)], "level": level, "roles": ["all"],
                                "hours": 1, "prerequisites": [f"m{i}" for i in earlier if i >= 0]}
    return modules


def test_a_large_path_is_split_into_parts_that_each_fit(loaded):
    result = loaded(large_catalog(600))
    plan = plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))
    assert len(plan.steps) == 600
    drawn = mermaid_map(plan)
    number = {step.module.id: index for index, step in enumerate(plan.steps, start=1)}
    graph = nx.DiGraph((number[p], number[s.module.id]) for s in plan.steps for p in s.module.prerequisites)
    names = [part.name for part in drawn.parts]
    assert len(set(names)) == len(names) > 1
    assert {"foundations", "data", "evaluation"} <= set(names)  # small stages stay whole
    assert any(name.startswith("modeling, practitioner, part ") for name in names)  # split by level, then chunks
    home = {}
    for index, part in enumerate(drawn.parts, start=1):
        assert len(part.nodes) <= MAP_MAX_NODES and len(part.links) <= MAP_MAX_EDGES
        for node in part.nodes:
            if node.drawn_in is None:
                assert node.number not in home, "a module is drawn in one part only"
                home[node.number] = index
        assert part.modules == sum(node.drawn_in is None for node in part.nodes)
    assert sorted(home) == list(range(1, 601))
    # Each link of the transitive reduction exactly once, in the part of the module that needs it.
    links = [link for part in drawn.parts for link in part.links]
    assert sorted(links) == sorted(nx.transitive_reduction(graph).edges)
    for index, part in enumerate(drawn.parts, start=1):
        for node in part.nodes:
            if node.drawn_in is not None:
                assert node.drawn_in == names[home[node.number] - 1] != part.name
        assert {module for _, module in part.links} <= {n.number for n in part.nodes if n.drawn_in is None}
    assert set(drawn.part_links) == {(home[a], home[b]) for a, b in links if home[a] != home[b]}

    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    assert len(mermaid_blocks(page)) == 1 + len(drawn.parts)  # the overview, then one per part
    assert [f"### Map: {name}" for name in names] == re.findall(r"^### Map: .*$", page, re.M)


def test_a_split_map_passes_markdownlint(third_party, tmp_path):
    """The map section of the Metacademy ML researcher's syllabus: an overview
    and headed parts. (The rest of the page carries the catalog's own text.)"""
    cli = MODULES / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    require_tools(system_tool("node"), node_tool("markdownlint-cli2", "markdownlint-cli2-bin.mjs"))
    modules = third_party / "metacademy_content" / "modules"
    assert main(["-q", "path", "--role", "ml-researcher", "--size", "small", "--format", "md",
                 "--modules", str(modules), "-o", str(tmp_path)]) == 0
    page = (tmp_path / "ml-researcher-small.md").read_text(encoding="utf-8")
    section = page[page.index("## Map of the path"):page.index("## Week by week")]
    assert section.count("### Map: ") > 1
    (tmp_path / "map.md").write_text(f"# Map\n\n{section.rstrip()}\n", encoding="utf-8")
    result = run(["node", cli, "--config", MARKDOWNLINT_CONFIG, ":map.md"], cwd=tmp_path)
    assert result.returncode == 0, f"markdownlint-cli2 errors:\n{result.stdout}{result.stderr}"


def render_errors(blocks: list[str]) -> list[str | None]:
    """Each block rendered by Mermaid in Chromium: None, or its error."""
    require_tools(system_tool("node"), node_tool("playwright-core", "package.json"),
                  node_tool("mermaid", "dist/mermaid.min.js"),
                  (f"Chromium ({CHROMIUM})", os.access(CHROMIUM, os.X_OK)))
    result = subprocess.run(["node", str(CHECK_SCRIPT), "--checkers", str(CHECKERS), "--chromium", CHROMIUM],
                            input=json.dumps(blocks), capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode == 0, f"mermaid_check.mjs failed:\n{result.stderr}"
    return json.loads(result.stdout)


# Over Mermaid's edge limit, as the Metacademy ML researcher's map once was:
# the checker must report it, or a broken check would pass everything.
TOO_MANY_EDGES = "flowchart LR\n" + "".join(f"  n{i} --> n{i + 1}\n" for i in range(MERMAID_MAX_EDGES + 1))


@pytest.mark.parametrize("catalog, arguments, syllabi", [
    ("built-in", [], 15),
    ("metacademy", ["--modules", "metacademy_content/modules"], 6),
    ("ossu", ["--modules", "ossu_cs/modules", "--hours-per-week", "10"], 3),
])
def test_every_mermaid_block_renders_within_mermaids_limits(request, tmp_path, catalog, arguments, syllabi):
    if arguments:
        third_party = request.getfixturevalue("third_party")
        arguments = [str(third_party / argument) if argument.endswith("/modules") else argument
                     for argument in arguments]
    assert main(["-q", "build", "--format", "md", "-o", str(tmp_path), *arguments]) == 0
    pages = {path.name: path.read_text(encoding="utf-8") for path in sorted(tmp_path.glob("*.md"))}
    assert len(pages) == syllabi + 1  # and index.md
    where: dict[str, list[str]] = {}  # block -> pages: paths of a role share a map
    for name, page in pages.items():
        blocks = mermaid_blocks(page)
        assert blocks or name == "index.md", f"{name} has no map"
        for block in blocks:
            where.setdefault(block, []).append(name)
    for block, names in where.items():
        assert edges(block) <= MERMAID_MAX_EDGES and len(block) <= MERMAID_MAX_TEXT, (names, edges(block), len(block))
    if catalog == "metacademy":  # its ML researcher path is too large for one diagram
        assert "### Map: " in pages["ml-researcher-small.md"]
    blocks = list(where)
    *errors, known_bad = render_errors([*blocks, TOO_MANY_EDGES])
    assert known_bad and "Edge limit exceeded" in known_bad
    failed = [f"{', '.join(where[block])}: {error}" for block, error in zip(blocks, errors) if error]
    assert not failed, "Mermaid could not render:\n" + "\n".join(failed)
