"""Reviews, revisions and status from the index: gathers what ``analyze`` needs, then
calls it. Only this module (with ``store`` and ``sources``) reads anything.

* replies: every reply below the series' mails, at any date (a review posted a week after
  a daily digest's window still counts), found by walking In-Reply-To down the index one
  level at a time and stopping at patches (another series);
* related series: every patch and cover letter in the index by the same people, assembled
  into series, so that a v3 posted after the window supersedes the window's v2;
* people: the mailmap, organisation map and bot rules (shipped defaults in
  ``patchdigest/data``, replaced or extended through the config file's ``[people]``);
* a git tree (optional) whose commits' patch ids confirm what was applied.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .analyze.annotate import SeriesReview, annotate_series
from .analyze.digest import Digest
from .analyze.people import BotRules, Mailmap, OrgMap, merge_bots, parse_bots, parse_mailmap, parse_orgmap
from .analyze.series import COUNTED, Series, assemble
from .errors import ConfigError, SourceError
from .parse.diffs import patch_id
from .store import Store, StoredMessage

if TYPE_CHECKING:
    from .analyze.stats import Stats

__all__ = [
    "People",
    "annotate",
    "descendants",
    "load_people",
    "make_stats",
    "people_from_config",
    "related_series",
    "tree_patch_ids",
]

_SERIES_KINDS = frozenset(k.value for k in COUNTED)


@dataclass(frozen=True, slots=True)
class People:
    mailmap: Mailmap = field(default_factory=Mailmap)
    orgmap: OrgMap = field(default_factory=OrgMap)
    bots: BotRules = field(default_factory=BotRules)


def _shipped(name: str) -> str:
    return resources.files("patchdigest").joinpath("data", name).read_text(encoding="utf-8")


def _read(path: Path, what: str) -> str:
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what}: {exc}", where=str(path)) from exc


def load_people(
    *,
    mailmap: Path | None = None,
    orgmap: Path | None = None,
    use_mailmap: bool = True,
    bots: Iterable[str] = (),
    default_bots: bool = True,
    bots_file: Path | None = None,
) -> People:
    """The shipped defaults, each replaced by a file when one is given.

    ``bots`` (rule lines, see ``data/bots``) and ``bots_file`` extend the shipped list, or
    replace it with ``default_bots=False``.
    """
    mm = parse_mailmap(_read(mailmap, "mailmap") if mailmap else _shipped("mailmap")) if use_mailmap else Mailmap()
    om = parse_orgmap(_read(orgmap, "organisation map") if orgmap else _shipped("orgmap"))
    rules = [parse_bots(_shipped("bots").splitlines(), where="data/bots")] if default_bots else []
    if bots_file is not None:
        rules.append(parse_bots(_read(bots_file, "bot list").splitlines(), where=str(bots_file)))
    rules.append(parse_bots(bots, where="[people] bots"))
    return People(mm, om, merge_bots(*rules))


def people_from_config(sections: Mapping[str, Any], *, base: Path | None = None) -> dict[str, Any]:
    """``load_people`` keyword arguments from the config file's ``[people]`` table::

        [people]
        mailmap = "~/kernel/.mailmap"      # replaces the shipped one; "" for none
        orgmap = "~/gitdm/domain-map"      # replaces the shipped one
        bots = ["email: ci@example.org", "subject: ^\\\\[CI\\\\]"]   # extends the shipped list
        default_bots = true                 # false: only the bots listed here

    Relative paths are relative to the config file's folder (``base``).
    """
    table = sections.get("people", {})
    if not isinstance(table, dict):
        raise ConfigError("[people] must be a table")
    unknown = sorted(set(table) - {"mailmap", "orgmap", "bots", "default_bots"})
    if unknown:
        raise ConfigError(f"[people]: unknown key(s) {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key in ("mailmap", "orgmap"):
        value = table.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ConfigError(f"[people] {key} must be a path (a string)")
        if key == "mailmap" and not value:
            out["use_mailmap"] = False
            continue
        path = Path(value).expanduser()
        out[key] = path if path.is_absolute() or base is None else base / path
    bots = table.get("bots", [])
    if not isinstance(bots, list) or not all(isinstance(b, str) for b in bots):
        raise ConfigError("[people] bots must be a list of strings")
    out["bots"] = tuple(bots)
    default_bots = table.get("default_bots", True)
    if not isinstance(default_bots, bool):
        raise ConfigError("[people] default_bots must be true or false")
    out["default_bots"] = default_bots
    return out


def descendants(store: Store, archive_id: int, roots: Iterable[str]) -> list[StoredMessage]:
    """Replies anywhere below ``roots`` (original Message-IDs), any date, in archive order.

    Patches, cover letters and pull requests met on the way belong to other series: the
    walk does not go through them.
    """
    seen = set(roots)
    frontier = list(seen)
    found: list[str] = []
    while frontier:
        step = []
        for mid, _parent, kind in store.reply_edges(archive_id, frontier):
            if mid in seen or kind in _SERIES_KINDS:
                continue
            seen.add(mid)
            step.append(mid)
        found += step
        frontier = step
    return store.by_msgids(archive_id, found)


def related_series(store: Store, archive_id: int, series: Sequence[Series]) -> list[Series]:
    """Every series in the index by the authors of ``series``, assembled (any date): what
    revision linking needs of them, not their trailers or texts (see
    ``Store.revision_candidates``)."""
    emails = {s.author.email for s in series if s.author.email and not s.is_pull}
    if not emails:
        return []
    return assemble(store.revision_candidates(archive_id, emails))


def annotate(
    store: Store,
    archive_id: int,
    series: Sequence[Series],
    *,
    people: People | None = None,
    tree: Mapping[str, str] | None = None,
    replies: Sequence[StoredMessage] | None = None,
) -> dict[str, SeriesReview]:
    """Trailers, revision links and status of each series, by key (see analyze.annotate).

    ``replies`` (from :func:`descendants`) when the caller has them already.
    """
    people = people or People()
    if replies is None:
        replies = descendants(store, archive_id, (mid for s in series for mid in s.msgids))
    related = related_series(store, archive_id, series)
    mine = {mid for s in series for mid in s.msgids}
    # A related series that shares a mail with one of ours is the same work assembled from
    # a different set of mails: ours wins.
    related = [r for r in related if not mine.intersection(r.msgids)]
    return annotate_series(
        series, replies, related=related, mailmap=people.mailmap or None, bots=people.bots or None, tree=tree
    )


def make_stats(
    store: Store,
    archive_id: int,
    digest: Digest,
    *,
    people: People | None = None,
    include_bots: bool = False,
    top: int = 15,
) -> Stats:
    """Stats of a digest's window (``pipeline.make_digest``, ``reviews=False`` is enough):
    the same emails, series and reply counts the digest shows (see analyze.stats)."""
    # Imported here: `report` needs none of it, and with `statistics` it was ~5 ms of
    # every report's start.
    from .analyze.stats import compute_stats

    people = people or People()
    bots = None if include_bots else (people.bots or None)
    replies = descendants(store, archive_id, (mid for s in digest.series for mid in s.msgids))
    kept = People(people.mailmap, people.orgmap, bots or BotRules())
    reviews = annotate(store, archive_id, digest.series, people=kept, replies=replies)
    return compute_stats(
        digest.emails,
        digest.series,
        reviews,
        replies,
        title=digest.title,
        window=digest.window,
        mailmap=people.mailmap or None,
        orgmap=people.orgmap or None,
        bots=bots,
        top=top,
    )


# --- a git tree's patch ids --------------------------------------------------------------


def tree_patch_ids(repo: Path, *, rev: str = "HEAD", limit: int = 2000) -> dict[str, str]:
    """Patch id -> commit for the last ``limit`` non-merge commits reachable from ``rev``.

    The id is patchdigest's own (``parse.diffs.patch_id``: changed lines without white
    space, per file), computed over ``git log -p`` output, so that it compares with the
    ids stored for each patch email. It is not ``git patch-id``: the two sides must hash
    the same way, and the index already holds ours. Older commits win on a clash (the
    first time a change went in). A mail's diff runs to the end of its body, git format-
    patch's signature ("-- \n2.29.2") included: the id leaves that signature out, so the
    commit's diff and the mail's compare equal.
    """
    cmd = ["git", "-C", str(repo), "log", "--no-merges", "--no-color", "--no-ext-diff", "-p",
           f"-n{limit}", "--format=%x00%H", rev, "--"]  # fmt: skip
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise SourceError(f"cannot run git: {exc}", where=str(repo)) from exc
    assert proc.stdout is not None
    ids: dict[str, str] = {}
    for commit, diff in _commits(proc.stdout):
        if not diff:
            continue
        ids[patch_id(diff)] = commit  # log runs newest first: the oldest commit is written last
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise SourceError(f"git log failed: {err.strip().splitlines()[-1] if err.strip() else proc.returncode}",
                          where=str(repo))  # fmt: skip
    return ids


def _commits(stream: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """(commit, diff text) from ``git log -p --format=%x00%H`` output."""
    commit = ""
    lines: list[str] = []
    for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("\x00"):
            if commit:
                yield commit, _diff_part(lines)
            commit, lines = line[1:].strip(), []
        else:
            lines.append(line)
    if commit:
        yield commit, _diff_part(lines)


def _diff_part(lines: list[str]) -> str:
    for i, line in enumerate(lines):
        if line.startswith("diff --git "):
            return "\n".join(lines[i:])
    return ""
