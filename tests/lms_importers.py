"""Two LMS importers replayed offline, rule by rule, to check our CSV exports
against what the LMS would do with them (no guessing at the format):

- Moodle's competency framework import: admin/tool/lpimportcsv/classes/
  framework_importer.php (in ../shared/third-party/lms-formats/), which
  reads the file with lib/csvlib.class.php's csv_import_reader (PHP's
  fgetcsv, backslash escapes included), and the checks Moodle's persistents
  make when the framework and competencies are created
  (competency_framework::validate_*). Moodle tells the user only "File
  format is invalid." for a file it cannot read: `MoodleFileInvalid`.
  What it would fail on while importing, or drop without a word (a parent
  it cannot find, a cross-reference to nothing, a short name it shortens):
  `MoodleImportProblems`.
- Canvas's outcomes import: lib/outcomes/csv_importer.rb with
  lib/outcomes/import.rb and the LearningOutcome and LearningOutcomeGroup
  validations, on a new account (no outcomes yet), with Ruby's strict CSV
  parser. A failure of the whole file is `CanvasFileError`; errors Canvas
  reports per row are in `CanvasImport.errors` as (record number, message).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# --- Moodle -------------------------------------------------------------------------

# Moodle maps columns by position (the confirm form preselects column i for
# field i); the fixture names them one way, Moodle's language strings another.
MOODLE_FIELDS = ("parentidnumber", "idnumber", "shortname", "description", "descriptionformat", "scalevalues",
                 "scaleconfiguration", "ruletype", "ruleoutcome", "ruleconfig", "relatedidnumbers", "exportid",
                 "isframework", "taxonomies")
MOODLE_HEADER_NAMES = (
    ("Parent id number", "Parent ID number"), ("Id number", "ID number"), ("Shortname", "Short name"),
    ("Description",), ("Description format",), ("Scale values",), ("Scale configuration",),
    ("Rule type (optional)",), ("Rule outcome (optional)",), ("Rule config (optional)",),
    ("Cross referenced competency id numbers", "Cross-referenced competency ID numbers"),
    ("Exported id (optional)", "Exported ID (optional)"), ("Is framework",), ("Taxonomy",),
)
MOODLE_TAXONOMIES = {"behaviour", "competency", "concept", "domain", "indicator", "level", "outcome", "practice",
                     "proficiency", "skill", "value"}
MOODLE_FORMATS = {0, 1, 2, 4}  # FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN, FORMAT_MARKDOWN
MOODLE_RULES = {"core_competency\\competency_rule_all", "core_competency\\competency_rule_points"}
_PHP_SPACE = " \t\n\v\f\r"


class MoodleFileInvalid(Exception):
    """Moodle says "File format is invalid."; the message says why."""


class MoodleImportProblems(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class Competency:
    idnumber: str
    shortname: str
    description: str
    descriptionformat: int
    parentidnumber: str
    relatedidnumbers: str
    ruletype: str
    scalevalues: str
    scaleconfiguration: str
    key: str  # the ID number as the file gives it, before Moodle shortens it
    raw_shortname: str  # the short name as the file gives it
    children: list[Competency] = field(default_factory=list)

    @property
    def related(self) -> list[str]:
        """The cross-referenced ID numbers, as set_related() reads them."""
        if not self.relatedidnumbers:
            return []
        return [raw.replace("%2C", ",") for raw in self.relatedidnumbers.split(",")]


@dataclass
class Framework:
    idnumber: str
    shortname: str
    description: str
    descriptionformat: int
    scalevalues: str
    scaleconfiguration: str
    taxonomies: str
    children: list[Competency] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[Competency, int]]:
        """Every competency with its depth (1 at the top), parents first."""
        stack = [(child, 1) for child in reversed(self.children)]
        while stack:
            competency, depth = stack.pop()
            yield competency, depth
            stack.extend((child, depth + 1) for child in reversed(competency.children))


def moodle_import(data: bytes) -> Framework:
    """The framework Moodle would build from `data`, or why it would not."""
    records = moodle_records(data)
    mapping = dict(zip(MOODLE_FIELDS, range(len(MOODLE_FIELDS))))
    framework = None
    flat: dict[object, Competency] = {}
    problems = []
    for row in records[1:]:
        # get_column_data(): a missing column reads as ''.
        value = {name: row[index] if index < len(row) else "" for name, index in mapping.items()}
        if _php_truthy(value["isframework"]):  # a later framework row replaces an earlier one
            framework = Framework(
                _shorten(_param_text(value["idnumber"])), _shorten(_param_text(value["shortname"])),
                value["description"], _php_int(value["descriptionformat"]), value["scalevalues"],
                value["scaleconfiguration"], value["taxonomies"])
        else:
            key = _php_key(value["idnumber"])
            if key in flat:
                problems.append(f"ID number '{value['idnumber']}' is on two rows: Moodle keeps the last")
            flat[key] = Competency(
                _shorten(_param_text(value["idnumber"])), _shorten(_param_text(value["shortname"])),
                value["description"], _php_int(value["descriptionformat"]), _param_text(value["parentidnumber"]),
                value["relatedidnumbers"], value["ruletype"], value["scalevalues"], value["scaleconfiguration"],
                value["idnumber"], value["shortname"])
    if framework is None:
        raise MoodleFileInvalid("no row is marked as the framework")
    attached: set[int] = set()
    _add_children(framework, "", flat, attached, (), problems)
    problems += _moodle_import_problems(framework, flat, attached)
    if problems:
        raise MoodleImportProblems(problems)
    return framework


def moodle_header_problems(data: bytes) -> list[str]:
    """Columns out of Moodle's order (it maps them by position)."""
    header = moodle_records(data)[0]
    if len(header) != len(MOODLE_HEADER_NAMES):
        return [f"{len(header)} columns, not {len(MOODLE_HEADER_NAMES)}"]
    return [f"column {index + 1} is '{name}', not '{names[0]}'"
            for index, (name, names) in enumerate(zip(header, MOODLE_HEADER_NAMES)) if name not in names]


