"""Reviews, revisions, status and stats on the real kvmarm archive.

Every expectation was read by hand from the archive (`git log`, `git show <commit>:m`),
not from patchdigest's output.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchdigest import windows
from patchdigest.analyze.annotate import SeriesReview, annotate_series
from patchdigest.analyze.revisions import link_revisions
from patchdigest.analyze.series import Series, assemble
from patchdigest.cli import cli
from patchdigest.models import Kind
from patchdigest.pipeline import make_digest, register
from patchdigest.review import annotate, descendants, load_people
from patchdigest.store import Store

pytestmark = pytest.mark.realarchive

IPA_V2 = "<20210310104208.3819061-1-maz@kernel.org>"  # [PATCH v2 0/2] KVM: arm64: Assorted IPA size fixes
IPA_V3 = "<20210311100016.3830038-1-maz@kernel.org>"  # [PATCH v3 0/2], 2021-03-11
TGRAN_V1 = "<1614954969-14338-1-git-send-email-anshuman.khandual@arm.com>"  # arm64/mm: Fix __enable_mmu()


def _annotated(db: Path, inbox: Path, day: str) -> dict[str, SeriesReview]:
    with Store(db) as store:
        indexed = register(store, inbox)
        digest = make_digest(store, indexed, windows.day(day, windows.zone("UTC")))
        return annotate(store, indexed.archive_id, digest.series, people=load_people())


def _trailers(review: SeriesReview) -> dict[int, set[tuple[str, str, str]]]:
    return {p.counter or 1: {(t.key, t.person.email, t.via) for t in p.trailers} for p in review.reviews.patches}


def test_ipa_v2_superseded_by_v3(kvmarm_db: Path, kvmarm_inbox: Path) -> None:
    v2 = _annotated(kvmarm_db, kvmarm_inbox, "2021-03-10")[IPA_V2]
    assert v2.status.state == "superseded"
    assert (v2.links.next, v2.links.next_version) == (IPA_V3, "v3")
    assert v2.links.changes.startswith("* From v1:\n  - Don't try to cap the default IPA size.")
    # Eric Auger's "Reviewed-by" on 2/2 (<ddcb2d37-c16b-6972-b0c3-d98a957828d7@redhat.com>); his
    # reply to 1/2 has no trailer.
    assert _trailers(v2) == {1: set(), 2: {("Reviewed-by", "eric.auger@redhat.com", "reply")}}
    assert v2.summary == "[superseded A:0 R:1 T:0] superseded by v3"


def test_ipa_v3_revision_of_v2_applied(kvmarm_db: Path, kvmarm_inbox: Path) -> None:
    v3 = _annotated(kvmarm_db, kvmarm_inbox, "2021-03-11")[IPA_V3]
    assert (v3.links.previous, v3.links.previous_version, v3.links.method) == (IPA_V2, "v2", "title")
    assert v3.status.of_version == "v2"
    assert _trailers(v3) == {
        1: {("Reviewed-by", "drjones@redhat.com", "reply"), ("Reviewed-by", "eric.auger@redhat.com", "reply")},
        2: {("Reviewed-by", "drjones@redhat.com", "reply"), ("Reviewed-by", "eric.auger@redhat.com", "patch")},
    }
    # Marc Zyngier's b4 "thank you" on his own series, 2021-03-12: "Applied to fixes, thanks!"
    st = v3.status
    assert st.state == "applied" and st.applied is not None
    assert (st.applied.where, st.applied.by.email, st.applied_patches) == ("fixes", "maz@kernel.org", (1, 2))
    assert st.applied.commits == (
        (1, "7d717558dd5ef10d28866750d5c24ff892ea3778"),
        (2, "262b003d059c6671601a19057e9fe1a5e7f23722"),
    )
    assert v3.summary == "[applied A:0 R:2 T:0] revision of v2, applied to fixes"


def test_ack_after_a_suggested_diff(kvmarm_db: Path, kvmarm_inbox: Path) -> None:
    """Marc Zyngier's reply of 2021-03-08 proposes a diff, then "Otherwise:\\n\\nAcked-by: ..."."""
    got = _annotated(kvmarm_db, kvmarm_inbox, "2021-03-05")[TGRAN_V1]
    assert ("Acked-by", "maz@kernel.org", "reply") in _trailers(got)[1]
    assert got.status.superseded_by is not None and got.status.superseded_version == "v2"


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


