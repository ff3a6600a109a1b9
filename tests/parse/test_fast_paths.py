"""The parser's fast paths give exactly what the straightforward code they replaced gives.

Each hot-path helper was rewritten for speed (one regex over the text instead of a loop
over its lines, a regex for the common address and date forms before the stdlib's
general parsers). The reference versions below are the originals, kept here as the
specification; hypothesis feeds both the inputs that matter: mail-shaped noise.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parseaddr, parsedate_tz

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchdigest.models import DiffStat
from patchdigest.parse import _own_lines, _reply_text
from patchdigest.parse.body import extract_diffstat, split_body
from patchdigest.parse.diffs import diff_facts
from patchdigest.parse.headers import (
    READ_FIELDS,
    clean_text,
    decode_words,
    parse_date,
    parse_header_block,
    read_headers,
    split_address,
    split_message,
)
from patchdigest.parse.subject import _parse_subject, parse_subject

from .test_properties import CORPUS

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


def pieces(*items: str) -> st.SearchStrategy[str]:
    return st.lists(st.one_of(st.sampled_from(items), st.text(max_size=4)), max_size=30).map("".join)


# --- addresses -------------------------------------------------------------------------

ADDRESS_BITS = ('"', "\\", "<", ">", "(", ")", ",", ";", ":", "@", ".", " ", "\t", "[", "]", "=?utf-8?q?J=C3=B6rg?=",
                "Jane", "Roe", "jane@example.org", "\u00e9", "\xa0", "\r\n ", "'")  # fmt: skip


@SETTINGS
@given(pieces(*ADDRESS_BITS))
def test_split_address_is_parseaddr(value: str) -> None:
    assert split_address(value) == parseaddr(value)


def test_split_address_common_forms() -> None:
    for value in ("Jane Roe <jane@example.org>", '"Roe, Jane" <jane@x.org>', "jane@x.org", "<jane@x.org>",
                  "  Jane   R.  Roe\t<j.r@x.org>  ", "=?UTF-8?Q?J=C3=B6rg?= <j@x.org>"):  # fmt: skip
        assert split_address(value) == parseaddr(value), value


# --- dates -----------------------------------------------------------------------------


def reference_parse_date(value: str) -> datetime | None:
    parts = parsedate_tz(re.sub(r"\([^)]*\)", "", value).strip())
    if parts is None:
        return None
    year, month, day, hour, minute, second = parts[:6]
    offset = parts[9] or 0
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if abs(offset) >= 24 * 3600:
        offset = 0
    try:
        tz = timezone(timedelta(seconds=offset)) if offset else UTC
        date = datetime(year, month, day, min(hour, 23), min(minute, 59), min(second, 59), tzinfo=tz)
    except (ValueError, OverflowError):
        return None
    return date if 1980 <= date.year <= 2200 else None


def _date(day: str, d: int, mon: str, y: str, h: int, m: int, s: int, sign: str, zh: int, zm: int, tail: str) -> str:
    return f"{day}{d} {mon} {y} {h:02d}:{m:02d}:{s:02d} {sign}{zh:02d}{zm:02d}{tail}"


dates = st.builds(
    _date,
    st.sampled_from(["", "Wed, ", "Sun, "]), st.integers(0, 39), st.sampled_from(["Jan", "Mar", "Dec", "mar"]),
    st.sampled_from(["2021", "1999", "0021", "0075", "2300", "9999"]), st.integers(0, 99), st.integers(0, 99),
    st.integers(0, 99), st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99),
    st.sampled_from(["", " (CST)", "  "]),
)  # fmt: skip


@SETTINGS
@given(dates)
def test_date_fast_path_is_parsedate_tz(value: str) -> None:
    got, want = parse_date(value), reference_parse_date(value)
    assert got == want
    if got is not None and want is not None:
        assert got.utcoffset() == want.utcoffset()


# --- header fields ---------------------------------------------------------------------

HEADER_BITS = ("\n", "\r\n", "\n ", "\n\t", ":", " ", "From", "from", "Subject", "SUBJECT", "Message-ID",
               "Received", "To", "Cc", "X-Original-From", "List-Id", "Content-Type", "=?utf-8?q?x?=", "\xe9",
               "Date", "References", "In-Reply-To", "x")  # fmt: skip


@SETTINGS
@given(pieces(*HEADER_BITS), st.sampled_from(["utf-8", "latin-1"]))
def test_read_headers_agrees_with_the_full_block(block: str, encoding: str) -> None:
    raw = block.encode(encoding, "replace")
    full, read = parse_header_block(raw), read_headers(raw)
    for name in READ_FIELDS:
        assert read.get_all(name) == full.get_all(name), name


def test_read_headers_on_the_corpus() -> None:
    for name, raw in CORPUS.items():
        head, _ = split_message(raw)
        full, read = parse_header_block(head), read_headers(head)
        for field in READ_FIELDS:
            assert read.get_all(field) == full.get_all(field), (name, field)


@SETTINGS
@given(st.text(max_size=60))
def test_clean_text_fast_path(value: str) -> None:
    slow = re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", value)).strip()
    assert clean_text(value) == slow


# --- bodies ----------------------------------------------------------------------------


def reference_diff_stat(diff: str) -> DiffStat:
    if not diff:
        return DiffStat()
    files: list[str] = []
    for m in re.finditer(r"^diff --git (?:\"?a/(.+?)\"? \"?b/(.+?)\"?)$|^\+\+\+ (?:b/)?(\S+)", diff, re.M):
        path = m.group(2) or m.group(3)
        if path and path != "/dev/null" and path not in files:
            files.append(path)
    ins = dels = 0
    lines = diff.split("\n")
    i, n = 0, len(lines)
    while i < n:
        h = re.match(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", lines[i])
        if not h:
            i += 1
            continue
        old_left = int(h.group(1)) if h.group(1) is not None else 1
        new_left = int(h.group(2)) if h.group(2) is not None else 1
        i += 1
        while i < n and (old_left > 0 or new_left > 0):
            c = lines[i][:1]
            if c == "+":
                ins, new_left = ins + 1, new_left - 1
            elif c == "-":
                dels, old_left = dels + 1, old_left - 1
            elif c == " " or lines[i] == "":
                old_left, new_left = old_left - 1, new_left - 1
            elif c != "\\":
                break
            i += 1
    return DiffStat(tuple(files), ins, dels)


def reference_patch_id(diff: str) -> str:
    if not diff:
        return ""
    h = hashlib.sha1()
    lines = diff.split("\n")
    for line in lines[: reference_signature(lines)]:
        if line.startswith(("diff --git ", "+++ ", "--- ")):
            if line.startswith("diff --git "):
                h.update(line.encode("utf-8", "replace"))
            continue
        if line[:1] in ("+", "-"):
            h.update(line[:1].encode() + "".join(line[1:].split()).encode("utf-8", "replace"))
    return h.hexdigest()


def reference_signature(lines: list[str]) -> int:
    """Index of git format-patch's "-- " line, which the patch id leaves out with what follows.

    It is the first "-- " (or "--") line past the lines the last hunk's header announced
    and past the last "diff --git" line; len(lines) if there is none. A last hunk whose
    lines run out before its counts do, on a "-- " line, ends before that line.
    """
    start = i = 0
    while i < len(lines):
        h = re.match(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@", lines[i])
        if lines[i].startswith("diff --git "):
            start = i + 1
        i += 1
        if not h:
            continue
        old_left = int(h.group(1)) if h.group(1) is not None else 1
        new_left = int(h.group(2)) if h.group(2) is not None else 1
        while i < len(lines) and (old_left > 0 or new_left > 0) and lines[i][:1] in ("+", "-", " ", "\\", ""):
            c = lines[i][:1]
            old_left -= c in ("-", " ", "")
            new_left -= c in ("+", " ", "")
            i += 1
        start = i
        if (old_left > 0 or new_left > 0) and lines[i - 1] in ("-- ", "--"):
            start = i - 1
    return next((j for j in range(start, len(lines)) if lines[j] in ("-- ", "--")), len(lines))


DIFF_BITS = ("\n", "diff --git a/x b/x", "diff --git a/y b/y", "+++ b/x", "--- a/x", "@@ -1,2 +1,3 @@",
             "@@ -1 +1 @@", "@@ -0,0 +1 @@", "+", "-", " ", "\\ No newline at end of file", "-- ", "2.30.1",
             "\t", "\xa0", "\u2028", "é", "\x1c", "a")  # fmt: skip


@SETTINGS
@given(pieces(*DIFF_BITS))
def test_diff_facts_are_the_line_by_line_results(diff: str) -> None:
    assert diff_facts(diff) == (reference_diff_stat(diff), reference_patch_id(diff))


def test_diff_facts_on_the_corpus() -> None:
    for name, raw in CORPUS.items():
        text = raw.decode("utf-8", "replace")
        i = text.find("\ndiff --git ")
        if i != -1:
            diff = text[i + 1 :]
            assert diff_facts(diff) == (reference_diff_stat(diff), reference_patch_id(diff)), name


def reference_extract_diffstat(text: str) -> str:
    lines = text.split("\n")
    for end in range(len(lines) - 1, -1, -1):
        if re.match(r"^ \d+ files? changed(, \d+ insertions?\(\+\))?(, \d+ deletions?\(-\))?\s*$", lines[end]):
            start = end
            while start > 0 and re.match(r"^ .+\|\s+(\d+ ?[+-]*|Bin .*)\s*$", lines[start - 1]):
                start -= 1
            return "\n".join(lines[start : end + 1])
    return ""


STAT_BITS = ("\n", " 1 file changed", " 2 files changed", ", 3 insertions(+)", ", 1 deletion(-)", " x.c | 3 ++-",
             " a/b | Bin 0 -> 12 bytes", " ", "\t", "|", "text")  # fmt: skip


@SETTINGS
@given(pieces(*STAT_BITS))
def test_extract_diffstat_is_the_line_by_line_result(text: str) -> None:
    assert extract_diffstat(text) == reference_extract_diffstat(text)


def reference_reply_text(text: str) -> str:
    text = text.split("\n-- \n", 1)[0]
    return "\n".join(line.strip() for line in text.split("\n") if not line.lstrip().startswith(">"))


@SETTINGS
@given(pieces("\n", "> ", ">", "  > ", "Reviewed-by: A <a@b>", " ", "\t", "-- ", "\xa0", "text"))
def test_reply_text_is_the_line_by_line_result(text: str) -> None:
    assert _reply_text(_own_lines(text)) == reference_reply_text(text)


@SETTINGS
@given(pieces("\n", "---", "--- ", "-- ", "--", "diff --git a/x b/x", "Index: x", "--- a/x\n+++ b/x",
              " 1 file changed", "From: A <a@b>", "text", " "))  # fmt: skip
def test_split_body_never_loses_text(text: str) -> None:
    parts = split_body(text)
    # Whatever the split, the commit message, the notes and the diff come from the text.
    for piece in (parts.commit_message, parts.notes, parts.diff):
        assert piece.strip() in text or not piece.strip()


# --- subjects ---------------------------------------------------------------------------

SUBJECT_BITS = ("Re: ", "RE: ", "[PATCH", "[PATCH]", "]", " ", "v2", "v0", "v1234567", "3/7", "7/3", "0/4",
                "1234567/2", "[RFC]", "Re:", "KVM: arm64: fix", "[", "  ", "\t", "x")  # fmt: skip


@SETTINGS
@given(pieces(*SUBJECT_BITS))
def test_subject_fast_path_is_the_general_loop(subject: str) -> None:
    """ "[PATCH v2 3/7] title" is read by one regex: it must give what the loop over prefixes
    and tag groups gives, for that form and for everything that merely looks like it."""
    assert parse_subject.__wrapped__(subject) == _parse_subject(clean_text(subject))


def test_subject_fast_path_on_the_corpus() -> None:
    for name, raw in CORPUS.items():
        subject = decode_words(read_headers(split_message(raw)[0]).get("Subject"))
        assert parse_subject.__wrapped__(subject) == _parse_subject(clean_text(subject)), name
