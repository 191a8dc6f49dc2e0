"""The Degreed target: each team's plan as Degreed's Required Learning file,
one assignment per member and module still to do, due at the end of the
module's last week in the schedule.

Columns and values follow Degreed's "The Required Learning Template"
(https://degreed.zendesk.com/hc/en-us/articles/4585842820380-The-Required-Learning-Template):
UserID (the user integration's id: here the member's email), CourseID (the
content's id in Degreed: here the module's activity id, the ContentID the
modules are loaded under), DueDate as YYYYMMDD, Delete `N` (a new or updated
assignment; `Y` would remove it), ContentType `Course`. Provider is left
blank: Degreed then looks the CourseID up in the company's internal catalog,
where a Content File upload puts the modules; a provider value has to be a
provider code Degreed already knows, and no fixed name would be one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..errors import CurriculumError
from ..exports import csv_text, spreadsheet_cell
from ..model import FINISHED, Step, TeamPlan, week_start
from . import Publication, team_folders

COLUMNS = ("UserID", "CourseID", "DueDate", "Delete", "ContentType", "Provider")
FILE_NAME = "degreed-required-learning.csv"


def degreed_pages(publication: Publication) -> Iterator[tuple[str, str]]:
    """`teams/<team folder>/degreed-required-learning.csv` for each team."""
    if not publication.teams:
        raise CurriculumError("degreed needs --team: Degreed's required learning assigns modules to people")
    for folder, team in zip(team_folders(publication.teams), publication.teams):
        yield f"teams/{folder}/{FILE_NAME}", required_learning_csv(team)


def required_learning_csv(team_plan: TeamPlan) -> str:
    team = team_plan.team
    if team.start is None:
        raise CurriculumError("degreed needs the team's start date for due dates: set 'start' in the team file "
                              "or pass --start", team.source)
    rows = [COLUMNS]
    for member, plan in team_plan.plans:
        if not member.email:
            # Degreed matches a row to a learner by UserID; a row without one assigns nothing.
            raise CurriculumError(f"{member.name}: no email, which Degreed needs to find the learner (UserID); "
                                  "add 'email' to the member", team.source, member.line)
        for step in plan.steps:
            if step.status in FINISHED:
                continue
            rows.append([spreadsheet_cell(member.email), spreadsheet_cell(plan.activity_base + step.module.id),
                         f"{due_date(step, team.start):%Y%m%d}", "N", "Course", ""])
    return csv_text(rows)


def due_date(step: Step, start: dt.date) -> dt.date:
    """The last day of the last week the module is studied in."""
    return week_start(start, step.end_week + 1) - dt.timedelta(days=1)
