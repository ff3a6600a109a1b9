"""A public-inbox archive: a v2 inbox (``INBOX/git/N.git``), one bare v2 epoch, or a v1 inbox."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from ..errors import SourceError
from ._git import run_git
from .gitepoch import GitEpoch

_EPOCH_DIR = re.compile(r"(\d+)\.git")


class Layout(Enum):
    V2 = "v2"  # INBOX/git/0.git, INBOX/git/1.git, ...
    BARE_EPOCH = "bare-epoch"  # one epoch on its own, e.g. `git clone --mirror x.bundle 0.git`
    V1 = "v1"  # one bare repository, messages at sharded paths "ab/cdef..."


def epoch_dirs(inbox: Path) -> list[tuple[int, Path]]:
    """``(N, INBOX/git/N.git)`` in numeric order (so 10.git comes after 9.git)."""
    git = inbox / "git"
    found = []
    try:
        entries = list(git.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _EPOCH_DIR.fullmatch(entry.name)
        # HEAD is written first by `git init`: an epoch still being created is skipped
        # until it has one rather than read half-made.
        if match and (entry / "HEAD").is_file():
            found.append((int(match.group(1)), entry))
    return sorted(found)


def is_bare_repo(path: Path) -> bool:
    return (path / "objects").is_dir() and (path / "HEAD").is_file()


def detect_layout(path: Path) -> Layout | None:
    """Which public-inbox layout ``path`` has, or None if it is not one."""
    if not path.is_dir():
        return None
    if epoch_dirs(path):
        return Layout.V2
    if not is_bare_repo(path):
        return None
    tip = GitEpoch(path).tip()
    if tip is None:
        # An empty repository: a freshly mirrored epoch with nothing in it yet; v1
        # inboxes are created together with their first message.
        return Layout.BARE_EPOCH
    names = run_git(path, ["ls-tree", "--name-only", tip], where=f"{path} commit {tip}").stdout.split()
    return Layout.BARE_EPOCH if (b"m" in names or b"d" in names) else Layout.V1


def _bare_epoch_number(path: Path) -> int:
    match = _EPOCH_DIR.fullmatch(path.name)
    return int(match.group(1)) if match else 0


def _inbox_name(path: Path, layout: Layout) -> str:
    if layout is Layout.V2:
        return path.name
    # kvmarm/git/0.git -> "kvmarm"; lists/foo.git -> "foo"
    if layout is Layout.BARE_EPOCH and _EPOCH_DIR.fullmatch(path.name) and path.parent.name == "git":
        return path.parent.parent.name
    return path.name.removesuffix(".git")


class PublicInbox:
    """A public-inbox archive; ``epochs()`` lists its git repositories in archive order."""

    def __init__(self, path: str | Path, *, source: str | None = None) -> None:
        self.source = source if source is not None else str(path)
        self.path = Path(path)
        layout = detect_layout(self.path)
        if layout is None:
            raise SourceError("not a public-inbox archive", where=self.source)
        self.layout = layout
        # resolve(): a path given as "." or "kvmarm/" still gets a real name.
        self.name = _inbox_name(self.path.resolve(), layout)
        self.version = 1 if layout is Layout.V1 else 2

    def __repr__(self) -> str:
        return f"PublicInbox({self.source!r}, {self.layout.value})"

    def epochs(self) -> list[GitEpoch]:
        """The repositories to read, oldest first; re-scanned on every call."""
        if self.layout is Layout.V2:
            return [GitEpoch(git_dir, number, self.source) for number, git_dir in epoch_dirs(self.path)]
        if self.layout is Layout.V1:
            return [GitEpoch(self.path, 0, self.source, sharded=True)]
        return [GitEpoch(self.path, _bare_epoch_number(self.path.resolve()), self.source)]
