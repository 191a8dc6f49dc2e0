"""Load stage: catalog directories of YAML files -> a validated `Catalog`.

Every problem found is collected and reported together as one `ProblemList`,
each located by file and line.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import resources
from .errors import CurriculumError, did_you_mean, raise_if_any
from .model import ALL_ROLES, Catalog, Facilitation, Location, Module, Resource, Role, Size
from .quickcheck import compile_schema
from .yamlread import YamlDocument, read_yaml

log = logging.getLogger(__name__)

# A file with this name at the root of a catalog holds its roles, sizes and
# "why this path" texts instead of modules.
SETTINGS_FILE = "catalog.yaml"
YAML_SUFFIXES = (".yaml", ".yml")


def load_catalog(module_dirs: Sequence[Path] | None = None) -> Catalog:
    """Load and merge catalogs in order; no directories means the built-in one.

    The built-in roles and sizes are always known; a catalog's own
    `catalog.yaml` adds to them or replaces them by id.
    """
    catalog, problems = read_catalog(module_dirs)
    raise_if_any(problems)
    return catalog


def read_catalog(module_dirs: Sequence[Path] | None = None) -> tuple[Catalog, list[CurriculumError]]:
    """Like `load_catalog`, but returns the modules that loaded together with
    the problems found, so later checks can report theirs in the same run."""
    builtin = resources.builtin_modules_dir()
    dirs = [Path(d) for d in module_dirs] if module_dirs else [builtin]
    problems: list[CurriculumError] = []

    settings_dirs = [builtin] + [d for d in dirs if d.resolve() != builtin.resolve()]
    roles: dict[str, Role] = {}
    sizes: dict[str, Size] = {}
    path_why: dict[tuple[str, str], tuple[str, Location]] = {}
    lint: dict[str, object] = {}
    facilitation: list[tuple[Facilitation, Location]] = []
    options: dict[str, str] = {}  # single settings (activity_base), a later catalog's winning
    # Role id -> the line of each module id in its `assumes`, and whether the
    # catalog.yaml that says so comes with its modules (the built-in one's
    # roles apply to every catalog, its modules only when it is loaded).
    assumes: dict[str, tuple[tuple[Location, ...], bool]] = {}
    loaded_dirs = {d.resolve() for d in dirs}
    for directory in settings_dirs:
        settings = directory / SETTINGS_FILE
        if settings.is_file():
            _load_settings(settings, roles, sizes, path_why, lint, facilitation, assumes, options, problems,
                           directory.resolve() in loaded_dirs)

    modules: dict[str, Module] = {}
    # Every role and size a module names, checked once all catalogs have
    # defined theirs; gathered even from modules with other problems.
    audiences: list[_Audience] = []
    for directory in dirs:
        for module in _load_directory(directory, problems, audiences):
            previous = modules.get(module.id)
            if previous is not None:
                log.warning(
                    "%s:%d: module '%s' replaces the one in %s",
                    module.location.path, module.location.line, module.id, previous.location.path,
                )
            modules[module.id] = module

    replaced = _replaced_ids(modules, problems)
    if replaced:
        modules = {module_id: _resolve_prerequisites(module, replaced) for module_id, module in modules.items()}
    for role_id, role in list(roles.items()):
        where, own_modules = assumes.get(role_id, ((), True))
        roles[role_id] = _resolve_assumes(role, where, own_modules, modules, replaced, problems)

    for audience in audiences:
        if audience.kind == "why_for":
            if audience.value not in roles and audience.value not in sizes:
                problems.append(CurriculumError(
                    f"'why_for' key '{audience.value}' is not a role or company size id"
                    f"{did_you_mean(audience.value, [*roles, *sizes])}",
                    audience.where.path, audience.where.line,
                ))
            continue
        known = roles if audience.kind == "role" else sizes
        if audience.value not in known and not (audience.kind == "role" and audience.value == ALL_ROLES):
            problems.append(_unknown(audience.kind, audience.value, known, audience.where))
    for rule, where in facilitation:
        if rule.role not in roles:
            problems.append(_unknown("role", rule.role, roles, where))
        problems.extend(_unknown("size", size, sizes, where) for size in rule.sizes if size not in sizes)
    for (role, size), (_, where) in sorted(path_why.items()):
        if role not in roles:
            problems.append(_unknown("role", role, roles, where))
        if size not in sizes:
            problems.append(_unknown("size", size, sizes, where))
    return Catalog(
        modules=dict(sorted(modules.items())),
        # Roles and sizes keep the order the catalogs define them in.
        roles=roles,
        sizes=sizes,
        path_why={key: why for key, (why, _) in sorted(path_why.items())},
        lint=lint,
        facilitation=tuple(rule for rule, _ in facilitation),
        replaced=dict(sorted(replaced.items())),
        **options,
    ), problems


def _replaced_ids(modules: dict[str, Module], problems: list[CurriculumError]) -> dict[str, str]:
    """Old id -> the module whose `replaces` names it. An old id that is still
    a module, or that two modules replace, is an error (and is not kept)."""
    replaced: dict[str, str] = {}
    clashes: set[str] = set()
    for module in sorted(modules.values(), key=lambda m: m.id):
        for index, old in enumerate(module.replaces):
            where = (module.location.path, module.line_of("replaces", index))
            live = modules.get(old)
            if live is not None:
                problems.append(CurriculumError(
                    f"module '{module.id}' replaces '{old}', which is still a module "
                    f"(at {live.location.path}:{live.location.line}): remove that module or this entry",
                    *where,
                ))
            elif old in replaced:
                first = modules[replaced[old]]
                problems.append(CurriculumError(
                    f"'{old}' is replaced by two modules: '{first.id}' "
                    f"(at {first.location.path}:{first.location.line}) and '{module.id}'",
                    *where,
                ))
                clashes.add(old)
            else:
                replaced[old] = module.id
    return {old: new for old, new in replaced.items() if old not in clashes}


def _resolve_prerequisites(module: Module, replaced: dict[str, str]) -> Module:
    """`module` with prerequisites (and their `because`) named by an old id
    naming the module that replaces it."""
    if not any(p in replaced for p in module.prerequisites):
        return module
    ids = [replaced.get(p, p) for p in module.prerequisites]
    because: dict[str, str] = {}
    for prerequisite, text in module.because:
        because.setdefault(replaced.get(prerequisite, prerequisite), text)
    lines = {key: line for key, line in module.lines.items() if key[:1] != ("prerequisites",)}
    kept: dict[str, int] = {}
    for index, prerequisite in enumerate(ids):
        if prerequisite not in kept:
            kept[prerequisite] = index
            if ("prerequisites", index) in module.lines:
                lines[("prerequisites", len(kept) - 1)] = module.lines[("prerequisites", index)]
    return replace(module, prerequisites=tuple(kept), because=tuple((p, because[p]) for p in kept if p in because),
                   lines=lines)


def _resolve_assumes(role: Role, where: tuple[Location, ...], own_modules: bool, modules, replaced,
                     problems) -> Role:
    """`role` with old ids in `assumes` resolved. An unknown id is an error
    when the catalog.yaml naming it is loaded with its modules; otherwise
    (the built-in roles over another catalog's modules) it is left out."""
    resolved = []
    for index, module_id in enumerate(role.assumes):
        module_id = replaced.get(module_id, module_id)
        if module_id not in modules:
            if not own_modules:
                continue
            location = where[index] if index < len(where) else Location(SETTINGS_FILE, 1)
            problems.append(CurriculumError(
                f"role '{role.id}' assumes unknown module '{module_id}'{did_you_mean(module_id, modules)}",
                location.path, location.line,
            ))
            continue
        resolved.append(module_id)
    resolved_tuple = tuple(dict.fromkeys(resolved))
    return role if resolved_tuple == role.assumes else replace(role, assumes=resolved_tuple)


def _load_directory(directory: Path, problems: list[CurriculumError], audiences: list[_Audience]) -> list[Module]:
    if not directory.is_dir():
        problems.append(CurriculumError("catalog directory not found", directory))
        return []
    seen: dict[str, Module] = {}
    for path in _catalog_files(directory, problems):
        try:
            document = read_yaml(path)
        except CurriculumError as exc:
            problems.append(exc)
            continue
        for module in _modules_from(document, problems, audiences):
            first = seen.get(module.id)
            if first is not None:
                problems.append(CurriculumError(
                    f"duplicate module id '{module.id}' (first defined at "
                    f"{first.location.path}:{first.location.line})",
                    module.location.path, module.location.line,
                ))
                continue
            seen[module.id] = module
    return list(seen.values())


def _catalog_files(directory: Path, problems: list[CurriculumError]) -> list[Path]:
    """YAML files under `directory`, recursively, in sorted order.

    Hidden files and folders are skipped; symbolic links are followed only
    when they stay inside the catalog.
    """
    root = directory.resolve()
    found: list[Path] = []
    for current, subdirs, files in os.walk(directory, followlinks=False):
        current_path = Path(current)
        kept = []
        for name in sorted(subdirs):
            sub = current_path / name
            if name.startswith("."):
                continue
            if sub.is_symlink():
                if _escapes(sub, root):
                    problems.append(CurriculumError("symbolic link points outside the catalog; not followed", sub))
                    continue
            kept.append(name)
        subdirs[:] = kept
        for name in sorted(files):
            path = current_path / name
            if name.startswith(".") or not name.endswith(YAML_SUFFIXES):
                continue
            if current_path == directory and name == SETTINGS_FILE:
                continue
            if path.is_symlink() and _escapes(path, root):
                problems.append(CurriculumError("symbolic link points outside the catalog; not followed", path))
                continue
            found.append(path)
    return sorted(found)


def _escapes(path: Path, root: Path) -> bool:
    return not path.resolve().is_relative_to(root)


def _modules_from(document: YamlDocument, problems: list[CurriculumError], audiences: list[_Audience]) -> list[Module]:
    data = document.data
    if isinstance(data, dict):
        items = [((), data)]
    elif isinstance(data, list):
        items = [((index,), item) for index, item in enumerate(data)]
    else:
        problems.append(CurriculumError(
            f"expected a module (a mapping) or a list of modules, found {_type_name(data)}",
            document.path, document.line_of(()),
        ))
        return []
    # Each module's own line map (its fields and their items), in one pass.
    depth = len(items[0][0]) if items else 0
    item_lines: dict[tuple, dict[tuple, int]] = {}
    for key, line in document.lines.items():
        if 0 < len(key) - depth <= 2:
            item_lines.setdefault(key[:depth], {})[key[depth:]] = line
    modules = []
    for prefix, item in items:
        if not isinstance(item, dict):
            problems.append(CurriculumError(
                f"expected a module (a mapping) as list item {prefix[0] + 1}, found {_type_name(item)}",
                document.path, document.line_of(prefix),
            ))
            continue
        audiences.extend(_audiences_of(item, document, prefix))
        errors = [
            CurriculumError(message, document.path, document.line_of(prefix + tuple(where)))
            for where, message in schema_errors(item, "module")
        ]
        if errors:
            problems.extend(errors)
            continue
        location = Location(str(document.path), document.line_of(prefix))
        modules.append(_module(item, location, item_lines.get(prefix, {})))
    return modules


def _module(data: dict[str, Any], location: Location, lines: dict[tuple, int]) -> Module:
    prerequisites: dict[str, int] = {}  # id -> index in the file
    because: dict[str, str] = {}
    for index, item in enumerate(data.get("prerequisites", ())):
        prerequisite = item if isinstance(item, str) else item["id"]
        prerequisites.setdefault(prerequisite, index)
        if isinstance(item, dict) and "because" in item:
            because.setdefault(prerequisite, item["because"])
    if len(prerequisites) < len(data.get("prerequisites", ())):  # duplicates dropped: keep each kept item's line
        lines = {key: line for key, line in lines.items() if key[:1] != ("prerequisites",)} | {
            ("prerequisites", new): lines[("prerequisites", old)]
            for new, old in enumerate(prerequisites.values()) if ("prerequisites", old) in lines
        }
    return Module(
        id=data["id"],
        title=data["title"],
        hours=float(data["hours"]),
        level=data["level"],
        location=location,
        prerequisites=tuple(prerequisites),
        stage=data.get("stage"),
        roles=tuple(dict.fromkeys(data.get("roles", ()))),
        sizes=tuple(dict.fromkeys(data.get("sizes", ()))),
        summary=data.get("summary", ""),
        description=data.get("description", ""),
        outcomes=tuple(data.get("outcomes", ())),
        exercise=data.get("exercise", ""),
        assessment=data.get("assessment", ""),
        standard_models=tuple(data.get("standard_models", ())),
        resources=tuple(
            Resource(r["title"], r["url"], r["kind"], float(r["hours"]) if "hours" in r else None)
            for r in data.get("resources", ())
        ),
        tags=tuple(data.get("tags", ())),
        why=data.get("why", ""),
        why_for=tuple(data.get("why_for", {}).items()),
        replaces=tuple(dict.fromkeys(data.get("replaces", ()))),
        because=tuple((p, because[p]) for p in prerequisites if p in because),
        lines=lines,
    )


def _load_settings(path, roles, sizes, path_why, lint, facilitation, assumes, options, problems,
                   own_modules=True) -> None:
    try:
        document = read_yaml(path)
    except CurriculumError as exc:
        problems.append(exc)
        return
    errors = [
        CurriculumError(message, path, document.line_of(tuple(where)))
        for where, message in schema_errors(document.data, "catalog")
    ]
    if errors:
        problems.extend(errors)
        return
    redefined = set()
    for index, item in enumerate(document.data.get("roles", ())):
        roles[item["id"]] = Role(item["id"], item["title"], item.get("description", ""), item.get("why", ""),
                                 tuple(item.get("assumes", ())))
        assumes[item["id"]] = (tuple(
            Location(str(path), document.line_of(("roles", index, "assumes", position)))
            for position in range(len(item.get("assumes", ())))
        ), own_modules)
        redefined.add(("role", item["id"]))
    for item in document.data.get("sizes", ()):
        sizes[item["id"]] = Size(item["id"], item["title"], item.get("description", ""), item.get("why", ""))
        redefined.add(("size", item["id"]))
    # Path texts written for a role or size this file redefines no longer apply.
    for role, size in list(path_why):
        if ("role", role) in redefined or ("size", size) in redefined:
            del path_why[(role, size)]
    for index, item in enumerate(document.data.get("paths", ())):
        where = Location(str(path), document.line_of(("paths", index)))
        path_why[(item["role"], item["size"])] = (item["why"], where)
    lint.update(document.data.get("lint", {}))
    if "activity_base" in document.data:
        options["activity_base"] = document.data["activity_base"]
    for index, item in enumerate(document.data.get("facilitation", ())):
        rule = Facilitation(item["role"], float(item["hours_per_week"]), tuple(item.get("sizes", ())),
                            tuple(item.get("leads", ())))
        facilitation.append((rule, Location(str(path), document.line_of(("facilitation", index)))))


@dataclass(frozen=True)
class _Audience:
    kind: str  # "role", "size" or "why_for" (a role or a size)
    value: str
    where: Location


def _audiences_of(item: dict, document: YamlDocument, prefix: tuple) -> list[_Audience]:
    """The roles, sizes and `why_for` keys a module names, each located."""
    found = []
    why_for = item.get("why_for")
    if isinstance(why_for, dict):
        found += [
            _Audience("why_for", key, Location(str(document.path), document.line_of(prefix + ("why_for", key))))
            for key in why_for if isinstance(key, str)
        ]
    for kind, field in (("role", "roles"), ("size", "sizes")):
        values = item.get(field)
        if isinstance(values, list):
            found += [
                _Audience(kind, value, Location(str(document.path), document.line_of(prefix + (field, index))))
                for index, value in enumerate(values) if isinstance(value, str)
            ]
    return found


def _unknown(kind: str, value: str, known: Iterable[str], where: Location) -> CurriculumError:
    return CurriculumError(
        f"unknown {kind} '{value}'{did_you_mean(value, known)}", where.path, where.line
    )


# --- JSON Schema validation -------------------------------------------------


@lru_cache(maxsize=None)
def _schema(kind: str) -> dict:
    return json.loads(resources.schema_path(kind).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(kind: str):
    import jsonschema  # deferred: only invalid input needs its explanations

    schema = _schema(kind)
    if kind == "module":
        # Validate one module at a time so error paths are relative to it.
        schema = {**schema, "$ref": "#/$defs/module"}
        del schema["oneOf"]
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=None)
def _quick_check(kind: str):
    root = _schema(kind)
    return compile_schema(root["$defs"]["module"] if kind == "module" else root, root)


def schema_errors(instance: Any, kind: str) -> list[tuple[list, str]]:
    """(data path, message) for each schema violation, in document order."""
    if _quick_check(kind)(instance):
        return []
    errors = []
    for error in _validator(kind).iter_errors(instance):
        errors.extend(_describe(error))
    # One jsonschema error per missing field, each described with all of them: dedupe.
    unique = {(tuple(where), message): where for where, message in errors}
    return sorted(((where, message) for (_, message), where in unique.items()),
                  key=lambda item: ([str(part) for part in item[0]], item[1]))


def _describe(error) -> list[tuple[list, str]]:
    where = list(error.absolute_path)
    field = _field_name(where)
    value = error.instance
    validator = error.validator
    if validator == "required":
        missing = [name for name in error.validator_value if name not in value]
        return [(where, f"missing required field '{name}'") for name in missing]
    if validator == "additionalProperties":
        allowed = error.schema.get("properties", {})
        return [
            (where + [name], f"unknown field '{name}'{did_you_mean(name, allowed)}")
            for name in sorted(value) if name not in allowed
        ]
    if validator == "type":
        expected = _TYPE_NAMES.get(error.validator_value, error.validator_value)
        return [(where, f"{field} must be {expected}, not {_type_name(value)}{_yaml11_number_hint(value)}")]
    if validator == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        hint = did_you_mean(value, error.validator_value) if isinstance(value, str) else ""
        return [(where, f"{field} must be one of {choices}; got {value!r}{hint}")]
    if validator == "pattern":
        if error.validator_value.startswith("^https?"):
            return [(where, f"{field} must be an http:// or https:// URL with no spaces, double quotes, angle brackets, "
                             f"backslashes or control characters (percent-encode them); got {value!r}")]
        return [(where, f"{field} {value!r} is not a valid id: use lowercase letters, digits and single hyphens, like 'intro-to-ml'")]
    if validator == "exclusiveMinimum":
        return [(where, f"{field} must be greater than {error.validator_value}; got {value!r}")]
    if validator == "minimum":
        return [(where, f"{field} must be at least {error.validator_value}; got {value!r}")]
    if validator == "maximum":
        return [(where, f"{field} must be at most {error.validator_value}; got {value!r}")]
    if validator in ("minLength", "minItems"):
        return [(where, f"{field} must not be empty")]
    if validator in ("maxLength", "maxItems"):
        return [(where, f"{field} is too long (limit {error.validator_value})")]
    if error.context:  # oneOf/anyOf: report the most specific sub-error, one of the form written
        best = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "type"))
        return _describe(best)
    return [(where, f"{field}: {error.message}")]


# A number with an exponent, as JSON and YAML 1.2 write it.
_EXPONENT_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _yaml11_number_hint(value: Any) -> str:
    """YAML 1.1 reads 1e308 (no dot, or no sign in the exponent) as text:
    say what to write instead."""
    if not isinstance(value, str) or not _EXPONENT_NUMBER.fullmatch(value) or not math.isfinite(float(value)):
        return ""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        instead = str(int(number))
    elif 1e-4 <= abs(number) < 1e15:
        instead = repr(number)
    else:  # YAML 1.1 needs a dot in the mantissa and a sign in the exponent
        mantissa, exponent = f"{number:e}".split("e")
        mantissa = mantissa.rstrip("0").replace(".", ".0") if mantissa.endswith(".000000") else mantissa.rstrip("0")
        instead = f"{mantissa}e{int(exponent):+d}"
    return f": YAML 1.1 reads {value} as text; write {instead}"


_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping",
    "boolean": "true or false",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"true/false ({value!r})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _field_name(where: list) -> str:
    if not where:
        return "the document"
    name = ""
    for part in where:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return f"'{name}'"
