"""Indexing end to end on small archives: accounting, failures, duplicates, new epochs,
the parallel parser, and what a no-op run costs."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from patchdigest.cli import cli
from patchdigest.indexing import index_archive, register
from patchdigest.models import Kind, Provenance, RawMessage
from patchdigest.sources.build import append_messages, build_v2_inbox, delete_message
from patchdigest.store import Store
from patchdigest.store.schema import MIGRATIONS

from .conftest import CORPUS, MAIL_DIR, child_env, replicated, tables


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def summary_of(result: Result) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_every_message_is_accounted_for(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    result = run("index", str(sample_inbox), "--db", str(db))
    assert summary_of(result) == "sample: seen 38 = indexed 37 + failed 1 + deleted 0 + skipped 0"
    # The garbage mail is named on stderr with its commit, and recorded.
    assert re.search(r"warning: cannot parse epoch 0 commit [0-9a-f]{12}: no RFC 5322 header block", result.stderr)
    got = tables(db)
    assert len(got["messages"]) == 37
    (failure,) = got["failures"]
    commit, blob, reason = failure[3], failure[4], failure[8]
    assert re.fullmatch(r"[0-9a-f]{40}", str(commit)) and re.fullmatch(r"[0-9a-f]{40}", str(blob))
    assert reason == "no RFC 5322 header block (no From, Subject, Message-ID or Date)"
    shown = subprocess.run(["git", f"--git-dir={sample_inbox / 'git' / '0.git'}", "show", f"{commit}:m"],
                           capture_output=True, check=True).stdout  # fmt: skip
    assert shown == (MAIL_DIR / "0038-binary-junk.eml").read_bytes()

    doctor = run("doctor", "--db", str(db))
    assert doctor.stdout == f"sample: epoch 0 commit {str(commit)[:12]}: {reason}\n"
    assert doctor.stderr == "1 message(s) could not be indexed\n"
    assert run("doctor", str(sample_inbox), "--db", str(db)).stdout == doctor.stdout


def test_deletions_and_purged_blobs_are_counted(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    run("index", str(sample_inbox), "--db", str(db))
    epoch = sample_inbox / "git" / "0.git"
    first = subprocess.run(["git", f"--git-dir={epoch}", "rev-list", "--max-parents=0", "master"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    delete_message(epoch, first)
    append_messages(epoch, [b""])  # what a purge leaves: a commit whose `m` is empty
    result = run("index", str(sample_inbox), "--db", str(db))
    assert summary_of(result) == "sample: seen 2 = indexed 0 + failed 0 + deleted 1 + skipped 1"
    rows = tables(db)["messages"]
    assert [r[1] for r in rows if r[-1] is not None] == [0], "the first message is a tombstone"
    assert run("index", str(sample_inbox), "--db", str(db)).stderr.endswith(
        "seen 0 = indexed 0 + failed 0 + deleted 0 + skipped 0\n"
    )


def test_a_new_epoch_is_picked_up(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    run("index", str(sample_inbox), "--db", str(db))
    build_v2_inbox(sample_inbox, CORPUS[:3], epoch=1)
    assert summary_of(run("index", str(sample_inbox), "--db", str(db))).startswith("sample: seen 3 = indexed 3")
    got = tables(db)
    assert [c[1] for c in got["cursors"]] == [0, 1]
    assert [r[1] for r in got["messages"][-3:]] == [1 << 32, (1 << 32) + 1, (1 << 32) + 2]


def _store(db: Path) -> Store:
    return Store(db)


def test_duplicate_message_ids_have_one_canonical_copy(tmp_path: Path) -> None:
    """0026 and 0027 are one mail delivered twice (same Message-ID, other Received lines):
    both are stored, the first in archive order is the one digests count; deleting it
    promotes the other. 0029 carries a second Message-ID appended by public-inbox."""
    inbox = tmp_path / "dups"
    names = ["0026-capital-v2-first-delivery.eml", "0027-capital-v2-same-message-id-redelivered.eml",
             "0029-autosel-two-message-id-headers.eml"]  # fmt: skip
    build_v2_inbox(inbox, [(MAIL_DIR / n).read_bytes() for n in names], name="dups")
    db = tmp_path / "index.sqlite"
    run("index", str(inbox), "--db", str(db))
    with _store(db) as store:
        aid = register(store, inbox).archive_id
        every = store.messages(aid, canonical_only=False)
        canonical = store.messages(aid)
        assert len(every) == 3 and [m.prov.seq for m in canonical] == [0, 2]
        autosel = canonical[1].message
        assert autosel.msgid == "<2f8e4c1a9b0d7e36@archive.example.org>"  # the last header
        assert autosel.original_msgid == "<20210310162005.55210-12-lena.fischer@example.org>"
        assert store.by_msgids(aid, [autosel.original_msgid])[0].prov.seq == 2
    # The digest is the one of an archive that got the mail once.
    single = tmp_path / "single"
    build_v2_inbox(single, [(MAIL_DIR / n).read_bytes() for n in (names[0], names[2])], name="dups")
    run("index", str(single), "--db", str(tmp_path / "single.sqlite"))
    for fmt in ("text", "json"):
        twice = run("report", str(inbox), "--db", str(db), "--no-index", "--format", fmt).stdout
        once = run("report", str(single), "--db", str(tmp_path / "single.sqlite"), "--no-index", "--format", fmt).stdout
        assert twice == once
    assert json.loads(twice)["stats"]["emails"] == 2

    delete_message(inbox / "git" / "0.git", every[0].prov.blob or "")
    run("index", str(inbox), "--db", str(db))
    with _store(db) as store:
        assert [m.prov.seq for m in store.messages(aid)] == [1, 2], "the second delivery is canonical now"


def test_pool_and_in_process_parsing_store_the_same_bytes(big_inbox: Path, tmp_path: Path) -> None:
    serial, pooled = tmp_path / "serial.sqlite", tmp_path / "pooled.sqlite"
    run("index", str(big_inbox), "--db", str(serial), "--jobs", "1")
    run("index", str(big_inbox), "--db", str(pooled), "--jobs", "2")
    assert tables(serial) == tables(pooled)


def test_the_pool_keeps_a_bounded_window(big_inbox: Path, tmp_path: Path) -> None:
    """Memory stays flat: the parser never reads more than its window ahead of the writer."""
    from patchdigest.indexing.parsing import CHUNK, PoolParser

    with Store(tmp_path / "x.sqlite") as store:
        indexed = register(store, big_inbox)
    (epoch,) = indexed.archive.epochs()  # type: ignore[union-attr]
    read = 0

    def counted() -> object:
        nonlocal read
        for raw in epoch.iter_messages():
            read += 1
            yield raw

    lead = 0
    with PoolParser(2, depth=3) as parser:
        for done, (_, outcome) in enumerate(parser.outcomes(1, counted()), start=1):  # type: ignore[arg-type]
            lead = max(lead, read - done)
            assert outcome is not None
    assert done > 2000 and lead <= 4 * CHUNK


@pytest.mark.parametrize("pooled", [False, True])
def test_the_parser_says_when_its_source_has_run_out(big_inbox: Path, pooled: bool) -> None:
    """on_exhausted is called once, after the last message is read: by the pool while
    chunks are still being parsed (what the indexer overlaps with its index build), by
    the serial parser at the end."""
    from patchdigest.indexing.parsing import PoolParser, SerialParser
    from patchdigest.sources.gitepoch import GitEpoch

    epoch = GitEpoch(big_inbox / "git" / "0.git")
    total = sum(1 for _ in epoch.iter_messages(read_blobs=False))
    calls: list[int] = []  # messages handed over when it was called
    done = [0]
    with PoolParser(2, depth=3) if pooled else SerialParser() as parser:
        raws = epoch.iter_messages(read_blobs=not parser.reads_blobs)
        git_dirs = {0: str(epoch.git_dir)} if parser.reads_blobs else None
        for _ in parser.outcomes(1, raws, git_dirs, lambda: calls.append(done[0])):
            done[0] += 1
    assert done[0] == total and len(calls) == 1
    if pooled:
        assert total - 3 * 256 <= calls[0] < total  # up to depth chunks still in flight
    else:
        assert calls[0] == total


def test_a_noop_run_reads_nothing_and_imports_little(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    run("index", str(sample_inbox), "--db", str(db))
    script = (
        "import sys\n"
        "from patchdigest.cli import main\n"
        f"sys.argv = ['patchdigest', 'index', {str(sample_inbox)!r}, '--db', {str(db)!r}, '-q']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "heavy = ('jinja2', 'rich', 'patchdigest.parse', 'patchdigest.render', 'patchdigest.analyze',"
        " 'patchdigest.sync', 'email.parser', 'concurrent.futures.process')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=child_env(), check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_index_any_bytes_never_loses_a_message(tmp_path: Path) -> None:
    """Whatever the blobs hold, each one ends up a row or a failure, and rows insert."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from patchdigest.indexing.parsing import SerialParser
    from patchdigest.models import Provenance

    store = Store(":memory:")
    aid = store.archive_id("fuzz", "fuzz", "mbox")
    pieces = st.sampled_from([b"From: a <a@b>\n", b"Subject: [PATCH 99999999999999999999/1] x\n",
                              b"Date: Wed, 10 Mar 2021 12:00:00 +9999\n", b"Message-ID: <x@y>\n", b"\n",
                              b"diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b\n", b"\xff\x00", b"=?utf-8?q?=C3?=",
                              b"Subject: [PATCH v123456789012345678901] big\n"])  # fmt: skip
    mails = st.lists(st.one_of(pieces, st.binary(max_size=40)), max_size=12).map(b"".join)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(mails, min_size=1, max_size=8))
    def check(blobs: list[bytes]) -> None:
        raws = [RawMessage(b, Provenance("fuzz", seq=i, path="fuzz", offset=i)) for i, b in enumerate(blobs)]
        outcomes = list(SerialParser().outcomes(aid, raws))
        assert [r for r, _ in outcomes] == raws
        rows = [o for _, o in outcomes if isinstance(o, tuple)]
        failures = [o for _, o in outcomes if o is not None and not isinstance(o, tuple)]
        assert len(rows) + len(failures) == sum(1 for b in blobs if b)
        store.write_rows(aid, rows, failures, [], [], reread=True)

    check()


