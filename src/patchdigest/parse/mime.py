"""MIME decoding of a message body: the readable text and a diff sent as an attachment.

Single-part bodies (98.6% of kvmarm) are transfer-decoded and charset-decoded here
directly; multipart ones go through a small splitter for the shapes mailing lists use,
with the stdlib ``email`` parser as the reference and the fallback.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import quopri
import re
import string
from dataclasses import dataclass
from email.message import Message as EmailMessage

from .body import diff_start
from .headers import Headers


@dataclass(frozen=True, slots=True)
class DecodedBody:
    text: str  # the readable text (first inline text/plain part)
    diff: str  # diff carried by a text attachment, "" if none
    problem: str  # decoding trouble worth recording


_CHARSET = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.I)
# Every byte outside the base64 alphabet, for bytes.translate(None, ...): one C pass that
# drops the line breaks (and any junk) of a base64 body, several times faster than the
# regex substitution it replaced.
_NOT_BASE64 = bytes(sorted(set(range(256)) - set((string.ascii_letters + string.digits + "+/").encode())))


def _charset_of(content_type: str) -> str:
    # A case-insensitive pattern gets no literal-prefix scan from the regex engine, and
    # tried at every character it cost more than the rest of decoding a plain mail. In
    # lowercase ASCII (what decode_body passes) no match starts before the first
    # "charset": start there.
    start = content_type.find("charset") if content_type.isascii() and content_type.islower() else 0
    m = _CHARSET.search(content_type, start) if start != -1 else None
    return m.group(1).strip().lower() if m else ""


def _to_text(data: bytes, charset: str) -> tuple[str, str]:
    """Decode body bytes; returns (text, problem). Never raises.

    Mails labelled us-ascii routinely carry UTF-8 (names in trailers), so UTF-8 is tried
    first for ascii-ish and absent labels; an unknown label is recorded, and the text read
    as UTF-8 with replacement.
    """
    if charset in ("", "us-ascii", "ascii", "utf-8", "utf8", "unknown-8bit", "x-unknown"):
        try:
            return data.decode("utf-8"), ""
        except UnicodeDecodeError:
            return data.decode("latin-1") if charset not in ("utf-8", "utf8") else data.decode("utf-8", "replace"), ""
    try:
        codecs.lookup(charset)
    except LookupError:
        return data.decode("utf-8", "replace"), f"unknown charset {charset!r}"
    try:
        return data.decode(charset), ""
    except (UnicodeDecodeError, LookupError, ValueError):
        return data.decode(charset, "replace"), f"invalid {charset} bytes"


def _transfer_decode(data: bytes, cte: str) -> tuple[bytes, str]:
    cte = cte.strip().lower()
    if cte == "quoted-printable":
        return quopri.decodestring(data), ""
    if cte == "base64":
        cleaned = data.translate(None, _NOT_BASE64)
        try:
            return base64.b64decode(cleaned + b"=" * (-len(cleaned) % 4)), ""
        except (binascii.Error, ValueError):
            return data, "invalid base64 body"
    return data, ""


# Labels under which an ASCII byte reads as the same character (and _to_text reports no
# problem): a "7bit", us-ascii body in any of them is its own text.
_ASCII_AS_ITSELF = frozenset(
    ("", "us-ascii", "ascii", "utf-8", "utf8", "unknown-8bit", "x-unknown", "iso-8859-1", "iso-8859-15", "windows-1252")
)


def is_ascii_text(headers: Headers, raw_body: bytes) -> bool:
    """Whether ``decode_body`` gives ``raw_body`` itself, byte for byte, as its text (CRLFs
    read as LFs): one part, no transfer encoding, ASCII bytes under an ASCII label. True
    for 88% of kvmarm's replies, whose quoted lines can then be dropped before decoding."""
    ctype = headers.first.get("content-type", "").lower()
    return (
        not ctype.startswith("multipart/")
        and headers.first.get("content-transfer-encoding", "").strip().lower() not in ("quoted-printable", "base64")
        and _charset_of(ctype) in _ASCII_AS_ITSELF
        and raw_body.isascii()
    )


def _looks_like_diff(text: str) -> bool:
    return diff_start(text) != -1


