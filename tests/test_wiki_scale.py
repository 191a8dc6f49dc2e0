"""A large team's wiki pages lead with its shape and stay small: the
DokuWiki and Confluence overviews of the benchmark's 1,000-person department
(the `department` fixture) open with roles and paths, people finishing by
month and sessions by week, keep a row and a link per person, and sum group
sessions up instead of naming every attendee; each member's page lists the
sessions they attend. A team below LARGE_TEAM keeps the page that lists
everyone. The real DokuWiki renders the 1,000-person overview in
tests/test_dokuwiki.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from curriculum.model import week_start
from curriculum.pipeline import TeamOptions, team_plan
from curriculum.publish import Publication
from curriculum.publish.confluence import confluence_pages
from curriculum.publish.dokuwiki import dokuwiki_pages
from curriculum.shape import LARGE_TEAM, team_shape
from tests.benchmarks.bench import write_team

from .test_publish import CONFLUENCE_ROOT

PAGE_LIMIT = 500_000  # bytes: issue 16's target for a 1,000-person overview
TARGETS = ("dokuwiki", "confluence")
RI = "{http://atlassian.com/resource/identifier}"


def overview(target: str, planned) -> str:
    """The team's overview page alone: the pages come one at a time, and it comes before its members'."""
    if target == "dokuwiki":
        pages, suffix = dokuwiki_pages(Publication((), (planned,))), "/start.txt"
    else:
        pages, suffix = confluence_pages(Publication((), (planned,))), "/index.xml"
    return next(text for path, text in pages if "/teams/" in path and path.endswith(suffix))


def tables(target: str, text: str) -> dict[str, list[list[list[str]]]]:
    """The tables under each heading: heading -> tables -> rows -> cell texts."""
    found: dict[str, list] = {}
    heading = ""
    if target == "confluence":
        for element in ET.fromstring(CONFLUENCE_ROOT.format(text)):
            if element.tag in ("h2", "h3"):
                heading = element.text
            elif element.tag == "table":
                found.setdefault(heading, []).append(
                    [["".join(cell.itertext()) for cell in row] for row in element.iter("tr")])
        return found
    previous = ""
    for line in text.splitlines():
        title = re.fullmatch(r"=+ (.*?) =+", line)
        if title:
            heading = title.group(1)
        elif line.startswith(("|", "^")):
            cells = re.sub(r"\[\[[^|\]]*\|([^\]]*)\]\]", r"\1", line).replace("%%", "")
            row = [cell.strip() for cell in re.split(r"[|^]", cells)[1:-1]]
            if not previous.startswith(("|", "^")):
                found.setdefault(heading, []).append([])
            found[heading][-1].append(row)
        previous = line
    return found


def rows_of(table: list[list[str]]) -> list[dict[str, str]]:
    header, *body = table
    assert all(len(row) == len(header) for row in body), header
    return [dict(zip(header, row)) for row in body]


def headings(target: str, text: str) -> list[str]:
    if target == "confluence":
        return re.findall(r"<h[23]>(.*?)</h[23]>", text)
    return re.findall(r"^=+ (.*?) =+$", text, re.M)


@pytest.fixture(scope="module")
def department_pages(department):
    planned, _ = department
    return {target: overview(target, planned) for target in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_the_wiki_overview_of_1000_people_is_under_500_kb(department_pages, target):
    size = len(department_pages[target].encode("utf-8"))
    assert size <= PAGE_LIMIT, f"{size:,} bytes"


@pytest.mark.parametrize("target", TARGETS)
def test_the_wiki_overview_leads_with_the_shape(department_pages, target):
    found = headings(target, department_pages[target])
    shape = ["Roles and paths", "Paths", "When people finish", "Sessions and facilitators by week"]
    first = found.index("Roles and paths")
    assert found[first:first + len(shape)] == shape
    assert found[:first] == (["Totals"] if target == "confluence" else ["Department 1000"])  # the title, then totals
    assert found.index("Sessions and facilitators by week") < found.index("People")


@pytest.mark.parametrize("target", TARGETS)
def test_the_wiki_aggregates_count_everyone_and_every_session_once(department, department_pages, target):
    planned, _ = department
    found = tables(target, department_pages[target])
    people, cohorts = len(planned.plans), planned.cohorts
    [roles] = found["Roles and paths"]
    assert sum(int(row["People"]) for row in rows_of(roles)) == people
    [paths] = found["Paths"]
    assert sum(int(row["People"]) for row in rows_of(paths)) == people
    [finishing] = found["When people finish"]
    by_month = {row["Month"]: int(row["People finishing"]) for row in rows_of(finishing)}
    finishes = [plan.end_date.isoformat()[:7] for _, plan in planned.plans]
    assert by_month == {month: finishes.count(month) for month in by_month} and sum(by_month.values()) == people
    [weekly] = found["Sessions and facilitators by week"]
    assert {int(row["Week"]): int(row["Sessions"]) for row in rows_of(weekly)} == {
        week: sum(c.week == week for c in cohorts) for week in {c.week for c in cohorts}}
    by_module = rows_of(found["Group sessions"][0])
    assert sum(int(row["Sessions"]) for row in by_module) == len(cohorts)
    assert sum(int(row["Attendances"]) for row in by_module) == sum(len(c.attendees) for c in cohorts)


@pytest.mark.parametrize("target", TARGETS)
def test_the_wiki_people_table_has_a_row_and_a_link_per_person(department, department_pages, target):
    planned, _ = department
    text = department_pages[target]
    [people] = tables(target, text)["People"]
    paths = team_shape(planned)["member_paths"]
    assert [(row["Name"], row["Role"], int(row["Path"]), row["Finishes"]) for row in rows_of(people)] == [
        (member.name, plan.role.title, paths[member.name]["number"], plan.end_date.isoformat())
        for member, plan in planned.plans]
    if target == "dokuwiki":
        linked = set(re.findall(r"\[\[([^|\]]+)\|", text))
        expected = {f"ml-upskilling:teams:department-1000:{planned.slugs[member.name]}"
                    for member, _ in planned.plans}
    else:
        root = ET.fromstring(CONFLUENCE_ROOT.format(text))
        linked = {link.get(f"{RI}content-title") for link in root.iter(f"{RI}page")}
        expected = {f"{planned.team.name}: {member.name}" for member, _ in planned.plans}
    assert expected <= linked


@pytest.mark.parametrize("target", TARGETS)
def test_the_wiki_overview_names_no_session_or_its_attendees(department, department_pages, target):
    planned, _ = department
    text = department_pages[target]
    assert not [c.id for c in planned.cohorts if c.id in text]
    assert "Attendees" not in text and "Week numbers each person works on each module" not in text


@pytest.fixture(scope="module")
def just_large(tmp_path_factory):
    """A team just over LARGE_TEAM people: (its file, its plan)."""
    team_file = write_team(tmp_path_factory.mktemp("just-large") / "team.yaml", LARGE_TEAM + 10)
    return team_file, team_plan(team_file)[1]


@pytest.fixture(scope="module")
def re_planned(just_large, tmp_path_factory):
    """That team re-planned from progress that only some of them reported
    (everything planned up to week 10): the rest are behind."""
    team_file, planned = just_large
    rows = ["name,email,module,status,date"]
    for member, plan in planned.plans[: LARGE_TEAM // 2]:
        rows += [f"{member.name},,{step.module.id},done,{week_start(planned.team.start, step.end_week).isoformat()}"
                 for step in plan.steps if step.end_week <= 10]
    progress = tmp_path_factory.mktemp("progress") / "progress.csv"
    progress.write_text("\n".join(rows) + "\n", encoding="utf-8")
    as_of = week_start(planned.team.start, 11)
    return team_plan(team_file, options=TeamOptions(progress_files=(progress,), as_of=as_of))[1]


@pytest.mark.parametrize("target", TARGETS)
def test_a_re_planned_team_shows_who_needs_attention_and_everyones_status(re_planned, target):
    text = overview(target, re_planned)
    found = tables(target, text)
    behind = {name for name, standing in re_planned.progress.items() if standing.status == "behind" or standing.at_risk}
    assert behind and len(behind) < len(re_planned.plans)
    [listed] = found["People who need attention"]
    assert {row["Name"] for row in rows_of(listed)} == behind
    [people] = found["People"]
    statuses = {row["Name"]: row["Status"] for row in rows_of(people)}
    assert {name for name, status in statuses.items() if status.startswith("behind") or "at risk" in status} == behind


@pytest.mark.parametrize("target", TARGETS)
def test_each_member_page_lists_the_sessions_they_attend(just_large, target):
    """The overview no longer names attendees: each attendee's own page has the session."""
    _, planned = just_large
    if target == "dokuwiki":
        from curriculum.publish.dokuwiki import _member_pages

        pages, names = dict(dokuwiki_pages(Publication((), (planned,)))), _member_pages(planned)
        page_of = {name: pages[f"ml-upskilling/teams/department-60/{page}.txt"] for name, page in names.items()}
    else:
        pages = dict(confluence_pages(Publication((), (planned,))))
        page_of = {name: pages[f"pages/teams/department-60/{slug}.xml"] for name, slug in planned.slugs.items()}
        for path, text in pages.items():
            if path.endswith(".xml"):
                ET.fromstring(CONFLUENCE_ROOT.format(text))  # well-formed
    assert planned.cohorts
    for cohort in planned.cohorts:
        for name in cohort.attendees:
            assert cohort.id in page_of[name], (cohort.id, name)
        if cohort.facilitator:
            assert ", ".join(cohort.attendees) in page_of[cohort.facilitator].replace("%%", "")


@pytest.mark.parametrize("target", TARGETS)
def test_a_team_below_the_threshold_keeps_every_session_and_its_attendees(tmp_path, target):
    _, planned = team_plan(write_team(tmp_path / "team.yaml", LARGE_TEAM - 1))
    assert team_shape(planned) is None and planned.cohorts
    text = overview(target, planned)
    assert "Roles and paths" not in headings(target, text)
    [sessions] = tables(target, text)["Group sessions"]
    assert [(row["Session"], row["Attendees"]) for row in rows_of(sessions)] == [
        (c.id, ", ".join(c.attendees)) for c in planned.cohorts]
