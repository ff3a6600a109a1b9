"""build.py: v2 inboxes written without public-inbox, read back through PublicInbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from patchdigest.errors import SourceError
from patchdigest.sources import PublicInbox, open_archive
from patchdigest.sources.build import append_messages, build_v2_inbox, delete_message

from .gitrepo import blob_id, git, message

FOLDED = (
    b"From: =?utf-8?q?J=C3=B6rg_Tester?= <joerg@example.org>\n"
    b"Subject: [PATCH v2 1/2] KVM: arm64: a subject that was\n"
    b" folded over two lines\n"
    b"Date: Tue, 2 Jan 2024 03:04:05 -0800\n"
    b"Message-ID: <folded@example.org>\n\nbody\n"
)
NO_HEADERS = b"\nJust a body, no From, no Date, no Subject.\n"


def _log(git_dir: Path) -> list[str]:
    return git(git_dir, "log", "--reverse", "--format=%an|%ae|%aI|%cn|%ce|%cI|%s").splitlines()


def test_round_trip_through_public_inbox(tmp_path: Path) -> None:
    messages = [message(1), FOLDED, NO_HEADERS]
    dest = build_v2_inbox(tmp_path / "demo", messages, name="demo list", address="demo@example.org")
    assert dest == tmp_path / "demo"
    archive = open_archive(dest)
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version) == ("demo", 2)
    raws = list(archive.epochs()[0].iter_messages())
    assert [r.data for r in raws] == messages
    assert [r.prov.seq for r in raws] == [0, 1, 2]
    assert raws[1].commit_time == datetime(2024, 1, 2, 11, 4, 5, tzinfo=UTC)
    assert _log(dest / "git" / "0.git") == [
        "Tester 1|tester1@example.org|2024-01-02T10:00:00+01:00|demo list|demo@example.org|"
        "2024-01-02T10:00:00+01:00|[PATCH 1/9] thing number 1",
        "Jörg Tester|joerg@example.org|2024-01-02T03:04:05-08:00|demo list|demo@example.org|"
        "2024-01-02T03:04:05-08:00|[PATCH v2 1/2] KVM: arm64: a subject that was folded over two lines",
        "unknown|unknown|1970-01-01T00:00:00+00:00|demo list|demo@example.org|1970-01-01T00:00:00+00:00|",
    ]


def test_same_input_same_commit_ids(tmp_path: Path) -> None:
    messages = [message(n) for n in range(5)]
    a = build_v2_inbox(tmp_path / "a", messages)
    b = build_v2_inbox(tmp_path / "b", iter(messages))  # any iterable, read once
    ids = [PublicInbox(p).epochs()[0].commit_ids() for p in (a, b)]
    assert ids[0] == ids[1] and len(ids[0]) == 5


def test_append_and_delete(tmp_path: Path) -> None:
    dest = build_v2_inbox(tmp_path / "inbox", [message(1), message(2)], epoch=3)
    git_dir = dest / "git" / "3.git"
    [first, second] = PublicInbox(dest).epochs()[0].commit_ids()
    added = append_messages(git_dir, [message(3), message(4)])
    assert len(added) == 2
    assert append_messages(git_dir, []) == []
    by_commit = delete_message(git_dir, first[:10])  # abbreviated ids are fine
    by_blob = delete_message(git_dir, blob_id(message(4)))
    epoch = PublicInbox(dest).epochs()[0]
    assert epoch.number == 3
    assert epoch.commit_ids() == [first, second, *added, by_commit, by_blob]
    raws = list(epoch.iter_messages(after=added[-1]))
    assert [(r.data, r.deleted) for r in raws] == [(message(1), True), (message(4), True)]
    assert raws[0].prov.seq == (3 << 32) | 4
    # The committer identity of the inbox carries over to appended and deletion commits.
    assert {line.split("|")[3] for line in _log(git_dir)} == {"sample"}


def test_second_epoch_and_message_after_a_deletion(tmp_path: Path) -> None:
    dest = build_v2_inbox(tmp_path / "inbox", [message(1)])
    delete_message(dest / "git" / "0.git", blob_id(message(1)))
    append_messages(dest / "git" / "0.git", [message(2)])  # `d` goes, `m` comes back
    build_v2_inbox(dest, [message(3)], epoch=1)
    archive = PublicInbox(dest)
    got = [(r.prov.seq, r.data, r.deleted) for e in archive.epochs() for r in e.iter_messages()]
    assert got == [
        (0, message(1), False),
        (1, message(1), True),
        (2, message(2), False),
        (1 << 32, message(3), False),
    ]


def test_delete_rejects_what_is_not_a_message(tmp_path: Path) -> None:
    dest = build_v2_inbox(tmp_path / "inbox", [message(1)])
    git_dir = dest / "git" / "0.git"
    tree = git(git_dir, "rev-parse", "HEAD^{tree}")
    with pytest.raises(SourceError, match="tree"):
        delete_message(git_dir, tree)
    with pytest.raises(SourceError):
        delete_message(git_dir, "0" * 40)
    with pytest.raises(SourceError):
        delete_message(git_dir, "--all")


def test_a_failing_message_source_leaves_the_epoch_untouched(tmp_path: Path) -> None:
    from .conftest import child_pids

    dest = build_v2_inbox(tmp_path / "inbox", [message(1)])
    git_dir = dest / "git" / "0.git"
    before = PublicInbox(dest).epochs()[0].commit_ids()
    children = child_pids()

    def broken() -> Iterator[bytes]:
        yield message(2)
        raise ValueError("disk on fire")

    with pytest.raises(ValueError, match="disk on fire"):
        append_messages(git_dir, broken())
    assert PublicInbox(dest).epochs()[0].commit_ids() == before
    assert child_pids() == children


def test_odd_sender_is_cleaned_for_git(tmp_path: Path) -> None:
    odd = b'From: "Evil <x>" <evil@example.org>\nSubject: hi\n\nbody\n'
    dest = build_v2_inbox(tmp_path / "inbox", [odd])
    assert _log(dest / "git" / "0.git")[0].startswith("Evil x|evil@example.org|")
