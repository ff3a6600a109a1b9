"""Fixtures and helpers for the indexing tests: archives to index, the CLI as a real
process (so that it can be killed), and the index's tables as plain values to compare."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from benchmarks.replicate import rewrite_ids
from click.testing import CliRunner
from tests.conftest import MAIL_DIR, ROOT

from patchdigest.cli import cli
from patchdigest.sources.build import build_v2_inbox

CORPUS = [p.read_bytes() for p in sorted(MAIL_DIR.glob("*.eml"))]
COPIES = 70  # x 38 corpus mails: ~2,700 messages, above the parallel threshold


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def patchdigest(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the command line in a child process."""
    proc = subprocess.run([sys.executable, "-m", "patchdigest", *args], capture_output=True, text=True, env=child_env())
    if check and proc.returncode != 0:
        raise AssertionError(f"patchdigest {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


def start(*args: str) -> subprocess.Popen[str]:
    """The command line in a child process of its own process group (to find its children)."""
    return subprocess.Popen(
        [sys.executable, "-m", "patchdigest", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        start_new_session=True,
    )


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) in a process group, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row that says what the index holds, in a stable order (row ids left out)."""
    con = sqlite3.connect(db)
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(messages)") if r[1] != "id"]
        fcols = [r[1] for r in con.execute("PRAGMA table_info(failures)") if r[1] != "id"]
        if not cols:  # stopped before it had created the schema (which is one transaction)
            return {"messages": [], "failures": [], "cursors": [], "deletions": []}
        return {
            "deletions": con.execute("SELECT * FROM deletions ORDER BY archive_id, seq").fetchall(),
            "messages": con.execute(f"SELECT {', '.join(cols)} FROM messages ORDER BY archive_id, seq").fetchall(),
            "failures": con.execute(f"SELECT {', '.join(fcols)} FROM failures ORDER BY archive_id, seq").fetchall(),
            "cursors": con.execute("SELECT * FROM cursors ORDER BY archive_id, epoch").fetchall(),
        }
    finally:
        con.close()


def reports(inbox: Path, db: Path, formats: Sequence[str] = ("text", "json"), *window: str) -> dict[str, str]:
    """The index as reports (the whole of it unless a window is given), without indexing
    first (in this process: only the indexer needs to be a real process, to be killed)."""
    out = {}
    for fmt in formats:
        args = ["report", str(inbox), "--db", str(db), "--no-index", "--format", fmt, *window]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout
    return out


def replicated(copies: int) -> list[bytes]:
    """The corpus ``copies`` times, each copy with its own Message-IDs."""
    return [rewrite_ids(raw, b"c%d" % n) for n in range(copies) for raw in CORPUS]


@pytest.fixture(scope="session")
def big_inbox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inbox = tmp_path_factory.mktemp("big") / "big"
    build_v2_inbox(inbox, replicated(COPIES), name="big")
    return inbox


@pytest.fixture(scope="session")
def epochs_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same mails over three epochs of ~890: transactions that end one epoch and
    start the next."""
    inbox = tmp_path_factory.mktemp("epochs") / "epochs"
    mails = replicated(COPIES)
    third = len(mails) // 3 + 1
    for n in range(3):
        build_v2_inbox(inbox, mails[n * third : (n + 1) * third], name="epochs", epoch=n)
    return inbox


@pytest.fixture
def big_inbox(big_inbox_template: Path, tmp_path: Path) -> Path:
    """~2,700 messages in one epoch (a private copy: tests may append or rewrite)."""
    inbox = tmp_path / "big"
    shutil.copytree(big_inbox_template, inbox, symlinks=True)
    return inbox
