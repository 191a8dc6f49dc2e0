"""The shape of a large team, which its overview leads with: people by role
and by distinct path, when they finish, the group sessions and facilitator
hours each week, and each module's people and sessions. Beyond about
LARGE_TEAM people a row, a bar or a column per person no longer shows a
reader anything at a glance (and makes a page of megabytes); these
aggregates do, and each person stays one link away in the people table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from . import diagrams
from .model import Member, Plan, TeamPlan, week_start

LARGE_TEAM = 50
TIMELINE_PATHS = 24  # paths drawn a row each; a role's other paths share one row
LISTED_TITLES = 6  # module titles named in how a path differs, before "and N more"
FINISH_BINS = 30  # at most this many columns of weeks in the finishing histogram
BIN_WEEKS = (1, 2, 4, 8, 13, 26, 52)
# Okabe-Ito blue and orange, as the stage colours: told apart with colour-blindness.
BLUE, ORANGE = "#0072b2", "#e69f00"


def team_shape(team_plan: TeamPlan) -> dict[str, Any] | None:
    """What a large team's overview shows before its people; None for a
    team of fewer than LARGE_TEAM people, whose overview lists everyone."""
    if len(team_plan.plans) < LARGE_TEAM:
        return None
    paths = _paths(team_plan.plans)
    roles = _roles(paths)
    return {
        "roles": roles,
        "paths": paths,
        "path_of": {member.name: path["name"] for path in paths for member in path["members"]},
        "member_paths": {member.name: path for path in paths for member in path["members"]},
        "finishing": _finishing(team_plan),
        "weekly": _weekly(team_plan),
        "modules": _modules(team_plan),
        "session_modules": _session_modules(team_plan),
        "timeline": _timeline(roles, paths),
    }


def _paths(plans: Sequence[tuple[Member, Plan]]) -> list[dict[str, Any]]:
    """Each distinct path (a role and a set of modules), role by role, most
    people first; numbered within the role, described by how it differs from
    the role's most common path, with the first person on it as its example."""
    groups: dict[tuple, list[tuple[Member, Plan]]] = {}
    for member, plan in plans:
        groups.setdefault((plan.role.id, frozenset(step.module.id for step in plan.steps)), []).append((member, plan))
    by_role: dict[str, list[list[tuple[Member, Plan]]]] = {}
    for (role, _), group in groups.items():
        by_role.setdefault(role, []).append(group)
    paths = []
    for role_groups in sorted(by_role.values(), key=lambda g: -sum(map(len, g))):
        role_groups.sort(key=len, reverse=True)  # stable: a tie keeps the team file's order
        typical = role_groups[0][0][1]
        typical_ids = {step.module.id for step in typical.steps}
        for number, group in enumerate(role_groups, start=1):
            example, plan = group[0]
            ids = {step.module.id for step in plan.steps}
            without = [step.module.title for step in typical.steps if step.module.id not in ids]
            added = [step.module.title for step in plan.steps if step.module.id not in typical_ids]
            paths.append({
                "name": f"{plan.role.title} {number}", "role": plan.role, "number": number,
                "people": len(group), "members": [member for member, _ in group], "example": example,
                "modules": len(plan.steps), "hours": plan.total_hours,
                "without": without[:LISTED_TITLES], "without_more": max(0, len(without) - LISTED_TITLES),
                "added": added[:LISTED_TITLES], "added_more": max(0, len(added) - LISTED_TITLES),
                "finish": _spread(sorted(plan.weeks for _, plan in group)),
            })
    return paths


