"""Layout helpers shared by the renderers: header lines and an email's text block."""

from __future__ import annotations

from collections.abc import Iterable

from ..analyze import Header
from ._env import one_line, strip_controls

WIDTH = 78
# Address lists may be folded at commas; every other header stays on one line whatever
# its length, so that a Subject can never be mistaken for two headers.
FOLDABLE = {"to", "cc", "bcc", "reply-to"}


def number_ranges(numbers: Iterable[int]) -> str:
    """``[1, 2, 3, 5, 7, 8]`` -> ``"1-3, 5, 7-8"``: a missing list a reader can take in."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def split_addresses(value: str) -> list[str]:
    """Split an address list at the commas that separate addresses.

    A comma inside a quoted name or an angle-bracketed address is not a separator:
    ``"Hoffmann, Katrin" <k@example.org>, Jane <j@example.org>`` is two addresses.
    """
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    depth = 0
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            depth += 1
        elif ch == ">" and not quoted and depth:
            depth -= 1
        elif ch == "," and not quoted and not depth:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def header_lines(name: str, value: str, width: int = WIDTH) -> list[str]:
    """``Name: value`` on one line; a long address list folded after its commas, each
    continuation line indented by one space (RFC 5322 folding, so it reads as one header)."""
    name, value = one_line(name), one_line(value)
    first = f"{name}: {value}"
    if len(first) <= width or name.lower() not in FOLDABLE:
        return [first]
    lines: list[str] = []
    line = f"{name}:"
    addresses = split_addresses(value)
    for i, address in enumerate(addresses):
        piece = address + ("," if i < len(addresses) - 1 else "")
        if lines or line != f"{name}:":
            if len(line) + 1 + len(piece) > width:
                lines.append(line)
                line = " " + piece
                continue
        line += " " + piece
    lines.append(line)
    return lines


def email_text(headers: Iterable[Header], body: str) -> str:
    """Header lines, a blank line, then the commit message through the diffstat."""
    lines = [line for name, value in headers for line in header_lines(name, value)]
    body = strip_controls(body).strip("\n")
    return "\n".join(lines) + ("\n\n" + body if body.strip() else "")
