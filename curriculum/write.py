"""Write stage: the only code that touches the output folder.

The output folder belongs to the user; only the files its manifest
(`.curriculum-manifest.json`) lists belong to curriculum, and only those are
ever replaced or removed. A run:

1. locks the folder (`flock` on `.curriculum-lock` inside it), so two runs
   into one folder take turns instead of mixing;
2. finishes what a run killed while replacing files left behind (its
   journal), and removes what a run killed earlier left (its staging folder);
3. streams each page into a hidden staging folder inside the output folder,
   on the same file system as the target, so that it can later move into
   place with one rename; each target is checked on the way, and a user's
   file, a link or a folder where a page should go stops the run before
   anything changed;
4. commits: a journal lists every rename and removal, then each file is
   replaced with an atomic rename, pruned files and the folders curriculum
   made that became empty are removed, the new manifest is written and the
   journal deleted.

Every path inside the folder is reached one folder at a time from file
descriptors opened without following links, so nothing is written or removed
through a symbolic link, even one swapped in mid-run. The folders themselves
are never recreated or renamed: their modes, owners, times, links and mounts
stay as they are, and the output folder may itself be a mount point.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .errors import CurriculumError
from .manifest import MANIFEST, MAX_BYTES, accepted, manifest_json

log = logging.getLogger(__name__)

_OWN = ".curriculum-"  # every name with this prefix is curriculum's own, never a page
_LOCK = ".curriculum-lock"
_JOURNAL = ".curriculum-journal.json"
_STAGING = ".curriculum-staging"
# In the staging folder: where pages for targets on another file system (a
# mount inside the output) were staged, beside their target.
_ELSEWHERE = ".curriculum-elsewhere"
_BESIDE = re.compile(r"\.curriculum-new-[0-9]+")
_TEMP = ".new"  # the manifest and the journal are written to NAME.new, then renamed
_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_MAX_OPEN_FOLDERS = 64

Page = str | bytes | Iterable[str]


def write_pages(
    pages: Mapping[str, Page] | Iterable[tuple[str, Page]],
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
    writing = _Writing(out_dir)
    made: list[Path] = []
    try:
        with _locked(out_dir, made, writing) as root:
            names = _write_locked(root, pages, out_dir, writing, prune)
    except BaseException:
        _remove_made(made)  # a folder this run created is not left behind half-made
        raise
    log.info("wrote %d file(s) to %s", len(names), out_dir)
    return sorted(names)


def check_relative(name: str) -> PurePosixPath:
    """Refuse any page path that could land outside the output folder or on
    one of curriculum's own files."""
    path = PurePosixPath(name)
    parts = name.split("/")
    bad = (
        not name
        or "\\" in name
        or "\0" in name
        or path.is_absolute()
        or any(part in ("", ".", "..") or part.startswith(_OWN) for part in parts)
    )
    if bad:
        raise CurriculumError(f"refusing to write '{name}': not a plain path inside the output folder")
    return path


@dataclass(frozen=True)
class _Writing:
    """Turns the file system's refusals (full disk, read-only, no permission)
    into one clear line. Only wrapped around our own file operations, so an
    error from rendering a page keeps its own message."""

    out_dir: Path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if isinstance(error, OSError):
            raise CurriculumError(f"cannot write to {self.out_dir}: {error.strerror or error}") from error
        return False


@dataclass(frozen=True)
class _Previous:
    """What the manifest says curriculum generated."""

    generated: frozenset[str] = frozenset()
    folders: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Entry:
    """One staged page: `beside` is (folder, name) when it was staged next to
    its target rather than in the staging folder."""

    path: str
    replaces: bool
    beside: tuple[str, str] | None = None


@dataclass(frozen=True)
class _Plan:
    """Everything a commit does; written to the journal before it starts."""

    writes: tuple[_Entry, ...]
    removes: tuple[str, ...]
    empty_folders: tuple[str, ...]  # to remove if empty, deepest first
    generated: tuple[str, ...]
    folders: tuple[str, ...]