def moodle_records(data: bytes) -> list[list[str]]:
    """csv_import_reader::load_csv_content(), then what init() and next()
    read back: the records, header first."""
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    text = re.sub("\r\n?", "\n", text).strip(" \t\n\r\0\x0b")
    records = []
    lines = _lines(text)
    while (record := _php_fgetcsv(lines)) is not None:
        if len(record) != 1 or record[0] is not None:  # a blank line reads as [null]
            records.append(record)
    if not records:
        raise MoodleFileInvalid("the file is empty (csvemptyfile)")
    if any(len(record) != len(records[0]) for record in records):
        raise MoodleFileInvalid("rows have different numbers of columns (csvweirdcolumns)")
    # Stored with fputcsv() and read again with fgetcsv() by init() and next().
    lines = _lines("".join(_php_fputcsv(record) for record in records))
    again = []
    while (record := _php_fgetcsv(lines)) is not None:
        again.append(record)
    return again


def _lines(text: str) -> Iterator[str]:
    """The lines PHP's stream reader gives fgetcsv: each up to and with "\n"."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _line_end(line: str) -> int:
    """php_fgetcsv_lookup_trailing_spaces(): where a line's end ("\r\n", "\n" or "\r") starts."""
    if line.endswith("\r\n"):
        return len(line) - 2
    return len(line) - 1 if line.endswith(("\n", "\r")) else len(line)


