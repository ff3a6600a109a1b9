"""Issue 2 acceptance on the real kvmarm archive: the text "mailing list update".

The expected counts come from an independent reading of the same commits with the
stdlib ``email`` package (not patchdigest's parser), so a parser bug cannot hide itself.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
from collections import Counter
from email.utils import parseaddr
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest.cli import cli

pytestmark = pytest.mark.realarchive

# Ranges in archive order (abbreviated commit ids of the kvmarm epoch): 2021-03-10 and the
# weeks around it, and one from 2019 with many stable/AUTOSEL sends.
RANGES = [
    ("07f92d8c", "9df3e071"),
    ("4cefd3af", "31dec037"),
]


def _git(inbox: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={inbox / 'git' / '0.git'}", *args], capture_output=True, check=True, text=True
    ).stdout


def _range_commits(inbox: Path, a: str, b: str) -> list[str]:
    return _git(inbox, "rev-list", "--reverse", f"{a}..{b}").split()


def _independent(inbox: Path, a: str, b: str) -> tuple[Counter[str], Counter[str], list[str]]:
    """Authors and domains of the patch/cover/pull emails in a range, read with email.parser."""
    people: Counter[str] = Counter()
    domains: Counter[str] = Counter()
    subjects: list[str] = []
    seen: set[str] = set()
    for commit in _range_commits(inbox, a, b):
        raw = subprocess.run(
            ["git", f"--git-dir={inbox / 'git' / '0.git'}", "show", f"{commit}:m"],
            capture_output=True,
        ).stdout
        if not raw:
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = " ".join(str(msg.get("Subject", "")).split())
        if re.match(r"(?i)^(re|aw|fwd?|sv)\s*:", subject):
            continue
        mid = str(msg.get("Message-ID", "")).strip()
        if mid and mid in seen:
            continue
        body_part = msg.get_body(preferencelist=("plain",))
        body = body_part.get_content() if body_part is not None else ""
        tagged = re.match(r"^\[[^\]]*\b(PATCH|RFC|PULL)\b", subject, re.I)
        has_diff = re.search(r"^diff --git ", body, re.M) is not None
        if not (tagged or has_diff or "The following changes since commit" in body):
            continue
        seen.add(mid)
        first = body.lstrip("\n").split("\n", 1)[0]
        if first.startswith("From:"):
            _, addr = parseaddr(first[5:])
        else:
            _, addr = parseaddr(str(msg.get("X-Original-From") or msg.get("From")))
        addr = addr.lower()
        people[addr] += 1
        domains[addr.rpartition("@")[2]] += 1
        subjects.append(subject)
    return people, domains, subjects


def _report(inbox: Path, db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["report", str(inbox), "--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize(("a", "b"), RANGES)
def test_counts_equal_an_independent_count(kvmarm_inbox: Path, kvmarm_db: Path, a: str, b: str) -> None:
    text = _report(kvmarm_inbox, kvmarm_db, "--range", f"{a}..{b}", "--top", "1000")
    people, domains, subjects = _independent(kvmarm_inbox, a, b)
    assert subjects, "the range must hold patch emails"

    domain_block = text.split("(Based on Email Body)\n\n", 1)[1].split("\n\n", 1)[0]
    got_domains = {line[8:]: int(line[:7]) for line in domain_block.splitlines()}
    assert got_domains == dict(domains)

    people_block = text.split("Top 1000 contributors (Based on Email Body)\n\n", 1)[1].split("\n\n", 1)[0]
    got_people: dict[str, int] = {}
    for line in people_block.splitlines():
        assert re.fullmatch(r"[ \d]{7}  .+ <[^<>]+>|[ \d]{7}  <[^<>]+>", line), line
        got_people[line.rsplit("<", 1)[1].rstrip(">")] = int(line[:7])
    assert got_people == dict(people)

    # Every counted email appears exactly once in the commit messages section.
    section = text.split("===== Patch Commit Messages ====\n\n", 1)[1]
    entries = section.split("\n----------------------------------------------------------------------\n")
    full_subjects = [e.strip("\n").split("\n")[1] for e in entries if e.strip()]
    assert sorted(full_subjects) == sorted(subjects)


def test_in_body_from_is_the_author(kvmarm_inbox: Path, kvmarm_db: Path) -> None:
    text = _report(kvmarm_inbox, kvmarm_db, "--since", "2021-03-10", "--until", "2021-03-10")
    entry = text.split("[PATCH V2] arm64/mm: Fix __enable_mmu() for new TGRAN range values\nAuthor: ", 1)[1]
    assert entry.startswith("James Morse <james.morse@arm.com>\n")
    assert "anshuman.khandual@arm.com" not in text.split("===== Patch list", 1)[0]


def test_layout_no_diff_single_spaces(kvmarm_inbox: Path, kvmarm_db: Path) -> None:
    text = _report(kvmarm_inbox, kvmarm_db, "--range", "4cefd3af..31dec037")
    lines = text.split("\n")
    assert lines[0] == "From 4cefd3af5 to 31dec0376"
    assert lines[1] == "KVMARM mailing list update from 4cefd3af5 to 31dec0376"
    assert lines[3] == "Top 15 contributor Email domains (Based on Email Body)"
    for line in lines:
        assert not line.startswith(("diff --git", "@@ ", "+++ b/", "index ")), line
    for line in lines:
        if line.startswith("New:  "):
            assert "  " not in line[6:], line
    assert "default IPA size is unsupported" in text
    assert "default IPA  size" not in text
    # The patch list is no longer empty: the stage 2 series is one line, 34/34 with its cover.
    plist = text.split("===== Patch list in this time period =====\n\n", 1)[1].split("=====", 1)[0]
    assert "[PATCH v4 00/34] KVM: arm64: A stage 2 for the host -- Quentin Perret <qperret@google.com> (34/34)" in plist
    # cover letter first, then 01..34 in order
    section = text.split("===== Patch Commit Messages ====", 1)[1]
    order = re.findall(r"^\[PATCH v4 (\d+)/34\]", section, re.M)
    assert order == [f"{n:02d}" for n in range(35)]


def test_reruns_are_byte_identical(kvmarm_inbox: Path, kvmarm_db: Path, tmp_path: Path) -> None:
    first = _report(kvmarm_inbox, kvmarm_db, "--range", "07f92d8c..9df3e071")
    second = _report(kvmarm_inbox, kvmarm_db, "--range", "07f92d8c..9df3e071")
    assert first == second


def test_unknown_commit_is_a_clear_error(kvmarm_inbox: Path, kvmarm_db: Path) -> None:
    args = ["report", str(kvmarm_inbox), "--db", str(kvmarm_db), "--range", "deadbeef..9df3e071"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "commit 'deadbeef' is not in the archive" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
