"""One git repository of a public-inbox archive: a v2 epoch ``git/N.git`` or a v1 inbox.

The history is linear on ``refs/heads/master``, one commit per message, so a position
in the archive is a commit id and its ordinal (commits counted from the root, 0-based).
Everything here reads the repository through git itself; nothing is cached between
calls, so a repository that grows (or is rewritten by a purge) is seen as it is now.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from pathlib import Path

from ..errors import SourceError
from ..models import Provenance, RawMessage
from ._git import ABBREV_HEX, FULL_HEX, run_git
from ._logstream import stream_commits

# `git rev-parse --verify -q` exits 1 for "no such ref" and 128 when the repository
# itself is unusable; only the former means "empty repository".
_NOT_FOUND = 1


class GitEpoch:
    """A bare repository holding messages, read in archive order.

    ``sharded`` selects the v1 layout (each message at ``ab/cdef...``, deleted by removing
    its path); otherwise the v2 layout (file ``m``, deletions as file ``d``).
    """

    def __init__(
        self, git_dir: str | Path, number: int = 0, source: str | None = None, *, sharded: bool = False
    ) -> None:
        self.git_dir = Path(git_dir)
        self.number = number
        self.source = source if source is not None else str(git_dir)
        self.sharded = sharded

    def __repr__(self) -> str:
        layout = "v1" if self.sharded else "v2"
        return f"GitEpoch({str(self.git_dir)!r}, number={self.number}, {layout})"

    def _where(self, commit: str | None = None) -> str:
        return f"{self.git_dir} commit {commit}" if commit else str(self.git_dir)

    def _git(self, args: list[str], *, commit: str | None = None, ok: tuple[int, ...] = (0,)) -> tuple[int, str]:
        proc = run_git(self.git_dir, args, where=self._where(commit), ok_codes=ok)
        return proc.returncode, proc.stdout.decode("ascii", "replace").strip()

    def tip(self) -> str | None:
        """Full hex id of ``refs/heads/master`` (``HEAD`` when there is no master); None if empty."""
        for ref in ("refs/heads/master", "HEAD"):
            code, out = self._git(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], ok=(0, _NOT_FOUND))
            if code == 0:
                return out
        return None

    def is_ancestor(self, commit: str, of: str | None = None) -> bool:
        """True if ``commit`` exists and is ``of`` (default: the tip) or one of its ancestors.

        After a history rewrite the old commits usually still exist but are no longer
        ancestors of the tip: that is what this answers False to.
        """
        commit = commit.lower()
        target = of.lower() if of is not None else self.tip()
        if target is None or not _is_hex(commit) or not _is_hex(target):
            return False
        # 128 = "Not a valid commit name" (missing object, or a blob/tree id).
        code, _ = self._git(["merge-base", "--is-ancestor", commit, target], commit=commit, ok=(0, 1, 128))
        return code == 0

    def count(self, commit: str) -> int:
        """Number of commits from the root up to and including ``commit``."""
        commit = commit.lower()
        if not _is_hex(commit):
            raise SourceError(f"not a commit id: {commit!r}", where=self._where())
        _, out = self._git(["rev-list", "--count", commit, "--"], commit=commit)
        return int(out)

    def count_new(self, tip: str, after: str | None = None, *, limit: int | None = None) -> int:
        """Commits after ``after`` (None: from the root) up to ``tip``; at most ``limit``.

        Walks only the new commits (an hourly run over a 10^6-message epoch reads a
        handful, not the whole history), and a ``limit`` stops the walk early: "are there
        at least 2,000?" costs ~10 ms where a full count of kvmarm costs ~100.
        """
        revs = [tip.lower()] + ([f"^{after.lower()}"] if after is not None else [])
        if not all(_is_hex(rev.lstrip("^")) for rev in revs):
            raise SourceError(f"not a commit id: {revs!r}", where=self._where())
        limits = [f"--max-count={limit}"] if limit is not None else []
        _, out = self._git(["rev-list", "--count", *limits, *revs, "--"], commit=tip)
        return int(out)

    def resolve(self, rev: str) -> str | None:
        """Full hex id for an abbreviated or full commit id reachable from the tip, else None.

        A prefix matching several reachable commits raises SourceError naming it. A prefix
        that also matches blobs, trees or commits dropped by a rewrite is not ambiguous
        here: only commits of the current history count.
        """
        prefix = rev.strip().lower()
        tip = self.tip()
        if tip is None or not ABBREV_HEX.fullmatch(prefix):
            return None
        # --disambiguate lists every object with that prefix, whatever its type.
        _, out = self._git(["rev-parse", f"--disambiguate={prefix}"])
        candidates = out.split()
        if len(candidates) > 1:
            candidates = self._commits_only(candidates)
        found = [oid for oid in candidates if self.is_ancestor(oid, tip)]
        if len(found) > 1:
            raise SourceError(f"commit prefix {prefix} is ambiguous ({', '.join(sorted(found))})", where=self._where())
        return found[0] if found else None

    def _commits_only(self, oids: list[str]) -> list[str]:
        # One batch-check for all candidates: a short prefix in a big epoch can match
        # dozens of blobs and trees, each of which would otherwise cost a merge-base run.
        proc = run_git(
            self.git_dir,
            ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            where=self._where(),
            stdin="".join(f"{oid}\n" for oid in oids).encode("ascii"),
        )
        lines = proc.stdout.decode("ascii", "replace").splitlines()
        return [line.split()[0] for line in lines if line.endswith(" commit")]

    def commit_ids(self) -> list[str]:
        """Every commit of the current history, root first (to spot a rewrite)."""
        tip = self.tip()
        if tip is None:
            return []
        _, out = self._git(["rev-list", "--reverse", "--topo-order", tip, "--"], commit=tip)
        return out.split()

    def iter_messages(
        self, after: str | None = None, start_ordinal: int | None = None, *, read_blobs: bool = True
    ) -> Generator[RawMessage, None, None]:
        """Every commit after ``after`` (exclusive; None: from the root) up to the tip, oldest first.

        ``seq = number << 32 | ordinal`` where the first commit yielded has ordinal
        ``start_ordinal``; left as None it is computed as ``count(after)`` (0 from the root).

        What each commit yields:

        * ``m`` added or modified: the message, ``deleted=False``;
        * ``d`` added (v2) or a sharded path removed (v1): ``deleted=True`` and ``data`` is
          the removed message, ``prov.blob`` its blob;
        * anything else (a commit touching other files) and any empty blob (a purged
          message): ``data=b""``. Callers count ``data == b""`` as skipped; ``deleted``
          still says whether the commit was a deletion.

        ``read_blobs=False`` reads only the history: ``data`` is always b"" and ``prov.blob``
        names the blob, for a caller that reads blobs itself (see ``catfile.BlobReader``).

        The tip is read once, when iteration starts: commits added meanwhile wait for the
        next call. Raises SourceError if ``after`` is not in the current history (the
        archive was rewritten: compare ``commit_ids()`` and start over).
        """
        tip = self.tip()
        if tip is None:
            return
        ordinal = 0 if start_ordinal is None else start_ordinal
        if after is not None:
            after = after.lower()
            if not FULL_HEX.fullmatch(after):
                raise SourceError(f"not a full commit id: {after!r}", where=self._where())
            if not self.is_ancestor(after, tip):
                raise SourceError(
                    f"commit {after} is not in the history of {tip} (rewritten?)", where=self._where(after)
                )
            if after == tip:
                return
            if start_ordinal is None:
                ordinal = self.count(after)
        stream = stream_commits(self.git_dir, tip, after, sharded=self.sharded, read_blobs=read_blobs)
        with contextlib.closing(stream):
            for item, data in stream:
                prov = Provenance(
                    source=self.source,
                    seq=self.number << 32 | ordinal,
                    epoch=self.number,
                    commit=item.commit,
                    blob=item.blob,
                )
                yield RawMessage(data=data, prov=prov, commit_time=item.time, deleted=item.deleted)
                ordinal += 1


def _is_hex(rev: str) -> bool:
    # Only object ids reach git: a value like "--all" must never be read as an option.
    return ABBREV_HEX.fullmatch(rev) is not None
