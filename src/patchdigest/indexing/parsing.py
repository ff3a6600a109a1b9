"""The parse stage of indexing: raw messages in, store rows (or failures) out, in order.

Two parsers with one interface, so that a run's rows are the same bytes whichever is used:

* :class:`SerialParser` parses in this process (small runs: starting workers costs more);
* :class:`PoolParser` hands chunks of messages to worker processes and yields their
  results in archive order. For a git archive a chunk is just blob ids: each worker reads
  the bytes from a ``git cat-file --batch`` of its own. Workers build the ``messages`` row
  tuple themselves (:func:`~patchdigest.store.rows.row_at`): a tuple of str and int travels
  (marshalled) several times faster than a ``Message`` of nested frozen dataclasses. The indexing
  process is left with the git log, SQLite and small pipes. At most ``depth`` chunks are
  in flight, so memory stays flat however large the archive.
"""

from __future__ import annotations

import atexit
import marshal
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import ParseError, PatchdigestError
from ..models import ParseFailure, RawMessage
from ..sources.catfile import BlobReader
from ..store import Row
from ..store.rows import row_at

if TYPE_CHECKING:
    from concurrent.futures import Future

# (data, seq, epoch, commit, blob, path, offset, commit time in ISO 8601): a RawMessage
# flattened for the pipe to a worker, of types marshal writes (a chunk of jobs goes as one
# marshalled bytes: measured 3x cheaper than pickling the tuples with their datetimes).
# data None: the worker reads the blob from the chunk's repository.
Job = tuple[bytes | None, int, int | None, str | None, str | None, str | None, int | None, str | None]
# A worker's answer per job: (ROW, row, "", ""), (FAILED, None, reason, Message-ID guess) or
# (EMPTY, None, "", "") for an empty blob (what a purge leaves).
ROW, FAILED, EMPTY = 0, 1, 2
Answer = tuple[int, Row | None, str, str]
# What the indexer gets per raw message: a row, a failure, or None when there was nothing
# to parse (a deletion, an empty blob, a commit without a message).
Outcome = Row | ParseFailure | None

CHUNK = 256  # messages per job sent to a worker: ~2.5 MB, ~40 ms of parsing
CHUNK_BYTES = 8 << 20  # ... or fewer when messages are huge

# In a worker: a `git cat-file --batch` on the epoch being read, kept from chunk to chunk
# (it ends with the worker: its stdin closes). Epochs are read one after the other, so
# the reader of the previous one is closed: one git child per worker, whatever the count
# of epochs.
_readers: dict[str, BlobReader] = {}


def _reader(git_dir: str) -> BlobReader:
    if git_dir not in _readers:
        for old in _readers.values():
            old.close()
        _readers.clear()
        _readers[git_dir] = BlobReader(git_dir)
    return _readers[git_dir]


def guess_msgid(data: bytes) -> str:
    """Best effort Message-ID of an unparseable message, for the failure record."""
    head = data[:20000]
    i = head.lower().find(b"\nmessage-id:")
    if i == -1:
        return ""
    end = head.find(b"\n", i + 12)
    line = head[i + 12 : end if end != -1 else len(head)].strip()
    return line.decode("ascii", "replace")[:300]


def parse_jobs(archive_id: int, jobs: list[Job], git_dir: str | None = None) -> list[Answer]:
    """Parse a chunk (runs in a worker, or inline for the serial parser). Jobs without
    data are read from ``git_dir`` first, in one batch."""
    from ..parse import parse_message  # here, so that a no-op `index` never imports the parser

    fetched: Iterator[bytes] = iter(())
    wanted = [job[4] or "" for job in jobs if job[0] is None]
    if wanted:
        if git_dir is None:
            raise ValueError("jobs without data need the repository to read them from")
        fetched = iter(_reader(git_dir).read(wanted))
    answers: list[Answer] = []
    for data, seq, epoch, commit, blob, path, offset, commit_time in jobs:
        if data is None:
            data = next(fetched)
        if not data:
            answers.append((EMPTY, None, "", ""))
            continue
        try:
            # No ``where``: the failure record keeps the provenance in columns, and its
            # reason is just the why.
            message = parse_message(data, fallback_date=datetime.fromisoformat(commit_time) if commit_time else None)
        except ParseError as exc:
            answers.append((FAILED, None, str(exc), guess_msgid(data)))
            continue
        answers.append((ROW, row_at(archive_id, seq, epoch, commit, blob, path, offset, message), "", ""))
    return answers


