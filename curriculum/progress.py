"""Progress stage: what each member has done, read from where progress really
lives (a CSV export, xAPI statements from a learning record store) and merged
so that the latest word on each person and module wins.

Statuses: `done`, `tested-out` (known without taking the module), and
`in-progress`; an xAPI `failed` is `not-done`, which cancels an earlier
`done`. Files are untrusted: an unknown person is an error naming the file and
row or statement; an unknown module, or progress dated after the as-of date,
is a warning and the row is skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CurriculumError, did_you_mean, raise_if_any
from .model import Catalog, Team
from .text import one_line
from .yamlread import read_json, read_text

log = logging.getLogger(__name__)

STATUSES = ("done", "tested-out", "in-progress")  # what a CSV row may say
NOT_DONE = "not-done"  # an xAPI `failed`: whatever came before, the module is not done
CSV_COLUMNS = ("name", "email", "module", "status", "date")
DEFAULT_ACTIVITY_BASE = "urn:curriculum:module:"

_ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    _ADL + "completed": "done",
    _ADL + "passed": "done",
    _ADL + "attempted": "in-progress",
    _ADL + "launched": "in-progress",
    _ADL + "progressed": "in-progress",
    _ADL + "experienced": "in-progress",
    _ADL + "failed": NOT_DONE,
}
VOIDED = _ADL + "voided"
# An LRS export of a department: 100,000 statements are about 60 MB.
MAX_PROGRESS_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """The latest word on one person and module."""

    member: str  # the member's name
    module: str  # the module id, as the catalog has it now
    status: str  # one of STATUSES, or NOT_DONE
    date: dt.date
    where: str  # the file and row or statement it came from, for messages


@dataclass(frozen=True)
class Progress:
    as_of: dt.date
    entries: dict[tuple[str, str], Entry]  # (member, module) -> entry, sorted

    def by_member(self) -> dict[str, dict[str, Entry]]:
        """Member name -> module id -> entry."""
        found: dict[str, dict[str, Entry]] = {}
        for (name, module), entry in self.entries.items():
            found.setdefault(name, {})[module] = entry
        return found


def activity_id(catalog: Catalog, module_id: str) -> str:
    """The module's xAPI activity id, the same in every export that names modules."""
    return f"{catalog.activity_base}{module_id}"


def read_progress(paths: Sequence[Path], team: Team, catalog: Catalog, as_of: dt.date) -> Progress:
    """Every file's statements, merged: per person and module the latest
    date wins (then the later time of day, file and row)."""
    people = People(team)
    modules = _Modules(catalog)
    problems: list[CurriculumError] = []
    found: dict[tuple[str, str], tuple[tuple, Entry]] = {}
    late = 0
    for number, path in enumerate(map(Path, paths)):
        reader = _read_xapi if path.suffix.lower() == ".json" else _read_csv
        for order, entry in reader(path, people, modules, problems):
            if entry.date > as_of:
                late += 1
                continue
            key = (entry.member, entry.module)
            rank = (entry.date, order[0], number, order[1])
            if key not in found or rank >= found[key][0]:
                found[key] = (rank, entry)
    raise_if_any(problems)
    modules.warn()
    if late:
        log.warning("%d progress statement(s) dated after %s ignored", late, as_of.isoformat())
    return Progress(as_of, {key: found[key][1] for key in sorted(found)})


class People:
    """Members by email (also as xAPI's mbox_sha1sum) and by name, for files
    that name people: an email matches in any case, a name with spaces and
    case aside."""

    def __init__(self, team: Team):
        self.by_email: dict[str, str] = {}
        self.by_sha1: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for member in team.members:
            self.by_name.setdefault(_name_key(member.name), member.name)
            if member.email:
                email = member.email.casefold()
                self.by_email.setdefault(email, member.name)
                for text in {member.email, email}:
                    self.by_sha1.setdefault(hashlib.sha1(f"mailto:{text}".encode()).hexdigest(), member.name)

    def find(self, email: str = "", name: str = "") -> str | None:
        if email:
            return self.by_email.get(email.strip().casefold())
        return self.by_name.get(_name_key(name)) if name else None