def _php_fgetcsv(lines: Iterator[str], delimiter: str = ",", enclosure: str = '"',
                 escape: str = "\\") -> list[str | None] | None:
    """PHP's fgetcsv() (ext/standard/file.c, php_fgetcsv), one record; None at the end."""
    buf = next(lines, None)
    if buf is None:
        return None
    limit = _line_end(buf)
    fields: list[str | None] = []
    pos, first = 0, True
    while True:
        # Spaces before an enclosure are skipped.
        tmp = pos
        while tmp < len(buf) and buf[tmp] != delimiter and buf[tmp] in _PHP_SPACE:
            tmp += 1
        if pos < limit and tmp < len(buf) and buf[tmp] == enclosure:
            pos = tmp
        if first and pos == limit:
            fields.append(None)
            break
        first = False
        if pos < limit and buf[pos] == enclosure:
            pos += 1
            hunk, state, value = pos, 0, []
            while True:
                if pos >= limit:
                    if state == 2:  # the enclosure closed at the end of the line
                        value.append(buf[hunk:pos - 1])
                        hunk = pos
                        break
                    value.append(buf[hunk:pos] + buf[limit:])  # the line end is part of the field
                    buf = next(lines, None)
                    if buf is None:  # never closed: the rest is the field
                        buf, hunk, pos, limit = "", 0, 0, 0
                        break
                    hunk, pos, limit, state = 0, 0, _line_end(buf), 0
                    continue
                char = buf[pos]
                if state == 1:  # escaped: taken as it is
                    pos, state = pos + 1, 0
                elif state == 2:
                    if char != enclosure:  # the real end of the enclosure
                        value.append(buf[hunk:pos - 1])
                        hunk = pos
                        break
                    value.append(buf[hunk:pos])  # a doubled enclosure: one is kept
                    pos += 1
                    hunk, state = pos, 0
                else:
                    state = 2 if char == enclosure else 1 if char == escape else 0
                    pos += 1
            # Whatever follows the enclosure, up to the delimiter, is part of the field.
            while pos < limit and buf[pos] != delimiter:
                pos += 1
            value.append(buf[hunk:pos])
            fields.append("".join(value))
        else:
            end = buf.find(delimiter, pos, limit)
            end = limit if end < 0 else end
            text = buf[pos:end]
            fields.append(text[:_line_end(text)])
            pos = end
        if pos >= limit:
            break
        pos += 1  # past the delimiter
    return fields


def _php_fputcsv(record: list[str]) -> str:
    """PHP's fputcsv(): enclosed when needed; a quote after an escape is not doubled."""
    out = []
    for value in record:
        if any(char in value for char in ',"\\\n\r\t '):
            escaped, text = False, ['"']
            for char in value:
                if char == "\\":
                    escaped = True
                elif not escaped and char == '"':
                    text.append('"')
                else:
                    escaped = False
                text.append(char)
            out.append("".join(text) + '"')
        else:
            out.append(value)
    return ",".join(out) + "\n"


def _add_children(node, parentidnumber: str, flat: dict, attached: set, chain: tuple, problems: list) -> None:
    """framework_importer::add_children(): PHP compares ID numbers with ==."""
    for competency in flat.values():
        if _php_equal(competency.parentidnumber, parentidnumber):
            if id(competency) in chain:
                problems.append(f"'{competency.idnumber}' would be its own ancestor: PHP recurses until it fails")
                continue
            if id(competency) in attached:
                problems.append(f"'{competency.idnumber}' is placed twice: two parents' ID numbers are equal to PHP")
                continue
            attached.add(id(competency))
            node.children.append(competency)
            _add_children(competency, competency.idnumber, flat, attached, chain + (id(competency),), problems)


def _moodle_import_problems(framework: Framework, flat: dict, attached: set) -> list[str]:
    problems = []
    if not framework.idnumber or not framework.shortname:
        problems.append("the framework needs an ID number and a short name")
    if framework.descriptionformat not in MOODLE_FORMATS:
        problems.append(f"description format {framework.descriptionformat} is not one of Moodle's")
    problems += _scale_problems("the framework", framework.scalevalues, framework.scaleconfiguration)
    for term in framework.taxonomies.split(","):
        if term and term not in MOODLE_TAXONOMIES:
            problems.append(f"taxonomy '{term}' is not one of Moodle's")
    created: set = set()

    def create(competency: Competency) -> None:  # create_competency()
        if _php_empty(competency.idnumber) or _php_empty(competency.shortname):
            problems.append(f"a competency without ID number or short name ('{competency.key}') is skipped, "
                            "and everything under it")
            return
        created.add(_php_key(competency.key))
        for child in competency.children:
            create(child)

    for top in framework.children:
        create(top)
    for key, competency in flat.items():
        where = f"competency '{competency.key}'"
        if id(competency) not in attached:
            problems.append(f"{where} is never imported: its parent '{competency.parentidnumber}' is not found")
        if competency.key != competency.idnumber:
            problems.append(f"{where}: Moodle would shorten or clean the ID number to '{competency.idnumber}'")
        if competency.shortname != competency.raw_shortname:
            problems.append(f"{where}: Moodle would shorten or clean the short name to '{competency.shortname}'")
        if competency.description and competency.descriptionformat not in MOODLE_FORMATS:
            problems.append(f"{where}: description format {competency.descriptionformat} is not one of Moodle's")
        if competency.ruletype and competency.ruletype not in MOODLE_RULES:
            problems.append(f"{where}: rule type '{competency.ruletype}' is no rule class: Moodle ignores it")
        if competency.scalevalues:
            problems += _scale_problems(where, competency.scalevalues, competency.scaleconfiguration)
        for related in competency.related:
            if _php_key(related) not in created:
                problems.append(f"{where}: cross-reference '{related}' is to no imported competency: Moodle "
                                "skips it")
            elif related == competency.key:
                problems.append(f"{where}: cross-references itself")
    return problems


