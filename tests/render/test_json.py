"""The JSON digest and its schema (src/patchdigest/schema/digest-v1.schema.json)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from analyze.factory import mail, series_of  # tests/ is on sys.path (rootdir of the test packages)
from patchdigest.analyze import Window, build_digest
from patchdigest.render import render_json
from patchdigest.render.json import SCHEMA_ID
from patchdigest.schema import load_schema

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "sample.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, subschema) declared under a "properties" keyword."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, sub in node.items():
            yield from properties(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from properties(sub, f"{path}[{i}]")


def test_schema_documents_every_field_and_its_policy() -> None:
    schema = load_schema()
    assert schema["$id"] == SCHEMA_ID and schema["$schema"].endswith("/2020-12/schema")
    assert "must ignore fields they do not know" in schema["description"]
    undocumented = [path for path, sub in properties(schema) if not sub.get("description")]
    assert undocumented == []
    for name, sub in schema["$defs"].items():
        assert sub.get("description"), name


def test_sample_json_validates(validator: jsonschema.Draft202012Validator) -> None:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []
    assert data["schema"] == SCHEMA_ID and data["version"] == 1
    assert data["stats"]["series"] == len(data["series"])
    assert data["stats"]["emails"] == sum(
        len(s["patches"]) + len(s["resent"]) + (1 if s["cover"] else 0) for s in data["series"]
    )


def test_validation_is_real(validator: jsonschema.Draft202012Validator) -> None:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    del broken["series"][0]["patches"][0]["message_id"]
    assert list(validator.iter_errors(broken))
    wrong = copy.deepcopy(data)
    wrong["series"][0]["total"] = "3"
    assert list(validator.iter_errors(wrong))
    # ... while a field added by a later version is fine (the compatibility policy)
    grown = copy.deepcopy(data)
    grown["series"][0]["status"] = "accepted"
    grown["series"][0]["patches"][0]["revision_of"] = None
    assert list(validator.iter_errors(grown)) == []


def test_series_fields(validator: jsonschema.Draft202012Validator) -> None:
    v1 = series_of(3, "KVM: arm64: Things", prefix="v1")
    fix = mail(10, "[PATCH v2 2/3] KVM: arm64: Things: part 2", irt="<v1-2@example.org>", minutes=3000)
    digest = build_digest([*v1, fix], title="KVM", window=Window("2021-03-10", "2021-03-10", "dates"),
                          base_url="https://lore.kernel.org/kvm")  # fmt: skip
    digest = digest.with_replies({"<v1-0@example.org>": 2, "<v1-2@example.org>": 1})
    data = json.loads(render_json(digest))
    assert list(validator.iter_errors(data)) == []
    first, second = data["series"]
    assert first["replies"] == 3 and first["patches"][1]["replies"] == 1
    assert first["cover"]["kind"] == "cover" and first["diffstat"] == {"files": 3, "insertions": 9, "deletions": 3}
    assert first["link"] == "https://lore.kernel.org/kvm/v1-0@example.org/"
    assert (second["in_reply_to"], second["in_reply_to_series"]) == ("<v1-2@example.org>", "<v1-0@example.org>")
    assert (second["version"], second["received"], second["total"], second["missing"]) == (2, 1, 3, [1, 3])
    patch = first["patches"][0]
    assert patch["trailers"] == [
        {
            "key": "Signed-off-by",
            "value": "Marta Kowalczyk <marta@example.org>",
            "person": {"name": "Marta Kowalczyk", "email": "marta@example.org"},
        }  # fmt: skip
    ]
    assert [h["name"] for h in patch["headers"]] == ["From", "Date", "Subject", "Message-ID", "To"]
    assert "diff --git" not in patch["text"] and patch["text"].endswith("1 deletion(-)")


def test_output_is_deterministic_and_sorted_by_construction() -> None:
    mails = series_of(2, "A")
    window = Window("2021-03-10", "2021-03-10", "dates")
    first = render_json(build_digest(mails, title="KVM", window=window))
    second = render_json(build_digest(list(reversed(mails)), title="KVM", window=window))
    assert first == second
    assert list(json.loads(first)) == ["schema", "version", "title", "window", "headers", "stats", "series"]
