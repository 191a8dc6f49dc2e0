"""The compiled-template cache kept between runs.

Jinja's bytecode cache stores marshalled code objects, which are executed
when loaded: a cache file someone else could write is code someone else
runs as the user who builds. So the cache is used only when it is ours,
the same rule Jinja applies to its own default cache folder: the folder is
a real folder (not a link), owned by the current user and writable by no
one else; each file is a regular file owned by the user and writable by no
one else. Otherwise the cache is skipped (templates are compiled afresh)
and a file that fails the check is never read.
"""

from __future__ import annotations

import logging
import os
import stat

import jinja2

log = logging.getLogger(__name__)


def default_cache_dir() -> str | None:
    """Where the command line keeps the cache: CURRICULUM_CACHE_DIR (empty:
    no cache), else $XDG_CACHE_HOME/curriculum or ~/.cache/curriculum."""
    folder = os.environ.get("CURRICULUM_CACHE_DIR")
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "curriculum")
    return folder or None


def bytecode_cache(folder: str | os.PathLike | None) -> jinja2.BytecodeCache | None:
    """The cache in `folder`, or None when there is none or we cannot trust it."""
    if not folder:
        return None
    folder = os.fspath(folder)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(folder)), exist_ok=True)
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    problem = _untrusted(folder, is_dir=True)
    if problem:
        log.info("not using the template cache %s: %s", folder, problem)
        return None
    return _OwnBytecodeCache(folder)


def _untrusted(path: str, is_dir: bool, info: os.stat_result | None = None) -> str | None:
    """Why `path` cannot be trusted as ours, or None when it can."""
    try:
        info = info or os.lstat(path)
    except OSError as exc:
        return exc.strerror
    kind_ok = stat.S_ISDIR(info.st_mode) if is_dir else stat.S_ISREG(info.st_mode)
    if not kind_ok:
        return "not a real folder" if is_dir else "not a regular file"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"owned by user id {info.st_uid}, not by you"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable by other users"
    return None


class _OwnBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Reads a cache file only after checking, on the open file itself (no
    race between check and read), that it is ours."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        name = self._get_cache_filename(bucket)
        try:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return
        with os.fdopen(fd, "rb") as handle:
            problem = _untrusted(name, is_dir=False, info=os.fstat(fd))
            if problem:
                log.info("ignoring the template cache file %s: %s", name, problem)
                return
            bucket.load_bytecode(handle)
