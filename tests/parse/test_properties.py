"""Property tests: the parser never crashes on any input and is a pure function of the bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchdigest.errors import ParseError
from patchdigest.models import Message
from patchdigest.parse import parse_message

MAIL_DIR = Path(__file__).resolve().parents[1] / "data" / "mail"
CORPUS = {p.name: p.read_bytes() for p in sorted(MAIL_DIR.glob("*.eml"))}
FALLBACK = datetime(2021, 3, 10, 12, 0, tzinfo=UTC)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_or_reject(raw: bytes) -> Message | None:
    """Parse; a ParseError is an accepted answer, any other exception fails the test."""
    try:
        msg = parse_message(raw, fallback_date=FALLBACK, where="fuzz")
    except ParseError as exc:
        assert "fuzz" in str(exc), "a ParseError names the message it is about"
        return None
    assert isinstance(msg, Message)
    assert msg.date.tzinfo is not None
    return msg


# Bytes that matter to a mail parser, so that random data hits the interesting paths.
INTERESTING = [
    b"\n",
    b"\r\n",
    b"\n\n",
    b" ",
    b"\t",
    b":",
    b"=?",
    b"?=",
    b"=?utf-8?b?",
    b"=?x-klingon-9?q?",
    b"=3D",
    b"=\n",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\x1b[31m",
    b"From: ",
    b"Subject: ",
    b"Date: ",
    b"Message-ID: <",
    b">",
    b"Content-Type: multipart/mixed; boundary=b\n",
    b"--b\n",
    b"Content-Transfer-Encoding: base64\n",
    b"Content-Transfer-Encoding: quoted-printable\n",
    b"[PATCH v2 1/3] ",
    b"Re: ",
    b"---\n",
    b"-- \n",
    b"diff --git a/x b/x\n",
    b"@@ -1,2 +1,3 @@\n",
    b"+++ b/x\n",
    b"--- a/x\n",
    b"Signed-off-by: A <a@b>\n",
    b"> ",
]

chunks = st.lists(st.one_of(st.sampled_from(INTERESTING), st.binary(max_size=16)), max_size=60).map(b"".join)


@SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_never_crash(raw: bytes) -> None:
    parse_or_reject(raw)


@SETTINGS
@given(chunks)
def test_mail_shaped_noise_never_crashes(raw: bytes) -> None:
    parse_or_reject(raw)


@st.composite
def mutated_corpus_mail(draw: st.DrawFn) -> bytes:
    data = bytearray(CORPUS[draw(st.sampled_from(sorted(CORPUS)))])
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if not data:
            break
        pos = draw(st.integers(min_value=0, max_value=len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice", "dup-line"]))
        if op == "flip":
            data[pos] = draw(st.integers(min_value=0, max_value=255))
        elif op == "insert":
            data[pos:pos] = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=32)))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(min_value=1, max_value=200))]
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            other = CORPUS[draw(st.sampled_from(sorted(CORPUS)))]
            start = draw(st.integers(min_value=0, max_value=len(other)))
            data[pos:pos] = other[start : start + draw(st.integers(min_value=1, max_value=400))]
        else:
            end = data.find(b"\n", pos)
            start = data.rfind(b"\n", 0, pos) + 1
            if end != -1:
                data[end + 1 : end + 1] = data[start : end + 1]
    return bytes(data)


@SETTINGS
@given(mutated_corpus_mail())
def test_mutated_corpus_mails_never_crash(raw: bytes) -> None:
    parse_or_reject(raw)


@SETTINGS
@given(st.one_of(mutated_corpus_mail(), st.sampled_from(sorted(CORPUS.values())), chunks))
def test_parse_is_deterministic(raw: bytes) -> None:
    first = parse_or_reject(raw)
    second = parse_or_reject(raw)
    assert first == second
    if first is not None:
        assert first.report_text() == second.report_text()


def test_corpus_parses_the_same_twice() -> None:
    for name, raw in CORPUS.items():
        assert parse_or_reject(raw) == parse_or_reject(raw), name


# A well-formed mail with an arbitrary printable subject is never rejected, and its subject
# round-trips with whitespace collapsed.
subject_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="="),
    min_size=1,
    max_size=120,
).filter(lambda s: s.strip())


@SETTINGS
@given(subject_text, st.text(max_size=400))
def test_well_formed_mail_is_accepted(subject: str, body: str) -> None:
    raw = (
        "From: Test Person <test@example.com>\n"
        f"Subject: {subject}\n"
        "Date: Wed, 10 Mar 2021 12:00:00 +0000\n"
        "Message-ID: <prop@example.com>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "Hello,\n"
    ).encode() + body.encode("utf-8", "replace")
    msg = parse_message(raw, fallback_date=FALLBACK)
    assert msg.subject.full == " ".join(subject.split())
    assert msg.msgid == "<prop@example.com>"
    assert msg.date_ok
    assert str(msg.author) == "Test Person <test@example.com>"
