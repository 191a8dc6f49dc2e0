"""The built-in catalog: complete, and shaped by the teaching stance."""

import pytest

from curriculum.model import LEVELS, STAGES
from curriculum.pipeline import all_plans, load


@pytest.fixture(scope="module")
def builtin():
    return load()


def test_size_and_coverage(builtin):
    modules = builtin.catalog.modules.values()
    assert len(modules) >= 60
    assert {m.stage for m in modules} == set(STAGES)
    assert {m.level for m in modules} == set(LEVELS)


def test_every_module_is_complete(builtin):
    for module in builtin.catalog.modules.values():
        assert module.summary and module.description and module.exercise and module.assessment, module.id
        assert len(module.outcomes) >= 3, module.id
        assert len(module.resources) >= 2, module.id
        assert all(r.url.startswith("https://") for r in module.resources), module.id


def test_a_capstone_at_every_level(builtin):
    assert {m.level for m in builtin.catalog.modules.values() if m.is_milestone} == set(LEVELS)


def test_modelling_modules_name_their_standard_models(builtin):
    for module in builtin.catalog.modules.values():
        if module.stage == "modeling" and "custom-architecture" not in module.tags:
            assert module.standard_models, module.id


def test_every_role_and_size_has_its_own_why(builtin):
    catalog = builtin.catalog
    texts = {(role, size): catalog.path_why.get((role, size)) for role in catalog.roles for size in catalog.sizes}
    assert len(texts) == 15 and all(texts.values())
    assert len(set(texts.values())) == 15


def test_fifteen_distinct_syllabi_that_change_with_company_size(builtin):
    plans = all_plans(builtin)
    assert len(plans) == 15
    contents = {(p.role.id, p.size.id): tuple(s.module.id for s in p.steps) for p in plans}
    assert len(set(contents.values())) == 15
    tags = lambda plan: {t for s in plan.steps for t in s.module.tags}  # noqa: E731
    for plan in plans:
        if plan.size.id == "medium":
            assert "pairing" in tags(plan), plan.slug
        if plan.size.id == "large":
            assert "adopt-platform" in tags(plan), plan.slug
        assert plan.first_milestone is not None
