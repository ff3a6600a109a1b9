"""Renderers: a Digest in, text out. Templates (Jinja2) hold layout, Python holds logic.

Every renderer has the signature ``render(digest, *, top=15, patches="all") -> str``.

Each renderer's module is imported when it is first used (``FORMATS[name]``, or a name
below through PEP 562): a text report does not load the JSON and Markdown renderers, and a
JSON one does not load Jinja2.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analyze import Digest
    from .json import render_json
    from .markdown import render_markdown
    from .text import render_text

Renderer = Callable[..., str]

# --patches: every patch of a series, or only its first.
PATCH_CHOICES = ("all", "first")

# format name -> (module, function), in the order `--format` used to list them
_RENDERERS = {
    "text": (".text", "render_text"),
    "markdown": (".markdown", "render_markdown"),
    "json": (".json", "render_json"),
}


class _Formats(Mapping[str, Renderer]):
    """Format name -> renderer; the renderer's module is imported on lookup."""

    def __getitem__(self, name: str) -> Renderer:
        module, function = _RENDERERS[name]
        renderer: Renderer = getattr(importlib.import_module(module, __name__), function)
        return renderer

    def __iter__(self) -> Iterator[str]:
        return iter(_RENDERERS)

    def __len__(self) -> int:
        return len(_RENDERERS)


FORMATS: Mapping[str, Renderer] = _Formats()

__all__ = ["FORMATS", "PATCH_CHOICES", "Digest", "Renderer", "render_json", "render_markdown", "render_text"]


def __getattr__(name: str) -> Any:
    for module, function in _RENDERERS.values():
        if name == function:
            return getattr(importlib.import_module(module, __name__), function)
    if name == "Digest":
        from ..analyze import Digest

        return Digest
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
