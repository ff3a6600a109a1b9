"""The command line: parse arguments, call the library, print. Nothing else lives here.

Library errors become one line on stderr and exit code 2 (usage problems stay click's).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import PatchdigestError
from ..store import Store, default_db_path

F = TypeVar("F", bound=Callable[..., Any])


def fail_cleanly(func: F) -> F:
    """Turn a PatchdigestError into ``patchdigest: <one line>`` and exit status 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PatchdigestError as exc:
            click.echo(f"patchdigest: error: {one_line(str(exc))}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("patchdigest: interrupted; rerun to resume (nothing is lost)", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def one_line(text: str) -> str:
    from ..render._env import one_line as _one

    return _one(text)


def open_store(db: str | None) -> Store:
    return Store(Path(db) if db else default_db_path())


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="PATCHDIGEST_DB",
    help="Index database (default: $XDG_DATA_HOME/patchdigest/index.sqlite).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="patchdigest")
def cli() -> None:
    """Digests of patch traffic from public-inbox mailing-list archives, mboxes and Maildirs."""


def main() -> None:
    cli(prog_name="patchdigest")


# Commands register themselves on import.
from . import commands as _commands  # noqa: E402,F401
from . import remote as _remote  # noqa: E402,F401
