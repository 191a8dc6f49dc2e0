"""Read untrusted YAML into plain data, remembering the line of every value.

Built on composed nodes rather than `yaml.safe_load` so that:
- every value's line is known (errors name the line, not just the file);
- duplicate keys are errors instead of silently keeping the last one;
- only standard tags are accepted: `!!python/object` and friends are refused,
  never constructed;
- alias bombs and deep nesting are refused with bounded time and memory.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CurriculumError

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000  # counting every alias expansion

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MAX_INT_BITS = 1000  # well within a float
_SEQ_TAG = "tag:yaml.org,2002:seq"
# A key written `!!str key` or plainly (the resolver may read `yes:` as a bool; the text counts).
_KEY_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
             "tag:yaml.org,2002:float", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}

# A JSON-pointer-like path into the data: mapping keys and list indexes.
DataPath = tuple


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    data: Any
    lines: dict[DataPath, int]

    def line_of(self, data_path: DataPath) -> int:
        """The line of the value at `data_path`, or of its nearest parent."""
        data_path = tuple(data_path)
        while data_path not in self.lines and data_path:
            data_path = data_path[:-1]
        return self.lines.get(data_path, 1)


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `max_bytes`. A named pipe or a
    device would block or never end: refused before it is read, and the open
    file is checked again in case the path changed in between."""
    try:
        _check_regular(os.stat(path).st_mode, path)
        fd = os.open(path, os.O_RDONLY | _NO_WAIT)
    except OSError as exc:
        raise CurriculumError(f"cannot read file: {exc.strerror}", path) from None
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(fd)
            _check_regular(info.st_mode, path)
            if info.st_size > max_bytes:
                raise CurriculumError(f"file is {info.st_size} bytes, over the limit of {max_bytes}", path)
            raw = file.read(max_bytes + 1)  # the file may have grown since
        except OSError as exc:
            raise CurriculumError(f"cannot read file: {exc.strerror}", path) from None
    if len(raw) > max_bytes:
        raise CurriculumError(f"file is over the limit of {max_bytes} bytes", path)
    return raw


def _check_regular(mode: int, path: Path) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
        raise CurriculumError(f"not a regular file (it is {kind}); only regular files are read", path)


