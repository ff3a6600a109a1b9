"""``patchdigest stats``: people, organisations, reviews and response times of a window."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..pipeline import make_digest, register
from ..render.stats import STATS_FORMATS
from ..review import load_people, make_stats, people_from_config
from . import cli, db_option, fail_cleanly, open_store
from .indexing import _index
from .reading import config_option, open_config, report_source
from .windowing import WindowArgs, window_options


@cli.command()
@click.argument("archive")
@window_options
@click.option("--top", default=15, show_default=True, type=click.IntRange(1, 1000), help="Rows in each list.")
@click.option("--title", help="List name in the heading (default: from List-Id, upper-cased).")
@click.option("--format", "fmt", type=click.Choice(sorted(STATS_FORMATS)), default="text", show_default=True)
@click.option("--include-bots", is_flag=True, help="Count bots too (kernel test robot, AUTOSEL, syzbot, ...).")
@click.option("--bots-file", type=click.Path(exists=True, dir_okay=False), help="More bot rules (see data/bots).")
@click.option("--mailmap", "mailmap_path", type=click.Path(exists=True, dir_okay=False),
              help="A git .mailmap merging people's addresses (replaces the shipped one).")  # fmt: skip
@click.option("--no-mailmap", is_flag=True, help="Count addresses as they are.")
@click.option("--orgmap", "orgmap_path", type=click.Path(exists=True, dir_okay=False),
              help="A gitdm-style 'domain Organisation' map (replaces the shipped one).")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here, not stdout.")
@click.option("--no-index", is_flag=True, help="Use the index as it is; do not index first.")
@click.option("--offline", is_flag=True, help="For a remote NAME: use its mirror as is; do not sync first.")
@config_option
@db_option
@fail_cleanly
def stats(
    archive: str,
    window: WindowArgs,
    top: int,
    title: str | None,
    fmt: str,
    include_bots: bool,
    bots_file: str | None,
    mailmap_path: str | None,
    no_mailmap: bool,
    orgmap_path: str | None,
    output: str | None,
    no_index: bool,
    offline: bool,
    config_path: str | None,
    db: str | None,
) -> None:
    """Who wrote, who reviewed, from which organisations, how fast the list answered.

    The same window options as `report`; the author counts are the digest's (with
    --include-bots --no-mailmap, exactly its top contributors). Bots are left out by
    default (the count left out is shown); people are merged through a .mailmap and
    domains grouped into organisations (shipped defaults; see [people] in the config).
    """
    config = open_config(config_path)
    base = config.path.parent if config.path else None
    settings = people_from_config(config.sections, base=base)
    if mailmap_path:
        settings["mailmap"] = Path(mailmap_path)
    if no_mailmap:
        settings["use_mailmap"] = False
    if orgmap_path:
        settings["orgmap"] = Path(orgmap_path)
    if bots_file:
        settings["bots_file"] = Path(bots_file)
    people = load_people(**settings)
    window.check()
    path, _base_url = report_source(archive, config_path, offline=offline, since=window.start())
    with open_store(db) as store:
        indexed = register(store, path)
        if not no_index:
            _index(store, indexed, quiet=True)
        selection = window.selection(indexed.archive)
        digest = make_digest(store, indexed, selection, title=title, top=top, reviews=False)
        result = make_stats(store, indexed.archive_id, digest, people=people, include_bots=include_bots, top=top)
    text = STATS_FORMATS[fmt](result)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
