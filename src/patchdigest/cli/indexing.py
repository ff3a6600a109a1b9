"""`index` and `doctor`: the commands cron runs every hour, so this module imports only
what indexing needs (no renderers, no Jinja2, no sync client; the parser is imported by
the parse stage when there is something to parse)."""

from __future__ import annotations

import click

from ..indexing import IndexedArchive, index_archive, register
from ..models import IndexSummary, ParseFailure
from ..store import Store
from . import cli, db_option, fail_cleanly, one_line, open_store
from .progress import progress_for


def _index(store: Store, indexed: IndexedArchive, *, quiet: bool = False, jobs: int | None = None) -> IndexSummary:
    with progress_for(indexed.archive.name, enabled=not quiet) as progress:
        summary = index_archive(store, indexed, progress=progress, workers=jobs)
    for failure in summary.failures:
        click.echo(f"patchdigest: warning: cannot parse {_failure_text(failure)}", err=True)
    return summary


def _failure_text(f: ParseFailure) -> str:
    """``epoch 0 commit 1a2b3c4d5e6f <id@host>: reason`` on one line."""
    where = f.prov.describe() if (f.prov.commit or f.prov.path) else f"seq {f.prov.seq}"
    ident = f" {f.msgid}" if f.msgid else ""
    return one_line(f"{where}{ident}: {f.reason}")


def _summary_line(name: str, s: IndexSummary) -> str:
    line = (
        f"{name}: seen {s.seen} = indexed {s.indexed} + failed {s.failed} + deleted {s.deleted} + skipped {s.skipped}"
    )
    if s.rewound:
        line += f" (history rewritten: {s.rewound} rows after the fork point dropped and read again)"
    return line


@cli.command()
@click.argument("archives", nargs=-1, required=True, type=click.Path(exists=True))
@db_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 256),
    help="Parse processes (default: one per core for a large run; 1 parses in-process).",
)
@fail_cleanly
def index(archives: tuple[str, ...], db: str | None, quiet: bool, jobs: int | None) -> None:
    """Index what is new in each ARCHIVE (public-inbox dir or epoch, mbox, Maildir).

    Safe to interrupt (^C, SIGTERM, kill -9) at any point: the next run resumes where the
    last committed batch ended. The summary line accounts for every message read:
    seen = indexed + failed + deleted + skipped (empty blobs left by a purge).
    """
    with open_store(db) as store:
        for path in archives:
            indexed = register(store, path)
            summary = _index(store, indexed, quiet=quiet, jobs=jobs)
            if not quiet:
                click.echo(_summary_line(indexed.archive.name, summary), err=True)


@cli.command()
@click.argument("archive", required=False, type=click.Path(exists=True))
@db_option
@fail_cleanly
def doctor(archive: str | None, db: str | None) -> None:
    """List messages that could not be indexed, with where they are and why.

    Every archive in the index, or only ARCHIVE. Each line names the archive, the
    message's commit (or mbox file and offset), its Message-ID when one could be read,
    and the reason; the count goes to stderr.
    """
    with open_store(db) as store:
        names = {aid: name for aid, _, name in store.archives()}
        only = register(store, archive).archive_id if archive else None
        failures = store.failure_rows(only)
    for aid, f in failures:
        click.echo(f"{names.get(aid, '?')}: {_failure_text(f)}")
    click.echo(f"{len(failures)} message(s) could not be indexed", err=True)
