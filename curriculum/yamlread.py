"""Read untrusted YAML into plain data, remembering the line of every value.

Built on the parser's event stream rather than `yaml.safe_load` so that:
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
_resolver = yaml.resolver.Resolver()
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


def read_yaml(path: Path, text: str | None = None) -> YamlDocument:
    """Parse one YAML document. Raises CurriculumError with the line on any problem."""
    if text is None:
        text = read_text(path)
    builder = _Builder(path)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if line is not None and "\t" in _line_text(text, line):
            problem = "tab character found; indent YAML with spaces"
        raise CurriculumError(f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as exc:
        raise CurriculumError(f"invalid YAML: {exc}", path) from None
    except RecursionError:
        raise CurriculumError(f"YAML nested too deeply (limit {MAX_DEPTH})", path) from None
    if not builder.documents:
        raise CurriculumError("file is empty", path, 1)
    if len(builder.documents) > 1:
        raise CurriculumError("expected one YAML document, found several", path, builder.second_document_line)
    return YamlDocument(path, builder.documents[0], builder.lines)


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


class _Builder:
    """Turns parser events into plain Python data plus a line map."""

    def __init__(self, path: Path):
        self.path = path
        self.documents: list[Any] = []
        self.second_document_line = 1
        self.lines: dict[DataPath, int] = {}
        # Open containers: [container, data path, pending key, anchor, start line, node count]
        self.stack: list[list] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, node count)
        self.nodes = 0

    def error(self, message: str, event) -> CurriculumError:
        return CurriculumError(message, self.path, event.start_mark.line + 1)

    def feed(self, event) -> None:
        if isinstance(event, yaml.DocumentStartEvent) and self.documents:
            self.second_document_line = event.start_mark.line + 1
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)):
            self.count_nodes(1, event)
        if isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, yaml.MappingStartEvent):
            self.open(event, {}, _MAP_TAG)
        elif isinstance(event, yaml.SequenceStartEvent):
            self.open(event, [], _SEQ_TAG)
        elif isinstance(event, yaml.CollectionEndEvent):
            container, _, _, anchor, _, count = self.stack.pop()
            if anchor:
                self.anchors[anchor] = (container, count)
            self.attach(container)

    def count_nodes(self, n: int, event) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise self.error(f"too many YAML nodes (over {MAX_NODES}); aliases expand too far", event)
        for frame in self.stack:
            frame[5] += n

    def open(self, event, container, standard_tag: str) -> None:
        if event.tag not in (None, "!", standard_tag):
            raise self.error(f"YAML tag '{_short_tag(event.tag)}' is not allowed", event)
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(f"YAML nested too deeply (limit {MAX_DEPTH})", event)
        data_path = self.child_path(event)
        self.lines.setdefault(data_path, event.start_mark.line + 1)
        self.stack.append([container, data_path, None, event.anchor, event.start_mark.line + 1, 1])

    def child_path(self, event) -> DataPath:
        if not self.stack:
            return ()
        container, data_path, key = self.stack[-1][0], self.stack[-1][1], self.stack[-1][2]
        if isinstance(container, list):
            return data_path + (len(container),)
        if key is None:
            raise self.error("mapping keys must be plain text, not lists or mappings", event)
        return data_path + (key,)

    def scalar(self, event) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame[0], dict) and frame[2] is None:
            self.key(event, frame)
            return
        value = self.construct_scalar(event)
        data_path = self.child_path(event)
        self.lines.setdefault(data_path, event.start_mark.line + 1)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self.attach(value)

    def key(self, event, frame) -> None:
        if event.tag not in (None, "!", "tag:yaml.org,2002:str"):
            raise self.error(f"YAML tag '{_short_tag(event.tag)}' is not allowed on a key", event)
        key = event.value
        if key in frame[0]:
            first = self.lines.get(frame[1] + (key,), "?")
            raise self.error(f"duplicate key '{key}' (first on line {first})", event)
        frame[2] = key
        self.lines[frame[1] + (key,)] = event.start_mark.line + 1

    def alias(self, event) -> None:
        if event.anchor not in self.anchors:
            raise self.error(f"unknown YAML alias '*{event.anchor}'", event)
        value, count = self.anchors[event.anchor]
        self.count_nodes(count, event)
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame[0], dict) and frame[2] is None:
            raise self.error("aliases cannot be used as mapping keys", event)
        self.lines.setdefault(self.child_path(event), event.start_mark.line + 1)
        self.attach(value)

    def attach(self, value) -> None:
        if not self.stack:
            self.documents.append(value)
            return
        frame = self.stack[-1]
        if isinstance(frame[0], list):
            frame[0].append(value)
        else:
            frame[0][frame[2]] = value
            frame[2] = None

    def construct_scalar(self, event) -> Any:
        tag = event.tag
        if tag in (None, "!"):
            implicit = (event.implicit[0], event.implicit[1]) if tag is None else (False, False)
            tag = _resolver.resolve(yaml.ScalarNode, event.value, implicit)
        if tag not in _SCALAR_TAGS:
            raise self.error(f"YAML tag '{_short_tag(tag)}' is not allowed", event)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = _constructor.yaml_constructors[tag](_constructor, node)
        except (yaml.YAMLError, ValueError, OverflowError):
            raise self.error(f"invalid value {event.value!r} for YAML type {tag.rsplit(':', 1)[-1]}", event) from None
        if isinstance(value, dt.datetime):
            raise self.error(f"expected a date, not a date and time: {event.value!r}", event)
        return value
