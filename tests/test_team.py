import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
import yaml

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.schedule import CohortSettings
from curriculum.exports import assignments_csv, team_calendar
from curriculum.pipeline import TeamOptions, load, team_plan
from curriculum.limits import MAX_HOURS_PER_WEEK
from curriculum.team import MAX_EMAIL, MAX_NAME, member_slugs, read_team
from curriculum.model import Member

from .conftest import SMALL

START = dt.date(2027, 1, 11)


def member(name, role="ml-engineer", **fields):
    return {"name": name, "role": role, **fields}


@pytest.fixture
def small(catalog_dir):
    return catalog_dir(SMALL, name="small")


@pytest.fixture
def write_team(tmp_path):
    def write(members, name="team.yaml", **fields):
        data = {"team": "Risk", "company_size": "medium", "start": START, "members": members, **fields}
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path
    return write


def plan_of(team_file, small, **options):
    return team_plan(team_file, [small], TeamOptions(**options))[1]


def errors_of(path, small, **options) -> list[str]:
    with pytest.raises(CurriculumError) as info:
        read_team(path, load([small]).catalog, **options)
    return [str(p).replace(str(path.parent) + "/", "") for p in info.value.problems]


# --- reading --------------------------------------------------------------------


def test_reads_a_yaml_team(write_team, small):
    path = write_team([member("Ana", knows=["python"], hours_per_week=6), member("Ben", "software-engineer")],
                      hours_per_week=4, readiness={"ml_can_solve": "yes", "training_data": True, "business_critical": "no"})
    team = read_team(path, load([small]).catalog)
    assert (team.name, team.size, team.start) == ("Risk", "medium", START)
    assert [(m.name, m.role, m.knows, m.hours_per_week, m.line) for m in team.members] == [
        ("Ana", "ml-engineer", ("python",), 6.0, 5), ("Ben", "software-engineer", (), 4.0, 10),
    ]
    assert team.readiness == {"ml_can_solve": True, "training_data": True, "business_critical": False}


def test_reads_a_csv_team_with_size_and_start_from_the_command_line(tmp_path, small):
    path = tmp_path / "hr-export.csv"
    path.write_text("name,email,role,knows,goals,hours_per_week\n"
                    "Ana Ruiz,ana@example.com,ml-engineer,python;cleaning,,6\n"
                    "\n"
                    "Ben,,software-engineer,,platforms,\n", encoding="utf-8-sig")
    team = read_team(path, load([small]).catalog, size="large", start=START, hours_per_week=3)
    assert (team.name, team.size, team.start) == ("Hr export", "large", START)
    assert [(m.name, m.email, m.knows, m.goals, m.hours_per_week, m.line) for m in team.members] == [
        ("Ana Ruiz", "ana@example.com", ("python", "cleaning"), (), 6.0, 2),
        ("Ben", "", (), ("platforms",), 3.0, 4),
    ]


def test_reads_cohort_settings_and_facilitation_hours(write_team, small, tmp_path):
    path = write_team([member("Ana", facilitation_hours_per_week=3), member("Ben")],
                      cohorts={"min_size": 2, "max_size": 5, "max_wait_weeks": 1, "session_hours": 1.5})
    team = read_team(path, load([small]).catalog)
    assert team.cohorts == CohortSettings(min_size=2, max_size=5, max_wait_weeks=1, max_delay_weeks=3,
                                          session_hours=1.5)
    assert [m.facilitation_hours_per_week for m in team.members] == [3.0, None]
    assert read_team(path, load([small]).catalog, cohorts=False).cohorts is None  # --no-cohorts
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("name,role,facilitation_hours_per_week\nAna,ml-engineer,2.5\nBen,ml-engineer,\n")
    team = read_team(csv_path, load([small]).catalog, size="medium")
    assert [m.facilitation_hours_per_week for m in team.members] == [2.5, None]
    assert team.cohorts == CohortSettings()


