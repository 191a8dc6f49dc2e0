"""Where the built-in catalog, templates and schemas live.

In a source checkout or editable install they are the top-level `modules/` and
`templates/` folders; a wheel carries copies inside the package (`_data/`).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def builtin_modules_dir() -> Path:
    return _data_dir("modules")


def builtin_templates_dir() -> Path:
    return _data_dir("templates")


def schema_path(kind: str) -> Path:
    return _PACKAGE / "schema" / f"{kind}.schema.json"
