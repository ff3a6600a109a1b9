"""GitEpoch against small repositories written with git plumbing."""

from __future__ import annotations

import gc
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from patchdigest.errors import SourceError
from patchdigest.sources import GitEpoch

from .conftest import V2Sample, child_pids, open_fds
from .gitrepo import Repo, blob_id, git, message

EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def test_v2_epoch_yields_every_commit_in_order(v2_sample: V2Sample) -> None:
    epoch = GitEpoch(v2_sample.path / "git" / "0.git", 0, "lists/sample")
    raws = list(epoch.iter_messages())
    assert [r.prov.commit for r in raws] == v2_sample.epoch0
    assert [r.prov.seq for r in raws] == [0, 1, 2, 3, 4]
    assert {r.prov.source for r in raws} == {"lists/sample"}
    assert {r.prov.epoch for r in raws} == {0}
    added1, added2, deleted, purged, other = raws
    assert (added1.data, added1.deleted) == (message(1), False)
    assert (added2.data, added2.deleted) == (message(2), False)
    assert added1.prov.blob == blob_id(message(1))
    # The `d` commit carries the very blob its `m` had.
    assert (deleted.data, deleted.deleted, deleted.prov.blob) == (message(1), True, added1.prov.blob)
    # Purged message and a commit with no message: empty data, counted as skipped by callers.
    assert (purged.data, purged.deleted, purged.prov.blob) == (b"", False, EMPTY_BLOB)
    assert (other.data, other.deleted, other.prov.blob) == (b"", False, None)


def test_commit_time_is_the_author_date_with_its_offset(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "0.git")
    repo.add_m(message(1))
    repo.commit({"m": message(2)}, tz="-0700")
    times = [r.commit_time for r in GitEpoch(repo.git_dir).iter_messages()]
    assert times[0] == datetime.fromtimestamp(repo.clock - 60, tz=UTC)
    assert times[1] is not None and times[1].utcoffset() == timedelta(hours=-7)
    assert times[1] == datetime.fromtimestamp(repo.clock, tz=UTC)


def test_second_epoch_seq_has_the_epoch_in_the_high_bits(v2_sample: V2Sample) -> None:
    epoch = GitEpoch(v2_sample.path / "git" / "1.git", 1)
    raws = list(epoch.iter_messages())
    assert [r.prov.seq for r in raws] == [1 << 32, (1 << 32) | 1]
    assert [r.data for r in raws] == [message(3), message(4)]


def test_tip_count_and_commit_ids(v2_sample: V2Sample) -> None:
    epoch = GitEpoch(v2_sample.path / "git" / "0.git")
    assert epoch.tip() == v2_sample.epoch0[-1]
    assert epoch.commit_ids() == v2_sample.epoch0
    assert [epoch.count(c) for c in v2_sample.epoch0] == [1, 2, 3, 4, 5]


def test_count_new_walks_the_range_and_stops_at_the_limit(v2_sample: V2Sample) -> None:
    epoch = GitEpoch(v2_sample.path / "git" / "0.git")
    commits = v2_sample.epoch0
    tip = commits[-1]
    assert epoch.count_new(tip) == 5
    assert [epoch.count_new(tip, c) for c in commits] == [4, 3, 2, 1, 0]
    assert epoch.count_new(tip, limit=3) == 3
    assert epoch.count_new(tip, commits[3], limit=3) == 1
    assert epoch.count_new(commits[2], commits[0]) == 2
    with pytest.raises(SourceError, match="not a commit id"):
        epoch.count_new("--all")


def test_iter_after_a_commit_continues_the_ordinals(v2_sample: V2Sample) -> None:
    epoch = GitEpoch(v2_sample.path / "git" / "0.git")
    after = v2_sample.epoch0[1]
    raws = list(epoch.iter_messages(after=after))
    assert [r.prov.commit for r in raws] == v2_sample.epoch0[2:]
    assert [r.prov.seq for r in raws] == [2, 3, 4]
    # The caller's own ordinal wins (it may have it from its cursor already).
    assert [r.prov.seq for r in epoch.iter_messages(after=after, start_ordinal=epoch.count(after))] == [
        2,
        3,
        4,
    ]
    assert list(epoch.iter_messages(after=v2_sample.epoch0[-1])) == []


def test_empty_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "0.git")
    epoch = GitEpoch(repo.git_dir)
    assert epoch.tip() is None
    assert epoch.commit_ids() == []
    assert list(epoch.iter_messages()) == []
    assert epoch.resolve("abcd") is None
    assert not epoch.is_ancestor("a" * 40)