def _roles(paths: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """People by role, most first, each with its paths and the example of its most common path."""
    roles: dict[str, dict[str, Any]] = {}
    for path in paths:
        role = roles.setdefault(path["role"].id, {"role": path["role"], "people": 0, "paths": [], "weeks": [],
                                                  "example": path["example"]})
        role["people"] += path["people"]
        role["paths"].append(path)
        role["weeks"] += path["finish"]["weeks"]
    for role in roles.values():
        role["finish"] = _spread(sorted(role.pop("weeks")))
    return list(roles.values())


def _spread(weeks: list[int]) -> dict[str, Any]:
    """The finishing weeks of a group (sorted): first, median (the lower one) and last."""
    return {"weeks": weeks, "first": weeks[0], "median": weeks[(len(weeks) - 1) // 2], "last": weeks[-1]}


def _finishing(team_plan: TeamPlan) -> dict[str, Any]:
    """How many people finish in each month (with a start date) or each run
    of weeks (without), from the first to the last, empty ones included."""
    start = team_plan.team.start
    weeks = [max(plan.weeks, 1) for _, plan in team_plan.plans]
    if start is not None:
        months = [_month(start + dt.timedelta(days=7 * week - 1)) for week in weeks]
        first, last = min(months), max(months)
        counts = dict.fromkeys(range(first, last + 1), 0)
        for month in months:
            counts[month] += 1
        bins = [(f"{month // 12}-{month % 12 + 1:02d}", count) for month, count in counts.items()]
        unit = "month"
    else:
        width = next((w for w in BIN_WEEKS if math.ceil(max(weeks) / w) <= FINISH_BINS), BIN_WEEKS[-1])
        first, last = (min(weeks) - 1) // width, (max(weeks) - 1) // width
        counts = dict.fromkeys(range(first, last + 1), 0)
        for week in weeks:
            counts[(week - 1) // width] += 1
        bins = [(_range(b * width + 1, b * width + width), count) for b, count in counts.items()]
        unit = "weeks"
    columns = [(label, f"{'' if unit == 'month' else 'weeks '}{label}: {count} {_people(count)} finish", (count,))
               for label, count in bins]
    return {"unit": unit, "bins": bins, "chart": diagrams.column_chart(columns, (BLUE,))}


def _month(date: dt.date) -> int:
    return date.year * 12 + date.month - 1


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def _weekly(team_plan: TeamPlan) -> dict[str, Any] | None:
    """Group sessions and their contact hours week by week, led by team
    members or by someone external, and how many members lead that week;
    None without sessions."""
    if not team_plan.cohorts:
        return None
    weeks: dict[int, dict[str, Any]] = {}
    facilitators: set[str] = set()
    for cohort in team_plan.cohorts:
        week = weeks.setdefault(cohort.week, {"week": cohort.week, "sessions": 0, "led_hours": 0.0,
                                              "external_hours": 0.0, "facilitators": set()})
        week["sessions"] += 1
        if cohort.facilitator:
            week["led_hours"] += cohort.hours
            week["facilitators"].add(cohort.facilitator)
            facilitators.add(cohort.facilitator)
        else:
            week["external_hours"] += cohort.hours
    rows = []
    for number in sorted(weeks):
        week = weeks[number]
        rows.append({**week, "date": week_start(team_plan.team.start, number),
                     "led_hours": round(week["led_hours"], 6), "external_hours": round(week["external_hours"], 6),
                     "facilitators": len(week["facilitators"])})
    by_number = {row["week"]: row for row in rows}
    columns = []
    for number in range(1, max(weeks) + 1):
        week = by_number.get(number)
        if week is None:
            columns.append((str(number), f"week {number}: no session", (0, 0)))
            continue
        columns.append((str(number), f"week {number}: {week['sessions']} sessions, {week['led_hours']:g} contact hours "
                        f"led by {week['facilitators']} team members, {week['external_hours']:g} external",
                        (week["led_hours"], week["external_hours"])))
    busiest = max(rows, key=lambda row: (row["sessions"], -row["week"]))
    return {"rows": rows, "facilitators": len(facilitators), "busiest": busiest,
            "most_led": max(row["led_hours"] for row in rows),
            "most_facilitators": max(row["facilitators"] for row in rows),
            "chart": diagrams.column_chart(columns, (BLUE, ORANGE))}


def _modules(team_plan: TeamPlan) -> list[dict[str, Any]]:
    """Each module on anyone's path: how many take it, from the first week
    anyone starts it to the last week anyone works on it, how many in a
    group session; in the order they first start."""
    modules: dict[str, dict[str, Any]] = {}
    for _, plan in team_plan.plans:
        for step in plan.steps:
            entry = modules.get(step.module.id)
            if entry is None:
                entry = modules[step.module.id] = {"module": step.module, "people": 0, "grouped": 0,
                                                   "first": step.week, "last": step.end_week}
            entry["people"] += 1
            entry["grouped"] += step.cohort is not None
            entry["first"] = min(entry["first"], step.week)
            entry["last"] = max(entry["last"], step.end_week)
    return sorted(modules.values(), key=lambda m: (m["first"], m["last"], m["module"].id))


def _session_modules(team_plan: TeamPlan) -> list[dict[str, Any]]:
    """Group sessions module by module: how many, in which weeks, for how
    many attendances, and how many need an external facilitator."""
    modules: dict[str, dict[str, Any]] = {}
    for cohort in team_plan.cohorts:
        entry = modules.get(cohort.module.id)
        if entry is None:
            entry = modules[cohort.module.id] = {"module": cohort.module, "sessions": 0, "attendances": 0,
                                                 "hours": 0.0, "external": 0, "first": cohort.week,
                                                 "last": cohort.week}
        entry["sessions"] += 1
        entry["attendances"] += len(cohort.attendees)
        entry["hours"] += cohort.hours
        entry["external"] += cohort.facilitator is None
        entry["first"] = min(entry["first"], cohort.week)
        entry["last"] = max(entry["last"], cohort.week)
    for entry in modules.values():
        entry["hours"] = round(entry["hours"], 6)
    return sorted(modules.values(), key=lambda m: (m["first"], m["module"].id))


def _timeline(roles: list[dict[str, Any]], paths: list[dict[str, Any]]) -> dict[str, Any]:
    """Finishing weeks by path, role by role: the TIMELINE_PATHS paths with
    the most people a row each, a role's other paths together in one row."""
    drawn = {id(path) for path in sorted(paths, key=lambda p: -p["people"])[:TIMELINE_PATHS]}
    rows = []
    for role in roles:
        rest = [path for path in role["paths"] if id(path) not in drawn]
        for path in role["paths"]:
            if id(path) in drawn:
                rows.append({"label": path["name"], "people": path["people"], "finish": path["finish"]})
        if rest:  # the role's paths with the fewest people: numbers n to the last
            numbers = _range(rest[0]["number"], rest[-1]["number"])
            rows.append({"label": f"{role['role'].title} {numbers}", "people": sum(p["people"] for p in rest),
                         "finish": _spread(sorted(week for p in rest for week in p["finish"]["weeks"]))})
    chart = diagrams.path_spread([
        (row["label"], f"{row['label']}: {row['people']} {_people(row['people'])}, finishing in weeks "
         f"{_range(row['finish']['first'], row['finish']['last'])} (median {row['finish']['median']})",
         row["finish"]["weeks"]) for row in rows])
    return {"rows": rows, "chart": chart}
