"""`patchdigest report` with the new formats and options, through click's runner."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from patchdigest.cli import cli

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
SERIES_V2 = ["0012-v2-cover-letter.eml", "0013-v2-patch-1-of-3.eml", "0014-v2-patch-2-of-3-folded-subject.eml",
             "0015-v2-patch-3-of-3.eml", "0016-v2-review-on-cover.eml"]  # fmt: skip


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def fences(md: str) -> list[str]:
    return [t.content for t in MarkdownIt("commonmark").parse(md) if t.type == "fence"]


def test_help_lists_the_new_options() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"])
    assert result.exit_code == 0
    for option in ("--format", "markdown", "json", "--patches", "--all-headers", "--day", "--week"):
        assert option in result.stdout


def test_markdown_curated_headers_by_default_and_all_on_request(sample_inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "i.sqlite")
    curated = run(str(sample_inbox), "--db", db, "--format", "markdown", "--day", "2021-03-10")
    assert not re.search(r"^(Received:|DKIM-|X-Spam|Return-Path:)", curated, re.M)
    full = run(str(sample_inbox), "--db", db, "--format", "markdown", "--day", "2021-03-10", "--all-headers")
    blocks = fences(full)
    assert blocks and all(
        b.startswith(("Return-Path:", "Received:", "From:", "X-", "Date:", "Message-")) for b in blocks
    )
    assert re.search(r"^Received: from ", full, re.M) and re.search(r"^X-Mailer: ", full, re.M)
    # decoded and unfolded: the folded subject of 0014 is one line in the raw header set too
    assert "\nSubject: [PATCH v2 2/3] KVM: arm64: Rate-limit the unhandled system register warning\n" in full
    assert len(blocks) == len(fences(curated))


def test_json_all_headers_flag(sample_inbox: Path, tmp_path: Path) -> None:
    import json

    out = run(str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--format", "json", "--all-headers")
    data = json.loads(out)
    assert data["headers"] == "all"
    names = {h["name"].lower() for s in data["series"] for h in (s["cover"] or {"headers": []})["headers"]}
    assert "received" in names


def test_patches_first_in_text_and_markdown(sample_inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "i.sqlite")
    md = run(str(sample_inbox), "--db", db, "--format", "markdown", "--patches", "first", "--day", "2021-03-10")
    subjects = [b.split("\nSubject: ", 1)[1].split("\n", 1)[0] for b in fences(md)]
    assert "[PATCH v2 1/3] KVM: arm64: Move the sysreg trace helper to sys_regs.h" in subjects
    assert not any(s.startswith("[PATCH v2 2/3]") for s in subjects)
    text = run(str(sample_inbox), "--db", db, "--patches", "first", "--day", "2021-03-10")
    assert "[PATCH v2 1/3] KVM" in text and "\n[PATCH v2 3/3] KVM" not in text.split("Patch Commit Messages", 1)[1]


def _mbox(paths: list[Path]) -> bytes:
    out = b""
    for p in paths:
        data = p.read_bytes().replace(b"\r\n", b"\n")
        data = re.sub(rb"^(>*From )", rb">\1", data, flags=re.M)  # mboxrd quoting
        out += b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + data.rstrip(b"\n") + b"\n\n"
    return out


@pytest.mark.parametrize("layout", ["mbox", "maildir"])
def test_all_headers_from_mbox_and_maildir(tmp_path: Path, layout: str) -> None:
    mails = [MAIL_DIR / name for name in SERIES_V2]
    if layout == "mbox":
        archive = tmp_path / "list.mbox"
        archive.write_bytes(_mbox(mails))
    else:
        archive = tmp_path / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (archive / sub).mkdir(parents=True)
        for i, p in enumerate(mails):
            (archive / "cur" / f"16153{i:05d}.M1P1.host:2,S").write_bytes(p.read_bytes())
    md = run(str(archive), "--db", str(tmp_path / "i.sqlite"), "--format", "markdown", "--all-headers")
    blocks = fences(md)
    assert len(blocks) == 4  # cover letter and three patches
    assert all(re.search(r"^X-Mailer: ", b, re.M) for b in blocks)
    assert "- Replies: 1" in md  # 0016 reviews the cover letter


def test_blob_reader_keeps_order_skips_missing_and_cuts_bodies(sample_inbox: Path, tmp_path: Path) -> None:
    from patchdigest.pipeline import index_archive, register
    from patchdigest.sources.blobs import iter_blobs, read_heads
    from patchdigest.store import Store

    with Store(tmp_path / "i.sqlite") as store:
        indexed = register(store, sample_inbox)
        index_archive(store, indexed)
        stored = store.messages(indexed.archive_id)
    git_dir = sample_inbox / "git" / "0.git"
    wanted = [sm.prov.blob or "" for sm in stored[:5]]
    missing = "0" * 40
    full = list(iter_blobs(git_dir, [wanted[0], missing, *wanted[1:]]))
    assert [oid for oid, _ in full] == wanted  # the missing blob is skipped, order kept
    heads = dict(iter_blobs(git_dir, wanted, head_only=True))
    for oid, data in full:
        assert data.startswith(heads[oid]) and heads[oid].endswith(b"\n\n") and len(heads[oid]) < len(data)
    by_seq = read_heads(indexed.archive, [sm.prov for sm in stored[:3]])
    assert sorted(by_seq) == sorted(sm.prov.seq for sm in stored[:3])
    assert all(b"\nSubject:" in head or head.startswith(b"Subject:") for head in by_seq.values())


def test_text_patch_list_has_one_line_per_series(sample_inbox: Path, tmp_path: Path) -> None:
    import json

    db = str(tmp_path / "i.sqlite")
    text = run(str(sample_inbox), "--db", db, "--week", "2021-W10")
    data = json.loads(run(str(sample_inbox), "--db", db, "--week", "2021-W10", "--format", "json"))
    plist = text.split("===== Patch list in this time period =====\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(plist) == len(data["series"]) > 5
    for line, s in zip(plist, data["series"], strict=True):
        author = f"{s['author']['name']} <{s['author']['email']}>"
        assert line.startswith(f"{s['subject']} -- {author} ({s['received']}/{s['total']})")
