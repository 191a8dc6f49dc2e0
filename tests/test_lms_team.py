"""The team targets for an LMS: Degreed's required-learning CSV, due when the
schedule ends each module, and Open Badges 3.0 achievements and credentials,
valid against the OB 3.0 JSON Schema (lms-formats/openbadges). Checked on the
sample team, on teams over the Metacademy and OSSU catalogs, and on the
hostile corpus."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft201909Validator

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.model import FINISHED
from curriculum.pipeline import TeamOptions, all_plans, publish, team_plan
from curriculum.publish import Publication, collect_pages, publish_pages, team_folders
from curriculum.text import one_line

from .test_xss import COMMONMARK, PAYLOADS, dangers, hostile_catalog

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SAMPLE = EXAMPLES / "payments-risk.yaml"
SAMPLE_AS_OF = dt.date(2027, 3, 10)  # the as-of date the sample progress is read at (test_replan)
DEGREED_HEADER = "UserID,CourseID,DueDate,Delete,ContentType,Provider"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_progress(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("name", "email", "module", "status", "date"))
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def planned_team(tmp_path: Path, team: dict, progress: list[tuple], as_of: dt.date, modules: list[Path] = ()):
    """A team written inline and re-planned from inline progress rows."""
    team_file = tmp_path / "team.yaml"
    team_file.write_text(yaml.safe_dump(team, sort_keys=False, allow_unicode=True), encoding="utf-8")
    progress_file = write_progress(tmp_path / "progress.csv", progress)
    return team_plan(team_file, list(modules), TeamOptions(progress_files=(progress_file,), as_of=as_of))


def pages_of(target: str, loaded, teams, plans=None) -> dict[str, str]:
    plans = all_plans(loaded, hours_per_week=10) if plans is None else plans
    return collect_pages(publish_pages(target, Publication(tuple(plans), tuple(teams), loaded.catalog)))


# --- the OB 3.0 schema, with format checking ------------------------------------------------------


@pytest.fixture(scope="module")
def validators(third_party):
    schema = json.loads((third_party / "lms-formats" / "openbadges" / "docs" / "schema" /
                         "achievementcredential.json").read_text(encoding="utf-8"))
    Draft201909Validator.check_schema(schema)
    checker = Draft201909Validator.FORMAT_CHECKER
    # Without rfc3339-validator installed, jsonschema skips date-time silently.
    assert not checker.conforms("2027-03-09", "date-time") and checker.conforms("2027-03-09T00:00:00Z", "date-time")
    achievement = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/Achievement"}
    return (Draft201909Validator(achievement, format_checker=checker),
            Draft201909Validator(schema, format_checker=checker))


def check_open_badges(pages: dict[str, str], validators) -> tuple[dict[str, dict], dict[str, dict]]:
    """Every file valid (achievements standalone and inside credentials);
    returns the achievements by module id and the credentials by path."""
    achievement_validator, credential_validator = validators
    achievements, credentials = {}, {}
    for path, text in pages.items():
        document = json.loads(text)  # strict: a raw control character in a string fails
        if path.startswith("achievements/"):
            achievement_validator.validate(document)
            achievements[path.removeprefix("achievements/").removesuffix(".json")] = document
        else:
            assert path.startswith("teams/"), path
            credential_validator.validate(document)
            achievement_validator.validate(document["credentialSubject"]["achievement"])
            credentials[path] = document
    for path, document in credentials.items():
        module_id = path.rsplit("/", 1)[1].removesuffix(".json")
        standalone = {key: value for key, value in achievements[module_id].items() if key != "@context"}
        assert document["credentialSubject"]["achievement"] == standalone
        assert "proof" not in document and document["issuer"]["id"] == "urn:example:issuer"
    return achievements, credentials


def read_degreed(text: str) -> list[dict[str, str]]:
    assert text.startswith(DEGREED_HEADER + "\r\n") and text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == 6 for row in rows)
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def check_degreed_schedule(text: str, team) -> None:
    """One row per member and module still to do, due on the last day of the
    module's last scheduled week, in Degreed's YYYYMMDD."""
    expected = []
    for member, plan in team.plans:
        for step in plan.steps:
            if step.status not in FINISHED:
                last_day = team.team.start + dt.timedelta(days=7 * step.end_week - 1)
                expected.append((member.email, plan.activity_base + step.module.id, last_day))
    rows = read_degreed(text)
    assert [(row["UserID"], row["CourseID"], dt.datetime.strptime(row["DueDate"], "%Y%m%d").date())
            for row in rows] == expected
    assert all(len(row["DueDate"]) == 8 and row["DueDate"].isdigit() for row in rows)
    assert {(row["Delete"], row["ContentType"], row["Provider"]) for row in rows} == {("N", "Course", "")}


# --- the sample team ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample team and its progress, plus Ana finishing Capstone 1 and
    Chen testing out of it."""
    extra = write_progress(tmp_path_factory.mktemp("progress") / "capstones.csv", [
        ("Ana Ruiz", "ana@example.com", "end-to-end-first-slice", "done", "2027-03-09"),
        ("Chen Wei", "chen@example.com", "end-to-end-first-slice", "tested-out", "2027-03-10"),
    ])
    loaded, planned = team_plan(SAMPLE, options=TeamOptions(
        progress_files=(EXAMPLES / "payments-risk-progress.csv", extra), as_of=SAMPLE_AS_OF))
    return loaded, planned


