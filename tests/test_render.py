import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curriculum.errors import CurriculumError
from curriculum.model import Profile
from curriculum.plan import plan_path
from curriculum.render import Templates, make_environment, markdown_html, md_text, render_index, render_plan

from .conftest import SMALL
from .test_xss import dangers


@pytest.fixture
def plan(loaded):
    small = dict(SMALL)
    small["serve"] = dict(
        SMALL["serve"],
        summary="Put the model behind an API.",
        description="Use **FastAPI**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```",
        outcomes=["Serve predictions over HTTP"],
        exercise="Build `app.py`.",
        assessment="A `curl` returns a prediction.",
        standard_models=["FastAPI"],
        resources=[{"title": "FastAPI docs", "url": "https://fastapi.tiangolo.com/", "kind": "docs"}],
    )
    result = loaded(small)
    return plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))


def test_markdown_syllabus_shows_everything_a_learner_needs(plan):
    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    assert page.startswith("# ML engineer at a small company\n")
    for text in ("## Who it is for", "## Why this path", "## Schedule", "Put the model behind an API.",
                 "- Serve predictions over HTTP", "#### Exercise", "Build `app.py`.", "#### Assessment",
                 "- [FastAPI docs](https://fastapi.tiangolo.com/) (docs)", "FastAPI",
                 "**Why it is here:** Part of every ML engineer path at a small company.", "(end-to-end)"):
        assert text in page
    # Modules appear in path order, each with its hours and week.
    assert page.index("### 1. Python") < page.index("### 6. Serve") < page.index("### 7. First Slice")
    assert "| 6 | [Serve](#serve) | deployment | foundation | 3 | 3 |" in page


def test_html_syllabus_is_a_standalone_page(plan):
    page = render_plan(make_environment(), plan, ["html"])["ml-engineer-small.html"]
    assert page.startswith("<!DOCTYPE html>")
    assert "<strong>FastAPI</strong>" in page and "<table>" in page and "<pre><code" in page
    assert '<a href="https://fastapi.tiangolo.com/" rel="noopener noreferrer">FastAPI docs</a>' in page
    assert "http://" not in page.replace("https://fastapi", "") or "<link" not in page  # no external assets
    assert "<link" not in page and "<script" not in page


def test_json_document_is_stable_and_complete(plan):
    document = json.loads(render_plan(make_environment(), plan, ["json"])["ml-engineer-small.json"])
    assert document["profile"] == {"role": "ml-engineer", "size": "small", "knows": [], "goals": [],
                                   "hours_per_week": 5, "start": None}
    first = document["modules"][0]
    assert {k: first[k] for k in ("id", "title", "hours", "level", "stage", "week", "reasons")} == {
        "id": "python", "title": "Python", "hours": 2, "level": "foundation", "stage": "foundations",
        "week": 1, "reasons": [{"kind": "prerequisite", "module": "cleaning"}],
    }
    assert document["total_hours"] == sum(m["hours"] for m in document["modules"])
    assert document["weeks"] == 4 and document["first_milestone"] == "first-slice"


def test_index_links_every_syllabus(plan):
    pages = render_index(make_environment(), [plan], ["md", "html"])
    assert "[19 h, 4 weeks](ml-engineer-small.md)" in pages["index.md"]
    assert '<a href="ml-engineer-small.html">19 h, 4 weeks</a>' in pages["index.html"]


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<svg onload="alert(1)"></svg>',
    "```a`\n<script>alert(2)</script>\n```",
    "[e](&#106;avascript:alert(5))",
    "[x][r]\n\n[r]: javascript:alert(8)",
])
def test_untrusted_markdown_cannot_inject_script(payload):
    html = str(markdown_html("Intro " + payload))
    assert dangers(html) == []
    for tag in ("<iframe", "<style", "<svg"):
        assert tag not in html.lower()


def test_untrusted_plain_text_is_escaped_in_html(loaded):
    result = loaded({"x": {"title": "<script>alert(1)</script>", "roles": ["ml-engineer"],
                           "outcomes": ["<b onclick=alert(1)>bold</b>"]}})
    plan = plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))
    page = render_plan(make_environment(), plan, ["html"])["ml-engineer-small.html"]
    assert "<script>alert" not in page and "<b onclick" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_output_escapes_raw_html_but_keeps_code():
    assert md_text("a <b>x</b> and `a && b` and a < b") == "a &lt;b&gt;x&lt;/b&gt; and `a && b` and a &lt; b"
    assert md_text("`<b>`") == "<code>&lt;b&gt;</code>"
    # A line opening with <script> is an HTML block to CommonMark: all of it is text.
    assert md_text("<script>x</script> and `y`") == "&lt;script&gt;x&lt;/script&gt; and \\`y\\`"
    assert md_text("[x](javascript:alert(1)) [y](https://y.example/)") == "x [y](https://y.example/)"


def test_user_template_overrides_one_template(plan, tmp_path):
    (tmp_path / "syllabus.md.j2").write_text("Custom {{ plan.role.title }}\n")
    pages = render_plan(make_environment(Templates((tmp_path,))), plan, ["md", "html"])
    assert pages["ml-engineer-small.md"] == "Custom ML engineer\n"
    assert pages["ml-engineer-small.html"].startswith("<!DOCTYPE html>")  # built-in still used


def test_user_template_overrides_one_block(plan, tmp_path):
    (tmp_path / "syllabus.html.j2").write_text(
        '{% extends "builtin/syllabus.html.j2" %}{% block footer %}Made by L&amp;D{% endblock %}'
    )
    page = render_plan(make_environment(Templates((tmp_path,))), plan, ["html"])["ml-engineer-small.html"]
    assert "<footer>Made by L&amp;D</footer>" in page and "## Schedule" not in page and "<h2>Schedule</h2>" in page


