"""The Jinja2 environment and the escaping helpers every renderer uses."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

# C0 controls but tab and newline, DEL, and C1 controls: an ESC in a name must never reach
# a terminal ("\x1b[31m"), a CR must never hide a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Text safe for a terminal or a plain file: control characters removed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    return " ".join(strip_controls(text).split())


@cache
def environment(autoescape: bool = False) -> Environment:
    # Imported here: the JSON and stats renderers use the helpers above but no template,
    # and importing Jinja2 takes ~16 ms (measured after the rest of a report's imports).
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
    env.filters["clean"] = strip_controls
    env.filters["one_line"] = one_line
    return env
