"""`report --since-last`: each message reported once, whatever the cron schedule."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from patchdigest.cli import cli
from patchdigest.indexing import register
from patchdigest.sources.build import append_messages
from patchdigest.store import Store

from .conftest import CORPUS, replicated


def report(inbox: Path, db: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, ["report", str(inbox), "--db", str(db), "--since-last", *args])
    assert result.exit_code == code, result.output
    return result


def subjects(result: Result) -> list[str]:
    digest = json.loads(result.stdout)
    return [p["subject"] for s in digest["series"] for p in [*([s["cover"]] if s["cover"] else []), *s["patches"]]]


def cursor(db: Path, inbox: Path, name: str = "default") -> int | None:
    with Store(db) as store:
        return store.report_cursor(register(store, inbox).archive_id, name)


def test_each_message_is_reported_once(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    # The first report covers everything: the same digest as a report of the whole index.
    first = report(sample_inbox, db, "--format", "json")
    whole = CliRunner().invoke(cli, ["report", str(sample_inbox), "--db", str(db), "--format", "json"])
    assert subjects(first) == subjects(whole) and subjects(first)
    assert json.loads(first.stdout)["window"]["kind"] == "range"
    assert json.loads(first.stdout)["window"]["start"] == "the beginning"
    assert cursor(db, sample_inbox) == 37  # the last commit of the archive (the failed mail)

    # Nothing new: an empty digest, the cursor stays.
    again = report(sample_inbox, db, "--format", "json")
    assert subjects(again) == [] and cursor(db, sample_inbox) == 37

    # New mail: only it is reported (a copy of the corpus with new Message-IDs).
    new = replicated(2)[len(CORPUS) : len(CORPUS) + 3]
    append_messages(sample_inbox / "git" / "0.git", new)
    third = report(sample_inbox, db, "--format", "json")
    assert len(subjects(third)) == 3 and set(subjects(third)) <= set(subjects(first))
    window = json.loads(third.stdout)["window"]
    assert window["start"] != "the beginning" and window["start"] != window["end"]
    assert cursor(db, sample_inbox) == 40


def test_a_failed_write_does_not_move_the_cursor(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    report(sample_inbox, db, "-o", str(tmp_path / "first.txt"))
    append_messages(sample_inbox / "git" / "0.git", replicated(2)[len(CORPUS) : len(CORPUS) + 2])
    unwritable = tmp_path / "no" / "such" / "dir" / "out.txt"
    failed = report(sample_inbox, db, "-o", str(unwritable), code=2)
    assert "cannot write the report" in failed.stderr
    assert cursor(db, sample_inbox) == 37
    retry = report(sample_inbox, db, "--format", "json")
    assert len(subjects(retry)) == 2 and cursor(db, sample_inbox) == 39


def test_named_cursors_are_independent(sample_inbox: Path, tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite"
    report(sample_inbox, db, "--cursor", "text")
    assert cursor(db, sample_inbox, "text") == 37 and cursor(db, sample_inbox, "markdown") is None
    first_md = report(sample_inbox, db, "--cursor", "markdown", "--format", "json")
    assert subjects(first_md), "a new stream starts from the beginning"


def test_since_last_excludes_other_windows(sample_inbox: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["report", str(sample_inbox), "--db", str(tmp_path / "x.sqlite"), "--since-last", "--day", "2021-03-10"]
    )
    assert result.exit_code == 2 and "choose one of" in result.output