def _scale_problems(where: str, values: str, configuration: str) -> list[str]:
    """get_scale_id() (a scale with these items, made if missing),
    get_scale_configuration() (sets the first entry's scaleid) and
    competency_framework::validate_scaleconfiguration()."""
    items = [item.strip() for item in values.split(",")]
    if not all(items):
        return [f"{where}: scale values '{values}' have an empty item"]
    try:
        config = json.loads(configuration)
    except ValueError:
        return [f"{where}: scale configuration is not JSON (PHP fails setting its scaleid)"]
    if not isinstance(config, list) or not config or not isinstance(config[0], dict):
        return [f"{where}: scale configuration is not a list starting with the scale (PHP fails setting its scaleid)"]
    ratings = [entry for entry in config[1:] if isinstance(entry, dict)]
    problems = []
    if not any(_php_truthy(entry.get("scaledefault")) for entry in ratings) or \
            not any(_php_truthy(entry.get("proficient")) for entry in ratings):
        problems.append(f"{where}: scale configuration needs a default and a proficient rating")
    for entry in ratings:
        if entry.get("id") not in range(1, len(items) + 1):
            problems.append(f"{where}: scale configuration rates item {entry.get('id')!r}, not one of the scale's")
    return problems


def _php_truthy(value) -> bool:
    if isinstance(value, str):
        return value not in ("", "0")
    return bool(value)


def _php_empty(value: str) -> bool:
    return value in ("", "0")


_PHP_NUMERIC = re.compile(r"[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[ \t\n\r\v\f]*")


def _php_equal(a: str, b: str) -> bool:
    """PHP 8's == on two strings: as numbers when both are numeric."""
    if _PHP_NUMERIC.fullmatch(a) and _PHP_NUMERIC.fullmatch(b):
        return float(a) == float(b)
    return a == b


def _php_key(value: str):
    """An array key as PHP stores it: a decimal integer string becomes an integer."""
    if re.fullmatch(r"-?(0|[1-9]\d*)", value) and -2**63 <= int(value) < 2**63 and value != "-0":
        return int(value)
    return value


def _php_int(value: str) -> int:
    """clean_param(PARAM_INT): PHP's (int) cast, the leading integer or 0."""
    match = re.match(r"[ \t\n\r\v\f]*([+-]?\d+)", value)
    return int(match.group(1)) if match else 0


def _strip_tags(text: str) -> str:
    """PHP's strip_tags(), near enough for names: tags and comments go, a
    '<' that opens no tag stays."""
    return re.sub(r"<!--.*?(-->|$)|<[A-Za-z/!?][^>]*(>|$)", "", text, flags=re.S)


def _param_text(text: str) -> str:
    """clean_param(PARAM_TEXT) on text without multilang tags: strip_tags()."""
    return _strip_tags(text)


def _shorten(text: str, ideal: int = 100) -> str:
    """shorten_text(): unchanged when its text without tags fits; else cut
    (marked here with '...', as Moodle ends it)."""
    if len(re.sub(r"<.*?>", "", text, flags=re.S)) <= ideal:
        return text
    return text[:ideal] + "..."


def moodle_text(name: str) -> str:
    """A short name as Moodle shows it (format_string): tags stripped, entities decoded."""
    return html.unescape(_strip_tags(name))


# --- Canvas -------------------------------------------------------------------------

CANVAS_REQUIRED = ("title", "vendor_guid", "object_type")
CANVAS_OPTIONAL = ("canvas_id", "course_id", "description", "friendly_description", "display_name", "parent_guids",
                   "calculation_method", "calculation_int", "mastery_points", "workflow_state")