class _NotAFolder(Exception):
    """A path that should be a folder is a link or a file."""

    def __init__(self, rel: str, is_link: bool):
        super().__init__(rel)
        self.rel = rel
        self.is_link = is_link

    def describe(self, out_dir: Path) -> str:
        if self.is_link:
            return f"{out_dir / self.rel} is a symbolic link; curriculum does not write through links"
        return f"{out_dir / self.rel} is not a folder"


@dataclass(frozen=True)
class _Tree:
    """Folders under `root`, opened one level at a time without following
    links, so a folder swapped for a link mid-run cannot redirect a write.
    A descriptor returned is valid until the next call."""

    root: int
    fds: dict[str, int | None] = field(default_factory=dict)

    def folder(self, rel: str, create: bool = False) -> int | None:
        """The folder `rel` (created with its parents if asked), or None if missing."""
        self._limit()
        return self._open(rel, create)

    def find(self, rel: str) -> tuple[str, int, list[str]]:
        """The deepest existing folder on the way to `rel`, its descriptor,
        and the folders below it that are missing."""
        self._limit()
        parts = rel.split("/") if rel else []
        found, fd = "", self.root
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            child = self._open(prefix, False)
            if child is None:
                return found, fd, ["/".join(parts[:d]) for d in range(depth, len(parts) + 1)]
            found, fd = prefix, child
        return found, fd, []

    def forget(self, rel: str) -> None:
        fd = self.fds.pop(rel, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for fd in self.fds.values():
            if fd is not None:
                os.close(fd)
        self.fds.clear()

    def _limit(self) -> None:
        if len(self.fds) > _MAX_OPEN_FOLDERS:
            self.close()

    def _open(self, rel: str, create: bool) -> int | None:
        if not rel:
            return self.root
        known = self.fds.get(rel)
        if known is not None or (rel in self.fds and not create):
            return known
        parent_rel, _, name = rel.rpartition("/")
        parent = self._open(parent_rel, create)
        if parent is None:
            self.fds[rel] = None
            return None
        try:
            fd = _open_folder(name, parent, rel)
        except FileNotFoundError:
            if not create:
                self.fds[rel] = None
                return None
            with suppress(FileExistsError):
                os.mkdir(name, dir_fd=parent)
            fd = _open_folder(name, parent, rel)
        self.fds[rel] = fd
        return fd


def _open_folder(name: str, parent: int, rel: str) -> int:
    try:
        return os.open(name, _OPEN_FOLDER, dir_fd=parent)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        raise _NotAFolder(rel, _is_link(parent, name)) from None


def _is_link(folder: int, name: str) -> bool:
    found = _lstat(folder, name)
    return found is not None and stat.S_ISLNK(found.st_mode)


def _lstat(folder: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _split(rel: str) -> tuple[str, str]:
    folder, _, name = rel.rpartition("/")
    return folder, name


# ---------------------------------------------------------------- the target and its lock


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


@contextmanager
def _locked(out_dir: Path, made: list[Path], writing: _Writing) -> Iterator[int]:
    """Hold the output folder's lock; yield a descriptor of the folder.
    Ctrl-C and SIGTERM are held while the lock is taken and given back (but
    not while waiting), so an interrupted run never leaves the lock file."""
    root = lock = None
    try:
        with _signals_deferred():
            root, lock = _lock(out_dir, made, writing)
        log.info("writing to %s", out_dir)
        yield root
    finally:
        with _signals_deferred():
            if lock is not None:
                with suppress(OSError):
                    os.unlink(_LOCK, dir_fd=root)  # still holding it, so no other run is inside
                os.close(lock)
            if root is not None:
                os.close(root)


def _lock(out_dir: Path, made: list[Path], writing: _Writing) -> tuple[int, int]:
    """The lock file is removed when a run ends, so a run that waited on it
    may find it gone or replaced: it then starts over on the current one."""
    warned = False
    while True:
        with writing:
            made.extend(_make_folders(out_dir))
            root = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        lock = None
        try:
            with writing:
                lock = os.open(_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=root)
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not warned:
                        log.warning("waiting for another curriculum run that is writing to %s", out_dir)
                        warned = True
                    with _signals_allowed():
                        fcntl.flock(lock, fcntl.LOCK_EX)
                current = _same(lock, lambda: os.stat(_LOCK, dir_fd=root, follow_symlinks=False))
                current = current and _same(root, lambda: os.stat(out_dir))
        except BaseException:
            if lock is not None:
                os.close(lock)
            os.close(root)
            raise
        if current:
            return root, lock
        os.close(lock)
        os.close(root)


def _same(fd: int, stat_path) -> bool:
    try:
        found = stat_path()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (held.st_dev, held.st_ino)


def _make_folders(out_dir: Path) -> list[Path]:
    """Create the output folder and missing parents; return those created."""
    missing = []
    for folder in [out_dir, *out_dir.parents]:
        if os.path.lexists(folder):
            break
        missing.append(folder)
    made = []
    for folder in reversed(missing):
        try:
            os.mkdir(folder)
        except FileExistsError:
            continue
        made.append(folder)
    return made


def _remove_made(made: list[Path]) -> None:
    for folder in reversed(made):
        try:
            os.rmdir(folder)
        except OSError:
            return  # not empty (another run is using it) or gone: leave it


# ---------------------------------------------------------------- one run


def _write_locked(root: int, pages, out_dir: Path, writing: _Writing, prune: bool) -> set[str]:
    # Ctrl-C and SIGTERM are held throughout but for staging, which changes
    # nothing the user sees and is cleaned up when interrupted.
    with _signals_deferred():
        with writing:
            _recover(root, out_dir)
            previous = _read_manifest(root, out_dir)
        try:
            with writing:
                os.mkdir(_STAGING, 0o700, dir_fd=root)
            with _signals_allowed():
                entries, new_folders = _stage(root, pages, previous, out_dir, writing)
            plan = _plan(entries, new_folders, previous, prune)
            with writing:
                _sync(root)  # the staged pages are on disk before the journal says to use them
                _replace_file(root, _JOURNAL, _journal_text(plan))
        except BaseException:
            with suppress(OSError):
                if _lstat(root, _JOURNAL) is None:  # else the next run needs the staged pages
                    _remove_leftovers(root)
            raise
        # From here the journal holds the commit: if it stops midway, the
        # next run into this folder finishes it.
        with writing:
            _apply(root, plan, out_dir)
            _remove_leftovers(root)
    return {entry.path for entry in entries}


def _stage(
    root: int, pages, previous: _Previous, out_dir: Path, writing: _Writing
) -> tuple[list[_Entry], set[str]]:
    """Write every page into the staging folder, or beside its target when
    the target's folder is on another file system; return the staged pages
    and the folders the commit will create."""
    entries: list[_Entry] = []
    names: set[str] = set()
    new_folders: set[str] = set()
    with writing:
        staging = os.open(_STAGING, _OPEN_FOLDER, dir_fd=root)
        device = os.fstat(staging).st_dev
    live, staged = _Tree(root), _Tree(staging)
    record = None
    try:
        for name, text in pages.items() if isinstance(pages, Mapping) else pages:
            check_relative(name)
            if name in names:
                raise CurriculumError(f"two pages would be written to '{name}'")
            names.add(name)
            with writing:
                found, fd, missing, replaces = _check_target(live, name, previous, out_dir)
                elsewhere = os.fstat(fd).st_dev != device
            new_folders.update(missing)
            if not elsewhere:
                folder, base = _split(name)
                with writing:
                    fd = staged.folder(folder, create=True)
                _write_file(fd, base, text, writing)
                entries.append(_Entry(name, replaces))
                continue
            beside = (found, f"{_OWN}new-{len(entries)}")
            with writing:
                if record is None:
                    record = os.open(_ELSEWHERE, _CREATE | os.O_APPEND, 0o600, dir_fd=staging)
                os.write(record, (json.dumps(beside) + "\n").encode())
            _write_file(fd, beside[1], text, writing, durable=True)
            entries.append(_Entry(name, replaces, beside))
    finally:
        live.close()
        staged.close()
        os.close(staging)
        if record is not None:
            os.close(record)
    return entries, new_folders


def _check_target(
    live: _Tree, name: str, previous: _Previous, out_dir: Path
) -> tuple[str, int, list[str], bool]:
    """Where the page `name` would go: the deepest existing folder on its way
    and its descriptor, the folders to create, and whether it replaces a
    generated file. Stops the run on a link, a folder or a user's file."""
    folder, base = _split(name)
    try:
        found, fd, missing = live.find(folder)
    except _NotAFolder as problem:
        raise CurriculumError(f"{problem.describe(out_dir)}: move it away or choose another output folder") from None
    if missing:
        return found, fd, missing, False
    target = _lstat(fd, base)
    if target is None:
        return found, fd, [], False
    if stat.S_ISLNK(target.st_mode):
        raise CurriculumError(
            f"{out_dir / name} is a symbolic link; curriculum does not write through links: "
            "move it away or choose another output folder"
        )
    if stat.S_ISDIR(target.st_mode):
        raise CurriculumError(
            f"{out_dir / name} is a folder where curriculum writes a file: move it away or choose another output folder"
        )
    if not stat.S_ISREG(target.st_mode) or name not in previous.generated:
        raise CurriculumError(
            f"{out_dir / name} was not generated by curriculum; move it away or choose another output folder"
        )
    return found, fd, [], True


def _write_file(folder: int, name: str, text: Page, writing: _Writing, durable: bool = False) -> None:
    with writing:
        handle = open(name, "wb", buffering=1 << 16, opener=lambda path, _: os.open(path, _CREATE, 0o666, dir_fd=folder))
    try:
        for chunk in _encoded(text):  # rendering happens here: its errors pass through as they are
            with writing:
                handle.write(chunk)
        if durable:
            with writing:
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        with writing:
            handle.close()


def _encoded(text: Page) -> Iterator[bytes]:
    if isinstance(text, bytes):
        yield text
    elif isinstance(text, str):
        yield text.encode("utf-8")
    else:
        for chunk in text:
            yield chunk.encode("utf-8")


def _plan(entries: list[_Entry], new_folders: set[str], previous: _Previous, prune: bool) -> _Plan:
    names = {entry.path for entry in entries}
    gone = previous.generated - names
    generated = names if prune else names | gone
    folders = previous.folders | new_folders
    empty: list[str] = []
    if prune:
        needed = {parent for path in generated for parent in _parents(path)}
        empty = sorted(folders - needed, key=lambda folder: (-folder.count("/"), folder))
    return _Plan(
        writes=tuple(entries),
        removes=tuple(sorted(gone)) if prune else (),
        empty_folders=tuple(empty),
        generated=tuple(sorted(generated)),
        folders=tuple(sorted(folders)),
    )


def _parents(path: str) -> Iterator[str]:
    parts = path.split("/")
    for depth in range(1, len(parts)):
        yield "/".join(parts[:depth])


# ---------------------------------------------------------------- commit and recovery


def _apply(root: int, plan: _Plan, out_dir: Path) -> None:
    """Carry out a commit. Safe to run again after it stopped midway: a page
    whose staged copy is gone was moved already."""
    staging = _open_if_folder(root, _STAGING)
    live, sources = _Tree(root), _Tree(root)
    staged = _Tree(staging) if staging is not None else None
    try:
        for entry in plan.writes:
            _move_into_place(entry, live, sources, staged, out_dir)
        for rel in plan.removes:
            _remove_file(live, rel)
        for rel in plan.empty_folders:
            _remove_empty_folder(live, rel)
        # The manifest lists what is there: a page skipped above, or a file
        # a user replaced with a link, is not claimed.
        generated = [rel for rel in plan.generated if _has(live, rel, stat.S_ISREG)]
        folders = [rel for rel in plan.folders if _has(live, rel, stat.S_ISDIR)]
    finally:
        live.close()
        sources.close()
        if staged is not None:
            staged.close()
            os.close(staging)
    _replace_file(root, MANIFEST, manifest_json(generated, folders=folders))
    _sync(root)
    os.unlink(_JOURNAL, dir_fd=root)


def _move_into_place(entry: _Entry, live: _Tree, sources: _Tree, staged: _Tree | None, out_dir: Path) -> None:
    folder, base = _split(entry.path)
    try:
        if entry.beside is not None:
            source, source_name = sources.folder(entry.beside[0]), entry.beside[1]
        else:
            source, source_name = (staged.folder(folder) if staged else None), base
    except _NotAFolder:
        return
    if source is None or _lstat(source, source_name) is None:
        return
    try:
        target = live.folder(folder, create=True)
    except _NotAFolder as problem:
        log.warning("%s; %s not updated", problem.describe(out_dir), out_dir / entry.path)
        return
    found = _lstat(target, base)
    if found is not None and not (entry.replaces and stat.S_ISREG(found.st_mode)):
        log.warning("%s appeared while curriculum was writing; left as it is", out_dir / entry.path)
        return
    try:
        os.rename(source_name, base, src_dir_fd=source, dst_dir_fd=target)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        log.warning("%s is now on another file system; not updated", out_dir / entry.path)


def _remove_file(live: _Tree, rel: str) -> None:
    """Remove a generated file, unless a user put a link or folder in its place."""
    folder, name = _split(rel)
    if _has(live, rel, stat.S_ISREG):
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=live.folder(folder))


def _remove_empty_folder(live: _Tree, rel: str) -> None:
    parent, name = _split(rel)
    try:
        fd = live.folder(parent)
    except _NotAFolder:
        return
    if fd is None:
        return
    live.forget(rel)
    with suppress(OSError):  # not empty (a user's file), a mount point, a link: left as it is
        os.rmdir(name, dir_fd=fd)


def _has(live: _Tree, rel: str, kind) -> bool:
    folder, name = _split(rel)
    try:
        fd = live.folder(folder)
    except _NotAFolder:
        return False
    found = _lstat(fd, name) if fd is not None else None
    return found is not None and kind(found.st_mode)


def _recover(root: int, out_dir: Path) -> None:
    """Finish a commit a killed run left (roll forward), then remove what a
    run stopped before its commit left behind."""
    plan = _read_journal(root, out_dir)
    if plan is not None:
        log.warning("finishing the previous run into %s, which stopped while replacing files", out_dir)
        _apply(root, plan, out_dir)
    _remove_leftovers(root)


def _remove_leftovers(root: int) -> None:
    staging = _open_if_folder(root, _STAGING)
    if staging is not None:
        try:
            _remove_staged_elsewhere(root, staging)
        finally:
            os.close(staging)
        shutil.rmtree(_STAGING, dir_fd=root)
    for name in (MANIFEST + _TEMP, _JOURNAL + _TEMP):
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=root)


