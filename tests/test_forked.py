"""A large team's syllabi rendered on two cores (curriculum/forked.py): the
same pages in the same order as in one process, errors reported as without
the fork, no process left behind, and an interrupted team build that leaves
the old or the new output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from curriculum import forked
from curriculum.errors import CurriculumError
from curriculum.pipeline import team_pages, team_plan
from curriculum.render import make_environment, render_team
from tests.benchmarks.bench import write_team

from .test_interrupt import leftovers, snapshot

pytestmark = pytest.mark.skipif(not forked.two_processes_available(), reason="needs os.fork and two cores")


def pages_of(count: int, fail_at: int | None = None):
    def render(index: int):
        if index == fail_at:
            raise CurriculumError(f"module {index} is broken")
        return [(f"p{index}.md", f"page {index}: é\n" * (index + 1)), (f"p{index}.html", f"<p>{index}</p>")]
    return render


def as_text(pages):
    return [(name, text.decode() if isinstance(text, bytes) else text) for name, text in pages]


@pytest.fixture
def forks(monkeypatch):
    """The pids of the copies `render_split` forks."""
    pids, real_fork = [], os.fork

    def fork():
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(forked.os, "fork", fork)
    return pids


def reaped(pid: int) -> bool:
    """The copy has ended and been waited for: no zombie, no process left."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_pages_come_in_order_and_most_from_the_copy(forks):
    count = forked.FEW + 21
    pages = list(forked.render_split(count, pages_of(count)))
    assert as_text(pages) == [page for index in range(count) for page in pages_of(count)(index)]
    from_copy = {name for name, text in pages if isinstance(text, bytes)}
    assert len(from_copy) > len(pages) // 2  # the copy did most of the work
    assert len(forks) == 1 and reaped(forks[0])


def test_a_small_team_is_rendered_in_one_process(forks):
    pages = list(forked.render_split(forked.FEW - 1, pages_of(forked.FEW)))
    assert all(isinstance(text, str) for _, text in pages) and forks == []


@pytest.mark.parametrize("fail_at", [1, forked.KEPT_EVERY, forked.FEW + 3])
def test_an_error_surfaces_as_without_the_fork(fail_at, forks):
    count = forked.FEW + 10
    received = []
    with pytest.raises(CurriculumError, match=f"module {fail_at} is broken"):
        for name, _ in forked.render_split(count, pages_of(count, fail_at)):
            received.append(name)
    # Every page before the broken one came, in order; none after it.
    assert received == [f"p{i}.{fmt}" for i in range(fail_at) for fmt in ("md", "html")]
    assert len(forks) == 1 and reaped(forks[0])


def test_stopping_early_ends_the_copy(forks):
    count = forked.FEW * 5
    pages = forked.render_split(count, pages_of(count))
    next(pages), next(pages), next(pages)
    pages.close()  # as the writer does on an error or an interrupt
    assert len(forks) == 1 and reaped(forks[0])


@pytest.fixture(scope="module")
def team_file(tmp_path_factory):
    return write_team(tmp_path_factory.mktemp("forked") / "team.yaml", forked.FEW + 20)


def test_a_team_renders_the_same_bytes_in_two_processes(team_file):
    _, planned = team_plan(team_file)
    env = make_environment()
    alone = dict(render_team(env, planned, ["md", "html", "json"]))
    split = list(render_team(make_environment(), planned, ["md", "html", "json"], two_processes=True))
    assert [name for name, _ in split] == list(alone)
    assert dict(as_text(split)) == alone
    assert any(isinstance(text, bytes) for _, text in split)
    # The writer's view: team_pages with the calendar and the CSV.
    assert [name for name, _ in team_pages(planned, ["md"], two_processes=True)][-2:] == ["assignments.csv",
                                                                                        "team.ics"]


def test_interrupting_a_team_build_leaves_old_or_new_output(tmp_path, team_file):
    out = tmp_path / "out"
    old_start = ["--start", "2031-01-06"]  # any other start date makes every page different
    command = [sys.executable, "-m", "curriculum", "-v", "team", str(team_file), "-o", str(out), "--format", "md",
               "html"]
    subprocess.run([*command, *old_start], check=True, capture_output=True)
    old = snapshot(out)
    subprocess.run(command, check=True, capture_output=True)
    new = snapshot(out)
    assert new != old
    subprocess.run([*command, *old_start], check=True, capture_output=True)
    outcomes = set()
    for delay in (0.0, 0.05, 0.1, 0.2, 0.4):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for line in process.stderr:  # the writer has the lock: rendering and staging are under way
            if b"writing to" in line:
                break
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        now = snapshot(out)
        assert now in (old, new), f"mixed output after an interrupt {delay} s into writing"
        assert leftovers(out) == []
        outcomes.add("new" if now == new else "old")
        if now == new:
            subprocess.run([*command, *old_start], check=True, capture_output=True)
            old = snapshot(out)
    assert "old" in outcomes
    # No rendering process outlives the command.
    assert subprocess.run(["pgrep", "-f", str(team_file)], capture_output=True).stdout == b""
