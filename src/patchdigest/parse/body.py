"""Message bodies: MIME decoding, then the split a patch mail follows.

    [in-body From:/Date:/Subject: lines, blank line]
    commit message (trailers at its end)
    ---
    notes, diffstat
    diff --git ...
    --
    signature
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import hashlib
import quopri
import re
import string
from dataclasses import dataclass
from email.message import Message as EmailMessage
from functools import lru_cache
from itertools import repeat

from ..models import DiffStat, Person, Trailer
from .headers import Headers, parse_person


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
            return data.decode("latin-1") if charset not in ("utf-8", "utf8") else data.decode(
                "utf-8", "replace"
            ), ""
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


def _looks_like_diff(text: str) -> bool:
    return diff_start(text) != -1


def _part_text(part: EmailMessage) -> tuple[str, str]:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return "", ""
    return _to_text(payload, (part.get_content_charset() or "").lower())


def decode_body(headers: Headers, raw_body: bytes, raw: bytes) -> DecodedBody:
    """Readable text of a message, plus a diff carried as a text attachment."""
    content_type = headers.get("Content-Type")
    ctype = content_type.lower()
    if not ctype.startswith("multipart/"):
        data, problem = _transfer_decode(raw_body, headers.get("Content-Transfer-Encoding"))
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


# --- the split ---------------------------------------------------------------------------

# Only what git-format-patch/--in-body-headers put there: "From:", "Date:", "Subject:".
_INBODY = re.compile(r"^(From|Date|Subject|Reply-To|Message-I[Dd]|Cc|To)\s*:\s*(.*)$", re.I)

# Line-anchored patterns are written "\n<line>" rather than "^<line>" with re.M: a pattern
# that starts with a literal lets the regex engine skip to the next newline instead of
# trying the whole pattern at every character, which matters on 200 MB of bodies
# (measured: 3-5x faster scans). "(?=\n|\Z)" is re.M's "$". The text's first line has no
# "\n" before it: it is tried on its own (a second pattern, or .match at 0), which spares
# copying the whole text to put a "\n" in front.
_DIFF_START = re.compile(r"\n(?:diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S)")
_DIFF_START_AT_0 = re.compile(r"diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S")
# The "---" line that ends a commit message (group "sep"), or the first line of a diff:
# split_body wants the first diff line and the first "---" line above it, and one scan
# finds whichever comes first (a reply, with neither, is read once rather than twice).
_SEPARATOR_OR_DIFF = re.compile(
    r"\n(?:(?P<sep>---[ \t]*(?=\n|\Z))|diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S)"
)
_SEPARATOR_OR_DIFF_AT_0 = re.compile(
    r"(?P<sep>---[ \t]*(?=\n|\Z))|diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S"
)
# Used with .match(text, pos, endpos) on one line: no "^", which would only match at 0.
_DIFFSTAT_LINE = re.compile(r" .+\|\s+(\d+ ?[+-]*|Bin .*)\s*$")
_SUMMARY_LINE = re.compile(
    r"\n \d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*(?=\n|\Z)"
)
# The same line, for .fullmatch(text, line_start, line_end).
_SUMMARY = re.compile(r" \d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*")
# Files: "diff --git a/x b/x" (its b/ path), and "+++ b/x" (for diffs without git headers).
_GIT_PATHS = re.compile(r'diff --git "?a/(.+?)"? "?b/(.+?)"?')
_PLUS_FILE = re.compile(r"\n\+\+\+ (?:b/)?(\S+)")
_GIT_HEADER = re.compile(r"\n(diff --git [^\n]*)")
# A hunk header. What follows it up to the next one (or the end), the rest of the header
# line and the lines below, starts with the hunk's run of lines: context (" " or, after
# a mailer stripped it, empty), "+", "-" and "\ No newline at end of file". The run ends
# at the first line that is none of those (_NOT_HUNK_LINE).
_HUNK_HEADER = re.compile(r"\n@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_NOT_HUNK_LINE = re.compile(r"\n[^ +\-\\\n]")
_ASCII_WHITESPACE = bytes(c for c in range(128) if chr(c).isspace())
_SIGNATURE_LINE = re.compile(r"\n--[ ]?(?=\n|\Z)")
# Everything but the changed lines, for the patch id: "+++ b/x" and "--- a/x" name files,
# they change nothing. Deleting the rest leaves the changed lines (and line breaks, which
# go with the other white space): measured faster than collecting the changed lines.
_UNCHANGED_LINE = re.compile(r"\n(?:\+\+\+ |--- |[^+\-\n])[^\n]*")
# "(?=[A-Z][^\s:]*+\s*:)": a trailer line starts with a letter, a word and a colon; most
# lines of a mail don't ("> quoted", "The ..."), and this look-ahead turns them down before
# the alternation below is tried at all (2x faster on kvmarm). It cannot turn down a
# trailer: every key starts with a letter and holds neither white space nor ":". The
# key's first run is possessive: it is followed by "-", which it cannot hold, so giving
# characters back could never help.
_TRAILER_LINE = (
    r"(?=[A-Z][^\s:]*+\s*:)"
    r"([A-Z][A-Za-z0-9]*+(?:-[A-Za-z0-9]+)*-by|Fixes|Link|Closes|Cc|Change-Id|Message-ID|Based-on|Patchwork-Id)"
    r"\s*:\s*(\S.*?)\s*(?=\n|\Z)"
)
_TRAILER = re.compile(r"\n" + _TRAILER_LINE, re.I)
_TRAILER_AT_0 = re.compile(_TRAILER_LINE, re.I)


@dataclass(frozen=True, slots=True)
class BodyParts:
    inbody_from: Person | None
    commit_message: str
    has_separator: bool
    notes: str
    diffstat: str
    diff: str


def split_body(text: str, attached_diff: str = "") -> BodyParts:
    # In-body headers: only when the body *starts* with one (b4/git-am rule).
    lines_start = text.lstrip("\n")
    inbody_from: Person | None = None
    # The first line starts "From:", "Subject:" or "Date:" (then _INBODY matches it): its
    # first 8 characters tell, without cutting the line out of a long body.
    if lines_start[:8].lower().startswith(("from:", "subject:", "date:")):
        pos = 0
        while pos < len(lines_start):
            nl = lines_start.find("\n", pos)
            line = lines_start[pos : nl if nl != -1 else len(lines_start)]
            m = _INBODY.match(line)
            if not m:
                break
            if m.group(1).lower() == "from" and inbody_from is None:
                inbody_from = parse_person(m.group(2))
            pos = len(lines_start) if nl == -1 else nl + 1
        text = lines_start[pos:]
    start, sep = _diff_and_separator(text)
    if start != -1:
        before, diff = text[:start], text[start:]
    else:
        before, diff = text, ""
        sig = _last_signature(before)
        if sig is not None:
            before = before[:sig]
            if sep and sep[0] >= sig:
                sep = None  # the "---" line is in the signature, cut off
    if attached_diff and not diff:
        diff = attached_diff
    if sep and (diff or _has_diffstat(before[sep[1] :])):
        commit_message, notes = before[: sep[0]], before[sep[1] :].lstrip("\n")
    else:
        commit_message, notes = before, ""
        sep = None
    return BodyParts(
        inbody_from=inbody_from,
        commit_message=commit_message.strip("\n").rstrip(),
        has_separator=sep is not None,
        notes=notes.rstrip(),
        diffstat=extract_diffstat(notes if sep else commit_message),
        diff=diff,
    )


def diff_start(text: str) -> int:
    """Offset of the line where a diff starts in ``text``, or -1."""
    if _DIFF_START_AT_0.match(text):
        return 0
    m = _DIFF_START.search(text)
    return m.start() + 1 if m else -1


def _diff_and_separator(text: str) -> tuple[int, tuple[int, int] | None]:
    """Where the diff starts (or -1), and the first "---" line above it (start, end)."""
    m = _SEPARATOR_OR_DIFF_AT_0.match(text)
    if m and not m.group("sep"):
        return 0, None
    if m:
        sep = 0, m.end()
    else:
        m = _SEPARATOR_OR_DIFF.search(text)
        if m is None:
            return -1, None
        if not m.group("sep"):
            return m.start() + 1, None
        sep = m.start() + 1, m.end()
    # The diff, if any, starts below the "---" line: search on from the line's end.
    m = _DIFF_START.search(text, sep[1])
    return (m.start() + 1 if m else -1), sep


def _last_signature(text: str) -> int | None:
    # A signature is short; a "--" line early in a long mail is a separator of some kind.
    # So only the last 16 lines are searched: a "-- " line is one if at most 15 line
    # breaks follow it (the last one found, as "-- " can appear in the signature itself).
    # Those lines come from one rsplit of the text's last 4 KB (which hold 16 lines in
    # all but odd mails) rather than 16 searches for a line break.
    tail = text[-4096:]
    lines = tail.rsplit("\n", 16)
    if len(lines) <= 16 and len(tail) < len(text):
        lines = text.rsplit("\n", 16)
    end = len(text)
    # With 16 line breaks found, lines[0] is what precedes the last 16 lines.
    for line in reversed(lines if len(lines) <= 16 else lines[1:]):
        start = end - len(line)
        if line == "-- " or line == "--":
            return start
        end = start - 1
    return None


def _has_diffstat(text: str) -> bool:
    return " changed" in text and _SUMMARY_LINE.search("\n" + text) is not None


def extract_diffstat(text: str) -> str:
    """The diffstat block: " path | 3 ++-" lines through " N files changed, ...".

    Searched from the end, so the last stat (after a cover letter's shortlog) wins.
    """
    # Every summary line holds " changed": look at the lines that do, and keep the last
    # summary. str.find is the fastest scan there is (twice as fast as rfind, and most
    # replies hold no " changed" at all); prose ("has changed") is passed over on the
    # word before it, as a summary says "file(s) changed".
    summary = None
    at = text.find(" changed")
    while at != -1:
        if text.endswith(" file", 0, at) or text.endswith(" files", 0, at):
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            end = len(text) if end == -1 else end
            if _SUMMARY.fullmatch(text, start, end):
                summary = start, end
        at = text.find(" changed", at + 1)
    if summary is None:
        return ""
    start, end = summary
    # A long path is shortened with "..." and may wrap: keep contiguous stat lines only.
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        if not _DIFFSTAT_LINE.match(text, prev, start - 1):
            break
        start = prev
    return text[start:end]


def diff_facts(diff: str) -> tuple[DiffStat, str]:
    """``(diff_stat(diff), patch_id(diff))``, sharing the cut at "diff --git" lines."""
    if not diff:
        return DiffStat(), ""
    text = "\n" + diff
    # [before the first header, header 1, its lines, header 2, ...]
    pieces = _GIT_HEADER.split(text)
    insertions, deletions, hunks_end = _changed_line_counts(text)
    stat = DiffStat(_files_of(pieces), insertions, deletions)
    # git format-patch ends a mail with a signature, "-- \n2.30.1", after the last hunk:
    # the patch id leaves it out (and anything after it), so that a mailed diff and the
    # same diff without it (git log -p, or the mail as git-am applied it) share an id.
    # Past the lines the last hunk's header announced, a "-- " line cannot be a change
    # (nor can the last line of a last hunk cut short, see _changed_line_counts).
    last = pieces[-1]
    signature = _SIGNATURE_LINE.search(last, max(0, hunks_end - (len(text) - len(last))))
    if signature:
        pieces[-1] = last[: signature.start()]
    return stat, _patch_id_of(pieces)


def diff_stat(diff: str) -> DiffStat:
    """Files, insertions and deletions counted from the diff itself (hunk by hunk)."""
    return diff_facts(diff)[0]


def patch_id(diff: str) -> str:
    """A stable id of a diff's content: changed lines without white space, per file.

    In the spirit of `git patch-id --stable`: line numbers and context do not matter,
    so the same change rebased elsewhere keeps its id. The SHA-1 runs over each
    ``diff --git`` line as written and each changed line's sign and non-blank text, up
    to git format-patch's signature ("-- " past the last hunk), which it leaves out.
    """
    return diff_facts(diff)[1]


def _files_of(pieces: list[str]) -> tuple[str, ...]:
    """Paths in order of appearance: each header's b/ path and each "+++ " line's."""
    paths: list[str] = []
    for i, piece in enumerate(pieces):
        if i % 2:
            path = _git_header_path(piece)
            if path:
                paths.append(path)
        else:
            paths += _PLUS_FILE.findall(piece)
    return tuple(path for path in dict.fromkeys(paths) if path != "/dev/null")


def _git_header_path(line: str) -> str | None:
    # The usual header, "diff --git a/x.c b/x.c" (no quotes, one " b/"), is cut at " b/";
    # _GIT_PATHS' lazy groups would try every cut along the line to reach the same answer.
    if '"' not in line and line.count(" b/") == 1 and line.startswith("diff --git a/"):
        cut = line.find(" b/")
        if cut > len("diff --git a/") and len(line) > cut + 3:
            return line[cut + 3 :]
    m = _GIT_PATHS.fullmatch(line)
    return m.group(2) if m else None


def _changed_line_counts(text: str) -> tuple[int, int, int]:
    """Insertions and deletions, hunk by hunk, as far as each hunk's header announces.

    Also where the last hunk's announced lines end in ``text`` (at a line break, or the
    end), 0 without hunks.
    """
    # [before the first hunk, old count, new count, what follows up to the next hunk, ...]
    parts = _HUNK_HEADER.split(text)
    following = parts[3::3]
    ends = map(_NOT_HUNK_LINE.search, following)
    runs = [lines if m is None else lines[: m.start()] for lines, m in zip(following, ends, strict=True)]
    # Counting with str.count over each run, through map, keeps the per-line work in C.
    # "\ No newline at end of file" is a line of the run that changes nothing. Most diffs
    # hold no backslash at all, and the search for one character is fast.
    backslashes = "\\" in text
    ins = dels = used = 0
    for old_text, new_text, body, breaks, plus, minus in zip(
        parts[1::3],
        parts[2::3],
        runs,
        map(str.count, runs, repeat("\n")),
        map(str.count, runs, repeat("\n+")),
        map(str.count, runs, repeat("\n-")),
        strict=True,
    ):
        old = int(old_text) if old_text else 1
        new = int(new_text) if new_text else 1
        context = breaks - plus - minus - (body.count("\n\\") if backslashes and "\\" in body else 0)
        if plus + context == new and minus + context == old:
            # The usual hunk: its lines are exactly what its header announced.
            ins, dels, used = ins + plus, dels + minus, len(body)
        elif plus + context == new and minus - 1 + context == old and body.endswith(("\n-- ", "\n--")):
            # The last hunk of a git format-patch mail, followed by the "-- " signature
            # line, which the header's counts leave out.
            ins, dels, used = ins + plus, dels + minus - 1, body.rfind("\n")
        else:
            # A hunk cut short, or more lines past its end: count line by line until the
            # header's counts are used up.
            lines = body.split("\n")  # lines[0]: the rest of the header line
            i, d, read, cut_short = _count_hunk(lines[1:], old, new)
            ins, dels, used = ins + i, dels + d, sum(map(len, lines[: read + 1])) + read
            if cut_short and len(lines) > 1 and lines[-1] in ("-- ", "--"):
                # Lines ran out before the header's counts, the last one "-- ": rather a
                # mangled hunk and git format-patch's signature than a removed "- " line,
                # for the patch id (the stat counts the line, as it always did).
                used = body.rfind("\n")
    # The last hunk is what follows the last header, at the end of the text.
    return ins, dels, len(text) - len(parts[-1]) + used if len(parts) > 1 else 0


def _count_hunk(lines: list[str], old_left: int, new_left: int) -> tuple[int, int, int, bool]:
    """Insertions, deletions, the number of lines read, and whether they ran out first."""
    ins = dels = 0
    for n, line in enumerate(lines):
        if old_left <= 0 and new_left <= 0:
            return ins, dels, n, False
        c = line[:1]
        if c == "+":
            ins += 1
            new_left -= 1
        elif c == "-":
            dels += 1
            old_left -= 1
        elif c == " " or line == "":
            old_left -= 1
            new_left -= 1
        # "\\ No newline at end of file" changes nothing
    return ins, dels, len(lines), old_left > 0 or new_left > 0


def _patch_id_of(pieces: list[str]) -> str:
    h = hashlib.sha1()
    for i, piece in enumerate(pieces):
        if i % 2:
            h.update(piece.encode("utf-8", "replace"))
            continue
        changed = _UNCHANGED_LINE.sub("", piece)
        # Hashing the concatenation equals hashing line by line, so white space (with
        # the line breaks left between changed lines) is dropped once for all of them:
        # for ASCII (nearly every diff) by bytes.translate, which deletes exactly what
        # str.split() splits ASCII text on.
        if changed.isascii():
            h.update(changed.encode("ascii").translate(None, _ASCII_WHITESPACE))
        else:
            h.update("".join(changed.split()).encode("utf-8", "replace"))
    return h.hexdigest()


def trailers_in(text: str, *, skip_quoted: bool = True) -> list[Trailer]:
    """Trailer lines ("Reviewed-by: Name <mail>"); quoted ("> ...") lines never count."""
    first = _TRAILER_AT_0.match(text)
    found = _TRAILER.findall(text, first.end()) if first else _TRAILER.findall(text)
    if first:
        found.insert(0, first.group(1, 2))
    return [_trailer(key, value) for key, value in found]


@lru_cache(maxsize=8192)
def _trailer(written_key: str, value: str) -> Trailer:
    # Cached: the same people sign off and review again and again (a third of kvmarm's
    # 19,000 trailers repeat one seen in the previous few hundred mails).
    key = _canonical_key(written_key)
    person = parse_person(value) if key.lower().endswith("-by") or key == "Cc" else None
    if person is not None and not person.email:
        person = None
    return Trailer(key, value, person)


def _canonical_key(key: str) -> str:
    special = {"message-id": "Message-ID", "change-id": "Change-Id", "patchwork-id": "Patchwork-Id"}
    low = key.lower()
    if low in special:
        return special[low]
    return "-".join(p[:1].upper() + p[1:].lower() if i == 0 else p.lower() for i, p in enumerate(key.split("-")))
