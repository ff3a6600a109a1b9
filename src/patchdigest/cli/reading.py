"""What the reading commands (`report`, `stats`) share: --config, ARCHIVE as a path or a
remote's NAME, and --git-tree.

`report` imports this module on every run, so it stays light: the sync client (urllib,
ssl, http.client, the git transport) is imported only when ARCHIVE names a remote, and
`tests/test_cli.py` checks that a local report never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from ..config import Config, default_config_path, default_data_dir, load_config
from ..errors import SyncError
from ..review import load_people, people_from_config, tree_patch_ids

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="PATCHDIGEST_CONFIG",
    help="Configuration file (default: $XDG_CONFIG_HOME/patchdigest/config.toml).",
)


def open_config(config_path: str | None) -> Config:
    return load_config(Path(config_path) if config_path else default_config_path())


def report_source(target: str, config_path: str | None, *, offline: bool, since: datetime | None) -> tuple[str, str]:
    """What ``report`` reads for ``target``: (archive path, default --base-url).

    An existing path is used as it is (a path wins over a remote of the same name);
    otherwise ``target`` names a remote, synced first unless ``offline``; ``since`` (where
    the report's window starts) makes the sync clone the epochs that window needs, and
    only those, unless they are there already.
    """
    if Path(target).exists():
        return target, ""
    from ..sources.publicinbox import epoch_dirs
    from ..sync import SyncOptions, mirror_path
    from .remote import sync_one

    config = open_config(config_path)
    if target not in config.remotes:
        raise click.BadParameter(
            f"{target!r} is not a file, a directory or a configured remote", param_hint="'ARCHIVE'"
        )
    remote = config.remote(target)
    if not offline:
        sync_one(remote, SyncOptions(since=since), quiet=False)
    path = mirror_path(default_data_dir(), remote.name)
    if not epoch_dirs(path):
        raise SyncError(f"{remote.name} has not been synced yet (run: patchdigest sync {remote.name})")
    return str(path), remote.link_url


def git_tree_options(func: F) -> F:
    """``report``'s --git-tree and --git-tree-range."""
    func = click.option(
        "--git-tree-range",
        default=2000,
        show_default=True,
        type=click.IntRange(1),
        metavar="N",
        help="With --git-tree: how many commits back from its HEAD to look.",
    )(func)
    return click.option(
        "--git-tree",
        type=click.Path(exists=True, file_okay=False),
        help="A git tree (e.g. a maintainer's): patches whose change is in its history are marked applied.",
    )(func)


def review_args(config_path: str | None, git_tree: str | None, git_tree_range: int) -> dict[str, Any]:
    """``make_digest`` keywords for reviews: the config's [people], the git tree's patch ids."""
    config = open_config(config_path)
    people = load_people(**people_from_config(config.sections, base=config.path.parent if config.path else None))
    tree = tree_patch_ids(Path(git_tree), limit=git_tree_range) if git_tree else None
    return {"people": people, "tree": tree}
