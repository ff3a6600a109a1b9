"""Header block: split, unfold, decode; addresses, dates and message ids.

This is on the ingest hot path. ``read_headers`` picks out only the fields a digest
reads with one regex over the block rather than building an ``email.message.Message``
(measured on kvmarm: an archived header block averages 4.8 KB over 89 lines, mostly
Received/DKIM/ARC that no digest reads; the stdlib parser spends its time there).
``parse_header_block`` keeps every field for callers that show them all. Addresses take
a regex fast path for the plain ``Name <addr>`` forms and fall back to the stdlib
parser for anything else (comments, groups, quoting).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from email.header import decode_header, make_header
from email.utils import getaddresses, parseaddr, parsedate_tz
from functools import lru_cache

from ..models import Person, fixed_zone

_MSGID = re.compile(r"<([^<>\s]+)>")
_BRACKETED = re.compile(r"<[^<>\s]+>")  # the same, brackets included
_WS = re.compile(r"\s+")
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Headers:
    """Ordered header fields, looked up case-insensitively. Values are unfolded str.

    ``first`` maps each lower-case name to its first value: parse_message reads a dozen
    fields a message from it directly (``get`` folds the case of the name at every call).
    """

    __slots__ = ("fields", "first", "_repeats")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self.fields = fields
        # Built in one comprehension (reversed: the first occurrence is written last): a
        # message has ~11 fields and parse_message reads them all, so a per-field Python
        # loop here cost more than finding them.
        self.first = {name.lower(): value for name, value in reversed(fields)}
        # Whether some name occurs twice (public-inbox appends a second Message-ID on a
        # conflict): read_headers' fields nearly never repeat.
        self._repeats = len(self.first) != len(fields)

    def get(self, name: str, default: str = "") -> str:
        return self.first.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        if key not in self.first:
            return []
        if not self._repeats:
            # Every name once: the first value is the only one. Scanning the fields with
            # lower() on each cost 1.3 us a call, two calls a message (Message-ID, References).
            return [self.first[key]]
        return [value for field, value in self.fields if field.lower() == key]

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.first


_BLANK_LINE = re.compile(rb"\n\n")


def split_message(raw: bytes) -> tuple[bytes, bytes]:
    """Split raw bytes at the first empty line into header block and body (CRLF tolerated)."""
    if raw.startswith(b"From ") and b"\n" in raw[:2000]:
        # An mbox envelope line that a careless exporter left in place.
        first_nl = raw.index(b"\n")
        if b":" not in raw[:first_nl].split(b" ", 2)[1]:
            raw = raw[first_nl + 1 :]
    # The regex engine's scan for a two-byte literal is about twice as fast as bytes.find's
    # (measured on kvmarm's 4.8 KB header blocks: 2.5 against 4.6 us a message).
    blank = _BLANK_LINE.search(raw)
    lf = blank.start() if blank else -1
    # Only a CRLF blank line before the LF one matters: don't scan the whole body for it,
    # nor the header block when it holds no CR at all (memchr is much faster than find).
    end = len(raw) if lf == -1 else lf + 3
    crlf = raw.find(b"\r\n\r\n", 0, end) if raw.find(b"\r", 0, end) != -1 else -1
    if crlf != -1 and (lf == -1 or crlf < lf):
        return raw[:crlf], raw[crlf + 4 :]
    if lf == -1:
        return raw, b""
    return raw[:lf], raw[lf + 2 :]


def decode_bytes(data: bytes) -> str:
    """Header bytes: UTF-8 when valid (the common 8-bit case), else Latin-1 (never fails)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _without_cr(block: bytes) -> str:
    # CRs go first (only when there are any: most archived blocks hold none), so that
    # "\r\n " folds like "\n " and the patterns below need no "\r?".
    return "\n" + decode_bytes(block.replace(b"\r", b"") if b"\r" in block else block)


# A field: its name at a line start, ":" (folds may sit around it), and the value with its
# continuation lines. Run over "\n" + block: a pattern led by the literal "\n" lets the
# regex engine jump from line to line instead of trying every character (measured: 3-5x).
# The block is not unfolded first: only the values found are (the other 90% of an
# archived block, Received/DKIM/ARC lines, is only scanned).
_GAP = r"(?:[ \t]|\n(?=[ \t]))*"
_VALUE = r"([^\n]*(?:\n[ \t][^\n]*)*)"
_FIELDS = re.compile(r"\n([!-9;-~]+)" + _GAP + ":" + _VALUE)


def _fields(found: list[tuple[str, str]]) -> Headers:
    # "Subject: [PATCH v2 1/2] KVM: arm64: Reject VM creation when the default IPA\n size is unsupported"
    # A continuation line starts with "\n" + white space: unfolding drops the "\n" only
    # (RFC 5322), the white space stays. One comprehension: this runs for ~11 fields a mail.
    return Headers([(name, (value.replace("\n", "") if "\n" in value else value).strip()) for name, value in found])


