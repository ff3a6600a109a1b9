"""The SQLite index: the only other place (with ``sources``) that does I/O.

Rules kept here:

* one transaction per batch, and a batch's cursor is written in that same transaction,
  so a run killed at any point leaves rows and cursors that agree;
* a message is never lost: what fails to parse goes to ``failures`` with the reason;
* duplicate Message-IDs (resends, cross-posts, public-inbox's appended second
  Message-ID on a conflict) are all stored; the *canonical* copy of an original
  Message-ID is its earliest live row in archive order, and digests use only canonical
  rows (see :data:`CANONICAL`); deleting the canonical copy makes the next live one
  canonical. Only the archive decides, so every index of an archive agrees;
* deletions are tombstones (``deleted_seq``) so that a history rewrite can undo them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..models import Kind, Message, ParseFailure, Person, Provenance
from .rows import (
    _CANDIDATE_SELECT,
    _CANDIDATE_TEXTS,
    _INSERT,
    _SELECT,
    Row,
    StoredMessage,
    _candidate_of,
    _message_of,
    row_of,
)
from .schema import DEFERRABLE_INDEXES, MIGRATIONS

__all__ = ["Store", "Cursor", "StoredMessage", "Row", "default_db_path", "row_of", "CANONICAL"]

_PAGE_BYTES = 16384
_CACHE_KIB = -32768  # negative: KiB, not pages
_SCAN_MAP_BYTES = 1 << 30  # how much of the file whole-table reads map (see Store._scanning)

# A row is canonical when no earlier live row has the same original Message-ID.
CANONICAL = (
    "m.deleted_seq IS NULL AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.archive_id = m.archive_id"
    " AND o.orig_msgid = m.orig_msgid AND o.seq < m.seq AND o.deleted_seq IS NULL)"
)


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "patchdigest" / "index.sqlite"


@dataclass(frozen=True, slots=True)
class Cursor:
    epoch: int
    ordinal: int
    commit: str


def _apply_deletion_log(
    db: sqlite3.Connection, archive_id: int | None = None, seq_range: tuple[int, int] | None = None
) -> None:
    """Mark deleted every live message (of ``archive_id`` and within ``seq_range``; None:
    all) that a logged deletion, a later `d` commit of its blob, removes: the first such
    deletion wins, as when they are applied one by one."""
    scope = "" if archive_id is None else " AND archive_id = ?"
    params: list[int] = [] if archive_id is None else [archive_id]
    if db.execute(f"SELECT 1 FROM deletions WHERE 1{scope} LIMIT 1", params).fetchone() is None:
        return  # the usual case (a first load): a scan of every row for nothing
    if seq_range is not None:
        scope, params = scope + " AND seq >= ? AND seq <= ?", [*params, *seq_range]
    db.execute(
        "UPDATE messages SET deleted_seq = (SELECT MIN(d.seq) FROM deletions d"
        " WHERE d.archive_id = messages.archive_id AND d.blob = messages.blob AND d.seq > messages.seq)"
        f" WHERE deleted_seq IS NULL{scope}"
        " AND blob IN (SELECT d.blob FROM deletions d WHERE d.archive_id = messages.archive_id)",
        params,
    )


class Store:
    """An open index database. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._bulk = False  # in Store.bulk_load
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            # 16 KiB pages for a new index (an existing one keeps its own): a stored commit
            # message of a few KB then fits its page instead of spilling into overflow
            # pages (measured on kvmarm: 52 instead of 62 MB; a first load's inserts and
            # index builds a third cheaper). Must precede everything else in a new file.
            self.db.execute(f"PRAGMA page_size={_PAGE_BYTES}")
            # WAL: reports read while an index run writes. (Left in rollback mode by an
            # interrupted first load, the switch waits for a moment without readers.)
            self._journal_mode("WAL")
            self._checks(on=True)
            # 32 MiB of page cache (the default is 2): the index B-trees of a large load
            # stay in memory instead of going back and forth to the OS.
            self.db.execute(f"PRAGMA cache_size={_CACHE_KIB}")
            self._migrate()
            self._ensure_indexes()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open index: {exc}", where=str(path)) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"index schema {version} is newer than this patchdigest understands ({len(MIGRATIONS)})",
                where=str(self.path),
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                for statement in script.split(";\n"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number}")

    def _ensure_indexes(self) -> None:
        """Build the indexes a bulk load dropped (at its end, or at the next open after it
        was interrupted), then apply the deletions it only logged."""
        present = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        missing = [sql for name, sql in DEFERRABLE_INDEXES.items() if name not in present]
        if missing:
            # SQLite sorts the keys in memory up to the cache size, then on disk: a small
            # cache here keeps the indexer's peak memory the same for 10^5 or 10^6 rows.
            self.db.execute("PRAGMA cache_size=-4096")
            try:
                with self.transaction() as db:
                    for sql in missing:
                        db.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
                    _apply_deletion_log(db)
            finally:
                self.db.execute(f"PRAGMA cache_size={_CACHE_KIB}")

    def is_empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is None

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """For a first large load into an empty database: the deferrable indexes are
        dropped, then built once when the row phase ends (:meth:`end_bulk`, which the
        indexer calls once its source is read; else at the end). If the load is
        interrupted before that, they are built when the database is next opened.

        The load itself runs with a rollback journal instead of the WAL: rows appended to
        new pages need no journal, whereas the WAL writes every page twice (log, then
        checkpoint; measured on kvmarm: 0.42 s instead of 0.57 s from first insert to
        closed index, most of it in the serial end of the run). A kill -9 leaves a hot
        journal that the next open rolls back, as SQLite always does. Switching needs the
        database to itself: while another process reads it, the load keeps the WAL.

        Two checks are off while the rows go in, and back on for the indexes at the end:

        * ``synchronous``: no fsync at each batch's commit (with a rollback journal every
          commit syncs journal and database: 21 pairs of fsyncs for kvmarm, ~0.1 s of a
          first index's wall time on this machine). A killed process still loses nothing
          (its writes are in the OS's hands, and the hot journal rolls back the batch in
          progress); only an OS crash or power cut during the load could leave a file to
          delete and index again. The transaction that builds the indexes syncs again,
          as does every one after it, so the finished index is as durable as any.
        * ``foreign_keys``: every row's ``archive_id`` would be looked up in ``archives``,
          a third of the insert cost (measured: 0.27 s instead of 0.19 s for kvmarm's
          rows); the load writes rows of one archive, registered before it starts.
        """
        with self.transaction() as db:
            for name in DEFERRABLE_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        journal = self._journal_mode("TRUNCATE")
        # In WAL mode all the same: checkpoint every 64 MiB of WAL rather than every 4
        # (each checkpoint ends with an fsync, which stalled every other commit).
        self.db.execute("PRAGMA wal_autocheckpoint=16384")
        self._checks(on=False)
        self._bulk = True
        try:
            yield
            self.end_bulk()
        finally:
            self._bulk = False
            self._checks(on=True)
            self.db.execute("PRAGMA wal_autocheckpoint=1000")
            if journal != "wal":
                self._journal_mode("WAL")  # if a reader holds it now, the next open switches

    def end_bulk(self) -> None:
        """End a :meth:`bulk_load`'s row phase now, outside a transaction: syncs and key
        checks back on, the indexes built and the logged deletions applied. Rows written
        after it go in as in any run. The indexer calls it once its source is read, while
        the parse workers finish their last chunks (~0.15 s of kvmarm's run that the index
        build, ~0.1 s in this process, then overlaps instead of following). A no-op
        outside a bulk load or when called again."""
        if not self._bulk:
            return
        self._bulk = False
        self._checks(on=True)
        self._ensure_indexes()

    def _checks(self, *, on: bool) -> None:
        """The fsync at each commit and the foreign-key lookups, both on (as every
        connection opens) or both off (a bulk load's rows; see :meth:`bulk_load`)."""
        self.db.execute(f"PRAGMA synchronous={'NORMAL' if on else 'OFF'}")
        self.db.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")

    def _journal_mode(self, mode: str) -> str:
        """Switch the journal mode if no other connection is in the way; the mode now."""
        try:
            return str(self.db.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]).lower()
        except sqlite3.OperationalError:  # "database is locked": another process reads it
            return str(self.db.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- archives and cursors ---------------------------------------------------------

    def archive_id(self, location: str, name: str, kind: str) -> int:
        row = self.db.execute("SELECT id FROM archives WHERE location = ?", (location,)).fetchone()
        if row:
            return int(row[0])
        with self.transaction() as db:
            cur = db.execute("INSERT INTO archives (location, name, kind) VALUES (?, ?, ?)", (location, name, kind))
            return int(cur.lastrowid or 0)

    def cursors(self, archive_id: int) -> dict[int, Cursor]:
        rows = self.db.execute("SELECT epoch, ordinal, last_commit FROM cursors WHERE archive_id = ?", (archive_id,))
        return {r[0]: Cursor(r[0], r[1], r[2]) for r in rows}

    # --- writing ----------------------------------------------------------------------

    def write_batch(
        self,
        archive_id: int,
        parsed: Sequence[tuple[Provenance, Message]],
        failures: Sequence[ParseFailure],
        deletions: Sequence[tuple[Provenance, str]],
        cursor: Cursor | None,
    ) -> None:
        """Rows, failures, deletions (prov of the `d` commit, deleted blob) and the cursor: one
        transaction."""
        rows = [row_of(archive_id, p, m) for p, m in parsed]
        self.write_rows(archive_id, rows, failures, deletions, [cursor] if cursor else [])

    def write_rows(
        self,
        archive_id: int,
        rows: Sequence[Row],
        failures: Sequence[ParseFailure],
        deletions: Sequence[tuple[Provenance, str]],
        cursors: Sequence[Cursor],
        *,
        reread: bool = False,
    ) -> None:
        """:meth:`write_batch` with the rows already built (by :func:`row_of`), and the
        cursor of every epoch the batch reaches (a batch may end one epoch and start the
        next).

        ``reread``: the positions may have been indexed before (a mailbox is read again
        from the start each time), so a message that failed to parse then and parses now,
        or the other way round, leaves one record, not two.
        """
        with self.transaction() as db:
            if reread:
                # rows[i][1] is the seq (row_of's order: archive_id, seq, ...)
                db.executemany(
                    "DELETE FROM failures WHERE archive_id = ? AND seq = ?", [(archive_id, r[1]) for r in rows]
                )
                db.executemany(
                    "DELETE FROM messages WHERE archive_id = ? AND seq = ?",
                    [(archive_id, f.prov.seq) for f in failures],
                )
            db.executemany(_INSERT, rows)
            db.executemany(
                "INSERT OR REPLACE INTO failures (archive_id, seq, epoch, commit_id, blob, path, offset,"
                " msgid, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (archive_id, f.prov.seq, f.prov.epoch, f.prov.commit, f.prov.blob, f.prov.path,
                     f.prov.offset, f.msgid, f.reason)
                    for f in failures
                ],
            )  # fmt: skip
            # In a bulk load (no index on blob) deletions are only logged below, and
            # applied from the log when the load ends.
            if not self._bulk:
                db.executemany(
                    "UPDATE messages SET deleted_seq = ? WHERE archive_id = ? AND blob = ?"
                    " AND deleted_seq IS NULL AND seq < ?",
                    [(prov.seq, archive_id, blob, prov.seq) for prov, blob in deletions],
                )
            db.executemany(
                "INSERT OR REPLACE INTO deletions (archive_id, seq, commit_id, blob) VALUES (?, ?, ?, ?)",
                [(archive_id, prov.seq, prov.commit, blob) for prov, blob in deletions],
            )
            if rows:
                # Rows indexed again after a rewrite of their epoch may have been deleted by
                # a later epoch's `d` commit, which is not read again: apply the log.
                seqs = [int(str(r[1])) for r in rows]
                _apply_deletion_log(db, archive_id, (min(seqs), max(seqs)))
            db.executemany(
                "INSERT OR REPLACE INTO cursors (archive_id, epoch, ordinal, last_commit) VALUES (?, ?, ?, ?)",
                [(archive_id, c.epoch, c.ordinal, c.commit) for c in cursors],
            )

    def refresh_statistics(self, written: int) -> None:
        """ANALYZE after a large write (or when there are no statistics yet).

        Without them SQLite's planner reads ``... ORDER BY m.seq`` as a reason to walk the
        whole archive in seq order rather than look up a few In-Reply-To values (measured:
        22 ms a query instead of 0.1 ms, 16 such queries per one-day report). ANALYZE
        takes ~10 ms on kvmarm; an hourly run with a few new messages skips it.
        """
        has_stats = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        if written >= 1000 or not has_stats:
            self.db.execute("ANALYZE")

    def rewind(self, archive_id: int, epoch: int, keep_through_seq: int, cursor: Cursor | None) -> int:
        """Forget everything indexed in ``epoch`` after ``keep_through_seq`` (history rewrite).

        Deletions made by the forgotten commits are undone; they come back if the new
        history still has them. Returns the number of rows dropped.
        """
        lo, hi = epoch << 32, (epoch + 1) << 32
        with self.transaction() as db:
            n = db.execute(
                "DELETE FROM messages WHERE archive_id = ? AND seq > ? AND seq < ?",
                (archive_id, keep_through_seq, hi),
            ).rowcount
            n += db.execute(
                "DELETE FROM failures WHERE archive_id = ? AND seq > ? AND seq < ?",
                (archive_id, keep_through_seq, hi),
            ).rowcount
            db.execute(
                "UPDATE messages SET deleted_seq = NULL WHERE archive_id = ? AND deleted_seq > ? AND deleted_seq < ?",
                (archive_id, max(keep_through_seq, lo - 1), hi),
            )
            db.execute(
                "DELETE FROM deletions WHERE archive_id = ? AND seq > ? AND seq < ?",
                (archive_id, keep_through_seq, hi),
            )
            if cursor is None:
                db.execute("DELETE FROM cursors WHERE archive_id = ? AND epoch = ?", (archive_id, epoch))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO cursors (archive_id, epoch, ordinal, last_commit) VALUES (?, ?, ?, ?)",
                    (archive_id, epoch, cursor.ordinal, cursor.commit),
                )
        return n

    def indexed_commits(self, archive_id: int, epoch: int) -> list[tuple[int, str]]:
        """(seq, commit) of every stored row (message, failure, deletion) of an epoch, in
        order: fork-point candidates."""
        lo, hi = epoch << 32, (epoch + 1) << 32
        rows = self.db.execute(
            "SELECT seq, commit_id FROM messages WHERE archive_id = ? AND seq >= ? AND seq < ?"
            " AND commit_id IS NOT NULL UNION SELECT seq, commit_id FROM failures"
            " WHERE archive_id = ? AND seq >= ? AND seq < ? AND commit_id IS NOT NULL"
            " UNION SELECT seq, commit_id FROM deletions"
            " WHERE archive_id = ? AND seq >= ? AND seq < ? AND commit_id IS NOT NULL ORDER BY seq",
            (archive_id, lo, hi, archive_id, lo, hi, archive_id, lo, hi),
        )
        return [(r[0], r[1]) for r in rows]

    # --- reading ----------------------------------------------------------------------

    def _scanning(self) -> sqlite3.Connection:
        """The connection, reading the file through a memory map from now on: for the
        queries that must read every row of ``messages`` (no index holds their columns:
        List-Id counts, revision candidates by author). Read through the page cache, a
        report's first scan of kvmarm's 52 MB copied every page into a cache that holds
        32 MB of them: 30 ms, against 12 ms mapped. SQLite maps the file read-only, so
        writes are unchanged; the setting is per connection."""
        self.db.execute(f"PRAGMA mmap_size={_SCAN_MAP_BYTES}")
        return self.db

    def messages(
        self,
        archive_id: int,
        *,
        seq_range: tuple[int, int] | None = None,
        date_range: tuple[datetime, datetime] | None = None,
        kinds: Iterable[Kind] | None = None,
        canonical_only: bool = True,
    ) -> list[StoredMessage]:
        """Messages in archive order. ``seq_range`` is (after, through]; dates [since, until)."""
        where = ["m.archive_id = ?"]
        args: list[object] = [archive_id]
        if seq_range is not None:
            where.append("m.seq > ? AND m.seq <= ?")
            args += list(seq_range)
        if date_range is not None:
            where.append("m.date >= ? AND m.date < ?")
            args += [int(date_range[0].timestamp()), int(date_range[1].timestamp())]
        if kinds is not None:
            ks = [k.value for k in kinds]
            where.append(f"m.kind IN ({', '.join('?' * len(ks))})")
            args += ks
        where.append(CANONICAL if canonical_only else "m.deleted_seq IS NULL")
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY m.seq"
        return [_message_of(r) for r in self.db.execute(sql, args)]

    def by_msgids(self, archive_id: int, ids: Iterable[str]) -> list[StoredMessage]:
        """Canonical messages whose original Message-ID is one of ``ids`` (any date)."""
        ids = list(dict.fromkeys(ids))
        out: list[StoredMessage] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"{_SELECT} WHERE m.archive_id = ? AND m.orig_msgid IN ({marks}) AND {CANONICAL}"
            out += [_message_of(r) for r in self.db.execute(sql, [archive_id, *chunk])]
        return sorted(out, key=lambda s: s.prov.seq)

    def replies_to(self, archive_id: int, ids: Iterable[str]) -> list[StoredMessage]:
        """Canonical messages whose In-Reply-To is one of ``ids``."""
        ids = list(dict.fromkeys(ids))
        out: list[StoredMessage] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"{_SELECT} WHERE m.archive_id = ? AND m.in_reply_to IN ({marks}) AND {CANONICAL}"
            out += [_message_of(r) for r in self.db.execute(sql, [archive_id, *chunk])]
        return sorted(out, key=lambda s: s.prov.seq)

    def list_ids(self, archive_id: int) -> list[tuple[str, int]]:
        rows = self._scanning().execute(
            "SELECT list_id, COUNT(*) c FROM messages WHERE archive_id = ? AND list_id != ''"
            " GROUP BY list_id ORDER BY c DESC, list_id LIMIT 5",
            (archive_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def failures(self, archive_id: int | None = None) -> list[ParseFailure]:
        sql = "SELECT seq, epoch, commit_id, blob, path, offset, msgid, reason FROM failures"
        rows = self.db.execute(sql + (" WHERE archive_id = ?" if archive_id else "") + " ORDER BY seq",
                               (archive_id,) if archive_id else ())  # fmt: skip
        return [ParseFailure(Provenance("", r[0], r[1], r[2], r[3], r[4], r[5]), r[7], r[6]) for r in rows]

    def failure_rows(self, archive_id: int | None = None) -> list[tuple[int, ParseFailure]]:
        """``(archive id, failure)`` for every failure (of one archive), in archive order."""
        sql = "SELECT archive_id, seq, epoch, commit_id, blob, path, offset, msgid, reason FROM failures"
        args: tuple[int, ...] = ()
        if archive_id is not None:
            sql, args = sql + " WHERE archive_id = ?", (archive_id,)
        rows = self.db.execute(sql + " ORDER BY archive_id, seq", args)
        return [(r[0], ParseFailure(Provenance("", r[1], r[2], r[3], r[4], r[5], r[6]), r[8], r[7])) for r in rows]

    def archives(self) -> list[tuple[int, str, str]]:
        """``(id, location, name)`` of every archive in the index."""
        return [(r[0], r[1], r[2]) for r in self.db.execute("SELECT id, location, name FROM archives ORDER BY id")]

    def counts(self, archive_id: int) -> dict[str, int]:
        one = self.db.execute
        return {
            "messages": one("SELECT COUNT(*) FROM messages WHERE archive_id = ?", (archive_id,)).fetchone()[0],
            "deleted": one(
                "SELECT COUNT(*) FROM messages WHERE archive_id = ? AND deleted_seq IS NOT NULL", (archive_id,)
            ).fetchone()[0],
            "failures": one("SELECT COUNT(*) FROM failures WHERE archive_id = ?", (archive_id,)).fetchone()[0],
        }

    def report_cursor(self, archive_id: int, name: str) -> int | None:
        row = self.db.execute(
            "SELECT seq FROM report_cursors WHERE archive_id = ? AND name = ?", (archive_id, name)
        ).fetchone()
        return int(row[0]) if row else None

    def set_report_cursor(self, archive_id: int, name: str, seq: int) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO report_cursors (archive_id, name, seq) VALUES (?, ?, ?)",
                (archive_id, name, seq),
            )

    def commit_at(self, archive_id: int, seq: int) -> str | None:
        """The commit of the message (or failed message) at ``seq``; None for mailboxes."""
        row = self.db.execute(
            "SELECT commit_id FROM messages WHERE archive_id = ? AND seq = ?"
            " UNION ALL SELECT commit_id FROM failures WHERE archive_id = ? AND seq = ?",
            (archive_id, seq, archive_id, seq),
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def max_seq(self, archive_id: int) -> int:
        row = self.db.execute(
            "SELECT MAX(s) FROM (SELECT MAX(seq) s FROM messages WHERE archive_id = ?"
            " UNION ALL SELECT MAX(seq) FROM failures WHERE archive_id = ?)",
            (archive_id, archive_id),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def reply_edges(self, archive_id: int, ids: Iterable[str]) -> list[tuple[str, str, str]]:
        """``(original Message-ID, In-Reply-To, kind)`` of the canonical messages whose
        In-Reply-To is one of ``ids``: one step down a thread without loading bodies."""
        ids = list(dict.fromkeys(ids))
        out: list[tuple[str, str, str]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = (
                "SELECT m.orig_msgid, m.in_reply_to, m.kind FROM messages m WHERE m.archive_id = ?"
                f" AND m.in_reply_to IN ({', '.join('?' * len(chunk))}) AND {CANONICAL} ORDER BY m.seq"
            )
            out += [(r[0], r[1], r[2]) for r in self.db.execute(sql, [archive_id, *chunk])]
        return out

    def revision_candidates(self, archive_id: int, emails: Iterable[str]) -> list[StoredMessage]:
        """Canonical patches and cover letters (any date) whose author or sender is one of
        ``emails``, in archive order: the candidates for earlier and later revisions.

        Each holds only what series assembly and revision linking read (see
        ``rows._CANDIDATE_SELECT``): no trailers, addresses, diffstat or file list, a
        commit message and notes only where they hold a b4 change-id, and of the
        provenance only ``seq``. Not for display: load those with :meth:`by_msgids`.
        """
        emails = list(dict.fromkeys(e.lower() for e in emails))
        rows: dict[int, tuple[Any, ...]] = {}
        cursor = self._scanning().cursor()
        cursor.row_factory = None  # plain tuples: unpacked by position, and cheaper than Rows
        for i in range(0, len(emails), 250):
            chunk = emails[i : i + 250]
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"{_CANDIDATE_SELECT} WHERE m.archive_id = ? AND m.kind IN ('patch', 'cover')"
                f" AND (m.author_email IN ({marks}) OR m.sender_email IN ({marks})) AND {CANONICAL}"
            )
            rows.update((r[0], r) for r in cursor.execute(sql, [archive_id, *chunk, *chunk]))
        with_change_id = [row_id for row_id, r in rows.items() if r[-1]]
        texts: dict[int, tuple[str, str]] = {}
        for i in range(0, len(with_change_id), 500):
            chunk_ids = with_change_id[i : i + 500]
            sql = f"{_CANDIDATE_TEXTS} ({', '.join('?' * len(chunk_ids))})"
            texts.update((r[0], (r[1], r[2])) for r in cursor.execute(sql, chunk_ids))
        people: dict[tuple[str, str], Person] = {}
        out = [_candidate_of(r, people, texts) for r in rows.values()]
        return sorted(out, key=lambda s: s.prov.seq)
