"""A large team's overview leads with its shape and stays small: the
benchmark's 1,000-person department (the `department` fixture) gets roles and
paths, a finishing histogram and sessions by week, in an HTML page of at most
500 KB that still links every member's syllabus; the sample team of 12 keeps
the overview that lists everyone (tests/test_golden.py holds it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from curriculum.pipeline import TeamOptions, team_plan
from curriculum.render import make_environment, render_overview
from curriculum.shape import LARGE_TEAM, team_shape

SAMPLE = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"
HTML_LIMIT = 500_000  # bytes: issue 16's target for a 1,000-person overview


def test_the_overview_of_1000_people_is_at_most_500_kb(department):
    _, folder = department
    size = (folder / "index.html").stat().st_size
    assert size <= HTML_LIMIT, f"{size:,} bytes"


def test_every_member_is_one_link_from_the_overview(department):
    planned, folder = department
    html = (folder / "index.html").read_text(encoding="utf-8")
    markdown = (folder / "index.md").read_text(encoding="utf-8")
    html_links = set(re.findall(r'href="([^"]+)"', html))
    md_links = set(re.findall(r"\]\(([^)]+)\)", markdown))
    for member, _ in planned.plans:
        slug = planned.slugs[member.name]
        assert f"{slug}.html" in html_links, member.name
        assert f"{slug}.md" in md_links, member.name


class PeopleTable(HTMLParser):
    """The rows of the table with id "people": each row's cell texts."""

    def __init__(self, text: str):
        super().__init__()
        self.inside = self.body = False
        self.rows: list[list[str]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "people") in attrs:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.body = True
        elif self.body and tag == "tr":
            self.rows.append([])
        elif self.body and tag == "td":
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.body = False
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def test_the_people_table_has_a_row_per_person_with_their_path(department):
    planned, folder = department
    rows = PeopleTable((folder / "index.html").read_text(encoding="utf-8")).rows
    shape = team_shape(planned)
    assert [row[0] for row in rows] == [member.name for member, _ in planned.plans]
    assert [row[1] for row in rows] == [shape["path_of"][member.name] for member, _ in planned.plans]
    assert [int(row[2]) for row in rows] == [plan.total_hours for _, plan in planned.plans]


def test_the_aggregates_count_everyone_once(department):
    planned, _ = department
    shape = team_shape(planned)
    people = len(planned.plans)
    assert sum(role["people"] for role in shape["roles"]) == people
    assert sum(path["people"] for path in shape["paths"]) == people
    assert sum(count for _, count in shape["finishing"]["bins"]) == people
    assert sum(row["people"] for row in shape["timeline"]["rows"]) == people
    # Each path's people share its modules, and its example is one of them.
    for path in shape["paths"]:
        assert path["example"] is path["members"][0]
        modules = {frozenset(s.module.id for s in plan.steps) for member, plan in planned.plans
                   if member in path["members"]}
        assert len(modules) == 1 and len(next(iter(modules))) == path["modules"]


def test_sessions_by_week_and_by_module_are_the_team_schedule(department):
    planned, _ = department
    shape = team_shape(planned)
    cohorts = planned.cohorts
    weekly = shape["weekly"]["rows"]
    assert sum(row["sessions"] for row in weekly) == len(cohorts)
    assert round(sum(row["led_hours"] for row in weekly), 6) == planned.schedule.facilitation_hours
    assert sum(row["external_hours"] > 0 for row in weekly) > 0
    by_module = shape["session_modules"]
    assert sum(entry["sessions"] for entry in by_module) == len(cohorts)
    assert sum(entry["attendances"] for entry in by_module) == sum(len(c.attendees) for c in cohorts)
    assert sum(entry["external"] for entry in by_module) == planned.schedule.external_sessions
    for row in weekly:
        leading = {c.facilitator for c in cohorts if c.week == row["week"] and c.facilitator}
        assert row["facilitators"] == len(leading)


def test_a_large_overview_lists_no_session_attendees(department):
    """Sessions are summed up module by module; who attends which is in the
    CSV, the calendar and each facilitator's syllabus."""
    planned, folder = department
    for name in ("index.html", "index.md"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not [c.id for c in planned.cohorts if f">{c.id}<" in text or f"| {c.id} |" in text], name


def test_a_small_team_keeps_the_overview_that_lists_everyone():
    _, planned = team_plan(SAMPLE, options=TeamOptions(cohorts=False))
    assert len(planned.plans) < LARGE_TEAM and team_shape(planned) is None
    html = render_overview(make_environment(), planned, ["html"])["index.html"]
    assert "Roles and paths" not in html and "<script" not in html
    # A timeline bar and a matrix column per person.
    for member, plan in planned.plans:
        assert f"<title>{member.name}: {plan.role.title}" in html and f"<th>{member.name}</th>" in html


def test_without_start_date_or_sessions_the_shape_counts_weeks(tmp_path):
    """No start date: people finish in runs of weeks, not months; no group
    sessions: the overview says so instead of charting them."""
    team = tmp_path / "team.yaml"
    roles = ["software-engineer", "ml-engineer", "data-engineer"]
    members = "".join(f"  - name: Person {index}\n    role: {roles[index % 3]}\n    hours_per_week: {3 + index % 4}\n"
                      for index in range(LARGE_TEAM))
    team.write_text(f"team: Unscheduled\ncompany_size: medium\nmembers:\n{members}", encoding="utf-8")
    _, planned = team_plan(team, options=TeamOptions(cohorts=False))
    shape = team_shape(planned)
    assert shape["finishing"]["unit"] == "weeks" and shape["weekly"] is None
    assert sum(count for _, count in shape["finishing"]["bins"]) == LARGE_TEAM
    pages = render_overview(make_environment(), planned, ["md", "html"])
    assert "| Weeks | People finishing |" in pages["index.md"]
    assert "Group sessions are off" in pages["index.html"].split("<h2>Sessions and facilitators by week</h2>")[1]