def parse_header_block(block: bytes) -> Headers:
    """Every field of a header block, unfolded and stripped, in order."""
    return _fields(_FIELDS.findall(_without_cr(block)))


# The fields parse_message reads. The lookahead on the first letter lets most of the 89
# lines of an archived block (Received, DKIM, ARC: nothing a digest reads) be skipped
# without trying the alternation (measured: 35% faster than the bare alternation).
READ_FIELDS = (
    "from", "subject", "message-id", "date", "in-reply-to", "references", "to", "cc", "list-id",
    "content-type", "content-transfer-encoding", "x-original-from", "reply-to",
)  # fmt: skip
_FIRST = "".join(sorted({c for name in READ_FIELDS for c in (name[0], name[0].upper())}))
_READ = re.compile(rf"\n(?=[{_FIRST}])((?i:{'|'.join(READ_FIELDS)}))" + _GAP + ":" + _VALUE)
# The same for an ASCII block (all of kvmarm's), where ASCII case folding is Unicode's.
# Each alternative starts with a case-sensitive class ("[fF](?ai:rom)"), which the regex
# engine tests before entering the alternative at all; a case-insensitive first letter
# made it enter all 13 for each of the ~40 lines that pass the look-ahead ("Received",
# "X-Spam-...", "DKIM-..."): the scan takes 8 instead of 10 us a block.
_BY_FIRST: dict[str, list[str]] = {}
for _name in READ_FIELDS:
    _BY_FIRST.setdefault(_name[0], []).append(_name[1:])
_READ_ASCII = re.compile(
    rf"\n(?=[{_FIRST}])((?:"
    + "|".join(f"[{first}{first.upper()}](?ai:{'|'.join(rests)})" for first, rests in _BY_FIRST.items())
    + "))"
    + _GAP
    + ":"
    + _VALUE
)


def read_headers(block: bytes) -> Headers:
    """The fields in READ_FIELDS of a header block (the hot path of parse_message).

    Same values as ``parse_header_block`` gives for those fields: CRs dropped, unfolded
    (the line break removed, its white space kept), stripped. Only the values found are
    unfolded.
    """
    text = _without_cr(block)
    # str.isascii() reads a flag the string carries: it costs nothing.
    return _fields((_READ_ASCII if text.isascii() else _READ).findall(text))


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; undecodable words are left as written."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError, AssertionError):
        # "=?x-unknown?q?...?=" or a malformed word: keep the raw text, it is still readable.
        return value


def clean_text(value: str) -> str:
    """Single-line display text: control characters dropped, white space runs collapsed."""
    if value.isprintable() and "  " not in value:
        # The usual name or address: its only white space is single spaces (isprintable
        # is False for every control and every other white space character).
        return value.strip()
    return _WS.sub(" ", _CTRL.sub("", value)).strip()


def _person(name: str, addr: str) -> Person:
    name = clean_text(decode_words(name)).strip("'\" ")
    return Person(name=name, email=clean_text(addr).lower())


# The address forms nearly every mail uses, which the regexes below read exactly as
# email.utils.parseaddr does (a property test holds them to it):
#   Jane Roe <jane@example.org>    "Roe, Jane" <jane@example.org>    jane@example.org
# Anything with a comment, a group, a backslash, a second address or a domain literal
# falls back to parseaddr (it costs ~15 us a call: a third of the parse time of a mail).
_ATOMS = r'[^()<>@,:;"\[\]\\\r\n]*'  # a phrase: atoms, dots and blanks
_ADDR = r'[^()<>@,:;"\[\]\\\s]+@[^()<>@,:;"\[\]\\\s]+'
_NAMED = re.compile(rf'[ \t]*(?:"([^"\\\r\n]*)"|({_ATOMS}))[ \t]*<({_ADDR})>[ \t]*')
_BARE = re.compile(rf"[ \t]*({_ADDR})[ \t]*")
_BLANKS = re.compile(r"[ \t]+")


def split_address(value: str) -> tuple[str, str]:
    """``(display name, address)`` exactly as ``email.utils.parseaddr`` returns them."""
    m = _NAMED.fullmatch(value)
    if m:
        quoted, phrase, addr = m.groups()
        if quoted is not None:
            return quoted, addr
        # parseaddr joins the atoms of a phrase with one space.
        return " ".join(_BLANKS.split(phrase.strip(" \t"))) if phrase else "", addr
    m = _BARE.fullmatch(value)
    if m:
        return "", m.group(1)
    return parseaddr(value)


@lru_cache(maxsize=8192)
def parse_person(value: str) -> Person:
    """``"=?UTF-8?Q?J=C3=B6rg?= R. <jr@example.com>"`` -> Person("Jörg R.", "jr@example.com").

    Cached: the same From lines come back again and again (a list's regulars), and a
    Person is immutable."""
    if not value:
        return Person("", "")
    # Split before decoding so that an encoded name holding "," or "<" stays whole.
    name, addr = split_address(value)
    if not addr and not name:
        return _person(value, "")
    if not addr and "@" in name:
        name, addr = "", name
    return _person(name, addr)


