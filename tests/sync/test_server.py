"""Against a real public-inbox-httpd: sync, deliver, sync, purge, sync.

The inbox is made and changed only with public-inbox's own tools (-init, -mda, -purge),
so the manifest, the smart-HTTP git service and the purge's history rewrite are the
real ones a lore-style server produces.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli
from patchdigest.config import Remote
from patchdigest.pipeline import index_archive, register
from patchdigest.store import Store
from patchdigest.sync import SyncOptions, sync_remote

from .conftest import FAST, LATE_MAIL, PURGED_MAIL, SERVER_MAILS, mail
from .servers import PublicInboxServer

pytestmark = pytest.mark.server


def msgid_of(name: str) -> str:
    for line in mail(name).decode("utf-8", "replace").splitlines():
        if line.lower().startswith("message-id:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"{name} has no Message-ID")


def live_msgids(store: Store, archive_id: int) -> list[str]:
    return [s.message.msgid for s in store.messages(archive_id, canonical_only=False)]


def test_deliver_and_purge_cycle(pi_server: PublicInboxServer, tmp_path: Path) -> None:
    remote, data = Remote("test", pi_server.url), tmp_path / "data"
    opts = SyncOptions(net=FAST)
    with Store(tmp_path / "index.sqlite") as store:
        first = sync_remote(remote, data, opts)
        assert (first.how, first.cloned) == ("manifest", (0,))
        indexed = register(store, first.path)
        assert index_archive(store, indexed).indexed == len(SERVER_MAILS)
        ids = live_msgids(store, indexed.archive_id)
        assert sorted(ids) == sorted(msgid_of(name) for name in SERVER_MAILS)

        # Nothing new: the manifest fingerprint matches the mirror, no git fetch at all.
        again = sync_remote(remote, data, opts)
        assert (again.fetched, again.unchanged) == ((), (0,))
        assert index_archive(store, indexed).seen == 0

        # One new message: only it is fetched and indexed.
        pi_server.deliver(mail(LATE_MAIL))
        assert sync_remote(remote, data, opts).fetched == (0,)
        summary = index_archive(store, indexed)
        assert (summary.seen, summary.indexed, summary.rewound) == (1, 1, 0)
        assert live_msgids(store, indexed.archive_id) == [*ids, msgid_of(LATE_MAIL)]

        # A purge rewrites the history from that message on: it is gone, nothing doubled.
        pi_server.purge(mail(PURGED_MAIL))
        assert sync_remote(remote, data, opts).fetched == (0,)
        summary = index_archive(store, indexed)
        assert summary.rewound > 0 and summary.failed == 0
        after = live_msgids(store, indexed.archive_id)
        expected = [i for i in ids if i != msgid_of(PURGED_MAIL)] + [msgid_of(LATE_MAIL)]
        assert after == expected
        assert len(set(after)) == len(after)
        assert store.counts(indexed.archive_id)["messages"] == len(expected)


def test_report_by_name(pi_server: PublicInboxServer, tmp_path: Path, xdg: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(cli, ["add", "kvm", pi_server.url + "/"])
    assert added.exit_code == 0, added.output
    report = runner.invoke(cli, ["report", "kvm", "--format", "text"])
    assert report.exit_code == 0, report.output
    assert "Move the sysreg trace helper" in report.stdout  # 0002, never purged
    assert (xdg / "mirrors" / "kvm" / "git" / "0.git" / "HEAD").is_file()
    offline = runner.invoke(cli, ["report", "kvm", "--offline"])
    assert offline.exit_code == 0 and offline.stdout == report.stdout
    synced = runner.invoke(cli, ["sync", "kvm"])
    assert synced.exit_code == 0, synced.output
    assert "kvm: epochs unchanged 0; index: seen 0" in synced.output