@pytest.mark.parametrize("members, extra, expected", [
    ([member("Ana", "ml-enginer")], {}, ["team.yaml:5: Ana: unknown role 'ml-enginer' (did you mean 'ml-engineer'?)"]),
    ([member("Ana", knows=["pyton"])], {}, ["team.yaml:5: Ana: unknown known module 'pyton' (did you mean 'python'?)"]),
    ([member("Ana", goals=["nope"])], {}, ["team.yaml:5: Ana: unknown goal module 'nope'"]),
    ([member("Ana", rol="x")], {}, ["team.yaml:7: unknown field 'rol' (did you mean 'role'?)"]),
    ([member("Ana"), member("ana")], {}, ["team.yaml:7: duplicate member name 'ana' (first on line 5)"]),
    ([member("Ana", pairs_with=["Zed"])], {}, ["team.yaml:5: Ana: pairs_with names 'Zed', who is not in the team"]),
    ([member("Ana", hours_per_week="lots")], {}, ["team.yaml:7: 'members[0].hours_per_week' must be a number, not text ('lots')"]),
    ([member("Ana")], {"company_size": "huge"}, ["team.yaml:1: unknown company size 'huge'"]),
    ([member("Ana")], {"start": "next week"}, ["team.yaml:3: 'start': expected a date like 2027-01-11, got 'next week'"]),
    ([member("Ana")], {"start": "2027-02-29"}, ["team.yaml:3: 'start': '2027-02-29' is not a real date"]),
    ([member("Ana")], {"start": dt.date(2100, 1, 1)},
     ["team.yaml:3: 'start': 2100-01-01 is out of range: use a start date from 2000-01-01 to 2099-12-31"]),
    ([member("A" * 201)], {}, ["team.yaml:5: 'members[0].name' is too long (limit 200)"]),
    ([member("\x1b[2J")], {}, ["team.yaml:5: 'name' must not be empty (it has only control characters)"]),
    ([], {}, ["team.yaml:4: 'members' must not be empty"]),
    ([member("Ana")], {"cohorts": {"min_size": 6, "max_size": 4}},
     ["team.yaml:7: 'cohorts': min_size (6) is larger than max_size (4)"]),
    ([member("Ana")], {"cohorts": {"min_size": 1}}, ["team.yaml:8: 'cohorts.min_size' must be at least 2; got 1"]),
    ([member("Ana")], {"cohorts": {"max_wait": 2}},
     ["team.yaml:8: unknown field 'max_wait' (did you mean 'max_wait_weeks'?)"]),
    ([member("Ana", facilitation_hours_per_week=-1)], {},
     ["team.yaml:7: 'members[0].facilitation_hours_per_week' must be at least 0; got -1"]),
])
def test_yaml_errors_name_file_and_line(write_team, small, members, extra, expected):
    path = write_team(members, **extra)
    assert errors_of(path, small) == expected


@pytest.mark.parametrize("text, expected", [
    ("name,role,team\nAna,ml-engineer,x\n", ["t.csv:1: unknown column 'team'; expected name,email,role,knows,goals,hours_per_week,facilitation_hours_per_week"]),
    ("name,email\nAna,a@b.c\n", ["t.csv:1: missing column 'role'"]),
    ("name,role\nAna,ml-engineer\nBen,Data Engineer\n", ["t.csv:3: 'role' 'Data Engineer' is not a valid role id"]),
    ("name,role,hours_per_week\nAna,ml-engineer,-1\n", ["t.csv:2: 'hours_per_week' must be a number of hours from 0 to 168; got '-1'"]),
    ("name,role,knows\nAna,ml-engineer,python;../etc\n", ["t.csv:2: 'knows' has '../etc', which is not a valid module id"]),
    ("name,role\nAna,ml-engineer,extra\n", ["t.csv:2: row has 3 cells, the header 2"]),
    ("name,role\nAna,nobody\n", ["t.csv:2: Ana: unknown role 'nobody'"]),
    ("name,role\n", ["t.csv:1: no members in the file"]),
    ("name,role,name\nAna,ml-engineer,Ana\n", ["t.csv:1: column 'name' appears twice in the header (columns 1 and 3)"]),
    ('name,role,email\nAna,ml-engineer,"a\n@b"\n"Ben\nBenson","ml\nengineer"\n',
     ["t.csv:2: 'email' 'a\\n@b' is not an email address", "t.csv:4: 'role' 'ml\\nengineer' is not a valid role id"]),
    ('name,role\n"Ana,ml-engineer\nBen,ml-engineer\n', ["t.csv:2: invalid CSV: unexpected end of data"]),
    ("name,role\n" + "x" * 201 + ",ml-engineer\n", ["t.csv:2: 'name' is too long (limit 200)"]),
    ("name,email,role\nAna," + "a" * 300 + "@" + "b" * 20 + ",ml-engineer\n", ["t.csv:2: 'email' is too long (limit 320)"]),
    ("name,role,hours_per_week\nAna,ml-engineer,1e308\n",
     ["t.csv:2: 'hours_per_week' must be a number of hours from 0 to 168; got '1e308'"]),
    ("name,role\n\x1b[2J\x1b[H\x07,ml-engineer\n", ["t.csv:2: 'name' must not be empty"]),
    ("name email role\nAna ana@example.com ml-engineer\n",
     ["t.csv:1: the header 'name email role' has none of the columns "
      "name,email,role,knows,goals,hours_per_week,facilitation_hours_per_week; "
      "separate them with commas, semicolons, tabs or |"]),
    ("\nname,role\n", ["t.csv:1: the first line must be the header, naming the columns "
                       "name,email,role,knows,goals,hours_per_week,facilitation_hours_per_week"]),
])
def test_csv_errors_name_file_and_row(tmp_path, small, text, expected):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    assert errors_of(path, small, size="small") == expected


