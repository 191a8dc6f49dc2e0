"""One schedule: every output of a team plan gives the same weeks.

The sample team is planned once with every format, and each output is read
back the way its consumer reads it (JSON, Markdown and HTML tables, the CSV
module, the icalendar library, the DokuWiki and Confluence pages of
`curriculum publish`), then compared with team.json and with each member's
solo plan (`curriculum path`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from curriculum.cli import main
from curriculum.exports import team_calendar
from curriculum.model import Profile
from curriculum.pipeline import load, team_plan
from curriculum.plan import plan_path
from curriculum.publish import Publication
from curriculum.publish.confluence import confluence_pages
from curriculum.publish.dokuwiki import dokuwiki_pages

from .conftest import SMALL

SAMPLE = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("team") / "out"
    assert main(["-q", "team", str(SAMPLE), "-o", str(folder), "--format", "md", "html", "json"]) == 0
    return folder


@pytest.fixture(scope="module")
def document(out) -> dict:
    return json.loads((out / "team.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def planned():
    return team_plan(SAMPLE)[1]


# --- reading the outputs back ---------------------------------------------------------


def md_tables(text: str) -> dict[str, list[list[list[str]]]]:
    """The Markdown tables under each heading, each as header row then body
    rows, cells split on unescaped |."""
    tables: dict[str, list[list[list[str]]]] = {}
    heading, rows = "", None
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            if rows is None:
                rows = []
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif rows is not None:
            tables.setdefault(heading, []).append(rows)
            rows = None
    return tables


class HtmlTables(HTMLParser):
    """The tables of an HTML page under each h2, as rows of cells: their
    text and the first link's `href`."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[list[dict]]]] = {}
        self.heading, self.in_heading, self.rows, self.cell = "", False, None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.heading, self.in_heading = "", True
        elif tag == "table":
            self.rows = []
        elif tag == "tr" and self.rows is not None:
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = {"text": "", "href": None}
        elif tag == "a" and self.cell is not None and self.cell["href"] is None:
            self.cell["href"] = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_heading = False
        elif tag == "table":
            self.tables.setdefault(self.heading, []).append(self.rows)
            self.rows = None
        elif tag in ("td", "th") and self.cell is not None:
            self.cell["text"] = " ".join(self.cell["text"].split())
            self.rows[-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.in_heading:
            self.heading += data
        if self.cell is not None:
            self.cell["text"] += data


def html_tables(text: str) -> dict[str, list[list[list[str]]]]:
    return {heading: [[[cell["text"] for cell in row] for row in rows] for rows in tables]
            for heading, tables in HtmlTables(text).tables.items()}


def by_header(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *body = rows
    assert all(len(row) == len(header) for row in body), header
    return [dict(zip(header, row)) for row in body]


def weeks(text: str) -> tuple[int, int]:
    """'5' or '5-8' (or with an en dash) as (first, last)."""
    first, _, last = text.replace("\u2013", "-").partition("-")
    return int(first), int(last or first)


def number(text: str) -> float:
    return float(text.replace("*", ""))


# --- the team's own files -------------------------------------------------------------


def test_every_member_file_gives_the_team_schedule(out, document):
    titles = {}
    for member in document["members"]:
        slug = member["file"]
        syllabus = json.loads((out / f"{slug}.json").read_text(encoding="utf-8"))
        assert syllabus["modules"] == member["modules"]
        assert syllabus["weeks"] == member["weeks"] == max(m["end_week"] for m in member["modules"])
        expected = {m["id"]: (m["week"], m["end_week"]) for m in member["modules"]}
        for m in member["modules"]:
            titles[m["title"]] = m["id"]
            spread = m["hours_by_week"]
            assert (spread[0]["week"], spread[-1]["week"]) == (m["week"], m["end_week"]), m["id"]
            assert [w["week"] for w in spread] == sorted({w["week"] for w in spread})
            assert sum(w["hours"] for w in spread) == pytest.approx(m["hours"])

        text = (out / f"{slug}.md").read_text(encoding="utf-8")
        rows = md_tables(text)["Schedule"][0][1:]
        assert {re.search(r"\]\(#([a-z0-9-]+)\)", r[1]).group(1): weeks(r[5]) for r in rows} == expected
        for module_id, (first, last) in expected.items():
            span = f"week {first}" if first == last else f"weeks {first}-{last}"
            assert re.search(rf'<a id="{module_id}"></a>\n\n### \d+\. .*\n\n\*[\d.]+ h, {span},', text), module_id

        parsed = HtmlTables((out / f"{slug}.html").read_text(encoding="utf-8")).tables["Schedule"][0][1:]
        assert {row[1]["href"][1:]: weeks(row[5]["text"]) for row in parsed} == expected
    assert len(titles) == len(set(titles.values())), "module titles identify modules on the overview"


def test_team_schedule_section_says_where_and_why_it_differs(out, document):
    cohorts = {c["id"]: c for c in document["cohorts"]}
    alone = {(name, a["module"]) for a in document["alone"] for name in a["members"]}
    for member in document["members"]:
        name = member["name"]
        # A session, another week than alone or a shared module studied alone: each says why.
        noted = [m for m in member["modules"]
                 if m["cohort"] or m["week"] != m["solo_week"] or (name, m["id"]) in alone]
        for fmt, read in (("md", md_tables), ("html", html_tables)):
            page = (out / f"{member['file']}.{fmt}").read_text(encoding="utf-8")
            if not noted and not member["facilitates"] and not member["delay_weeks"]:
                assert "Your team schedule" not in page
                continue
            delay = member["delay_weeks"]
            said = "the same week as alone" if not delay else (
                f"{abs(delay)} week{'s' if abs(delay) != 1 else ''} {'later' if delay > 0 else 'earlier'} than alone")
            assert f"you finish in week {member['weeks']}, {said}" in page
            tables = {table[0][0]: by_header(table) for table in read(page)["Your team schedule"]}
            differs = tables.get("Module", [])
            titles = [re.sub(r"^\[(.*)\]\(#.*\)$", r"\1", row["Module"]) for row in differs]
            assert titles == [m["title"] for m in noted]  # in the order of the syllabus
            for row, module in zip(differs, noted):
                assert weeks(row["Weeks"]) == (module["week"], module["end_week"])
                assert int(row["Week alone"]) == module["solo_week"]
                assert row["Session"] == (module["cohort"] or "")
                leader = cohorts[module["cohort"]]["facilitator"] or "external" if module["cohort"] else ""
                assert row["Facilitator"].strip("*") == leader
                assert row["Why"]
            led = tables.get("Session", [])
            assert [row["Session"] for row in led] == member["facilitates"]
            for row in led:
                session = cohorts[row["Session"]]
                assert int(row["Week"]) == session["week"]
                assert row["Attendees"] == ", ".join(session["attendees"])


def test_sessions_agree_with_every_attendee(document):
    modules = {(m["name"], x["id"]): x for m in document["members"] for x in m["modules"]}
    settings = document["team"]["cohorts"]
    assert len({c["id"] for c in document["cohorts"]}) == len(document["cohorts"])
    for cohort in document["cohorts"]:
        assert settings["min_size"] <= len(cohort["attendees"]) <= settings["max_size"]
        assert cohort["facilitator"] not in cohort["attendees"]
        module_hours = modules[cohort["attendees"][0], cohort["module"]]["hours"]
        assert cohort["hours"] == min(settings["session_hours"], module_hours)
        ends = []
        for name in cohort["attendees"]:
            module = modules[name, cohort["module"]]
            assert (module["week"], module["cohort"]) == (cohort["week"], cohort["id"]), name
            ends.append(module["end_week"])
        assert cohort["end_week"] == max(ends)
    taken = sorted((name, m["id"]) for (name, _), m in modules.items() if m["cohort"])
    assert taken == sorted((name, c["module"]) for c in document["cohorts"] for name in c["attendees"])


def test_totals_are_what_the_sessions_imply(document):
    members, cohorts, schedule = document["members"], document["cohorts"], document["schedule"]
    hours = {m["id"]: m["hours"] for member in members for m in member["modules"]}
    takers: dict[str, int] = {}
    for member in members:
        for m in member["modules"]:
            takers[m["id"]] = takers.get(m["id"], 0) + 1
    min_size = document["team"]["cohorts"]["min_size"]
    assert schedule["shareable_hours"] == pytest.approx(sum(hours[m] * n for m, n in takers.items() if n >= min_size))
    assert schedule["grouped_hours"] == pytest.approx(sum(hours[c["module"]] * len(c["attendees"]) for c in cohorts))
    assert schedule["external_sessions"] == sum(c["facilitator"] is None for c in cohorts)
    assert schedule["facilitation_hours"] == pytest.approx(sum(c["hours"] for c in cohorts if c["facilitator"]))
    delays = [m["delay_weeks"] for m in members]
    assert schedule["max_delay_weeks"] == max(delays)
    assert schedule["mean_delay_weeks"] == pytest.approx(sum(delays) / len(delays))
    assert schedule["solver"] in ("greedy", "cp-sat") and isinstance(schedule["optimal"], bool)
    for member in members:
        assert member["facilitates"] == [c["id"] for c in cohorts if c["facilitator"] == member["name"]]
        study: dict[int, float] = {}
        for m in member["modules"]:
            for w in m["hours_by_week"]:
                study[w["week"]] = study.get(w["week"], 0) + w["hours"]
        leading: dict[int, float] = {}
        for c in cohorts:
            if c["facilitator"] == member["name"]:
                leading[c["week"]] = leading.get(c["week"], 0) + c["hours"]
        weekly = {w["week"]: (w["study"], w["facilitation"]) for w in member["weekly_hours"]}
        assert set(weekly) == set(study) | set(leading)
        for week, (studied, led) in weekly.items():
            assert studied == pytest.approx(study.get(week, 0)) and led == pytest.approx(leading.get(week, 0))
            assert studied <= member["profile"]["hours_per_week"] + 1e-9
            assert led <= member["facilitation_hours_per_week"] + 1e-9
    alone = {(a["module"], name) for a in document["alone"] for name in a["members"]}
    for module, name in alone:
        assert takers[module] >= min_size
        assert not next(m for x in members if x["name"] == name for m in x["modules"] if m["id"] == module)["cohort"]


def test_solo_weeks_and_delays_are_those_of_curriculum_path(document):
    loaded = load()
    for member in document["members"]:
        p = member["profile"]
        solo = plan_path(loaded.catalog, loaded.graph, Profile(
            p["role"], p["size"], tuple(p["knows"]), tuple(p["goals"]), p["hours_per_week"],
            dt.date.fromisoformat(p["start"])))
        assert {m["id"]: m["solo_week"] for m in member["modules"]} == {s.module.id: s.week for s in solo.steps}
        assert member["delay_weeks"] == member["weeks"] - solo.weeks, member["name"]


def test_overviews_show_the_same_sessions_people_and_totals(out, document):
    cohorts, schedule = document["cohorts"], document["schedule"]
    members = {m["name"]: m for m in document["members"]}
    ids = {m["title"]: m["id"] for member in document["members"] for m in member["modules"]}
    md_text = (out / "index.md").read_text(encoding="utf-8")
    html_text = (out / "index.html").read_text(encoding="utf-8")
    for text, tables in ((md_text, md_tables(md_text)), (html_text, html_tables(html_text))):
        sessions = by_header(tables["Group sessions"][0])
        assert [s["Session"] for s in sessions] == [c["id"] for c in cohorts]
        for row, cohort in zip(sessions, cohorts):
            assert ids[row["Module"]] == cohort["module"]
            assert weeks(row["Weeks"]) == (cohort["week"], cohort["end_week"])
            assert number(row["Contact hours"]) == cohort["hours"] and int(row["People"]) == len(cohort["attendees"])
            assert row["Attendees"] == ", ".join(cohort["attendees"])
            assert row["Facilitator"].strip("*") == (cohort["facilitator"] or "external")
        people = by_header(tables["People"][0])[:-1]  # the last row is the team's
        assert len(people) == len(members)
        for row in people:
            name = re.sub(r"^\[(.*)\]\(.*\)$", r"\1", row["Name"])
            member = members[name]
            assert int(row["Weeks"]) == member["weeks"] and int(row["Delay"]) == member["delay_weeks"]
            assert number(row["Facilitation h/week"]) == member["facilitation_hours_per_week"]
            assert int(row["Sessions led"]) == len(member["facilitates"])
        matrix = tables["Who does what, when"][0]
        names = matrix[0][1:]
        for row in matrix[1:]:
            module = ids[row[0]]
            for name, cell in zip(names, row[1:]):
                mine = [m for m in members[name]["modules"] if m["id"] == module]
                assert (weeks(cell) if cell else None) == ((mine[0]["week"], mine[0]["end_week"]) if mine else None)
        alone = by_header(tables["Shared modules studied alone"][0])
        assert [(ids[r["Module"]], r["Who"], r["Why"]) for r in alone] == [
            (a["module"], ", ".join(a["members"]), a["why"]) for a in document["alone"]]
        assert_totals(text, schedule, cohorts)


def assert_totals(text: str, schedule: dict, cohorts: list) -> None:
    """The figures an overview opens with, in any format (bold as ** or <strong>)."""
    plain = re.sub(r"</?strong>|\*\*", "", text)
    share = int(100 * schedule["grouped_hours"] / schedule["shareable_hours"] + 1e-9)
    assert f"{schedule['grouped_hours']:g} of {schedule['shareable_hours']:g} shareable learner hours taught in " \
           f"group sessions ({share}%)" in plain
    led = len(cohorts) - schedule["external_sessions"]
    external = sum(c["hours"] for c in cohorts if not c["facilitator"])
    assert (f"{len(cohorts)} group sessions: {led} led by team members ({schedule['facilitation_hours']:g} contact "
            f"hours), {schedule['external_sessions']} need an external facilitator ({external:g} contact hours to "
            "budget)") in plain
    assert (f"Delay against solo plans, in weeks: {round(schedule['mean_delay_weeks'], 2):g} on average, "
            f"{schedule['max_delay_weeks']} at most") in plain
    assert "Scheduled by the " in plain


def test_csv_rows_are_the_team_schedule(out, document):
    rows = list(csv.DictReader(io.StringIO((out / "assignments.csv").read_text(encoding="utf-8"))))
    start = dt.date.fromisoformat(document["team"]["start"])
    expected = [
        {"name": member["name"], "email": member["email"], "module": m["id"], "week": str(m["week"]),
         "end_week": str(m["end_week"]), "start_date": (start + dt.timedelta(weeks=m["week"] - 1)).isoformat(),
         "session": m["cohort"] or "", "activity_id": m["activity_id"], "status": m["status"]}
        for member in document["members"] for m in member["modules"]
    ]
    assert [{k: row[k] for k in expected[0]} for row in rows] == expected


def test_calendar_events_are_the_team_schedule(out, document):
    from icalendar import Calendar

    text = (out / "team.ics").read_bytes().decode("utf-8")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = Calendar.from_ical(text).walk("VEVENT")
    start = dt.date.fromisoformat(document["team"]["start"])
    monday = lambda week: start + dt.timedelta(weeks=week - 1)  # noqa: E731
    emails = {m["name"]: m["email"] for m in document["members"]}
    study = {str(e["summary"]): e for e in events if not str(e["summary"]).startswith("Group session")}
    sessions = {re.match(r"Group session (\S+):", str(e["description"])).group(1): e
                for e in events if str(e["summary"]).startswith("Group session")}
    assert len(study) + len(sessions) == len(events) == len({str(e["uid"]) for e in events})
    for member in document["members"]:
        for m in member["modules"]:
            event = study.pop(f"{member['name']}: {m['title']}")
            assert (event.decoded("dtstart"), event.decoded("dtend")) == (monday(m["week"]), monday(m["end_week"] + 1))
            assert str(event["attendee"]) == f"mailto:{member['email']}"
            if m["cohort"]:
                assert f"Group session {m['cohort']} in week {m['week']}" in str(event["description"])
    assert not study
    assert sorted(sessions) == sorted(c["id"] for c in document["cohorts"])
    for cohort in document["cohorts"]:
        event = sessions[cohort["id"]]
        assert event.decoded("dtstart") == monday(cohort["week"])
        assert event.decoded("dtend") == monday(cohort["week"] + 1)
        assert str(event["summary"]) == f"Group session: {cohort['title']} ({cohort['hours']:g} contact hours)"
        attendees = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
        assert [(a.params["CN"], str(a)) for a in attendees] == [
            (name, f"mailto:{emails[name]}") for name in cohort["attendees"]]
        if cohort["facilitator"]:
            organizer = event["organizer"]
            assert (organizer.params["CN"], str(organizer)) == (cohort["facilitator"],
                                                                f"mailto:{emails[cohort['facilitator']]}")
            assert f"Facilitator: {cohort['facilitator']}." in str(event["description"])
        else:
            assert "organizer" not in event and "Facilitator: external" in str(event["description"])


def test_wiki_team_pages_carry_the_same_sessions_and_totals(planned, document):
    from curriculum.render import team_document

    assert team_document(planned) == document  # the same plan as the command line's
    cohorts = document["cohorts"]
    dokuwiki = dict(dokuwiki_pages(Publication((), (planned,))))
    overview = dokuwiki["ml-upskilling/teams/payments-risk/start.txt"]
    rows = [line for line in overview.splitlines() if re.match(r"\| %%[a-z0-9-]+-\d+%% \|", line)]
    found = []
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split(" |")]
        found.append((cells[0].strip("%"), weeks(cells[2]), cells[5].replace("%%", ""),
                      cells[6].replace("%%", "").strip("/")))
    assert found == [(c["id"], (c["week"], c["end_week"]), ", ".join(c["attendees"]), c["facilitator"] or "external")
                     for c in cohorts]
    assert_totals(overview, document["schedule"], cohorts)

    confluence = dict(confluence_pages(Publication((), (planned,))))
    page = confluence["pages/teams/payments-risk/index.xml"]
    table = by_header(html_tables(page)["Group sessions"][0])
    assert [(r["Session"], weeks(r["Weeks"]), r["Attendees"], r["Facilitator"]) for r in table] == [
        (c["id"], (c["week"], c["end_week"]), ", ".join(c["attendees"]), c["facilitator"] or "external")
        for c in cohorts]
    assert_totals(page, document["schedule"], cohorts)

    # A member's wiki pages list their sessions in the same weeks.
    for member in document["members"]:
        pages = (dokuwiki[f"ml-upskilling/teams/payments-risk/{member['file']}.txt"],
                 confluence[f"pages/teams/payments-risk/{member['file']}.xml"])
        for m in member["modules"]:
            if m["cohort"]:
                span = str(m["week"]) if m["week"] == m["end_week"] else f"{m['week']}-{m['end_week']}"
                assert re.search(rf"\|  {span} \|  {m['solo_week']} \| %%{m['cohort']}%% \|", pages[0]), m["id"]
                assert f"<td>{span}</td><td>{m['solo_week']}</td><td>{m['cohort']}</td>" in pages[1]


# --- edges ------------------------------------------------------------------------------


@pytest.fixture
def small(catalog_dir):
    return catalog_dir(SMALL, name="small")


def write_team(folder: Path, members: list, **fields) -> Path:
    path = folder / "team.yaml"
    data = {"team": "Risk", "company_size": "medium", "start": dt.date(2027, 1, 11), "members": members, **fields}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_calendar_invites_only_who_has_an_email_and_names_the_others(tmp_path, small):
    from icalendar import Calendar

    members = [{"name": 'Zoë "Z" O^Brien, Jr.', "role": "ml-engineer", "email": "zoe@example.com"},
               {"name": "Ben; Okafor", "role": "ml-engineer"}, {"name": "Cy", "role": "ml-engineer"},
               {"name": "Dee", "role": "ml-engineer", "knows": ["python"], "email": "dee@example.com",
                "facilitation_hours_per_week": 4}]
    planned = team_plan(write_team(tmp_path, members), [small])[1]
    session = next(c for c in planned.cohorts if c.module.id == "python")
    assert session.facilitator == "Dee" and len(session.attendees) == 3
    event = next(e for e in Calendar.from_ical("".join(team_calendar(planned))).walk("VEVENT")
                 if f"Group session {session.id}:" in str(e["description"]))
    assert (event["organizer"].params["CN"], str(event["organizer"])) == ("Dee", "mailto:dee@example.com")
    attendee = event["attendee"]
    assert (attendee.params["CN"], str(attendee)) == ('Zoë "Z" O^Brien, Jr.', "mailto:zoe@example.com")
    assert "Not invited (no email address): Ben; Okafor, Cy." in str(event["description"])


def test_no_cohorts_leaves_solo_plans_and_says_so(tmp_path, small):
    members = [{"name": name, "role": "ml-engineer"} for name in ("Ana", "Ben", "Cy")]
    out = tmp_path / "out"
    assert main(["-q", "team", str(write_team(tmp_path, members)), "--modules", str(small), "--no-cohorts",
                 "-o", str(out), "--format", "md", "html", "json"]) == 0
    document = json.loads((out / "team.json").read_text(encoding="utf-8"))
    assert document["team"]["cohorts"] is None and document["cohorts"] == []
    assert all(m["cohort"] is None and m["solo_week"] == m["week"] for x in document["members"] for m in x["modules"])
    assert "Group sessions are off" in (out / "index.md").read_text(encoding="utf-8")
    assert "Your team schedule" not in (out / "ana.md").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((out / "assignments.csv").read_text(encoding="utf-8"))))
    assert {row["session"] for row in rows} == {""}


