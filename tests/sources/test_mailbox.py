"""Mailbox: mboxrd / mboxo (plain, CRLF, gzip) and Maildir."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchdigest.errors import SourceError
from patchdigest.sources import Mailbox
from patchdigest.sources.mailbox import split_mbox

ENVELOPE = b"From tester@example.org Mon Jan  1 00:00:00 2024\n"
FIRST = b"From: A <a@example.org>\nSubject: one\n\nFrom the start, a body line.\n>From quoted once\n>>From twice\n"
SECOND = b"From: B <b@example.org>\nSubject: two\n\nsecond body\nFrom here too, after text: no split\n"
THIRD = b"From: C <c@example.org>\nSubject: three\n\n"

# As an mboxrd writer stores them: every ^>*From  line gains one ">".
MBOXRD = (
    ENVELOPE
    + b"From: A <a@example.org>\nSubject: one\n\n"
    + b">From the start, a body line.\n>>From quoted once\n>>>From twice\n"
    + b"\n"
    + ENVELOPE
    + b"From: B <b@example.org>\nSubject: two\n\nsecond body\n>From here too, after text: no split\n"
    + b"\n"
    + ENVELOPE
    + THIRD
    + b"\n"
)


def _read(path: Path, **kwargs: str) -> list[tuple[int, int | None, bytes]]:
    return [(r.prov.seq, r.prov.offset, r.data) for r in Mailbox(path, **kwargs).iter_messages()]  # type: ignore[arg-type]


def test_mboxrd_unquotes_and_records_offsets(tmp_path: Path) -> None:
    path = tmp_path / "list.mbox"
    path.write_bytes(MBOXRD)
    second_at = MBOXRD.index(ENVELOPE, 1)
    third_at = MBOXRD.index(ENVELOPE, second_at + 1)
    assert _read(path) == [(0, 0, FIRST), (1, second_at, SECOND), (2, third_at, THIRD)]
    raw = next(Mailbox(path).iter_messages())
    assert (raw.prov.path, raw.prov.source, raw.deleted, raw.commit_time) == (
        str(path),
        str(path),
        False,
        None,
    )
    assert raw.prov.describe() == f"{path}:0"


def test_gzip_is_detected_by_magic_bytes_and_offsets_are_uncompressed(tmp_path: Path) -> None:
    plain, packed = tmp_path / "a.mbox", tmp_path / "b.mbox"  # no .gz suffix on purpose
    plain.write_bytes(MBOXRD)
    packed.write_bytes(gzip.compress(MBOXRD))
    assert _read(packed) == _read(plain)
    assert Mailbox(tmp_path / "b.mbox").name == "b"


def test_mboxo_keeps_quoted_lines(tmp_path: Path) -> None:
    path = tmp_path / "list.mboxo"
    path.write_bytes(MBOXRD)
    messages = [data for _, _, data in _read(path, mbox_format="mboxo")]
    assert b"\n>From the start" in messages[0] and b"\n>>>From twice" in messages[0]
    assert len(messages) == 3


def test_crlf_mbox(tmp_path: Path) -> None:
    path = tmp_path / "crlf.mbox"
    path.write_bytes(MBOXRD.replace(b"\n", b"\r\n"))
    got = [data for _, _, data in _read(path)]
    assert got == [m.replace(b"\n", b"\r\n") for m in (FIRST, SECOND, THIRD)]


def test_a_lone_message_without_envelope(tmp_path: Path) -> None:
    path = tmp_path / "one.eml"
    path.write_bytes(SECOND)
    assert _read(path) == [(0, 0, SECOND)]


def test_empty_and_unreadable(tmp_path: Path) -> None:
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert _read(tmp_path / "empty.mbox") == []
    (tmp_path / "bad.mbox").write_bytes(gzip.compress(MBOXRD)[:40])
    with pytest.raises(SourceError, match="bad.mbox"):
        _read(tmp_path / "bad.mbox")
    with pytest.raises(SourceError):
        Mailbox(tmp_path / "nope")


def _reference_split(data: bytes) -> list[tuple[int | None, bytes]]:
    """The rule, line by line: obviously right, too slow for real use."""
    lines = data.splitlines(keepends=True)
    out: list[tuple[int | None, list[bytes]]] = [(None, [])]
    offset = 0
    prev_blank = True
    for line in lines:
        if prev_blank and line.startswith(b"From "):
            out.append((offset, []))
        else:
            out[-1][1].append(line)
        prev_blank = line in (b"\n", b"\r\n")
        offset += len(line)
    result = []
    for at, body in out:
        if body and body[-1] in (b"\n", b"\r\n"):
            body = body[:-1]
        message = b"".join(body)
        if at is not None or message.strip():
            result.append((at, message))
    return result


_LINES = st.sampled_from(
    [b"From x\n", b"From x\r\n", b"\n", b"\r\n", b">From q\n", b"text\n", b"From", b"Fro", b"m \n", b"a"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=25), st.integers(min_value=1, max_value=9))
def test_split_matches_the_line_rule_at_any_block_size(parts: list[bytes], block: int) -> None:
    data = b"".join(parts)
    blocks = [data[i : i + block] for i in range(0, len(data), block)]
    assert list(split_mbox(blocks)) == _reference_split(data)


def test_maildir_sorted_by_name(tmp_path: Path) -> None:
    box = tmp_path / "Inbox"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1700000002.M2.host").write_bytes(SECOND)
    (box / "cur" / "1700000001.M1.host:2,S").write_bytes(FIRST)
    (box / "cur" / "1700000003.M3.host:2,").write_bytes(THIRD)
    (box / "cur" / ".hidden").write_bytes(b"not mail")
    (box / "tmp" / "1700000000.M0.host").write_bytes(b"being delivered")
    raws = list(Mailbox(box).iter_messages())
    assert [r.data for r in raws] == [FIRST, SECOND, THIRD]
    assert [r.prov.seq for r in raws] == [0, 1 << 32, 2 << 32]
    assert raws[1].prov.path == str(box / "new" / "1700000002.M2.host")
    assert Mailbox(box).name == "Inbox"