def test_head_is_used_when_there_is_no_master(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "0.git", branch="main")
    commit = repo.commit({"m": message(1)}, ref="refs/heads/main")
    epoch = GitEpoch(repo.git_dir)
    assert epoch.tip() == commit
    assert [r.data for r in epoch.iter_messages()] == [message(1)]


def test_v1_sharded_adds_and_deletion(tmp_path: Path) -> None:
    from .gitrepo import sharded_path

    repo = Repo(tmp_path / "v1.git")
    paths = [sharded_path(f"<msg{n}@example.org>") for n in (1, 2)]
    c1 = repo.commit({paths[0]: message(1)}, replace_tree=False)
    c2 = repo.commit({paths[1]: message(2)}, replace_tree=False)
    c3 = repo.commit({paths[0]: None}, replace_tree=False)
    c4 = repo.commit({"ssoma.index": b"x\n"}, replace_tree=False)
    raws = list(GitEpoch(repo.git_dir, sharded=True).iter_messages())
    assert [r.prov.commit for r in raws] == [c1, c2, c3, c4]
    assert [(r.data, r.deleted) for r in raws] == [
        (message(1), False),
        (message(2), False),
        (message(1), True),
        (b"", False),
    ]
    assert raws[2].prov.blob == raws[0].prov.blob


def _history_with_rewrite(tmp_path: Path) -> tuple[Repo, list[str], list[str]]:
    """master A-B-C, then rewritten to A-B'-C' (B purged) and master forced there."""
    repo = Repo(tmp_path / "0.git")
    old = [repo.add_m(message(n)) for n in (1, 2, 3)]
    b2 = repo.commit({"m": b""}, ref="refs/heads/rewrite", parent=old[0])
    c2 = repo.commit({"m": message(3)}, ref="refs/heads/rewrite")
    repo.git("update-ref", "refs/heads/master", c2)
    repo.git("update-ref", "-d", "refs/heads/rewrite")
    return repo, old, [old[0], b2, c2]


def test_is_ancestor_after_history_rewrite(tmp_path: Path) -> None:
    repo, old, new = _history_with_rewrite(tmp_path)
    epoch = GitEpoch(repo.git_dir)
    assert epoch.tip() == new[-1]
    assert epoch.is_ancestor(new[0]) and epoch.is_ancestor(new[1]) and epoch.is_ancestor(new[2])
    assert not epoch.is_ancestor(old[1])  # still in the object store, no longer in history
    assert not epoch.is_ancestor(old[2])
    assert epoch.is_ancestor(old[0], of=old[2])
    assert not epoch.is_ancestor("0" * 40)  # missing object
    assert not epoch.is_ancestor(blob_id(message(1)))  # a blob is nobody's ancestor
    assert not epoch.is_ancestor("--all")  # never passed to git as an option
    assert epoch.commit_ids() == new
    with pytest.raises(SourceError, match="not in the history"):
        list(epoch.iter_messages(after=old[2]))


def test_resolve_full_abbreviated_unknown(tmp_path: Path) -> None:
    repo, old, new = _history_with_rewrite(tmp_path)
    epoch = GitEpoch(repo.git_dir)
    assert epoch.resolve(new[1]) == new[1]
    assert epoch.resolve(new[1][:7]) == new[1]
    assert epoch.resolve(new[1][:7].upper()) == new[1]
    assert epoch.resolve(old[2]) is None  # exists, but rewritten away
    assert epoch.resolve(blob_id(message(1))) is None  # a blob, not a commit
    assert epoch.resolve("deadbeef" * 5) is None
    assert epoch.resolve("abc") is None  # shorter than git's minimum abbreviation
    assert epoch.resolve("HEAD") is None  # hex ids only
    assert epoch.resolve("not hex") is None


def _commit_object(tree: str, parent: str, n: int) -> bytes:
    return (
        f"tree {tree}\nparent {parent}\n"
        f"author Tester <t@example.org> 1700000000 +0000\n"
        f"committer Inbox <i@example.org> 1700000000 +0000\n\nfiller {n}\n"
    ).encode()


