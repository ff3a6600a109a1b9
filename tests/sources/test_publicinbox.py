"""open_archive() detection and PublicInbox layouts (v2, bare epoch, v1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from patchdigest.errors import SourceError
from patchdigest.sources import Mailbox, PublicInbox, open_archive

from .conftest import V2Sample
from .gitrepo import Repo, message, sharded_path


def test_v2_inbox_epochs_in_numeric_order_and_rescanned(v2_sample: V2Sample) -> None:
    archive = open_archive(str(v2_sample.path))
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version, archive.path) == ("sample", 2, v2_sample.path)
    assert [(e.number, e.git_dir.name) for e in archive.epochs()] == [(0, "0.git"), (1, "1.git")]
    assert {e.source for e in archive.epochs()} == {str(v2_sample.path)}
    # A new epoch appears (10.git sorts after 2.git, not between 1 and 2) ...
    Repo(v2_sample.path / "git" / "10.git").add_m(message(10))
    Repo(v2_sample.path / "git" / "2.git")
    (v2_sample.path / "git" / "3.git").mkdir()  # half-made: no HEAD yet, not an epoch
    (v2_sample.path / "git" / "all.git").mkdir()
    assert [e.number for e in archive.epochs()] == [0, 1, 2, 10]
    seqs = [r.prov.seq for e in archive.epochs() for r in e.iter_messages()]
    assert seqs == sorted(seqs) and seqs[-1] == 10 << 32


def test_bare_epoch_inside_an_inbox_layout(v2_sample: V2Sample) -> None:
    archive = open_archive(v2_sample.path / "git" / "1.git")
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version) == ("sample", 2)
    [epoch] = archive.epochs()
    assert (epoch.number, epoch.sharded) == (1, False)
    assert [r.prov.seq for r in epoch.iter_messages()] == [1 << 32, (1 << 32) | 1]


def test_bare_epoch_on_its_own(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mirror.git")
    repo.add_m(message(1))
    repo.commit({"d": message(1)})  # tip tree holds only `d`: still a v2 epoch
    archive = open_archive(repo.git_dir)
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version) == ("mirror", 2)
    assert [e.number for e in archive.epochs()] == [0]


def test_empty_bare_repository_is_an_empty_epoch(tmp_path: Path) -> None:
    archive = open_archive(Repo(tmp_path / "x" / "git" / "4.git").git_dir)
    assert isinstance(archive, PublicInbox)
    assert (archive.name, [e.number for e in archive.epochs()]) == ("x", [4])
    assert list(archive.epochs()[0].iter_messages()) == []


def test_v1_inbox(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "meta.git")
    repo.commit({sharded_path("<msg1@example.org>"): message(1)}, replace_tree=False)
    repo.commit({sharded_path("<msg2@example.org>"): message(2)}, replace_tree=False)
    archive = open_archive(repo.git_dir)
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version) == ("meta", 1)
    [epoch] = archive.epochs()
    assert epoch.sharded
    assert [r.data for r in epoch.iter_messages()] == [message(1), message(2)]


def test_maildir_and_mbox_are_detected(tmp_path: Path) -> None:
    (tmp_path / "md" / "new").mkdir(parents=True)
    (tmp_path / "list.mbox").write_bytes(b"From a@b Mon Jan  1 00:00:00 2024\n" + message(1))
    assert isinstance(open_archive(tmp_path / "md"), Mailbox)
    assert isinstance(open_archive(tmp_path / "list.mbox"), Mailbox)


@pytest.mark.parametrize("name", ["missing", "plain-dir", "git-without-epochs"])
def test_anything_else_is_rejected(tmp_path: Path, name: str) -> None:
    (tmp_path / "plain-dir").mkdir()
    (tmp_path / "git-without-epochs" / "git").mkdir(parents=True)
    with pytest.raises(SourceError) as err:
        open_archive(tmp_path / name)
    assert str(err.value) == f"{tmp_path / name}: not a public-inbox, mbox or Maildir archive"
    with pytest.raises(SourceError):
        PublicInbox(tmp_path / name)
