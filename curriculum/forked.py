"""Rendering a department's syllabi on two cores.

A team's syllabi are rendered one member at a time and written as they come.
Rendering them is most of a large team's build once the schedule is made,
and Python renders on one core, so a forked copy of the process renders most
members while this one renders the rest, writes every page and keeps the
order. The copy needs nothing sent to it (it has the plans and the compiled
templates as they were at the fork) and sends back each page as UTF-8 bytes
through a pipe.

It is only a way to go faster: the pages are the same, in the same order, as
rendered in one process. Where a fork is not available or not safe (no
second core, another thread running, no `os.fork`), or when the copy stops
for any reason (an error in a template, an interrupt), this process renders
what the copy has not sent, so errors surface here as they would without it.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
import threading
from collections.abc import Callable, Iterable, Iterator

log = logging.getLogger(__name__)

Pages = Iterable[tuple[str, str]]

# This process renders every KEPT_EVERY-th member: it also writes every page
# and renders the overview, so the copy takes the larger share.
KEPT_EVERY = 4
# Fewer members than this are rendered here: forking costs more than it saves.
FEW = 40

# The number of a member's pages, then for each the lengths of its name and text.
_HEADER = struct.Struct("!II")


def two_processes_available() -> bool:
    return hasattr(os, "fork") and len(os.sched_getaffinity(0)) >= 2 and threading.active_count() == 1


def render_split(count: int, render: Callable[[int], Pages]) -> Iterator[tuple[str, str | bytes]]:
    """`render(0)`, `render(1)`, ... `render(count - 1)`'s pages in order,
    most of them rendered by a forked copy of this process (their text then
    comes as UTF-8 bytes)."""
    if count < FEW or not two_processes_available():
        for index in range(count):
            yield from render(index)
        return
    yield from render(0)  # here first: templates are compiled once, before the fork
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(reading)
        _render_in_copy(writing, count, render)  # never returns
    os.close(writing)
    stream = os.fdopen(reading, "rb", buffering=1 << 20)
    copy_working = True
    try:
        for index in range(1, count):
            if index % KEPT_EVERY == 0:
                yield from render(index)
                continue
            if copy_working:
                pages = _receive(stream)
                if pages is not None:
                    yield from pages
                    continue
                copy_working = False
                log.debug("the rendering process stopped: rendering the rest in this one")
            yield from render(index)
    finally:
        stream.close()  # a copy still writing then stops on a broken pipe
        _reap(child)


def _render_in_copy(writing: int, count: int, render: Callable[[int], Pages]) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends the copy
        with os.fdopen(writing, "wb", buffering=1 << 20) as out:
            for index in range(1, count):
                if index % KEPT_EVERY == 0:
                    continue
                # A member's pages are rendered whole before any is sent: an
                # error leaves no member half sent.
                pages = [(name.encode(), text.encode()) for name, text in render(index)]
                out.write(_HEADER.pack(len(pages), 0))
                for name, text in pages:
                    out.write(_HEADER.pack(len(name), len(text)))
                    out.write(name)
                    out.write(text)
    finally:
        # Whatever happened: the parent renders what it did not receive and
        # reports any error itself. Nothing of the parent's (buffers, atexit
        # handlers, the writer's lock) runs here.
        os._exit(0)


def _receive(stream) -> list[tuple[str, bytes]] | None:
    """One member's pages from the copy, or None if it stopped before
    sending them all."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    count, _ = _HEADER.unpack(header)
    pages = []
    for _ in range(count):
        header = stream.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return None
        name_size, text_size = _HEADER.unpack(header)
        name, text = stream.read(name_size), stream.read(text_size)
        if len(name) < name_size or len(text) < text_size:
            return None
        pages.append((name.decode(), text))
    return pages


def _reap(child: int) -> None:
    try:
        os.kill(child, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(child, 0)