CANVAS_OBJECT_ONLY = ("calculation_method", "calculation_int", "ratings")
# OutcomeCalculationMethod: the methods, and the calculation_int each takes (none: must be empty).
CANVAS_CALCULATION_INTS = {
    "decaying_average": range(1, 100), "weighted_average": range(1, 100),
    "standard_decaying_average": range(50, 100), "n_mastery": range(1, 11),
    "highest": range(0), "latest": range(0), "average": range(0),
}
CANVAS_DEFAULT_INT = {"decaying_average": 65, "standard_decaying_average": 65, "weighted_average": 65, "n_mastery": 5}
CANVAS_STRING_LIMIT = 255
CANVAS_TEXT_LIMIT = 65535


class CanvasFileError(Exception):
    """The whole import fails (DataFormatError, or an error Canvas does not catch)."""


class _RowError(Exception):
    pass


@dataclass
class CanvasImport:
    groups: dict[str, dict] = field(default_factory=dict)  # by vendor_guid, in file order
    outcomes: dict[str, dict] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)


def canvas_import(data: bytes) -> CanvasImport:
    """What Outcomes::CSVImporter#run would import from `data` into an account without outcomes."""
    if data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1) < 1:  # file_line_count
        raise CanvasFileError("File has no data")
    first_line = data.split(b"\n", 1)[0]
    separator = ";" if first_line.count(b";") > first_line.count(b",") else ","
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    rows = ruby_csv(body.decode("utf-8", "surrogateescape"), separator)
    headers = _canvas_headers(rows[0])
    if len(rows) < 2:
        raise CanvasFileError("File has no outcomes data")
    result = CanvasImport()
    for number, row in enumerate(rows[1:], start=2):
        try:
            cells = [_utf8(cell) for cell in row]
            if all(_blank(cell) for cell in cells):
                continue
            _canvas_row(result, headers, cells, number)
        except _RowError as error:
            result.errors.append((number, str(error)))
        except _RecordInvalid as invalid:
            result.errors += [(number, message) for message in invalid.messages]
    return result


def ruby_csv(text: str, separator: str) -> list[list[str | None]]:
    """Ruby's CSV (strict, the row separator found from the first line end):
    an empty unquoted field is nil; a malformed file fails whole, as
    "Invalid CSV File"."""
    first = re.search("\r\n|\r|\n", text)
    row_sep = first.group(0) if first else "\n"
    rows, pos, end = [], 0, len(text)
    while pos < end:
        row: list[str | None] = []
        while True:
            if text.startswith('"', pos):
                pos += 1
                value = []
                while True:
                    quote = text.find('"', pos)
                    if quote < 0:
                        raise CanvasFileError(f"Invalid CSV File (unclosed quoted field in row {len(rows) + 1})")
                    value.append(text[pos:quote])
                    if text.startswith('"', quote + 1):
                        value.append('"')
                        pos = quote + 2
                    else:
                        pos = quote + 1
                        break
                if not (pos == end or text.startswith(separator, pos) or text.startswith(row_sep, pos)):
                    raise CanvasFileError(f"Invalid CSV File (a value after a quoted field in row {len(rows) + 1})")
                row.append("".join(value))
            else:
                stops = [i for i in (text.find(separator, pos), text.find(row_sep, pos)) if i >= 0]
                stop = min(stops, default=end)
                raw = text[pos:stop]
                if '"' in raw:
                    raise CanvasFileError(f"Invalid CSV File (illegal quoting in row {len(rows) + 1})")
                if "\r" in raw or "\n" in raw:
                    raise CanvasFileError(f"Invalid CSV File (a line break in an unquoted field, row {len(rows) + 1})")
                row.append(raw or None)
                pos = stop
            if text.startswith(separator, pos):
                pos += len(separator)
                continue
            if text.startswith(row_sep, pos):
                pos += len(row_sep)
            break
        rows.append([] if row == [None] else row)
    return rows


def _canvas_headers(row: list[str | None]) -> list[str]:
    """validate_headers()."""
    end = row.index("ratings") if "ratings" in row else len(row)
    if None in row[:end]:
        raise CanvasFileError("an empty header before 'ratings' (Canvas fails calling to_sym on nil)")
    headers = row[:end]
    after = [cell for cell in row[end + 1:] if not _blank(cell)]
    if after:
        raise CanvasFileError(f"Invalid fields after ratings: {json.dumps(after)}")
    missing = [name for name in CANVAS_REQUIRED if name not in headers]
    if missing:
        raise CanvasFileError(f"Missing required fields: {json.dumps(missing)}")
    invalid = [name for name in headers if name not in CANVAS_OPTIONAL + CANVAS_REQUIRED]
    if invalid:
        raise CanvasFileError(f"Invalid fields: {json.dumps(invalid)}")
    return headers


