"""Following public-inbox's own removal tools, on inboxes public-inbox itself wrote.

* ``public-inbox-purge`` rewrites the epoch's history: every commit from the purged
  message on gets a new id, and the purged commit's ``m`` becomes an empty blob. The
  indexer finds the fork point, drops what it indexed after it and reads on from there.
* ``public-inbox-learn rm`` appends a commit that deletes ``m`` and adds ``d`` holding the
  removed message's blob: a deletion, no rewrite.

Either way the index must then equal a fresh index of the archive as it now is.
Skipped where public-inbox is not installed (``apt-get install public-inbox``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli

from .conftest import CORPUS, MAIL_DIR, reports, tables

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("public-inbox-init", "public-inbox-mda", "public-inbox-purge")),
    reason="public-inbox is not installed (Debian package public-inbox)",
)

ADDRESS = "kvm@archive.example.org"
PURGED = "0012-v2-cover-letter.eml"
REMOVED = "0013-v2-patch-1-of-3.eml"


@dataclass
class Inbox:
    path: Path
    env: dict[str, str]

    def tool(self, *args: str, stdin: bytes = b"") -> None:
        subprocess.run(args, input=stdin, env=self.env, check=True, capture_output=True)


def _configure(inbox: Path, home: Path) -> dict[str, str]:
    """A public-inbox config naming ``inbox``, in a HOME of its own."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PI_"))}
    env.update(HOME=str(home), PI_CONFIG=str(home / "config"))
    for key, value in (
        ("publicinbox.test.inboxdir", str(inbox)),
        ("publicinbox.test.address", ADDRESS),
        ("publicinbox.test.url", "http://example.org/test"),
        ("publicinbox.test.indexlevel", "basic"),
        ("publicinboxmda.spamcheck", "none"),
    ):
        subprocess.run(["git", "config", "-f", env["PI_CONFIG"], key, value], check=True, env=env)
    return env


@pytest.fixture(scope="session")
def pi_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus delivered by public-inbox-mda into a v2 inbox made by public-inbox-init."""
    base = tmp_path_factory.mktemp("pi")
    inbox = base / "test"
    env = _configure(inbox, base / "home")
    subprocess.run(
        ["public-inbox-init", "-V2", "-L", "basic", "test", str(inbox), "http://example.org/test", ADDRESS],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    for raw in CORPUS:
        # Exit status 0 also for the mail it refuses (0038 has no header block at all).
        subprocess.run(["public-inbox-mda", "--no-precheck"], input=raw, env={**env, "ORIGINAL_RECIPIENT": ADDRESS},
                       check=True, capture_output=True)  # fmt: skip
    return inbox


@pytest.fixture
def pi_inbox(pi_template: Path, tmp_path: Path) -> Inbox:
    path = tmp_path / "test"
    shutil.copytree(pi_template, path, symlinks=True)
    return Inbox(path, _configure(path, tmp_path / "home"))


def _index(inbox: Path, db: Path) -> str:
    result = CliRunner().invoke(cli, ["index", str(inbox), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stderr.strip().splitlines()[-1]


def _fresh(inbox: Path, tmp_path: Path) -> Path:
    db = tmp_path / "fresh.sqlite"
    _index(inbox, db)
    return db


def _msgid(name: str) -> str:
    for line in (MAIL_DIR / name).read_text().splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(name)


def test_purge_rewrites_history_and_the_index_follows(pi_inbox: Inbox, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    _index(pi_inbox.path, db)
    before = tables(db)
    assert _msgid(PURGED) in {r[7] for r in before["messages"]}

    pi_inbox.tool("public-inbox-purge", "--all", stdin=(MAIL_DIR / PURGED).read_bytes())
    summary = _index(pi_inbox.path, db)
    assert "history rewritten" in summary, summary
    assert "skipped 1" in summary, summary  # the purged commit now holds an empty blob

    after = tables(db)
    ids = [r[7] for r in after["messages"]]
    assert _msgid(PURGED) not in ids
    assert len(ids) == len(set(ids)), "a message indexed twice"

    # Everything else is unchanged but for the commit ids the rewrite gave them.
    def without_commit(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r[:3] + r[4:] for r in rows]

    kept = [r for r in before["messages"] if r[7] != _msgid(PURGED)]
    assert without_commit(after["messages"]) == without_commit(kept)
    assert after == tables(_fresh(pi_inbox.path, tmp_path))
    assert reports(pi_inbox.path, db) == reports(pi_inbox.path, _fresh(pi_inbox.path, tmp_path / "again"))


def test_learn_rm_is_a_deletion(pi_inbox: Inbox, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    _index(pi_inbox.path, db)
    text_before = reports(pi_inbox.path, db, ("text",))["text"]
    assert "[PATCH v2 1/3] KVM: arm64: Move the sysreg trace helper" in text_before

    pi_inbox.tool("public-inbox-learn", "rm", "--all", stdin=(MAIL_DIR / REMOVED).read_bytes())
    summary = _index(pi_inbox.path, db)
    assert "seen 1 = indexed 0 + failed 0 + deleted 1 + skipped 0" in summary, summary

    rows = {r[7]: r for r in tables(db)["messages"]}
    assert rows[_msgid(REMOVED)][-1] is not None, "the row is kept as a tombstone (deleted_seq)"
    text = reports(pi_inbox.path, db, ("text",))["text"]
    assert "[PATCH v2 1/3] KVM: arm64: Move the sysreg trace helper" not in text
    assert tables(db) == tables(_fresh(pi_inbox.path, tmp_path))


def test_learn_rm_then_purge(pi_inbox: Inbox, tmp_path: Path) -> None:
    """A deletion, then a purge of an earlier message that rewrites the deletion's commit
    too: the tombstone is undone by the rewind and made again by the reread."""
    db = tmp_path / "index.sqlite"
    _index(pi_inbox.path, db)
    pi_inbox.tool("public-inbox-learn", "rm", "--all", stdin=(MAIL_DIR / REMOVED).read_bytes())
    _index(pi_inbox.path, db)
    pi_inbox.tool("public-inbox-purge", "--all", stdin=(MAIL_DIR / PURGED).read_bytes())
    _index(pi_inbox.path, db)
    assert tables(db) == tables(_fresh(pi_inbox.path, tmp_path))