def _name_key(name: str) -> str:
    return one_line(name).casefold()


class _Modules:
    """Module ids and activity ids to the catalog's current ids; unknown ones
    are counted, to warn once per id with a suggestion."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.unknown: dict[str, tuple[str, int]] = {}  # id -> (first place seen, count)

    def find(self, module_id: str, where: str) -> str | None:
        module_id = self.catalog.resolve(module_id)
        if module_id in self.catalog.modules:
            return module_id
        return self._unknown(module_id, where)

    def from_activity(self, activity: str, where: str) -> str | None:
        base = self.catalog.activity_base
        if not activity.startswith(base):
            return self._unknown(activity, where)
        return self.find(activity[len(base):], where)

    def _module_of(self, activity: str) -> str | None:
        """The current id of the module `activity` names, or None (not counted)."""
        base = self.catalog.activity_base
        if not activity.startswith(base):
            return None
        module_id = self.catalog.resolve(activity[len(base):])
        return module_id if module_id in self.catalog.modules else None

    def from_statement(self, statement: dict, where: str) -> str | None:
        """The module a statement is about: its object's activity id, or, in
        a statement about a cmi5 AU, the AU's id in cmi5.xml, which the LMS
        puts in the context's grouping activities (cmi5 9.6.2.3), the object
        being an id the LMS made for the AU (cmi5 8.1.5)."""
        activity = str(_id_of(statement.get("object")) or "")
        module = self._module_of(activity)
        if module is None:
            module = next(filter(None, map(self._module_of, _grouping_ids(statement))), None)
        # Neither names a module: the object's id is the one reported unknown.
        return module if module is not None else self.from_activity(activity, where)

    def _unknown(self, module_id: str, where: str) -> None:
        first, count = self.unknown.get(module_id, (where, 0))
        self.unknown[module_id] = (first, count + 1)

    def warn(self) -> None:
        for module_id, (where, count) in sorted(self.unknown.items()):
            times = f" ({count} times)" if count > 1 else ""
            log.warning("%s: unknown module '%s'%s%s: skipped", where, one_line(module_id, 200), times,
                        did_you_mean(module_id, self.catalog.modules))


# --- CSV ----------------------------------------------------------------------


def _read_csv(path: Path, people: People, modules: _Modules, problems: list[CurriculumError]):
    """(order, entry) for each sound row; `order` keeps rows of one date in file order."""
    records = csv_records(read_text(path, MAX_PROGRESS_BYTES), path, problems)
    first, header = next(records, (1, []))
    header = [column.casefold() for column in header]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing or len(set(header)) < len(header):
        raise CurriculumError(f"the header must name the columns {','.join(CSV_COLUMNS)} once each"
                              f"{'; missing ' + ', '.join(missing) if missing else ''}", path, first)
    for line, row in records:
        entry = _csv_entry(dict(zip(header, row)), path, line, people, modules, problems)
        if entry is not None:
            yield (0, line), entry


def csv_records(text: str, path: Path, problems: list[CurriculumError], delimiter: str = ","):
    """(line, cells) for each record of the CSV `text` that has a non-blank
    cell, the header first: the line the record starts on (a quoted cell may
    span lines) and its cells stripped. A malformed header is an error; a
    malformed record after it ends the reading with a problem at its line."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line, header_read = 1, False
    try:
        for row in rows:
            first, line = line, rows.line_num + 1
            if any(cell.strip() for cell in row):
                header_read = True
                yield first, [cell.strip() for cell in row]
    except csv.Error as exc:
        error = CurriculumError(f"invalid CSV: {exc}", path, line)
        if not header_read:
            raise error from None
        problems.append(error)


