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
from dataclasses import dataclass
from email.message import Message as EmailMessage
from functools import lru_cache

from ..models import DiffStat, Person, Trailer
from .headers import Headers, parse_person


@dataclass(frozen=True, slots=True)
class DecodedBody:
    text: str  # the readable text (first inline text/plain part)
    diff: str  # diff carried by a text attachment, "" if none
    problem: str  # decoding trouble worth recording


_CHARSET = re.compile(r'charset\s*=\s*"?([^";\s]+)', re.I)
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _charset_of(content_type: str) -> str:
    m = _CHARSET.search(content_type)
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
        cleaned = _NOT_BASE64.sub(b"", data)
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
    ctype = headers.get("Content-Type").lower()
    if not ctype.startswith("multipart/"):
        data, problem = _transfer_decode(raw_body, headers.get("Content-Transfer-Encoding"))
        text, problem2 = _to_text(data, _charset_of(ctype))
        if "\r" in text:  # a scan for one character is several times faster than replace's
            text = text.replace("\r\n", "\n")
        return DecodedBody(text, "", problem or problem2)
    # Rare path (7% of kvmarm): let the stdlib walk the MIME tree. It gets the body under
    # a one-line header block: walking the parts needs only the top Content-Type, and
    # the other 80-odd header lines would double its work.
    top = b"Content-Type: " + headers.get("Content-Type").encode("utf-8", "surrogateescape") + b"\n\n"
    msg = email.message_from_bytes(top + raw_body, policy=email.policy.compat32)
    texts: list[str] = []
    diffs: list[str] = []
    problems: list[str] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
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


# --- the split ---------------------------------------------------------------------------

# Only what git-format-patch/--in-body-headers put there: "From:", "Date:", "Subject:".
_INBODY = re.compile(r"^(From|Date|Subject|Reply-To|Message-I[Dd]|Cc|To)\s*:\s*(.*)$", re.I)

# Line-anchored patterns are written "\n<line>" and run over "\n" + text, rather than
# "^<line>" with re.M: a pattern that starts with a literal lets the regex engine skip
# to the next newline instead of trying the whole pattern at every character, which
# matters on 200 MB of bodies (measured: 3-5x faster scans). "(?=\n|\Z)" is re.M's "$".
_DIFF_START = re.compile(r"\n(?:diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S)")
_SEPARATOR = re.compile(r"\n---[ \t]*(?=\n|\Z)")
_SIGNATURE = re.compile(r"^-- ?$", re.M)
# Used with .match(text, pos, endpos) on one line: no "^", which would only match at 0.
_DIFFSTAT_LINE = re.compile(r" .+\|\s+(\d+ ?[+-]*|Bin .*)\s*$")
_DIFFSTAT_SUMMARY = re.compile(r"^ \d+ files? changed(, \d+ insertions?\(\+\))?(, \d+ deletions?\(-\))?\s*$")
_SUMMARY_LINE = re.compile(
    r"\n \d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*(?=\n|\Z)"
)
_DIFF_FILE = re.compile(r'\n(?:diff --git (?:"?a/(.+?)"? "?b/(.+?)"?)(?=\n|\Z)|\+\+\+ (?:b/)?(\S+))')
# A hunk header, then the run of lines a hunk can hold: context (" " or, after a mailer
# stripped it, empty), "+", "-" and "\ No newline at end of file".
_HUNK = re.compile(r"\n@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@[^\n]*((?:\n(?:[ +\-\\][^\n]*|(?=\n|\Z)))*)")
_GIT_HEADER = re.compile(r"\n(diff --git [^\n]*)")
_ASCII_WHITESPACE = bytes(c for c in range(128) if chr(c).isspace())
# Changed lines for the patch id; "+++ b/x" and "--- a/x" name files, they change nothing.
_CHANGED = re.compile(r"\n(?!\+\+\+ |--- )([+-][^\n]*)")
_TRAILER = re.compile(
    r"\n([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-by|Fixes|Link|Closes|Cc|Change-Id|Message-ID|Based-on|Patchwork-Id)"
    r"\s*:\s*(\S.*?)\s*(?=\n|\Z)",
    re.I,
)


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
    first = lines_start.split("\n", 1)[0]
    if _INBODY.match(first) and first.lower().startswith(("from:", "subject:", "date:")):
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
    start = diff_start(text)
    if start != -1:
        before, diff = text[:start], text[start:]
    else:
        before, diff = text, ""
        sig = _last_signature(before)
        if sig is not None:
            before = before[:sig]
    if attached_diff and not diff:
        diff = attached_diff
    sep = _SEPARATOR.search("\n" + before)
    # Offsets in "\n" + before: the match starts at the "\n" ending the line before "---",
    # which is the offset of the "---" line in ``before``; its end is one past.
    if sep and (diff or _has_diffstat(before[sep.end() - 1 :])):
        commit_message, notes = before[: sep.start()], before[sep.end() - 1 :].lstrip("\n")
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
    m = _DIFF_START.search("\n" + text)
    return m.start() if m else -1


