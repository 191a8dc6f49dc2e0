import datetime as dt

import pytest

from curriculum.errors import CurriculumError
from curriculum.limits import LAST_START, MAX_WEEKS
from curriculum.model import Profile, Reason
from curriculum.plan import ScheduleTooLong, plan_path
from curriculum.render import plan_document, week_by_week

from .conftest import SMALL


def plan_for(loaded_catalog, role="ml-engineer", size="small", **options):
    return plan_path(loaded_catalog.catalog, loaded_catalog.graph, Profile(role, size, **options))


def ids(plan):
    return [step.module.id for step in plan.steps]


@pytest.fixture
def small(loaded):
    return loaded(SMALL)


def test_every_module_comes_after_its_prerequisites(small):
    for role in ("ml-engineer", "software-engineer", "ml-researcher"):
        for size in ("small", "medium", "large"):
            order = ids(plan_for(small, role, size))
            for position, module_id in enumerate(order):
                for prerequisite in small.catalog.modules[module_id].prerequisites:
                    assert order.index(prerequisite) < position


def test_targets_and_their_prerequisites_are_included(small):
    order = ids(plan_for(small, "ml-engineer", "large"))
    assert set(order) == set(SMALL) - {"pairing"}  # pairing targets medium companies only
    assert "platforms" in order and "pairing" in ids(plan_for(small, "ml-engineer", "medium"))


def test_first_end_to_end_slice_comes_before_practitioner_work(small):
    order = ids(plan_for(small, "ml-engineer", "large"))
    assert order[: order.index("first-slice") + 1] == [
        "python", "framing", "cleaning", "baseline", "evaluate", "serve",
        "platforms",  # for large companies only, and needs nothing beyond the slice: part of it
        "first-slice",
    ]
    # After the slice: earlier lifecycle stages first.
    assert order[order.index("first-slice") + 1:] == ["boosting", "monitoring"]


def test_known_modules_are_removed_with_their_prerequisites(small):
    order = ids(plan_for(small, knows=("baseline",)))
    assert not {"baseline", "cleaning", "python"} & set(order)
    assert "evaluate" in order and "first-slice" in order


def test_a_known_target_is_removed(small):
    assert "boosting" not in ids(plan_for(small, knows=("boosting",)))


def test_goal_adds_module_and_its_prerequisites(small):
    plan = plan_for(small, "engineering-manager", "small", goals=("monitoring",))
    assert ids(plan) == ["python", "framing", "cleaning", "baseline", "serve", "monitoring"]
    assert plan.steps[-1].reasons == (Reason("goal"),)


def test_reasons_name_the_target_or_the_module_that_needs_it(small):
    steps = {s.module.id: s for s in plan_for(small).steps}
    assert steps["first-slice"].reasons == (Reason("target"),)
    assert steps["baseline"].reasons == (
        Reason("prerequisite", "evaluate"), Reason("prerequisite", "serve"), Reason("prerequisite", "boosting"),
    )
    assert steps["framing"].reasons == (Reason("target"), Reason("prerequisite", "first-slice"))


def test_same_profile_gives_the_same_plan(small, loaded):
    again = loaded(dict(reversed(list(SMALL.items()))))
    assert plan_document(plan_for(small)) == plan_document(plan_for(again))


def test_schedule_weeks_spans_and_dates(small):
    plan = plan_for(small, hours_per_week=4, start=dt.date(2027, 1, 11))
    rows = [(s.module.id, s.start_hour, s.week, s.end_week) for s in plan.steps[:6]]
    # Each module is 2 hours except serve (3).
    assert rows == [
        ("python", 0, 1, 1), ("framing", 2, 1, 1), ("cleaning", 4, 2, 2),
        ("baseline", 6, 2, 2), ("evaluate", 8, 3, 3), ("serve", 10, 3, 4),
    ]
    assert plan.total_hours == sum(s.module.hours for s in plan.steps) == 19
    assert plan.weeks == 5  # ceil(19 / 4)
    assert plan.steps[5].start_date(plan.profile.start) == dt.date(2027, 1, 25)
    assert plan.end_date == dt.date(2027, 2, 14)


