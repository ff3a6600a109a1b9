"""Facts about a diff: files touched, lines inserted and deleted, and a patch id.

Counted from the diff itself, hunk by hunk, as far as each hunk's header announces (a
mail's diff runs on into git format-patch's "-- " signature, and mailers mangle hunks).
"""

from __future__ import annotations

import hashlib
import re
from itertools import repeat

from ..models import DiffStat

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