def _last_signature(text: str) -> int | None:
    # A signature is short; a "--" line early in a long mail is a separator of some kind.
    # So only the last 16 lines are searched: a "-- " line is one if at most 15 line
    # breaks follow it (the last one found, as "-- " can appear in the signature itself).
    tail = len(text)
    for _ in range(16):
        tail = text.rfind("\n", 0, tail)
        if tail == -1:
            break
    start = tail + 1
    last = None
    for m in _SIGNATURE.finditer(text, start):
        last = m.start()
    return last


def _has_diffstat(text: str) -> bool:
    return any(_DIFFSTAT_SUMMARY.match(line) for line in text.split("\n"))


def extract_diffstat(text: str) -> str:
    """The diffstat block: " path | 3 ++-" lines through " N files changed, ...".

    Searched from the end, so the last stat (after a cover letter's shortlog) wins.
    """
    if " changed" not in text:  # most replies: no summary line to look for
        return ""
    last = None
    for match in _SUMMARY_LINE.finditer("\n" + text):
        last = match  # the last stat wins (after a cover letter's shortlog)
    if last is None:
        return ""
    # In ``text``: the summary line is text[last.start() : last.end() - 1].
    start, end = last.start(), last.end() - 1
    # A long path is shortened with "..." and may wrap: keep contiguous stat lines only.
    while start > 0:
        prev = text.rfind("\n", 0, start - 1) + 1
        if not _DIFFSTAT_LINE.match(text, prev, start - 1):
            break
        start = prev
    return text[start:end]


def diff_facts(diff: str) -> tuple[DiffStat, str]:
    """``(diff_stat(diff), patch_id(diff))`` in one pass over the diff."""
    if not diff:
        return DiffStat(), ""
    text = "\n" + diff
    return _stat_of(text), _patch_id_of(text)


def diff_stat(diff: str) -> DiffStat:
    """Files, insertions and deletions counted from the diff itself (hunk by hunk)."""
    return diff_facts(diff)[0]


def patch_id(diff: str) -> str:
    """A stable id of a diff's content: changed lines without white space, per file.

    In the spirit of `git patch-id --stable`: line numbers and context do not matter,
    so the same change rebased elsewhere keeps its id. The SHA-1 runs over each
    ``diff --git`` line as written and each changed line's sign and non-blank text.
    """
    return diff_facts(diff)[1]


def _stat_of(text: str) -> DiffStat:
    files: list[str] = []
    for m in _DIFF_FILE.finditer(text):
        path = m.group(2) or m.group(3)
        if path and path != "/dev/null" and path not in files:
            files.append(path)
    ins = dels = 0
    for old_text, new_text, body in _HUNK.findall(text):
        old = int(old_text) if old_text else 1
        new = int(new_text) if new_text else 1
        plus, minus = body.count("\n+"), body.count("\n-")
        context = body.count("\n") - plus - minus - body.count("\n\\")
        if plus + context == new and minus + context == old:
            # The usual hunk: its lines are exactly what its header announced.
            ins, dels = ins + plus, dels + minus
        elif plus + context == new and minus - 1 + context == old and body.endswith(("\n-- ", "\n--")):
            # The last hunk of a git format-patch mail, followed by the "-- " signature
            # line, which the header's counts leave out.
            ins, dels = ins + plus, dels + minus - 1
        else:
            # A hunk cut short, or more lines past its end: count line by line until the
            # header's counts are used up.
            i, d = _count_hunk(body.split("\n")[1:], old, new)
            ins, dels = ins + i, dels + d
    return DiffStat(tuple(files), ins, dels)


def _count_hunk(lines: list[str], old_left: int, new_left: int) -> tuple[int, int]:
    ins = dels = 0
    for line in lines:
        if old_left <= 0 and new_left <= 0:
            break
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
    return ins, dels


def _patch_id_of(text: str) -> str:
    h = hashlib.sha1()
    # [before the first header, header 1, its lines, header 2, ...]
    for i, part in enumerate(_GIT_HEADER.split(text)):
        if i % 2:
            h.update(part.encode("utf-8", "replace"))
            continue
        changed = "".join(_CHANGED.findall(part))
        # Hashing the concatenation equals hashing line by line, so white space is
        # dropped once for all of them: for ASCII (nearly every diff) by bytes.translate,
        # which deletes exactly what str.split() splits ASCII text on.
        if changed.isascii():
            h.update(changed.encode("ascii").translate(None, _ASCII_WHITESPACE))
        elif changed:
            h.update("".join(changed.split()).encode("utf-8", "replace"))
    return h.hexdigest()


def trailers_in(text: str, *, skip_quoted: bool = True) -> list[Trailer]:
    """Trailer lines ("Reviewed-by: Name <mail>"); quoted ("> ...") lines never count."""
    return [_trailer(key, value) for key, value in _TRAILER.findall("\n" + text)]


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
