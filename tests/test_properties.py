"""Property-based tests over random catalogs and random text."""

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum.errors import CurriculumError
from curriculum.graph import ancestors_of, check_graph
from curriculum.loader import load_catalog
from curriculum.model import LEVELS, STAGES, Catalog, Profile, Role, Size
from curriculum.plan import plan_path

from .conftest import draw_modules

ROLES = ("dev", "ops")
SIZES = ("small", "large")


@st.composite
def catalogs(draw):
    """A random DAG of modules: prerequisites are drawn from earlier ids only."""
    modules = draw_modules(
        draw, draw(st.integers(1, 25)), [0.5, 1, 2, 3.5, 8], level=st.sampled_from(LEVELS),
        stage=st.sampled_from((None, *STAGES)),
        roles=st.sets(st.sampled_from(ROLES + ("all",)), max_size=2).map(tuple),
        sizes=st.sets(st.sampled_from(SIZES), max_size=2).map(tuple),
        tags=st.tuples(st.booleans(), st.booleans()).map(lambda pair: ("capstone",) if all(pair) else ()),
    )
    catalog = Catalog(
        modules=modules,
        roles={r: Role(r, r) for r in ROLES},
        sizes={s: Size(s, s) for s in SIZES},
    )
    ids = sorted(modules)
    profile = Profile(
        role=draw(st.sampled_from(ROLES)),
        size=draw(st.sampled_from(SIZES)),
        knows=tuple(sorted(draw(st.sets(st.sampled_from(ids), max_size=4)))),
        goals=tuple(sorted(draw(st.sets(st.sampled_from(ids), max_size=3)))),
        hours_per_week=draw(st.sampled_from([1, 2.5, 5, 10])),
    )
    return catalog, profile


@settings(max_examples=300, deadline=None)
@given(catalogs())
def test_paths_respect_prerequisites_targets_and_knowledge(case):
    catalog, profile = case
    graph, problems = check_graph(catalog)
    assert problems == []
    plan = plan_path(catalog, graph, profile)
    order = [step.module.id for step in plan.steps]
    known = set(profile.knows) | ancestors_of(graph, profile.knows)

    assert len(order) == len(set(order))
    assert not known & set(order)
    for position, module_id in enumerate(order):
        for prerequisite in catalog.modules[module_id].prerequisites:
            assert prerequisite in known or order.index(prerequisite) < position
    targets = {m.id for m in catalog.modules.values() if m.targets(profile.role, profile.size)} | set(profile.goals)
    assert targets - known <= set(order)
    assert set(order) <= targets | ancestors_of(graph, targets)
    # The schedule adds up and weeks never go backwards.
    assert abs(plan.total_hours - sum(catalog.modules[m].hours for m in order)) < 1e-6
    weeks = [step.week for step in plan.steps]
    assert weeks == sorted(weeks) and all(s.end_week >= s.week for s in plan.steps)
    assert all(s.end_week <= plan.weeks for s in plan.steps)


@settings(max_examples=100, deadline=None)
@given(catalogs())
def test_planning_is_deterministic(case):
    catalog, profile = case
    reordered = Catalog(dict(reversed(list(catalog.modules.items()))), catalog.roles, catalog.sizes)
    first = plan_path(catalog, check_graph(catalog)[0], profile)
    second = plan_path(reordered, check_graph(reordered)[0], profile)
    assert first == second


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
module_like = st.fixed_dictionaries(
    {}, optional={
        "id": st.text(max_size=12) | st.just("ok-id"),
        "title": yaml_values, "hours": yaml_values, "level": st.sampled_from(LEVELS) | yaml_values,
        "prerequisites": yaml_values, "roles": yaml_values, "sizes": yaml_values, "stage": yaml_values,
        "resources": yaml_values, "outcomes": yaml_values, "tags": yaml_values,
        "why": yaml_values, "why_for": yaml_values, "replaces": yaml_values,
    },
)


def load_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "m.yaml").write_bytes(data)
        try:
            load_catalog([Path(folder)])
        except CurriculumError as error:
            assert str(error)  # every problem renders as a message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_loader_raises_only_its_own_error_on_arbitrary_bytes(data):
    load_text(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(module_like | st.lists(module_like, max_size=3))
def test_loader_raises_only_its_own_error_on_module_shaped_yaml(data):
    load_text(yaml.safe_dump(data, allow_unicode=True).encode())


json_like = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20000) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["ok-id", "foundation", "data", "docs", "https://example.org/x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "title", "hours", "level", "url", "kind", "role", "name", "x"]) | st.text(max_size=6),
        inner, max_size=5),
    max_leaves=25,
)
module_shaped = st.fixed_dictionaries(
    {"id": st.sampled_from(["ok-id", "Bad Id", 3]), "title": st.sampled_from(["T", "", None]),
     "hours": st.sampled_from([1, 0, -1, 2.5, "x", True, 20000]), "level": st.sampled_from(["foundation", "guru", 1])},
    optional={"prerequisites": json_like, "roles": json_like, "resources": st.lists(json_like, max_size=2),
              "stage": json_like, "tags": json_like, "extra": json_like, "why": json_like, "why_for": json_like,
              "replaces": json_like},
)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["module", "catalog", "team"]), json_like | module_shaped)
def test_quick_check_agrees_with_jsonschema(kind, instance):

    from curriculum.loader import _quick_check, _validator

    assert _quick_check(kind)(instance) == jsonschema_valid(_validator(kind), instance)


def jsonschema_valid(validator, instance) -> bool:
    return not any(True for _ in validator.iter_errors(instance))
