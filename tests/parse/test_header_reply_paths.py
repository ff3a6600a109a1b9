"""The header, MIME and reply speed paths give what the code they replaced gives.

A reply whose body is its own text (ASCII, one part, no transfer encoding) has its quoted
lines dropped from the bytes, before decoding; message ids are found with their brackets;
header fields of an ASCII block are found by a case-sensitive first letter; dates padded
to two places take the fast path; models are built through their slots. The references
below are the previous code, kept as the specification.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchdigest.models import DiffStat, Kind, Message, Person, Subject, Trailer, positional_init
from patchdigest.parse import _own_ascii_lines, _own_lines, parse_message
from patchdigest.parse.headers import (
    _READ,
    _READ_ASCII,
    Headers,
    first_msgid,
    msgids,
    parse_date,
    read_headers,
    split_message,
)
from patchdigest.parse.mime import decode_body, is_ascii_text

from .test_fast_paths import reference_parse_date

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def pieces(*items: str, max_size: int = 30) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(items), st.text(max_size=4)), max_size=max_size).map("".join)


# --- a reply's own lines --------------------------------------------------------------------

# Every white space str.isspace knows (the str regex's "\s"), ASCII and not.
QUOTE_BITS = ("\n", ">", "> ", ">>", "  > ", "\t>", "\r", "\r\n", "\x0b>", "\x0c", "\x1c>", "\x1f", "\x85>",
              "\xa0>", "\u2028>", "\u3000", "text", " ", "a > b", "-- \n")  # fmt: skip


def reference_own_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


@SETTINGS
@given(pieces(*QUOTE_BITS))
def test_own_lines_is_the_line_by_line_result(text: str) -> None:
    assert _own_lines(text) == reference_own_lines(text)


@SETTINGS
@given(pieces(*QUOTE_BITS).map(lambda text: text.encode("ascii", "ignore")))
def test_own_lines_of_ascii_bytes_are_those_of_the_decoded_text(body: bytes) -> None:
    # decode_body reads CRLF as LF, and a "Re:" reply's own lines are taken after that.
    assert _own_ascii_lines(body) == _own_lines(body.decode("ascii").replace("\r\n", "\n"))


CONTENT_TYPES = ("", "text/plain", "text/plain; charset=us-ascii", 'text/plain; charset="utf-8"',
                 "TEXT/PLAIN; CHARSET=UTF-8", "text/plain; charset=iso-8859-1", "text/plain; charset=windows-1252",
                 "text/plain; charset=iso-2022-jp", "text/plain; charset=x-klingon", "text/plain; charset=utf-16",
                 "text/plain; charset=gbk", "multipart/mixed; boundary=b", "text/x-patch")  # fmt: skip
ENCODINGS = ("", "7bit", "8bit", "binary", " 7BIT ", "base64", "BASE64", "quoted-printable", " Quoted-Printable",
             "x-uue")  # fmt: skip
BODY_BITS = ("\n", "> quoted", "text", "=3D", "=\n", "aGVsbG8=", "--b\n", "\r\n", "\xe9", "\u2028", "\x1b$B")


def _headers(content_type: str, encoding: str) -> Headers:
    return read_headers(f"Content-Type: {content_type}\nContent-Transfer-Encoding: {encoding}".encode())


@SETTINGS
@given(
    st.sampled_from(CONTENT_TYPES),
    st.sampled_from(ENCODINGS),
    pieces(*BODY_BITS),
    st.sampled_from(["utf-8", "latin-1"]),
)
def test_ascii_text_is_what_decode_body_gives(content_type: str, encoding: str, text: str, charset: str) -> None:
    """Where is_ascii_text says so, decode_body's text is the body's bytes, CRLFs read as
    LFs, with no attached diff and no problem: parse_message then takes the bytes path."""
    headers = _headers(content_type, encoding)
    body = text.encode(charset, "replace")
    if is_ascii_text(headers, body):
        decoded = decode_body(headers, body, b"")
        assert decoded.text == body.decode("ascii").replace("\r\n", "\n")
        assert (decoded.diff, decoded.problem) == ("", "")


def test_plain_replies_are_ascii_text_and_others_are_not() -> None:
    def ascii_text(content_type: str, encoding: str, body: bytes) -> bool:
        return is_ascii_text(_headers(content_type, encoding), body)

    assert ascii_text("text/plain; charset=us-ascii", "7bit", b"> q\nok\r\n")
    assert ascii_text('text/plain; charset="UTF-8"; format=flowed', "8bit", b"ok")
    assert ascii_text("", "", b"ok")
    assert not ascii_text("text/plain; charset=utf-8", "8bit", "J\u00f6rg".encode())
    assert not ascii_text("text/plain; charset=us-ascii", "base64", b"b2s=")
    assert not ascii_text("text/plain; charset=us-ascii", "Quoted-Printable", b"ok")
    assert not ascii_text("text/plain; charset=iso-2022-jp", "7bit", b"\x1b$B!!\x1b(B")
    assert not ascii_text("text/plain; charset=x-klingon", "7bit", b"ok")  # decode_body reports it
    assert not ascii_text("multipart/mixed; boundary=b", "7bit", b"--b\n\nok\n--b--\n")


@pytest.mark.parametrize("encoding", ["7bit", "base64"])
def test_a_reply_reads_alike_on_both_paths(encoding: str) -> None:
    """The same reply as plain ASCII (the bytes path) and as base64 (decoded first)."""
    body = "On Tue, Jane wrote:\n> Signed-off-by: Jane <j@x.org>\n  > quoted\nLooks good.\n\nReviewed-by: Kim <k@x.org>"
    payload = body.encode() if encoding == "7bit" else base64.encodebytes(body.encode())
    head = (
        "From: Kim <k@x.org>\nSubject: Re: [PATCH] x\nMessage-ID: <r@x>\nDate: Wed, 10 Mar 2021 17:43:17 +0800\n"
        f"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: {encoding}\n\n"
    )
    reply = parse_message(head.encode() + payload)
    assert reply.kind is Kind.REPLY
    assert reply.commit_message == "On Tue, Jane wrote:\nLooks good.\n\nReviewed-by: Kim <k@x.org>"
    assert [t.key for t in reply.trailers] == ["Reviewed-by"]


# --- header fields ---------------------------------------------------------------------------


def reference_msgids(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        ids = re.findall(r"<([^<>\s]+)>", value)
        if not ids:
            bare = value.strip()
            if bare and " " not in bare:
                ids = [bare]
        found += ids
    return [f"<{mid}>" for mid in dict.fromkeys(found)]


@SETTINGS
@given(st.lists(pieces("<a@b>", "<c@d>", "<", ">", " ", "\t", "a@b", "<a@b", "\xa0", "<\u2028>"), max_size=3))
def test_msgids_are_the_previous_loop(values: list[str]) -> None:
    assert msgids(values) == reference_msgids(values)
    for value in values:
        assert first_msgid(value) == (reference_msgids([value]) or [None])[0]


FIELD_BITS = ("\nFrom:", "\nfROM :", "\nSubject:", "\nSUBJECT\n :", "\nMessage-Id:", "\nmessage-ID:", "\nTo:", "\nCC:",
              "\nIn-Reply-To:", "\nReferences:", "\nReply-to:", "\nX-Original-From:", "\nx-original-to:", "\nList-ID:",
              "\nContent-Type:", "\nContent-Transfer-Encoding:", "\nReceived:", "\nDKIM-Signature:", "\nDate:", "\n ",
              "\n\t", " ", "x", ":", "\n")  # fmt: skip


@SETTINGS
@given(pieces(*FIELD_BITS).map(lambda text: "\n" + text.encode("ascii", "ignore").decode()))
def test_ascii_fields_are_found_as_by_the_unicode_pattern(text: str) -> None:
    assert _READ_ASCII.findall(text) == _READ.findall(text)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["Message-ID", "message-id", "References", "To", "X"]), st.text(max_size=3))))
def test_get_all_with_and_without_repeated_names(fields: list[tuple[str, str]]) -> None:
    headers = Headers(fields)
    for name in ("Message-ID", "References", "To", "Cc"):
        assert headers.get_all(name) == [value for field, value in fields if field.lower() == name.lower()]


def reference_split(raw: bytes) -> tuple[bytes, bytes]:
    if raw.startswith(b"From ") and b"\n" in raw[:2000]:
        first_nl = raw.index(b"\n")
        if b":" not in raw[:first_nl].split(b" ", 2)[1]:
            raw = raw[first_nl + 1 :]
    lf, crlf = raw.find(b"\n\n"), raw.find(b"\r\n\r\n")
    if crlf != -1 and (lf == -1 or crlf < lf):
        return raw[:crlf], raw[crlf + 4 :]
    return (raw, b"") if lf == -1 else (raw[:lf], raw[lf + 2 :])


@SETTINGS
@given(pieces("\n", "\r\n", "\n\n", "\r\n\r\n", "\r", "From ", "From a@b x", "a: b", " ").map(str.encode))
def test_split_message_is_the_find_split(raw: bytes) -> None:
    assert split_message(raw) == reference_split(raw)


def test_read_headers_of_an_ascii_block_in_odd_case() -> None:
    block = b"Received: x\nFROM: A <a@b.c>\nsubject\n : hi\nmessage-id: <1@x>\nMessage-ID: <2@x>\nX-ORIGINAL-FROM: q"
    headers = read_headers(block)
    assert (headers.get("From"), headers.get("Subject"), headers.get("x-original-from")) == ("A <a@b.c>", "hi", "q")
    assert headers.get_all("Message-Id") == ["<1@x>", "<2@x>"]
    assert headers.first["message-id"] == "<1@x>"


# --- dates -------------------------------------------------------------------------------------


def _date(day: str, d: int, mon: str, y: str, h: int, m: int, s: int, zone: str) -> str:
    return f"{day}{d} {mon} {y} {h:02d}:{m:02d}:{s:02d} {zone}"


padded_dates = st.builds(
    _date,
    st.sampled_from(["", "Wed, ", "Wed,  ", "Sun,   ", "Wed,\t"]), st.integers(0, 39),
    st.sampled_from(["Jan", "Feb", "Dec"]), st.sampled_from(["2021", "2024", "0021", "1979", "2201"]),
    st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
    st.sampled_from(["+0000", "-0000", "+0100", "-0730", "+2400", "-2359", "+9999", "+0099", "EST"]),
)  # fmt: skip


@SETTINGS
@given(padded_dates)
def test_padded_dates_are_parsedate_tz(value: str) -> None:
    got, want = parse_date(value), reference_parse_date(value)
    assert got == want
    if got is not None and want is not None:
        assert got.utcoffset() == want.utcoffset()


# --- models built through their slots ----------------------------------------------------------


def test_positional_init_builds_what_the_dataclass_builds() -> None:
    subject = Subject("Re: [PATCH v2 1/2] x", "Re:", ("PATCH", "v2", "1/2"), "x", True, False, False, False, 2, "v2",
                      1, 2, "")  # fmt: skip
    person = Person("A", "a@b.c")
    values = ("<m@x>", ("<m@x>",), None, ("<p@x>",), datetime(2021, 3, 10, tzinfo=UTC), True, person, person,
              subject, Kind.REPLY, "text", (Trailer("Acked-by", "A <a@b.c>", person),), "", False, "", DiffStat(),
              False, "to", "cc", "list", "", "")  # fmt: skip
    subject_values = tuple(getattr(subject, field.name) for field in dataclasses.fields(Subject))
    for cls, args in ((Message, values), (Subject, subject_values)):
        built = positional_init(cls)(*args)
        assert type(built) is cls
        assert built == cls(*args)
        assert all(getattr(built, field.name) is arg for field, arg in zip(dataclasses.fields(cls), args, strict=True))
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(built, dataclasses.fields(cls)[0].name, None)


def test_positional_init_wants_a_slotted_dataclass() -> None:
    @dataclasses.dataclass(frozen=True)
    class Plain:
        x: int

    with pytest.raises(TypeError):
        positional_init(Plain)


def test_the_field_orders_the_parser_builds_in() -> None:
    """parse builds Subject (parse/subject.py) and Message (parse/__init__.py) with every
    field positionally: reordering or adding a field in models.py must fail here, so that
    those two calls are updated with it, rather than silently fill the wrong fields."""
    assert [f.name for f in dataclasses.fields(Subject)] == [
        "full", "reply_prefix", "tags", "title", "is_patch", "is_rfc", "is_resend", "is_pull", "version",
        "version_text", "counter", "total", "project",
    ]  # fmt: skip
    assert [f.name for f in dataclasses.fields(Message)] == [
        "msgid", "msgids", "in_reply_to", "references", "date", "date_ok", "sender", "author", "subject", "kind",
        "commit_message", "trailers", "notes", "has_separator", "diffstat", "stat", "has_diff", "to", "cc",
        "list_id", "body_problem", "patch_id",
    ]  # fmt: skip
