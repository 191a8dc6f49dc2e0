"""Interrupting a build at any moment (Ctrl-C, SIGTERM, SIGKILL) leaves the
old or the new set of generated files, never a mix, and the next run finishes
or rolls back what was left. Two runs into one folder take turns."""

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from curriculum.write import MANIFEST, write_pages

from .synthetic import write_catalog

OWN = (".curriculum-lock", ".curriculum-staging", ".curriculum-journal.json")


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def without_leftovers(folder):
    """The snapshot, leaving out what a killed run leaves for the next one."""
    return {name: data for name, data in snapshot(folder).items() if not name.startswith(OWN)}


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".curriculum-") and p.name != MANIFEST)


def build(catalog, out, hours):
    return [sys.executable, "-m", "curriculum", "-v", "build", "--modules", str(catalog), "-o", str(out),
            "--hours-per-week", str(hours), "--format", "md", "html", "json"]


def wait_for(process, text):
    """Read the process's log until a line holds `text`."""
    for line in process.stderr:
        if text in line:
            return
    pytest.fail(f"the run never logged {text!r}")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """A large synthetic catalog, its old output (5 h/week) with a user's file
    in it, and what the new output (3 h/week) looks like."""
    tmp_path = tmp_path_factory.mktemp("interrupt")
    catalog = write_catalog(tmp_path / "catalog", modules=300)
    subprocess.run(build(catalog, tmp_path / "expected-new", 3), check=True, capture_output=True)
    new = snapshot(tmp_path / "expected-new")
    new["my-notes.txt"] = b"mine"
    return catalog, new