def test_first_milestone_is_reported(small):
    assert plan_for(small).first_milestone.module.id == "first-slice"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"role": "ml-enginer"}, "unknown role 'ml-enginer' (did you mean 'ml-engineer'?)"),
        ({"size": "tiny"}, "unknown company size 'tiny'"),
        ({"knows": ("basline",)}, "unknown known module 'basline' (did you mean 'baseline'?)"),
        ({"goals": ("nope",)}, "unknown goal module 'nope'"),
        ({"hours_per_week": 0}, "hours per week must be above 0 and at most 168, not 0"),
        ({"hours_per_week": 169}, "hours per week must be above 0 and at most 168, not 169"),
        ({"hours_per_week": float("nan")}, "hours per week must be above 0 and at most 168, not nan"),
        ({"start": dt.date(9999, 12, 31)}, "start: 9999-12-31 is out of range: use a start date from 2000-01-01 to 2099-12-31"),
    ],
)
def test_bad_profile_is_a_clear_error(small, options, message):
    fields = {"role": "ml-engineer", "size": "small"} | options
    with pytest.raises(CurriculumError) as info:
        plan_path(small.catalog, small.graph, Profile(**fields))
    assert message in str(info.value)


def test_after_the_first_slice_the_path_goes_level_by_level(loaded):
    two_roles = ["ml-engineer", "software-engineer"]
    catalog = {key: dict(value) for key, value in SMALL.items()}
    for module_id in ("boosting", "monitoring", "platforms"):
        catalog[module_id] |= {"roles": two_roles, "sizes": []}
    catalog["advanced-capstone"] = {"stage": "deployment", "level": "advanced", "tags": ["capstone"],
                                    "prerequisites": ["first-slice"], "roles": two_roles}
    catalog["research"] = {"stage": "modeling", "level": "advanced", "prerequisites": ["boosting"],
                           "roles": two_roles}
    order = ids(plan_for(loaded(catalog), "ml-engineer", "large"))
    assert order[order.index("first-slice") + 1:] == [
        "boosting", "platforms", "monitoring",  # practitioner, in lifecycle order
        "research", "advanced-capstone",  # then advanced, in lifecycle order
    ]


def test_what_shapes_a_path_comes_right_after_the_slice(loaded):
    """Modules for some company sizes, then modules for one role only, go as
    soon as their prerequisites are done, ahead of the general modules
    (here foundation-level ones) that would come first level by level."""
    two_roles = ["ml-engineer", "software-engineer"]
    catalog = {key: dict(value) for key, value in SMALL.items()}
    for module_id in ("boosting", "monitoring"):
        catalog[module_id] |= {"roles": two_roles}
    catalog["sql"] = {"stage": "foundations", "roles": two_roles}
    catalog["docs"] = {"stage": "team-practice", "roles": two_roles}
    catalog["own-role"] = {"stage": "monitoring", "level": "practitioner", "roles": ["ml-engineer"]}
    catalog["platform-advanced"] = {"stage": "deployment", "level": "advanced", "prerequisites": ["boosting"],
                                    "roles": two_roles, "sizes": ["large"]}
    order = ids(plan_for(loaded(catalog), "ml-engineer", "large"))
    assert order[order.index("first-slice") + 1:] == [
        "own-role",  # one role only: right after the slice
        "sql", "docs",  # general foundation modules
        "boosting", "platform-advanced",  # for large companies only: right after its prerequisite
        "monitoring",
    ]


def test_the_soonest_milestone_of_the_lowest_level_goes_first(loaded):
    catalog = {
        "long": {"hours": 30},
        "big-capstone": {"tags": ["capstone"], "prerequisites": ["long"], "roles": ["ml-engineer"]},
        "quick": {"hours": 1, "stage": "team-practice"},
        "small-capstone": {"tags": ["capstone"], "prerequisites": ["quick"], "roles": ["ml-engineer"],
                           "stage": "monitoring"},
        "tiny-advanced-capstone": {"tags": ["capstone"], "level": "advanced", "roles": ["ml-engineer"]},
    }
    plan = plan_for(loaded(catalog))
    assert ids(plan)[:2] == ["quick", "small-capstone"]
    assert plan.first_milestone.module.id == "small-capstone"


