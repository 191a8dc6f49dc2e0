"""Small factories that build catalogs inline, one YAML file per module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

# Real third-party catalogs and the LMS importers' schemas, beside the repository.
THIRD_PARTY = Path(os.environ.get("CURRICULUM_THIRD_PARTY",
                                  Path(__file__).resolve().parents[2] / "shared" / "third-party"))


@pytest.fixture(scope="session")
def third_party() -> Path:
    """The third-party folder; tests needing it skip without it, unless
    CURRICULUM_REQUIRE_THIRD_PARTY=1 (CI) makes that a failure."""
    if not THIRD_PARTY.is_dir():
        if os.environ.get("CURRICULUM_REQUIRE_THIRD_PARTY") == "1":
            pytest.fail(f"third-party folder {THIRD_PARTY} is missing (CURRICULUM_REQUIRE_THIRD_PARTY=1)")
        pytest.skip(f"third-party folder {THIRD_PARTY} is missing")
    return THIRD_PARTY


def module_data(module_id: str, **fields) -> dict:
    data = {"id": module_id, "title": module_id.replace("-", " ").title(), "hours": 2, "level": "foundation"}
    data.update(fields)
    return data


def write_yaml(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


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


@pytest.fixture(scope="session")
def department(tmp_path_factory):
    """The benchmark's 1,000-person department (tests/benchmarks/bench.py),
    planned once, with its overview alone (no syllabi) in Markdown and HTML:
    (team plan, folder holding index.md and index.html)."""
    from curriculum.pipeline import team_plan
    from curriculum.render import make_environment, render_overview
    from tests.benchmarks.bench import write_team

    folder = tmp_path_factory.mktemp("department")
    _, planned = team_plan(write_team(folder / "team.yaml", 1000))
    for name, text in render_overview(make_environment(), planned, ["md", "html"]).items():
        (folder / name).write_text(text, encoding="utf-8")
    return planned, folder
