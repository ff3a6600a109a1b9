"""Removals on a copy of the real kvmarm epoch.

The purge is done the way public-inbox-purge does it (see gitpurge.py: the tool itself
refuses this archive's odd author dates). ``public-inbox-learn rm`` is the real tool, but
it needs public-inbox's own index of the inbox first (~20 s of public-inbox-index), so
that test runs only with PATCHDIGEST_SLOW_TESTS=1.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli

from .conftest import tables
from .gitpurge import purge_blob

pytestmark = pytest.mark.realarchive


def _copy(kvmarm_inbox: Path, kvmarm_db: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the inbox and of the session's index of it (re-pointed at the
    copy, which has the same commits: no need to index 21,367 messages again)."""
    inbox = tmp_path / "kvmarm"
    shutil.copytree(kvmarm_inbox, inbox, symlinks=True)
    db = tmp_path / "index.sqlite"
    src = sqlite3.connect(kvmarm_db)
    dst = sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.execute("UPDATE archives SET location = ?", (str(inbox.resolve()),))
    dst.commit()
    dst.close()
    return inbox, db


def _index(inbox: Path, db: Path) -> str:
    result = CliRunner().invoke(cli, ["index", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stderr.strip().splitlines()[-1]


def _git(inbox: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={inbox / 'git' / '0.git'}", *args],
                          capture_output=True, check=True, text=True).stdout.strip()  # fmt: skip


def test_purge_of_a_real_message(kvmarm_inbox: Path, kvmarm_db: Path, tmp_path: Path) -> None:
    inbox, db = _copy(kvmarm_inbox, kvmarm_db, tmp_path)
    before = tables(db)
    commit = _git(inbox, "rev-parse", "master~150")
    blob = _git(inbox, "rev-parse", f"{commit}:m")
    (purged,) = [r for r in before["messages"] if r[3] == commit]

    purge_blob(inbox / "git" / "0.git", blob)
    assert _git(inbox, "rev-parse", "master~150") != commit, "history was rewritten"
    summary = _index(inbox, db)
    assert "seen 151 = indexed 150 + failed 0 + deleted 0 + skipped 1" in summary, summary
    assert "history rewritten: 151 rows after the fork point dropped" in summary, summary

    after = tables(db)
    assert purged[7] not in {r[7] for r in after["messages"] if r[1] == purged[1]}
    # The rows before the fork are untouched; after it, the same messages at the same
    # positions (a purge keeps its commit, emptied), under their new commit ids.
    kept = [r for r in before["messages"] if r is not purged]
    assert [r[:3] + r[4:] for r in after["messages"]] == [r[:3] + r[4:] for r in kept]
    fork = purged[1]
    assert [r for r in after["messages"] if r[1] < fork] == [r for r in kept if r[1] < fork]
    assert all(a[3] != b[3] for a, b in zip(after["messages"], kept, strict=True) if a[1] > fork)


@pytest.mark.skipif(not os.environ.get("PATCHDIGEST_SLOW_TESTS"), reason="slow: set PATCHDIGEST_SLOW_TESTS=1")
@pytest.mark.skipif(not shutil.which("public-inbox-learn"), reason="public-inbox is not installed")
def test_learn_rm_of_a_real_message(kvmarm_inbox: Path, kvmarm_db: Path, tmp_path: Path) -> None:
    inbox, db = _copy(kvmarm_inbox, kvmarm_db, tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PI_"))}
    env.update(HOME=str(home), PI_CONFIG=str(home / "config"))
    for key, value in (("inboxdir", str(inbox)), ("address", "kvmarm@example.invalid"),
                       ("indexlevel", "basic")):  # fmt: skip
        config = ["git", "config", "-f", env["PI_CONFIG"], f"publicinbox.kvmarm.{key}", value]
        subprocess.run(config, env=env, check=True)
    (inbox / "inbox.lock").touch()  # what marks a directory as a v2 inbox for public-inbox
    subprocess.run(["public-inbox-index", "-L", "basic", str(inbox)], env=env, check=True, capture_output=True)
    message = subprocess.run(["git", f"--git-dir={inbox / 'git' / '0.git'}", "show", "master~700:m"],
                             capture_output=True, check=True).stdout  # fmt: skip
    subprocess.run(["public-inbox-learn", "rm", "--all"], input=message, env=env, check=True, capture_output=True)

    summary = _index(inbox, db)
    assert "seen 1 = indexed 0 + failed 0 + deleted 1 + skipped 0" in summary, summary
    rows = tables(db)["messages"]
    deleted = [r for r in rows if r[-1] is not None]
    assert len(deleted) == 1 and deleted[0][4] == _git(inbox, "rev-parse", "master~701:m")