def _oid(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def test_resolve_ignores_irrelevant_matches_and_rejects_real_ambiguity(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "0.git")
    root = repo.add_m(message(1))
    target = repo.add_m(message(2))
    prefix = target[:4]
    # A blob and an unreachable commit sharing the prefix: git alone would call it ambiguous.
    n = 0
    while _oid("blob", b"%d\n" % n)[:4] != prefix:
        n += 1
    assert repo.git("hash-object", "-w", "--stdin", stdin=b"%d\n" % n).startswith(prefix)
    tree = repo.git("rev-parse", f"{root}^{{tree}}")
    n = 0
    while _oid("commit", _commit_object(tree, root, n))[:4] != prefix:
        n += 1
    stray = repo.git("hash-object", "-t", "commit", "-w", "--stdin", stdin=_commit_object(tree, root, n))
    assert stray.startswith(prefix) and stray != target
    epoch = GitEpoch(repo.git_dir)
    assert epoch.resolve(prefix) == target
    # Now make the stray commit part of the history: two reachable commits share the prefix.
    n += 1
    while _oid("commit", _commit_object(tree, stray, n))[:4] != prefix:
        n += 1
    descendant = repo.git("hash-object", "-t", "commit", "-w", "--stdin", stdin=_commit_object(tree, stray, n))
    repo.git("update-ref", "refs/heads/master", descendant)
    epoch.resolve(stray)  # full ids are never ambiguous
    with pytest.raises(SourceError, match=f"ambiguous.*{prefix}|{prefix}.*ambiguous"):
        epoch.resolve(prefix)


def test_missing_blob_is_a_source_error_naming_the_commit(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "0.git")
    first = repo.add_m(message(1))
    missing = "1" * 40
    tree = repo.git("mktree", "--missing", stdin=f"100644 blob {missing}\tm\n".encode())
    commit = repo.git("commit-tree", tree, "-p", first, "-m", "broken")
    repo.git("update-ref", "refs/heads/master", commit)
    children = child_pids()
    raws = GitEpoch(repo.git_dir).iter_messages()
    assert next(raws).data == message(1)
    with pytest.raises(SourceError) as err:
        next(raws)
    assert commit in str(err.value) and str(repo.git_dir) in str(err.value)
    assert child_pids() == children  # the error path cleans up too


def test_not_a_repository_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=str(tmp_path)):
        GitEpoch(tmp_path).tip()


def _big_epoch(tmp_path: Path, count: int = 60) -> Path:
    # Enough data (~3 MB) that cat-file is still writing when the reader stops early.
    repo = Repo(tmp_path / "big.git")
    stream = []
    filler = "x" * 50_000 + "\n"
    for n in range(count):
        data = message(n, body=filler)
        stream += [
            b"commit refs/heads/master",
            f"committer I <i@example.org> {1_700_000_000 + n} +0000".encode(),
            b"data 2",
            b"m\n",
            b"deleteall",
            b"M 100644 inline m",
            b"data %d" % len(data),
            data,
        ]
    git(repo.git_dir, "fast-import", "--quiet", stdin=b"\n".join(stream) + b"\n")
    return repo.git_dir


@pytest.mark.parametrize("how", ["close", "garbage"])
def test_early_close_leaves_no_child_process_or_fd(tmp_path: Path, how: str) -> None:
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc")
    git_dir = _big_epoch(tmp_path)
    epoch = GitEpoch(git_dir)
    epoch.tip()
    children, fds = child_pids(), open_fds()
    raws = epoch.iter_messages()
    assert next(raws).data.startswith(b"From: Tester 0")
    assert child_pids() - children  # git log and git cat-file are running
    if how == "close":
        raws.close()
    else:
        del raws
        gc.collect()
    assert child_pids() == children
    assert open_fds() == fds
    # ... and a full read still works afterwards.
    assert sum(1 for _ in epoch.iter_messages()) == 60
    assert child_pids() == children
    assert open_fds() == fds


def test_tiny_chunks_and_queue_still_stream_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One commit per hand-off and a queue of one: the tightest coupling between the
    # feeder thread, cat-file and the consumer, with data larger than any pipe buffer.
    from patchdigest.sources import _git, _logstream

    monkeypatch.setattr(_logstream, "_CHUNK", 1)
    monkeypatch.setattr(_logstream, "_QUEUE_DEPTH", 1)
    monkeypatch.setattr(_git, "_F_SETPIPE_SZ", None)  # default 64 KiB pipes
    raws = list(GitEpoch(_big_epoch(tmp_path)).iter_messages())
    assert [r.prov.seq for r in raws] == list(range(60))
    assert all(r.data.startswith(b"From: Tester %d " % n) for n, r in enumerate(raws))
