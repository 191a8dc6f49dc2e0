"""Write stage: the only code that touches the output folder.

The new output is assembled in a hidden staging folder beside the target and
swapped in with one atomic rename, so a failure or an interruption leaves
either the old output or the new one, never a mix. A manifest lists the files
the tool generated: only those are ever replaced or removed; a user's own
files in the folder are carried over untouched (hard-linked, not copied).
"""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import os
import shutil
import signal
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .errors import CurriculumError

log = logging.getLogger(__name__)

MANIFEST = ".curriculum-manifest.json"
_STAGING_MARK = ".curriculum-staging-"


def write_pages(
    pages: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes | Iterable[str]]],
    out_dir: Path,
    *,
    prune: bool,
    protect: Sequence[Path] = (),
) -> list[str]:
    """Write `pages` (relative POSIX path -> text, or an iterable of such
    pairs, consumed as it goes so large builds need not hold every page in
    memory; a page may be text, bytes, or an iterable of text chunks) into
    `out_dir`.

    With `prune`, generated files from earlier runs that are not in `pages`
    are removed (a full rebuild); without it they are kept. Returns the
    relative paths written, sorted. `protect` lists folders the output must
    not contain.
    """
    out_dir = _resolve_target(Path(out_dir), protect)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(parent, out_dir.name)

    previous = _read_manifest(out_dir)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{_STAGING_MARK}", dir=parent))
    names: set[str] = set()
    try:
        for name, text in pages.items() if isinstance(pages, Mapping) else pages:
            check_relative(name)
            if name in names:
                raise CurriculumError(f"two pages would be written to '{name}'")
            names.add(name)
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                target.write_bytes(text)
                continue
            with open(target, "w", encoding="utf-8", newline="") as handle:
                if isinstance(text, str):
                    handle.write(text)
                else:
                    handle.writelines(text)
        kept_generated = _carry_over(out_dir, staging, names, previous, prune)
        manifest = sorted(names | kept_generated)
        (staging / MANIFEST).write_text(json.dumps({"generated": manifest}, indent=1) + "\n", encoding="utf-8")
        _match_mode(staging, out_dir)
        _swap_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("wrote %d file(s) to %s", len(names), out_dir)
    return sorted(names)


def check_relative(name: str) -> PurePosixPath:
    """Refuse any page path that could land outside the output folder."""
    path = PurePosixPath(name)
    bad = (
        not name
        or "\\" in name
        or "\0" in name
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in name.split("/"))
        or name == MANIFEST
    )
    if bad:
        raise CurriculumError(f"refusing to write '{name}': not a plain path inside the output folder")
    return path


def _resolve_target(out_dir: Path, protect: Sequence[Path]) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise CurriculumError("output path exists and is not a folder", out_dir)
    real = out_dir.resolve()
    for keep in [Path.cwd(), *protect]:
        keep = Path(keep).resolve()
        if keep.is_relative_to(real):
            raise CurriculumError(
                f"refusing to write into {out_dir}: it contains {keep}; choose a dedicated output folder"
            )
    return real


def _remove_stale_staging(parent: Path, name: str) -> None:
    """Staging folders left by a killed run (SIGKILL, power loss)."""
    for leftover in parent.glob(f".{name}{_STAGING_MARK}*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _read_manifest(out_dir: Path) -> set[str]:
    try:
        data = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        return {name for name in data["generated"] if isinstance(name, str)}
    except (OSError, ValueError, KeyError, TypeError):
        # No manifest (or a damaged one): treat every file as the user's.
        return set()


def _carry_over(out_dir: Path, staging: Path, new: set[str], previous: set[str], prune: bool) -> set[str]:
    """Bring the files that must survive into the staging folder; return the
    generated ones among them."""
    kept_generated = set()
    if not out_dir.is_dir():
        return kept_generated
    for root, dirs, files in os.walk(out_dir):
        rel_root = Path(root).relative_to(out_dir)
        for name in dirs:
            (staging / rel_root / name).mkdir(exist_ok=True)
        for name in files:
            rel = (rel_root / name).as_posix()
            if rel == MANIFEST:
                continue
            generated = rel in previous
            if rel in new:
                if not generated:
                    raise CurriculumError(
                        f"{out_dir / rel} was not generated by curriculum; "
                        "move it away or choose another output folder"
                    )
                continue
            if generated and prune:
                continue
            if generated:
                kept_generated.add(rel)
            _link_or_copy(Path(root) / name, staging / rel)
    return kept_generated


def _link_or_copy(source: Path, target: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _match_mode(staging: Path, out_dir: Path) -> None:
    if out_dir.is_dir():
        mode = out_dir.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o777 & ~umask
    staging.chmod(mode)


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    with _signals_deferred():
        if not out_dir.exists():
            os.rename(staging, out_dir)
            return
        if not _exchange(staging, out_dir):
            backup = staging.with_name(staging.name + "-old")
            os.rename(out_dir, backup)
            os.rename(staging, out_dir)
            os.rename(backup, staging)
    # `staging` now holds the old output, if any; the caller removes it.


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise CurriculumError(f"cannot move the new output into place: {os.strerror(code)}", b)


@contextmanager
def _signals_deferred():
    """Hold Ctrl-C and SIGTERM until the swap is done."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    deferred = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
