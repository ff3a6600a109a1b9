"""Rows of the ``messages`` table and the models they hold: both directions.

``row_of`` is pure and runs in the parse workers; ``_message_of`` runs for every message a
report loads, thousands of times, so both are written for speed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _encode_str  # what json.dumps uses
from typing import Any

from ..models import DiffStat, Kind, Message, Person, Provenance, Subject, Trailer, fixed_zone

_FLAG_PATCH, _FLAG_RFC, _FLAG_RESEND, _FLAG_PULL = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as the index holds it: the parsed model plus where it came from."""

    row_id: int
    prov: Provenance
    message: Message


_COLUMNS = (
    "archive_id, seq, epoch, commit_id, blob, path, offset, msgid, orig_msgid, msgids, in_reply_to,"
    " refs, date, tz_offset, date_ok, sender_name, sender_email, author_name, author_email, subject,"
    " reply_prefix, tags, title, flags, version, version_text, counter, total, project, kind,"
    " commit_message, has_separator, notes, diffstat, files, insertions, deletions, has_diff,"
    " trailers, to_addrs, cc_addrs, list_id, body_problem, patch_id"
)
_INSERT = f"INSERT OR REPLACE INTO messages ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(',')))})"


Row = tuple[object, ...]  # one ``messages`` row in _COLUMNS order, as row_of builds it


def _json(items: Sequence[str]) -> str:
    """``json.dumps(list(items))`` for a list of str, built from json's own C string
    encoder: the same text at a fifth of the cost (two such lists per message)."""
    # Half the lists are empty (no trailers in a reply, no files in a cover letter).
    return "[" + ", ".join(map(_encode_str, items)) + "]" if items else "[]"


def _json_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    """``json.dumps([[key, value], ...])`` the same way."""
    if not pairs:
        return "[]"
    return "[" + ", ".join(f"[{_encode_str(k)}, {_encode_str(v)}]" for k, v in pairs) + "]"


def row_of(archive_id: int, prov: Provenance, m: Message) -> Row:
    """The ``messages`` row of a parsed message. Pure: parse workers build rows with it,
    so that the indexing process only inserts them."""
    return row_at(archive_id, prov.seq, prov.epoch, prov.commit, prov.blob, prov.path, prov.offset, m)


@lru_cache(maxsize=4096)
def _tags_json(tags: tuple[str, ...]) -> str:
    # A few hundred tag lists (("PATCH", "v2", "3/7")) cover an archive's patches.
    return _json(tags)


def row_at(
    archive_id: int,
    seq: int,
    epoch: int | None,
    commit: str | None,
    blob: str | None,
    path: str | None,
    offset: int | None,
    m: Message,
) -> Row:
    """:func:`row_of` with the provenance's fields given one by one (a parse worker has
    them from its job, and need not build a Provenance for each message)."""
    s = m.subject
    flags = (
        (_FLAG_PATCH if s.is_patch else 0)
        | (_FLAG_RFC if s.is_rfc else 0)
        | (_FLAG_RESEND if s.is_resend else 0)
        | (_FLAG_PULL if s.is_pull else 0)
    )
    date = m.date
    offset_delta = date.utcoffset()
    stat = m.stat
    return (
        archive_id, seq, epoch, commit, blob, path, offset,
        m.msgid, m.original_msgid, " ".join(m.msgids), m.in_reply_to, " ".join(m.references),
        int(date.timestamp()), int(offset_delta.total_seconds()) if offset_delta else 0, int(m.date_ok),
        m.sender.name, m.sender.email, m.author.name, m.author.email, s.full,
        s.reply_prefix, _tags_json(s.tags), s.title, flags, s.version, s.version_text,
        s.counter, s.total, s.project, m.kind.value,
        m.commit_message, int(m.has_separator), m.notes, m.diffstat, _json(stat.files),
        stat.insertions, stat.deletions, int(m.has_diff),
        _json_pairs([(t.key, t.value) for t in m.trailers]), m.to, m.cc, m.list_id, m.body_problem, m.patch_id,
    )  # fmt: skip


@lru_cache(maxsize=8192)
def _trailer(key: str, value: str) -> Trailer:
    """A stored trailer made whole again. Cached: the same reviewers sign off again and
    again, and a report may load thousands of messages."""
    from ..parse import parse_person  # parse is pure; importing it here keeps the cycle out

    person = parse_person(value) if key.lower().endswith("-by") or key == "Cc" else None
    return Trailer(key, value, person if person and person.email else None)


@lru_cache(maxsize=4096)
def _tags(stored: str) -> tuple[str, ...]:
    """A subject's stored tags (a JSON list). Cached: a few hundred tag lists ('["PATCH",
    "v2", "03/28"]') cover the thousands of patches a report loads."""
    return tuple(json.loads(stored))


def _subject_of(
    full: str,
    reply_prefix: str,
    tags: str,
    title: str,
    flags: int,
    version: int,
    version_text: str,
    counter: int | None,
    total: int | None,
    project: str,
) -> Subject:
    """A stored subject made whole again: its JSON tag list and its flag bits (whole
    messages and revision candidates alike)."""
    return Subject(
        full, reply_prefix, _tags(tags), title, bool(flags & _FLAG_PATCH), bool(flags & _FLAG_RFC),
        bool(flags & _FLAG_RESEND), bool(flags & _FLAG_PULL), version, version_text, counter, total, project,
    )  # fmt: skip