def test_degreed_assigns_each_module_left_due_at_the_end_of_its_last_week(sample):
    loaded, planned = sample
    pages = pages_of("degreed", loaded, [planned])
    assert list(pages) == ["teams/payments-risk/degreed-required-learning.csv"]
    text = pages["teams/payments-risk/degreed-required-learning.csv"]
    check_degreed_schedule(text, planned)
    rows = read_degreed(text)
    # The team starts on a Monday: every module is due on a Sunday.
    assert {dt.datetime.strptime(row["DueDate"], "%Y%m%d").date().weekday() for row in rows} == {6}
    ana = {row["CourseID"] for row in rows if row["UserID"] == "ana@example.com"}
    assert "urn:curriculum:module:end-to-end-first-slice" not in ana  # done
    assert "urn:curriculum:module:error-analysis" in ana  # in progress: still assigned


def test_open_badges_for_the_sample_team_are_valid_and_name_members_by_hashed_email(sample, validators):
    loaded, planned = sample
    pages = pages_of("open-badges", loaded, [planned])
    achievements, credentials = check_open_badges(pages, validators)
    capstones = {m.id for m in loaded.catalog.modules.values() if "capstone" in m.tags}
    assert set(achievements) == capstones
    first = achievements["end-to-end-first-slice"]
    module = loaded.catalog.modules["end-to-end-first-slice"]
    assert first["criteria"]["narrative"].startswith("A reviewer clones the repository and runs `make all`")
    assert first["alignment"][0]["targetUrl"] == "urn:curriculum:module:end-to-end-first-slice"
    assert first["name"] == module.title and first["description"] == module.summary
    assert set(credentials) == {"teams/payments-risk/ana-ruiz/end-to-end-first-slice.json",
                                "teams/payments-risk/chen-wei/end-to-end-first-slice.json"}
    for path, email, day in (("ana-ruiz", "ana@example.com", "2027-03-09"),
                             ("chen-wei", "chen@example.com", "2027-03-10")):
        document = credentials[f"teams/payments-risk/{path}/end-to-end-first-slice.json"]
        assert document["validFrom"] == f"{day}T00:00:00Z"
        [identity] = document["credentialSubject"]["identifier"]
        assert identity["identityType"] == "emailAddress" and identity["hashed"] is True
        digest = hashlib.sha256((email + identity["salt"]).encode("utf-8")).hexdigest()
        assert identity["identityHash"] == f"sha256${digest}"
        assert email not in json.dumps(document)


SMALL_TEAM = {"team": "Two of Us", "company_size": "small", "start": "2027-01-11",
              "members": [{"name": "Ana", "email": "ana@example.com", "role": "ml-engineer"},
                          {"name": "Ben", "email": "ben@example.com", "role": "software-engineer"}]}


