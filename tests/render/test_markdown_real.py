"""Acceptance on the real kvmarm archive: the Markdown digest of 2021-03-10 (issue 3).

Facts only (titles, authors, counts); no text of the archive is stored in the repository.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from patchdigest.cli import cli
from patchdigest.render.markdown import md_inline
from patchdigest.schema import load_schema

pytestmark = pytest.mark.realarchive

# (subject of the series' heading, author) of the seed 001 series this archive carries,
# plus Quentin Perret's host stage 2 series.
EXPECTED = [
    ("[PATCH v2 0/2] KVM: arm64: Assorted IPA size fixes", "Marc Zyngier <maz@kernel.org>"),
    ("[RFC PATCH v2 0/3] KVM: arm64: Improve efficiency of stage2 page table", "Yanan Wang <wangyanan55@huawei.com>"),
    ("[PATCH 0/4] KVM: arm64: Running the EL2 nVHE code with WXN", "Marc Zyngier <maz@kernel.org>"),
    ("[RFC PATCH 0/4] KVM: stats: Retrieve statistics data in binary format", "Jing Zhang <jingzhangos@google.com>"),
    ("[PATCH v4 00/34] KVM: arm64: A stage 2 for the host", "Quentin Perret <qperret@google.com>"),
]
WXN_FIRST = "[PATCH 1/4] arm64: Use INIT_SCTLR_EL1_MMU_OFF to disable the MMU on CPU restart"


@pytest.fixture(scope="module")
def day_md(kvmarm_inbox: Path, kvmarm_db: Path) -> str:
    args = ["report", str(kvmarm_inbox), "--db", str(kvmarm_db), "--day", "2021-03-10", "--format", "markdown",
            "--base-url", "https://lore.kernel.org/kvm"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def entries(md: str) -> dict[str, list[str]]:
    """Heading text -> the entry's lines (up to the next series heading)."""
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for line in md.splitlines():
        if line.startswith("#### "):
            current = out[line[5:]] = []
        current.append(line)
    return out


def test_each_seed_series_exactly_once_with_title_and_author(day_md: str) -> None:
    headings = [line[5:] for line in day_md.splitlines() if line.startswith("#### ")]
    for subject, author in EXPECTED:
        assert headings.count(md_inline(subject)) == 1, subject
        lines = entries(day_md)[md_inline(subject)]
        assert lines[1] == f"##### From: {md_inline(author)}"
    # Every heading is a series: no patch of those series got an entry of its own
    assert not [h for h in headings if re.search(r"\b(1/4|01/34|1/2|1/3)\\\]", h)]


def test_wxn_series_sent_twice_is_one_entry_with_the_resend_noted(day_md: str) -> None:
    lines = entries(day_md)[md_inline(EXPECTED[2][0])]
    assert "- Patches: 4/4; 3 files changed, 6 insertions(+), 10 deletions(-)" in lines
    assert any(line.startswith("- Resent: 1 more copy merged into this entry (cover letter)") for line in lines)
    assert f"- {md_inline(WXN_FIRST)}" in lines  # first in its list of patches
    subjects = [line[9:] for line in lines if line.startswith("Subject: ")]
    assert subjects[:2] == ["[PATCH 0/4] KVM: arm64: Running the EL2 nVHE code with WXN", WXN_FIRST]


def test_host_stage2_series_is_complete_with_its_cover_letter(day_md: str) -> None:
    lines = entries(day_md)[md_inline(EXPECTED[4][0])]
    assert any(line.startswith("- Patches: 34/34; ") for line in lines)
    assert "Cover letter:" in lines
    cover = "\n".join(lines[lines.index("Cover letter:") :])
    # the cover letter's text is there: prose, its shortlog and its diffstat
    assert len(cover.split("\n\n", 1)[1]) > 2000
    assert re.search(r"^Quentin Perret \(\d+\):$", cover, re.M)
    assert re.search(r"^ \d+ files changed, \d+ insertions", cover, re.M)
    subjects = [line[9:] for line in lines if line.startswith("Subject: [PATCH v4 ")]
    assert [s.split("/")[0][-2:] for s in subjects] == [f"{n:02d}" for n in range(35)]
    assert any(line.startswith("- Link: <https://lore.kernel.org/kvm/") for line in lines)


def test_no_transport_headers_and_no_diff(day_md: str) -> None:
    for line in day_md.splitlines():
        assert not line.startswith(("Received:", "DKIM-", "X-Spam")), line
        assert not line.startswith(("diff --git", "@@ ", "+++ b/")), line


def test_whole_day_parses_with_every_fence_closed(day_md: str) -> None:
    toks: list[Token] = MarkdownIt("commonmark").parse(day_md)
    fences = [t for t in toks if t.type == "fence"]
    # every block starts with its headers, so a fence that closed early or late would show
    assert fences and all(f.content.startswith("From: ") and f.info == "text" for f in fences)
    openers = [line for line in day_md.splitlines() if re.fullmatch(r"`{3,}(text)?", line)]
    assert len(openers) == 2 * len(fences)
    assert sum(1 for f in fences if "\nSubject: " in f.content) == len(fences)
    headings = [t for t in toks if t.type == "heading_open"]
    assert len(headings) == 1 + 2 * day_md.count("\n#### ")
    html = MarkdownIt("commonmark").render(day_md)
    assert "<script" not in html


def test_json_of_the_day_validates(kvmarm_inbox: Path, kvmarm_db: Path) -> None:
    args = ["report", str(kvmarm_inbox), "--db", str(kvmarm_db), "--day", "2021-03-10", "--format", "json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(jsonschema.Draft202012Validator(load_schema()).iter_errors(data)) == []
    by_subject = {s["subject"]: s for s in data["series"]}
    host = by_subject[EXPECTED[4][0]]
    assert (host["received"], host["total"], host["complete"]) == (34, 34, True)
    assert host["replies"] > 0  # reviews came in over the following weeks
    assert data["window"]["since"] == "2021-03-10T00:00:00+00:00"
