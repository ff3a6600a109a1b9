"""Rows of the ``messages`` table and the models they hold: both directions.

``row_of`` is pure and runs in the parse workers; ``_message_of`` runs for every message a
report loads, thousands of times, so both are written for speed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from json.encoder import encode_basestring_ascii as _encode_str  # what json.dumps uses
from typing import Any

from ..models import DiffStat, Kind, Message, Person, Provenance, Subject, Trailer

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
_INSERT = (
    f"INSERT OR REPLACE INTO messages ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(',')))})"
)


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
    s = m.subject
    flags = (
        (_FLAG_PATCH if s.is_patch else 0)
        | (_FLAG_RFC if s.is_rfc else 0)
        | (_FLAG_RESEND if s.is_resend else 0)
        | (_FLAG_PULL if s.is_pull else 0)
    )
    offset = m.date.utcoffset()
    return (
        archive_id, prov.seq, prov.epoch, prov.commit, prov.blob, prov.path, prov.offset,
        m.msgid, m.original_msgid, " ".join(m.msgids), m.in_reply_to, " ".join(m.references),
        int(m.date.timestamp()), int(offset.total_seconds()) if offset else 0, int(m.date_ok),
        m.sender.name, m.sender.email, m.author.name, m.author.email, s.full,
        s.reply_prefix, _json(s.tags), s.title, flags, s.version, s.version_text,
        s.counter, s.total, s.project, m.kind.value,
        m.commit_message, int(m.has_separator), m.notes, m.diffstat, _json(m.stat.files),
        m.stat.insertions, m.stat.deletions, int(m.has_diff),
        _json_pairs([(t.key, t.value) for t in m.trailers]), m.to, m.cc, m.list_id, m.body_problem,
        m.patch_id,
    )  # fmt: skip


@lru_cache(maxsize=8192)
def _trailer(key: str, value: str) -> Trailer:
    """A stored trailer made whole again. Cached: the same reviewers sign off again and
    again, and a report may load thousands of messages."""
    from ..parse import parse_person  # parse is pure; importing it here keeps the cycle out

    person = parse_person(value) if key.lower().endswith("-by") or key == "Cc" else None
    return Trailer(key, value, person if person and person.email else None)


@lru_cache(maxsize=256)
def _zone(offset: int) -> tzinfo:
    return timezone(timedelta(seconds=offset)) if offset else UTC


_SELECT = f"SELECT m.id, {', '.join('m.' + c.strip() for c in _COLUMNS.split(','))} FROM messages m"


def _message_of(row: Sequence[Any]) -> StoredMessage:
    # Unpacked by position (a report loads thousands of rows: looking 45 columns up by
    # name costs more than building the objects); the names follow _SELECT's order.
    (row_id, _archive_id, seq, epoch, commit_id, blob, path, offset, msgid, _orig_msgid, msgids, in_reply_to,
     refs, date, tz_offset, date_ok, sender_name, sender_email, author_name, author_email, subject,
     reply_prefix, tags, title, flags, version, version_text, counter, total, project, kind,
     commit_message, has_separator, notes, diffstat, files, insertions, deletions, has_diff,
     trailers, to_addrs, cc_addrs, list_id, body_problem, patch_id) = row  # fmt: skip
    parsed_subject = Subject(
        full=subject, reply_prefix=reply_prefix, tags=tuple(json.loads(tags)), title=title,
        is_patch=bool(flags & _FLAG_PATCH), is_rfc=bool(flags & _FLAG_RFC),
        is_resend=bool(flags & _FLAG_RESEND), is_pull=bool(flags & _FLAG_PULL), version=version,
        version_text=version_text, counter=counter, total=total, project=project,
    )  # fmt: skip
    message = Message(
        msgid=msgid,
        msgids=tuple(msgids.split()),
        in_reply_to=in_reply_to,
        references=tuple(refs.split()),
        date=datetime.fromtimestamp(date, _zone(tz_offset)),
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
