"""Indexing: sources -> parse -> store, incremental and safe to interrupt.

Per archive, per epoch, the last indexed commit (the cursor) is written in the same
SQLite transaction as the rows it covers, so a run killed at any point (SIGINT, SIGTERM,
kill -9) leaves an index that a rerun completes into exactly what an uninterrupted run
gives. A cursor that is no longer an ancestor of its epoch's tip means the history was
rewritten (public-inbox-purge): the rows after the fork point are dropped and indexed
again from there.

No printing here: progress goes through an optional callback, problems through the
returned :class:`~patchdigest.models.IndexSummary`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from ..models import IndexSummary, ParseFailure, Provenance, RawMessage
from ..sources import Archive, open_archive
from ..sources.gitepoch import GitEpoch
from ..sources.mailbox import Mailbox
from ..sources.publicinbox import PublicInbox
from ..store import Cursor, Row, Store
from .parsing import Parser, PoolParser, SerialParser, can_fork, default_workers

__all__ = ["IndexedArchive", "Progress", "archive_kind", "index_archive", "register"]

BATCH = 1000  # messages per transaction: what a kill can cost
# Below this many new messages the work is done in-process: forking workers and warming
# them up costs about what parsing 500 messages does.
PARALLEL_MIN = 2000
ORDINAL_MASK = (1 << 32) - 1

Progress = Callable[[int, int | None], None]  # (messages done, total or None)


@dataclass(frozen=True, slots=True)
class IndexedArchive:
    archive: Archive
    archive_id: int
    location: str


def archive_kind(archive: Archive) -> str:
    if isinstance(archive, PublicInbox):
        return f"public-inbox-v{archive.version}"
    return "maildir" if Path(archive.path).is_dir() else "mbox"


def register(store: Store, path: str | Path) -> IndexedArchive:
    archive = open_archive(path)
    location = str(Path(archive.path).resolve())
    return IndexedArchive(archive, store.archive_id(location, archive.name, archive_kind(archive)), location)


@dataclass(slots=True)
class _Run:
    """One indexing run: where rows go, what was counted, how far the progress bar is."""

    store: Store
    archive_id: int
    summary: IndexSummary
    parser: Parser
    progress: Progress | None
    total: int | None

    def write(self, raws: Iterable[RawMessage], git_dirs: Mapping[int, str] | None = None) -> None:
        """Parse and store ``raws``, committing every BATCH messages together with the
        cursor of each epoch they reach: a kill loses at most the uncommitted batch, which
        the next run redoes. ``git_dirs`` (epoch -> repository): the raws come without
        bytes and the parser reads them; None for a mailbox (no cursors: it is reread)."""
        summary = self.summary
        rows: list[Row] = []
        failures: list[ParseFailure] = []
        deletions: list[tuple[Provenance, str]] = []
        reached: dict[int, Provenance] = {}  # epoch -> the last commit of this batch in it
        pending = 0
        reread = git_dirs is None

        def flush() -> None:
            cursors = [Cursor(epoch, p.seq & ORDINAL_MASK, p.commit or "") for epoch, p in reached.items()]
            self.store.write_rows(self.archive_id, rows, failures, deletions, cursors, reread=reread)
            rows.clear()
            failures.clear()
            deletions.clear()
            reached.clear()
            if self.progress:
                self.progress(summary.seen, self.total)

        def exhausted() -> None:
            # Every message read is parsed or being parsed: commit what is here, and let
            # a first load build its indexes while the workers finish (Store.end_bulk).
            nonlocal pending
            if pending:
                flush()
                pending = 0
            self.store.end_bulk()

        if self.progress:
            self.progress(summary.seen, self.total)
        for raw, outcome in self.parser.outcomes(self.archive_id, raws, git_dirs, exhausted):
            summary.seen += 1
            if raw.prov.epoch is not None and raw.prov.commit:
                reached[raw.prov.epoch] = raw.prov
            if raw.deleted:
                summary.deleted += 1
                deletions.append((raw.prov, raw.prov.blob or ""))
            elif outcome is None:
                summary.skipped += 1  # purged (empty) blob, or a commit that carries no message
            elif isinstance(outcome, ParseFailure):
                summary.failed += 1
                summary.failures.append(outcome)
                failures.append(outcome)
            else:
                summary.indexed += 1
                rows.append(outcome)
            pending += 1
            if pending >= BATCH:
                flush()
                pending = 0
        if pending:
            flush()


@dataclass(frozen=True, slots=True)
class _EpochPlan:
    epoch: GitEpoch
    after: str | None  # resume after this commit (None: from the root)
    start: int  # ordinal of the first commit to read
    pending: int  # commits to read (at most the count limit; an estimate if the epoch grows)


def _fork_point(store: Store, archive_id: int, epoch: GitEpoch) -> tuple[int, str] | None:
    """The last indexed (seq, commit) still in the epoch's history, by binary search.

    public-inbox history is linear, so "still an ancestor of the new tip" holds for a
    prefix of the indexed commits and fails after the rewrite point.
    """
    rows = store.indexed_commits(archive_id, epoch.number)
    lo, hi = 0, len(rows) - 1
    best: tuple[int, str] | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        seq, commit = rows[mid]
        if epoch.is_ancestor(commit) and epoch.count(commit) - 1 == (seq & ORDINAL_MASK):
            best = rows[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def _plan_epoch(
    store: Store, archive_id: int, epoch: GitEpoch, cursor: Cursor | None, summary: IndexSummary, limit: int | None
) -> _EpochPlan | None:
    """What to read of one epoch; None when it is indexed up to its tip (one rev-parse).

    The commits to read are counted up to ``limit`` (None: all, for a progress bar's
    total): choosing the parser needs only to know whether there are PARALLEL_MIN.

    A rewritten history is rewound here, in its own transaction: the index then holds
    the rows up to the fork point and a cursor on it, a state a rerun resumes from.
    """
    tip = epoch.tip()
    if tip is None or (cursor is not None and cursor.commit == tip):
        return None
    after: str | None = None
    start = 0
    if cursor is not None:
        if epoch.is_ancestor(cursor.commit):
            after, start = cursor.commit, cursor.ordinal + 1
        else:
            # History rewritten (public-inbox-purge, a forced update): go back to the fork.
            fork = _fork_point(store, archive_id, epoch)
            if fork is None:
                summary.rewound += store.rewind(archive_id, epoch.number, (epoch.number << 32) - 1, None)
            else:
                seq, commit = fork
                new_cursor = Cursor(epoch.number, seq & ORDINAL_MASK, commit)
                summary.rewound += store.rewind(archive_id, epoch.number, seq, new_cursor)
                after, start = commit, new_cursor.ordinal + 1
    return _EpochPlan(epoch, after, start, epoch.count_new(tip, after, limit=limit))


class _Primed:
    """An epoch's message stream whose first message is read in a thread of its own, so
    that git's walk of that epoch (``git log --reverse`` lists nothing before it has
    walked the whole history: ~0.1 s per 20,000 commits) runs while the epoch before it
    is still being parsed."""

    def __init__(self, raws: Generator[RawMessage, None, None]) -> None:
        self.raws = raws
        self.first: RawMessage | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._prime, name="patchdigest-next-epoch", daemon=True)
        self.thread.start()

    def _prime(self) -> None:
        try:
            self.first = next(self.raws, None)
        except BaseException as exc:  # handed to the reading thread, raised there
            self.error = exc

    def __iter__(self) -> Iterator[RawMessage]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        if self.first is not None:
            yield self.first
            yield from self.raws

    def close(self) -> None:
        self.thread.join()
        self.raws.close()


def _read_epochs(plans: list[_EpochPlan], read_blobs: bool) -> Generator[RawMessage, None, None]:
    """Every epoch's new commits as one stream, so that the parse workers never wait at
    an epoch's end: the next epoch's stream is started (and git's walk of it) as soon as
    the one before it is. Each epoch's git children are stopped as soon as it is read (or
    the reading stops)."""

    def stream(plan: _EpochPlan) -> Generator[RawMessage, None, None]:
        return plan.epoch.iter_messages(after=plan.after, start_ordinal=plan.start, read_blobs=read_blobs)

    ahead: _Primed | None = None
    try:
        for n, plan in enumerate(plans):
            current: _Primed | Generator[RawMessage, None, None] = ahead if ahead is not None else stream(plan)
            ahead = _Primed(stream(plans[n + 1])) if n + 1 < len(plans) else None
            try:
                yield from current
            finally:
                current.close()
    finally:
        if ahead is not None:
            ahead.close()


def _parser(pending: int, workers: int | None) -> Parser:
    if workers is None:
        workers = default_workers() if pending >= PARALLEL_MIN else 1
    return PoolParser(workers) if workers > 1 and pending > 0 and can_fork() else SerialParser()


def _mailbox_size_hint(box: Mailbox) -> int:
    """Roughly how many messages a mailbox holds (for choosing the parser), without reading it."""
    if box.is_maildir:
        return sum(len(os.listdir(box.path / sub)) for sub in ("cur", "new") if (box.path / sub).is_dir())
    return box.path.stat().st_size // 8192  # a list message averages ~10 KB


def index_archive(
    store: Store,
    indexed: IndexedArchive,
    progress: Progress | None = None,
    *,
    workers: int | None = None,
) -> IndexSummary:
    """Index what is new in an archive; safe to interrupt and rerun at any point.

    ``workers``: parse processes; None picks the number of cores for a large run and
    parses in-process for a small one; 1 always parses in-process.
    """
    summary = IndexSummary()
    archive = indexed.archive
    aid = indexed.archive_id
    if isinstance(archive, PublicInbox):
        cursors = store.cursors(aid)
        # Plan every epoch before reading any: a new epoch is simply one without a
        # cursor, and the total sizes the parser (and the progress bar, if there is one:
        # only then are the commits counted to the end).
        limit = None if progress else PARALLEL_MIN
        plans = [
            plan
            for epoch in archive.epochs()
            if (plan := _plan_epoch(store, aid, epoch, cursors.get(epoch.number), summary, limit)) is not None
        ]
        total = sum(p.pending for p in plans)
        if not plans:
            return summary  # the no-op run: one rev-parse per epoch, nothing written
        bulk = store.bulk_load() if total >= PARALLEL_MIN and store.is_empty() else nullcontext()
        with bulk, _parser(total, workers) as parser:
            # A pool's workers read the blobs themselves: this process streams the log only.
            git_dirs = {p.epoch.number: str(p.epoch.git_dir) for p in plans}
            raws = _read_epochs(plans, read_blobs=not parser.reads_blobs)
            try:
                known = total if limit is None else None
                _Run(store, aid, summary, parser, progress, known).write(raws, git_dirs)
            finally:
                raws.close()
    elif isinstance(archive, Mailbox):
        # Mailboxes have no history to follow: reread, and rows are replaced by seq.
        with _parser(_mailbox_size_hint(archive), workers) as parser:
            _Run(store, aid, summary, parser, progress, None).write(archive.iter_messages())
    store.refresh_statistics(summary.indexed + summary.failed)
    return summary