def _canvas_row(result: CanvasImport, headers: list[str], row: list[str | None], number: int) -> None:
    """import_row() and import_object()."""
    if len(row) < len(headers):
        raise CanvasFileError(f"row {number} is shorter than the header (Canvas fails on nil ratings)")
    item = dict(zip(headers, row))
    item["ratings"] = _ratings(row[len(headers):])
    if _present(item.get("mastery_points")):
        item["mastery_points"] = _strict_float(item["mastery_points"], "mastery points")
    if _present(item.get("friendly_description")) and len(item["friendly_description"]) > 255:
        raise _RowError("Friendly description is too long (maximum is 255 characters)")
    for name in ("vendor_guid", "title"):
        if not _present(item.get(name)):
            raise _RowError(f'The "{name}" field is required')
    if re.search(r"[ \t\r\n\f\v]", item["vendor_guid"]):
        raise _RowError('The "vendor_guid" field must have no spaces')
    if item.get("workflow_state") not in (None, "", "active", "deleted"):
        raise _RowError('"workflow_state" must be either "active" or "deleted"')
    if item.get("object_type") == "outcome":
        _canvas_outcome(result, item)
    elif item.get("object_type") == "group":
        _canvas_group(result, item)
    else:
        raise _RowError(f'Invalid object_type: "{item.get("object_type") or ""}"')


def _canvas_group(result: CanvasImport, group: dict) -> None:
    invalid = [name for name, value in group.items() if _present(value) and name in CANVAS_OBJECT_ONLY]
    if invalid:
        raise _RowError(f"Invalid fields for a group: {json.dumps(invalid)}")
    parents = _parents(result, group)
    if len(parents) > 1:
        raise _RowError("An outcome group can only have one parent")
    guid = group["vendor_guid"]
    if guid in result.groups:
        raise _RowError(f'Group "{guid}" has already appeared in this import')
    if re.search(r"canvas_outcome_group:(\d+)", guid):  # an existing group's id: a new account has none
        raise _RowError(f"Outcome group with canvas id {group.get('canvas_id') or ''} not found")
    _lengths(("Title", group["title"], CANVAS_STRING_LIMIT), ("Description", group.get("description"),
             CANVAS_TEXT_LIMIT), ("Vendor guid", guid, CANVAS_STRING_LIMIT))
    result.groups[guid] = {"title": group["title"], "description": group.get("description") or "",
                           "parent": parents[0] if parents else None,
                           "workflow_state": group.get("workflow_state") or "active"}


def _canvas_outcome(result: CanvasImport, outcome: dict) -> None:
    parents = _parents(result, outcome)
    guid = outcome["vendor_guid"]
    if re.search(r"canvas_outcome:(\d+)", guid):  # an existing outcome's id: a new account has none
        raise _RowError(f'Outcome with canvas id "{outcome.get("canvas_id") or ""}" not found')
    if guid in result.outcomes:
        raise _RowError(f'Outcome "{guid}" has already appeared in this import')
    method = outcome.get("calculation_method") or "highest"
    calculation_int = _active_record_int(outcome.get("calculation_int"))
    if calculation_int is None:  # infer_default_calculation_method(), for a new outcome
        calculation_int = CANVAS_DEFAULT_INT.get(method)
    messages = _length_messages(
        ("Short description", outcome["title"], CANVAS_STRING_LIMIT),
        ("Description", outcome.get("description"), CANVAS_TEXT_LIMIT),
        ("Vendor guid", guid, CANVAS_STRING_LIMIT), ("Display name", outcome.get("display_name"), CANVAS_STRING_LIMIT))
    if method not in CANVAS_CALCULATION_INTS:
        messages.append("Calculation method calculation_method must be one of the following: "
                        + json.dumps(list(CANVAS_CALCULATION_INTS)))
    else:
        valid = CANVAS_CALCULATION_INTS[method]
        if not (calculation_int is None and not valid or calculation_int in valid):
            messages.append("Calculation int A calculation value is not used with this calculation method" if not valid
                            else f"Calculation int '{calculation_int}' is not a valid value for this calculation "
                                 f"method. The value must be between '{valid[0]}' and '{valid[-1]}'")
    if messages:
        raise _RecordInvalid(messages)
    ratings, mastery = outcome["ratings"], outcome.get("mastery_points")
    rubric = None
    if ratings or _present(mastery):  # create_rubric() and LearningOutcome#rubric_criterion=
        tiers = sorted(({"points": points, "description": description if description is not None else "No Comment"}
                        for points, description in ratings), key=lambda r: r["points"], reverse=True)
        rubric = {"ratings": tiers, "mastery_points": mastery if _present(mastery) else tiers[0]["points"]}
    result.outcomes[guid] = {
        "title": outcome["title"], "description": outcome.get("description") or "",
        "display_name": outcome.get("display_name") or "", "calculation_method": method,
        "calculation_int": calculation_int, "rubric": rubric,
        "parents": [] if outcome.get("workflow_state") == "deleted" else parents,
    }