def test_template_mistakes_fail_loudly(plan, tmp_path):
    (tmp_path / "syllabus.md.j2").write_text("{{ plan.no_such_field }}\n")
    with pytest.raises(CurriculumError, match="template error in syllabus.md.j2: .*no_such_field"):
        render_plan(make_environment(Templates((tmp_path,))), plan, ["md"])


def test_template_syntax_error_names_file_and_line(plan, tmp_path):
    (tmp_path / "syllabus.md.j2").write_text("ok\n{% if %}\n")
    with pytest.raises(CurriculumError) as info:
        render_plan(make_environment(Templates((tmp_path,))), plan, ["md"])
    assert info.value.line == 2 and info.value.path.endswith("syllabus.md.j2")


def test_missing_templates_folder(tmp_path):
    with pytest.raises(CurriculumError, match="templates directory not found"):
        make_environment(Templates((tmp_path / "nope",)))


def test_multiline_title_cannot_break_markdown_structure(loaded):
    result = loaded({"x": {"title": "Real title\n# Fake heading\n| a | b |", "roles": ["ml-engineer"],
                           "outcomes": ["first line\n- fake item"]}})
    plan = plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))
    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    assert "### 1. Real title \\# Fake heading \\| a \\| b \\|" in page
    assert "\n# Fake heading" not in page and "\n- fake item" not in page
    assert "- first line - fake item" in page


@given(st.text(alphabet="abXZ019 ,.;:()'/?%-\t*_[]`<&|#!", max_size=12))
@settings(max_examples=3000, deadline=None)
def test_plain_table_cells_skip_the_parser_and_come_out_the_same(text):
    from curriculum.render import md_cell
    from curriculum.safe_markdown import safe_inline

    assert md_cell(text) == safe_inline(text, cell=True)


@pytest.fixture
def reasoned(loaded):
    """A path whose role assumes python, with a because on one edge and a why on one module."""
    modules = SMALL | {
        "baseline": {**SMALL["baseline"], "prerequisites": [{"id": "cleaning", "because": "It trains on the clean table."}]},
        "boosting": {**SMALL["boosting"], "why": "The strong default for *tables*."},
    }
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["python"]}]}
    result = loaded(modules, settings)
    return plan_path(result.catalog, result.graph, Profile("ml-engineer", "small"))


def test_every_format_says_why_each_module_is_here_and_what_is_assumed(reasoned):
    pages = render_plan(make_environment(), reasoned, ["md", "html", "json"])
    md, html = pages["ml-engineer-small.md"], pages["ml-engineer-small.html"]
    assert "**Why it is here:** Needed for Baseline: It trains on the clean table." in md
    assert "**Why it is here:** The strong default for *tables*." in md
    assert "## Assumed: take it if unsure" in md and "| Python | `python` | 2 |" in md
    assert "name it as a goal (`--goal ID`" in md
    assert "<p><strong>Why it is here:</strong> The strong default for <em>tables</em>.</p>" in html
    assert "Assumed: take it if unsure</h2>" in html
    assert '<tr><td>Python</td><td><code>python</code></td><td class="num">2</td></tr>' in html
    document = json.loads(pages["ml-engineer-small.json"])
    assert document["assumed"] == [{"id": "python", "title": "Python", "hours": 2}]
    whys = {m["id"]: m["why"] for m in document["modules"]}
    assert whys["cleaning"] == "Needed for Baseline: It trains on the clean table."
    assert all(whys.values()) and "python" not in whys
    # The reasons of before stay, for readers of the JSON that use them.
    assert {"kind": "prerequisite", "module": "baseline"} in document["modules"][1]["reasons"]


def test_a_path_with_nothing_assumed_has_no_assumed_section(plan):
    pages = render_plan(make_environment(), plan, ["md", "html", "json"])
    assert "Assumed" not in pages["ml-engineer-small.md"] and "Assumed" not in pages["ml-engineer-small.html"]
    assert json.loads(pages["ml-engineer-small.json"])["assumed"] == []


@pytest.mark.parametrize("target, page, why, assumed", [
    ("mkdocs", "docs/ml-engineer-small.md", "**Why it is here:** Needed for Baseline: It trains on the clean table.",
     "| Python | `python` | 2 |"),
    ("git-wiki", "ml-engineer-small.md", "**Why it is here:** Needed for Baseline: It trains on the clean table.",
     "| Python | `python` | 2 |"),
    ("site", "ml-engineer-small.html", "<strong>Why it is here:</strong> Needed for Baseline: It trains on the clean table.",
     "<td><code>python</code></td>"),
    ("confluence", "pages/ml-engineer-small.xml",
     "<strong>Why it is here:</strong> Needed for Baseline: It trains on the clean table.", "<td><code>python</code></td>"),
    ("dokuwiki", "ml-upskilling/ml-engineer-small.txt",
     "**Why it is here:** %%Needed for Baseline: It trains on the clean table.%%", "| %%Python%% | ''python'' |"),
])
def test_every_publish_target_shows_the_why_and_the_assumed_modules(reasoned, target, page, why, assumed):
    from curriculum.publish import Publication, collect_pages, publish_pages

    pages = collect_pages(publish_pages(target, Publication([reasoned], [])))
    text = pages[page]
    assert why in text and assumed in text and "Assumed: take it if unsure" in text


def test_a_site_module_page_says_why_the_module_matters(reasoned):
    from curriculum.publish import Publication, collect_pages, publish_pages

    pages = collect_pages(publish_pages("site", Publication([reasoned], [])))
    assert "<p><strong>Why it matters:</strong> The strong default for <em>tables</em>.</p>" in pages["modules/boosting.html"]
    assert "Why it matters" not in pages["modules/serve.html"]
