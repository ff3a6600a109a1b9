"""Trailers from replies: on the patch replied to, up the reply chain, cover letter for all."""

from __future__ import annotations

from dataclasses import replace

from patchdigest.analyze.people import parse_bots, parse_mailmap
from patchdigest.analyze.reviews import collect_reviews, reply_targets
from patchdigest.analyze.series import Series, assemble
from patchdigest.models import Person, Trailer
from patchdigest.store import StoredMessage

from .conftest import V1, V2
from .mails import reply, series

BO = "Bo Li <bo@reviewer.example>"
CY = "Cy Ng <cy@other.example>"


def _people(trailers: object) -> list[tuple[str, str]]:
    return [(t.key, t.person.email) for t in trailers]  # type: ignore[attr-defined]


def test_corpus_v2_cover_and_patch_reviews(corpus_series: list[Series], corpus_replies: list[StoredMessage]) -> None:
    reviews = collect_reviews(corpus_series, corpus_replies)
    v2 = reviews[V2]
    per_patch = {p.counter: sorted(_people(p.trailers)) for p in v2.patches}
    tomas = ("Reviewed-by", "tomas.ferreira@nimbus-cloud.example")  # 0016, on the cover letter: all three
    assert per_patch == {
        1: [tomas],
        2: sorted([tomas, ("Reviewed-by", "dvolkov@example.net")]),  # 0017; 0018 only quotes it
        3: sorted([tomas, ("Reviewed-by", "sven.lindqvist@fjordlabs.example")]),  # 0022
    }
    assert (v2.acked, v2.reviewed_by, v2.tested) == (0, 3, 0)
    assert v2.reviewed and v2.reviewed_patches == 3
    assert len(v2.given) == 3  # the cover letter's trailer is given once
    assert {t.via for t in v2.patches[0].trailers} == {"cover"}
    assert not any(t.flagged for p in v2.patches for t in p.trailers)
    assert not reviews[V1].reviewed and reviews[V1].given == ()


def test_corpus_other_threads(corpus_series: list[Series], corpus_replies: list[StoredMessage]) -> None:
    reviews = collect_reviews(corpus_series, corpus_replies)
    resend = reviews["<20210309171527.7741-2-jane@acme-silicon.example>"]  # 0011 on RESEND v4 1/2
    assert (resend.reviewed_by, resend.tested) == (1, 1)
    acked = reviews["<20210309132040.2201-1-joerg.mueller@tidewater.example>"]  # 0007, an "AW:" reply
    assert acked.acked == 1


def test_chain_quotes_signature_and_flags() -> None:
    s = series("a", ["KVM: arm64: Fix one", "KVM: arm64: Fix two"], cover_title="KVM: arm64: Two fixes")
    cover, p1, p2 = s
    r1 = reply(p2, "> Signed-off-by: Ada\n\nLooks odd, why?\n", seq=10, sender=BO)
    r2 = reply(r1, "> Looks odd, why?\n\nBecause.\n", seq=11, sender="Ada Moreau <ada@silicon.example>")
    # Answering the author's answer: still about patch 2.
    r3 = reply(r2, "> Because.\nOk then.\n\n  Reviewed-by: Bo Li <bo@reviewer.example>\n", seq=12, sender=BO)
    # Quoted and after-the-signature trailers never count; a relayed one is flagged.
    r4 = reply(
        p1,
        "> Reviewed-by: Someone <someone@else.example>\n\nAcked-by: Dee Park <dee@third.example>\n"
        "-- \nCy\nTested-by: Cy Ng <cy@other.example>\n",
        seq=13,
        sender=CY,
    )
    # Same name, other address: b4 accepts it, so do we (not flagged).
    r5 = reply(cover, "Tested-by: Cy Ng <cy.ng@home.example>\n", seq=14, sender=CY)
    reviews = collect_reviews(assemble(s), [r1, r2, r3, r4, r5])
    got = reviews[s[0].message.original_msgid]
    one, two = got.patches
    assert _people(two.trailers) == [("Reviewed-by", "bo@reviewer.example"), ("Tested-by", "cy.ng@home.example")]
    assert _people(one.trailers) == [("Acked-by", "dee@third.example"), ("Tested-by", "cy.ng@home.example")]
    assert one.trailers[0].flagged and not one.trailers[1].flagged
    assert two.trailers[0].source == r3.message.original_msgid and two.trailers[0].via == "reply"
    assert (got.acked, got.reviewed_by, got.tested) == (1, 1, 1)
    targets = reply_targets(assemble(s), [r1, r2, r3, r4, r5])
    assert targets[r3.message.original_msgid].counter == 2


