"""Renderers: a Digest in, text out. Templates (Jinja2) hold layout, Python holds logic."""

from __future__ import annotations

from .text import render_text

FORMATS = {"text": render_text}

__all__ = ["FORMATS", "render_text"]
