"""Long syllabi (more than 60 modules or 104 weeks) can be navigated: a table
of contents whose every link lands on the page, modules under a heading per
month (or quarter, or year), the week-by-week list folded by month in HTML,
and every module still there once. Short syllabi keep their flat layout
(tests/test_golden.py holds it byte for byte)."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from curriculum.cli import main
from curriculum.model import Profile
from curriculum.plan import plan_path
from curriculum.render import make_environment, render_plan, syllabus_outline

MODULES = 70  # 2 h each, in a chain: 140 h, 28 weeks at 5 h/week


@pytest.fixture
def long_plan(loaded):
    """Return a function: Profile keywords -> the plan of a chain of
    `modules` modules (70 unless told), of which the role `assumes` some."""

    def make(modules: int = MODULES, assumes: tuple[str, ...] = (), **profile):
        chain = {f"m{i:02d}": {"title": f"Topic {i}", "prerequisites": [f"m{i - 1:02d}"] if i else []}
                 for i in range(modules)}
        chain[f"m{modules - 1:02d}"]["roles"] = ["all"]
        settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": list(assumes)}]}
        result = loaded(chain, settings if assumes else None)
        return plan_path(result.catalog, result.graph, Profile("ml-engineer", "small", **profile))

    return make


class _Page(HTMLParser):
    """Ids, in-page links, the contents' links, <details>, and headings of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.contents: list[str] = []
        self.details = 0
        self.headings: list[tuple[str, str]] = []  # (tag, text)
        self._nav = False
        self._heading: str | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            self.links.append(attrs["href"][1:])
            if self._nav:
                self.contents.append(attrs["href"][1:])
        self._nav = self._nav or (tag == "nav" and attrs.get("class") == "contents")
        self.details += tag == "details"
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = tag
            self.headings.append((tag, ""))

    def handle_endtag(self, tag):
        self._nav = self._nav and tag != "nav"
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data):
        if self._heading:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def markdown_anchors(page: str) -> list[str]:
    return re.findall(r'^<a id="([^"]+)"></a>$', page, re.MULTILINE)


def test_a_long_html_syllabus_has_contents_months_and_folded_weeks(long_plan):
    plan = long_plan()
    assert (len(plan.steps), plan.weeks) == (70, 28)
    page = _Page(render_plan(make_environment(), plan, ["html"])["ml-engineer-small.html"])
    assert len(page.ids) == len(set(page.ids))
    # Every in-page link lands: the contents, the schedule, the week list.
    assert set(page.links) <= set(page.ids)
    months = [f"month_{n}" for n in range(1, 8)]
    assert page.contents == ["section_audience", "section_why", "section_schedule", "section_map", "section_timeline",
                             "section_weeks", "section_modules", *months]
    assert page.details == 7  # one folded month each
    groups = [text for tag, text in page.headings if tag == "h3"]
    assert groups == [f"Month {n}: weeks {4 * n - 3}\u2013{4 * n}" for n in range(1, 8)]
    # Every module once, numbered in path order, a level under its month.
    titles = [text for tag, text in page.headings if tag == "h4"]
    assert titles == [f"{i + 1}. Topic {i}" for i in range(MODULES)]
    assert [i for i in page.ids if re.fullmatch(r"m\d\d", i)] == [f"m{i:02d}" for i in range(MODULES)]
    # The module's own sub-headings sit under it.
    assert {tag for tag, _ in page.headings} == {"h1", "h2", "h3", "h4"}


def test_a_long_markdown_syllabus_has_a_heading_per_month(long_plan):
    plan = long_plan()
    page = render_plan(make_environment(), plan, ["md"])["ml-engineer-small.md"]
    anchors = markdown_anchors(page)
    assert len(anchors) == len(set(anchors))
    contents = page[page.index("## Contents"):page.index("## Who it is for")]
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    assert links[-7:] == [f"month_{n}" for n in range(1, 8)] and set(links) <= set(anchors)
    # Every in-page link of the page lands (the schedule's too).
    assert set(re.findall(r"\]\(#([^)]+)\)", page)) <= set(anchors)
    headings = re.findall(r"^(#+) (.*)$", page, re.MULTILINE)
    modules = headings[[text for _, text in headings].index("Modules"):]
    assert [text for level, text in modules if level == "###"] == [
        f"Month {n}: weeks {4 * n - 3}-{4 * n}" for n in range(1, 8)]
    assert [text for level, text in modules if level == "####"] == [f"{i + 1}. Topic {i}" for i in range(MODULES)]
    # A wiki's contents: no level skipped, each month right before its first module.
    levels = [len(level) for level, _ in headings]
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))
    assert "### Month 2: weeks 5-8\n\n<a id=\"m10\"></a>\n\n#### 11. Topic 10" in page
    # The week list keeps every week, under its month.
    weeks = page[page.index("## Week by week"):page.index("## Modules")]
    assert re.findall(r"^- \*\*Week (\d+)\*\*", weeks, re.MULTILINE) == [str(w) for w in range(1, 29)]
    assert weeks.count("**Month ") == 7


