"""Stream (commit, date, message blob) from ``git log --raw`` and the blobs from ``cat-file``.

Two git children per stream, whatever the archive size:

* ``git log --reverse --raw`` lists each commit with the files it touched;
* ``git cat-file --batch`` returns the blob of each message, in request order.

A feeder thread reads the log, decides which blob each commit needs, queues the commits
and writes the blob ids to cat-file's stdin. The consumer (the generator) takes commits
off the queue in order and reads the matching blobs from cat-file's stdout. Requests are
written by a thread that never reads cat-file's output, so the pipes cannot deadlock
(see ``_feed``), and the bounded queue keeps memory flat: at most ``_QUEUE_DEPTH`` chunks
of commits plus the pipe buffers are ever in flight.
"""

from __future__ import annotations

import io
import queue
import re
import threading
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ..errors import SourceError
from ._git import GitProcess

_CHUNK = 64
_QUEUE_DEPTH = 64  # chunks: at most ~4096 commits in flight

# v1 stores each message at the sha1 of its Message-ID split 2/38: "ab/cdef0123...".
_SHARDED = re.compile(r"[0-9a-f]{2}/[0-9a-f]{38}")

# One header line per commit, then git's blank line and the ":old new ..." raw lines.
# %at (seconds) is kept as a fallback for %aI: git stores whatever offset the writer
# gave, and only offsets under 24 h fit a Python datetime.
LOG_FORMAT = "--format=%H %at %aI"


@dataclass(frozen=True, slots=True)
class CommitBlob:
    """One commit of the stream and the blob that holds its message (None: nothing to read)."""

    commit: str
    time: datetime | None
    blob: str | None
    deleted: bool


@dataclass(frozen=True, slots=True)
class _Change:
    status: str  # A, M, D; T (type change) and "?" (not a regular file) are ignored
    old: str
    new: str
    path: str


def _parse_time(seconds: bytes, iso: bytes) -> datetime | None:
    try:
        # The kvmarm archive stores "author ... 1556815584 +1700" for a message dated
        # "Thu, 2 May 2019 09:46:24 -0700": odd offset, right instant. Keep it as given.
        return datetime.fromisoformat(iso.decode("ascii"))
    except ValueError:
        try:
            return datetime.fromtimestamp(int(seconds), tz=UTC)
        except (ValueError, OverflowError, OSError):
            return None


def _message_blob_v2(changes: list[_Change]) -> tuple[str | None, bool]:
    """Which blob a v2 commit carries: ``m`` added/modified, or ``d`` for a deletion."""
    m_new = m_old = d_new = None
    for ch in changes:
        if ch.path == "m":
            if ch.status in ("A", "M"):
                m_new = ch.new
            elif ch.status == "D":
                m_old = ch.old
        elif ch.path == "d" and ch.status in ("A", "M"):
            d_new = ch.new
    if d_new is not None:
        # public-inbox removes `m` and adds `d` holding the very blob it removed.
        return d_new, True
    if m_new is not None:
        # status M is the normal case (each commit replaces the single file `m`), and
        # also what a purge rewrite leaves behind.
        return m_new, False
    if m_old is not None:
        # `m` removed without a `d`: the removed blob is still the deleted message.
        return m_old, True
    return None, False


def _message_blob_v1(changes: list[_Change]) -> tuple[str | None, bool]:
    """Which blob a v1 commit carries: a sharded path added, or one removed (deletion)."""
    removed = None
    for ch in changes:
        if not _SHARDED.fullmatch(ch.path):
            continue
        if ch.status in ("A", "M"):
            return ch.new, False
        if ch.status == "D" and removed is None:
            removed = ch.old
    return (removed, True) if removed is not None else (None, False)


def _parse_change(line: bytes) -> _Change:
    # ":100644 100644 <old> <new> M\tm\n"
    meta, _, path = line.rstrip(b"\n").partition(b"\t")
    fields = meta.split(b" ")
    status = fields[4][:1].decode("ascii")
    mode = fields[0][1:] if status == "D" else fields[1]
    if not mode.startswith(b"100"):
        # Only a regular file holds a message: a symlink or submodule named `m` does not
        # (and a submodule's id is not even an object of this repository).
        status = "?"
    return _Change(
        status=status,
        old=fields[2].decode("ascii"),
        new=fields[3].decode("ascii"),
        path=path.decode("utf-8", "surrogateescape"),
    )


