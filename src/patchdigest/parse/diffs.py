"""Facts about a diff: files touched, lines inserted and deleted, and a patch id.

Counted from the diff itself, hunk by hunk, as far as each hunk's header announces (a
mail's diff runs on into git format-patch's "-- " signature, and mailers mangle hunks).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from ..models import DiffStat

# One scan finds both kinds of header: a "diff --git" line (group 1, without its "d"),
# or a hunk header with its old and new counts (groups 2, 3) and the rest of its line.
# Measured: one scan with both alternatives costs two thirds of the two scans it
# replaces; the "d" outside the group lets the engine turn down the line on its first
# character (a sixth less for the scan).
_HEADER = re.compile(r"\n(?:d(iff --git [^\n]*)|@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@[^\n]*)")
# Files: "diff --git a/x b/x" (its b/ path), and "+++ b/x" (for diffs without git headers).
_GIT_PATHS = re.compile(r'diff --git "?a/(.+?)"? "?b/(.+?)"?')
_PLUS_FILE = re.compile(r"\n\+\+\+ (?:b/)?(\S+)")
# A hunk's run of lines after its header: context (" " or, after a mailer stripped it,
# empty), "+", "-" and "\ No newline at end of file". The run ends at the first line that
# is none of those (_NOT_HUNK_LINE), or at the next header.
_NOT_HUNK_LINE = re.compile(r"\n[^ +\-\\\n]")
# A context line written as git writes it. Its two-character literal start lets the
# regex engine skip from match to match (measured: a fifth cheaper than a pattern that
# also takes empty lines, which mailers leave rarely; those hunks are read line by line).
_CONTEXT_LINE = re.compile(r"\n [^\n]*")
_SIGNATURE_LINE = re.compile(r"\n--[ ]?(?=\n|\Z)")
# Everything but the changed lines, for the patch id: "+++ b/x" and "--- a/x" name files,
# they change nothing. Deleting the rest leaves the changed lines (and line breaks, which
# go with the other white space): measured faster than collecting the changed lines.
_UNCHANGED_LINE = re.compile(r"\n(?:\+\+\+ |--- |[^+\-\n])[^\n]*")
_ASCII_WHITESPACE = bytes(c for c in range(128) if chr(c).isspace())


def diff_facts(diff: str) -> tuple[DiffStat, str]:
    """``(diff_stat(diff), patch_id(diff))``."""
    return _cached_facts(diff) if len(diff) <= _CACHED_SIZE else _facts(diff)


def _facts(diff: str) -> tuple[DiffStat, str]:
    if not diff:
        return DiffStat(), ""
    # [before the first header, then for each header: its "diff --git" line but the "d"
    # (None for a hunk header), the hunk's old and new counts, what follows up to the
    # next header]
    parts = _HEADER.split("\n" + diff)
    heads, olds, news, segments = parts[1::4], parts[2::4], parts[3::4], parts[4::4]
    last = len(segments) - 1
    ins = dels = 0
    paths: list[str] = []
    sha1 = hashlib.sha1()
    # git format-patch ends a mail with a signature, "-- \n2.30.1", after the last hunk:
    # the patch id leaves it out (and anything after it), so that a mailed diff and the
    # same diff without it (git log -p, or the mail as git-am applied it) share an id.
    # Past the lines the last hunk's header announced, a "-- " line cannot be a change.
    before, signed = parts[0], ""
    if last == -1:
        before, signed = _cut_at_signature(before, 0)
    file = _FileText(before, paths)
    for k, (head, old_text, new_text, lines) in enumerate(zip(heads, olds, news, segments, strict=True)):
        if head is not None:
            head = "d" + head
            file.hash_into(sha1, paths)
            sha1.update(head.encode("utf-8", "replace"))
            path = _git_header_path(head)
            if path:
                paths.append(path)
            if k == last:
                lines, signed = _cut_at_signature(lines, 0)
            file = _FileText(lines, paths)  # "index ...", "--- a/x", "+++ b/x"
            continue
        old = int(old_text) if old_text else 1
        new = int(new_text) if new_text else 1
        hunk = _before_signature(lines) if k == last else lines
        # The hunk without its context lines serves both the counts and the patch id,
        # which wants only the changed lines; reading the run line by line takes a scan
        # for its end, counts over all of it, and the patch id deletes the context again
        # (measured: a fifth less CPU for diff_facts on kvmarm). A new file's hunk
        # ("@@ -0,0 +1,40 @@", a seventh of the hunk bytes) has no context to take out.
        changed, context = (hunk, 0) if old == 0 else _CONTEXT_LINE.subn("", hunk)
        plus, minus = changed.count("\n+"), changed.count("\n-")
        if plus + minus == changed.count("\n") and plus + context == new and minus + context == old:
            # Only context, added and removed lines, as many as the header announces:
            # the line-by-line count below would take the same lines. So it would for
            # the last hunk's lines cut before the signature: its count stops where the
            # header's counts are used up, whatever follows; what follows up to the
            # signature goes through _UNCHANGED_LINE, as any text outside a hunk.
            ins, dels = ins + plus, dels + minus
            file.add_changed(changed, minus > 0)
            if k == last:
                after, signed = _cut_at_signature(lines[len(hunk) :], 0)
                file.add(after)
            continue
        i, d, used = _hunk_counts(lines, old, new)
        ins, dels = ins + i, dels + d
        if k == last:
            lines, signed = _cut_at_signature(lines, used)
        file.add(lines)
    file.hash_into(sha1, paths)
    if "\n+++ " in signed:
        paths += _PLUS_FILE.findall(signed)
    stat = DiffStat(tuple(path for path in dict.fromkeys(paths) if path != "/dev/null"), ins, dels)
    return stat, sha1.hexdigest()


# The next revision of a series resends most of its patches, often unchanged: on kvmarm
# one diff in ten was among the previous 256 (9% of the bytes), and a hit costs a hash of
# the text where _facts reads it a dozen times (measured: 7% less CPU for diff_facts).
# Diffs up to 64 KB only (all but 8 of 9,458), so that the cache holds at most 16 MB.
_CACHED_SIZE = 65536
_cached_facts = lru_cache(maxsize=256)(_facts)


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


class _FileText:
    """One file's share of the patch id's text, and where its "+++ " paths come from."""

    __slots__ = ("changed", "sources", "dropped_plus", "removals")

    def __init__(self, lines: str, paths: list[str]) -> None:
        if "\n+++ " in lines:
            paths += _PLUS_FILE.findall(lines)
        self.changed = [_UNCHANGED_LINE.sub("", lines)]
        self.sources: list[str] = []  # the hunks' lines, for "+++ " lines among them
        self.dropped_plus = False
        self.removals = False  # a "-" line among the hunks' changed lines

    def add_changed(self, changed: str, removals: bool) -> None:
        """A hunk's lines without its context lines: only "+" and "-" lines."""
        self.changed.append(changed)
        self.sources.append(changed)
        self.removals = self.removals or removals

    def add(self, lines: str) -> None:
        self.changed.append(_UNCHANGED_LINE.sub("", lines))
        self.sources.append(lines)
        self.dropped_plus = self.dropped_plus or "\n+++ " in lines

    def hash_into(self, sha1: hashlib._Hash, paths: list[str]) -> None:
        changed = "".join(self.changed)
        # A hunk's "+++ " and "--- " lines are no change, and a "+++ " line names a file
        # (rare: a diff without git headers, or a patch to a patch); the search for
        # them over the whole file costs less than one per hunk.
        plus_lines = "\n+++ " in changed
        if plus_lines or self.dropped_plus:
            for lines in self.sources:
                paths += _PLUS_FILE.findall(lines)
        if plus_lines or (self.removals and "\n--- " in changed):
            changed = _UNCHANGED_LINE.sub("", changed)
        # Hashing the concatenation equals hashing line by line, so white space (with
        # the line breaks left between changed lines) is dropped once for all of them:
        # for ASCII (nearly every diff) by bytes.translate, which deletes exactly what
        # str.split() splits ASCII text on.
        if changed.isascii():
            sha1.update(changed.encode("ascii").translate(None, _ASCII_WHITESPACE))
        else:
            sha1.update("".join(changed.split()).encode("utf-8", "replace"))


