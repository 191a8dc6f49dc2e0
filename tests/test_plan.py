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
