"""Renderers: a Digest in, text out. Templates (Jinja2) hold layout, Python holds logic.

Every renderer has the signature ``render(digest, *, top=15, patches="all") -> str``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..analyze import Digest
from .json import render_json
from .markdown import PATCH_CHOICES, render_markdown
from .text import render_text

Renderer = Callable[..., str]

FORMATS: dict[str, Renderer] = {"text": render_text, "markdown": render_markdown, "json": render_json}

__all__ = ["FORMATS", "PATCH_CHOICES", "Digest", "Renderer", "render_json", "render_markdown", "render_text"]