# Opening a pipe must not wait for a writer, nor a terminal become ours (neither exists on Windows).
_NO_WAIT = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
               (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
# Byte-order marks, longest first: UTF-32's starts with UTF-16's.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a text file with a size limit: UTF-8, or UTF-16 or UTF-32 with a
    byte-order mark (as spreadsheets and Windows editors save "Unicode")."""
    raw = read_bytes(path, max_bytes)
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].decode(encoding, "replace").count("\n") + 1
        what = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise CurriculumError(f"file is not {what} text{_encoding_hint(raw, encoding)}", path, line) from None
    if encoding == "utf-8" and "\x00" in text:  # valid UTF-8, but not text: UTF-16 without a byte-order mark?
        line = text.count("\n", 0, text.index("\x00")) + 1
        if _looks_utf16(raw):
            raise CurriculumError(f"file is not UTF-8 text{_encoding_hint(raw, encoding)}", path, line)
        raise CurriculumError("file contains a NUL character, which text never has", path, line)
    return text


def read_json(path: Path, max_bytes: int) -> Any:
    """A JSON file from someone else (progress exports, an earlier run's
    team.json), read like any text file; a problem is one error naming it."""
    text = read_text(path, max_bytes)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CurriculumError(f"invalid JSON: {exc.msg}", path, exc.lineno) from None
    except RecursionError:
        raise CurriculumError("invalid JSON: nested too deeply", path) from None


def _looks_utf16(raw: bytes) -> bool:
    return raw.count(b"\x00") * 4 > len(raw)


def _encoding_hint(raw: bytes, encoding: str) -> str:
    """What a file that is not UTF-8 seems to be, and what to do."""
    if encoding != "utf-8":
        return ""
    if _looks_utf16(raw):
        return " (it seems to be UTF-16 without a byte-order mark); save it as UTF-8"
    other = " (it is in some other encoding); save it as UTF-8"
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return other
    # A Western European export has accented letters and typographic
    # punctuation, a few at a time; Cyrillic, Greek or East Asian text read
    # this way makes long runs.
    runs = re.findall(r"[^\x00-\x7f]+", text)
    if all(len(run) <= 2 and all(c.isalpha() or c in _CP1252_PUNCTUATION for c in run) for run in runs):
        return " (it seems to be Windows-1252 or Latin-1); save it as UTF-8"
    return other


# Non-letters that text saved by Excel or Windows editors in Windows-1252 commonly has.
_CP1252_PUNCTUATION = frozenset("\u00a0\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u20ac\u00b0\u00b7"
                                "\u00ab\u00bb\u00a7\u00bf\u00a1")


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES, max_nodes: int = MAX_NODES) -> YamlDocument:
    """Parse one YAML document. Raises CurriculumError with the line on any problem."""
    text = read_text(path, max_bytes)
    loader = _Loader(text)
    try:
        # Composing builds nodes only: no tag is ever constructed here.
        node = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        if exc.context == "expected a single document in the stream":
            raise CurriculumError("expected one YAML document, found several", path, exc.problem_mark.line + 1) from None
        raise _yaml_error(exc, path, text) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, path, text) from None
    except yaml.YAMLError as exc:
        raise CurriculumError(f"invalid YAML: {exc}", path) from None
    except RecursionError:
        raise CurriculumError(f"YAML nested too deeply (limit {MAX_DEPTH})", path) from None
    finally:
        loader.dispose()
    if node is None:
        raise CurriculumError("file is empty", path, 1)
    converter = _Converter(path, max_nodes)
    data = converter.convert(node, (), 0, node.start_mark.line + 1)
    return YamlDocument(path, data, converter.lines)


def _yaml_error(exc: yaml.MarkedYAMLError, path: Path, text: str) -> CurriculumError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or exc.context or "invalid YAML"
    if line is not None and "\t" in _line_text(text, line):
        problem = "tab character found; indent YAML with spaces"
    return CurriculumError(f"invalid YAML: {problem}", path, line)


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


class _Converter:
    """Composed YAML nodes -> plain Python data plus a line map."""

    def __init__(self, path: Path, max_nodes: int):
        self.path = path
        self.max_nodes = max_nodes
        self.lines: dict[DataPath, int] = {}
        self.nodes = 0
        # Nodes met before (anchors): their value and how many nodes they expand to.
        self.done: dict[int, tuple[Any, int]] = {}
        self.open: set[int] = set()

    def error(self, message: str, line: int) -> CurriculumError:
        return CurriculumError(message, self.path, line)

    def convert(self, node, data_path: DataPath, depth: int, line: int) -> Any:
        """Convert `node`, found at `line` (where it is referred to)."""
        self.lines.setdefault(data_path, line)
        key = id(node)
        if key in self.done:  # an alias: shared, but counted as expanded
            value, count = self.done[key]
            self.count(count, line)
            return value
        if key in self.open:
            raise self.error("recursive YAML alias", line)
        if depth > MAX_DEPTH:
            raise self.error(f"YAML nested too deeply (limit {MAX_DEPTH})", line)
        before = self.nodes
        self.count(1, line)
        self.open.add(key)
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            self.check_tag(node, _SEQ_TAG)
            here = node.start_mark.line + 1
            value = [
                # An alias item's node starts where its anchor is: report the list's line instead.
                self.convert(item, data_path + (index,), depth + 1,
                             here if id(item) in self.done else item.start_mark.line + 1)
                for index, item in enumerate(node.value)
            ]
        else:
            self.check_tag(node, _MAP_TAG)
            value = self.mapping(node, data_path, depth)
        self.open.discard(key)
        self.done[key] = (value, self.nodes - before)
        return value

    def mapping(self, node, data_path: DataPath, depth: int) -> dict:
        value: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("mapping keys must be plain text, not lists or mappings", line)
            if key_node.tag not in _KEY_TAGS:
                raise self.error(f"YAML tag '{_short_tag(key_node.tag)}' is not allowed on a key", line)
            key = key_node.value
            if key in value:
                first = self.lines.get(data_path + (key,), "?")
                raise self.error(f"duplicate key '{key}' (first on line {first})", line)
            self.lines[data_path + (key,)] = line
            value[key] = self.convert(value_node, data_path + (key,), depth + 1, line)
        return value

    def count(self, n: int, line: int) -> None:
        self.nodes += n
        if self.nodes > self.max_nodes:
            raise self.error(f"too many YAML nodes (over {self.max_nodes}); aliases expand too far", line)

    def check_tag(self, node, standard_tag: str) -> None:
        if node.tag != standard_tag:
            raise self.error(f"YAML tag '{_short_tag(node.tag)}' is not allowed", node.start_mark.line + 1)

    def scalar(self, node) -> Any:
        line = node.start_mark.line + 1
        if node.tag not in _SCALAR_TAGS:
            raise self.error(f"YAML tag '{_short_tag(node.tag)}' is not allowed", line)
        try:
            value = _constructor.yaml_constructors[node.tag](_constructor, node)
        except (yaml.YAMLError, ValueError, OverflowError):
            if node.tag == _TIMESTAMP_TAG:
                raise self.error(f"{node.value!r} is not a real date", line) from None
            kind = node.tag.rsplit(":", 1)[-1]
            raise self.error(f"invalid value {node.value!r} for YAML type {kind}", line) from None
        if isinstance(value, dt.datetime):
            raise self.error(f"expected a date, not a date and time: {node.value!r}", line)
        # No number in any curriculum file may be infinite, NaN or beyond a float.
        if isinstance(value, float) and not math.isfinite(value):
            what = "not a number (NaN)" if math.isnan(value) else "infinite"
            raise self.error(f"{node.value!r} is {what}: write a finite number, such as 2.5", line)
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise self.error(f"{node.value[:20]!r}... is too large a number", line)
        return value
