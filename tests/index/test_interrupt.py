"""Kill the indexer at random moments, rerun it: the index and the reports must equal a
clean run's, byte for byte.

The kill moments come from a seeded generator, so a failure replays. The default suite
kills a few times; PATCHDIGEST_KILL_ROUNDS=20 does the issue's twenty.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from .conftest import group_members, patchdigest, reports, start, tables

ROUNDS = int(os.environ.get("PATCHDIGEST_KILL_ROUNDS", "5"))
SIGNALS = [signal.SIGKILL, signal.SIGTERM, signal.SIGINT]


@pytest.fixture(scope="module")
def clean_run(big_inbox_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The reference: one uninterrupted run (with two parse workers), and how long it took."""
    db = tmp_path_factory.mktemp("clean") / "index.sqlite"
    began = time.monotonic()
    patchdigest("index", str(big_inbox_template), "--db", str(db), "--jobs", "2")
    return db, time.monotonic() - began


def _kill(inbox: Path, db: Path, sig: signal.Signals, delay: float | None) -> None:
    """Start an index run and signal it after ``delay`` seconds (None: as soon as its first
    batch is committed, to be sure to stop it mid-run)."""
    proc = start("index", str(inbox), "--db", str(db), "--jobs", "2")
    if delay is None:
        _wait_for_rows(db)
    else:
        time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if proc.returncode != 0:  # it may have finished before the signal
        # -SIGINT/-SIGTERM: the signal came before Python had set up its handlers (or,
        # for ^C, CPython re-raised it on the way out: what a shell reports as 130 too);
        # 1 "Aborted!": ^C while click was still reading the command line; 1 and a fatal
        # error: ^C while the interpreter itself was starting (importing its site
        # module), before any of patchdigest ran (seen once at a 0.04 s delay).
        expected = (-signal.SIGKILL, -signal.SIGINT, -signal.SIGTERM, 130, 143)
        at_startup = proc.returncode == 1 and "init_import_site" in err and err.rstrip().endswith("KeyboardInterrupt")
        assert proc.returncode in expected or (proc.returncode, err.strip()) == (1, "Aborted!") or at_startup, (
            proc.returncode,
            err,
        )
    if proc.returncode in (130, 143):
        # ^C and SIGTERM stop cleanly: one line saying how to resume, no traceback.
        assert err.strip().endswith("interrupted; rerun to resume (nothing is lost)"), err
        assert "Traceback" not in err
    # Nothing left behind: parse workers and git children end with the indexer (after
    # kill -9 the workers notice their parent is gone within half a second).
    deadline = time.monotonic() + 5
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_members(proc.pid), "processes left running after the indexer stopped"


Tables = dict[str, list[tuple[object, ...]]]


def _assert_consistent_prefix(got: Tables, want: Tables) -> None:
    """What a stopped run leaves: the clean run's first rows, and a cursor on the last."""
    rows = got["messages"]
    assert rows == want["messages"][: len(rows)]
    assert got["failures"] == want["failures"][: len(got["failures"])]
    if got["cursors"]:
        ((_, _, ordinal, _),) = got["cursors"]
        last = max([r[1] for r in rows] + [r[1] for r in got["failures"]])
        assert ordinal == last & 0xFFFFFFFF
    else:
        assert not rows and not got["failures"]


def test_kills_then_reruns_equal_a_clean_run(
    big_inbox_template: Path, clean_run: tuple[Path, float], tmp_path: Path
) -> None:
    clean_db, clean_seconds = clean_run
    want_tables = tables(clean_db)
    want_reports = reports(big_inbox_template, clean_db)
    assert len(want_tables["messages"]) > 2000 and want_tables["failures"]
    chance = random.Random(20240310)
    partial = 0
    for n in range(ROUNDS):
        db = tmp_path / f"run{n}.sqlite"
        sig = SIGNALS[n % len(SIGNALS)]
        # Round 0 stops right after the first commit; the others anywhere in the run,
        # interpreter start included, and a bit past its end (a kill after the last
        # commit must be harmless too).
        _kill(big_inbox_template, db, sig, None if n == 0 else chance.uniform(0.0, clean_seconds * 1.1))
        stopped = tables(db)
        _assert_consistent_prefix(stopped, want_tables)
        partial += 0 < len(stopped["messages"]) < len(want_tables["messages"])
        patchdigest("index", str(big_inbox_template), "--db", str(db), "--jobs", "2")
        assert tables(db) == want_tables, f"round {n}: {sig.name}"
        # The reports follow from the tables; rendering both formats every round would
        # double the test's time for nothing new.
        formats = ("text", "json") if n in (0, ROUNDS - 1) else ("text",)
        got = reports(big_inbox_template, db, formats)
        assert got == {f: want_reports[f] for f in formats}, f"round {n}: {sig.name}"
    assert partial, "no round stopped the indexer mid-run"