def _parse_packed(archive_id: int, jobs: bytes, git_dir: str | None) -> bytes:
    """:func:`parse_jobs` for a pool worker, marshalled both ways. A row is a tuple of str,
    int and None, which marshal writes and reads about twice as fast as pickle (measured:
    0.06 s instead of 0.12 s to read a kvmarm index's rows back in the indexing process,
    where every saved CPU second counts twice on two cores)."""
    return marshal.dumps(parse_jobs(archive_id, marshal.loads(jobs), git_dir))


def _job(raw: RawMessage, by_blob: bool) -> Job:
    p = raw.prov
    when = raw.commit_time.isoformat() if raw.commit_time is not None else None
    return (None if by_blob else raw.data, p.seq, p.epoch, p.commit, p.blob, p.path, p.offset, when)


def _needs_parse(raw: RawMessage, by_blob: bool) -> bool:
    if raw.deleted:
        return False
    return raw.prov.blob is not None if by_blob else bool(raw.data)


def _merge(raws: list[RawMessage], answers: list[Answer], by_blob: bool) -> Iterator[tuple[RawMessage, Outcome]]:
    """Put a chunk's answers back beside its raw messages (answers cover only those parsed)."""
    it = iter(answers)
    for raw in raws:
        if not _needs_parse(raw, by_blob):
            yield raw, None
            continue
        kind, row, reason, msgid = next(it)
        if kind == ROW:
            yield raw, row
        elif kind == FAILED:
            yield raw, ParseFailure(raw.prov, reason, msgid)
        else:
            yield raw, None


def _jobs(chunk: list[RawMessage], by_blob: bool) -> list[Job]:
    return [_job(r, by_blob) for r in chunk if _needs_parse(r, by_blob)]


class SerialParser:
    """Parses in the calling process, from the bytes the source read."""

    reads_blobs = False

    def __enter__(self) -> SerialParser:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def outcomes(
        self,
        archive_id: int,
        raws: Iterable[RawMessage],
        git_dirs: Mapping[int, str] | None = None,
        on_exhausted: Callable[[], None] | None = None,
    ) -> Iterator[tuple[RawMessage, Outcome]]:
        for chunk in _chunks(raws):
            yield from _merge(chunk, parse_jobs(archive_id, _jobs(chunk, False)), False)
        if on_exhausted is not None:
            on_exhausted()


def _chunks(raws: Iterable[RawMessage]) -> Iterator[list[RawMessage]]:
    """CHUNK messages at a time (fewer if they are big); a chunk never spans two epochs,
    so that it has one repository to read blobs from."""
    chunk: list[RawMessage] = []
    size = 0
    for raw in raws:
        if chunk and raw.prov.epoch != chunk[0].prov.epoch:
            yield chunk
            chunk, size = [], 0
        chunk.append(raw)
        size += len(raw.data)
        if len(chunk) >= CHUNK or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _worker_init(parent: int) -> None:
    # ^C in a terminal reaches the whole process group: the indexing process handles it
    # (and stops the workers); a worker must not die mid-chunk with a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The indexing process turns SIGTERM into an exception (the CLI's handler, inherited
    # through fork); a worker has nothing to clean up: the default action, end, is right.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # After `kill -9` of the indexing process nobody would ever send the stop sentinel:
    # leave as soon as the parent is gone instead of idling forever.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # The parser is imported now (~25 ms), while the indexing process waits for git log's
    # first line, rather than on the first chunk. Not in the indexing process before the
    # fork: a no-op run must not pay for it.
    from .. import parse  # noqa: F401


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _warm_up() -> None:
    """The first task: makes the pool fork its workers now."""


