"""Reading a survey's answers (`--assessment`): each member's yes answers join
their knows, a yes over a no on its prerequisite is a warning and the yes
wins, and bad files say where they are."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from curriculum import assessment
from curriculum.assessment import read_assessment
from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.model import Member, Profile, Team
from curriculum.pipeline import load
from curriculum.plan import choose_path

from .conftest import SMALL

EXAMPLES = Path(__file__).parents[1] / "examples"
TEAM = Team(name="T", size="medium", start=dt.date(2027, 1, 11), members=(
    Member("Ana Ruiz", "ml-engineer", email="Ana@Example.com", knows=("framing",)),
    Member("Ben Okafor", "ml-engineer", email="ben@example.com"),
    Member("Cy", "ml-engineer"),
))


@pytest.fixture
def loaded(catalog_dir):
    return load([catalog_dir({**SMALL, "serve": {**SMALL["serve"], "replaces": ["serving-basics"]}})])


def write_csv(folder: Path, *lines: str, name: str = "answers.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines), encoding=encoding)
    return path


def knows(path: Path, loaded, team: Team = TEAM) -> dict[str, tuple[str, ...]]:
    assessed = read_assessment(path, team, loaded.catalog, loaded.graph)
    return {member.name: member.knows for member in assessed.members}


def problems(path: Path, loaded, team: Team = TEAM) -> list[str]:
    with pytest.raises(CurriculumError) as info:
        read_assessment(path, team, loaded.catalog, loaded.graph)
    return [str(problem).removeprefix(f"{path}:").strip() for problem in info.value.problems]


# --- answers become knows ------------------------------------------------------------


def test_yes_answers_join_the_team_files_knows_and_no_and_blank_add_nothing(tmp_path, loaded):
    path = write_csv(tmp_path, "email,name,python,cleaning,baseline,serve",
                     "ana@example.com,Ana Ruiz,yes,no,,",
                     "ben@example.com,Ben Okafor,yes,yes,yes,no")
    assert knows(path, loaded) == {
        "Ana Ruiz": ("framing", "python"),  # the team file's first
        "Ben Okafor": ("baseline",),  # python and cleaning are what baseline builds on: implied
        "Cy": (),  # no row: the team file's knows
    }


def test_what_a_yes_implies_leaves_the_path_as_knows_does(tmp_path, loaded):
    path = write_csv(tmp_path, "name,baseline", "Cy,yes")
    cy = read_assessment(path, TEAM, loaded.catalog, loaded.graph).members[2]
    order = choose_path(loaded.catalog, loaded.graph, Profile(cy.role, "medium", cy.knows)).order
    assert {"python", "cleaning", "baseline"}.isdisjoint(order) and "serve" in order


@pytest.mark.parametrize("yes, no", [("yes", "no"), ("Y", "N"), ("TRUE", "False"), ("1", "0"), (" Yes ", " no ")])
def test_common_spellings_of_yes_and_no_are_answers(tmp_path, loaded, yes, no):
    path = write_csv(tmp_path, "name,python,framing", f"Cy,{yes},{no}")
    assert knows(path, loaded)["Cy"] == ("python",)


def test_people_match_by_email_in_any_case_then_by_name(tmp_path, loaded):
    path = write_csv(tmp_path, "Email,Name,python,cleaning",
                     "ANA@example.COM,Somebody Else,yes,",  # the email decides, not the name
                     "nobody@example.com,Ben Okafor,,yes",  # an email nobody has: the name
                     ",  cy ,yes,")  # no email: the name, spaces and case aside
    assert knows(path, loaded) == {"Ana Ruiz": ("framing", "python"), "Ben Okafor": ("cleaning",), "Cy": ("python",)}


def test_a_modules_old_id_names_the_module_that_replaces_it(tmp_path, loaded):
    path = write_csv(tmp_path, "name,serving-basics", "Cy,yes")
    assert knows(path, loaded)["Cy"] == ("serve",)


def test_semicolon_separated_files_with_a_byte_order_mark_are_read(tmp_path, loaded):
    path = write_csv(tmp_path, "name;python;cleaning", "Cy;yes;yes", encoding="utf-8-sig")
    assert knows(path, loaded)["Cy"] == ("cleaning",)


def test_a_member_without_a_row_keeps_the_team_files_knows_and_is_logged(tmp_path, loaded, caplog):
    path = write_csv(tmp_path, "name,python", "Cy,yes")
    with caplog.at_level(logging.INFO, logger="curriculum"):
        assert knows(path, loaded)["Ana Ruiz"] == ("framing",)
    assert f"{path}: no row for Ana Ruiz; what they know comes from the team file alone" in caplog.messages


# --- inconsistent answers ----------------------------------------------------------


def test_a_yes_over_a_no_on_a_prerequisite_warns_with_the_row_and_the_yes_wins(tmp_path, loaded, caplog):
    path = write_csv(tmp_path, "name,python,cleaning,baseline,serve",
                     "Cy,yes,yes,yes,yes",
                     "Ben Okafor,no,yes,,no")  # python is below cleaning; serve is not below anything answered
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        assert knows(path, loaded)["Ben Okafor"] == ("cleaning",)
    assert caplog.messages == [f"{path}:3: Ben Okafor: yes on 'cleaning' but no on its prerequisite 'python'; "
                               "taken as known"]


def test_a_no_below_several_yes_answers_is_one_warning_naming_them_all(tmp_path, loaded, caplog):
    path = write_csv(tmp_path, "name,python,cleaning,serve,framing", "Cy,no,yes,yes,yes")  # python is below both
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        assert knows(path, loaded)["Cy"] == ("serve", "framing")  # serve builds on cleaning: implied
    assert caplog.messages == [f"{path}:2: Cy: yes on 'cleaning', 'serve' but no on their prerequisite 'python'; "
                               "taken as known"]


def test_a_no_on_what_the_team_file_says_they_know_warns_and_the_team_file_wins(tmp_path, loaded, caplog):
    path = write_csv(tmp_path, "name,framing", "Ana Ruiz,no")
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        assert knows(path, loaded)["Ana Ruiz"] == ("framing",)
    assert caplog.messages == [f"{path}:2: Ana Ruiz: no on 'framing', which the team file's knows says they know; "
                               "taken as known"]


# --- bad files -----------------------------------------------------------------------


def test_every_bad_row_is_reported_together_with_its_line_and_column(tmp_path, loaded):
    path = write_csv(tmp_path, "email,name,python,cleaning",
                     "dee@example.com,Dee,yes,no",
                     "ben@example.com,,maybe,yes",
                     "Ben@example.com,,yes,yes",
                     ",Cy,yes,no,extra")
    assert problems(path, loaded) == [
        "2: no team member matches 'dee@example.com' or 'Dee'",
        "3: column 3 (python): 'maybe' is not an answer; write yes or no (or y/n, true/false, 1/0), "
        "or leave it blank",
        "4: Ben Okafor answers twice (first on line 3)",
        "5: row has 5 cells, the header 4",
    ]


@pytest.mark.parametrize("header, expected", [
    ("python,cleaning", ["1: the header needs an 'email' or 'name' column to say whose answers each row holds"]),
    ("name,pyhton,Serve,evaluation",
     ["1: column 2 'pyhton' is not a module id (did you mean 'python'?); expected email, name and module ids",
      "1: column 4 'evaluation' is not a module id (did you mean 'evaluate'?); expected email, name and module ids"]),
    ("name,serve,serving-basics,Name", ["1: column 3 'serving-basics' (module 'serve') repeats column 2",
                                        "1: column 4 'Name' repeats column 1"]),
    ("email,name", ["1: the header names no module: give one column per module id"]),
])
def test_a_bad_header_is_reported_before_any_row(tmp_path, loaded, header, expected):
    assert problems(write_csv(tmp_path, header, "nobody,nobody,maybe"), loaded) == expected


def test_a_file_with_no_rows_is_an_error(tmp_path, loaded):
    assert problems(write_csv(tmp_path, "name,python", ""), loaded) == [
        "1: no answers: the file has a header and no rows"]


def test_a_file_not_in_utf8_or_too_big_is_one_clear_error(tmp_path, loaded, monkeypatch):
    path = write_csv(tmp_path, "name,python", "Zoë,yes", encoding="cp1252")
    assert problems(path, loaded) == ["2: file is not UTF-8 text (it seems to be Windows-1252 or Latin-1); "
                                      "save it as UTF-8"]
    monkeypatch.setattr(assessment, "MAX_ASSESSMENT_BYTES", 10)
    path = write_csv(tmp_path, "name,python", "Cy,yes")
    assert problems(path, loaded) == ["file is 19 bytes, over the limit of 10"]


def test_hostile_names_stay_on_one_line_in_every_message(tmp_path, loaded, caplog):
    hostile = "Eve\x1b]0;owned\x07\x1b[2J\u202e\nNext line"
    team = Team(name="T", size="medium", start=None, members=(Member(hostile, "ml-engineer"),))
    path = tmp_path / "answers.csv"
    path.write_text(f'name,python,cleaning\n"{hostile}",no,yes\n"Mallory\x1b[31m\r\nroot",yes,\n', encoding="utf-8")
    assert problems(path, loaded, team) == ["4: no team member matches 'Mallory root'"]  # Eve's row spans lines 2-3
    path.write_text(f'name,python,cleaning\n"{hostile}",no,yes\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="curriculum"):
        read_assessment(path, team, loaded.catalog, loaded.graph)
    assert caplog.messages == [f"{path}:2: Eve Next line: yes on 'cleaning' but no on its prerequisite 'python'; "
                               "taken as known"]


# --- the command line, on the sample team ---------------------------------------------


def run_team(out: Path, *options: str) -> None:
    assert main(["team", str(EXAMPLES / "payments-risk.yaml"), "-o", str(out), "--format", "json", "md",
                 *options]) == 0


def test_team_with_the_sample_survey_drops_what_people_know_from_every_output(tmp_path, capsys):
    survey = EXAMPLES / "payments-risk-assessment.csv"
    run_team(tmp_path / "after", "--assessment", str(survey))
    run_team(tmp_path / "again", "--assessment", str(survey))
    # Ben answered yes on model-serving-basics but no on sklearn-baselines, which it builds on.
    assert capsys.readouterr().err.splitlines() == 2 * [
        f"curriculum: {survey}:3: Ben Okafor: yes on 'model-serving-basics' but no on its prerequisite "
        "'sklearn-baselines'; taken as known"]
    known = {"python-for-data", "ml-problem-framing", "sklearn-baselines", "model-serving-basics"}

    def ben(out: Path) -> tuple[dict, set[str], set[str]]:
        document = json.loads((out / "team.json").read_text(encoding="utf-8"))
        member = next(m for m in document["members"] if m["name"] == "Ben Okafor")
        syllabus = json.loads((out / f"{member['file']}.json").read_text(encoding="utf-8"))
        with (out / "assignments.csv").open(encoding="utf-8", newline="") as file:
            assigned = {row["module"] for row in csv.DictReader(file) if row["name"] == "Ben Okafor"}
        return member, {m["id"] for m in syllabus["modules"]}, assigned

    built_in = load()
    assert known <= set(choose_path(built_in.catalog, built_in.graph, Profile("software-engineer", "medium")).order)
    after = ben(tmp_path / "after")
    assert after[0]["profile"]["knows"] == ["model-serving-basics"]
    assert known.isdisjoint(after[1]) and after[1] == {m["id"] for m in after[0]["modules"]} == after[2]
    for name in ("team.json", "index.md", "assignments.csv"):
        assert (tmp_path / "after" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_bad_answers_are_one_line_each_and_nothing_is_written(tmp_path, capsys):
    survey = write_csv(tmp_path, "email,name,python-for-data,pyhton-for-data",
                       "nobody@example.com,Nobody,yes,")
    out = tmp_path / "out"
    assert main(["-q", "team", str(EXAMPLES / "payments-risk.yaml"), "--assessment", str(survey),
                 "-o", str(out)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{survey}:1: column 4 'pyhton-for-data' is not a module id "
        "(did you mean 'python-for-data'?); expected email, name and module ids"]
    assert not out.exists()


def test_publish_plans_the_team_with_the_survey_and_takes_it_for_one_team_only(tmp_path, capsys):
    survey = EXAMPLES / "payments-risk-assessment.csv"
    team = str(EXAMPLES / "payments-risk.yaml")
    out = tmp_path / "wiki"
    assert main(["-q", "publish", "--target", "mkdocs", "--team", team, "--assessment", str(survey),
                 "-o", str(out)]) == 0
    page = (out / "docs" / "teams" / "payments-risk" / "ben-okafor.md").read_text(encoding="utf-8")
    assert "Serving a model behind an API" not in page and "Evaluating models against business metrics" in page
    assert main(["-q", "publish", "--target", "mkdocs", "--team", team, "--team", team,
                 "--assessment", str(survey), "-o", str(out)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "curriculum: error: --assessment holds one team's answers: give exactly one --team")


def test_the_readmes_survey_is_part_of_the_sample():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    shown = list(csv.DictReader(readme.split("**From a survey.**", 1)[1].split("```csv\n", 1)[1].split("```", 1)[0]
                                .splitlines()))
    with (EXAMPLES / "payments-risk-assessment.csv").open(encoding="utf-8", newline="") as file:
        sample = {row["Name"]: row for row in csv.DictReader(file)}
    assert shown and all(row.items() <= sample[row["Name"]].items() for row in shown)
