"""Wires the stages: sources -> parse -> store (indexing) and store -> analyze (digests).

No printing here: progress goes through an optional callback, problems through the
returned :class:`~patchdigest.models.IndexSummary`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .analyze import Digest, build_digest, count_replies
from .analyze import all_headers as headers_of_raw
from .analyze.series import COUNTED
from .errors import ParseError
from .models import IndexSummary, Message, ParseFailure, Provenance, RawMessage
from .parse import parse_message
from .sources import Archive, open_archive
from .sources.blobs import read_heads
from .sources.gitepoch import GitEpoch
from .sources.mailbox import Mailbox
from .sources.publicinbox import PublicInbox
from .store import Cursor, Store
from .windows import Selection

BATCH = 2000
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


def _parse_one(raw: RawMessage) -> Message | ParseFailure:
    where = raw.prov.describe()
    try:
        return parse_message(raw.data, fallback_date=raw.commit_time, where=where)
    except ParseError as exc:
        return ParseFailure(raw.prov, str(exc), _guess_msgid(raw.data))


def _guess_msgid(data: bytes) -> str:
    """Best effort Message-ID of an unparseable message, for the failure record."""
    head = data[:20000]
    low = head.lower()
    i = low.find(b"\nmessage-id:")
    if i == -1:
        return ""
    line = head[i + 12 : head.find(b"\n", i + 12)].strip()
    return line.decode("ascii", "replace")[:300]


def _write(
    store: Store,
    archive_id: int,
    raws: Iterable[RawMessage],
    summary: IndexSummary,
    cursor_of: Callable[[RawMessage], Cursor | None],
    progress: Progress | None,
    parse: Callable[[Iterable[RawMessage]], Iterator[tuple[RawMessage, Message | ParseFailure]]],
) -> None:
    parsed: list[tuple[Provenance, Message]] = []
    failures: list[ParseFailure] = []
    deletions: list[tuple[Provenance, str]] = []
    last: RawMessage | None = None

    def flush() -> None:
        store.write_batch(archive_id, parsed, failures, deletions, cursor_of(last) if last else None)
        parsed.clear()
        failures.clear()
        deletions.clear()

    pending = 0
    for raw, result in parse(raws):
        summary.seen += 1
        last = raw
        if raw.deleted:
            summary.deleted += 1
            deletions.append((raw.prov, raw.prov.blob or ""))
        elif not raw.data:
            summary.skipped += 1  # purged (empty) blob, or a commit that carries no message
        elif isinstance(result, ParseFailure):
            summary.failed += 1
            summary.failures.append(result)
            failures.append(result)
        else:
            summary.indexed += 1
            parsed.append((raw.prov, result))
        pending += 1
        if pending >= BATCH:
            flush()
            pending = 0
            if progress:
                progress(summary.seen, None)
    if pending or last is not None:
        flush()


def _serial_parse(raws: Iterable[RawMessage]) -> Iterator[tuple[RawMessage, Message | ParseFailure]]:
    for raw in raws:
        if raw.deleted or not raw.data:
            yield raw, ParseFailure(raw.prov, "")
        else:
            yield raw, _parse_one(raw)


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


def index_epoch(
    store: Store,
    archive_id: int,
    epoch: GitEpoch,
    cursor: Cursor | None,
    summary: IndexSummary,
    progress: Progress | None = None,
    parse: Callable[[Iterable[RawMessage]], Iterator[tuple[RawMessage, Message | ParseFailure]]] = _serial_parse,
) -> None:
    tip = epoch.tip()
    if tip is None:
        return
    if cursor is not None and cursor.commit == tip:
        return  # the no-op case: one rev-parse per epoch
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

    def cursor_of(raw: RawMessage) -> Cursor:
        return Cursor(epoch.number, raw.prov.seq & ORDINAL_MASK, raw.prov.commit or "")

    raws = epoch.iter_messages(after=after, start_ordinal=start)
    try:
        _write(store, archive_id, raws, summary, cursor_of, progress, parse)
    finally:
        close = getattr(raws, "close", None)
        if close:
            close()


def index_archive(
    store: Store,
    indexed: IndexedArchive,
    progress: Progress | None = None,
    parse: Callable[[Iterable[RawMessage]], Iterator[tuple[RawMessage, Message | ParseFailure]]] | None = None,
) -> IndexSummary:
    """Index what is new in an archive; safe to interrupt and rerun at any point."""
    summary = IndexSummary()
    parse = parse or _serial_parse
    archive = indexed.archive
    if isinstance(archive, PublicInbox):
        cursors = store.cursors(indexed.archive_id)
        for epoch in archive.epochs():
            index_epoch(store, indexed.archive_id, epoch, cursors.get(epoch.number), summary, progress, parse)
    elif isinstance(archive, Mailbox):
        # Mailboxes have no history to follow: reread, and rows are replaced by seq.
        _write(store, indexed.archive_id, archive.iter_messages(), summary, lambda raw: None, progress, parse)
    return summary


def default_title(store: Store, indexed: IndexedArchive) -> str:
    """The list's name as the archive knows it: List-Id's first label ("kvm.vger.kernel.org"
    -> "KVM"), else the inbox name."""
    ids = store.list_ids(indexed.archive_id)
    if ids:
        return ids[0][0].split(".", 1)[0].upper()
    return indexed.archive.name.upper()


def make_digest(
    store: Store,
    indexed: IndexedArchive,
    selection: Selection,
    *,
    title: str | None = None,
    top: int = 15,
    base_url: str = "",
    all_headers: bool = False,
) -> Digest:
    """Digest of what the index holds for a selection (index first with index_archive).

    Reply counts come from the whole index (replies often arrive after the window);
    ``all_headers`` re-reads each email's header block from the archive.
    """
    messages = store.messages(
        indexed.archive_id,
        seq_range=selection.seq_range,
        date_range=selection.date_range,
        kinds=COUNTED,
    )
    digest = build_digest(
        messages,
        title=title or default_title(store, indexed),
        window=selection.window,
        top=top,
        base_url=base_url,
    )
    digest = digest.with_replies(
        count_replies(digest.series, lambda ids: store.reply_edges(indexed.archive_id, ids))
    )
    if all_headers:
        heads = read_heads(indexed.archive, (sm.prov for sm in digest.emails))
        found = {sm.message.original_msgid: heads.get(sm.prov.seq) for sm in digest.emails}
        digest = digest.with_headers({mid: headers_of_raw(head) for mid, head in found.items() if head})
    return digest