def test_with_a_start_date_months_are_calendar_months(long_plan):
    # Week 1 starts on 2027-01-25, week 2 on 1 February, week 6 on 1 March.
    plan = long_plan(start=dt.date(2027, 1, 25))
    outline = syllabus_outline(plan)
    assert [(g.id, g.title, g.first_week, g.last_week) for g in outline.groups[:3]] == [
        ("month_2027-01", "January 2027", 1, 1), ("month_2027-02", "February 2027", 2, 5),
        ("month_2027-03", "March 2027", 6, 10)]
    # A module belongs to the month it starts in.
    for group in outline.groups:
        for _, step in group.steps:
            assert group.first_week <= step.week <= group.last_week
    page = _Page(render_plan(make_environment(), plan, ["html"])["ml-engineer-small.html"])
    assert set(page.links) <= set(page.ids) and "month_2027-02" in page.contents


def test_very_long_paths_are_grouped_by_quarter_then_year(long_plan):
    quarters = syllabus_outline(long_plan(hours_per_week=0.5))  # 280 weeks: 70 months, 22 quarters
    assert quarters.period == "quarter" and len(quarters.groups) == 22
    second = quarters.groups[1]
    assert (second.title, second.first_week, second.last_week) == ("Quarter 2", 14, 26)
    years = syllabus_outline(long_plan(hours_per_week=0.28))  # 500 weeks: 39 quarters, 10 years
    assert years.period == "year" and len(years.groups) == 10
    page = render_plan(make_environment(), long_plan(hours_per_week=0.5), ["md"])["ml-engineer-small.md"]
    assert "Modules by quarter:" in page and "### Quarter 2: weeks 14-26" in page


def test_short_syllabi_keep_the_flat_layout(long_plan):
    # 60 modules over 104 weeks are still short.
    short = long_plan(60, hours_per_week=1.2)
    assert (len(short.steps), short.weeks) == (60, 100) and syllabus_outline(short) is None
    assert syllabus_outline(long_plan(61)) and syllabus_outline(long_plan(60, hours_per_week=1.1))  # 110 weeks
    page = render_plan(make_environment(), short, ["html", "md"])
    assert "section_" not in page["ml-engineer-small.html"] + page["ml-engineer-small.md"]
    assert "<details" not in page["ml-engineer-small.html"]
    assert "\n### 1. Topic 0\n" in page["ml-engineer-small.md"]


def test_a_team_members_long_syllabus_links_its_team_schedule_and_assumed_modules(long_plan):
    plan = long_plan(assumes=("m00",))
    assert plan.assumed
    member = {"weeks": 29, "solo_weeks": 28, "delay": "1 week later than alone", "facilitation_hours_per_week": 0,
              "changes": [{"step": plan.steps[3], "session": None}], "leads": [], "progress": None, "as_of": None}
    pages = render_plan(make_environment(), plan, ["html", "md"], "ann", member)
    html = _Page(pages["ann.html"])
    assert {"section_team", "assumed"} <= set(html.contents) and set(html.links) <= set(html.ids)
    md = pages["ann.md"]
    assert "](#section_team)" in md and "](#assumed)" in md and set(re.findall(r"\]\(#([^)]+)\)", md)) <= set(markdown_anchors(md))


def test_the_built_in_catalog_keeps_the_flat_layout(tmp_path):
    assert main(["-q", "build", "-o", str(tmp_path), "--format", "md", "html"]) == 0
    for page in tmp_path.glob("*-*.*"):
        text = page.read_text(encoding="utf-8")
        assert "section_" not in text and "Contents" not in text, page.name


def test_the_metacademy_ml_researcher_syllabus_reads_by_month(third_party, tmp_path):
    modules = third_party / "metacademy_content" / "modules"
    assert main(["-q", "path", "--role", "ml-researcher", "--size", "small", "--format", "md", "html",
                 "--modules", str(modules), "-o", str(tmp_path)]) == 0
    html = _Page((tmp_path / "ml-researcher-small.html").read_text(encoding="utf-8"))
    assert set(html.links) <= set(html.ids) and len(html.ids) == len(set(html.ids))
    assert html.details == 28 and len([h for h in html.headings if h[0] == "h3" and "Month" in h[1]]) == 28
    titles = [text for tag, text in html.headings if tag == "h4" and re.match(r"\d+\. ", text)]
    assert [int(t.split(".")[0]) for t in titles] == list(range(1, 392))
    md = (tmp_path / "ml-researcher-small.md").read_text(encoding="utf-8")
    assert set(re.findall(r"\]\(#([^)]+)\)", md)) <= set(markdown_anchors(md))
    assert len(re.findall(r"^### Month \d+: weeks", md, re.MULTILINE)) == 28
    assert len(re.findall(r"^#### \d+\. ", md, re.MULTILINE)) == 391
