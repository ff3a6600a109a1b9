"""Subject lines: reply prefixes, tag groups, version, counter, project, clean title."""

from __future__ import annotations

import re
from functools import lru_cache

from ..models import Subject, positional_init
from .headers import clean_text

_new_subject = positional_init(Subject)

# Reply/forward prefixes as mail clients write them: "Re:", "RE:", "AW:" (German Outlook),
# "SV:" (Nordic), "Antw:" (Dutch), "VS:", "Fwd:", "FW:", "Re[2]:", "Re: Re:".
_REPLY = re.compile(r"^(re|aw|sv|antw|vs|wg|fwd?|fw|tr|odp)\s*(?:\[\d+\])?\s*:\s*", re.I)
_GROUP = re.compile(r"^\[([^\]]*)\]\s*")
_VERSION = re.compile(r"^v(\d+)(?:\.(\d+))?$", re.I)
# "[PATCHv3]", "[RFCv2]", "[PATCH-v4]": the version glued to the keyword.
_GLUED = re.compile(r"^(patch|rfc|resend)[-_]?(v\d+(?:\.\d+)?)$", re.I)
_COUNTER = re.compile(r"^(\d+)/(\d+)$")
_SEPARATORS = re.compile(r"[\s,]+")
_NUMBER = re.compile(r"^\d+(\.\d+)*(-rc\d+)?$", re.I)
# Versions and counters longer than this are noise ("[PATCH v123456789012345678901]"),
# and would not fit the index's 64-bit integers (or int()'s 4300-digit limit).
_MAX_DIGITS = 6
# Words in a patch tag group that are not a project name.
_NOT_PROJECT = {
    "patch", "rfc", "resend", "git", "pull", "repost", "autosel", "stable", "net", "for",
    "of", "v", "fixup", "follow-up", "followup", "tentative", "draft", "incomplete", "wip",
    "review", "request", "part", "series", "manual", "backport", "mm-hotfixes",
}  # fmt: skip


def _words(group: str) -> list[str]:
    # "[PATCH v6,19/24]" separates with a comma; "[PATCH v2 3/7]" with spaces.
    return [w for w in _SEPARATORS.split(group.strip()) if w]


# The form most patch traffic takes, read in one match: "[PATCH v2 3/7] KVM: arm64: foo",
# "Re: [PATCH 0/4] ...", "[PATCH] ..." (two thirds of kvmarm's subjects). Anything else,
# or a title that itself starts with a prefix or a tag group, takes the general loop.
_USUAL = re.compile(r"(Re: )?\[PATCH(?: (v(\d{1,6})))?(?: ((\d{1,6})/(\d{1,6})))?\] (.+)")


@lru_cache(maxsize=4096)
def parse_subject(raw: str) -> Subject:
    full = clean_text(raw)
    usual = _USUAL.fullmatch(full)
    if usual:
        reply, version_text, version, counter_text, counter, total, title = usual.groups()
        if not (_REPLY.match(title) or _GROUP.match(title)) and (counter is None or int(counter) <= int(total)):
            # Subject's fields in order: full, reply_prefix, tags, title, is_patch, is_rfc,
            # is_resend, is_pull, version, version_text, counter, total, project.
            return _new_subject(
                full, "Re:" if reply else "", tuple(t for t in ("PATCH", version_text, counter_text) if t), title,
                True, False, False, False, int(version) if version else 1, version_text or "",
                int(counter) if counter else None, int(total) if total else None, "",
            )  # fmt: skip
    return _parse_subject(full)


def _parse_subject(full: str) -> Subject:
    rest = full
    prefixes: list[str] = []
    tags: list[str] = []
    is_patch = is_rfc = is_resend = is_pull = False
    version = 1
    version_text = ""
    counter: int | None = None
    total: int | None = None
    project = ""
    while True:
        m = _REPLY.match(rest)
        if m:
            prefixes.append(rest[: m.end()].strip().replace(" ", ""))
            rest = rest[m.end() :]
            continue
        g = _GROUP.match(rest)
        if not g:
            break
        words = _words(g.group(1))
        expanded: list[str] = []
        for w in words:
            glued = _GLUED.match(w)
            expanded.extend(glued.groups() if glued else (w,))
        lower = [w.lower() for w in expanded]
        patch_group = any(w in ("patch", "rfc", "pull", "resend") for w in lower)
        i = 0
        while i < len(expanded):
            w, lw = expanded[i], lower[i]
            tags.append(w)
            if lw == "patch":
                is_patch = True
            elif lw == "rfc":
                is_rfc = True
            elif lw in ("resend", "repost"):
                is_resend = True
            elif lw == "pull":
                is_pull = True
            elif (v := _VERSION.match(w)) and not version_text:
                if len(v.group(1)) <= _MAX_DIGITS:
                    version, version_text = int(v.group(1)), w
            elif (c := _COUNTER.match(w)) and counter is None:
                if max(len(c.group(1)), len(c.group(2))) <= _MAX_DIGITS:
                    counter, total = int(c.group(1)), int(c.group(2))
            elif (
                # "[PATCH 1 of 2]" (Mercurial patchbomb style)
                w.isdigit() and i + 2 < len(expanded) and lower[i + 1] == "of"
                and expanded[i + 2].isdigit() and counter is None
                and max(len(w), len(expanded[i + 2])) <= _MAX_DIGITS
            ):  # fmt: skip
                counter, total = int(w), int(expanded[i + 2])
                tags.extend(expanded[i + 1 : i + 3])
                i += 3
                continue
            elif patch_group and not project and lw not in _NOT_PROJECT and not _NUMBER.match(w):
                project = w
            i += 1
        rest = rest[g.end() :]
    if counter is not None and total is not None and counter > total:
        counter, total = None, None  # "[PATCH 5/3]" is noise, not a position
    return _new_subject(
        full, " ".join(prefixes), tuple(tags), rest.strip(), is_patch or (is_rfc and not is_pull), is_rfc,
        is_resend, is_pull, version, version_text, counter, total, project,
    )  # fmt: skip