def _part_text(part: EmailMessage) -> tuple[str, str]:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return "", ""
    return _to_text(payload, (part.get_content_charset() or "").lower())


def decode_body(headers: Headers, raw_body: bytes, raw: bytes) -> DecodedBody:
    """Readable text of a message, plus a diff carried as a text attachment."""
    content_type = headers.first.get("content-type", "")
    ctype = content_type.lower()
    if not ctype.startswith("multipart/"):
        data, problem = _transfer_decode(raw_body, headers.first.get("content-transfer-encoding", ""))
        text, problem2 = _to_text(data, _charset_of(ctype))
        if "\r" in text:  # a scan for one character is several times faster than replace's
            text = text.replace("\r\n", "\n")
        return DecodedBody(text, "", problem or problem2)
    # Rare path (1.4% of kvmarm): the leaf parts of the MIME tree, found by the small
    # splitter below when it can prove it cuts where the stdlib would, else by the stdlib.
    leaves = _mime_leaves(content_type, raw_body)
    return _decoded_from(_stdlib_leaves(content_type, raw_body) if leaves is None else leaves)


def _decoded_from(leaves: list[EmailMessage]) -> DecodedBody:
    texts: list[str] = []
    diffs: list[str] = []
    problems: list[str] = []
    for part in leaves:
        maintype = part.get_content_maintype()
        subtype = part.get_content_subtype()
        disposition = (part.get("Content-Disposition") or "").lower()
        filename = (part.get_filename() or "").lower()
        is_texty = maintype == "text" or subtype in ("x-patch", "x-diff", "patch", "diff")
        if not is_texty or subtype == "html":
            continue
        text, problem = _part_text(part)
        if problem:
            problems.append(problem)
        text = text.replace("\r\n", "\n")
        attached = "attachment" in disposition or filename.endswith((".patch", ".diff"))
        if (attached or texts) and _looks_like_diff(text):
            diffs.append(text)
        elif not attached and not texts:
            texts.append(text)
    return DecodedBody(texts[0] if texts else "", "\n".join(diffs), "; ".join(problems))


def _stdlib_leaves(content_type: str, raw_body: bytes) -> list[EmailMessage]:
    # The stdlib gets the body under a one-line header block: walking the parts needs
    # only the top Content-Type, and the other 80-odd header lines would double its work.
    top = b"Content-Type: " + content_type.encode("utf-8", "surrogateescape") + b"\n\n"
    msg = email.message_from_bytes(top + raw_body, policy=email.policy.compat32)
    return [part for part in msg.walk() if not part.is_multipart()]


# --- a MIME splitter for the common multipart shapes ---------------------------------------
#
# What mailing-list multiparts look like (all 292 of kvmarm's): multipart/mixed holding the
# mail, often as a nested multipart/signed (PGP, S/MIME) or multipart/alternative (plain
# and HTML), maybe an attachment (a .patch, a gzipped config), and the list's footer as a
# last text/plain part. The stdlib feedparser reads such a body line by line through a
# generator and compiles a regex per boundary: 0.75 ms a message, over half the time
# decode_body took on kvmarm. The splitter below finds the boundary lines with str.find instead and hands
# each leaf to the stdlib's own Message, so that content types, parameters (RFC 2231,
# quoting), the boundary itself and the transfer decoding all stay the stdlib's. It
# reproduces feedparser's cuts only where they are simple to state, and returns None
# for anything else (CR line breaks, message/* parts, digests, a missing or duplicated
# boundary line, a mbox "From " line among part headers...), which the stdlib then
# parses as before. tests/parse/test_body_speed_paths.py checks both give the same parts.

# email.feedparser.headerRE: a field name and ":", a continuation, or an mbox "From " line.
_MIME_HEADER_LINE = re.compile(r"^(From |[\041-\071\073-\176]*:|[\t ])")


def _mime_leaves(content_type: str, raw_body: bytes) -> list[EmailMessage] | None:
    """The leaf parts the stdlib's walk() would give, in its order; None: ask the stdlib."""
    if not content_type.isascii() or "\n" in content_type or "\r" in content_type:
        return None
    # Like the stdlib's parser, read bytes as ASCII, other bytes as surrogate escapes.
    text = raw_body.decode("ascii", "surrogateescape")
    if "\r" in text:  # feedparser also breaks lines at a lone CR: not worth repeating here
        return None
    top = EmailMessage()
    top.set_raw("Content-Type", content_type)
    leaves: list[EmailMessage] = []
    return leaves if _mime_parts(top, text, 0, len(text), leaves, 0) else None