def test_killed_twice_in_a_row(big_inbox_template: Path, clean_run: tuple[Path, float], tmp_path: Path) -> None:
    """A rerun that is itself killed still converges."""
    clean_db, clean_seconds = clean_run
    db = tmp_path / "index.sqlite"
    _kill(big_inbox_template, db, signal.SIGKILL, None)
    _kill(big_inbox_template, db, signal.SIGKILL, 0.3 * clean_seconds)
    patchdigest("index", str(big_inbox_template), "--db", str(db))
    assert tables(db) == tables(clean_db)


def test_kills_across_epochs(epochs_inbox: Path, tmp_path: Path) -> None:
    """Batches that span two epochs commit both epochs' cursors: kills there converge too."""
    clean = tmp_path / "clean.sqlite"
    patchdigest("index", str(epochs_inbox), "--db", str(clean), "--jobs", "2")
    want = tables(clean)
    assert [c[1] for c in want["cursors"]] == [0, 1, 2]
    chance = random.Random(3)
    for n, sig in enumerate((signal.SIGKILL, signal.SIGTERM)):
        db = tmp_path / f"run{n}.sqlite"
        _kill(epochs_inbox, db, sig, None if n == 0 else chance.uniform(0.3, 1.2))
        _assert_consistent_epochs(tables(db), want)
        patchdigest("index", str(epochs_inbox), "--db", str(db), "--jobs", "2")
        assert tables(db) == want, f"round {n}: {sig.name}"


def _assert_consistent_epochs(got: Tables, want: Tables) -> None:
    """Rows are a prefix of the clean run's, and each epoch's cursor is its last row."""
    rows = got["messages"]
    assert rows == want["messages"][: len(rows)]
    last: dict[int, int] = {}
    for row in rows + got["failures"]:
        seq = int(str(row[1]))
        last[seq >> 32] = max(last.get(seq >> 32, -1), seq & 0xFFFFFFFF)
    assert {int(str(c[1])): int(str(c[2])) for c in got["cursors"]} == last


@pytest.mark.realarchive
def test_kill_on_the_real_archive(kvmarm_inbox: Path, kvmarm_db: Path, tmp_path: Path) -> None:
    """kill -9 in the middle of a full index of kvmarm, then a rerun: the same rows as the
    session's uninterrupted index of it, and the same reports. One round by default;
    PATCHDIGEST_KILL_ROUNDS=20 makes it twenty (~10 s each), with every signal."""
    want = tables(kvmarm_db)
    week = ("--week", "2021-W10")
    want_reports = {fmt: _report(kvmarm_inbox, kvmarm_db, fmt, *week) for fmt in ("text", "json")}
    rounds = int(os.environ.get("PATCHDIGEST_KILL_ROUNDS", "1"))
    chance = random.Random(7)
    for n in range(rounds):
        db = tmp_path / f"run{n}.sqlite"
        sig = SIGNALS[n % len(SIGNALS)]
        proc = start("index", str(kvmarm_inbox), "--db", str(db))
        # Wait for the first committed batch, then stop it at a random point of the rest.
        _wait_for_rows(db)
        time.sleep(chance.uniform(0.0, 2.5))
        proc.send_signal(sig)
        proc.communicate(timeout=60)
        partial = tables(db)["messages"]
        assert 0 < len(partial) <= 21_367
        patchdigest("index", str(kvmarm_inbox), "--db", str(db))
        got = tables(db)
        # Archive ids may differ between the two databases: compare without that column.
        for table in ("messages", "failures", "cursors", "deletions"):
            assert [r[1:] for r in got[table]] == [r[1:] for r in want[table]], (n, sig.name, table)
        for fmt, text in want_reports.items():
            assert _report(kvmarm_inbox, db, fmt, *week) == text, (n, sig.name, fmt)


def _report(inbox: Path, db: Path, fmt: str, *window: str) -> str:
    return reports(inbox, db, (fmt,), *window)[fmt]


def _wait_for_rows(db: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _has_rows(db):
        time.sleep(0.01)


def _has_rows(db: Path) -> bool:
    import sqlite3

    if not db.exists():
        return False
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.1)
        try:
            return bool(con.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return False
