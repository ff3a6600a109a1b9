"""Fixtures for the sources tests: small synthetic inboxes and the real kvmarm epoch."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .gitrepo import Repo, message

BUNDLE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "kvmarm-0.bundle"
KVMARM_MESSAGES = 21_367


@dataclass
class V2Sample:
    """A v2 inbox: epoch 0 = add, add, delete(first), purged (empty), other-file; epoch 1 = add, add."""

    path: Path
    messages: dict[str, bytes] = field(default_factory=dict)  # commit -> message it adds/deletes
    epoch0: list[str] = field(default_factory=list)
    epoch1: list[str] = field(default_factory=list)


@pytest.fixture
def v2_sample(tmp_path: Path) -> V2Sample:
    sample = V2Sample(tmp_path / "lists" / "sample")
    e0 = Repo(sample.path / "git" / "0.git")
    first, second = message(1), message(2)
    for data, write in ((first, e0.add_m), (second, e0.add_m), (first, e0.delete_d)):
        commit = write(data)
        sample.epoch0.append(commit)
        sample.messages[commit] = data
    sample.epoch0.append(e0.add_m(b""))  # public-inbox-purge leaves an empty blob
    sample.epoch0.append(e0.commit({"README": b"not a message\n"}, replace_tree=False))
    e1 = Repo(sample.path / "git" / "1.git")
    for n in (3, 4):
        commit = e1.add_m(message(n))
        sample.epoch1.append(commit)
        sample.messages[commit] = message(n)
    return sample


@pytest.fixture(scope="session")
def kvmarm_epoch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real epoch ``.../kvmarm/git/0.git`` (bare, read-only use), cloned once per session.

    Reuses the project-wide ``kvmarm_inbox`` fixture when there is one, so a full test
    run clones the bundle once.
    """
    try:
        inbox: Path = request.getfixturevalue("kvmarm_inbox")
        return inbox / "git" / "0.git"
    except pytest.FixtureLookupError:
        pass
    if not BUNDLE.exists():
        pytest.skip(f"real archive not found at {BUNDLE} (it lives in the team's shared/ folder)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git_dir = tmp_path_factory.mktemp("real") / "kvmarm" / "git" / "0.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(BUNDLE), str(git_dir)], check=True)
    return git_dir


def child_pids() -> set[int]:
    """Live children of this process (Linux /proc), zombies included."""
    children: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            children.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            continue
    return children


def open_fds() -> int:
    return len(list(Path("/proc/self/fd").iterdir()))
