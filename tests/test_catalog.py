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


# Catalog 2: honest hours, the shape of a path early, reasons a reader can use.


def reading_hours(module):
    return sum(r.hours or 0 for r in module.resources)


def test_hours_cover_the_exercise_not_only_the_reading(builtin):
    share = builtin.catalog.lint["max_reading_share"]
    assert share <= 0.6
    for module in builtin.catalog.modules.values():
        assert reading_hours(module) <= share * module.hours, module.id
        if module.is_milestone:
            assert module.hours >= 12, module.id


def test_every_path_takes_80_to_260_hours(builtin):
    for plan in all_plans(builtin):
        assert 80 <= plan.total_hours <= 260, (plan.slug, plan.total_hours)


def test_the_first_size_specific_module_starts_in_the_first_40_percent(builtin):
    sizes = set(builtin.catalog.sizes)
    for plan in all_plans(builtin):
        first = next(s for s in plan.steps if s.module.sizes and not sizes <= set(s.module.sizes))
        assert first.start_hour <= 0.4 * plan.total_hours, (plan.slug, first.module.id, first.start_hour)


def test_each_size_gives_a_role_at_least_five_modules_of_its_own(builtin):
    plans = {(p.role.id, p.size.id): {s.module.id for s in p.steps} for p in all_plans(builtin)}
    for (role, size), modules in plans.items():
        others = set().union(*(plans[role, other] for other in builtin.catalog.sizes if other != size))
        assert len(modules - others) >= 5, (role, size, sorted(modules - others))


def test_researchers_learn_software_engineering_before_ci_cd(builtin):
    for plan in all_plans(builtin):
        if plan.role.id == "ml-researcher":
            order = [s.module.id for s in plan.steps]
            assert order.index("engineering-for-researchers") < order.index("ci-cd-for-ml"), plan.slug


def test_researchers_get_llm_evaluation_and_fine_tuning(builtin):
    for plan in all_plans(builtin):
        if plan.role.id == "ml-researcher":
            order = {s.module.id for s in plan.steps}
            assert {"evaluating-llm-applications", "pretrained-transformers-fine-tuning"} <= order, plan.slug


def test_researchers_start_with_what_they_do_not_know(builtin):
    for plan in all_plans(builtin):
        if plan.role.id == "ml-researcher":
            assumed = {m.id for m in plan.assumed}
            assert {"python-for-data", "sklearn-baselines", "statistics-for-ml"} <= assumed, plan.slug
            assert not assumed & {s.module.id for s in plan.steps}


def test_no_custom_architectures_at_large_companies(builtin):
    for plan in all_plans(builtin):
        if plan.size.id == "large":
            assert not [s.module.id for s in plan.steps if "custom-architecture" in s.module.tags], plan.slug


def test_every_module_on_every_path_says_why_in_words(builtin):
    for plan in all_plans(builtin):
        titles = {s.module.title for s in plan.steps}
        for step in plan.steps:
            assert len(step.why) >= 40, (plan.slug, step.module.id, step.why)
            # Not a bare list of the modules that need it.
            assert step.why.rstrip(".") not in titles and not step.why.startswith("needed for "), step.why


def test_every_module_has_its_own_why(builtin):
    for module in builtin.catalog.modules.values():
        assert module.why and len(module.why) <= 400, module.id
