"""Assessment stage: what each member already knows, from answers collected
any other way than `curriculum assess` (a form or spreadsheet export).

The file is a CSV with an `email` or `name` column (or both) saying whose
answers a row holds, then one column per module id, each cell yes or no (or
blank: not answered). A member's yes answers join the team file's `knows`;
a no takes nothing away, since knowing is what the planner adds up. A yes on
a module whose prerequisite got a no from the same person contradicts
itself: it is a warning, and the yes wins (the prerequisite counts as known,
as for any module in `knows`).

The file is untrusted: an unknown person or column, a person answering twice
and a cell that is not yes or no are errors naming the file and line, all
reported together.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import networkx as nx

from .errors import CurriculumError, did_you_mean, raise_if_any
from .graph import ancestors_of
from .model import Catalog, Member, Team
from .progress import People, csv_records
from .team import csv_delimiter
from .text import one_line
from .yamlread import read_text

log = logging.getLogger(__name__)

PERSON_COLUMNS = ("email", "name")
# Answers as forms and spreadsheets write them, in any case.
ANSWERS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
# A survey of 200,000 people about 100 modules.
MAX_ASSESSMENT_BYTES = 64 * 1024 * 1024


def read_assessment(path: Path, team: Team, catalog: Catalog, graph: nx.DiGraph) -> Team:
    """`team` with each member's answers in `path` added to their `knows`:
    the team file's `knows` first, then every module answered yes that
    nothing else they know implies. A member without a row keeps the team
    file's `knows`."""
    path = Path(path)
    problems: list[CurriculumError] = []
    text = read_text(path, MAX_ASSESSMENT_BYTES)
    delimiter = csv_delimiter(text, {*PERSON_COLUMNS, *catalog.modules, *catalog.replaced})
    records = csv_records(text, path, problems, delimiter)
    _, header = next(records, (1, []))
    person_columns, module_columns = _read_header(header, path, catalog)
    people = People(team)
    answers: dict[str, tuple[int, dict[str, bool]]] = {}  # member name -> (line, module id -> answer), file order
    for line, row in records:
        if len(row) > len(header):
            problems.append(CurriculumError(f"row has {len(row)} cells, the header {len(header)}", path, line))
            continue
        cells = row + [""] * (len(header) - len(row))
        who = {column: cells[index] for column, index in person_columns.items()}
        given = _answers(cells, module_columns, path, line, problems)
        member = people.find(email=who.get("email", "")) or people.find(name=who.get("name", ""))
        if member is None:
            named = " or ".join(repr(one_line(x, 100)) for x in who.values() if x) or "an empty name and email"
            problems.append(CurriculumError(f"no team member matches {named}", path, line))
        elif member in answers:
            problems.append(CurriculumError(
                f"{one_line(member)} answers twice (first on line {answers[member][0]})", path, line))
        else:
            answers[member] = (line, given)
    if not answers and not problems:
        problems.append(CurriculumError("no answers: the file has a header and no rows", path, 1))
    raise_if_any(problems)
    # What each module builds on, found once for all rows.
    needs = {module_id: ancestors_of(graph, [module_id]) for _, module_id in module_columns}
    return _with_answers(team, answers, needs, graph, path)


def _read_header(header: list[str], path: Path, catalog: Catalog) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """The index of each person column, and (index, module id) for each module
    column. Every problem of the header is raised together: the rows cannot
    be read without it."""
    problems = []
    person_columns: dict[str, int] = {}
    module_columns: list[tuple[int, str]] = []
    first_seen: dict[str, int] = {}  # person column or module id -> column number
    for index, text in enumerate(header):
        column = text.casefold()
        key = column if column in PERSON_COLUMNS else catalog.resolve(column)
        if key in first_seen:
            again = "" if key == column else f" (module '{key}')"
            problems.append(CurriculumError(
                f"column {index + 1} '{one_line(text, 100)}'{again} repeats column {first_seen[key]}", path, 1))
            continue
        if column in PERSON_COLUMNS:
            person_columns[column] = index
        elif key in catalog.modules:
            module_columns.append((index, key))
        else:
            problems.append(CurriculumError(
                f"column {index + 1} '{one_line(text, 100)}' is not a module id"
                f"{did_you_mean(column, catalog.modules)}; expected email, name and module ids", path, 1))
            continue
        first_seen[key] = index + 1
    if not person_columns:
        problems.append(CurriculumError("the header needs an 'email' or 'name' column to say whose answers "
                                        "each row holds", path, 1))
    elif not module_columns and not problems:
        problems.append(CurriculumError("the header names no module: give one column per module id", path, 1))
    raise_if_any(problems)
    return person_columns, module_columns


def _answers(cells: list[str], module_columns: list[tuple[int, str]], path: Path, line: int,
             problems: list[CurriculumError]) -> dict[str, bool]:
    """Module id -> the row's yes (True) or no (False), in column order; blank
    cells are not answers."""
    given = {}
    for index, module_id in module_columns:
        cell = cells[index]
        if not cell:
            continue
        answer = ANSWERS.get(cell.casefold())
        if answer is None:
            problems.append(CurriculumError(
                f"column {index + 1} ({module_id}): {one_line(cell, 40)!r} is not an answer; "
                "write yes or no (or y/n, true/false, 1/0), or leave it blank", path, line))
        else:
            given[module_id] = answer
    return given


def _with_answers(team: Team, answers: dict[str, tuple[int, dict[str, bool]]], needs: dict[str, set[str]],
                  graph: nx.DiGraph, path: Path) -> Team:
    members = {member.name: member for member in team.members}
    knows = {}
    for name, (line, given) in answers.items():
        knows[name] = _assessed_knows(members[name], given, needs, graph, f"{path}:{line}")
    for member in team.members:
        if member.name not in answers:
            log.info("%s: no row for %s; what they know comes from the team file alone", path,
                     one_line(member.name, 100))
    return replace(team, members=tuple(replace(m, knows=knows.get(m.name, m.knows)) for m in team.members))


def _assessed_knows(member: Member, given: dict[str, bool], needs: dict[str, set[str]], graph: nx.DiGraph,
                    where: str) -> tuple[str, ...]:
    """The member's `knows` with their yes answers added, warning about each
    no that something they know contradicts."""
    yes = [module_id for module_id, answer in given.items() if answer]
    from_team_file = set(member.knows) | ancestors_of(graph, member.knows)
    name = one_line(member.name, 100)
    for module_id in (module_id for module_id, answer in given.items() if not answer):
        builders = [other for other in yes if module_id in needs[other]]
        if builders:
            log.warning("%s: %s: yes on %s but no on %s prerequisite '%s'; taken as known", where, name,
                        ", ".join(f"'{other}'" for other in builders), "its" if len(builders) == 1 else "their",
                        module_id)
        elif module_id in from_team_file:
            log.warning("%s: %s: no on '%s', which the team file's knows says they know; taken as known",
                        where, name, module_id)
    implied = set().union(*(needs[module_id] for module_id in yes)) | from_team_file
    return tuple(dict.fromkeys([*member.knows, *(module_id for module_id in yes if module_id not in implied)]))
