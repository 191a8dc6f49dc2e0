"""A fast yes/no check of data against our JSON Schemas.

`jsonschema` explains every violation well but costs milliseconds per module
and a noticeable import; nearly every module in a real catalog is valid. So
each item is first checked here, and only items that fail are handed to
`jsonschema` for the full explanation. The schema is compiled once into
nested closures. This covers exactly the keywords our schemas use; a test
holds it to agreement with `jsonschema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}
_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "format"}


def compile_schema(schema: dict, root: dict | None = None) -> Check:
    """A function telling whether an instance satisfies `schema`."""
    root = schema if root is None else root
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checks.append(_KEYWORDS[keyword](value, schema, root))
    return lambda instance: all(check(instance) for check in checks)


def _ref(ref: str, schema, root) -> Check:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    compiled: list[Check] = []  # compiled on first use: schemas may refer to themselves

    def check(instance):
        if not compiled:
            compiled.append(compile_schema(node, root))
        return compiled[0](instance)

    return check


def _one_of(options, schema, root) -> Check:
    checks = [compile_schema(option, root) for option in options]
    return lambda instance: sum(check(instance) for check in checks) == 1


def _type(name, schema, root) -> Check:
    return _TYPES[name]


def _enum(choices, schema, root) -> Check:
    # As in JSON Schema, true is not 1 (but 1 is 1.0).
    def same(value, choice):
        if isinstance(value, bool) or isinstance(choice, bool):
            return value is choice
        return value == choice

    return lambda instance: any(same(instance, choice) for choice in choices)


def _pattern(pattern, schema, root) -> Check:
    search = re.compile(pattern).search
    return lambda instance: not isinstance(instance, str) or search(instance) is not None


def _length(minimum: int, maximum: float, kind: type) -> Check:
    return lambda instance: not isinstance(instance, kind) or minimum <= len(instance) <= maximum


def _number(test: Callable[[float], bool]) -> Check:
    return lambda instance: not _TYPES["number"](instance) or test(instance)


def _items(item_schema, schema, root) -> Check:
    check = compile_schema(item_schema, root)
    return lambda instance: not isinstance(instance, list) or all(check(item) for item in instance)


def _required(names, schema, root) -> Check:
    return lambda instance: not isinstance(instance, dict) or all(name in instance for name in names)


def _properties(properties, schema, root) -> Check:
    checks = {name: compile_schema(sub, root) for name, sub in properties.items()}
    closed = schema.get("additionalProperties", True) is False

    def check(instance):
        if not isinstance(instance, dict):
            return True
        for name, value in instance.items():
            property_check = checks.get(name)
            if property_check is None:
                if closed:
                    return False
            elif not property_check(value):
                return False
        return True

    return check


def _additional(value, schema, root) -> Check:
    """additionalProperties: false, or a schema every value must meet (in a
    mapping without `properties`)."""
    if value is False:
        if "properties" in schema:
            return lambda instance: True  # enforced by _properties
        return lambda instance: not isinstance(instance, dict) or not instance
    if not isinstance(value, dict) or "properties" in schema:
        raise ValueError("quickcheck handles additionalProperties: false, or a schema without properties")
    check = compile_schema(value, root)
    return lambda instance: not isinstance(instance, dict) or all(check(v) for v in instance.values())


_KEYWORDS: dict[str, Callable[[Any, dict, dict], Check]] = {
    "$ref": _ref,
    "oneOf": _one_of,
    "type": _type,
    "enum": _enum,
    "pattern": _pattern,
    "minLength": lambda v, s, r: _length(v, float("inf"), str),
    "maxLength": lambda v, s, r: _length(0, v, str),
    "minItems": lambda v, s, r: _length(v, float("inf"), list),
    "maxItems": lambda v, s, r: _length(0, v, list),
    "exclusiveMinimum": lambda v, s, r: _number(lambda x: x > v),
    "minimum": lambda v, s, r: _number(lambda x: x >= v),
    "maximum": lambda v, s, r: _number(lambda x: x <= v),
    "items": _items,
    "required": _required,
    "properties": _properties,
    "additionalProperties": _additional,
}