def test_a_database_at_schema_1_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    con = sqlite3.connect(db)
    for statement in MIGRATIONS[0].split(";\n"):
        if statement.strip():
            con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Store(db) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "messages_by_commit" not in names and "messages_by_date" in names


def test_library_index_counts_kinds(sample_inbox: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "x.sqlite") as store:
        indexed = register(store, sample_inbox)
        summary = index_archive(store, indexed)
        assert summary.seen == summary.indexed + summary.failed + summary.deleted + summary.skipped == 38
        kinds = {m.message.kind for m in store.messages(indexed.archive_id)}
    assert {Kind.PATCH, Kind.COVER, Kind.REPLY, Kind.PULL} <= kinds


def _die(*args: object) -> None:
    import os

    os._exit(3)


def test_a_worker_that_dies_is_a_clean_error(big_inbox: Path, tmp_path: Path) -> None:
    """A parse worker killed from outside (the OOM killer, say) ends the run with one
    error line, and the rerun completes the index."""
    from patchdigest.errors import PatchdigestError
    from patchdigest.indexing import parsing

    db = tmp_path / "index.sqlite"
    with Store(db) as store:
        indexed = register(store, big_inbox)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parsing, "parse_jobs", _die)  # the workers are forked: they see it too
            with pytest.raises(PatchdigestError, match="a parse worker died"):
                index_archive(store, indexed, workers=2)
        assert index_archive(store, indexed, workers=2).indexed > 2000


