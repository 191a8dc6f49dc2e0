"""The one family of errors a user is meant to see.

The CLI catches `CurriculumError` only: anything else is a bug and keeps its
traceback. Third-party errors (YAML, JSON Schema, OS errors) are wrapped where
they enter, so each problem carries the file and line it came from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class CurriculumError(Exception):
    """A problem the user can fix, located in a file and line where known."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    @property
    def problems(self) -> list[CurriculumError]:
        return [self]

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        if self.line is None:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ProblemList(CurriculumError):
    """Several problems found in one pass, reported together."""

    def __init__(self, problems: Iterable[CurriculumError]):
        self._problems = sorted(problems, key=_problem_order)
        super().__init__(f"{len(self._problems)} problem(s) found")

    @property
    def problems(self) -> list[CurriculumError]:
        return list(self._problems)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


def _problem_order(problem: CurriculumError) -> tuple:
    return (problem.path or "", problem.line or 0, problem.message)


def raise_if_any(problems: list[CurriculumError]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ProblemList(problems)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close match exists, else ''."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
