"""The compiled-template cache runs code when loaded: it is used only when it
is ours. Each test plants a cache file that would run code and checks that a
build never executes it."""

import os
from pathlib import Path

import jinja2
import pytest

from curriculum.cache import bytecode_cache, default_cache_dir
from curriculum.cli import main
from curriculum.render import make_environment

MARKER_CODE = "open({marker!r}, 'w').write('pwned')\n"


def plant(folder: Path, marker: Path) -> list[Path]:
    """A poisoned cache file for every built-in template: loading one writes `marker`."""
    env = make_environment()
    planted = []
    for name in env.list_templates():
        if not name.endswith(".j2"):
            continue
        source, filename, _ = env.loader.get_source(env, name)
        # The template's real code, after a line that leaves a mark.
        try:
            real = env.compile(source, name, filename, raw=True)
        except jinja2.TemplateAssertionError:
            continue  # a target's template, with filters of its own
        code = compile(MARKER_CODE.format(marker=str(marker)) + real, filename, "exec")
        bucket = jinja2.bccache.Bucket(env, jinja2.bccache.BytecodeCache().get_cache_key(name, filename),
                                       jinja2.bccache.BytecodeCache().get_source_checksum(source))
        bucket.code = code
        path = folder / f"__jinja2_{bucket.key}.cache"
        with open(path, "wb") as handle:
            bucket.write_bytecode(handle)
        planted.append(path)
    return planted


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("CURRICULUM_CACHE_DIR", str(folder))
    return folder


def build(tmp_path) -> int:
    return main(["-q", "build", "--format", "md", "-o", str(tmp_path / "out")])


def test_own_cache_is_created_private_and_used(tmp_path, cache):
    assert build(tmp_path) == 0
    assert cache.is_dir() and (cache.stat().st_mode & 0o777) == 0o700
    files = list(cache.glob("__jinja2_*.cache"))
    assert files
    # A file the cache itself wrote is loaded: proof that the check lets ours through.
    marker = tmp_path / "ran"
    plant(cache, marker)
    assert build(tmp_path) == 0
    assert marker.exists()


def test_a_cache_folder_others_can_write_is_skipped(tmp_path, cache):
    cache.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    plant(cache, marker)
    cache.chmod(0o777)
    assert build(tmp_path) == 0
    assert not marker.exists()
    assert bytecode_cache(cache) is None


def test_a_cache_file_others_can_write_is_never_read(tmp_path, cache):
    cache.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    for path in plant(cache, marker):
        path.chmod(0o666)
    assert build(tmp_path) == 0
    assert not marker.exists()


def test_a_cache_folder_that_is_a_link_is_skipped(tmp_path, monkeypatch):
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    plant(real, marker)
    link = tmp_path / "cache"
    link.symlink_to(real)
    monkeypatch.setenv("CURRICULUM_CACHE_DIR", str(link))
    assert build(tmp_path) == 0
    assert not marker.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="planting a file owned by another user needs root")
def test_a_cache_owned_by_someone_else_is_skipped(tmp_path, cache):
    nobody = 65534
    cache.mkdir(mode=0o700)
    marker = tmp_path / "ran"
    planted = plant(cache, marker)
    for path in planted:
        os.chown(path, nobody, nobody)
    assert build(tmp_path) == 0
    assert not marker.exists()  # files owned by another user: never read
    os.chown(cache, nobody, nobody)
    assert bytecode_cache(cache) is None  # and a folder owned by another user: not used at all


def test_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CURRICULUM_CACHE_DIR", "")
    assert default_cache_dir() is None
    assert build(tmp_path) == 0



def test_the_library_reads_no_cache_setting(tmp_path, cache):
    """Only the command line decides where the cache is: a program calling
    the library gets no cache unless it passes a folder."""
    from curriculum.render import Templates

    assert make_environment().bytecode_cache is None
    assert not cache.exists()
    assert make_environment(Templates(cache_dir=cache)).bytecode_cache is not None