_SELECT = f"SELECT m.id, {', '.join('m.' + c.strip() for c in _COLUMNS.split(','))} FROM messages m"


def _message_of(row: Sequence[Any]) -> StoredMessage:
    # Unpacked by position (a report loads thousands of rows: looking 45 columns up by
    # name costs more than building the objects); the names follow _SELECT's order.
    (row_id, _archive_id, seq, epoch, commit_id, blob, path, offset, msgid, _orig_msgid, msgids, in_reply_to,
     refs, date, tz_offset, date_ok, sender_name, sender_email, author_name, author_email, subject,
     reply_prefix, tags, title, flags, version, version_text, counter, total, project, kind,
     commit_message, has_separator, notes, diffstat, files, insertions, deletions, has_diff,
     trailers, to_addrs, cc_addrs, list_id, body_problem, patch_id) = row  # fmt: skip
    parsed_subject = _subject_of(
        subject, reply_prefix, tags, title, flags, version, version_text, counter, total, project
    )
    message = Message(
        msgid=msgid,
        msgids=tuple(msgids.split()),
        in_reply_to=in_reply_to,
        references=tuple(refs.split()),
        date=datetime.fromtimestamp(date, fixed_zone(tz_offset)),
        date_ok=bool(date_ok),
        sender=Person(sender_name, sender_email),
        author=Person(author_name, author_email),
        subject=parsed_subject,
        kind=Kind(kind),
        commit_message=commit_message,
        trailers=tuple(_trailer(k, v) for k, v in json.loads(trailers)),
        notes=notes,
        has_separator=bool(has_separator),
        diffstat=diffstat,
        stat=DiffStat(tuple(json.loads(files)), insertions, deletions),
        has_diff=bool(has_diff),
        to=to_addrs,
        cc=cc_addrs,
        list_id=list_id,
        body_problem=body_problem,
        patch_id=patch_id,
    )
    prov = Provenance(source="", seq=seq, epoch=epoch, commit=commit_id, blob=blob, path=path, offset=offset)
    return StoredMessage(row_id, prov, message)


# --- revision candidates ---------------------------------------------------------------

# What series assembly and revision linking read of a patch or cover letter: a report
# loads every one by the window's authors, at any date (2,741 for kvmarm's 2021-03-10),
# to find earlier and later revisions, and loading them whole took 107 ms (trailers
# parsed, JSON decoded, texts copied), these rows 56. They leave out the trailers, the
# address lists, List-Id, diffstat, file list, patch id and, of the provenance, all but
# seq. Of the commit message and notes only b4's "change-id:" line is read
# (revisions.change_id_of): the last column says whether either holds one (3 of kvmarm's
# 9,963 patches and covers), and only those texts are loaded (_CANDIDATE_TEXTS); the
# others get "" for both, which finds the same (no) change-id.
_CANDIDATE_SELECT = (
    "SELECT m.id, m.seq, m.msgid, m.msgids, m.in_reply_to, m.refs, m.date, m.tz_offset, m.date_ok,"
    " m.sender_name, m.sender_email, m.author_name, m.author_email, m.subject, m.reply_prefix, m.tags,"
    " m.title, m.flags, m.version, m.version_text, m.counter, m.total, m.project, m.kind, m.has_separator,"
    " m.insertions, m.deletions, m.has_diff,"
    " instr(m.commit_message, 'change-id:') > 0 OR instr(m.notes, 'change-id:') > 0 FROM messages m"
)
_CANDIDATE_TEXTS = "SELECT id, commit_message, notes FROM messages WHERE id IN"
_KINDS = {kind.value: kind for kind in Kind}
_NO_TEXTS = ("", "")


def _candidate_of(
    row: Sequence[Any], people: dict[tuple[str, str], Person], texts: dict[int, tuple[str, str]]
) -> StoredMessage:
    """A revision candidate (see _CANDIDATE_SELECT): the fields left out are empty.
    ``people`` shares one Person per name and address across the rows; ``texts``: commit
    message and notes by row id, of the rows that hold a change-id."""
    (row_id, seq, msgid, msgids, in_reply_to, refs, date, tz_offset, date_ok, sender_name, sender_email,
     author_name, author_email, subject, reply_prefix, tags, title, flags, version, version_text, counter, total,
     project, kind, has_separator, insertions, deletions, has_diff, _has_change_id) = row  # fmt: skip
    sender = people.get((sender_name, sender_email)) or people.setdefault(
        (sender_name, sender_email), Person(sender_name, sender_email)
    )
    author = people.get((author_name, author_email)) or people.setdefault(
        (author_name, author_email), Person(author_name, author_email)
    )
    parsed_subject = _subject_of(
        subject, reply_prefix, tags, title, flags, version, version_text, counter, total, project
    )
    commit_message, notes = texts.get(row_id, _NO_TEXTS)
    message = Message(
        msgid=msgid,
        msgids=tuple(msgids.split()),
        in_reply_to=in_reply_to,
        references=tuple(refs.split()),
        date=datetime.fromtimestamp(date, fixed_zone(tz_offset)),
        date_ok=bool(date_ok),
        sender=sender,
        author=author,
        subject=parsed_subject,
        kind=_KINDS[kind],
        commit_message=commit_message,
        trailers=(),
        notes=notes,
        has_separator=bool(has_separator),
        diffstat="",
        stat=DiffStat((), insertions, deletions),
        has_diff=bool(has_diff),
    )
    return StoredMessage(row_id, Provenance(source="", seq=seq), message)
