"""The broken-input corpus: every case under corpus/catalogs/<case>/ holds a
catalog (`modules/`), and every case under corpus/teams/<case>/ a team file
(`team.yaml` or `team.csv`), with the exact error lines it must produce
(`expected.txt`). Each must exit 1 with those lines, no traceback, and leave an
existing output folder byte-identical.

A new case: add the folder with its `modules/`, then write `expected.txt` by
hand (or from `curriculum validate --modules modules 2> expected.txt` run inside
the case folder, after checking every line is right). Inputs git cannot hold,
such as named pipes and devices, are made by the tests at the end of this file.
"""

import os
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from curriculum.cli import main
from curriculum.errors import CurriculumError
from curriculum.yamlread import MAX_FILE_BYTES, read_yaml

CORPUS = Path(__file__).parent / "corpus" / "catalogs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
GOLDEN_CATALOG = Path(__file__).parent / "golden" / "catalog"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def existing_output(tmp_path):
    """An output folder from an earlier good build, with a user's own file in it."""
    out = tmp_path / "site" / "out"
    assert main(["-q", "build", "--modules", str(GOLDEN_CATALOG), "-o", str(out)]) == 0
    (out / "my-notes.txt").write_text("mine")
    return out


def assert_fails_cleanly(args, expected: str, out: Path, capsys):
    before = snapshot(out)
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == expected
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]  # no staging folder left


def test_corpus_has_the_cases_the_issue_lists():
    assert len(CASES) >= 33 and len(TEAM_CASES) >= 27


@pytest.mark.parametrize("case", CASES)
def test_broken_catalog_gives_exact_errors_and_loses_nothing(case, existing_output, capsys, monkeypatch):
    monkeypatch.chdir(CORPUS / case)
    expected = (CORPUS / case / "expected.txt").read_text()
    assert expected, "a corpus case must expect at least one error"
    for line in expected.splitlines():
        assert line.startswith("modules/") and ".yaml:" in line  # path:line: message
    assert_fails_cleanly(["build", "--modules", "modules", "-o", str(existing_output)], expected, existing_output, capsys)
    assert main(["validate", "--modules", "modules"]) == 1
    assert capsys.readouterr().err == expected


def test_python_tags_are_never_executed(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(CORPUS / "python-object-tag")
    marker = Path("/tmp/curriculum-pwned")
    marker.unlink(missing_ok=True)
    assert main(["validate", "--modules", "modules"]) == 1
    assert not marker.exists()


@pytest.mark.parametrize("case", ["alias-bomb", "deep-nesting"])
def test_hostile_yaml_is_refused_with_bounded_memory(case):
    path = next((CORPUS / case / "modules").glob("*.yaml"))
    tracemalloc.start()
    try:
        with pytest.raises(CurriculumError):
            read_yaml(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


def test_oversized_file(tmp_path, existing_output, capsys, monkeypatch):
    catalog = tmp_path / "big" / "modules"
    catalog.mkdir(parents=True)
    (catalog / "a.yaml").write_text("id: a\ntitle: A\nhours: 2\nlevel: foundation\ndescription: " + "x" * MAX_FILE_BYTES + "\n")
    monkeypatch.chdir(catalog.parent)
    size = (catalog / "a.yaml").stat().st_size
    assert_fails_cleanly(
        ["build", "--modules", "modules", "-o", str(existing_output)],
        f"modules/a.yaml: file is {size} bytes, over the limit of {MAX_FILE_BYTES}\n", existing_output, capsys,
    )


def test_symlinks_out_of_the_catalog_are_not_followed(tmp_path, existing_output, capsys, monkeypatch):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "s.yaml").write_text("id: s\ntitle: S\nhours: 2\nlevel: foundation\nroles: [all]\n")
    catalog = tmp_path / "linked" / "modules"
    catalog.mkdir(parents=True)
    (catalog / "a.yaml").write_text("id: a\ntitle: A\nhours: 2\nlevel: foundation\nroles: [all]\n")
    (catalog / "file.yaml").symlink_to(secret / "s.yaml")
    (catalog / "folder").symlink_to(secret)
    monkeypatch.chdir(catalog.parent)
    assert_fails_cleanly(
        ["build", "--modules", "modules", "-o", str(existing_output)],
        "modules/file.yaml: symbolic link points outside the catalog; not followed\n"
        "modules/folder: symbolic link points outside the catalog; not followed\n",
        existing_output, capsys,
    )


def test_byte_order_mark_is_accepted(tmp_path, capsys):
    (tmp_path / "a.yaml").write_bytes(b"\xef\xbb\xbfid: a\ntitle: A\nhours: 2\nlevel: foundation\n")
    assert main(["validate", "--modules", str(tmp_path)]) == 0


@pytest.mark.parametrize("case", ["many-problems", "python-object-tag", "deep-nesting"])
def test_real_process_prints_no_traceback(case):
    result = subprocess.run(
        [sys.executable, "-m", "curriculum", "validate", "--modules", "modules"],
        cwd=CORPUS / case, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == (CORPUS / case / "expected.txt").read_text()


TEAMS = Path(__file__).parent / "corpus" / "teams"
TEAM_CASES = sorted(p.name for p in TEAMS.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", TEAM_CASES)
def test_broken_team_file_gives_exact_errors_and_loses_nothing(case, existing_output, capsys, monkeypatch):
    monkeypatch.chdir(TEAMS / case)
    (team_file,) = [p.name for p in (TEAMS / case).iterdir() if p.name.startswith("team.")]
    expected = (TEAMS / case / "expected.txt").read_text()
    assert expected
    assert_fails_cleanly(["team", team_file, "--size", "small", "-o", str(existing_output)], expected,
                         existing_output, capsys)
    assert main(["lint", "--team", team_file, "--size", "small"]) == 1
    assert capsys.readouterr().err == expected


# --- files that are not regular files: created here, since git cannot hold them ---


def run_cli(*args, cwd):
    """A real process with a deadline: reading a named pipe or a device used to block or never end."""
    return subprocess.run([sys.executable, "-m", "curriculum", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def make_device(path: Path) -> None:
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
    except PermissionError:
        pytest.skip("creating a device needs root")


@pytest.mark.parametrize("make, kind", [(os.mkfifo, "a named pipe"), (make_device, "a device")])
def test_a_pipe_or_device_in_a_catalog_is_refused_without_reading_it(tmp_path, make, kind):
    catalog = tmp_path / "modules"
    catalog.mkdir()
    (catalog / "a.yaml").write_text("id: a\ntitle: A\nhours: 2\nlevel: foundation\nroles: [all]\n")
    make(catalog / "x.yaml")
    result = run_cli("validate", "--modules", "modules", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"modules/x.yaml: not a regular file (it is {kind}); only regular files are read\n"


@pytest.mark.parametrize("name", ["team.yaml", "team.csv"])
@pytest.mark.parametrize("make, kind", [(os.mkfifo, "a named pipe"), (make_device, "a device")])
def test_a_pipe_or_device_as_the_team_file_is_refused_without_reading_it(tmp_path, make, kind, name):
    make(tmp_path / name)
    for command in (["team", name, "--size", "small", "-o", "out"], ["lint", "--team", name]):
        result = run_cli(*command, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == f"{name}: not a regular file (it is {kind}); only regular files are read\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_real_device_as_the_team_file_is_refused():
    result = run_cli("team", "/dev/zero", "--size", "small", cwd="/")
    assert (result.returncode, result.stderr) == (
        1, "/dev/zero: not a regular file (it is a device); only regular files are read\n"
    )
