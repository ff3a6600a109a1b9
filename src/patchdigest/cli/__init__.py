"""The command line: parse arguments, call the library, print. Nothing else lives here.

Library errors become one line on stderr and exit code 2 (usage problems stay click's).
"""

from __future__ import annotations

import gc
import importlib
import re
import signal
import sys
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from types import FrameType
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
        except KeyboardInterrupt as exc:
            click.echo("patchdigest: interrupted; rerun to resume (nothing is lost)", err=True)
            sys.exit(143 if isinstance(exc, Terminated) else 130)

    return wrapper  # type: ignore[return-value]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that it stops the way ^C does: the
    transaction in progress rolls back, git children and parse workers are stopped."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


# C0 controls but tab and newline, DEL and C1 controls (as render._env strips them; not
# imported from there, which would load Jinja2 and the renderers for every warning).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """Text for one terminal line: control characters removed, white space collapsed."""
    return " ".join(_CONTROL.sub("", text.replace("\r\n", "\n")).split())


def open_store(db: str | None) -> Store:
    return Store(Path(db) if db else default_db_path())


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a report is built.

    A report makes tens of thousands of objects that live until it is written (rows,
    messages, series; 2,741 revision candidates for one day of kvmarm) and next to no
    cycles: every 700 allocations the collector walked them for nothing, 43 passes and
    ~5 ms of a one-day report (0.6 ms paused; measured with gc.callbacks). Reference
    counting still frees everything else; the collector is back on, and catches up, when
    the block ends. Not for indexing: parsing mail leaves cycles behind.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="PATCHDIGEST_DB",
    help="Index database (default: $XDG_DATA_HOME/patchdigest/index.sqlite).",
)


# The modules that define commands (each registers its own with @cli.command()). A
# command named in _FAST loads only its module: `patchdigest index` runs from cron every
# hour, and importing the renderers, Jinja2 and the sync client would be most of a no-op
# run's time; `report` is the daily one, and the remote commands with their sync client
# (urllib, ssl, http.client), `stats` and the other formats' renderers were ~27 ms of a
# one-day report's 0.55 s. Anything else (--help, other commands, `cli.commands`) loads
# them all.
_MODULES = ("indexing", "commands", "remote", "stats")
_FAST = {"index": "indexing", "doctor": "indexing", "report": "commands", "demo": "commands"}


def _load(*modules: str) -> None:
    for module in modules:
        importlib.import_module(f"{__name__}.{module}")


class _LazyGroup(click.Group):
    """A click group whose commands are imported when first needed."""

    @property
    def commands(self) -> MutableMapping[str, click.Command]:
        _load(*_MODULES)
        return self._registry

    @commands.setter
    def commands(self, value: MutableMapping[str, click.Command]) -> None:
        self._registry = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._registry[name] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _load(_FAST[cmd_name]) if cmd_name in _FAST else _load(*_MODULES)
        return self._registry.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.commands)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="patchdigest")
def cli() -> None:
    """Digests of patch traffic from public-inbox mailing-list archives, mboxes and Maildirs."""


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    cli(prog_name="patchdigest")