def _before_signature(lines: str) -> str:
    """The last hunk's lines up to git format-patch's signature, if it has one."""
    at = lines.rfind("\n-- \n")
    if at == -1:
        at = lines.rfind("\n--\n")
    return (lines if at == -1 else lines[:at]).rstrip("\n")


def _cut_at_signature(text: str, start: int) -> tuple[str, str]:
    """``text`` split at the first "-- " (or "--") line from ``start`` on."""
    signature = _SIGNATURE_LINE.search(text, start)
    return (text, "") if signature is None else (text[: signature.start()], text[signature.start() :])


def _git_header_path(line: str) -> str | None:
    # The usual header, "diff --git a/x.c b/x.c" (no quotes, one " b/"), is cut at " b/";
    # _GIT_PATHS' lazy groups would try every cut along the line to reach the same answer.
    if '"' not in line and line.count(" b/") == 1 and line.startswith("diff --git a/"):
        cut = line.find(" b/")
        if cut > len("diff --git a/") and len(line) > cut + 3:
            return line[cut + 3 :]
    m = _GIT_PATHS.fullmatch(line)
    return m.group(2) if m else None


def _hunk_counts(lines: str, old: int, new: int) -> tuple[int, int, int]:
    """Insertions, deletions, and where the lines the header announced end in ``lines``."""
    end = _NOT_HUNK_LINE.search(lines)
    run = lines if end is None else lines[: end.start()]
    plus, minus = run.count("\n+"), run.count("\n-")
    # "\ No newline at end of file" is a line of the run that changes nothing.
    context = run.count("\n") - plus - minus - (run.count("\n\\") if "\\" in run else 0)
    if plus + context == new and minus + context == old:
        return plus, minus, len(run)
    if plus + context == new and minus - 1 + context == old and run.endswith(("\n-- ", "\n--")):
        # The last hunk of a git format-patch mail, followed by the "-- " signature
        # line, which the header's counts leave out.
        return plus, minus - 1, run.rfind("\n")
    # A hunk cut short, or more lines past its end: count line by line until the
    # header's counts are used up.
    split = run.split("\n")  # split[0]: empty, the header line's rest was split off
    ins, dels, read, cut_short = _count_hunk(split[1:], old, new)
    used = sum(map(len, split[: read + 1])) + read
    if cut_short and len(split) > 1 and split[-1] in ("-- ", "--"):
        # Lines ran out before the header's counts, the last one "-- ": rather a mangled
        # hunk and git format-patch's signature than a removed "- " line, for the patch
        # id (the stat counts the line, as it always did).
        used = run.rfind("\n")
    return ins, dels, used


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
