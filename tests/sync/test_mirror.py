"""sync_remote against local inboxes (file://) and git's dumb HTTP from a real http.server."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patchdigest.config import Remote
from patchdigest.errors import ConfigError, SyncError
from patchdigest.pipeline import index_archive, register
from patchdigest.sources.build import build_v2_inbox
from patchdigest.store import Store
from patchdigest.sync import SyncOptions, gitnet, mirror_path, sync_remote

from .conftest import FAST, synthetic
from .servers import StaticServer

# Three epochs, a year apart: mail from 2020, 2022 and 2024.
YEARS = {0: 2020, 1: 2022, 2: 2024}


def three_epochs(root: Path) -> Path:
    for epoch, year in YEARS.items():
        mails = [synthetic(epoch * 10 + i, f"Wed, {i + 1} Jan {year} 10:00:00 +0000") for i in range(3)]
        build_v2_inbox(root, mails, epoch=epoch)
    return root


def options(**kw: object) -> SyncOptions:
    return SyncOptions(net=FAST, **kw)  # type: ignore[arg-type]


def msgids(store: Store, archive_id: int) -> list[str]:
    return [s.message.msgid for s in store.messages(archive_id, canonical_only=False)]


def index(store: Store, path: Path) -> tuple[int, list[str]]:
    indexed = register(store, path)
    summary = index_archive(store, indexed)
    return summary.indexed, msgids(store, indexed.archive_id)


def test_first_sync_then_nothing_then_only_what_is_new(tmp_path: Path) -> None:
    source = three_epochs(tmp_path / "src")
    remote = Remote("kvm", f"file://{source}")
    data = tmp_path / "data"
    first = sync_remote(remote, data, options())
    assert (first.how, first.cloned, first.fetched) == ("directory", (0, 1, 2), ())
    assert first.path == data / "mirrors" / "kvm"
    with Store(tmp_path / "index.sqlite") as store:
        assert index(store, first.path)[0] == 9
        again = sync_remote(remote, data, options())
        assert (again.cloned, again.fetched, again.unchanged) == ((), (), (0, 1, 2))
        build_v2_inbox(source, [synthetic(99, "Thu, 2 Jan 2025 10:00:00 +0000")], epoch=2)
        third = sync_remote(remote, data, options())
        assert (third.fetched, third.unchanged) == ((2,), (0, 1))
        count, ids = index(store, first.path)
        assert count == 1 and len(ids) == 10 and "<synthetic-99@example.org>" in ids
    assert not (first.path / "git" / "2.git" / "hooks").exists()  # no template hooks
    assert b"url" not in (first.path / "git" / "2.git" / "config").read_bytes()  # URL never stored


def test_newest_only_then_rollover_then_backfill(tmp_path: Path) -> None:
    source = three_epochs(tmp_path / "src")
    remote, data = Remote("kvm", f"file://{source}"), tmp_path / "data"
    first = sync_remote(remote, data, options(epochs="newest"))
    assert (first.cloned, first.skipped) == ((2,), (0, 1))
    # The inbox rolls over to epoch 3: a plain sync takes it, still not the old ones.
    build_v2_inbox(source, [synthetic(30, "Mon, 6 Jan 2025 10:00:00 +0000")], epoch=3)
    second = sync_remote(remote, data, options())
    assert (second.cloned, second.unchanged, second.skipped) == ((3,), (2,), (0, 1))
    backfill = sync_remote(remote, data, options(epochs="all"))
    assert (backfill.cloned, backfill.unchanged) == ((0, 1), (2, 3))


@pytest.mark.parametrize(("since", "cloned"), [("2023-06-01", (2,)), ("2021-06-01", (1, 2)), ("2030-01-01", (2,))])
def test_since_uses_the_manifest_dates(tmp_path: Path, since: str, cloned: tuple[int, ...]) -> None:
    source = three_epochs(tmp_path / "src")
    when = datetime.fromisoformat(since).replace(tzinfo=UTC)
    result = sync_remote(Remote("kvm", f"file://{source}"), tmp_path / "data", options(since=when))
    assert result.cloned == cloned


def test_history_rewrite_is_reindexed_without_duplicates(tmp_path: Path) -> None:
    mails = [synthetic(n, f"Wed, {n} Jan 2020 10:00:00 +0000") for n in range(1, 6)]
    source = build_v2_inbox(tmp_path / "src", mails)
    remote, data = Remote("kvm", f"file://{source}"), tmp_path / "data"
    with Store(tmp_path / "index.sqlite") as store:
        path = sync_remote(remote, data, options()).path
        assert index(store, path)[0] == 5
        # Rewrite the server's history without message 3 (what a purge does to later commits).
        shutil.rmtree(source)
        build_v2_inbox(source, [m for n, m in enumerate(mails, 1) if n != 3])
        assert sync_remote(remote, data, options()).fetched == (0,)
        indexed = register(store, path)
        summary = index_archive(store, indexed)
        ids = msgids(store, indexed.archive_id)
    assert summary.rewound == 3 and summary.indexed == 2
    assert ids == [f"<synthetic-{n}@example.org>" for n in (1, 2, 4, 5)]


def test_leftovers_of_a_killed_clone_are_removed(tmp_path: Path) -> None:
    source = three_epochs(tmp_path / "src")
    partial = tmp_path / "data" / "mirrors" / "kvm" / "git" / ".0.git-abc.partial"
    (partial / "objects").mkdir(parents=True)
    (partial / "HEAD").write_text("ref: refs/heads/master\n")
    result = sync_remote(Remote("kvm", f"file://{source}"), tmp_path / "data", options())
    assert not partial.exists() and result.cloned == (0, 1, 2)
    assert sorted(p.name for p in (result.path / "git").iterdir()) == ["0.git", "1.git", "2.git"]


def test_nothing_escapes_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("..", "../x", "a/b", ".x"):
        with pytest.raises(ConfigError):
            mirror_path(data, name)
    (data / "mirrors").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (data / "mirrors" / "kvm").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SyncError, match="link out of the data directory"):
        sync_remote(Remote("kvm", f"file://{tmp_path}"), data, options())
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_unreadable_state_is_named(tmp_path: Path) -> None:
    source = three_epochs(tmp_path / "src")
    remote, data = Remote("kvm", f"file://{source}"), tmp_path / "data"
    sync_remote(remote, data, options(epochs="newest"))
    state = mirror_path(data, "kvm") / "sync.json"
    assert state.read_text() == '{"mode": "newest", "since": null}'
    state.write_text("{")
    with pytest.raises(SyncError, match="unreadable sync state"):
        sync_remote(remote, data, options())
    assert sync_remote(remote, data, options(epochs="all")).cloned == (0, 1)  # an explicit choice overrides


def test_git_may_use_only_the_remote_s_own_transports() -> None:
    http_opts = " ".join(gitnet.transfer_options("https://lore.example/kvm/0"))
    file_opts = " ".join(gitnet.transfer_options("file:///srv/kvm/git/0.git"))
    assert "protocol.allow=never" in http_opts and "protocol.allow=never" in file_opts
    assert "protocol.https.allow=always" in http_opts and "protocol.file.allow" not in http_opts
    assert "protocol.file.allow=always" in file_opts and "protocol.http" not in file_opts
    assert "core.hooksPath=/dev/null" in http_opts


def test_not_an_inbox(tmp_path: Path) -> None:
    with pytest.raises(SyncError, match="not a public-inbox v2 inbox directory"):
        sync_remote(Remote("kvm", f"file://{tmp_path}/none"), tmp_path / "data", options())


# --- over HTTP, from a plain web server (no manifest: probing URL/0, URL/1, ...) ---------


def dumb_http_tree(tmp_path: Path) -> Path:
    """``www/kvm/N``: bare repositories as any web server can serve them to git."""
    inbox = three_epochs(tmp_path / "src")
    www = tmp_path / "www" / "kvm"
    www.mkdir(parents=True)
    for n in YEARS:
        shutil.copytree(inbox / "git" / f"{n}.git", www / str(n))
        subprocess.run(["git", f"--git-dir={www / str(n)}", "update-server-info"], check=True)
    return tmp_path / "www"


def test_probing_a_plain_web_server(tmp_path: Path, static_server: Callable[[Path], StaticServer]) -> None:
    server = static_server(dumb_http_tree(tmp_path))
    remote, data = Remote("kvm", server.url("/kvm")), tmp_path / "data"
    since = datetime(2021, 6, 1, tzinfo=UTC)
    first = sync_remote(remote, data, options(since=since))
    # No dates without a manifest: epoch 1 is taken because epoch 2 began (2024) after
    # `since`, and epoch 0 because epoch 1 began (Jan 2022) after it too: 0 may hold mail.
    assert (first.how, first.cloned, first.skipped) == ("probe", (0, 1, 2), ())
    before = len(server.requests)
    later = sync_remote(remote, data, options())
    assert later.unchanged == (0, 1, 2)  # ls-remote fingerprints match: nothing fetched
    asked = {r.split("?")[0] for r in server.requests[before:]}
    assert "/kvm/3/info/refs" in asked and not [r for r in asked if "/objects/" in r]


def test_since_without_manifest_stops_at_the_first_older_epoch(
    tmp_path: Path, static_server: Callable[[Path], StaticServer]
) -> None:
    server = static_server(dumb_http_tree(tmp_path))
    result = sync_remote(
        Remote("kvm", server.url("/kvm")), tmp_path / "data", options(since=datetime(2022, 6, 1, tzinfo=UTC))
    )
    assert (result.cloned, result.skipped) == ((1, 2), (0,))


def test_failed_fetch_leaves_no_epoch_and_no_index(
    tmp_path: Path, static_server: Callable[[Path], StaticServer]
) -> None:
    server = static_server(dumb_http_tree(tmp_path))
    remote = Remote("kvm", f"http://alice:s3cret@127.0.0.1:{server.port}/kvm")
    data = tmp_path / "data"
    server.fail("/kvm/1/objects/", 503)  # epoch 1 is listed but its objects never come
    notes: list[str] = []
    with pytest.raises(SyncError) as info:
        sync_remote(remote, data, options(), on_retry=notes.append)
    message = str(info.value)
    assert message.startswith(f"http://***@127.0.0.1:{server.port}/kvm/1: git fetch")
    assert message.endswith("(gave up after 3 attempts)") and len(notes) == 2
    assert not [text for text in [message, *notes] if "s3cret" in text]
    git_root = mirror_path(data, "kvm") / "git"
    assert sorted(p.name for p in git_root.iterdir()) == ["2.git"]  # newest done, 1 not, 0 not tried
    # Once the server recovers, the next sync completes the mirror.
    server.fail("/kvm/1/objects/", 503, times=0)
    assert sync_remote(remote, data, options()).cloned == (0, 1)
