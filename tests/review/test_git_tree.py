"""--git-tree: a commit whose diff has a patch email's patch id confirms it was applied."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from patchdigest.analyze.annotate import annotate_series
from patchdigest.analyze.series import assemble
from patchdigest.errors import SourceError
from patchdigest.review import tree_patch_ids

from .mails import series

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}  # fmt: skip
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout  # fmt: skip


def _source(n: int, new: bool, name: str) -> str:
    call = "new_call" if new else "old_call"
    lines = [f"/* line {i} */" for i in range(1, 10)]
    return "\n".join([*lines, f"static int {name}(void)", "{", "\tint ret;", f"\tret = {call}({n});",
                      "\treturn ret;", "}", "/* end */", ""])  # fmt: skip


def test_tree_confirms_applied_patch(tmp_path: Path) -> None:
    repo = tmp_path / "linux"
    (repo / "arch" / "arm64" / "kvm").mkdir(parents=True)
    _git(repo, "init", "-q")
    f1 = repo / "arch" / "arm64" / "kvm" / "f1.c"
    f2 = repo / "arch" / "arm64" / "kvm" / "f2.c"
    f1.write_text(_source(1, False, "f1_c"))
    f2.write_text(_source(2, False, "f2_c"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    f1.write_text(_source(1, True, "f1_c"))  # what patch 1/2 of the mail series changes
    _git(repo, "commit", "-q", "-am", "KVM: arm64: Fix one")
    applied = _git(repo, "rev-parse", "HEAD").strip()

    ids = tree_patch_ids(repo)
    assert applied in ids.values() and len(set(ids.values())) == 2  # the base commit has a diff too

    s = series("g", ["KVM: arm64: Fix one", "KVM: arm64: Fix two"], cover_title="KVM: arm64: Two fixes")
    got = annotate_series(assemble(s), [], tree=ids)[s[0].message.original_msgid]
    assert got.status.state == "applied"
    assert got.status.confirmed == ((1, applied),)
    assert got.status.applied_patches == (1,)
    assert got.summary == "[applied A:0 R:0 T:0] applied (1/2), in tree"
    assert tree_patch_ids(repo, limit=1) == {k: v for k, v in ids.items() if v == applied}


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="git log failed"):
        tree_patch_ids(tmp_path)
