"""--range across epochs and date windows, on a two-epoch inbox built from the corpus."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import MAIL_DIR

from patchdigest.cli import cli
from patchdigest.errors import RangeError
from patchdigest.sources import open_archive
from patchdigest.sources.build import build_v2_inbox
from patchdigest.windows import commit_range

# Epoch 0 holds the v1 series and early mails; epoch 1 the v2 series onwards.
SPLIT = 12


def _commits(git_dir: Path) -> list[str]:
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", "rev-list", "--reverse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[str]]:
    mails = sorted(MAIL_DIR.glob("*.eml"))
    inbox = tmp_path_factory.mktemp("two") / "lkml"
    build_v2_inbox(inbox, (p.read_bytes() for p in mails[:SPLIT]), name="lkml", epoch=0)
    build_v2_inbox(inbox, (p.read_bytes() for p in mails[SPLIT:]), name="lkml", epoch=1)
    return inbox, _commits(inbox / "git" / "0.git"), _commits(inbox / "git" / "1.git")


def _subjects(text: str) -> list[str]:
    section = text.split("===== Patch Commit Messages ====\n\n", 1)[1]
    return [e.strip("\n").split("\n")[1] for e in section.split("\n" + "-" * 70 + "\n") if e.strip()]


def test_range_crosses_epochs(two_epochs: tuple[Path, list[str], list[str]], tmp_path: Path) -> None:
    inbox, e0, e1 = two_epochs
    a, b = e0[8][:10], e1[3][:7]  # abbreviated, as users paste them
    result = CliRunner().invoke(cli, ["report", str(inbox), "--db", str(tmp_path / "i.sqlite"), "--range", f"{a}..{b}"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"From {e0[8][:9]} to {e1[3][:9]}\n")
    subjects = _subjects(result.stdout)
    # After commit 8 of epoch 0 (exclusive) through commit 3 of epoch 1 (inclusive): mails
    # 0010..0016; the v2 cover (0012, end of epoch 0) and its 1/3 (epoch 1's first) are in.
    assert "[PATCH v2 0/3] KVM: arm64: Rate-limit unhandled system register warnings" in subjects
    assert "[PATCH v2 1/3] KVM: arm64: Move the sysreg trace helper to sys_regs.h" in subjects
    assert not any(s.startswith("[PATCH 1/2]") for s in subjects)  # v1 is before A


def test_range_selection_seqs(two_epochs: tuple[Path, list[str], list[str]]) -> None:
    inbox, e0, e1 = two_epochs
    archive = open_archive(inbox)
    sel = commit_range(archive, f"{e0[2]}..{e1[0]}")
    assert sel.seq_range == (2, (1 << 32) | 0)
    open_start = commit_range(archive, f"..{e0[0]}")
    assert open_start.seq_range == (-1, 0)
    open_end = commit_range(archive, f"{e1[-1]}..")
    assert open_end.seq_range == ((1 << 32) | (len(e1) - 1), (1 << 32) | (len(e1) - 1))


def test_reversed_and_unknown_ranges_are_errors(two_epochs: tuple[Path, list[str], list[str]]) -> None:
    inbox, e0, e1 = two_epochs
    archive = open_archive(inbox)
    with pytest.raises(RangeError, match="comes before"):
        commit_range(archive, f"{e1[2]}..{e0[2]}")
    with pytest.raises(RangeError, match="not in the archive"):
        commit_range(archive, "0123456789..")
    with pytest.raises(RangeError, match="not a range"):
        commit_range(archive, e0[1])


def test_day_window_uses_utc_and_tz(two_epochs: tuple[Path, list[str], list[str]], tmp_path: Path) -> None:
    inbox, _, _ = two_epochs
    db = str(tmp_path / "i.sqlite")
    utc = CliRunner().invoke(cli, ["report", str(inbox), "--db", db, "--day", "2021-03-10"])
    assert utc.exit_code == 0, utc.output
    assert utc.stdout.startswith("From 2021-03-10 to 2021-03-10\n")
    # Twelve hours east, the same calendar day starts earlier in UTC: the selection moves.
    args = ["report", str(inbox), "--db", db, "--day", "2021-03-10", "--tz", "Pacific/Auckland"]
    east = CliRunner().invoke(cli, args)
    assert east.exit_code == 0, east.output
    assert _subjects(utc.stdout) != _subjects(east.stdout)
    bad = CliRunner().invoke(cli, ["report", str(inbox), "--db", db, "--day", "2021-03-10", "--tz", "Mars/Olympus"])
    assert bad.exit_code == 2 and "unknown time zone" in bad.stderr
