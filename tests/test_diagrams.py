import pytest

from curriculum.diagrams import (
    COLUMN_GAP, MARGIN, NODE_WIDTH, STAGE_COLOURS, mermaid_label, path_timeline, prerequisite_graph, team_timeline,
)
from curriculum.model import Profile
from curriculum.plan import plan_path
from curriculum.render import make_environment, render_plan

from .conftest import SMALL


@pytest.fixture
def plan(loaded):
    result = loaded(SMALL)
    return plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))


def test_graph_is_layered_by_prerequisite_depth(plan):
    graph = prerequisite_graph(plan)
    column = {node.id: round((node.x - MARGIN) / (NODE_WIDTH + COLUMN_GAP)) for node in graph.nodes}
    assert column["python"] == column["framing"] == 0
    assert column["cleaning"] == 1 and column["baseline"] == 2
    assert column["evaluate"] == column["serve"] == column["boosting"] == 3
    assert column["first-slice"] == 4  # after evaluate and serve
    for prerequisite, module in graph.links:
        assert column[prerequisite] < column[module]
    assert len(graph.edges) == len(graph.links) == sum(  # SMALL has no redundant prerequisite
        1 for s in plan.steps for p in s.module.prerequisites if p in column)
    assert {n.fill for n in graph.nodes if n.stage == "data"} == {STAGE_COLOURS["data"][0]}
    assert [n.milestone for n in graph.nodes if n.id == "first-slice"] == [True]
    assert graph.width >= 5 * NODE_WIDTH


def test_timeline_has_a_bar_per_module_across_its_weeks(plan):
    timeline = path_timeline(plan)
    assert len(timeline.bars) == len(plan.steps) and timeline.weeks == plan.weeks
    serve = next(b for b in timeline.bars if b.title == "Serve")
    step = next(s for s in plan.steps if s.module.id == "serve")
    assert serve.weeks == (f"{step.week}" if step.week == step.end_week else f"{step.week}-{step.end_week}")


def test_html_syllabus_draws_the_map_and_timeline_inline(plan):
    page = render_plan(make_environment(), plan, ["html"])["ml-engineer-small.html"]
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role=') == 2
    assert '<a href="#first-slice">' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_markdown_syllabus_has_a_mermaid_map_and_a_week_list(plan):
    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    mermaid = page[page.index("```mermaid"):page.index("```", page.index("```mermaid") + 3)]
    numbers = {s.module.id: i for i, s in enumerate(plan.steps, start=1)}
    assert f"n{numbers['baseline']} --> n{numbers['evaluate']}" in mermaid
    assert 'n1["1. Python"]:::foundations' in mermaid
    assert "classDef problem_framing" in mermaid
    assert "- **Week 1**: Python; Framing" in page


@pytest.mark.parametrize("text", ['a"] --> evil["x', "a\nclick n1 call alert()", "<img src=x onerror=alert(1)>",
                                  "[x](javascript:alert(1))", "a|b{c}`d`#e"])
def test_mermaid_labels_cannot_break_out(text):
    label = mermaid_label(text)
    assert not set(label) & set('"[]{}<>|`\n')


def test_team_timeline_marks_each_first_milestone(loaded, tmp_path):
    import yaml

    from curriculum.pipeline import team_plan

    catalog = tmp_path / "c"
    from .conftest import module_data, write_yaml
    for module_id, fields in SMALL.items():
        write_yaml(catalog / f"{module_id}.yaml", module_data(module_id, **fields))
    team_file = tmp_path / "t.yaml"
    team_file.write_text(yaml.safe_dump({"team": "T", "company_size": "small", "members": [
        {"name": "Ana", "role": "ml-engineer"}, {"name": "Ben", "role": "software-engineer"}]}))
    planned = team_plan(team_file, [catalog])[1]
    timeline = team_timeline(planned)
    assert [b.milestone for b in timeline.bars] == [False, True, False, True]
    assert timeline.weeks == planned.weeks