def test_a_rewrite_of_an_older_epoch_keeps_later_deletions(tmp_path: Path) -> None:
    """public-inbox writes a deletion into the newest epoch, whatever epoch holds the
    message. A purge that rewrites the older epoch makes the indexer drop and re-read its
    rows: the deletion, in an epoch not read again, must still hold."""
    from .gitpurge import purge_blob

    inbox = tmp_path / "two"
    mails = replicated(1)
    build_v2_inbox(inbox, mails[:20], name="two", epoch=0)
    build_v2_inbox(inbox, mails[20:25], name="two", epoch=1)
    e0, e1 = inbox / "git" / "0.git", inbox / "git" / "1.git"

    def blob(rev: str) -> str:
        return subprocess.run(["git", f"--git-dir={e0}", "rev-parse", f"{rev}:m"],
                              capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip

    deleted, purged = blob("master~2"), blob("master~10")
    # The deletion lands in epoch 1; its blob must be there too (public-inbox epochs share
    # objects through alternates).
    data = subprocess.run(["git", f"--git-dir={e0}", "cat-file", "blob", deleted], capture_output=True, check=True)
    subprocess.run(["git", f"--git-dir={e1}", "hash-object", "-w", "--stdin"], input=data.stdout, check=True,
                   capture_output=True)  # fmt: skip
    delete_message(e1, deleted)
    db = tmp_path / "index.sqlite"
    run("index", str(inbox), "--db", str(db))
    assert [r[4] for r in tables(db)["messages"] if r[-1] is not None] == [deleted]

    purge_blob(e0, purged)  # rewrites epoch 0 from the purged message on
    summary = summary_of(run("index", str(inbox), "--db", str(db)))
    assert "history rewritten" in summary, summary
    got = tables(db)
    assert [r[4] for r in got["messages"] if r[-1] is not None] == [deleted], "the deletion was lost"
    assert purged not in [r[4] for r in got["messages"]]
    fresh = tmp_path / "fresh.sqlite"
    run("index", str(inbox), "--db", str(fresh))
    assert got == tables(fresh)


def _deleted_blobs(db: Path) -> list[str]:
    return sorted(r[4] for r in tables(db)["messages"] if r[-1] is not None)


def test_a_first_large_load_applies_its_deletions(
    big_inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load into an empty database defers the blob index and only logs deletions
    (applied when the load ends): it must store what one-by-one deletions store."""
    from contextlib import nullcontext

    epoch = big_inbox / "git" / "0.git"
    commits = subprocess.run(["git", f"--git-dir={epoch}", "rev-list", "--reverse", "master"],
                             capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    gone = [commits[5], commits[1500], commits[-2]]  # (the last is a mail that does not parse)
    blobs = sorted(
        subprocess.run(["git", f"--git-dir={epoch}", "rev-parse", f"{c}:m"], capture_output=True, text=True,
                       check=True).stdout.strip() for c in gone
    )  # fmt: skip
    for commit in gone:
        delete_message(epoch, commit)

    bulk = tmp_path / "bulk.sqlite"
    with Store(bulk) as store:
        summary = index_archive(store, register(store, big_inbox), workers=2)
    assert summary.deleted == 3
    assert _deleted_blobs(bulk) == blobs

    one_by_one = tmp_path / "one-by-one.sqlite"
    with monkeypatch.context() as patch:
        patch.setattr(Store, "bulk_load", lambda self: nullcontext())
        with Store(one_by_one) as store:
            index_archive(store, register(store, big_inbox), workers=2)
    assert tables(bulk) == tables(one_by_one)
    with sqlite3.connect(bulk) as con:
        indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"messages_by_blob", "messages_by_date", "messages_by_orig", "messages_by_parent"} <= indexes


def test_deletions_of_an_interrupted_first_load_are_applied_on_the_next_open(
    big_inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after its last commit but before the load's end (indexes and deletions
    pending): the next open of the index completes both, so that even a rerun with
    nothing left to read finds the deletions applied."""
    epoch = big_inbox / "git" / "0.git"
    first = subprocess.run(["git", f"--git-dir={epoch}", "rev-list", "--max-parents=0", "master"],
                           capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    blob = subprocess.run(["git", f"--git-dir={epoch}", "rev-parse", f"{first}:m"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    delete_message(epoch, blob)  # the message is in the first batch, its deletion in the last

    class Stop(Exception):
        pass

    def stop_at_the_end(done: int, total: int | None) -> None:
        if total is not None and done >= total:
            raise Stop

    db = tmp_path / "index.sqlite"
    # The indexer ends the load's row phase (Store.end_bulk) as soon as the log is read,
    # before the last rows arrive: held off here, the stop falls where the load is
    # complete but for its end.
    monkeypatch.setattr(Store, "end_bulk", lambda self: None)
    with Store(db) as store, pytest.raises(Stop):
        index_archive(store, register(store, big_inbox), stop_at_the_end, workers=2)
    monkeypatch.undo()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM deletions").fetchone() == (1,)
        assert con.execute("SELECT COUNT(*) FROM messages WHERE deleted_seq IS NOT NULL").fetchone() == (0,)
    with Store(db) as store:
        assert index_archive(store, register(store, big_inbox)).seen == 0  # nothing left to read
    assert _deleted_blobs(db) == [blob]


def test_an_index_from_before_the_patch_id_change_is_rebuilt(sample_inbox: Path, tmp_path: Path) -> None:
    """Schema 4 changed what a patch id hashes: an older index is emptied on open and the
    next run indexes everything again, with the new ids."""
    db = tmp_path / "old.sqlite"
    with Store(db) as store:
        indexed = register(store, sample_inbox)
        index_archive(store, indexed)
        store.db.execute("UPDATE messages SET patch_id = 'stale' WHERE patch_id != ''")
        store.db.execute("PRAGMA user_version = 3")
    with Store(db) as store:
        assert store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
        assert store.cursors(indexed.archive_id) == {}
        summary = index_archive(store, register(store, sample_inbox))
        assert summary.indexed > 0
        ids = [r[0] for r in store.db.execute("SELECT patch_id FROM messages WHERE has_diff = 1")]
    assert ids and "stale" not in ids and all(len(i) == 40 for i in ids)


def test_a_primed_epoch_hands_its_first_message_and_its_errors_to_the_reader() -> None:
    """The next epoch's stream is started in a thread (git walks it meanwhile): what that
    thread reads comes first, and what it fails with is raised where the stream is read."""
    import threading

    from patchdigest.errors import SourceError
    from patchdigest.indexing import _Primed

    readers: list[str] = []

    def raws(fail: bool) -> Generator[RawMessage, None, None]:
        for n in range(3):
            readers.append(threading.current_thread().name)
            if fail and n == 1:
                raise SourceError("git log failed", where="epoch 1")
            yield RawMessage(data=b"%d" % n, prov=Provenance("x", n))

    primed = _Primed(raws(fail=False))
    assert [r.data for r in primed] == [b"0", b"1", b"2"]
    assert readers[0] == "patchdigest-next-epoch" and readers[1] == threading.current_thread().name
    failing = _Primed(raws(fail=True))
    with pytest.raises(SourceError, match="git log failed"):
        list(failing)
    failing.close()


@pytest.mark.parametrize("pooled", [False, True])
def test_a_message_without_a_usable_date_takes_its_commit_time(pooled: bool) -> None:
    """The archive's own time (a commit's author date, offset included) stands in for a
    missing or unreadable Date header, whichever parser reads the message: the time
    travels to the workers as text, and must come back exact."""
    from datetime import UTC, datetime, timedelta, timezone

    from patchdigest.indexing.parsing import PoolParser, SerialParser

    when = datetime(2021, 3, 10, 17, 43, 17, 250000, tzinfo=timezone(timedelta(hours=-7, minutes=-30)))
    mails = [
        b"From: a@example.org\nSubject: no date\nMessage-ID: <1@x>\n\nhi\n",
        b"From: a@example.org\nSubject: bad date\nDate: someday\nMessage-ID: <2@x>\n\nhi\n",
        b"From: a@example.org\nSubject: dated\nDate: Wed, 10 Mar 2021 09:00:00 +0100\nMessage-ID: <3@x>\n\nhi\n",
    ]
    raws = [RawMessage(data, Provenance("t", n, commit=f"{n:040x}"), commit_time=when) for n, data in enumerate(mails)]
    with PoolParser(2) if pooled else SerialParser() as parser:
        rows = [row for _, row in parser.outcomes(1, raws)]
    # date, tz_offset, date_ok (store.rows._COLUMNS)
    assert [row[12:15] for row in rows if isinstance(row, tuple)] == [
        (int(when.timestamp()), -27000, 0),
        (int(when.timestamp()), -27000, 0),
        (int(datetime(2021, 3, 10, 8, 0, tzinfo=UTC).timestamp()), 3600, 1),
    ]