class _RecordInvalid(Exception):
    """ActiveRecord::RecordInvalid: every failed validation, as Canvas lists them."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _parents(result: CanvasImport, item: dict) -> list[str | None]:
    """find_parents(): groups of this import named in parent_guids; none: the root group (None)."""
    if not _present(item.get("parent_guids")):
        return [None]
    guids = item["parent_guids"].strip().split()
    found = [guid for guid in result.groups if guid in guids]
    if len(found) < len(guids):
        missing = [guid for guid in guids if guid not in found]
        raise _RowError(f"Parent references not found prior to this row: {json.dumps(missing)}")
    return found


def _ratings(cells: list[str | None]) -> list[tuple[float, str | None]]:
    """parse_ratings(): (points, description) pairs, points never rising."""
    cells = list(cells)
    while cells and cells[-1] is None:
        cells.pop()
    ratings, prior = [], None
    for index, start in enumerate(range(0, len(cells), 2), start=1):
        points, description = cells[start], cells[start + 1] if start + 1 < len(cells) else None
        if points is None or _blank(points):
            raise _RowError(f"Points for rating tier {index} not present")
        points = _strict_float(points, f"rating tier {index} threshold")
        if prior is not None and prior < points:
            raise _RowError(f"Points for tier {index} must be less than points for prior tier "
                            f"({points} is greater than {prior})")
        prior = points
        ratings.append((points, description))
    return ratings


_RUBY_FLOAT = re.compile(r"\s*[+-]?(0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*|(\d+(_\d+)*)?(\.\d+(_\d+)*)?([eE][+-]?\d+)?)\s*")


def _strict_float(value: str, name: str) -> float:
    """strict_parse_float(): Ruby's Float() after dropping "," (the English delimiter)."""
    text = value.replace(",", "")
    if _blank(value) or not _RUBY_FLOAT.fullmatch(text) or not re.search(r"\d", text):
        raise _RowError(f'Invalid value for {name}: "{value}"')
    text = text.strip().replace("_", "")
    return float(int(text, 16)) if "x" in text.lower() else float(text)


def _active_record_int(value: str | None) -> int | None:
    """An integer column's cast: blank is nil, else Ruby's to_i."""
    if _blank(value):
        return None
    match = re.match(r"\s*([+-]?\d+)", value.replace("_", ""))
    return int(match.group(1)) if match else 0


def _lengths(*checks) -> None:
    messages = _length_messages(*checks)
    if messages:
        raise _RecordInvalid(messages)


def _length_messages(*checks) -> list[str]:
    return [f"{name} is too long (maximum is {limit} characters)"
            for name, value, limit in checks if value is not None and len(value) > limit]


def _utf8(cell: str | None) -> str | None:
    """check_encoding(): a cell that is not UTF-8 is an error for its row."""
    if cell is None:
        return None
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        raise _RowError(f"Not a valid utf-8 string: {cell!r}") from None
    return cell


def _blank(value: str | None) -> bool:
    """Ruby's blank?: nil, or nothing but white space."""
    return value is None or all(char.isspace() and char not in "\x1c\x1d\x1e\x1f" for char in value)


def _present(value) -> bool:
    if isinstance(value, str) or value is None:
        return not _blank(value)
    return bool(value) or isinstance(value, (int, float))