class PoolParser:
    """Parses in ``workers`` processes, results in submission order.

    For a git archive the workers also read the blobs (``reads_blobs``): the indexing
    process streams only the log, and the messages go from git to the worker that parses
    them without passing through it (measured: pickling 200 MB of messages and piping them
    twice cost a third of a full index).

    Create it before any thread is started (the git stream runs one): the workers are
    forked at once, and forking a process that runs threads can copy a held lock.
    """

    def __init__(self, workers: int, *, depth: int | None = None) -> None:
        # Imported here: a run with nothing to parse never needs multiprocessing.
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        from multiprocessing import get_context

        self._broken = BrokenProcessPool
        self.workers = workers
        self.depth = depth if depth is not None else 2 * workers + 2
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("fork"),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        # Forks every worker now, before the git stream starts its thread; no need to wait
        # for the task itself (the workers import the parser meanwhile).
        self.executor.submit(_warm_up)
        self._workers = list((getattr(self.executor, "_processes", None) or {}).values())
        # A safety net for an interrupted run. Normally the executor's own exit handler
        # sends each worker its stop sentinel; but a signal handler raising at the wrong
        # moment can leave the executor unable to, and multiprocessing then waits at exit
        # for idle workers that wait for work (seen once under heavy load: a hung kill
        # test). Handlers run last registered first: this one runs before that wait.
        atexit.register(self._reap)

    reads_blobs = True

    def __enter__(self) -> PoolParser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.executor.shutdown(wait=True)
            atexit.unregister(self._reap)
            return
        # Interrupted or failed: cancel what is queued; each worker ends after the chunk
        # it is parsing (~40 ms), on the executor's stop sentinel. Nothing they were
        # parsing is lost: it was not committed, and the next run starts there. Not
        # process.terminate(): a worker killed while sending its answer leaves half a
        # message in the result pipe, and the executor's manager thread would wait for
        # the rest forever.
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _reap(self) -> None:
        """At exit, after the executor has stopped its manager thread: give the workers
        a moment to end on their own, then kill those that did not."""
        for process in self._workers:
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
                process.join(timeout=2)

    def outcomes(
        self,
        archive_id: int,
        raws: Iterable[RawMessage],
        git_dirs: Mapping[int, str] | None = None,
        on_exhausted: Callable[[], None] | None = None,
    ) -> Iterator[tuple[RawMessage, Outcome]]:
        """``git_dirs`` (epoch -> repository): the raws come without bytes
        (``read_blobs=False``) and the workers read each blob from its epoch themselves.

        ``on_exhausted`` is called once ``raws`` has run out, while the workers still
        parse the last chunks (up to ``depth``): the caller's work then runs beside
        theirs. Everything yielded before it has been handed over."""
        by_blob = git_dirs is not None
        in_flight: deque[tuple[list[RawMessage], Future[bytes]]] = deque()
        try:
            for chunk in _chunks(raws):
                epoch = chunk[0].prov.epoch
                git_dir = git_dirs[epoch] if git_dirs is not None and epoch is not None else None
                jobs = marshal.dumps(_jobs(chunk, by_blob))
                future = self.executor.submit(_parse_packed, archive_id, jobs, git_dir)
                in_flight.append((chunk, future))
                # Hand back what is ready; wait only when the window is full.
                while in_flight and (len(in_flight) >= self.depth or in_flight[0][1].done()):
                    done, ready = in_flight.popleft()
                    yield from _merge(done, marshal.loads(ready.result()), by_blob)
            if on_exhausted is not None:
                on_exhausted()
            while in_flight:
                done, ready = in_flight.popleft()
                yield from _merge(done, marshal.loads(ready.result()), by_blob)
        except self._broken as exc:
            raise PatchdigestError(f"a parse worker died ({exc}); rerun to resume") from exc
        finally:
            for _, pending in in_flight:
                pending.cancel()


Parser = SerialParser | PoolParser


def can_fork() -> bool:
    """The pool forks its workers (they start in milliseconds, with the parser already
    imported); where fork is not available (Windows) parsing stays in-process."""
    return hasattr(os, "fork")


def default_workers() -> int:
    """Processes to parse with: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