# --- bounds: no input makes a schedule unbounded or a date overflow ------------


@pytest.mark.parametrize("hours_per_week", [0.036, 1e-9, 5e-324])
def test_a_schedule_longer_than_ten_years_is_refused_with_the_hours_that_would_do(small, hours_per_week):
    # The ml-engineer/small path is 19 hours: 520 weeks need at least 0.0365 hours a week.
    with pytest.raises(ScheduleTooLong) as info:
        plan_for(small, hours_per_week=hours_per_week)
    assert info.value.message == (
        f"at {hours_per_week:g} hours per week this path of 19 hours takes over 520 weeks (ten years), "
        "the longest schedule planned: give at least 0.04 hours per week"
    )


def test_the_longest_schedule_is_planned_with_dates_that_exist(small):
    plan = plan_for(small, hours_per_week=19 / MAX_WEEKS, start=LAST_START)
    assert plan.weeks == MAX_WEEKS
    assert plan.end_date == LAST_START + dt.timedelta(weeks=MAX_WEEKS, days=-1)
    assert len(week_by_week(plan)) == MAX_WEEKS


def test_a_path_too_long_for_any_hours_says_to_split_it(loaded):
    catalog = loaded({f"m{i}": {"hours": 10000, "roles": ["all"]} for i in range(10)})
    with pytest.raises(ScheduleTooLong) as info:
        plan_for(catalog, hours_per_week=168)
    assert info.value.message.endswith("split it into shorter paths")


def test_a_last_module_of_minutes_ends_in_a_week_the_schedule_counts(loaded):
    catalog = loaded({"a": {"hours": 10, "roles": ["all"]}, "b": {"hours": 1e-7, "roles": ["all"], "prerequisites": ["a"]}})
    plan = plan_for(catalog, hours_per_week=5)
    assert [(s.week, s.end_week) for s in plan.steps] == [(1, 2), (3, 3)]
    assert plan.weeks == 3
    assert week_by_week(plan)[-1] == (3, ["B"])


ASSUMES_BASELINE = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["baseline"]}]}


def test_what_a_role_assumes_leaves_the_path_with_what_it_implies(loaded):
    catalog = loaded(SMALL, ASSUMES_BASELINE)
    plan = plan_for(catalog)
    assert not {"python", "cleaning", "baseline"} & set(ids(plan))
    assert "evaluate" in ids(plan) and "first-slice" in ids(plan)
    assert [m.id for m in plan.assumed] == ["python", "cleaning", "baseline"]  # prerequisites first
    other = plan_for(catalog, "software-engineer")
    assert "baseline" in ids(other) and other.assumed == ()


def test_a_goal_puts_an_assumed_module_back_but_not_what_else_is_assumed(loaded):
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["baseline", "python"]}]}
    plan = plan_for(loaded(SMALL, settings), goals=("baseline",))
    # baseline is a goal; cleaning was assumed only through it; python is assumed by name.
    assert {"baseline", "cleaning"} <= set(ids(plan)) and "python" not in ids(plan)
    assert [m.id for m in plan.assumed] == ["python"]


def test_a_known_module_is_not_listed_as_assumed(loaded):
    plan = plan_for(loaded(SMALL, ASSUMES_BASELINE), knows=("cleaning",))
    assert [m.id for m in plan.assumed] == ["baseline"]


def test_an_assumed_module_no_target_needs_is_not_listed(loaded):
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["pairing"]}]}
    catalog = loaded(SMALL, settings)
    assert plan_for(catalog, size="small").assumed == ()
    assert [m.id for m in plan_for(catalog, size="medium").assumed] == ["pairing"]


