"""One end-to-end test of `curriculum build` on a small catalog, compared
byte for byte with committed output.

When a change to the output is intended, regenerate and review the diff:

    UPDATE_GOLDEN=1 pytest tests/test_golden.py && git diff tests/golden/expected
"""

import os
import shutil
from pathlib import Path

from curriculum.cli import main

GOLDEN = Path(__file__).parent / "golden"
ARGS = ["--format", "md", "html", "json", "--hours-per-week", "4", "--start", "2027-01-11"]


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_matches_golden_output(tmp_path, monkeypatch):
    monkeypatch.chdir(GOLDEN)  # relative catalog path, as a user would type it
    out = tmp_path / "out"
    assert main(["build", "--modules", "catalog", "-o", str(out), *ARGS]) == 0
    expected = GOLDEN / "expected"
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(out, expected)
    assert files_in(out) == files_in(expected)
