"""Bounds on a schedule, shared by the command line, team files and the
planner: no input can make a plan grow without bound or a date overflow.
Kept free of heavy imports so that parsing the command line stays quick."""

from __future__ import annotations

import datetime as dt
import re

MAX_HOURS_PER_WEEK = 168.0  # every hour of the week
MAX_WEEKS = 520  # ten years: the longest schedule planned
# Start dates a plan may have; the latest plus MAX_WEEKS is still a date.
FIRST_START = dt.date(2000, 1, 1)
LAST_START = dt.date(2099, 12, 31)


def parse_date(text: str) -> dt.date:
    """A start date from text, or ValueError with a message that says why."""
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"{text!r} is not a real date") from None
        raise ValueError(f"expected a date like 2027-01-11, got {text!r}") from None
    return check_start(date)


def check_start(date: dt.date) -> dt.date:
    if not FIRST_START <= date <= LAST_START:
        raise ValueError(f"{date.isoformat()} is out of range: use a start date from {FIRST_START} to {LAST_START}")
    return date

