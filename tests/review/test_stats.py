"""`patchdigest stats`: counts agree with the digest; bots out by default; JSON schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from patchdigest.analyze.annotate import annotate_series
from patchdigest.analyze.digest import Window
from patchdigest.analyze.people import parse_bots, parse_mailmap, parse_orgmap
from patchdigest.analyze.series import assemble
from patchdigest.analyze.stats import compute_stats, human_duration
from patchdigest.cli import cli
from patchdigest.schema import load_schema

from .mails import AUTHOR, raw, reply, series, stored

BO = "Bo Li <bo@reviewer.example>"


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = load_schema("stats-v1.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_human_duration() -> None:
    seconds = (0, 45, 600, 3600, 3600 + 720, 86400, 2 * 86400 + 4 * 3600)
    got = [human_duration(timedelta(seconds=s)) for s in seconds]
    assert got == ["0s", "45s", "10m", "1h", "1h 12m", "1d", "2d 4h"]


def _stats(**kw: Any) -> Any:
    a = series("a", ["KVM: one", "KVM: two"], cover_title="KVM: two fixes", seq=0)
    b = series("b", ["KVM: three"], seq=10, minutes=30, sender="Cy Ng <cy@lab.corp.example>")
    bot = [stored(raw("[PATCH AUTOSEL 5.10 1/1] KVM: three", "x\n", msgid="<auto@x>", sender="S <s@k.example>",
                      minutes=40), 20)]  # fmt: skip
    author_answer = reply(a[1], "Yes, I will.\n", seq=30, sender=AUTHOR, minutes=5)
    review = reply(a[0], "Reviewed-by: Bo Li <bo@reviewer.example>\n", seq=31, sender=BO, minutes=90)
    test = reply(a[2], "Tested-by: Bo Li <bo@home.example>\n", seq=32, sender="Bo Li <bo@home.example>", minutes=200)
    robot = reply(b[0], "Reported-by: kernel test robot <lkp@intel.com>\n", seq=33,
                  sender="kernel test robot <lkp@intel.com>", minutes=31)  # fmt: skip
    mails = a + b + bot
    replies = [author_answer, review, test, robot]
    all_series = assemble(mails)
    reviews = annotate_series(all_series, replies, bots=kw.get("bots"))
    return compute_stats(mails, all_series, reviews, replies, title="T", window=Window("a", "b", "all"), **kw)


def test_compute_stats_counts_and_bots() -> None:
    bots = parse_bots(["tag: AUTOSEL", "email: lkp@intel.com"])
    st = _stats(bots=bots, orgmap=parse_orgmap("corp.example Corp\n"),
                mailmap=parse_mailmap("Bo Li <bo@reviewer.example> <bo@home.example>\n"))  # fmt: skip
    assert (st.emails, st.series, st.bot_emails, st.bot_series) == (4, 2, 1, 1)
    assert st.bot_addresses == ("s@k.example",)
    assert [(n, p.email) for n, p in st.authors] == [(3, "ada@silicon.example"), (1, "cy@lab.corp.example")]
    assert st.author_orgs == ((3, "silicon.example"), (1, "Corp"))
    assert [(r.count, r.person.email, r.by_key) for r in st.reviewers] == [
        (2, "bo@reviewer.example", (("Reviewed-by", 1), ("Tested-by", 1)))
    ]  # one person through the mailmap; the domains stay as sent:
    assert st.reviewer_domains == ((1, "home.example"), (1, "reviewer.example"))
    assert (st.reviewed, st.reviewable) == (1, 2)
    # The author's own answer after 5 minutes does not count; Bo's review after 90 does.
    assert (st.answered, st.median_first_reply) == (1, timedelta(minutes=90))
    everything = _stats()
    assert (everything.emails, everything.bot_emails, everything.bots_excluded) == (5, 0, False)
    # With bots, the robot's reply answers series b a minute after it was posted.
    assert everything.answered == 2


def test_cli_stats_on_the_sample(
    sample_inbox: Path, tmp_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    db = str(tmp_path / "i.sqlite")
    text = run("stats", str(sample_inbox), "--db", db)
    assert text == run("stats", str(sample_inbox), "--db", db)  # deterministic
    assert "1 bot emails excluded" in text  # 0029, an AUTOSEL backport
    assert "Top 15 reviewers" in text and "tomas.ferreira@nimbus-cloud.example" in text
    data = json.loads(run("stats", str(sample_inbox), "--db", db, "--format", "json"))
    validator.validate(data)
    assert data["bots"]["emails"] == 1 and "AUTOSEL" not in json.dumps(data["busiest_threads"])
    with_bots = json.loads(run("stats", str(sample_inbox), "--db", db, "--format", "json", "--include-bots"))
    validator.validate(with_bots)
    assert with_bots["emails"] == data["emails"] + 1 and with_bots["bots"]["excluded"] is False


def test_cli_stats_equals_the_digest_counts(sample_inbox: Path, tmp_path: Path) -> None:
    """With bots kept and no mailmap, the stats' authors and domains are the digest's."""
    db = str(tmp_path / "i.sqlite")
    for window in (["--day", "2021-03-10"], []):
        digest = json.loads(run("report", str(sample_inbox), "--db", db, "--format", "json", *window))
        stats = json.loads(run("stats", str(sample_inbox), "--db", db, "--format", "json", "--include-bots",
                               "--no-mailmap", *window))  # fmt: skip
        assert stats["authors"] == digest["stats"]["top_people"]
        assert stats["author_domains"] == digest["stats"]["top_domains"]
        assert (stats["emails"], stats["series"], stats["patches"]) == (
            digest["stats"]["emails"], digest["stats"]["series"], digest["stats"]["patches"],
        )  # fmt: skip
        replies = {s["key"]: s["replies"] for s in digest["series"]}
        assert all(replies[t["key"]] == t["replies"] for t in stats["busiest_threads"])


def test_cli_stats_options(sample_inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "i.sqlite")
    mm = tmp_path / "mailmap"
    mm.write_text("Marta K. <marta@new.example> <marta.kowalczyk@acme-silicon.example>\n")
    orgs = tmp_path / "orgs"
    orgs.write_text("acme-silicon.example  ACME Silicon\n")
    text = run("stats", str(sample_inbox), "--db", db, "--mailmap", str(mm), "--orgmap", str(orgs))
    assert "Marta K. <marta@new.example>" in text and "ACME Silicon" in text
    assert "acme-silicon.example" in text  # domains stay as sent
    result = CliRunner().invoke(cli, ["stats", str(sample_inbox), "--db", db, "--day", "x", "--week", "2021-W10"])
    assert result.exit_code != 0
    result = CliRunner().invoke(cli, ["stats", "--help"])
    assert result.exit_code == 0 and "--include-bots" in result.stdout


def test_config_people_section(sample_inbox: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "i.sqlite")
    config = tmp_path / "config.toml"
    config.write_text('[people]\nbots = ["email: marta.kowalczyk@acme-silicon.example"]\n')
    data = json.loads(run("stats", str(sample_inbox), "--db", db, "--format", "json", "--config", str(config)))
    assert "marta.kowalczyk@acme-silicon.example" in data["bots"]["addresses"]
    assert all(a["email"] != "marta.kowalczyk@acme-silicon.example" for a in data["authors"])
    config.write_text("[people]\nbots = 3\n")
    result = CliRunner().invoke(cli, ["stats", str(sample_inbox), "--db", db, "--config", str(config)])
    assert result.exit_code == 2 and "[people] bots must be a list" in result.stderr
