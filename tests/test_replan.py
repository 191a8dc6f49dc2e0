"""Re-planning a team from progress: what is done stays where it happened,
nothing new starts before the as-of week, the rules of a fresh plan hold
for the rest, and each member is measured against the baseline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum.cli import main
from curriculum.graph import check_graph
from curriculum.model import FINISHED, week_of
from curriculum.pipeline import TeamOptions, team_plan
from curriculum.progress import Entry, Progress
from curriculum.teamplan import plan_team

from .test_schedule import teams

EXAMPLES = Path(__file__).parents[1] / "examples"
SAMPLE = EXAMPLES / "payments-risk.yaml"
START = dt.date(2027, 1, 11)


def check_replanned(planned, baseline, graph, as_of: dt.date) -> None:
    """The rules of a re-planned team (README, "Progress and re-planning")."""
    team = planned.team
    as_of_week = week_of(team.start, as_of)
    members = {member.name: member for member, _ in planned.plans}
    steps = {m.name: {s.module.id: s for s in plan.steps} for m, plan in planned.plans}
    for name, mine in steps.items():
        study: dict[int, float] = {}
        for module_id, step in mine.items():
            assert abs(sum(h for _, h in step.hours_by_week) - step.module.hours) < 1e-9
            if step.status in FINISHED:
                assert step.done_date is not None and step.week == step.end_week
                assert step.week == min(week_of(team.start, step.done_date), as_of_week)
                continue
            # Nothing new before the as-of week.
            assert step.week >= as_of_week, (name, module_id)
            for week, hours in step.hours_by_week:
                study[week] = study.get(week, 0.0) + hours
            # A prerequisite still to do ends before or in the week the module starts.
            for prerequisite in graph.predecessors(module_id):
                before = mine.get(prerequisite)
                if before is not None and before.status not in FINISHED:
                    assert before.end_week <= step.week, (name, module_id, prerequisite)
        assert all(hours <= members[name].hours_per_week + 1e-9 for hours in study.values()), name
    past = [c for c in baseline.cohorts if c.week < as_of_week]
    assert list(planned.cohorts[:len(past)]) == past  # held sessions stay as they were
    rules = team.cohorts
    ids = [c.id for c in planned.cohorts]
    assert len(ids) == len(set(ids))
    for cohort in planned.cohorts[len(past):]:
        assert cohort.week >= as_of_week and rules.min_size <= len(cohort.attendees) <= rules.max_size
        for name in cohort.attendees:
            step = steps[name][cohort.module.id]
            assert step.week == cohort.week and step.cohort == cohort.id and step.status not in FINISHED
            for prerequisite in graph.predecessors(cohort.module.id):
                before = steps[name].get(prerequisite)
                if before is not None and before.status not in FINISHED:
                    assert before.end_week < cohort.week, (cohort.id, name, prerequisite)


@st.composite
def progress_cases(draw):
    catalog, team = draw(teams())
    team = dataclasses.replace(team, start=START)
    as_of = START + dt.timedelta(days=draw(st.integers(0, 120)))
    return catalog, team, as_of, draw(st.randoms(use_true_random=False))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(progress_cases())
def test_replanning_never_schedules_before_the_as_of_week_nor_breaks_a_prerequisite(case):
    catalog, team, as_of, rng = case
    graph, problems = check_graph(catalog)
    assert problems == []
    baseline = plan_team(catalog, graph, team)
    entries = {}
    for member, plan in baseline.plans:
        for step in plan.steps:  # any mix, not only what prerequisites allow
            status = rng.choice(["done", "tested-out", "in-progress", None, None])
            if status:
                date = START + dt.timedelta(days=rng.randint(-10, (as_of - START).days))
                entries[member.name, step.module.id] = Entry(member.name, step.module.id, status, date, "x")
    planned = plan_team(catalog, graph, team, progress=Progress(as_of, dict(sorted(entries.items()))))
    check_replanned(planned, baseline, graph, as_of)
    for member, plan in planned.plans:
        reported = {m: e for (name, m), e in entries.items() if name == member.name}
        assert {s.module.id: s.status for s in plan.steps} == {
            s.module.id: reported[s.module.id].status if s.module.id in reported else "planned" for s in plan.steps}


# --- the sample team -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    files = [EXAMPLES / "payments-risk-progress.csv", EXAMPLES / "payments-risk-statements.json"]
    as_of = dt.date(2027, 3, 10)
    _, baseline = team_plan(SAMPLE)
    loaded, planned = team_plan(SAMPLE, options=TeamOptions(progress_files=tuple(files), as_of=as_of))
    return loaded, baseline, planned, as_of


def test_the_sample_progress_replans_by_every_rule(sample):
    loaded, baseline, planned, as_of = sample
    check_replanned(planned, baseline, loaded.graph, as_of)
    done = [s for _, plan in planned.plans for s in plan.steps if s.status in FINISHED]
    assert len(done) > 40 and any(s.status == "tested-out" for s in done)
    assert any(s.status == "in-progress" for _, plan in planned.plans for s in plan.steps)


def test_standing_is_measured_against_the_baseline(sample):
    _, baseline, planned, as_of = sample
    before = {member.name: plan for member, plan in baseline.plans}
    for member, plan in planned.plans:
        standing = planned.progress[member.name]
        assert standing.done_hours == pytest.approx(sum(s.module.hours for s in plan.steps if s.status in FINISHED))
        gap = standing.planned_done_hours - standing.done_hours
        assert standing.status == ("behind" if gap >= member.hours_per_week else
                                   "ahead" if -gap >= member.hours_per_week else "on track")
        assert standing.weeks_behind == (int(gap // member.hours_per_week) if gap > 0 else 0)
        assert standing.baseline_end_date == before[member.name].end_date
        assert standing.forecast_end_date == plan.end_date
        assert standing.at_risk == ((plan.end_date - before[member.name].end_date).days > 28)
    statuses = {p.status for p in planned.progress.values()}
    assert "behind" in statuses and "on track" in statuses and any(p.at_risk for p in planned.progress.values())


def test_a_target_date_puts_late_forecasts_at_risk(tmp_path, sample):
    _, _, planned, as_of = sample
    text = SAMPLE.read_text(encoding="utf-8").replace("start: 2027-01-11", "start: 2027-01-11\ntarget_date: 2027-12-31")
    team_file = tmp_path / "team.yaml"
    team_file.write_text(text, encoding="utf-8")
    files = [EXAMPLES / "payments-risk-progress.csv", EXAMPLES / "payments-risk-statements.json"]
    _, targeted = team_plan(team_file, options=TeamOptions(progress_files=tuple(files), as_of=as_of))
    for member, plan in targeted.plans:
        standing = targeted.progress[member.name]
        assert standing.at_risk == (planned.progress[member.name].at_risk or plan.end_date > dt.date(2027, 12, 31))


def test_every_output_shows_the_replanned_weeks_and_progress(tmp_path):
    out = tmp_path / "out"
    args = ["-q", "team", str(SAMPLE), "--progress", str(EXAMPLES / "payments-risk-progress.csv"),
            "--progress", str(EXAMPLES / "payments-risk-statements.json"), "--as-of", "2027-03-10",
            "--format", "md", "html", "json"]
    assert main([*args, "-o", str(out)]) == 0
    document = json.loads((out / "team.json").read_text(encoding="utf-8"))
    assert document["as_of"] == "2027-03-10" and document["moved"]
    ana = next(m for m in document["members"] if m["name"] == "Ana Ruiz")
    done = [m for m in ana["modules"] if m["status"] == "done"]
    assert done and all(m["done_date"] and m["activity_id"] == f"urn:curriculum:module:{m['id']}" for m in done)
    assert set(ana["progress"]) == {"done_hours", "planned_done_hours", "status", "weeks_behind",
                                    "forecast_end_date", "baseline_end_date", "at_risk", "extra"}
    page = (out / "ana-ruiz.md").read_text(encoding="utf-8")
    assert f"✓ Done {done[0]['done_date']}" in page and "Progress as of 2027-03-10" in page
    html = (out / "ana-ruiz.html").read_text(encoding="utf-8")
    assert f"&#10003; Done {done[0]['done_date']}" in html
    index_md = (out / "index.md").read_text(encoding="utf-8")
    index_html = (out / "index.html").read_text(encoding="utf-8")
    # People at risk come first, in both overviews.
    first = min(document["members"], key=lambda m: (not m["progress"]["at_risk"], m["name"]))
    assert index_md.index("## Progress as of 2027-03-10") < index_md.index(f"[{first['name']}]")
    assert "| Week | Planned | Done | Forecast |" in index_md and "<polyline" in index_html
    move = document["moved"][0]
    assert f"week {move['from_week']} → week {move['to_week']}" in index_md
    # The same inputs give the same bytes.
    again = tmp_path / "again"
    assert main([*args, "-o", str(again)]) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {p.name: p.read_bytes() for p in again.iterdir()}


def test_replanning_needs_a_start_date(tmp_path):
    team_file = tmp_path / "team.csv"
    team_file.write_text("name,email,role\nAna,ana@example.com,ml-engineer\n", encoding="utf-8")
    progress = tmp_path / "p.csv"
    progress.write_text("name,email,module,status,date\nAna,,python-for-data,done,2027-01-20\n", encoding="utf-8")
    assert main(["-q", "team", str(team_file), "--size", "small", "--progress", str(progress),
                 "--as-of", "2027-03-01", "-o", str(tmp_path / "out")]) == 1


def test_calendars_update_events_instead_of_adding_them(tmp_path):
    from icalendar import Calendar

    def events(folder: Path, *extra: str) -> dict:
        assert main(["-q", "team", str(SAMPLE), *extra, "-o", str(folder), "--format", "json"]) == 0
        calendar = Calendar.from_ical((folder / "team.ics").read_bytes())
        found = {}
        for event in calendar.walk("VEVENT"):
            assert str(event["uid"]) not in found  # one event per person and module, or per session
            found[str(event["uid"])] = (int(event["sequence"]), event["dtstart"].dt, event["dtend"].dt,
                                        sorted(str(a) for a in event.get("attendee", []) or []))
        return found

    before = events(tmp_path / "before")
    after = events(tmp_path / "after", "--progress", str(EXAMPLES / "payments-risk-progress.csv"),
                   "--as-of", "2027-03-10")
    assert all(sequence == 0 for sequence, *_ in before.values())
    people = [uid for uid in after if uid in before]
    assert len(people) > len(after) / 2  # the same person and module keep their UID
    for uid, (sequence, *rest) in after.items():
        if uid in before and tuple(rest) == before[uid][1:]:
            assert sequence == 0, uid
        else:  # moved, or new: a higher sequence, so a calendar app replaces what it has
            assert sequence == week_of(START, dt.date(2027, 3, 10)), uid
    # Imported over the first, as a calendar app merges by UID and SEQUENCE: no duplicates, new dates win.
    merged = dict(before)
    for uid, event in after.items():
        if uid not in merged or event[0] > merged[uid][0]:
            merged[uid] = event
    assert len(merged) == len(before.keys() | after.keys())
    assert all(merged[uid] == after[uid] for uid in after)


def test_a_baseline_team_json_is_what_the_plan_is_measured_against(tmp_path):
    progress = ["--progress", str(EXAMPLES / "payments-risk-progress.csv")]

    def run(folder: str, *extra: str) -> dict:
        assert main(["-q", "team", str(SAMPLE), *extra, "-o", str(tmp_path / folder), "--format", "json"]) == 0
        return json.loads((tmp_path / folder / "team.json").read_text(encoding="utf-8"))

    run("first")
    default = run("default", *progress, "--as-of", "2027-03-10")
    # The plan without progress, given as a file, is the default baseline.
    assert run("given", *progress, "--as-of", "2027-03-10", "--baseline", str(tmp_path / "first" / "team.json")) \
        == default
    # Measured against the last re-plan, a week on, with nothing new done: only what that week moved.
    later = run("later", *progress, "--as-of", "2027-03-17", "--baseline", str(tmp_path / "default" / "team.json"))
    before = {(m["name"], x["id"]): x["week"] for m in default["members"] for x in m["modules"]}
    assert later["moved"] == [
        {"member": m["name"], "module": x["id"], "from_week": before[m["name"], x["id"]], "to_week": x["week"]}
        for m in later["members"] for x in sorted(m["modules"], key=lambda x: x["id"])
        if x["status"] == "planned" and before[m["name"], x["id"]] != x["week"]]
    for member in later["members"]:
        mine = next(m for m in default["members"] if m["name"] == member["name"])
        assert member["progress"]["baseline_end_date"] == mine["progress"]["forecast_end_date"]


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(schema_version=7), r"team.json: not a team.json from curriculum"),
    (lambda d: d["team"].update(start="2027-02-01"), r"the baseline's week 1 starts on 2027-02-01, the team's on 2027-01-11"),
    (lambda d: d["members"][1]["modules"][0].update(week="3"), r"members\[1\].modules\[0\].week: expected a week"),
    (lambda d: d["cohorts"][0].update(module="nope"), r"cohorts\[0\]: unknown module 'nope'"),
])
def test_a_broken_baseline_is_one_clear_error(tmp_path, capsys, change, message):
    assert main(["-q", "team", str(SAMPLE), "-o", str(tmp_path / "first"), "--format", "json"]) == 0
    document = json.loads((tmp_path / "first" / "team.json").read_text(encoding="utf-8"))
    change(document)
    baseline = tmp_path / "team.json"
    baseline.write_text(json.dumps(document), encoding="utf-8")
    capsys.readouterr()
    assert main(["-q", "team", str(SAMPLE), "--progress", str(EXAMPLES / "payments-risk-progress.csv"),
                 "--as-of", "2027-03-10", "--baseline", str(baseline), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
    assert not (tmp_path / "out").exists()


def test_a_module_done_before_one_it_builds_on_renders_everywhere(tmp_path, catalog_dir):
    from .conftest import SMALL

    small = catalog_dir(SMALL, name="small")
    team_file = tmp_path / "team.yaml"
    team_file.write_text("team: T\ncompany_size: medium\nstart: 2027-01-11\nmembers:\n"
                         + "".join(f"  - name: {n}\n    role: ml-engineer\n" for n in ("Ana", "Ben", "Cy")),
                         encoding="utf-8")
    progress = tmp_path / "p.csv"  # Ana did the baseline model without the cleaning it builds on
    progress.write_text("name,email,module,status,date\nAna,,baseline,done,2027-01-13\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "team", str(team_file), "--modules", str(small), "--progress", str(progress),
                 "--as-of", "2027-02-15", "-o", str(out), "--format", "md", "html", "json"]) == 0
    ana = next(m for m in json.loads((out / "team.json").read_text(encoding="utf-8"))["members"] if m["name"] == "Ana")
    weeks = {m["id"]: (m["week"], m["status"]) for m in ana["modules"]}
    assert weeks["baseline"] == (1, "done") and weeks["cleaning"][0] >= week_of(START, dt.date(2027, 2, 15))
    assert "Baseline" in (out / "ana.html").read_text(encoding="utf-8")


def test_a_replanned_solo_plan_starts_from_the_as_of_week(sample):
    loaded, _, planned, as_of = sample
    no_groups = dataclasses.replace(planned.team, cohorts=None)
    from curriculum.progress import read_progress

    progress = read_progress([EXAMPLES / "payments-risk-progress.csv", EXAMPLES / "payments-risk-statements.json"],
                             no_groups, loaded.catalog, as_of)
    alone = plan_team(loaded.catalog, loaded.graph, no_groups, progress=progress)
    for member, plan in alone.plans:
        # Alone, the team schedule is the solo plan: nothing differs, nobody is delayed by sessions.
        assert all(s.solo_week == s.week and not s.note for s in plan.steps), member.name
        assert alone.members[member.name].delay_weeks == 0
    # With sessions, "week alone" is that plan: the delay is what sessions cost from now on.
    for member, plan in planned.plans:
        mine = dict(alone.plans)[member]
        assert {s.module.id: s.week for s in mine.steps} == {s.module.id: s.solo_week for s in plan.steps}
        assert planned.members[member.name].delay_weeks == plan.weeks - mine.weeks


def test_people_who_left_since_the_baseline_stay_in_the_sessions_they_attended(tmp_path):
    first = tmp_path / "first"
    assert main(["-q", "team", str(SAMPLE), "-o", str(first), "--format", "json"]) == 0
    baseline = json.loads((first / "team.json").read_text(encoding="utf-8"))
    held = next(c for c in baseline["cohorts"] if c["week"] < week_of(START, dt.date(2027, 3, 10)))
    gone = held["attendees"][0]
    text = SAMPLE.read_text(encoding="utf-8")
    start = text.index(f"  - name: {gone}")
    end = text.find("  - name:", start + 1)
    team_file = tmp_path / "team.yaml"
    team_file.write_text(text[:start] + (text[end:] if end != -1 else ""), encoding="utf-8")
    progress = tmp_path / "progress.csv"  # their rows go too: an unknown person is an error
    rows = (EXAMPLES / "payments-risk-progress.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    progress.write_text("".join(r for r in rows if not r.startswith(f"{gone},")), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["-q", "team", str(team_file), "--progress", str(progress),
                 "--as-of", "2027-03-10", "--baseline", str(first / "team.json"), "-o", str(out),
                 "--format", "md", "html", "json"]) == 0
    document = json.loads((out / "team.json").read_text(encoding="utf-8"))
    assert gone not in {m["name"] for m in document["members"]}
    kept = next(c for c in document["cohorts"] if c["id"] == held["id"])
    assert kept["attendees"] == held["attendees"] and kept["week"] == held["week"]
    assert f"Not invited (no email address): {gone}" in (out / "team.ics").read_text(encoding="utf-8").replace(
        "\r\n ", "")
