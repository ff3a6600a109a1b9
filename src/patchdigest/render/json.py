"""The JSON digest: the view model as data, described by ``schema/digest-v1.schema.json``.

Output is deterministic: keys in a fixed order, nothing about the run itself (no time
of generation, no paths), so the same archive and window give the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..analyze import Digest, Series, Window
from ..analyze.annotate import SeriesReview
from ..analyze.reviews import GivenTrailer
from ..models import Person
from ..store import StoredMessage
from ._env import strip_controls

SCHEMA_ID = "https://patchdigest.invalid/schema/digest-v1.json"
SCHEMA_VERSION = 1


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(p: Person) -> dict[str, str]:
    return {"name": strip_controls(p.name), "email": strip_controls(p.email)}


def _window(w: Window) -> dict[str, Any]:
    return {"kind": w.kind, "start": w.start, "end": w.end, "since": _date(w.since), "until": _date(w.until)}


def _email(digest: Digest, sm: StoredMessage) -> dict[str, Any]:
    m = sm.message
    s = m.subject
    return {
        "message_id": m.original_msgid,
        "subject": strip_controls(s.full),
        "title": strip_controls(s.title),
        "tags": list(s.tags),
        "counter": s.counter,
        "total": s.total,
        "kind": m.kind.value,
        "author": _person(m.author),
        "sender": _person(m.sender),
        "date": _date(m.date),
        "date_ok": m.date_ok,
        "trailers": [
            {"key": t.key, "value": strip_controls(t.value), "person": _person(t.person) if t.person else None}
            for t in m.trailers
        ],
        "diffstat": strip_controls(m.diffstat),
        "files": list(m.stat.files),
        "insertions": m.stat.insertions,
        "deletions": m.stat.deletions,
        "replies": digest.replies_to(sm),
        "link": digest.link(sm) or None,
        "headers": [{"name": n, "value": v} for n, v in digest.headers_of(sm)],
        "text": strip_controls(m.report_text()),
    }


def _given(t: GivenTrailer) -> dict[str, Any]:
    return {
        "key": t.key,
        "person": _person(t.person),
        "sender": _person(t.sender),
        "message_id": t.source,
        "via": t.via,
        "flagged": t.flagged,
    }


def _review(review: SeriesReview | None) -> dict[str, Any] | None:
    if review is None:
        return None
    r, links, st = review.reviews, review.links, review.status
    applied = st.applied
    return {
        "state": st.state,
        "counts": {"acked": r.acked, "reviewed": r.reviewed_by, "tested": r.tested, "nacked": r.nacked},
        "revision_of": {"key": links.previous, "version": links.previous_version, "method": links.method}
        if links.previous
        else None,
        "superseded_by": {"key": links.next, "version": links.next_version} if links.next else None,
        "change_id": links.change_id or None,
        "changes": strip_controls(links.changes) or None,
        "applied": {
            "by": _person(applied.by),
            "message_id": applied.source,
            "date": _date(applied.date),
            "where": strip_controls(applied.where) or None,
            "patches": list(applied.patches),
            "commits": [{"patch": n, "commit": sha} for n, sha in applied.commits],
        }
        if applied is not None
        else None,
        "applied_patches": list(st.applied_patches),
        "in_tree": [{"patch": n, "commit": sha} for n, sha in st.confirmed],
        "trailers_given": [_given(t) for t in r.given],
    }


def _patch_reviews(review: SeriesReview | None, sm: StoredMessage) -> list[dict[str, Any]] | None:
    if review is None:
        return None
    mine = next((p for p in review.reviews.patches if p.msgid == sm.message.original_msgid), None)
    return [_given(t) for t in mine.trailers] if mine else None


def _series(digest: Digest, s: Series) -> dict[str, Any]:
    return {
        "key": s.key,
        "title": strip_controls(s.title),
        "subject": strip_controls(s.subject),
        "author": _person(s.author),
        "version": s.version,
        "version_text": s.version_text,
        "rfc": s.is_rfc,
        "resend": s.is_resend,
        "pull": s.is_pull,
        "project": s.project,
        "total": s.total,
        "received": s.received,
        "complete": s.complete,
        "missing": list(s.missing),
        "first_date": _date(s.first_date),
        "message_ids": list(s.msgids),
        "replies": s.replies,
        "diffstat": {"files": s.files, "insertions": s.insertions, "deletions": s.deletions},
        "in_reply_to": s.in_reply_to,
        "in_reply_to_series": s.in_reply_to_series,
        "link": digest.link(s.root) or None,
        "cover": _email(digest, s.cover) if s.cover else None,
        "patches": [
            {**_email(digest, p), "review_trailers": _patch_reviews(digest.review_of(s), p)} for p in s.patches
        ],
        "resent": [_email(digest, r) for r in s.resent],
        "review": _review(digest.review_of(s)),
    }


def digest_data(digest: Digest) -> dict[str, Any]:
    """The digest as JSON-ready data (what ``render_json`` prints)."""
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "title": digest.title,
        "window": _window(digest.window),
        "headers": "all" if digest.all_headers else "curated",
        "stats": {
            "emails": digest.counted,
            "series": len(digest.series),
            "patches": digest.patches,
            "covers": digest.covers,
            "pulls": digest.pulls,
            "authors": digest.authors,
            "top_people": [{"count": n, **_person(p)} for n, p in digest.top_people],
            "top_domains": [{"count": n, "domain": d} for n, d in digest.top_domains],
        },
        "series": [_series(digest, s) for s in digest.series],
    }


def render_json(digest: Digest, *, top: int = 15, patches: str = "all") -> str:
    """``top`` is already applied when the digest was built; ``patches`` does not apply:
    JSON always carries every patch."""
    return json.dumps(digest_data(digest), indent=2, ensure_ascii=False) + "\n"
