"""The output folder on real file systems: a mount point itself, a mount
inside it, a full disk and a read-only one. Needs root for `mount`."""

import os
import subprocess
from pathlib import Path

import pytest

from curriculum.cli import main

pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="mounting a tmpfs needs root")

GOLDEN_CATALOG = Path(__file__).parent / "golden" / "catalog"


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a tmpfs on a folder; every mount under tmp_path is undone after
    the test, wherever a run may have moved it."""
    def mount(folder, options="size=16m"):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)
        return folder

    yield mount
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted(points, reverse=True):
        if point.startswith(f"{tmp_path}/"):
            subprocess.run(["umount", "-l", point], check=True)


def build(out, *extra):
    return main(["-q", "build", "--modules", str(GOLDEN_CATALOG), "-o", str(out), *extra])


def assert_one_clear_line(capsys, expected):
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"curriculum: error: {expected}\n"


def test_output_folder_that_is_a_mount_point(tmp_path, tmpfs):
    out = tmpfs(tmp_path / "volume")
    out.chmod(0o750)
    (out / "mine.txt").write_text("mine")
    assert build(out) == 0
    assert build(out, "--hours-per-week", "3") == 0
    assert os.path.ismount(out)
    assert (out / "mine.txt").read_text() == "mine" and (out / "index.html").is_file()
    assert oct(out.stat().st_mode & 0o777) == oct(0o750)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".curriculum-manifest.json"]


def test_a_mount_inside_the_output_folder_is_left_alone(tmp_path, tmpfs):
    out = tmp_path / "out"
    assert build(out) == 0
    data = tmpfs(out / "data")
    (data / "results.csv").write_text("a,b\n1,2\n")
    (data / "deep").mkdir()
    (data / "deep" / "x.txt").write_text("x")
    before = snapshot(data)
    assert build(out, "--hours-per-week", "3") == 0
    assert os.path.ismount(data)
    assert snapshot(data) == before


def test_pages_written_into_a_mount_inside_the_output_folder(tmp_path, tmpfs):
    """A generated page whose folder is another file system is staged beside
    it and renamed there, since a rename cannot cross file systems."""
    from curriculum.write import write_pages

    out = tmp_path / "out"
    write_pages({"a.md": "A1", "site/b.md": "B1"}, out, prune=True)
    site = tmpfs(out / "site")
    (site / "mine.txt").write_text("mine")
    write_pages({"a.md": "A2", "site/b.md": "B2", "site/new/c.md": "C"}, out, prune=True)
    assert snapshot(site) == {"b.md": b"B2", "mine.txt": b"mine", "new/c.md": b"C"}
    write_pages({"a.md": "A3"}, out, prune=True)
    assert snapshot(site) == {"mine.txt": b"mine"}
    assert os.path.ismount(site)
    assert sorted(p.name for p in out.iterdir()) == [".curriculum-manifest.json", "a.md", "site"]


def test_a_full_disk_gives_one_line_and_loses_nothing(tmp_path, tmpfs, capsys):
    small = tmpfs(tmp_path / "small", "size=200k")
    out = small / "out"
    assert build(out) == 0
    (out / "mine.txt").write_text("mine")
    before = snapshot(out)
    filler = os.open(small / "filler", os.O_WRONLY | os.O_CREAT)
    with pytest.raises(OSError, match="No space left"):
        while True:
            os.write(filler, b"x" * 1024)
    os.close(filler)
    assert build(out, "--hours-per-week", "3") == 1
    assert_one_clear_line(capsys, f"cannot write to {out}: No space left on device")
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".curriculum-manifest.json"]
    assert sorted(p.name for p in small.iterdir()) == ["filler", "out"]
    # A new output folder is not left behind half-made.
    assert build(small / "new" / "out") == 1
    assert_one_clear_line(capsys, f"cannot write to {small / 'new' / 'out'}: No space left on device")
    assert sorted(p.name for p in small.iterdir()) == ["filler", "out"]


def test_a_read_only_file_system_gives_one_line_and_loses_nothing(tmp_path, tmpfs, capsys):
    volume = tmpfs(tmp_path / "ro")
    out = volume / "out"
    assert build(out) == 0
    before = snapshot(out)
    subprocess.run(["mount", "-o", "remount,ro", str(volume)], check=True)
    assert build(out, "--hours-per-week", "3") == 1
    assert_one_clear_line(capsys, f"cannot write to {out}: Read-only file system")
    assert snapshot(out) == before
    assert build(volume / "new") == 1
    assert_one_clear_line(capsys, f"cannot write to {volume / 'new'}: Read-only file system")
