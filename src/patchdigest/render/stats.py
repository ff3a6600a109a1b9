"""``patchdigest stats`` output: plain text (the seed report's ``%7d`` columns) and JSON
described by ``schema/stats-v1.schema.json``. Deterministic: nothing about the run itself.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..analyze.stats import REVIEWER_KEYS, Stats, human_duration
from ..models import Person
from ._env import one_line, strip_controls

SCHEMA_ID = "https://patchdigest.invalid/schema/stats-v1.json"
SCHEMA_VERSION = 1
_SHORT = {"Reviewed-by": "R", "Acked-by": "A", "Tested-by": "T", "Nacked-by": "N"}


def _section(title: str, rows: list[str], empty: str = "(none)") -> list[str]:
    return [title, "", *(rows or [f"{'':7} {empty}"]), ""]


def render_stats_text(stats: Stats) -> str:
    w = stats.window
    lines = [f"{one_line(stats.title)} mailing list statistics from {w.start} to {w.end}", ""]
    lines.append(
        f"{stats.emails:7d} emails (patches, cover letters, pull requests) in {stats.series} series"
        f" by {stats.authors_total} authors"
    )
    if stats.bots_excluded:
        names = ", ".join(stats.bot_addresses[:5]) + (", ..." if len(stats.bot_addresses) > 5 else "")
        lines.append(
            f"{stats.bot_emails:7d} bot emails excluded ({stats.bot_series} series"
            + (f"; {names}" if names else "")
            + "); --include-bots keeps them"
        )
    else:
        lines.append(f"{'':7} bots included")
    lines.append("")
    top = stats.top
    lines += _section(f"Top {top} authors", [f"{n:7d}  {one_line(str(p))}" for n, p in stats.authors])
    lines += _section(f"Top {top} author domains", [f"{n:7d} {one_line(d)}" for n, d in stats.author_domains])
    lines += _section(f"Top {top} author organisations", [f"{n:7d} {one_line(o)}" for n, o in stats.author_orgs])
    reviewers = [
        f"{r.count:7d}  {one_line(str(r.person))} ({' '.join(f'{_SHORT[k]}:{n}' for k, n in r.by_key)})"
        for r in stats.reviewers
    ]
    lines += _section(
        f"Top {top} reviewers (Reviewed-by, Acked-by, Tested-by, Nacked-by given in replies:"
        f" {stats.trailers_given} by {stats.reviewers_total} people)",
        reviewers,
    )
    lines += _section(f"Top {top} reviewer domains", [f"{n:7d} {one_line(d)}" for n, d in stats.reviewer_domains])
    lines += _section(f"Top {top} reviewer organisations", [f"{n:7d} {one_line(o)}" for n, o in stats.reviewer_orgs])
    cov = stats.coverage
    lines += _section(
        "Review coverage",
        [
            f"{stats.reviewed:7d} of {stats.reviewable} series with a Reviewed-by or Acked-by"
            + (f" ({cov * 100:.0f}%)" if cov is not None else "")
        ],
    )
    median = stats.median_first_reply
    lines += _section(
        "Time to first reply (from someone other than the author)",
        [
            f"{'':7} median {human_duration(median) if median is not None else 'n/a'}"
            f" ({stats.answered} of {stats.reviewable} series answered)"
        ],
    )
    lines += _section(
        f"Top {top} busiest threads (replies)",
        [f"{n:7d} {one_line(s.subject)} -- {one_line(str(s.author))}" for n, s in stats.busiest],
    )
    return "\n".join(lines).rstrip("\n") + "\n"


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(p: Person) -> dict[str, str]:
    return {"name": strip_controls(p.name), "email": strip_controls(p.email)}


def stats_data(stats: Stats) -> dict[str, Any]:
    w = stats.window
    median = stats.median_first_reply
    return {
        "schema": SCHEMA_ID,
        "version": SCHEMA_VERSION,
        "title": stats.title,
        "window": {"kind": w.kind, "start": w.start, "end": w.end, "since": _date(w.since), "until": _date(w.until)},
        "top": stats.top,
        "bots": {
            "excluded": stats.bots_excluded,
            "emails": stats.bot_emails,
            "series": stats.bot_series,
            "addresses": list(stats.bot_addresses),
        },
        "emails": stats.emails,
        "patches": stats.patches,
        "series": stats.series,
        "authors_total": stats.authors_total,
        "authors": [{"count": n, **_person(p)} for n, p in stats.authors],
        "author_domains": [{"count": n, "domain": d} for n, d in stats.author_domains],
        "author_organisations": [{"count": n, "organisation": o} for n, o in stats.author_orgs],
        "reviewers_total": stats.reviewers_total,
        "trailers_given": stats.trailers_given,
        "reviewers": [
            {"count": r.count, **_person(r.person), "by_key": {k: dict(r.by_key).get(k, 0) for k in REVIEWER_KEYS}}
            for r in stats.reviewers
        ],
        "reviewer_domains": [{"count": n, "domain": d} for n, d in stats.reviewer_domains],
        "reviewer_organisations": [{"count": n, "organisation": o} for n, o in stats.reviewer_orgs],
        "review_coverage": {
            "reviewed": stats.reviewed,
            "series": stats.reviewable,
            "share": round(stats.coverage, 4) if stats.coverage is not None else None,
        },
        "first_reply": {
            "answered": stats.answered,
            "series": stats.reviewable,
            "median_seconds": int(median.total_seconds()) if median is not None else None,
            "median": human_duration(median) if median is not None else None,
        },
        "busiest_threads": [
            {"replies": n, "key": s.key, "subject": strip_controls(s.subject), "author": _person(s.author)}
            for n, s in stats.busiest
        ],
    }


def render_stats_json(stats: Stats) -> str:
    return json.dumps(stats_data(stats), indent=2, ensure_ascii=False) + "\n"


STATS_FORMATS = {"text": render_stats_text, "json": render_stats_json}
