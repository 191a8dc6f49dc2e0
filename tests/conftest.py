"""Small factories that build catalogs inline, one YAML file per module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml


def module_data(module_id: str, **fields) -> dict:
    data = {"id": module_id, "title": module_id.replace("-", " ").title(), "hours": 2, "level": "foundation"}
    data.update(fields)
    return data


def write_yaml(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# Third-party schemas, fixtures and catalogs (../shared/third-party): tests
# that need them skip when the folder is missing, unless
# CURRICULUM_REQUIRE_THIRD_PARTY=1 (then they fail).
THIRD_PARTY = Path(os.environ.get("CURRICULUM_THIRD_PARTY",
                                  Path(__file__).resolve().parents[2] / "shared" / "third-party"))


@pytest.fixture(scope="session")
def third_party() -> Path:
    if not THIRD_PARTY.is_dir():
        message = f"third-party files not found at {THIRD_PARTY} (set CURRICULUM_THIRD_PARTY)"
        if os.environ.get("CURRICULUM_REQUIRE_THIRD_PARTY") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return THIRD_PARTY


@pytest.fixture
def catalog_dir(tmp_path):
    """Return a function that writes modules (id -> fields) into a fresh catalog folder."""
    counter = iter(range(1000))

    def make(modules: dict[str, dict] | None = None, settings: dict | None = None, name: str | None = None) -> Path:
        directory = tmp_path / (name or f"catalog{next(counter)}")
        directory.mkdir()
        for module_id, fields in (modules or {}).items():
            write_yaml(directory / f"{module_id}.yaml", module_data(module_id, **fields))
        if settings is not None:
            write_yaml(directory / "catalog.yaml", settings)
        return directory

    return make


@pytest.fixture
def loaded(catalog_dir):
    """Return a function: modules -> LoadedCatalog (catalog + checked graph)."""
    from curriculum.pipeline import load

    def make(modules: dict[str, dict], settings: dict | None = None):
        return load([catalog_dir(modules, settings)])

    return make


# A small end-to-end shaped catalog used by several tests.
SMALL = {
    "python": {"stage": "foundations"},
    "framing": {"stage": "problem-framing", "roles": ["all"]},
    "cleaning": {"stage": "data", "prerequisites": ["python"]},
    "baseline": {"stage": "modeling", "prerequisites": ["cleaning"]},
    "evaluate": {"stage": "evaluation", "prerequisites": ["baseline"]},
    "serve": {"stage": "deployment", "prerequisites": ["baseline"], "hours": 3},
    "first-slice": {
        "stage": "deployment", "tags": ["capstone"], "prerequisites": ["framing", "evaluate", "serve"],
        "roles": ["ml-engineer", "software-engineer"],
    },
    "boosting": {"stage": "modeling", "level": "practitioner", "prerequisites": ["baseline"], "roles": ["ml-engineer"]},
    "monitoring": {"stage": "monitoring", "level": "practitioner", "prerequisites": ["serve"], "roles": ["ml-engineer"]},
    "platforms": {"stage": "deployment", "level": "practitioner", "prerequisites": ["serve"],
                  "roles": ["ml-engineer"], "sizes": ["large"]},
    "pairing": {"stage": "team-practice", "roles": ["ml-engineer", "ml-researcher"], "sizes": ["medium"]},
}


def draw_modules(draw, count: int, hours, **fields) -> dict:
    """Hypothesis: `count` random modules m0, m1, ... forming a DAG (each
    module's prerequisites are drawn from earlier ids only), with hours drawn
    from `hours` and each other field drawn from its strategy in `fields`."""
    from hypothesis import strategies as st

    from curriculum.model import Location, Module

    modules = {}
    for index in range(count):
        module_id = f"m{index}"
        modules[module_id] = Module(
            id=module_id, title=module_id, hours=draw(st.sampled_from(hours)),
            location=Location("x.yaml", index + 1),
            prerequisites=tuple(draw(st.sets(st.sampled_from([f"m{i}" for i in range(index)]), max_size=3))
                                if index else ()),
            **{name: draw(strategy) for name, strategy in fields.items()},
        )
    return modules