def _csv_entry(cells: dict[str, str], path: Path, line: int, people: People, modules: _Modules,
               problems: list[CurriculumError]) -> Entry | None:
    email, name = cells.get("email", ""), cells.get("name", "")
    member = people.find(email=email) or people.find(name=name)
    if member is None:
        who = " or ".join(repr(one_line(x, 100)) for x in (email, name) if x) or "an empty name and email"
        problems.append(CurriculumError(f"no team member matches {who}", path, line))
        return None
    status = cells.get("status", "").casefold()
    if status not in STATUSES:
        problems.append(CurriculumError(
            f"status {one_line(cells.get('status', ''), 40)!r} is not one of {', '.join(STATUSES)}", path, line))
        return None
    try:
        date = dt.date.fromisoformat(cells.get("date", ""))
    except ValueError:
        problems.append(CurriculumError(
            f"date {one_line(cells.get('date', ''), 40)!r} is not a date like 2027-03-01", path, line))
        return None
    module = modules.find(cells.get("module", ""), f"{path}:{line}")
    if module is None:
        return None
    return Entry(member, module, status, date, f"{path}:{line}")


# --- xAPI ---------------------------------------------------------------------


def _read_xapi(path: Path, people: People, modules: _Modules, problems: list[CurriculumError]):
    """(order, entry) for each statement about a module, as a JSON list or
    the {"statements": [...], "more": ...} document an LRS returns; voided
    statements are left out."""
    document = read_json(path, MAX_PROGRESS_BYTES)
    statements = document.get("statements") if isinstance(document, dict) else document
    if not isinstance(statements, list):
        raise CurriculumError("expected a list of xAPI statements, or an object with 'statements'", path)
    voided = {
        s["object"].get("id") for s in statements
        if isinstance(s, dict) and _id_of(s.get("verb")) == VOIDED and isinstance(s.get("object"), dict)
    }
    for index, statement in enumerate(statements):
        where = f"{path}: statement {index}"
        if not isinstance(statement, dict):
            problems.append(CurriculumError(f"statement {index} is not an object", path))
            continue
        verb = _id_of(statement.get("verb"))
        if verb == VOIDED or (statement.get("id") is not None and statement.get("id") in voided):
            continue
        status = VERBS.get(verb)
        if status is None:
            continue  # a verb that says nothing about progress (commented, shared, ...)
        member = _actor(statement.get("actor"), people)
        if member is None:
            problems.append(CurriculumError(
                f"statement {index}: no team member matches the actor {_describe_actor(statement.get('actor'))}",
                path))
            continue
        moment = _timestamp(statement.get("timestamp") or statement.get("stored"))
        if moment is None:
            problems.append(CurriculumError(f"statement {index}: 'timestamp' is not an ISO 8601 date and time",
                                            path))
            continue
        module = modules.from_statement(statement, where)
        if module is None:
            continue
        # Its own calendar date (where the learner was); ordered by the moment itself.
        seconds = moment.astimezone(dt.timezone.utc).timestamp() if moment.tzinfo else 0.0
        yield (seconds, index), Entry(member, module, status, moment.date(), where)


def _id_of(value) -> str | None:
    return value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None


def _grouping_ids(statement: dict) -> list[str]:
    """The ids of the statement's grouping context activities (a list, or
    one activity as some LRSs return it)."""
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    grouping = activities.get("grouping") if isinstance(activities, dict) else None
    grouping = [grouping] if isinstance(grouping, dict) else grouping if isinstance(grouping, list) else []
    return [found for activity in grouping if (found := _id_of(activity)) is not None]


def _actor(actor, people: People) -> str | None:
    if not isinstance(actor, dict):
        return None
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox.casefold().startswith("mailto:"):
        return people.find(email=mbox[len("mailto:"):])
    sha1 = actor.get("mbox_sha1sum")
    if isinstance(sha1, str):
        return people.by_sha1.get(sha1.strip().casefold())
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str):
        return people.find(email=account["name"])
    return None


def _describe_actor(actor) -> str:
    if not isinstance(actor, dict):
        return "(none)"
    for key in ("mbox", "mbox_sha1sum"):
        if isinstance(actor.get(key), str):
            return f"{key} {one_line(actor[key], 100)!r}"
    account = actor.get("account")
    if isinstance(account, dict) and isinstance(account.get("name"), str):
        return f"account {one_line(account['name'], 100)!r}"
    return "(no mbox, mbox_sha1sum or account)"


def _timestamp(text) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
