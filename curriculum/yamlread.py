"""Read untrusted YAML into plain data, remembering the line of every value.

Built on composed nodes rather than `yaml.safe_load` so that:
- every value's line is known (errors name the line, not just the file);
- duplicate keys are errors instead of silently keeping the last one;
- only standard tags are accepted: `!!python/object` and friends are refused,
  never constructed;
- alias bombs and deep nesting are refused with bounded time and memory.
"""

from __future__ import annotations

import datetime as dt
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


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a UTF-8 file (a byte-order mark is allowed) with a size limit."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise CurriculumError(f"file is {size} bytes, over the limit of {max_bytes}", path)
        raw = path.read_bytes()
    except OSError as exc:
        raise CurriculumError(f"cannot read file: {exc.strerror}", path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CurriculumError("file is not UTF-8 text", path, line) from None


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
            kind = node.tag.rsplit(":", 1)[-1]
            raise self.error(f"invalid value {node.value!r} for YAML type {kind}", line) from None
        if isinstance(value, dt.datetime):
            raise self.error(f"expected a date, not a date and time: {node.value!r}", line)
        return value
