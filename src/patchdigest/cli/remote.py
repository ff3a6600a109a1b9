"""Commands for remote inboxes: ``add``, ``remotes``, ``sync``; and the sync ``report NAME`` runs.

A remote is a public-inbox URL stored under a NAME in the config file; its mirror is
``$XDG_DATA_HOME/patchdigest/mirrors/NAME`` (a v2 inbox), indexed like any archive.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from .. import windows
from ..config import Remote, add_remote, default_config_path, default_data_dir, redact
from ..errors import PatchdigestError
from ..pipeline import register
from ..sources.publicinbox import epoch_dirs
from ..store import Store
from ..sync import EpochChoice, Network, RetryPolicy, SyncOptions, SyncResult, mirror_path, sync_remote
from ..sync.retry import Notify
from . import cli, db_option, fail_cleanly, one_line, open_store
from .reading import config_option, open_config


@contextmanager
def feedback(quiet: bool) -> Iterator[tuple[Notify, Notify]]:
    """(progress, warn) callbacks: a spinner on a terminal; off a terminal only warnings."""

    def warn(text: str) -> None:
        click.echo(f"patchdigest: warning: {one_line(text)}", err=True)

    def silent(_text: str) -> None:
        pass

    if quiet:
        yield silent, silent
        return
    if not sys.stderr.isatty():
        yield silent, warn
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status("syncing") as status:

        def show(text: str) -> None:
            status.update(one_line(text))

        def note(text: str) -> None:
            console.print(f"patchdigest: warning: {one_line(text)}", markup=False, highlight=False)

        yield show, note


def sync_one(remote: Remote, options: SyncOptions, *, quiet: bool) -> SyncResult:
    try:
        with feedback(quiet) as (progress, warn):
            return sync_remote(remote, default_data_dir(), options, progress=progress, on_retry=warn)
    except PatchdigestError as exc:
        raise type(exc)(f"{remote.name}: {exc}") from exc


@cli.command()
@click.argument("name")
@click.argument("url")
@click.option("--base-url", default="", help="URL for links in reports (default: URL if http/https).")
@config_option
@fail_cleanly
def add(name: str, url: str, base_url: str, config_path: str | None) -> None:
    """Add a remote: NAME for the public-inbox at URL (http, https or file).

    URL is one inbox, as served by public-inbox, e.g. https://lore.kernel.org/kvm.
    Nothing is downloaded until `patchdigest sync NAME`.
    """
    path = Path(config_path) if config_path else default_config_path()
    config = add_remote(path, Remote(name, url, base_url))
    click.echo(f"added {name}: {redact(config.remote(name).url)} (in {path})", err=True)


@cli.command()
@config_option
@fail_cleanly
def remotes(config_path: str | None) -> None:
    """List the configured remotes: NAME, URL and how many epochs are mirrored."""
    config = open_config(config_path)
    data_dir = default_data_dir()
    for name in sorted(config.remotes):
        remote = config.remotes[name]
        epochs = len(epoch_dirs(mirror_path(data_dir, name)))
        state = f"{epochs} epoch(s) mirrored" if epochs else "not synced"
        click.echo(f"{name}\t{redact(remote.url)}\t{state}")


def _when(value: str | None) -> datetime | None:
    return windows.parse_when(value, windows.zone("UTC")) if value else None


@cli.command()
@click.argument("names", nargs=-1)
@click.option(
    "--epochs",
    type=click.Choice(["all", "newest"]),
    help="Epochs to clone: all, or only the newest. Default: all on a first sync, then only new ones.",
)
@click.option("--since", metavar="DATE", help="Clone only epochs with mail on or after DATE (and the newest).")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(1, 20), help="Tries per request.")
@click.option(
    "--retry-delay",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 600),
    help="Seconds before the first retry; doubled for each next one.",
)
@click.option("--no-index", is_flag=True, help="Only update the mirrors; do not index them.")
@config_option
@db_option
@click.option("-q", "--quiet", is_flag=True, help="No progress, warnings or summary.")
@fail_cleanly
def sync(
    names: tuple[str, ...],
    epochs: EpochChoice | None,
    since: str | None,
    retries: int,
    retry_delay: float,
    no_index: bool,
    config_path: str | None,
    db: str | None,
    quiet: bool,
) -> None:
    """Fetch what is new from each remote NAME (default: every remote), then index it.

    Epochs the server has not changed (same manifest fingerprint) are not fetched. A
    remote that fails is named on stderr and not indexed; the others go on, and the
    exit status is 2.
    """
    if epochs and since:
        raise click.UsageError("choose one of --epochs, --since")
    config = open_config(config_path)
    chosen = [config.remote(name) for name in (names or sorted(config.remotes))]
    if not chosen:
        raise click.UsageError("no remotes configured; add one with: patchdigest add NAME URL")
    options = SyncOptions(epochs, _when(since), Network(RetryPolicy(retries, retry_delay)))
    failed = 0
    with open_store(db) as store:
        for remote in chosen:
            try:
                _sync_and_index(store, remote, options, no_index=no_index, quiet=quiet)
            except PatchdigestError as exc:
                failed += 1
                click.echo(f"patchdigest: error: {one_line(str(exc))}", err=True)
    if failed:
        sys.exit(2)


def _sync_and_index(store: Store, remote: Remote, options: SyncOptions, *, no_index: bool, quiet: bool) -> None:
    from .indexing import _index, _summary_line  # not at the top: keeps `sync --help` light

    result = sync_one(remote, options, quiet=quiet)
    line = _epochs_line(result)
    if not no_index and epoch_dirs(result.path):
        summary = _index(store, register(store, result.path), quiet=quiet)
        line += "; " + _summary_line("index", summary)
    if not quiet:
        click.echo(line, err=True)


def _epochs_line(r: SyncResult) -> str:
    """ "kvm: epochs fetched 3, unchanged 0,1,2": which epochs got what."""
    parts = (
        ("cloned", r.cloned),
        ("fetched", r.fetched),
        ("unchanged", r.unchanged),
        ("not mirrored", r.skipped),
    )
    done = ", ".join(f"{label} {','.join(map(str, numbers))}" for label, numbers in parts if numbers)
    return f"{r.name}: epochs {done or 'none on the server'}"