@pytest.mark.parametrize("text, encoding", [
    ("name;email;role;knows;goals;hours_per_week\nZoë Ruiz;zoe@example.com;ml-engineer;python,cleaning;;2,5\n"
     "Ben;;software-engineer;\"python;cleaning\";;\n", "utf-8"),  # European Excel
    ("name\temail\trole\tknows\tgoals\thours_per_week\nZoë Ruiz\tzoe@example.com\tml-engineer\tpython;cleaning\t\t2.5\n"
     "Ben\t\tsoftware-engineer\tpython;cleaning\t\t\n", "utf-8"),
    ("name|email|role|knows|goals|hours_per_week\nZoë Ruiz|zoe@example.com|ml-engineer|python;cleaning||2.5\n"
     "Ben||software-engineer|python;cleaning||\n", "utf-8"),
    ("name,email,role,knows,goals,hours_per_week\r\nZoë Ruiz,zoe@example.com,ml-engineer,python;cleaning,,2.5\r\n"
     "Ben,,software-engineer,python;cleaning,,\r\n", "utf-16"),  # Excel's "Unicode text", with a byte-order mark
    ("name,email,role,knows,goals,hours_per_week\nZoë Ruiz,zoe@example.com,ml-engineer,python;cleaning,,2.5\n"
     "Ben,,software-engineer,python;cleaning,,\n", "utf-8-sig"),
])
def test_csv_as_spreadsheets_export_it(tmp_path, small, text, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    team = read_team(path, load([small]).catalog, size="small")
    assert [(m.name, m.email, m.role, m.knows, m.hours_per_week, m.line) for m in team.members] == [
        ("Zoë Ruiz", "zoe@example.com", "ml-engineer", ("python", "cleaning"), 2.5, 2),
        ("Ben", "", "software-engineer", ("python", "cleaning"), 5.0, 3),
    ]


def test_a_schedule_too_long_names_the_person_and_line(write_team, small):
    path = write_team([member("Ana"), member("Ben", hours_per_week=1e-9)], hours_per_week=0.01)
    with pytest.raises(CurriculumError) as info:
        plan_of(path, small)
    assert [str(p).replace(str(path.parent) + "/", "") for p in info.value.problems] == [
        f"team.yaml:{line}: {name}: at {hours:g} hours per week this path of 21 hours takes over 520 weeks "
        "(ten years), the longest schedule planned: give at least 0.05 hours per week"
        for line, name, hours in ((5, "Ana", 0.01), (7, "Ben", 1e-9))
    ]


def test_names_lose_control_characters_and_terminal_escapes(tmp_path, small, write_team):
    csv_path = tmp_path / "t.csv"
    csv_path.write_text('name,role\n"Ana\x1b[31m R\x01uiz\x1b]0;title\x07",ml-engineer\n"\u202eBen\x9b2J",ml-engineer\n')
    yaml_path = write_team([member("Ana\x1b[31m R\x00uiz\x1b]0;title\x07", pairs_with=["\u202eBen\x9b2J"]),
                            member("\u202eBen\x9b2J")], team="Risk\x1b[5m")
    for path in (csv_path, yaml_path):
        team = read_team(path, load([small]).catalog, size="small")
        assert [m.name for m in team.members] == ["Ana Ruiz", "Ben"]
    assert team.name == "Risk" and team.members[0].pairs_with == ("Ben",)
    out = tmp_path / "out"
    assert main(["-q", "team", str(yaml_path), "--modules", str(small), "-o", str(out), "--format", "md", "html",
                 "json"]) == 0
    for page in out.iterdir():
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", page.read_text()), page.name


def test_csv_caps_names_as_the_yaml_schema_does():
    schema = json.loads((Path(__file__).parents[1] / "curriculum" / "schema" / "team.schema.json").read_text())
    properties = schema["$defs"]["member"]["properties"]
    assert (properties["name"]["maxLength"], properties["email"]["maxLength"]) == (MAX_NAME, MAX_EMAIL)
    assert schema["$defs"]["hours"]["maximum"] == MAX_HOURS_PER_WEEK


def test_csv_needs_a_company_size(tmp_path, small):
    path = tmp_path / "t.csv"
    path.write_text("name,role\nAna,ml-engineer\n")
    assert errors_of(path, small) == ["t.csv: no company size: set 'company_size' in the file or pass --size"]


def test_member_file_names_are_unique_slugs():
    members = [Member("Ana Ruiz", "x"), Member("Ana  Ruiz!", "x"), Member("Ñandú", "x"), Member("李雷", "x"),
               Member("Index", "x"), Member("../../etc", "x")]
    assert list(member_slugs(members).values()) == ["ana-ruiz", "ana-ruiz-2", "nandu", "member-4", "index-2", "etc"]


# --- planning -------------------------------------------------------------------


def test_each_member_gets_the_path_curriculum_path_would_give(write_team, small, tmp_path, capsys):
    path = write_team([member("Ana", knows=["python"], hours_per_week=3), member("Ben", "software-engineer")])
    out = tmp_path / "out"
    assert main(["team", str(path), "--modules", str(small), "-o", str(out), "--format", "md", "html", "json"]) == 0
    assert main(["path", "--role", "ml-engineer", "--size", "medium", "--knows", "python", "--hours-per-week", "3",
                 "--start", "2027-01-11", "--modules", str(small), "--format", "md", "-o", "-"]) == 0
    assert capsys.readouterr().out == "wrote 11 file(s) to " + str(out) + "/\n" + (out / "ana.md").read_text()
    names = sorted(p.name for p in out.iterdir())
    assert names == [".curriculum-manifest.json", "ana.html", "ana.json", "ana.md", "assignments.csv", "ben.html",
                     "ben.json", "ben.md", "index.html", "index.md", "team.ics", "team.json"]


def test_cohorts_meet_only_when_every_attendee_is_ready(write_team, small):
    # Ana already knows the basics, Ben and Cy do not: a session they share
    # waits until they have done what it needs.
    path = write_team([member("Ana", knows=["cleaning"], hours_per_week=2), member("Ben", hours_per_week=2),
                       member("Cy", hours_per_week=2)])
    planned = plan_of(path, small)
    assert any("Ana" in c.attendees and c.module.prerequisites for c in planned.cohorts)
    plans = {m.name: {s.module.id: s for s in p.steps} for m, p in planned.plans}
    for cohort in planned.cohorts:
        for name in cohort.attendees:
            steps = plans[name]
            ancestors = {a for a in steps if a in load_ancestors(small, cohort.module.id)}
            assert all(steps[a].end_week < cohort.week for a in ancestors), (cohort.module.id, name)
            assert steps[cohort.module.id].week == cohort.week and steps[cohort.module.id].cohort == cohort.id


def load_ancestors(small, module_id):
    from curriculum.graph import ancestors_of
    return ancestors_of(load([small]).graph, [module_id])


def test_cohort_savings(write_team, small):
    path = write_team([member("Ana"), member("Ben"), member("Cy")])
    planned = plan_of(path, small)
    shared = len(planned.plans[0][1].steps)  # three identical paths: every module is a cohort of 3
    assert len(planned.cohorts) == shared
    assert planned.separate_sessions == 3 * shared
    assert planned.separate_hours == 3 * planned.facilitator_hours


# --- structure advice --------------------------------------------------------------


def advice_codes(write_team, small, members, **fields):
    """The advice given, but T305: in these small teams nobody knows a module
    yet, so every session is external (T305 has tests of its own)."""
    return [a.code for a in plan_of(write_team(members, **fields), small).advice if a.code != "T305"]


def test_t305_every_session_external_although_a_researcher_is_on_the_team(write_team, small):
    # Nobody has time set aside to lead a session.
    members = [member(name, hours_per_week=2, facilitation_hours_per_week=0) for name in ("Ana", "Ben", "Cy")]
    members.append(member("Rae", "ml-researcher", hours_per_week=2, facilitation_hours_per_week=0))
    planned = plan_of(write_team(members), small)
    assert planned.cohorts and all(c.facilitator is None for c in planned.cohorts)
    assert "T305" in [a.code for a in planned.advice]
    # Rae knowing the basics lets her lead sessions: no T305.
    members[3] = member("Rae", "ml-researcher", hours_per_week=2, knows=["baseline"], facilitation_hours_per_week=4)
    planned = plan_of(write_team(members), small)
    assert any(c.facilitator == "Rae" for c in planned.cohorts)
    assert "T305" not in [a.code for a in planned.advice]


def test_t306_a_facilitator_at_the_limit_most_weeks(write_team, small):
    everything = sorted(SMALL)
    learners = [member(name, hours_per_week=2) for name in ("Ana", "Ben", "Cy")]
    expert = member("Vic", "ml-researcher", knows=everything, facilitation_hours_per_week=2)
    planned = plan_of(write_team(learners + [expert]), small)
    led = [c for c in planned.cohorts if c.facilitator == "Vic"]
    assert len(led) * 2 > max(p.weeks for _, p in planned.plans)
    advice = [a for a in planned.advice if a.code == "T306"]
    assert len(advice) == 1 and advice[0].message.startswith("Vic facilitates at the limit of their 2 h a week")
    # With room to spare there is no warning.
    expert["facilitation_hours_per_week"] = 6
    assert "T306" not in [a.code for a in plan_of(write_team(learners + [expert]), small).advice]


def test_t301_more_researchers_than_ml_engineers_at_medium_size(write_team, small):
    researchers = [member("R1", "ml-researcher"), member("R2", "ml-researcher", pairs_with=["E1"])]
    members = researchers + [member("E1"), member("E2", "software-engineer", pairs_with=["R1"])]
    assert advice_codes(write_team, small, members) == ["T301"]
    assert advice_codes(write_team, small, members, company_size="large") == []


def test_t302_unpaired_researcher_gets_a_suggested_partner(write_team, small):
    members = [member("Rae", "ml-researcher"), member("Eve"), member("Sam", "software-engineer")]
    planned = plan_of(write_team(members), small)
    (advice,) = [a for a in planned.advice if a.code != "T305"]
    assert advice.code == "T302" and advice.line == 5
    assert advice.message.startswith("Rae (researcher) is not paired with an engineer; suggest pairing with Eve (")


def test_t303_small_company_nobody_covers_deployment_and_monitoring(write_team, small):
    members = [member("Sam", "software-engineer")]  # first-slice has deployment, nobody has monitoring
    assert advice_codes(write_team, small, members, company_size="small") == ["T303"]
    assert advice_codes(write_team, small, members + [member("Eve")], company_size="small") == []


def test_t304_readiness_not_all_yes_adds_framing_for_the_manager(write_team, catalog_dir):
    catalog = catalog_dir({**SMALL, "ml-problem-framing": {"stage": "problem-framing"}}, name="with-framing")
    members = [member("Max", "engineering-manager"), member("Eve")]
    readiness = {"ml_can_solve": "yes", "training_data": "unsure", "business_critical": "yes"}
    planned = team_plan(write_team(members, readiness=readiness), [catalog])[1]
    (advice,) = planned.advice
    assert advice.code == "T304"
    assert advice.message == ("readiness questions not answered yes (Can we label or acquire training data?); "
                              "'ml-problem-framing' was added to the path of Max")
    plans = {m.name: p for m, p in planned.plans}
    assert "ml-problem-framing" in [s.module.id for s in plans["Max"].steps]
    assert "ml-problem-framing" not in [s.module.id for s in plans["Eve"].steps]


def test_overview_opens_with_the_readiness_warning(write_team, small, tmp_path):
    readiness = {"ml_can_solve": "no"}
    out = tmp_path / "out"
    assert main(["team", str(write_team([member("Eve")], readiness=readiness)), "--modules", str(small),
                 "-o", str(out)]) == 0
    overview = (out / "index.md").read_text()
    assert overview.split("\n\n")[2].startswith("> **Warning: before investing, answer the readiness questions.**")
    assert "> - Is this a problem ML can solve?" in overview
    assert 'role="alert"' in (out / "index.html").read_text()


def test_lint_flags_team_files(write_team, small, capsys):
    path = write_team([member("Rae", "ml-researcher"), member("Eve")])
    assert main(["lint", "--team", str(path), "--modules", str(small)]) == 0
    assert capsys.readouterr().out.startswith(f"{path}:5: warning T302: Rae (researcher) is not paired")
    assert main(["lint", "--strict", "--team", str(path), "--modules", str(small)]) == 1


# --- outputs ------------------------------------------------------------------------


def test_overview_shows_matrix_totals_milestones_and_cohorts(write_team, small, tmp_path):
    out = tmp_path / "out"
    path = write_team([member("Ana", hours_per_week=2), member("Ben", "software-engineer", hours_per_week=4)])
    assert main(["team", str(path), "--modules", str(small), "-o", str(out)]) == 0
    md = (out / "index.md").read_text()
    # Ana: 9 modules of 2 h and serve (3 h) at 2 h/week, pairing (medium companies only) inside her first
    # slice; Ben: 6 of 2 h and serve at 4 h/week.
    assert "| [Ana](ana.md) | ML engineer | 21 | 2 | week 9 | 11 | 2027-03-28 |" in md
    assert "| [Ben](ben.md) | Software engineer | 15 | 4 | week 4 | 4 | 2027-02-07 |" in md
    assert "| **Team** | | **36** | | | **11** | **2027-03-28** |" in md
    assert "| Serve | 6-7 | 3-4 |" in md  # the matrix: weeks 6-7 for Ana, 3-4 for Ben
    matrix = md[md.index("## Who does what"):]
    assert matrix.index("| Cleaning |") < matrix.index("| Baseline |")  # learning order, not alphabetical


def test_json_team_document(write_team, small, tmp_path):
    out = tmp_path / "out"
    path = write_team([member("Ana"), member("Ben"), member("Cy")])
    assert main(["team", str(path), "--modules", str(small), "-o", str(out), "--format", "json"]) == 0
    document = json.loads((out / "team.json").read_text())
    assert document["team"]["name"] == "Risk"
    ana = document["members"][0]
    assert ana["name"] == "Ana"
    assert {k: ana[k] for k in ("profile", "modules", "total_hours", "weeks")} == {
        k: json.loads((out / "ana.json").read_text())[k] for k in ("profile", "modules", "total_hours", "weeks")
    }
    cohort = document["cohorts"][0]
    assert set(cohort) >= {"module", "week", "attendees"} and cohort["attendees"] == ["Ana", "Ben", "Cy"]


def test_calendar_parses_with_a_standard_library(write_team, small):
    from icalendar import Calendar

    planned = plan_of(write_team([member("Ana", email="ana@example.com"), member("Ben")]), small)
    calendar = Calendar.from_ical("".join(team_calendar(planned)))
    events = calendar.walk("VEVENT")
    per_person = sum(len(p.steps) for _, p in planned.plans)
    assert len(events) == per_person + len(planned.cohorts)
    first = events[0]
    assert str(first["summary"]) == "Ana: Python"
    assert first.decoded("dtstart") == START and first.decoded("dtend") == START + dt.timedelta(weeks=1)
    assert str(first["attendee"]) == "mailto:ana@example.com"
    assert len({str(e["uid"]) for e in events}) == len(events)
    again = plan_of(write_team([member("Ana", email="ana@example.com"), member("Ben")]), small)
    assert "".join(team_calendar(planned)) == "".join(team_calendar(again))


def test_assignments_csv(write_team, small):
    planned = plan_of(write_team([member("=cmd|' /C calc'!A0"), member("Ben")]), small)
    rows = list(csv.DictReader(io.StringIO(assignments_csv(planned))))
    assert rows[0] == {"name": "'=cmd|' /C calc'!A0", "email": "", "module": "python", "title": "Python", "week": "1",
                       "end_week": "1", "start_date": "2027-01-11", "hours": "2", "session": "",
                       "activity_id": "urn:curriculum:module:python", "status": "planned"}
    assert len(rows) == sum(len(p.steps) for _, p in planned.plans)


def test_no_calendar_without_a_start_date(tmp_path, small, capsys):
    path = tmp_path / "t.csv"
    path.write_text("name,role\nAna,ml-engineer\n")
    out = tmp_path / "out"
    assert main(["team", str(path), "--size", "small", "--modules", str(small), "-o", str(out)]) == 0
    assert not (out / "team.ics").exists() and (out / "assignments.csv").exists()
    assert "no calendar written" in capsys.readouterr().err


def test_bad_team_file_writes_nothing(write_team, small, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["team", str(write_team([member("Ana", "nobody")])), "--modules", str(small), "-o", str(out)]) == 1
    assert not out.exists()
    assert capsys.readouterr().err.endswith("Ana: unknown role 'nobody'\n")


def test_progress_bar_is_silent_off_a_terminal(write_team, small, tmp_path, capsys):
    path = write_team([member(f"P{i}") for i in range(30)])
    assert main(["team", str(path), "--modules", str(small), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""


def test_progress_bar_shows_on_a_terminal(write_team, small, tmp_path, capsys, monkeypatch):
    import sys

    from curriculum import cli

    monkeypatch.setattr(cli, "PROGRESS_DELAY", 0)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    path = write_team([member(f"P{i}") for i in range(30)])
    assert main(["team", str(path), "--modules", str(small), "-o", str(tmp_path / "out")]) == 0
    assert "\rplanning: " in capsys.readouterr().err


def test_default_output_folder_is_named_after_the_team(write_team, small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_team([member("Ana")], team="Payments / Risk ../..")
    assert main(["team", str(path), "--modules", str(small)]) == 0
    assert (tmp_path / "output" / "teams" / "payments-risk" / "index.html").is_file()


def test_sample_team_builds(capsys, tmp_path):
    from pathlib import Path

    sample = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"
    assert main(["team", str(sample), "-o", str(tmp_path / "out")]) == 0
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"index.md", "index.html", "team.ics", "assignments.csv", "grace-liu.md", "ana-ruiz.html"} <= names
    assert len([n for n in names if n.endswith(".md")]) == 13  # 12 people and the overview


def test_calendar_escapes_and_folds_hostile_text(write_team, small):
    from icalendar import Calendar

    name = "Zoë; O'Brien, \\ the \"first\" BEGIN:VEVENT " + "long " * 30
    planned = plan_of(write_team([member(name), member("Ben")]), small)
    text = "".join(team_calendar(planned))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    first = Calendar.from_ical(text).walk("VEVENT")[0]
    assert str(first["summary"]) == f"{name.strip()}: Python"
    # Module text may hold newlines: escaped, never a new property line.
    from curriculum.exports import _text
    assert _text("a\nEND:VCALENDAR") == "a\\nEND:VCALENDAR"


def test_a_department_sized_yaml_file_is_accepted(write_team, small):
    # Larger than a module file may be (1 MiB): 12,000 people.
    path = write_team([member(f"Person number {i:05d}", knows=["python"], hours_per_week=4) for i in range(12000)])
    assert path.stat().st_size > 1024 * 1024
    assert len(read_team(path, load([small]).catalog).members) == 12000


def test_old_module_ids_in_yaml_and_csv_team_files_name_the_module_that_replaces_them(
        catalog_dir, write_team, tmp_path):
    catalog = catalog_dir(SMALL | {"boosting": {**SMALL["boosting"], "replaces": ["xgboost"]}})
    yaml_path = write_team([member("Ana", "engineering-manager", goals=["xgboost"], knows=["python"]),
                            member("Ben", knows=["xgboost", "boosting"])])
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("name,role,knows,goals\nAna,engineering-manager,python,xgboost\nBen,ml-engineer,xgboost;boosting,\n")
    for path in (yaml_path, csv_path):
        team = read_team(path, load([catalog]).catalog, size="medium")
        assert [(m.knows, m.goals) for m in team.members] == [(("python",), ("boosting",)), (("boosting",), ())]
        planned = team_plan(path, [catalog], TeamOptions(size="medium"))[1]
        (ana, ana_plan), (ben, ben_plan) = planned.plans
        assert "boosting" in [s.module.id for s in ana_plan.steps]
        assert "boosting" not in [s.module.id for s in ben_plan.steps]


def test_team_members_of_a_role_get_what_it_assumes(catalog_dir, write_team):
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["baseline"]}]}
    catalog = catalog_dir(SMALL, settings)
    planned = plan_of(write_team([member("Ana"), member("Ben", goals=["baseline"]), member("Cy", "software-engineer")]),
                      catalog)
    assumed = {m.name: [a.id for a in plan.assumed] for m, plan in planned.plans}
    assert assumed == {"Ana": ["python", "cleaning", "baseline"], "Ben": [], "Cy": []}
