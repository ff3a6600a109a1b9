"""The commands. Each one: options -> library calls -> output."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import windows
from ..models import IndexSummary
from ..pipeline import IndexedArchive, index_archive, make_digest, register
from ..render import FORMATS, PATCH_CHOICES
from ..store import Store
from . import cli, db_option, fail_cleanly, one_line, open_store
from .progress import progress_for
from .remote import config_option, report_source, window_start


def _index(store: Store, indexed: IndexedArchive, *, quiet: bool = False) -> IndexSummary:
    with progress_for(indexed.archive.name, enabled=not quiet) as progress:
        summary = index_archive(store, indexed, progress=progress)
    for failure in summary.failures:
        ident = f" {failure.msgid}" if failure.msgid else ""
        click.echo(f"patchdigest: warning: cannot parse{ident}: {one_line(failure.reason)}", err=True)
    return summary


def _summary_line(name: str, s: IndexSummary) -> str:
    line = (
        f"{name}: seen {s.seen} = indexed {s.indexed} + failed {s.failed} + deleted {s.deleted}"
        f" + skipped {s.skipped}"
    )
    if s.rewound:
        line += f" (history rewritten: {s.rewound} rows reindexed)"
    return line


@cli.command()
@click.argument("archives", nargs=-1, required=True, type=click.Path(exists=True))
@db_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@fail_cleanly
def index(archives: tuple[str, ...], db: str | None, quiet: bool) -> None:
    """Index what is new in each ARCHIVE (public-inbox dir or epoch, mbox, Maildir)."""
    with open_store(db) as store:
        for path in archives:
            indexed = register(store, path)
            summary = _index(store, indexed, quiet=quiet)
            if not quiet:
                click.echo(_summary_line(indexed.archive.name, summary), err=True)


@cli.command()
@click.argument("archive")
@click.option("--range", "range_", metavar="A..B", help="Commits after A up to and including B.")
@click.option("--since", metavar="DATE", help="Messages dated on or after DATE (YYYY-MM-DD or ISO time).")
@click.option("--until", metavar="DATE", help="Messages dated up to DATE (a day is included whole).")
@click.option("--day", metavar="DATE", help="One day, e.g. 2021-03-10.")
@click.option("--week", metavar="YYYY-Www", help="One ISO week, e.g. 2021-W10.")
@click.option("--tz", default="UTC", show_default=True, help="Time zone for dates and days.")
@click.option("--top", default=15, show_default=True, type=click.IntRange(1, 1000), help="Rows in the top lists.")
@click.option("--title", help="List name in the heading (default: from List-Id, upper-cased).")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True, help="Output format."
)
@click.option("--base-url", default="", help="Archive URL for links, e.g. https://lore.kernel.org/kvm")
@click.option(
    "--patches",
    type=click.Choice(PATCH_CHOICES),
    default="all",
    show_default=True,
    help="Show every patch of a series, or only its first (one entry per series).",
)
@click.option("--all-headers", is_flag=True, help="Show every header of each email (read from the archive).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not stdout.")
@click.option("--no-index", is_flag=True, help="Report from the index as it is; do not index first.")
@click.option("--offline", is_flag=True, help="For a remote NAME: use its mirror as is; do not sync first.")
@config_option
@db_option
@fail_cleanly
def report(
    archive: str,
    range_: str | None,
    since: str | None,
    until: str | None,
    day: str | None,
    week: str | None,
    tz: str,
    top: int,
    title: str | None,
    fmt: str,
    base_url: str,
    patches: str,
    all_headers: bool,
    output: str | None,
    no_index: bool,
    offline: bool,
    config_path: str | None,
    db: str | None,
) -> None:
    """Digest of the patch traffic in ARCHIVE for a commit range or a date window.

    ARCHIVE is a path, or the NAME of a remote (see `patchdigest add`), which is synced
    first unless --offline; its URL is then the default --base-url. The archive is
    indexed first (only what is new), then the digest is rendered from the index.
    Unparseable messages are named on stderr and recorded.
    """
    chosen = [o for o, v in (("--range", range_), ("--day", day), ("--week", week)) if v]
    if since or until:
        chosen.append("--since/--until")
    if len(chosen) > 1:
        raise click.UsageError(f"choose one of {', '.join(chosen)}")
    zone = windows.zone(tz)
    since_hint = window_start(since, day, week, tz)
    archive, remote_base_url = report_source(archive, config_path, offline=offline, since=since_hint)
    base_url = base_url or remote_base_url
    with open_store(db) as store:
        indexed = register(store, archive)
        if not no_index:
            _index(store, indexed, quiet=True)
        if range_:
            selection = windows.commit_range(indexed.archive, range_)
        elif day:
            selection = windows.day(day, zone)
        elif week:
            selection = windows.week(week, zone)
        elif since or until:
            selection = windows.dates(since, until, zone)
        else:
            selection = windows.everything()
        digest = make_digest(
            store, indexed, selection, title=title, top=top, base_url=base_url, all_headers=all_headers
        )
    text = FORMATS[fmt](digest, top=top, patches=patches)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@cli.command()
@db_option
@fail_cleanly
def doctor(db: str | None) -> None:
    """List messages that could not be indexed, with the reason."""
    with open_store(db) as store:
        failures = store.failures()
    for f in failures:
        where = f.prov.describe() if (f.prov.commit or f.prov.path) else f"seq {f.prov.seq}"
        ident = f" {f.msgid}" if f.msgid else ""
        click.echo(one_line(f"{where}{ident}: {f.reason}"))
    click.echo(f"{len(failures)} message(s) could not be indexed", err=True)


@cli.command()
@click.option(
    "--mails",
    type=click.Path(exists=True, file_okay=False),
    default="tests/data/mail",
    show_default=True,
    help="Directory of .eml files to build the sample archive from.",
)
@click.option("--workdir", type=click.Path(file_okay=False), help="Where to build it (default: a temp dir).")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@fail_cleanly
def demo(mails: str, workdir: str | None, fmt: str) -> None:
    """Build a sample public-inbox archive from fixture mails and print its digest."""
    import tempfile

    from ..sources.build import build_v2_inbox

    files = sorted(Path(mails).glob("*.eml"))
    if not files:
        raise click.UsageError(f"no .eml files in {mails}")
    base = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="patchdigest-demo-"))
    inbox = base / "sample"
    if not (inbox / "git").exists():
        build_v2_inbox(inbox, (f.read_bytes() for f in files), name="sample")
    with Store(base / "index.sqlite") as store:
        indexed = register(store, inbox)
        _index(store, indexed, quiet=True)
        digest = make_digest(store, indexed, windows.everything())
    sys.stdout.write(FORMATS[fmt](digest, top=15))
    click.echo(f"(sample archive: {inbox}; index: {base / 'index.sqlite'})", err=True)