def test_without_progress_publish_writes_achievements_only_and_the_same_bytes_every_run(tmp_path, validators):
    team_file = tmp_path / "team.yaml"
    team_file.write_text(yaml.safe_dump(SMALL_TEAM), encoding="utf-8")
    for target in ("degreed", "open-badges"):
        runs = []
        for run in ("one", "two"):
            out, written, _ = publish(target, out_dir=tmp_path / target / run, team_files=[team_file])
            runs.append({name: (out / name).read_bytes() for name in written})
        assert runs[0] == runs[1] and runs[0]
    achievements, credentials = check_open_badges({name: text.decode() for name, text in runs[1].items()}, validators)
    assert achievements and not credentials


def test_credentials_are_the_same_bytes_every_run(sample):
    loaded, planned = sample
    first, second = pages_of("open-badges", loaded, [planned]), pages_of("open-badges", loaded, [planned])
    assert first == second and any("/ana-ruiz/" in path for path in first)


# --- clear errors ---------------------------------------------------------------------------------


def test_degreed_without_a_team_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(CurriculumError, match="degreed needs --team"):
        publish("degreed", out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["publish", "--target", "degreed", "-o", str(tmp_path / "cli")]) == 1
    err = capsys.readouterr().err
    assert "degreed needs --team" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_degreed_needs_a_start_date(tmp_path):
    team_file = tmp_path / "team.yaml"
    team_file.write_text("team: No Date\ncompany_size: small\nmembers:\n"
                         "  - name: Ana\n    email: ana@example.com\n    role: ml-engineer\n", encoding="utf-8")
    loaded, planned = team_plan(team_file)
    with pytest.raises(CurriculumError, match="start date") as error:
        pages_of("degreed", loaded, [planned], plans=[])
    assert str(error.value).startswith(f"{team_file}: ") and "--start" in str(error.value)


def test_members_without_an_email_are_named_with_their_line(tmp_path, sample):
    team_file = tmp_path / "team.yaml"
    team_file.write_text("team: Half Known\ncompany_size: small\nstart: 2027-01-11\nmembers:\n"
                         "  - name: Ana\n    email: ana@example.com\n    role: ml-engineer\n"
                         "  - name: Ben\n    role: ml-engineer\n", encoding="utf-8")
    loaded, planned = team_plan(team_file)
    with pytest.raises(CurriculumError, match="Ben: no email") as error:
        pages_of("degreed", loaded, [planned], plans=[])
    assert str(error.value).startswith(f"{team_file}:8: ")
    progress = write_progress(tmp_path / "p.csv", [("Ben", "", "end-to-end-first-slice", "done", "2027-02-01")])
    loaded, planned = team_plan(team_file, options=TeamOptions(progress_files=(progress,), as_of=dt.date(2027, 3, 1)))
    with pytest.raises(CurriculumError, match="Ben: no email") as error:
        pages_of("open-badges", loaded, [planned], plans=[])
    assert str(error.value).startswith(f"{team_file}:8: ")


# --- real third-party catalogs ------------------------------------------------------------------------


def test_metacademy_team_badges_its_final_modules_and_gets_degreed_dates(tmp_path, third_party, validators):
    team = {"team": "Research Guild", "company_size": "small", "start": "2027-01-04", "hours_per_week": 10,
            "members": [{"name": "Ada Lovelace", "email": "ada@example.com", "role": "ml-engineer"},
                        {"name": "Bo Chen", "email": "bo@example.com", "role": "ml-researcher"}]}
    progress = [("Ada Lovelace", "ada@example.com", "k-means", "done", "2027-02-01"),
                ("Bo Chen", "bo@example.com", "cross-validation", "tested-out", "2027-02-15")]
    loaded, planned = planned_team(tmp_path, team, progress, dt.date(2027, 3, 1),
                                   [third_party / "metacademy_content" / "modules"])
    check_third_party(loaded, planned, validators, {
        "teams/research-guild/ada-lovelace/k-means.json",
        "teams/research-guild/bo-chen/cross-validation.json",
    })


