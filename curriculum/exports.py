"""Team exports beside the pages: an iCalendar file and a CSV of assignments."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

from .model import TeamPlan, week_start
from .render import format_hours

CSV_COLUMNS = ("name", "email", "module", "title", "week", "end_week", "start_date", "hours")


def assignments_csv(team_plan: TeamPlan) -> str:
    """One row per person and module, for spreadsheets and LMS import."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    start = team_plan.team.start
    for member, plan in team_plan.plans:
        for step in plan.steps:
            date = step.start_date(start)
            writer.writerow([
                _cell(member.name), _cell(member.email), step.module.id, _cell(step.module.title),
                step.week, step.end_week, date.isoformat() if date else "", format_hours(step.module.hours),
            ])
    return out.getvalue()


def _cell(text: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with =, +, - or @ is
    prefixed with an apostrophe, as OWASP advises for CSV injection."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def team_calendar(team_plan: TeamPlan) -> str:
    """RFC 5545 calendar: an all-day event spanning the weeks of each module
    for each person, and one for each group session's week. Needs a start date."""
    from icalendar import Calendar, Event  # deferred: only team plans need it

    team = team_plan.team
    calendar = Calendar()
    calendar.add("prodid", "-//curriculum//ML upskilling plan//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{team.name}: ML upskilling")
    # A fixed stamp keeps the file byte-for-byte reproducible.
    stamp = dt.datetime.combine(team.start, dt.time(0, 0), tzinfo=dt.timezone.utc)
    for member, plan in team_plan.plans:
        for step in plan.steps:
            event = Event()
            event.add("uid", _uid(team.name, member.name, step.module.id))
            event.add("dtstamp", stamp)
            event.add("summary", f"{member.name}: {step.module.title}")
            event.add("dtstart", week_start(team.start, step.week))
            event.add("dtend", week_start(team.start, step.end_week + 1))
            event.add("description", f"{format_hours(step.module.hours)} h of study, "
                                     f"week {step.week} to {step.end_week}. {step.module.summary}".strip())
            event.add("transp", "TRANSPARENT")
            if member.email:
                event.add("attendee", f"mailto:{member.email}")
            calendar.add_component(event)
    for cohort in team_plan.cohorts:
        event = Event()
        event.add("uid", _uid(team.name, "cohort", cohort.module.id))
        event.add("dtstamp", stamp)
        event.add("summary", f"Group session: {cohort.module.title}")
        event.add("dtstart", week_start(team.start, cohort.week))
        event.add("dtend", week_start(team.start, cohort.week + 1))
        event.add("description", f"{format_hours(cohort.module.hours)} h, for {', '.join(cohort.attendees)}")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def _uid(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@curriculum"
