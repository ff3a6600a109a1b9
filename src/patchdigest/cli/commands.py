"""The commands. Each one: options -> library calls -> output."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import windows
from ..analyze import Window
from ..errors import PatchdigestError
from ..pipeline import IndexedArchive, make_digest, register
from ..render import FORMATS, PATCH_CHOICES
from ..store import Store
from . import cli, collector_paused, db_option, fail_cleanly, open_store
from .indexing import _index
from .reading import config_option, git_tree_options, report_source, review_args
from .windowing import WindowArgs, window_options


@cli.command()
@click.argument("archive")
@window_options
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
@click.option(
    "--since-last",
    is_flag=True,
    help="What arrived since the previous --since-last report of ARCHIVE (the first one: everything).",
)
@click.option(
    "--cursor",
    "cursor_name",
    default="default",
    show_default=True,
    metavar="NAME",
    help="With --since-last: which report stream (each name keeps its own position).",
)
@click.option("--offline", is_flag=True, help="For a remote NAME: use its mirror as is; do not sync first.")
@git_tree_options
@config_option
@db_option
@fail_cleanly
def report(
    archive: str,
    window: WindowArgs,
    top: int,
    title: str | None,
    fmt: str,
    base_url: str,
    patches: str,
    all_headers: bool,
    output: str | None,
    no_index: bool,
    since_last: bool,
    cursor_name: str,
    offline: bool,
    git_tree: str | None,
    git_tree_range: int,
    config_path: str | None,
    db: str | None,
) -> None:
    """Digest of the patch traffic in ARCHIVE for a commit range or a date window.

    ARCHIVE is a path, or the NAME of a remote (see `patchdigest add`), which is synced
    first unless --offline; its URL is then the default --base-url. The archive is
    indexed first (only what is new), then the digest is rendered from the index.
    Unparseable messages are named on stderr and recorded.
    """
    window.check(since_last=since_last)
    archive, remote_base_url = report_source(archive, config_path, offline=offline, since=window.start())
    base_url = base_url or remote_base_url
    with open_store(db) as store:
        indexed = register(store, archive)
        if not no_index:
            _index(store, indexed, quiet=True)  # not paused: parsing makes garbage cycles
        advance_to: int | None = None
        if since_last:
            selection, advance_to = _since_last(store, indexed, cursor_name)
        else:
            selection = window.selection(indexed.archive)
        with collector_paused():
            digest = make_digest(
                store, indexed, selection, title=title, top=top, base_url=base_url, all_headers=all_headers,
                **review_args(config_path, git_tree, git_tree_range),
            )  # fmt: skip
            text = FORMATS[fmt](digest, top=top, patches=patches)
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PatchdigestError(f"cannot write the report: {exc.strerror}", where=output) from exc
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if advance_to is not None:
        # Only now that the report is out: a failed write leaves the cursor where it was,
        # and the next run reports the same messages again rather than losing them.
        with open_store(db) as store:
            store.set_report_cursor(indexed.archive_id, cursor_name, advance_to)


def _since_last(store: Store, indexed: IndexedArchive, name: str) -> tuple[windows.Selection, int]:
    """The commit window after the cursor ``name`` through the newest indexed message, and
    where the cursor goes once the report is out. The first report has no cursor: it
    covers the whole index (run one to /dev/null to start from now)."""
    after = store.report_cursor(indexed.archive_id, name)
    through = store.max_seq(indexed.archive_id)
    start = store.commit_at(indexed.archive_id, after) if after is not None else None
    end = store.commit_at(indexed.archive_id, through)
    window = Window(start[:9] if start else "the beginning", end[:9] if end else "now", "range")
    after = -1 if after is None else after
    # A purge of the newest message can leave the index ending before the cursor: an
    # empty window then, and the cursor never moves back (which would repeat messages).
    return windows.Selection(window, seq_range=(after, through)), max(after, through)


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
