"""The digests show status, revision links and A/R/T per series (text, Markdown, JSON)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from patchdigest.cli import cli
from patchdigest.schema import load_schema

from .conftest import MAIL_DIR, V1, V2

V2_LINE = (
    "[PATCH v2 0/3] KVM: arm64: Rate-limit unhandled system register warnings -- Marta Kowalczyk"
    " <marta.kowalczyk@acme-silicon.example> (3/3) [reviewed A:0 R:3 T:0] revision of v1"
)


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def test_text_patch_list(sample_inbox: Path, tmp_path: Path) -> None:
    text = run(str(sample_inbox), "--db", str(tmp_path / "i.sqlite"))
    lines = text.splitlines()
    assert V2_LINE in lines
    assert any(line.endswith("(2/2) [superseded A:0 R:0 T:0] superseded by v2") for line in lines)
    assert any(line.startswith("[GIT PULL]") and line.endswith("(0/1)") for line in lines)  # no review on pulls


def test_markdown_status_and_links(sample_inbox: Path, tmp_path: Path) -> None:
    md = run(str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--format", "markdown",
             "--base-url", "https://lore.example.org/kvm")  # fmt: skip
    assert "- Status: reviewed, A:0 R:3 T:0; revision of v1\n" in md
    assert f"- Revision of: v1 <https://lore.example.org/kvm/{V1.strip('<>')}/>\n" in md
    assert f"- Superseded by: v2 <https://lore.example.org/kvm/{V2.strip('<>')}/>\n" in md
    assert "rate limit matters" in md
    assert "(Reviewed-by: Dmitri Volkov, Tomás Ferreira)" in md


def test_json_review_fields(sample_inbox: Path, tmp_path: Path) -> None:
    data = json.loads(run(str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--format", "json"))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    by_key = {s["key"]: s for s in data["series"]}
    review = by_key[V2]["review"]
    assert review["state"] == "reviewed"
    assert review["counts"] == {"acked": 0, "reviewed": 3, "tested": 0, "nacked": 0}
    assert review["revision_of"] == {"key": V1, "version": "v1", "method": "title"}
    assert review["changes"].startswith("Changes since v1 [1]:")
    assert [t["person"]["email"] for t in review["trailers_given"]] == [
        "tomas.ferreira@nimbus-cloud.example", "dvolkov@example.net", "sven.lindqvist@fjordlabs.example",
    ]  # fmt: skip
    second = by_key[V2]["patches"][1]["review_trailers"]
    assert [(t["person"]["name"], t["via"]) for t in second] == [
        ("Dmitri Volkov", "reply"),
        ("Tomás Ferreira", "cover"),
    ]
    assert by_key[V1]["review"]["superseded_by"] == {"key": V2, "version": "v2"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_report_git_tree(sample_inbox: Path, tmp_path: Path) -> None:
    """A tree holding patch 1/2 of v1 (rebuilt from the mail with `git am`) marks it applied."""
    repo = tmp_path / "tree"
    env = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@x.example", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@x.example", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip

    def git(*args: str, stdin: bytes | None = None) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env, input=stdin)

    repo.mkdir()
    git("init", "-q")
    patch = (MAIL_DIR / "0002-v1-patch-1-of-2.eml").read_bytes()
    # The files the patch touches, as they were before it: its "-" and " " lines, hunk by hunk.
    before = _preimages(patch.decode("utf-8"))
    for path, text in before.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git("add", ".")
    git("commit", "-q", "-m", "base")
    git("apply", "--unidiff-zero", "-", stdin=_diff_of(patch.decode("utf-8")).encode())
    git("commit", "-q", "-am", "applied")
    text = run(str(sample_inbox), "--db", str(tmp_path / "i.sqlite"), "--git-tree", str(repo))
    assert "[applied A:0 R:0 T:0] superseded by v2, applied (1/2), in tree" in text


def _diff_of(mail: str) -> str:
    return mail[mail.index("diff --git") :].split("\n-- \n")[0] + "\n"


def _preimages(mail: str) -> dict[str, str]:
    """Each file's lines before the patch, padded so that every hunk applies at its line."""
    files: dict[str, list[str]] = {}
    current: list[str] = []
    for line in _diff_of(mail).split("\n"):
        if line.startswith("+++ b/"):
            current = files.setdefault(line[6:], [])
        elif line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0])
            current.extend(f"/* filler {i} */" for i in range(len(current) + 1, start))
        elif line[:1] in (" ", "-") and not line.startswith("--- "):
            current.append(line[1:])
    return {path: "\n".join(lines) + "\n" for path, lines in files.items()}