def test_old_ids_in_knows_and_goals_name_the_module_that_replaces_them(loaded):
    catalog = loaded(SMALL | {"boosting": {**SMALL["boosting"], "replaces": ["xgboost"]}})
    plan = plan_for(catalog, "engineering-manager", goals=("xgboost",))
    assert "boosting" in ids(plan) and plan.profile.goals == ("boosting",)
    assert "boosting" not in ids(plan_for(catalog, knows=("xgboost",)))


WHY = SMALL | {
    "python": {**SMALL["python"], "why": "You read and write data in Python every day."},
    "cleaning": {**SMALL["cleaning"], "summary": "Clean a table. Then validate it."},
    "baseline": {**SMALL["baseline"], "prerequisites": [{"id": "cleaning", "because": "It trains on the clean table."}]},
    "boosting": {**SMALL["boosting"], "why": "The strong default for tables.",
                 "why_for": {"ml-engineer": "You will tune it weekly.", "small": "No one else will."}},
    "monitoring": {**SMALL["monitoring"], "why": "Models decay."},
}


def test_a_target_says_the_role_text_then_the_size_text(loaded):
    catalog = loaded(WHY)
    steps = {s.module.id: s for s in plan_for(catalog, size="small").steps}
    assert steps["boosting"].why == "You will tune it weekly. No one else will."
    assert steps["monitoring"].why == "Models decay."
    large = {s.module.id: s for s in plan_for(catalog, size="large").steps}
    assert large["boosting"].why == "You will tune it weekly."
    # A target without any why: the path it belongs to and its summary's first sentence.
    assert steps["framing"].why == "Part of every ML engineer path at a small company."


def test_a_goal_says_the_person_asked_for_it(loaded):
    plan = plan_for(loaded(WHY), "engineering-manager", goals=("boosting",))
    assert plan.steps[-1].why == "You asked for this module as a goal. The strong default for tables. No one else will."


def test_a_prerequisite_says_which_module_needs_it_and_why(loaded):
    steps = {s.module.id: s for s in plan_for(loaded(WHY)).steps}
    # The edge's because.
    assert steps["cleaning"].why == "Needed for Baseline: It trains on the clean table."
    # No because: the first module needing it, then the module's why ...
    assert steps["python"].why == "Needed for Cleaning. You read and write data in Python every day."
    # ... or its summary's first sentence; never a bare list of dependants.
    assert steps["baseline"].why == "Needed for Evaluate."
    for step in steps.values():
        assert step.why and "; needed for" not in step.why


def test_because_of_a_later_dependant_is_used_when_the_first_says_nothing(loaded):
    modules = WHY | {"evaluate": {**SMALL["evaluate"], "summary": "Measure it."},
                     "serve": {**SMALL["serve"], "prerequisites": [{"id": "baseline", "because": "It serves the model."}]}}
    steps = {s.module.id: s for s in plan_for(loaded(modules)).steps}
    assert steps["baseline"].why == "Needed for Serve: It serves the model."


def test_a_target_stays_although_an_assumed_module_needs_it(loaded):
    settings = {"roles": [{"id": "ml-engineer", "title": "ML engineer", "assumes": ["first-slice"]}]}
    order = ids(plan_for(loaded(SMALL, settings)))
    assert "framing" in order  # a target for every role, needed by the assumed first-slice
    assert "first-slice" not in order and "boosting" in order


def test_without_why_texts_a_step_says_what_the_module_is_from_its_summary_or_description(loaded):
    modules = SMALL | {"cleaning": {**SMALL["cleaning"], "description": "Cleaning fixes a table, e.g. its units. More."},
                       "first-slice": {**SMALL["first-slice"], "summary": "Ship it. Then improve it."}}
    steps = {s.module.id: s for s in plan_for(loaded(modules), "software-engineer").steps}
    assert steps["cleaning"].why == "Needed for Baseline. Cleaning fixes a table, e.g. its units."
    assert steps["first-slice"].why == "Part of every software engineer path at a small company. Ship it."