@pytest.mark.parametrize("window", [["--day", "2021-03-10"], ["--week", "2021-W11"], ["--range", "07f92d8c..9df3e071"],
                                    ["--day", "2019-08-29"]])  # fmt: skip
def test_stats_consistent_with_the_digest(kvmarm_db: Path, kvmarm_inbox: Path, window: list[str]) -> None:
    common = [str(kvmarm_inbox), "--db", str(kvmarm_db), "--no-index", "--format", "json", *window]
    digest = _json("report", *common)
    kept = _json("stats", *common, "--include-bots", "--no-mailmap")
    assert kept["authors"] == digest["stats"]["top_people"]
    assert kept["author_domains"] == digest["stats"]["top_domains"]
    assert (kept["emails"], kept["series"]) == (digest["stats"]["emails"], digest["stats"]["series"])
    replies = {s["key"]: s["replies"] for s in digest["series"]}
    assert all(replies[t["key"]] == t["replies"] for t in kept["busiest_threads"])
    # Bots out (the default): what was left out is said, and is the whole difference.
    out = _json("stats", *common, "--no-mailmap")
    assert out["emails"] + out["bots"]["emails"] == kept["emails"]
    assert out["series"] + out["bots"]["series"] == kept["series"]
    # A person may send both (gregkh's stable notices are a bot's, his reviews are his):
    # no address that is a bot's by the rules is left among the people.
    rules = load_people().bots
    assert not any(rules.is_bot_address(a["email"]) for a in out["authors"] + out["reviewers"])


def test_bots_are_out_of_the_stats(kvmarm_db: Path, kvmarm_inbox: Path) -> None:
    # 2019-08-29: eleven "[PATCH AUTOSEL ...]" backports; 2021-W11: nine "Patch ... has been
    # added to the ...-stable tree" notices.
    common = [str(kvmarm_inbox), "--db", str(kvmarm_db), "--no-index", "--format", "json"]
    autosel = _json("stats", *common, "--day", "2019-08-29")
    assert autosel["bots"]["emails"] >= 11 and "sashal@kernel.org" in autosel["bots"]["addresses"]
    stable = _json("stats", *common, "--week", "2021-W11")
    assert stable["bots"]["emails"] == 9
    assert all("has been added" not in t["subject"] for t in stable["busiest_threads"])


@pytest.mark.parametrize("day", ["2021-03-10", "2021-03-11", "2020-06-01", "2021-01-15", "2022-01-26"])
def test_revision_candidates_link_as_whole_messages_do(kvmarm_db: Path, kvmarm_inbox: Path, day: str) -> None:
    """The related series come from light rows (Store.revision_candidates: no trailers,
    no texts but a b4 change-id's): the same series, and every review the same, as when
    they are assembled from whole messages."""
    with Store(kvmarm_db) as store:
        indexed = register(store, kvmarm_inbox)
        aid = indexed.archive_id
        digest = make_digest(store, indexed, windows.day(day, windows.zone("UTC")), reviews=False)
        emails = {s.author.email for s in digest.series if s.author.email and not s.is_pull}
        whole = [
            m
            for m in store.messages(aid, kinds=(Kind.PATCH, Kind.COVER))
            if m.message.author.email in emails or m.message.sender.email in emails
        ]
        light = store.revision_candidates(aid, emails)
        assert [m.row_id for m in light] == [m.row_id for m in whole]
        light_series, whole_series = assemble(light), assemble(whole)
        assert [s.msgids for s in light_series] == [s.msgids for s in whole_series]
        people = load_people()
        mine = {mid for s in digest.series for mid in s.msgids}
        replies = descendants(store, aid, mine)

        def reviews(related: list[Series]) -> dict[str, SeriesReview]:
            kept = [r for r in related if not mine.intersection(r.msgids)]
            return annotate_series(digest.series, replies, related=kept, mailmap=people.mailmap, bots=people.bots)

        assert reviews(light_series) == reviews(whole_series)
        # Every series' links, the candidates' own too (change notes aside: those are
        # looked for in the window's series only).
        pool = list(digest.series) + light_series
        whole_links = link_revisions(list(digest.series) + whole_series, mailmap=people.mailmap)
        light_links = link_revisions(pool, mailmap=people.mailmap)
        assert {k: replace(v, changes="") for k, v in light_links.items()} == {
            k: replace(v, changes="") for k, v in whole_links.items()
        }