def test_the_cohort_settings_are_in_team_json(tmp_path, small):
    members = [{"name": name, "role": "ml-engineer"} for name in ("Ana", "Ben", "Cy")]
    cohorts = {"min_size": 2, "max_size": 5, "max_wait_weeks": 3}
    out = tmp_path / "out"
    assert main(["-q", "team", str(write_team(tmp_path, members, cohorts=cohorts)), "--modules", str(small),
                 "-o", str(out), "--format", "json"]) == 0
    document = json.loads((out / "team.json").read_text(encoding="utf-8"))
    assert {k: document["team"]["cohorts"][k] for k in cohorts} == cohorts
    assert set(document["team"]["cohorts"]) == {"min_size", "max_size", "max_wait_weeks", "max_delay_weeks",
                                                "session_hours"}


def test_every_json_field_is_documented_in_the_readme(out, document):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    syllabus = readme[readme.index("## JSON syllabus"):readme.index("### Team JSON")]
    team = readme[readme.index("### Team JSON"):readme.index("## Templates")]
    member = document["members"][0]
    for key in member["modules"][0]:
        assert f"`{key}`" in syllabus, key
    own = json.loads((out / f"{member['file']}.json").read_text(encoding="utf-8"))
    groups = [document, document["team"], document["team"]["cohorts"], document["schedule"], document["cohorts"][0],
              document["alone"][0], member["weekly_hours"][0], {k: v for k, v in member.items() if k not in own}]
    for group in groups:
        for key in group:
            assert re.search(rf"\b{key}\b", team), key