def old_output(catalog, out):
    subprocess.run(build(catalog, out, 5), check=True, capture_output=True)
    (out / "my-notes.txt").write_text("mine")
    return snapshot(out)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_old_or_new_output(tmp_path, outputs, signum):
    catalog, new = outputs
    out = tmp_path / "site" / "out"
    old = old_output(catalog, out)

    duration = _time_after_start(build(catalog, tmp_path / "timing", 3))

    outcomes = set()
    for step in range(1, 9):
        process = subprocess.Popen(build(catalog, out, 3), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        process.stderr.readline()  # "loading ...": the tool has started and handles signals
        time.sleep(duration * step / 8)
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        now = snapshot(out)
        assert now in (old, new), f"mixed output after interrupting at step {step}"
        assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
        assert leftovers(out) == []
        outcomes.add("new" if now == new else "old")
        if now == new:  # start each try from the old output again
            old = old_output(catalog, out)
    assert "old" in outcomes  # the interrupt really landed mid-build at least once


def test_sigkill_at_any_moment_then_the_next_run_finishes(tmp_path, outputs):
    catalog, new = outputs
    out = tmp_path / "out"
    seen = set()
    for delay in (0, 0.001, 0.002, 0.004, 0.006, 0.01, 0.015, 0.02, 0.03, 0.05):
        old = old_output(catalog, out)
        process = subprocess.Popen(build(catalog, out, 3), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(process, b"writing to")  # the lock is taken: staging starts
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=60)
        if (out / ".curriculum-journal.json").exists():
            seen.add("commit")
        elif (out / ".curriculum-staging").exists():
            seen.add("staging")
            assert without_leftovers(out) == old  # killed while staging: the old set is intact
        # The next run finishes or drops what the killed one left, then does its own work.
        subprocess.run(build(catalog, out, 3), check=True, capture_output=True)
        assert snapshot(out) == new
        assert leftovers(out) == []
    assert "staging" in seen


# A run that kills itself at the N-th step of its commit (each rename,
# removal of a file or folder), or while staging its N-th page.
KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    from curriculum import write

    out, where, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    steps, page_moves = 0, []

    def counted(call):
        def step(*args, **kwargs):
            global steps
            steps += 1
            if where == "commit" and steps == at:
                os.kill(os.getpid(), signal.SIGKILL)
            if call is rename and not args[0].startswith(".curriculum-"):
                page_moves.append(steps)
            return call(*args, **kwargs)
        return step

    rename = os.rename

    os.rename, os.unlink, os.rmdir = counted(os.rename), counted(os.unlink), counted(os.rmdir)

    def pages():
        for index in range(24):
            if where == "staging" and index == at:
                os.kill(os.getpid(), signal.SIGKILL)
            yield f"page{index:02d}.md" if index % 3 else f"new/folder/page{index:02d}.md", f"new {index}\\n" * 50

    write.write_pages(pages(), out, prune=True)
    print(steps, page_moves[0], page_moves[-1])
""")


def _old_pages():
    return {**{f"page{index:02d}.md": f"old {index}\n" for index in range(0, 40, 2)},
            **{f"gone/page{index:02d}.md": "old\n" for index in range(5)}}


def _killed_run(out, where, at):
    return subprocess.run([sys.executable, "-c", KILLED_RUN, str(out), where, str(at)],
                          capture_output=True, text=True, timeout=60)


def test_sigkill_at_every_step_of_a_commit(tmp_path):
    expected = tmp_path / "expected"
    write_pages(_old_pages(), expected, prune=True)
    steps, first_move, last_move = map(int, _killed_run(expected, "none", 0).stdout.split())
    assert last_move - first_move == 23
    new = snapshot(expected)
    out = tmp_path / "out"
    for at in range(1, steps + 1):
        write_pages(_old_pages(), out, prune=True)
        (out / "mine.txt").write_text("mine")
        old = snapshot(out)
        assert _killed_run(out, "commit", at).returncode == -signal.SIGKILL
        journal = (out / ".curriculum-journal.json").exists()
        committed = journal or json.loads((out / MANIFEST).read_text()) == json.loads(new[MANIFEST])
        # The next run first finishes (or rolls back) what was left.
        write_pages({}, out, prune=False)
        assert snapshot(out) == {**(new if committed else old), "mine.txt": b"mine"}, f"killed at step {at}"
        assert leftovers(out) == []
        if first_move <= at <= last_move:
            assert journal, f"killed at step {at}, while moving pages into place"
        (out / "mine.txt").unlink()
        write_pages({}, out, prune=True)


@pytest.mark.parametrize("at", [0, 1, 12, 23])
def test_sigkill_while_staging_leaves_the_old_set(tmp_path, at):
    out = tmp_path / "out"
    write_pages(_old_pages(), out, prune=True)
    (out / "mine.txt").write_text("mine")
    old = snapshot(out)
    assert _killed_run(out, "staging", at).returncode == -signal.SIGKILL
    assert without_leftovers(out) == old
    write_pages({}, out, prune=False)
    assert snapshot(out) == old and leftovers(out) == []


def test_two_runs_into_one_folder_take_turns(tmp_path, outputs):
    catalog, new = outputs
    out = tmp_path / "out"
    old_output(catalog, out)
    first = subprocess.Popen(build(catalog, out, 7), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(first, b"writing to")
    first.send_signal(signal.SIGSTOP)  # hold the first run inside its write
    try:
        second = subprocess.Popen(build(catalog, out, 3), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        waited = second.stderr.readline() + second.stderr.readline()
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=60) == 0
    rest = second.communicate(timeout=60)[1]
    assert second.returncode == 0
    assert f"curriculum: waiting for another curriculum run that is writing to {out}\n".encode() in waited
    assert b"Traceback" not in rest
    assert snapshot(out) == new
    listed = json.loads((out / MANIFEST).read_text())["generated"]
    assert sorted(listed + [MANIFEST, "my-notes.txt"]) == sorted(snapshot(out))
    assert leftovers(out) == []


def _time_after_start(command) -> float:
    """How long a build runs once it has started loading the catalog."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stderr.readline()
    started = time.monotonic()
    process.communicate(timeout=120)
    assert process.returncode == 0
    return time.monotonic() - started
