"""JSON Schemas of patchdigest's machine-readable output (shipped as package data)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

DIGEST_V1 = "digest-v1.schema.json"


def load_schema(name: str = DIGEST_V1) -> dict[str, Any]:
    """The parsed schema document, e.g. for ``jsonschema.Draft202012Validator``."""
    data: dict[str, Any] = json.loads(files(__package__).joinpath(name).read_text(encoding="utf-8"))
    return data


__all__ = ["DIGEST_V1", "load_schema"]