HOSTILE_NAMES = ["a | b ^ c", "</nowiki><html><script>alert(1)</script></html>", "50%% off %%", "<b>Bold</b> & co"]


def test_wiki_team_pages_keep_hostile_names_as_text(tmp_path, small):
    import xml.etree.ElementTree as ET

    members = [{"name": name, "role": "ml-engineer"} for name in HOSTILE_NAMES]
    planned = team_plan(write_team(tmp_path, members, team="<i>Risk</i> | ^"), [small])[1]
    attendees = {c.id: ", ".join(c.attendees) for c in planned.cohorts}
    assert attendees and all(len(c.attendees) == len(HOSTILE_NAMES) for c in planned.cohorts)

    overview = dict(dokuwiki_pages(Publication((), (planned,))))["ml-upskilling/teams/i-risk-i/start.txt"]
    header = next(line for line in overview.splitlines() if line.startswith("^ Session ^"))
    rows = [line for line in overview.splitlines() if line.split(" |")[0][4:-2] in attendees]
    assert len(rows) == len(attendees)
    for line in rows:  # names stay inside nowiki: no cell split, no markup
        outside = re.sub(r"%%.*?%%|<nowiki>%</nowiki>", "", line)
        assert outside.count("|") == header.count("^") and "<" not in outside, line

    page = dict(confluence_pages(Publication((), (planned,))))["pages/teams/i-risk-i/index.xml"]
    root = ET.fromstring('<page xmlns:ac="urn:ac" xmlns:ri="urn:ri">' + page + "</page>")
    cells = [[td.text or "" for td in tr.findall("td")] for tr in root.iter("tr")]
    assert {row[0]: row[5] for row in cells if row and row[0] in attendees} == attendees