def test_ossu_team_badges_its_final_modules_and_gets_degreed_dates(tmp_path, third_party, validators):
    team = {"team": "Platform", "company_size": "medium", "start": "2027-01-04", "hours_per_week": 10,
            "members": [{"name": "Cy Young", "email": "cy@example.com", "role": "software-engineer"}]}
    progress = [("Cy Young", "cy@example.com", "compilers", "done", "2027-02-20")]
    loaded, planned = planned_team(tmp_path, team, progress, dt.date(2027, 3, 1),
                                   [third_party / "ossu_cs" / "modules"])
    check_third_party(loaded, planned, validators, {"teams/platform/cy-young/compilers.json"})


def check_third_party(loaded, planned, validators, expected_credentials: set[str]) -> None:
    """No capstones in these catalogs: each path's milestones are the modules
    nothing else on it builds on."""
    assert not any(m.is_milestone for m in loaded.catalog.modules.values())
    plans = [plan for _, plan in planned.plans]
    achievements, credentials = check_open_badges(pages_of("open-badges", loaded, [planned], plans=plans), validators)
    final = {step.module.id for plan in plans for step in plan.steps
             if not any(step.module.id in other.module.prerequisites for other in plan.steps)}
    assert set(achievements) == final
    assert set(credentials) == expected_credentials
    for module_id, document in achievements.items():
        # No assessment or exercise in these catalogs: finishing the module is the criterion.
        shown = html.unescape(COMMONMARK.render(document["criteria"]["narrative"]))
        assert f"Finish the module {loaded.catalog.modules[module_id].title}." in shown
    [folder] = team_folders([planned])
    check_degreed_schedule(pages_of("degreed", loaded, [planned], plans=plans)[
        f"teams/{folder}/degreed-required-learning.csv"], planned)


# --- hostile input ---------------------------------------------------------------------------------


def hostile_email(index: int) -> str:
    """A valid address that a spreadsheet would read as a formula, but one in four."""
    return ["=HYPERLINK(\"https://evil.example\")", "+1+", "-2+", "plain"][index % 4] + f"{index}@example.org"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The XSS corpus in every module field (every module a capstone), a team
    named with payloads whose emails start with formula characters, and
    progress finishing the first module."""
    root = tmp_path_factory.mktemp("hostile")
    catalog = hostile_catalog(root / "catalog")
    members = [{"name": f"{index} {payload}", "role": "xss-role", "email": hostile_email(index)}
               for index, payload in enumerate(PAYLOADS[:8])]
    team = {"team": PAYLOADS[0], "company_size": "small", "start": "2027-01-11", "members": members}
    progress = [(member["name"], member["email"], "xss-0", "done", "2027-01-15") for member in members]
    loaded, planned = planned_team(root, team, progress, dt.date(2027, 2, 1), [catalog])
    return loaded, planned


def test_hostile_text_cannot_inject_into_degreed(hostile):
    loaded, planned = hostile
    [text] = pages_of("degreed", loaded, [planned], plans=all_plans(loaded)).values()
    rows = read_degreed(text)
    assert rows and all(not cell.startswith(FORMULA_PREFIXES) for row in rows for cell in row.values())
    # A defused address keeps its text after the apostrophe, as OWASP advises.
    assert {row["UserID"] for row in rows} == {
        ("" if email.startswith("plain") else "'") + email for email in map(hostile_email, range(8))}


def test_hostile_text_cannot_inject_into_open_badges(hostile, validators):
    loaded, planned = hostile
    plans = all_plans(loaded)
    pages = pages_of("open-badges", loaded, [planned], plans=plans)
    achievements, credentials = check_open_badges(pages, validators)
    assert set(achievements) == {f"xss-{index}" for index in range(len(PAYLOADS))}
    assert len(credentials) == len(planned.plans)
    # Folders and file names come from slugs and module ids, never from the text.
    assert all(re.fullmatch(r"(achievements|teams/[a-z0-9-]+/[a-z0-9-]+)/xss-[0-9]+\.json", path)
               for path in pages)
    for module_id, document in achievements.items():
        module = loaded.catalog.modules[module_id]
        # Text fields hold the module's text as one plain line, escaped only by JSON.
        assert document["name"] == one_line(module.title) and document["description"] == one_line(module.summary)
        # The narrative is Markdown: rendered with raw HTML on, nothing can run.
        assert not dangers(COMMONMARK.render(document["criteria"]["narrative"])), module_id
