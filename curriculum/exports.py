"""Team exports beside the pages: an iCalendar file and a CSV of assignments."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from .model import TeamPlan, week_of, week_start
from .render import format_hours

# Characters an email address keeps in a mailto: URI; the rest are percent-encoded.
_MAILTO_SAFE = "@!$&'*+=^_`{|}~.-"
CSV_COLUMNS = ("name", "email", "module", "title", "week", "end_week", "start_date", "hours", "session",
               "activity_id", "status")


def assignments_csv(team_plan: TeamPlan) -> str:
    """One row per person and module, for spreadsheets and LMS import."""
    return "".join(assignments_csv_chunks(team_plan))


def assignments_csv_chunks(team_plan: TeamPlan) -> Iterator[str]:
    """The same, a person's rows at a time (a department's is tens of megabytes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    start = team_plan.team.start
    for member, plan in team_plan.plans:
        for step in plan.steps:
            date = step.start_date(start)
            writer.writerow([
                spreadsheet_cell(member.name), spreadsheet_cell(member.email), step.module.id, spreadsheet_cell(step.module.title),
                step.week, step.end_week, date.isoformat() if date else "", format_hours(step.module.hours),
                step.cohort or "", plan.activity_base + step.module.id, step.status,
            ])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    """CSV as every export writes it: quoted where needed, CRLF line ends."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def spreadsheet_cell(text: str) -> str:
    """Defuse spreadsheet formulas: a cell starting with =, +, - or @ is
    prefixed with an apostrophe, as OWASP advises for CSV injection."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def team_calendar(team_plan: TeamPlan) -> Iterator[str]:
    """RFC 5545 calendar, in chunks: an all-day event for each module of each
    person, from the first to the last week they study it, and one for each
    group session's week, its facilitator the organizer and its attendees
    invited by email. Needs a start date. Written directly (escaping and
    folding are simple) because a calendar library costs seconds per
    thousand people."""
    team = team_plan.team
    # A fixed stamp keeps the file byte-for-byte reproducible.
    stamp = team.start.strftime("%Y%m%dT000000Z")
    yield _lines(
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//curriculum//ML upskilling plan//EN", "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_text(team.name + ': ML upskilling')}",
    )
    emails = {member.name: member.email for member, _ in team_plan.plans}
    leaders = {cohort.id: cohort.facilitator for cohort in team_plan.cohorts}
    # A re-planned event carries the as-of week as its SEQUENCE: higher than
    # any earlier plan's, so calendar apps move it instead of adding another.
    revision = 0 if team_plan.as_of is None else week_of(team.start, team_plan.as_of)
    for member, plan in team_plan.plans:
        for step in plan.steps:
            session = ""
            if step.cohort:
                leader = leaders[step.cohort] or "an external facilitator"
                session = f" Group session {step.cohort} in week {step.week}, led by {leader}."
            yield _event(
                uid=_uid(team.name, member.name, step.module.id),
                sequence=revision if (member.name, step.module.id) in team_plan.changed else 0,
                stamp=stamp,
                summary=f"{member.name}: {step.module.title}",
                first=week_start(team.start, step.week),
                after=week_start(team.start, step.end_week + 1),
                description=f"{format_hours(step.module.hours)} h of study, {_weeks(step.week, step.end_week)}."
                            f"{session} {step.module.summary}".strip(),
                attendees=[_address(member.name, member.email)] if member.email else [],
            )
    for cohort in team_plan.cohorts:
        # A held session may name people who have left the team since: not invited.
        invited = [name for name in cohort.attendees if emails.get(name)]
        unreachable = [name for name in cohort.attendees if not emails.get(name)]
        leader = cohort.facilitator
        description = [
            f"Group session {cohort.id}: {format_hours(cohort.hours)} contact hours in week {cohort.week} to start "
            f"{cohort.module.title} ({format_hours(cohort.module.hours)} h of study in all, "
            f"until week {cohort.end_week} at the latest).",
            f"Facilitator: {leader}." if leader else "Facilitator: external, to be arranged.",
            f"Attendees: {', '.join(cohort.attendees)}.",
        ]
        if unreachable:
            description.append(f"Not invited (no email address): {', '.join(unreachable)}.")
        yield _event(
            uid=_uid(team.name, "session", cohort.id),
            sequence=revision if ("session", cohort.id) in team_plan.changed else 0,
            stamp=stamp,
            summary=f"Group session: {cohort.module.title} ({format_hours(cohort.hours)} contact hours)",
            first=week_start(team.start, cohort.week),
            after=week_start(team.start, cohort.week + 1),
            description=" ".join(description),
            organizer=_address(leader, emails[leader]) if leader and emails.get(leader) else "",
            attendees=[_address(name, emails[name]) for name in invited],
        )
    yield _lines("END:VCALENDAR")


def _event(uid: str, sequence: int, stamp: str, summary: str, first: dt.date, after: dt.date, description: str,
           attendees: list[str], organizer: str = "") -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{stamp}",
        f"SUMMARY:{_text(summary)}",
        f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
        f"DTEND;VALUE=DATE:{after:%Y%m%d}",
        f"DESCRIPTION:{_text(description)}",
        "TRANSP:TRANSPARENT",
    ]
    if organizer:
        lines.append(f"ORGANIZER;{organizer}")
    lines += [f"ATTENDEE;{address}" for address in attendees]
    lines.append("END:VEVENT")
    return _lines(*lines)


def _weeks(first: int, last: int) -> str:
    return f"week {first}" if first == last else f"weeks {first} to {last}"


def _address(name: str, email: str) -> str:
    """`CN="NAME":mailto:EMAIL`, what follows ORGANIZER; or ATTENDEE;. The
    name is a quoted parameter value with RFC 6868 escapes (^^, ^' for a
    double quote, ^n for a line break); the address is percent-encoded
    where a URI needs it."""
    cn = name.replace("^", "^^").replace('"', "^'").replace("\r\n", "^n").replace("\n", "^n").replace("\r", "^n")
    return f'CN="{cn}":mailto:{quote(email, safe=_MAILTO_SAFE)}'


def _text(value: str) -> str:
    """An RFC 5545 TEXT value: backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _lines(*lines: str) -> str:
    return "".join(_fold(line) + "\r\n" for line in lines)


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space,
    never splitting a UTF-8 character."""
    if line.isascii():  # one octet a character: slice
        if len(line) <= 75:
            return line
        return "\r\n ".join([line[:75]] + [line[i:i + 74] for i in range(75, len(line), 74)])
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not parts else 74):
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _uid(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@curriculum"