def _open_if_folder(root: int, name: str) -> int | None:
    """Open one of our own folders; a link or file in its place is removed."""
    try:
        return os.open(name, _OPEN_FOLDER, dir_fd=root)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
    os.unlink(name, dir_fd=root)
    return None


def _remove_staged_elsewhere(root: int, staging: int) -> None:
    try:
        lines = _read_own(staging, _ELSEWHERE).splitlines()
    except FileNotFoundError:
        return
    live = _Tree(root)
    try:
        for line in lines:
            try:
                folder, name = json.loads(line)
            except (ValueError, TypeError):
                continue  # the last line, cut short by a kill
            if not (_plain(folder, allow_root=True) and isinstance(name, str) and _BESIDE.fullmatch(name)):
                continue
            with suppress(_NotAFolder):
                fd = live.folder(folder)
                found = _lstat(fd, name) if fd is not None else None
                if found is not None and stat.S_ISREG(found.st_mode):
                    os.unlink(name, dir_fd=fd)
    finally:
        live.close()


# ---------------------------------------------------------------- our own files


def _read_own(folder: int, name: str) -> bytes:
    """Read one of our own files, never through a link, never from a FIFO
    and never one bigger than any list curriculum writes."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder)
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise OSError(errno.EFBIG, "larger than any list curriculum writes")
        return data


def _read_manifest(root: int, out_dir: Path) -> _Previous:
    """The manifest is read as untrusted: anyone who can write the folder can
    edit it. Only plain paths inside the folder are accepted."""
    where = out_dir / MANIFEST
    try:
        data = json.loads(_read_own(root, MANIFEST))
    except FileNotFoundError:
        return _Previous()
    except (OSError, ValueError):
        data = None
    if not isinstance(data, dict):
        log.warning("%s is damaged; every file in the folder is treated as yours", where)
        return _Previous()
    return _Previous(_paths(data.get("generated"), where), _paths(data.get("folders", []), where))


def _read_journal(root: int, out_dir: Path) -> _Plan | None:
    where = out_dir / _JOURNAL
    try:
        data = json.loads(_read_own(root, _JOURNAL))
        writes = []
        for item in data["writes"]:
            beside = item.get("beside")
            if not _plain(item["path"]) or not (
                beside is None
                or (isinstance(beside, list) and len(beside) == 2 and _plain(beside[0], allow_root=True)
                    and isinstance(beside[1], str) and _BESIDE.fullmatch(beside[1]))
            ):
                log.warning("%s lists %r, not a page inside the output folder; ignored", where, item)
                continue
            writes.append(_Entry(item["path"], item["replaces"] is True, tuple(beside) if beside else None))
        return _Plan(
            writes=tuple(writes),
            removes=tuple(sorted(_paths(data["removes"], where))),
            empty_folders=tuple(sorted(_paths(data["empty_folders"], where), key=lambda f: (-f.count("/"), f))),
            generated=tuple(sorted(_paths(data["generated"], where))),
            folders=tuple(sorted(_paths(data["folders"], where))),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        log.warning("%s is damaged; the run that wrote it is not finished", where)
        os.unlink(_JOURNAL, dir_fd=root)
        return None


def _journal_text(plan: _Plan) -> str:
    writes = [
        {"path": entry.path, "replaces": entry.replaces, **({"beside": list(entry.beside)} if entry.beside else {})}
        for entry in plan.writes
    ]
    return json.dumps({
        "writes": writes, "removes": plan.removes, "empty_folders": plan.empty_folders,
        "generated": plan.generated, "folders": plan.folders,
    }) + "\n"


def _paths(values, where: Path) -> frozenset[str]:
    if not isinstance(values, list):
        log.warning("%s is damaged; every file in the folder is treated as yours", where)
        return frozenset()
    return frozenset(accepted(values, lambda value: None if _plain(value) else "not a plain path inside the folder",
                              str(where)))


def _plain(value, allow_root: bool = False) -> bool:
    if not isinstance(value, str):
        return False
    if allow_root and value == "":
        return True
    try:
        check_relative(value)
    except CurriculumError:
        return False
    return True


def _replace_file(root: int, name: str, text: str) -> None:
    """Write one of our own files in the output folder atomically and durably."""
    temp = name + _TEMP
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=root)
    with open(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(fd)
    os.rename(temp, name, src_dir_fd=root, dst_dir_fd=root)
    os.fsync(root)


def _syncfs():
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None


_SYNCFS = _syncfs()


def _sync(fd: int) -> None:
    """Flush the file system holding `fd`: one call rather than an fsync per page."""
    if _SYNCFS is None:
        os.sync()
    elif _SYNCFS(fd) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _signals_deferred():
    """Hold Ctrl-C and SIGTERM until the block is done."""
    return _signal_mask(getattr(signal, "SIG_BLOCK", None))


def _signals_allowed():
    """Let Ctrl-C and SIGTERM through again inside a deferred block (staging
    can take long and changes nothing the user sees)."""
    return _signal_mask(getattr(signal, "SIG_UNBLOCK", None))


@contextmanager
def _signal_mask(how):
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(how, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
