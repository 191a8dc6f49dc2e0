"""Read a team file (YAML, or CSV as exported from an HR system) into a `Team`.

Problems are collected and reported together, each with its file and line
(for CSV, the line of the row).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import replace
from pathlib import Path

from .errors import CurriculumError, did_you_mean, raise_if_any
from .limits import MAX_HOURS_PER_WEEK, parse_date
from .loader import schema_errors
from .model import Catalog, Member, Team
from .schedule import CohortSettings
from .text import one_line
from .yamlread import read_text, read_yaml

CSV_COLUMNS = ("name", "email", "role", "knows", "goals", "hours_per_week", "facilitation_hours_per_week")
# As in the YAML team schema (schema/team.schema.json).
MAX_NAME = 200
MAX_EMAIL = 320
# A department's file is larger than a module's: room for about 200,000 people.
MAX_TEAM_BYTES = 32 * 1024 * 1024
MAX_TEAM_NODES = 2_000_000
DEFAULT_HOURS_PER_WEEK = 5.0
_YES = (True, "yes")


def read_team(
    path: Path,
    catalog: Catalog,
    size: str | None = None,
    start: dt.date | None = None,
    hours_per_week: float | None = None,
    cohorts: bool = True,
) -> Team:
    """The team in `path`, checked against `catalog`. `size`, `start` and the
    default `hours_per_week` (from the command line) override the file's; a
    CSV file needs the size and start date from there. Without `cohorts`,
    everyone is planned alone."""
    path = Path(path)
    problems: list[CurriculumError] = []
    if path.suffix.lower() == ".csv":
        team = _read_csv(path, hours_per_week or DEFAULT_HOURS_PER_WEEK, problems)
    else:
        team = _read_yaml(path, hours_per_week)
    team = Team(
        name=team.name,
        size=size or team.size,
        start=start or team.start,
        members=team.members,
        readiness=team.readiness,
        source=team.source,
        cohorts=team.cohorts if cohorts else None,
        target_date=team.target_date,
    )
    problems += _check(team, catalog)
    raise_if_any(problems)
    return _resolve_replaced(team, catalog)


def _resolve_replaced(team: Team, catalog: Catalog) -> Team:
    """`team` with module ids that a module `replaces` naming that module."""
    if not catalog.replaced:
        return team
    members = tuple(
        replace(member, knows=catalog.resolve_all(member.knows), goals=catalog.resolve_all(member.goals))
        for member in team.members
    )
    return replace(team, members=members)


def _read_yaml(path: Path, default_hours: float | None) -> Team:
    document = read_yaml(path, MAX_TEAM_BYTES, MAX_TEAM_NODES)
    data = document.data
    dates = {"start": None, "target_date": None}
    if isinstance(data, dict):  # YAML reads an unquoted date as a date; the schema checks text
        data = {**data, **{k: data[k].isoformat() for k in dates if isinstance(data.get(k), dt.date)}}
    problems = [
        CurriculumError(message, path, document.line_of(tuple(where)))
        for where, message in schema_errors(data, "team")
    ]
    for key in dates:
        if isinstance(data, dict) and isinstance(data.get(key), str):
            try:
                dates[key] = parse_date(data[key])
            except ValueError as exc:
                problems.append(CurriculumError(f"'{key}': {exc}", path, document.line_of((key,))))
    start = dates["start"]
    raise_if_any(problems)
    default_hours = default_hours or float(data.get("hours_per_week", DEFAULT_HOURS_PER_WEEK))
    members = []
    for index, item in enumerate(data["members"]):
        line = document.line_of(("members", index))
        name = one_line(item["name"])
        if not name:
            problems.append(CurriculumError("'name' must not be empty (it has only control characters)", path, line))
        members.append(Member(
            name=name,
            role=item["role"],
            email=item.get("email", ""),
            knows=tuple(dict.fromkeys(item.get("knows", ()))),
            goals=tuple(dict.fromkeys(item.get("goals", ()))),
            hours_per_week=float(item.get("hours_per_week", default_hours)),
            pairs_with=tuple(one_line(n) for n in item.get("pairs_with", ())),
            line=line,
            facilitation_hours_per_week=(float(item["facilitation_hours_per_week"])
                                         if "facilitation_hours_per_week" in item else None),
        ))
    settings = CohortSettings(**data.get("cohorts", {}))
    if settings.min_size > settings.max_size:
        problems.append(CurriculumError(
            f"'cohorts': min_size ({settings.min_size}) is larger than max_size ({settings.max_size})",
            path, document.line_of(("cohorts",)),
        ))
    raise_if_any(problems)
    readiness = data.get("readiness")
    return Team(
        name=one_line(data["team"]) or "Team",
        size=data.get("company_size"),
        start=start,
        members=tuple(members),
        readiness=None if readiness is None else {k: v in _YES for k, v in readiness.items()},
        source=str(path),
        cohorts=settings,
        target_date=dates["target_date"],
    )


def _read_csv(path: Path, default_hours: float, problems: list[CurriculumError]) -> Team:
    """The members whose rows are sound; problems with the others go to `problems`."""
    text = read_text(path, MAX_TEAM_BYTES)
    delimiter = csv_delimiter(text, CSV_COLUMNS)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(rows, [])
    except csv.Error as exc:
        raise CurriculumError(f"invalid CSV: {exc}", path, 1) from None
    columns = [column.strip() for column in header]
    if not any(columns):
        raise CurriculumError(f"the first line must be the header, naming the columns {','.join(CSV_COLUMNS)}",
                              path, 1)
    if not set(columns) & set(CSV_COLUMNS):
        raise CurriculumError(
            f"the header {delimiter.join(columns)[:100]!r} has none of the columns {','.join(CSV_COLUMNS)}; "
            "separate them with commas, semicolons, tabs or |", path, 1,
        )
    where: dict[str, int] = {}
    for number, column in enumerate(columns, start=1):
        if column in where:
            problems.append(CurriculumError(
                f"column '{column}' appears twice in the header (columns {where[column]} and {number})", path, 1
            ))
        elif column not in CSV_COLUMNS:
            problems.append(CurriculumError(
                f"unknown column '{column}'{did_you_mean(column, CSV_COLUMNS)}; expected {','.join(CSV_COLUMNS)}",
                path, 1,
            ))
        where.setdefault(column, number)
    for required in ("name", "role"):
        if required not in columns:
            problems.append(CurriculumError(f"missing column '{required}'", path, 1))
    raise_if_any(problems)
    members = []
    line = rows.line_num + 1  # where the next record starts: a quoted cell may span lines
    try:
        for row in rows:
            first, line = line, rows.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) > len(columns):
                problems.append(CurriculumError(f"row has {len(row)} cells, the header {len(columns)}", path, first))
                continue
            cells = {column: cell.strip() for column, cell in zip(columns, row)}
            member = _member_from_row(cells, path, first, default_hours, problems)
            if member is not None:
                members.append(member)
    except csv.Error as exc:
        problems.append(CurriculumError(f"invalid CSV: {exc}", path, line))
    if not members and not problems:
        problems.append(CurriculumError("no members in the file", path, 1))
    name = " ".join(re.findall(r"[^\W_]+", path.stem)).capitalize() or "Team"
    return Team(name=name, size=None, start=None, members=tuple(members), readiness=None, source=str(path))


# Spreadsheets export with the list separator of their locale: commas, or
# semicolons where the comma is the decimal mark; some systems use tabs or bars.
_DELIMITERS = (",", ";", "\t", "|")


def csv_delimiter(text: str, columns: Container[str]) -> str:
    """The delimiter that splits the header line of the CSV `text` into the
    most of the expected `columns` (commas on a tie)."""
    header = text.split("\n", 1)[0].rstrip("\r")

    def known(delimiter: str) -> int:
        try:
            cells = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            return 0
        return sum(cell.strip() in columns for cell in cells)

    return max(_DELIMITERS, key=known)


_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _member_from_row(
    cells: dict[str, str], path: Path, line: int, default_hours: float, problems: list[CurriculumError]
) -> Member | None:
    before = len(problems)
    name = one_line(cells.get("name", ""))
    if not name:
        problems.append(CurriculumError("'name' must not be empty", path, line))
    elif len(name) > MAX_NAME:
        problems.append(CurriculumError(f"'name' is too long (limit {MAX_NAME})", path, line))
    role = cells.get("role", "")
    if not _SLUG.match(role):
        problems.append(CurriculumError(f"'role' {role!r} is not a valid role id", path, line))
    lists = {}
    for column in ("knows", "goals"):
        # Module ids have neither, so both separate: a semicolon-separated file's cells use commas.
        items = [item.strip() for item in re.split(r"[;,]", cells.get(column, "")) if item.strip()]
        for item in items:
            if not _SLUG.match(item):
                problems.append(CurriculumError(f"'{column}' has {item!r}, which is not a valid module id", path, line))
        lists[column] = tuple(dict.fromkeys(items))
    hours = _hours_cell(cells, "hours_per_week", path, line, problems, zero=False)
    facilitation = _hours_cell(cells, "facilitation_hours_per_week", path, line, problems, zero=True)
    email = cells.get("email", "")
    if len(email) > MAX_EMAIL:
        problems.append(CurriculumError(f"'email' is too long (limit {MAX_EMAIL})", path, line))
    elif email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        problems.append(CurriculumError(f"'email' {email!r} is not an email address", path, line))
    if len(problems) > before:
        return None
    return Member(name=name, role=role, email=email, knows=lists["knows"], goals=lists["goals"],
                  hours_per_week=default_hours if hours is None else hours, line=line,
                  facilitation_hours_per_week=facilitation)


def _hours_cell(cells: dict[str, str], column: str, path: Path, line: int, problems: list[CurriculumError],
                zero: bool) -> float | None:
    """A cell of hours a week, or None when empty; `zero` allows 0."""
    text = cells.get(column)
    if not text:
        return None
    try:
        # A decimal comma, as spreadsheets write it in much of Europe.
        hours = float(re.sub(r"^(\d+),(\d+)$", r"\1.\2", text))
    except ValueError:
        hours = math.nan
    if not (0 <= hours if zero else 0 < hours) or not hours <= MAX_HOURS_PER_WEEK:
        problems.append(CurriculumError(
            f"'{column}' must be a number of hours from 0 to {MAX_HOURS_PER_WEEK:g}; got {text!r}", path, line
        ))
    return hours


def _check(team: Team, catalog: Catalog) -> list[CurriculumError]:
    """Cross-checks against the catalog: roles, sizes, module ids, names."""
    path = team.source
    problems = []
    if team.size is None:
        problems.append(CurriculumError("no company size: set 'company_size' in the file or pass --size", path))
    elif team.size not in catalog.sizes:
        problems.append(CurriculumError(
            f"unknown company size '{team.size}'{did_you_mean(team.size, catalog.sizes)}", path, 1
        ))
    names = {}
    for member in team.members:
        if member.role not in catalog.roles:
            problems.append(CurriculumError(
                f"{member.name}: unknown role '{member.role}'{did_you_mean(member.role, catalog.roles)}",
                path, member.line,
            ))
        for what, ids in (("known", member.knows), ("goal", member.goals)):
            for module_id in ids:
                if catalog.resolve(module_id) not in catalog.modules:
                    problems.append(CurriculumError(
                        f"{member.name}: unknown {what} module '{module_id}'{did_you_mean(module_id, catalog.modules)}",
                        path, member.line,
                    ))
        key = member.name.casefold()
        if key in names:
            problems.append(CurriculumError(
                f"duplicate member name '{member.name}' (first on line {names[key]})", path, member.line
            ))
        names.setdefault(key, member.line)
    for member in team.members:
        for partner in member.pairs_with:
            if partner.casefold() not in names:
                problems.append(CurriculumError(
                    f"{member.name}: pairs_with names '{partner}', who is not in the team", path, member.line
                ))
    return problems


def member_slugs(members: Sequence[Member]) -> dict[str, str]:
    """A file name for each member: their name as a slug, made unique."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for index, member in enumerate(members, start=1):
        base = slugify(member.name) or f"member-{index}"
        slug, n = base, 2
        while slug in taken or slug == "index" or slug == "team":
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs[member.name] = slug
    return slugs


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:80].strip("-")