def parse_people(value: str) -> list[Person]:
    return [_person(n, a) for n, a in getaddresses([value]) if a or n]


# "Jane Roe via Kvm <kvm@example.org>": the DMARC rewrite mailing lists apply.
_VIA = re.compile(r"^(.*?)\s+via\s+\S.*$", re.I)


def sender_of(headers: Headers) -> Person:
    """The header sender, with a mailing list's DMARC "via" rewrite undone."""
    sender = parse_person(headers.first.get("from", ""))
    via = _VIA.match(sender.name)
    if not via:
        return sender
    for alt in ("X-Original-From", "Reply-To"):
        original = parse_person(headers.get(alt))
        if original.email and original.email != sender.email:
            return Person(original.name or via.group(1), original.email)
    return Person(via.group(1).strip("'\" "), sender.email)


def msgids(values: list[str]) -> list[str]:
    """Every ``<id>`` found in the given header values, in order, without duplicates."""
    if len(values) == 1:
        # The usual case, one header holding bracketed ids: found with their brackets, as
        # they are returned (rebuilding "<id>" for each of a References' ids cost more
        # than finding them).
        ids = _BRACKETED.findall(values[0])
        if len(ids) == 1:
            return ids
        if ids:
            return list(dict.fromkeys(ids))
    found: list[str] = []
    for value in values:
        ids = _BRACKETED.findall(value)
        if not ids:
            bare = value.strip()
            if bare and " " not in bare:
                ids = [f"<{bare}>"]  # "Message-ID: abc@host" without brackets
        found += ids
    # dict.fromkeys: first occurrence kept, in order (a References line repeating an id).
    return list(dict.fromkeys(found))


def first_msgid(value: str) -> str | None:
    first = _BRACKETED.search(value)
    if first:
        return first.group()
    ids = msgids([value])
    return ids[0] if ids else None


_TZ_COMMENT = re.compile(r"\([^)]*\)")
# The form nearly every mailer writes, "Wed, 10 Mar 2021 17:43:17 +0800", read directly:
# email.utils.parsedate_tz costs ~8 us a call, most of it on forms this is not.
_MONTHS = {m: n for n, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}  # fmt: skip
# "Wed,  1 May 2019 17:10:08 +0100" (a day padded to two places, 13% of kvmarm) is the
# same date to parsedate_tz, which splits at white space.
_RFC5322_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), +)?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})"
    r" (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})"
)


@lru_cache(maxsize=256)
def _zone_named(zone: str) -> tzinfo:
    """``"+0800"`` -> its tzinfo; UTC for an offset of a day or more, as parsedate_tz's."""
    offset = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
    return fixed_zone((-offset if zone[0] == "-" else offset) if offset < 24 * 3600 else 0)


def parse_date(value: str) -> datetime | None:
    """Tolerant Date parsing; None when nothing sensible can be read.

    Handles "Wed, 10 Mar 2021 17:43:17 +0800 (CST)", two-digit years, missing zones (UTC
    assumed), "-0000", and zone names such as "EST" (via parsedate_tz).
    """
    if not value:
        return None
    if "(" in value:
        value = _TZ_COMMENT.sub("", value)
    value = value.strip()
    fast = _RFC5322_DATE.fullmatch(value)
    if fast:
        # What parsedate_tz returns for this exact form, without its general machinery.
        dd, mon, yyyy, hh, mi, ss, zone = fast.groups()
        year, day = int(yyyy), int(dd)
        if year < 100:  # "0021": parsedate_tz's two-digit rule applies
            year += 1900 if year > 68 else 2000
        if not (1 <= day <= 31 and 1980 <= year <= 2200):
            return None
        try:
            hms = min(int(hh), 23), min(int(mi), 59), min(int(ss), 59)
            return datetime(year, _MONTHS[mon], day, *hms, tzinfo=_zone_named(zone))
        except ValueError:  # "31 Feb"
            return None
    try:
        parts = parsedate_tz(value)
    except (ValueError, IndexError, TypeError, OverflowError):
        return None
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9] or 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if abs(offset) >= 24 * 3600:
        offset = 0
    try:
        tz = fixed_zone(offset)
        date = datetime(year, month, day, min(hour, 23), min(minute, 59), min(second, 59), tzinfo=tz)
    except (ValueError, OverflowError):
        return None
    if not 1980 <= date.year <= 2200:
        return None
    return date


@lru_cache(maxsize=64)
def list_id(value: str) -> str:
    """``"Where KVM decisions are made <kvm.example.org>"`` -> ``"kvm.example.org"``.

    Cached: an archive is one list or a few (about 1 us a message saved on kvmarm)."""
    ids = _MSGID.findall(value)
    return (ids[-1] if ids else value.strip()).lower()