def test_streamed_overview_and_csv_are_the_whole_pages(planned, monkeypatch):
    # The writer gets big pages in chunks; publishing targets get them whole: the same text.
    from curriculum import render
    from curriculum.exports import assignments_csv, assignments_csv_chunks
    from curriculum.render import make_environment, render_team

    monkeypatch.setattr(render, "STREAM_CHUNK", 4000)  # the sample's overview, in several chunks
    env = make_environment()
    whole = dict(render_team(env, planned, ["md", "html"]))
    streamed = {name: page if isinstance(page, str) else list(page)
                for name, page in render_team(env, planned, ["md", "html"], stream=True)}
    for name in ("index.md", "index.html"):
        chunks = streamed[name]
        assert "".join(chunks) == whole[name]
        assert len(chunks) > 1 and all(len(c) >= 4000 for c in chunks[:-1])
    rows = list(assignments_csv_chunks(planned))
    assert len(rows) > len(planned.plans) and "".join(rows) == assignments_csv(planned)


def test_a_template_mistake_in_the_streamed_overview_loses_nothing(tmp_path, small, capsys):
    members = [{"name": name, "role": "ml-engineer"} for name in ("Ana", "Ben", "Cy")]
    team_file, out = write_team(tmp_path, members), tmp_path / "out"
    assert main(["-q", "team", str(team_file), "--modules", str(small), "-o", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    templates = tmp_path / "templates"
    templates.mkdir()
    # Fails after the first chunks of the overview have been written.
    (templates / "team.md.j2").write_text(
        '{% extends "builtin/team.md.j2" %}{% block content %}{{ "x" * 200000 }}{{ team.no_such_field }}'
        '{% endblock %}', encoding="utf-8")
    capsys.readouterr()
    assert main(["-q", "team", str(team_file), "--modules", str(small), "-o", str(out),
                 "--templates", str(templates)]) == 1
    err = capsys.readouterr().err
    assert "template error in team.md.j2" in err and "no_such_field" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