def _mime_parts(entity: EmailMessage, text: str, start: int, end: int, leaves: list[EmailMessage], depth: int) -> bool:
    """Add the leaves of multipart ``entity``, whose body is text[start:end]; False: unsure.

    ``end`` is where feedparser stops reading this entity: the next boundary line of an
    enclosing multipart (or the end of the text). Within it the entity's own boundary
    lines cut it into parts, each running to the next boundary line; the line break
    before a boundary line belongs to the boundary (RFC 2046 5.1.1).
    """
    # Children of a multipart/digest default to message/rfc822; message/* parts nest
    # whole messages: both are left to the stdlib, and so is deep nesting (mail nests
    # three or four levels; a fuzzed body may nest until recursion runs out).
    if entity.get_content_maintype() != "multipart" or entity.get_content_type() == "multipart/digest":
        return False
    if depth > 8:
        return False
    boundary = entity.get_boundary()
    if not boundary or "\n" in boundary:
        return False
    delimiters = _boundary_lines(text, "--" + boundary, start, end)
    if not delimiters or delimiters[0][2]:
        return False  # no opening boundary line: the stdlib keeps the body as one string
    following = [*delimiters[1:], (end, end, True)]
    for (_, part_start, closing), (part_end, _, _) in zip(delimiters, following, strict=True):
        if closing:
            break  # what follows the closing boundary line is the epilogue
        if part_end <= part_start:
            return False  # "--b" twice in a row, or at the end: feedparser skips lines there
        found = _mime_part(text, part_start, part_end)
        if found is None:
            return False
        part, body_start = found
        if part.get_content_maintype() == "multipart":
            if not _mime_parts(part, text, body_start, part_end, leaves, depth + 1):
                return False
        elif part.get_content_maintype() == "message":
            return False
        else:
            payload = text[body_start:part_end]
            part.set_payload(payload[:-1] if payload.endswith("\n") else payload)
            leaves.append(part)
    return True


def _boundary_lines(text: str, dashed: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, start of the next line, closing?) of each boundary line up to the closing one.

    feedparser's test: the line is "--boundary", maybe "--" more, then only blanks and tabs.
    """
    found: list[tuple[int, int, bool]] = []
    at = start if text.startswith(dashed, start, end) else _next_line_with(text, dashed, start, end)
    while at != -1:
        newline = text.find("\n", at, end)
        line_end = end if newline == -1 else newline
        rest = text[at + len(dashed) : line_end]
        closing = rest.startswith("--") and not rest[2:].strip(" \t")
        if closing or not rest.strip(" \t"):
            found.append((at, end if newline == -1 else newline + 1, closing))
            if closing:
                break
        if newline == -1:
            break
        at = _next_line_with(text, dashed, newline, end)
    return found


def _next_line_with(text: str, prefix: str, start: int, end: int) -> int:
    found = text.find("\n" + prefix, start, end)
    return -1 if found == -1 else found + 1


def _mime_part(text: str, start: int, end: int) -> tuple[EmailMessage, int] | None:
    """A part's header fields as feedparser stores them, and where its body starts."""
    fields: list[list[str]] = []
    pos = start
    while pos < end:
        newline = text.find("\n", pos, end)
        line_end = end if newline == -1 else newline + 1
        line = text[pos:line_end]
        if line == "\n":  # the blank line ending the header block
            pos = line_end
            break
        if not _MIME_HEADER_LINE.match(line):
            break  # no blank line: the body starts here
        if line.startswith("From ") or line.startswith(":") or (line[0] in " \t" and not fields):
            return None  # feedparser's special cases for these: leave them to it
        if line[0] in " \t":
            fields[-1].append(line)
        else:
            fields.append([line])
        pos = line_end
    part = EmailMessage()
    for lines in fields:
        # email.policy.compat32.header_source_parse: folds kept, leading blanks dropped.
        name, value = lines[0].split(":", 1)
        part.set_raw(name, (value.lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n"))
    return part, pos
