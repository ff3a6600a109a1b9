"""The parse stage of indexing: raw messages in, store rows (or failures) out, in order.

Two parsers with one interface, so that a run's rows are the same bytes whichever is used:

* :class:`SerialParser` parses in this process (small runs: starting workers costs more);
* :class:`PoolParser` sends chunks of raw bytes to worker processes and yields their
  results in archive order. Workers build the ``messages`` row tuple themselves
  (:func:`~patchdigest.store.row_of`): a tuple of str and int pickles several times
  faster than a ``Message`` of nested frozen dataclasses, and the indexing process is
  then left with git, SQLite and the pipes. At most ``depth`` chunks are in flight, so
  memory stays flat however large the archive.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from types import TracebackType

from ..errors import ParseError
from ..models import ParseFailure, Provenance, RawMessage
from ..store import Row, row_of

# (data, seq, epoch, commit, blob, path, offset, commit time): a RawMessage flattened for
# the pipe to a worker.
Job = tuple[bytes, int, int | None, str | None, str | None, str | None, int | None, datetime | None]
# A worker's answer per job: (row, "", "") or (None, reason, Message-ID guess).
Answer = tuple[Row | None, str, str]
# What the indexer gets per raw message: a row, a failure, or None when there was nothing
# to parse (a deletion, an empty blob left by a purge).
Outcome = Row | ParseFailure | None

CHUNK = 256  # messages per job sent to a worker: ~2.5 MB, ~40 ms of parsing
CHUNK_BYTES = 8 << 20  # ... or fewer when messages are huge


def guess_msgid(data: bytes) -> str:
    """Best effort Message-ID of an unparseable message, for the failure record."""
    head = data[:20000]
    i = head.lower().find(b"\nmessage-id:")
    if i == -1:
        return ""
    end = head.find(b"\n", i + 12)
    line = head[i + 12 : end if end != -1 else len(head)].strip()
    return line.decode("ascii", "replace")[:300]


def parse_jobs(archive_id: int, jobs: list[Job]) -> list[Answer]:
    """Parse a chunk (runs in a worker, or inline for the serial parser)."""
    from ..parse import parse_message  # here, so that a no-op `index` never imports the parser

    answers: list[Answer] = []
    for data, seq, epoch, commit, blob, path, offset, commit_time in jobs:
        prov = Provenance("", seq, epoch, commit, blob, path, offset)
        where = prov.describe()
        try:
            message = parse_message(data, fallback_date=commit_time, where=where)
        except ParseError as exc:
            # The record keeps its provenance in columns: the reason is just the why.
            answers.append((None, str(exc).removeprefix(f"{where}: "), guess_msgid(data)))
            continue
        answers.append((row_of(archive_id, prov, message), "", ""))
    return answers


def _job(raw: RawMessage) -> Job:
    p = raw.prov
    return (raw.data, p.seq, p.epoch, p.commit, p.blob, p.path, p.offset, raw.commit_time)


def _needs_parse(raw: RawMessage) -> bool:
    return bool(raw.data) and not raw.deleted


def _merge(raws: list[RawMessage], answers: list[Answer]) -> Iterator[tuple[RawMessage, Outcome]]:
    """Put a chunk's answers back beside its raw messages (answers cover only those parsed)."""
    it = iter(answers)
    for raw in raws:
        if not _needs_parse(raw):
            yield raw, None
            continue
        row, reason, msgid = next(it)
        yield raw, row if row is not None else ParseFailure(raw.prov, reason, msgid)


class SerialParser:
    """Parses in the calling process."""

    def __enter__(self) -> SerialParser:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def outcomes(self, archive_id: int, raws: Iterable[RawMessage]) -> Iterator[tuple[RawMessage, Outcome]]:
        for chunk in _chunks(raws):
            yield from _merge(chunk, parse_jobs(archive_id, [_job(r) for r in chunk if _needs_parse(r)]))


def _chunks(raws: Iterable[RawMessage]) -> Iterator[list[RawMessage]]:
    chunk: list[RawMessage] = []
    size = 0
    for raw in raws:
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
    # After `kill -9` of the indexing process nobody would ever send the stop sentinel:
    # leave as soon as the parent is gone instead of idling forever.
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _warm_up() -> None:
    """The first task: makes the pool fork its workers now."""


class PoolParser:
    """Parses in ``workers`` processes, results in submission order.

    Create it before any thread is started (the git stream runs one): the workers are
    forked at once, and forking a process that runs threads can copy a held lock.
    """

    def __init__(self, workers: int, *, depth: int | None = None) -> None:
        self.workers = workers
        self.depth = depth if depth is not None else 2 * workers + 2
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("fork"),
            initializer=_worker_init,
            initargs=(os.getpid(),),
        )
        self.executor.submit(_warm_up).result()

    def __enter__(self) -> PoolParser:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.executor.shutdown(wait=True)
            return
        # Interrupted or failed: drop queued chunks and stop the workers now. Nothing they
        # were parsing is lost: it was not committed, and the next run starts there.
        self.executor.shutdown(wait=False, cancel_futures=True)
        processes = getattr(self.executor, "_processes", None) or {}
        for process in list(processes.values()):
            process.terminate()

    def outcomes(self, archive_id: int, raws: Iterable[RawMessage]) -> Iterator[tuple[RawMessage, Outcome]]:
        in_flight: deque[tuple[list[RawMessage], Future[list[Answer]]]] = deque()
        try:
            for chunk in _chunks(raws):
                jobs = [_job(r) for r in chunk if _needs_parse(r)]
                in_flight.append((chunk, self.executor.submit(parse_jobs, archive_id, jobs)))
                # Hand back what is ready; wait only when the window is full.
                while in_flight and (len(in_flight) >= self.depth or in_flight[0][1].done()):
                    done, future = in_flight.popleft()
                    yield from _merge(done, future.result())
            while in_flight:
                done, future = in_flight.popleft()
                yield from _merge(done, future.result())
        finally:
            for _, future in in_flight:
                future.cancel()


Parser = SerialParser | PoolParser


def default_workers() -> int:
    """Processes to parse with: the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1