def test_carried_trailers_count_but_are_not_given() -> None:
    s = series("c", ["KVM: arm64: Only fix"])
    p = s[0]
    eve = Person("Eve Ro", "eve@reviewer.example")
    p = StoredMessage(p.row_id, p.prov, replace(p.message, trailers=(
        Trailer("Reviewed-by", str(eve), eve), *p.message.trailers)))  # fmt: skip
    r = reply(p, "Acked-by: Bo Li <bo@reviewer.example>\n", seq=5, sender=BO)
    got = collect_reviews(assemble([p]), [r])[p.message.original_msgid]
    assert (got.reviewed_by, got.acked) == (1, 1)
    assert [t.via for t in got.patches[0].trailers] == ["reply", "patch"]
    assert [t.key for t in got.given] == ["Acked-by"]


def test_bots_ignored_and_mailmap_unflags() -> None:
    s = series("b", ["KVM: arm64: Only fix"])
    robot = reply(s[0], "Reported-by: kernel test robot <lkp@intel.com>\n", seq=5,
                  sender="kernel test robot <lkp@intel.com>")  # fmt: skip
    relayed = reply(s[0], "Reviewed-by: Bo Li <bo@work.example>\n", seq=6, sender="B. <bo@home.example>")
    bots = parse_bots(["email: lkp@intel.com"])
    got = collect_reviews(assemble(s), [robot, relayed], ignore=bots.is_bot)[s[0].message.original_msgid]
    assert _people(got.given) == [("Reviewed-by", "bo@work.example")]
    assert got.given[0].flagged
    mm = parse_mailmap("Bo Li <bo@work.example> <bo@home.example>\n")
    got = collect_reviews(assemble(s), [relayed], mailmap=mm)[s[0].message.original_msgid]
    assert not got.given[0].flagged


def test_trailer_without_a_real_address_is_not_counted() -> None:
    s = series("d", ["KVM: arm64: Only fix"])
    r = reply(s[0], "Acked-by: Mo Tanaka <mo>\n", seq=5, sender="Mo Tanaka <mo@kernel.example>")
    got = collect_reviews(assemble(s), [r])[s[0].message.original_msgid]
    assert got.given == () and got.acked == 0


def test_trailer_after_a_suggested_diff_counts() -> None:
    """ "nit: I preferred the switch-case version, such as this: <diff> Otherwise: Acked-by:"."""
    s = series("e", ["KVM: arm64: Only fix"])
    body = (
        "> +\tret = new_call(1);\n\nI preferred this:\n\n"
        "diff --git a/arch/arm64/kvm/f1.c b/arch/arm64/kvm/f1.c\n--- a/arch/arm64/kvm/f1.c\n"
        "+++ b/arch/arm64/kvm/f1.c\n@@ -1,3 +1,3 @@\n int x;\n-int y;\n+int z;\n\n"
        "Otherwise:\n\nAcked-by: Bo Li <bo@reviewer.example>\n\n\tB.\n\n-- \nSent from a phone\n"
    )
    r = reply(s[0], body, seq=5, sender=BO)
    assert r.message.has_diff
    got = collect_reviews(assemble(s), [r])[s[0].message.original_msgid]
    assert _people(got.given) == [("Acked-by", "bo@reviewer.example")]
