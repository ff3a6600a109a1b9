"""The split a patch mail's text follows (after MIME decoding, see ``mime``):

    [in-body From:/Date:/Subject: lines, blank line]
    commit message (trailers at its end)
    ---
    notes, diffstat
    diff --git ...
    --
    signature

The diff's own facts (files, counts, patch id) are in ``diffs``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..models import Person, Trailer
from .headers import parse_person

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
# The "---" line that ends a commit message (group "sep", without its first "-"), or the
# first line of a diff: split_body wants the first diff line and the first "---" line
# above it, and one scan finds whichever comes first (a reply, with neither, is read once
# rather than twice). Every alternative starts with a literal character, outside any
# group, which lets the engine turn down most lines on their first character (measured:
# a sixth less for the scan).
_SEPARATOR_OR_DIFF = re.compile(
    r"\n(?:-(?P<sep>--[ \t]*(?=\n|\Z))|diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S)"
)
_SEPARATOR_OR_DIFF_AT_0 = re.compile(
    r"-(?P<sep>--[ \t]*(?=\n|\Z))|diff --git |diff -[a-zA-Z]+ |Index: \S|--- \S.*\n\+\+\+ \S"
)
# Used with .match(text, pos, endpos) on one line: no "^", which would only match at 0.
_DIFFSTAT_LINE = re.compile(r" .+\|\s+(\d+ ?[+-]*|Bin .*)\s*$")
_SUMMARY_LINE = re.compile(
    r"\n \d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*(?=\n|\Z)"
)
# The summary line, for .fullmatch(text, line_start, line_end).
_SUMMARY = re.compile(r" \d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))?[^\S\n]*")
# A whole block at the start of a text: _DIFFSTAT_LINE lines, each with its line break
# ("\s" kept within its line), then _SUMMARY up to its line's end.
_STAT_BLOCK = re.compile(r"(?: .+\|[^\S\n]+(?:\d+ ?[+-]*|Bin .*)[^\S\n]*\n)*" + _SUMMARY.pattern + r"(?=\n|\Z)")
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


class BodyParts(NamedTuple):
    # A NamedTuple rather than a frozen dataclass: as immutable, and built in less than
    # half the time (a frozen dataclass sets each field through object.__setattr__);
    # building one was a sixth of split_body's time on kvmarm.
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
    # Positional: a NamedTuple takes keywords at twice the cost.
    return BodyParts(
        inbody_from,
        commit_message.strip("\n").rstrip(),
        sep is not None,  # has_separator
        notes.rstrip(),
        extract_diffstat(notes if sep else commit_message),
        diff,
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
    if len(lines) > 16:
        del lines[0]  # what precedes the last 16 lines
    # Two thirds of the bodies have none: asked of the list at once (in C), before any
    # loop over its lines (measured: a fifth less for the function on kvmarm).
    if "-- " not in lines and "--" not in lines:
        return None
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == "-- " or lines[i] == "--":
            return len(text) - len("\n".join(lines[i:]))
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
    at = text.find(" changed")
    if at == -1:
        return ""
    # git format-patch's notes: the stat right at the start, and nothing that could be a
    # summary after it. One match then reads the block, rather than one per line and a
    # check of the summary (measured: a fifth less for the function on kvmarm).
    block = _STAT_BLOCK.match(text)
    if block and text.find(" changed", block.end()) == -1:
        return block.group()
    summary = None
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