class _Discard(io.BytesIO):
    """Where the feeder's blob requests go when nobody reads the blobs."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return len(data)


class _End:
    """Queue sentinel: the log finished (``error`` set if reading it failed)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def _feed(log: GitProcess, cat_in: IO[bytes], out: queue.Queue[list[CommitBlob] | _End], sharded: bool) -> None:
    """Thread body: parse the log, request each message blob, queue the commits in chunks.

    Commits are queued and their blobs requested ``_CHUNK`` at a time: one queue hand-off
    and one write per chunk rather than per message keeps the threads from trading the
    GIL and waking cat-file on every message.
    """
    classify = _message_blob_v1 if sharded else _message_blob_v2
    error: BaseException | None = None
    header: bytes | None = None
    changes: list[_Change] = []
    chunk: list[CommitBlob] = []
    requests: list[bytes] = []

    def emit(head: bytes) -> None:
        commit, seconds, iso = head.rstrip(b"\n").split(b" ", 2)
        blob, deleted = classify(changes)
        if blob is not None:
            requests.append(blob.encode("ascii") + b"\n")
        chunk.append(CommitBlob(commit.decode("ascii"), _parse_time(seconds, iso), blob, deleted))

    def hand_over() -> None:
        # Queue first, then request. Whenever this thread blocks writing requests
        # (cat-file's stdin full because its stdout is full), every answer sitting in
        # cat-file's stdout belongs to a chunk already queued, so the consumer drains it
        # and the pipeline moves on, whatever the pipe sizes. (Requesting first could
        # block with the consumer waiting on an empty queue.)
        if chunk:
            out.put(chunk.copy())
            chunk.clear()
        if requests:
            cat_in.write(b"".join(requests))
            cat_in.flush()
            requests.clear()

    try:
        for line in log.stdout:
            if line.startswith(b":"):
                changes.append(_parse_change(line))
            elif line == b"\n":
                continue
            else:
                if header is not None:
                    emit(header)
                    if len(chunk) >= _CHUNK:
                        hand_over()
                header, changes = line, []
        if header is not None:
            emit(header)
        hand_over()
    except Exception as exc:  # handed to the consumer, which raises it as a SourceError
        # Usually the consumer closed early and we raced its cleanup (EPIPE, "I/O
        # operation on closed file"), or git died; the consumer tells which from git's
        # exit status. Anything else must still reach it rather than end the stream early.
        error = exc
    finally:
        try:
            cat_in.close()  # EOF lets cat-file exit once it has answered everything
        except OSError:
            pass
        out.put(_End(error))


def _read_blob(cat_out: IO[bytes], item: CommitBlob, where: str) -> bytes:
    header = cat_out.readline()
    fields = header.split()
    if len(fields) == 2 and fields[1] == b"missing":
        raise SourceError(f"blob {item.blob} of commit {item.commit} is missing", where=where)
    if len(fields) != 3 or not header.endswith(b"\n"):
        raise SourceError(
            f"git cat-file stopped while reading blob {item.blob} of commit {item.commit}",
            where=where,
        )
    size = int(fields[2])
    data = cat_out.read(size)
    if len(data) != size or cat_out.read(1) != b"\n":
        raise SourceError(f"short read of blob {item.blob} of commit {item.commit}", where=where)
    return data


def stream_commits(
    git_dir: Path, tip: str, after: str | None, *, sharded: bool, read_blobs: bool = True
) -> Generator[tuple[CommitBlob, bytes], None, None]:
    """Yield (commit, message bytes) for ``after..tip`` oldest first; b"" when no blob.

    ``read_blobs=False``: only the log is read (no cat-file child) and the bytes are
    always b""; ``CommitBlob.blob`` names the blob for a reader of its own.

    Closing the generator early (break, ``close()``, garbage collection) terminates
    both git children and joins the feeder thread before returning.
    """
    where = str(git_dir)
    rev_range = [tip, "--not", after] if after else [tip]
    log = GitProcess(
        git_dir,
        # --root: show the root commit's files too; --no-renames: a message replacing
        # another must read as M/A+D, never as a rename; the --no-* options keep a user's
        # log.showSignature / color / decorate config out of the parsed output.
        [
            "log",
            "--reverse",
            "--topo-order",
            "--raw",
            "--root",
            "--no-abbrev",
            "--no-renames",
            "--no-color",
            "--no-decorate",
            "--no-show-signature",
            LOG_FORMAT,
            *rev_range,
            "--",
        ],
    )
    cat: GitProcess | None = None
    requests: IO[bytes] = _Discard()
    if read_blobs:
        try:
            cat = GitProcess(git_dir, ["cat-file", "--batch"], stdin=True)
        except SourceError:
            log.stop()
            raise
        assert cat.stdin is not None
        requests = cat.stdin
    items: queue.Queue[list[CommitBlob] | _End] = queue.Queue(maxsize=_QUEUE_DEPTH)
    feeder = threading.Thread(
        target=_feed, args=(log, requests, items, sharded), name="patchdigest-git-feed", daemon=True
    )
    feeder.start()
    finished = False
    try:
        while True:
            got = items.get()
            if isinstance(got, _End):
                if log.finish() != 0:
                    raise SourceError(f"git log {tip} failed: {log.error_text()}", where=where)
                if got.error is not None:
                    raise SourceError(f"reading git log failed: {got.error!r}", where=where) from got.error
                finished = True
                return
            for item in got:
                data = _read_blob(cat.stdout, item, where) if cat is not None and item.blob is not None else b""
                yield item, data
    finally:
        if cat is None:
            if not finished:
                log.kill()
        elif finished:
            cat.finish()  # its stdin is closed and every answer read: it is exiting
        else:
            log.kill()
            cat.kill()
        # The feeder may be blocked on a full queue: drain until it has exited.
        while feeder.is_alive():
            try:
                items.get(timeout=0.05)
            except queue.Empty:
                pass
        feeder.join()
        log.stop()
        if cat is not None:
            cat.stop()
