"""Reading progress: CSV exports and xAPI statements, matched to members and
modules, merged so that the latest word wins; bad rows say where they are."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

import pytest

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.model import Member, Team
from curriculum.pipeline import load
from curriculum.progress import read_progress

from .conftest import SMALL

AS_OF = dt.date(2027, 3, 1)
TEAM = Team(name="T", size="medium", start=dt.date(2027, 1, 11), members=(
    Member("Ana Ruiz", "ml-engineer", email="Ana@Example.com"),
    Member("Ben Okafor", "ml-engineer", email="ben@example.com"),
    Member("Cy", "ml-engineer"),
))


@pytest.fixture
def catalog(catalog_dir):
    modules = {**SMALL, "serve": {**SMALL["serve"], "replaces": ["serving-basics"]}}
    return load([catalog_dir(modules)]).catalog


def write_csv(folder: Path, *rows: str, name: str = "progress.csv") -> Path:
    path = folder / name
    path.write_text("name,email,module,status,date\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def statement(verb: str, module: str, when: str, actor: dict | None = None, **extra) -> dict:
    return {"actor": actor or {"mbox": "mailto:ben@example.com"},
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
            "object": {"id": f"urn:curriculum:module:{module}"}, "timestamp": when, **extra}


def write_json(folder: Path, document, name: str = "statements.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def entries(progress) -> dict:
    return {key: (e.status, e.date.isoformat()) for key, e in progress.entries.items()}


# --- CSV -----------------------------------------------------------------------------


def test_csv_rows_match_people_by_email_then_name_and_the_latest_row_wins(tmp_path, catalog):
    path = write_csv(
        tmp_path,
        "Somebody Else,ANA@example.COM,python,done,2027-01-20",  # the email decides, not the name
        "  cy ,,python,in-progress,2027-01-20",  # no email: the name, spaces and case aside
        "Cy,,python,done,2027-02-01",
        "Cy,,python,done,2027-02-01",  # a duplicate changes nothing
        "Ben Okafor,ben@example.com,cleaning,done,2027-02-10",
        "Ben Okafor,ben@example.com,cleaning,in-progress,2027-02-03",  # older, though later in the file
    )
    progress = read_progress([path], TEAM, catalog, AS_OF)
    assert entries(progress) == {
        ("Ana Ruiz", "python"): ("done", "2027-01-20"),
        ("Ben Okafor", "cleaning"): ("done", "2027-02-10"),
        ("Cy", "python"): ("done", "2027-02-01"),
    }
    assert progress.entries[("Cy", "python")].where == f"{path}:5"  # of two equal rows, the later


def test_an_unknown_person_is_an_error_naming_file_and_row_and_all_are_reported(tmp_path, catalog):
    path = write_csv(tmp_path, "Ana Ruiz,,python,done,2027-01-20", "Dee,dee@example.com,python,done,2027-01-20",
                     "Ana Ruiz,,python,finished,2027-01-20", "Ana Ruiz,,python,done,20.1.2027")
    with pytest.raises(CurriculumError) as info:
        read_progress([path], TEAM, catalog, AS_OF)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:3: no team member matches 'dee@example.com' or 'Dee'",
        f"{path}:4: status 'finished' is not one of done, tested-out, in-progress",
        f"{path}:5: date '20.1.2027' is not a date like 2027-03-01",
    ]


def test_a_csv_without_the_columns_says_which_are_missing(tmp_path, catalog):
    path = tmp_path / "p.csv"
    path.write_text("name,module,status\nAna Ruiz,python,done\n", encoding="utf-8")
    with pytest.raises(CurriculumError, match=r"p.csv:1: the header must name the columns .*missing email, date"):
        read_progress([path], TEAM, catalog, AS_OF)


def test_unknown_modules_are_skipped_with_a_suggestion_and_renamed_ones_map(tmp_path, catalog, caplog):
    path = write_csv(tmp_path, "Ana Ruiz,,pyhton,done,2027-01-20", "Ben Okafor,,pyhton,done,2027-01-21",
                     "Ana Ruiz,,serving-basics,done,2027-02-01")
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        progress = read_progress([path], TEAM, catalog, AS_OF)
    assert entries(progress) == {("Ana Ruiz", "serve"): ("done", "2027-02-01")}
    assert f"{path}:2: unknown module 'pyhton' (2 times) (did you mean 'python'?): skipped" in caplog.messages


def test_progress_after_the_as_of_date_is_ignored_with_a_warning(tmp_path, catalog, caplog):
    path = write_csv(tmp_path, "Ana Ruiz,,python,done,2027-03-01", "Ana Ruiz,,cleaning,done,2027-03-02")
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        progress = read_progress([path], TEAM, catalog, AS_OF)
    assert list(progress.entries) == [("Ana Ruiz", "python")]
    assert "1 progress statement(s) dated after 2027-03-01 ignored" in caplog.messages


# --- xAPI ----------------------------------------------------------------------------


def test_xapi_actors_match_by_mbox_sha1_or_account_and_verbs_give_statuses(tmp_path, catalog):
    sha1 = hashlib.sha1(b"mailto:ben@example.com").hexdigest()
    document = {"statements": [
        statement("completed", "python", "2027-01-20T10:00:00Z", {"mbox": "mailto:ana@example.com"}),
        statement("passed", "cleaning", "2027-01-27T10:00:00+01:00", {"mbox_sha1sum": sha1}),
        statement("launched", "baseline", "2027-02-01T09:00:00.000Z", {"account": {"homePage": "https://lms",
                                                                                  "name": "ben@example.com"}}),
        statement("commented", "serve", "2027-02-01T09:00:00Z"),  # says nothing about progress
    ], "more": "/xapi/statements?more=abc"}
    progress = read_progress([write_json(tmp_path, document)], TEAM, catalog, AS_OF)
    assert entries(progress) == {
        ("Ana Ruiz", "python"): ("done", "2027-01-20"),
        ("Ben Okafor", "baseline"): ("in-progress", "2027-02-01"),
        ("Ben Okafor", "cleaning"): ("done", "2027-01-27"),
    }


def test_a_later_failed_cancels_done_and_voided_statements_do_not_count(tmp_path, catalog):
    statements = [
        statement("passed", "python", "2027-01-20T10:00:00Z"),
        statement("failed", "python", "2027-01-20T11:00:00Z"),  # same day, later: not done
        statement("completed", "cleaning", "2027-02-01T10:00:00Z", id="a1"),
        {"actor": {"mbox": "mailto:ben@example.com"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
         "object": {"objectType": "StatementRef", "id": "a1"}, "timestamp": "2027-02-02T10:00:00Z"},
    ]
    progress = read_progress([write_json(tmp_path, statements)], TEAM, catalog, AS_OF)
    assert entries(progress) == {("Ben Okafor", "python"): ("not-done", "2027-01-20")}


def test_an_unknown_actor_names_the_statement(tmp_path, catalog):
    path = write_json(tmp_path, [statement("completed", "python", "2027-01-20T10:00:00Z"),
                                 statement("completed", "python", "2027-01-20T10:00:00Z",
                                           {"mbox": "mailto:eve@example.com"}),
                                 statement("completed", "python", "yesterday")])
    with pytest.raises(CurriculumError) as info:
        read_progress([path], TEAM, catalog, AS_OF)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: statement 1: no team member matches the actor mbox 'mailto:eve@example.com'",
        f"{path}: statement 2: 'timestamp' is not an ISO 8601 date and time",
    ]


def test_activity_ids_follow_the_catalogs_activity_base(tmp_path, catalog_dir, caplog):
    catalog = load([catalog_dir(SMALL, {"activity_base": "https://learn.example.com/m/"})]).catalog
    statements = [
        {**statement("completed", "x", "2027-01-20T10:00:00Z"), "object": {"id": "https://learn.example.com/m/python"}},
        statement("completed", "cleaning", "2027-01-20T10:00:00Z"),  # the default base is not this catalog's
    ]
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        progress = read_progress([write_json(tmp_path, statements)], TEAM, catalog, AS_OF)
    assert list(progress.entries) == [("Ben Okafor", "python")]
    assert any("unknown module 'urn:curriculum:module:cleaning'" in m for m in caplog.messages)


def test_several_files_merge_and_the_latest_word_wins(tmp_path, catalog):
    csv_file = write_csv(tmp_path, "Ben Okafor,,python,done,2027-01-20", "Ben Okafor,,cleaning,done,2027-02-20")
    json_file = write_json(tmp_path, [statement("progressed", "python", "2027-01-25T10:00:00Z"),
                                      statement("completed", "cleaning", "2027-02-10T10:00:00Z")])
    progress = read_progress([csv_file, json_file], TEAM, catalog, AS_OF)
    assert entries(progress) == {("Ben Okafor", "cleaning"): ("done", "2027-02-20"),
                                 ("Ben Okafor", "python"): ("in-progress", "2027-01-25")}


@pytest.mark.parametrize("text, message", [
    ("{", r"statements.json:1: invalid JSON"),
    ("[" * 100_000, r"statements.json(:1)?: invalid JSON"),
    ('{"statements": 3}', r"expected a list of xAPI statements"),
])
def test_broken_statement_files_are_one_clear_error(tmp_path, catalog, text, message):
    path = tmp_path / "statements.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CurriculumError, match=message):
        read_progress([path], TEAM, catalog, AS_OF)


def test_cli_reports_bad_progress_on_one_line_and_writes_nothing(tmp_path, capsys):
    team_file = Path(__file__).parents[1] / "examples" / "payments-risk.yaml"
    progress = write_csv(tmp_path, "Nobody,nobody@example.com,python-for-data,done,2027-01-20")
    out = tmp_path / "out"
    assert main(["-q", "team", str(team_file), "--progress", str(progress), "--as-of", "2027-03-01",
                 "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{progress}:2: no team member matches 'nobody@example.com' or 'Nobody'"]
    assert not out.exists()
