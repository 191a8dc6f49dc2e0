"""Interrupting a build (Ctrl-C or SIGTERM) at any moment leaves either the
old output or the new one, never a mix, and never a staging folder."""

import signal
import subprocess
import sys
import time

import pytest

from .synthetic import write_catalog


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(catalog, out, hours):
    return [sys.executable, "-m", "curriculum", "-v", "build", "--modules", str(catalog), "-o", str(out),
            "--hours-per-week", str(hours), "--format", "md", "html", "json"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_old_or_new_output(tmp_path, signum):
    catalog = write_catalog(tmp_path / "catalog", modules=300)
    out = tmp_path / "site" / "out"
    # The new output, built once elsewhere to know what it looks like.
    subprocess.run(build(catalog, tmp_path / "expected-new", 3), check=True, capture_output=True)
    new = snapshot(tmp_path / "expected-new")
    subprocess.run(build(catalog, out, 5), check=True, capture_output=True)
    (out / "my-notes.txt").write_text("mine")
    old = snapshot(out)
    new["my-notes.txt"] = b"mine"

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
        outcomes.add("new" if now == new else "old")
        if now == new:  # start each try from the old output again
            subprocess.run(build(catalog, out, 5), check=True, capture_output=True)
    assert "old" in outcomes  # the interrupt really landed mid-build at least once


def _time_after_start(command) -> float:
    """How long a build runs once it has started loading the catalog."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stderr.readline()
    started = time.monotonic()
    process.communicate(timeout=120)
    assert process.returncode == 0
    return time.monotonic() - started
