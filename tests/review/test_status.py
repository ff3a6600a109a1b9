"""Applied detection and the status of a series."""

from __future__ import annotations

import pytest

from patchdigest.analyze.annotate import annotate_series
from patchdigest.analyze.series import Series, assemble
from patchdigest.analyze.status import applied_claim
from patchdigest.store import StoredMessage

from .conftest import V1, V2
from .mails import AUTHOR, raw, reply, series, stored

MAINT = "Mo Tanaka <mo@kernel.example>"


def _claim(body: str) -> tuple[str, tuple[int, ...]] | None:
    m = stored(raw("Re: [PATCH 0/3] x", body, msgid="<c@x>", sender=MAINT, irt="<p@x>"), 1).message
    found = applied_claim(m)
    return (found.where, found.patches) if found else None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Applied to kvm-arm64/next, thanks!\n", ("kvm-arm64/next", ())),
        ("Applied to arm64 (for-next/misc), thanks!\n", ("arm64 (for-next/misc)", ())),
        ("Applied, thanks.\n", ("", ())),
        ("Thanks, applied.\n", ("", ())),
        ("Queued, thanks.\n", ("", ())),
        ("Queued for 5.7. Thanks.\n", ("5.7", ())),
        ("Queued patches 1-2, thanks (1 for stable too).\n", ("", (1, 2))),
        ("Queued 1-2 and 3, thanks.\n", ("", (1, 2, 3))),
        ("Applied to vfio next branch for v5.12.  Thanks,\n", ("vfio next branch", ())),
        ("Applied to -next.\n", ("-next", ())),
        # Not claims: quoted, a tester, the end of a wrapped sentence, a question.
        ("> Applied to next, thanks!\n\nWhy?\n", None),
        ("Applied this series and verified that it boots.\n", None),
        ("Applied patch mmio.c cleanly.\n", None),
        ("Applied on top of v5.12-rc2 and tested, works.\n", None),
        ("the fix was\nmerged.\n", None),
        ("Has this been applied?\n", None),
    ],
)
def test_applied_forms(body: str, expected: tuple[str, tuple[int, ...]] | None) -> None:
    assert _claim(body) == expected


B4_TY = """On Thu, 11 Mar 2021 10:00:14 +0000, Ada Moreau wrote:
> Two small fixes.

Applied to fixes, thanks!

[1/2] KVM: arm64: Fix one
      commit: 0123456789abcdef0123456789abcdef01234567
[2/2] KVM: arm64: Fix two
      commit: fedcba9876543210fedcba9876543210fedcba98

Best regards,
"""


def _annotate(mails: list[StoredMessage], replies: list[StoredMessage]) -> dict:  # type: ignore[type-arg]
    return annotate_series(assemble(mails), replies)


def test_b4_ty_from_the_author_counts_with_commits() -> None:
    s = series("t", ["KVM: arm64: Fix one", "KVM: arm64: Fix two"], cover_title="KVM: arm64: Two fixes")
    ty = reply(s[0], B4_TY, seq=10, sender=AUTHOR, msgid="<161556504005.3921077.2770@kernel.example>")
    st = _annotate(s, [ty])[s[0].message.original_msgid].status
    assert st.state == "applied" and st.applied is not None
    assert st.applied.where == "fixes" and st.applied.b4
    assert st.applied.commits == ((1, "0123456789abcdef0123456789abcdef01234567"),
                                  (2, "fedcba9876543210fedcba9876543210fedcba98"))  # fmt: skip
    assert st.applied_patches == (1, 2)


def test_the_authors_plain_applied_does_not_count() -> None:
    s = series("u", ["KVM: arm64: Fix one", "KVM: arm64: Fix two"], cover_title="KVM: arm64: Two fixes")
    mine = reply(s[0], "Applied, thanks.\n", seq=10, sender=AUTHOR)
    assert _annotate(s, [mine])[s[0].message.original_msgid].status.state == "new"


def test_applied_on_one_patch_only() -> None:
    s = series("w", ["KVM: one", "KVM: two", "KVM: three"], cover_title="KVM: three fixes")
    r = reply(s[2], "Hmm.\n", seq=10, sender="Bo Li <bo@reviewer.example>")
    ack = reply(r, "Applied to fixes, thanks.\n", seq=11, sender=MAINT)  # below a reply to 2/3
    got = _annotate(s, [r, ack])[s[0].message.original_msgid]
    assert got.status.applied_patches == (2,)
    assert got.summary == "[applied A:0 R:0 T:0] applied to fixes (1/3)"


def test_corpus_states(corpus_series: list[Series], corpus_replies: list[StoredMessage]) -> None:
    got = annotate_series(corpus_series, corpus_replies)
    assert got[V1].status.state == "superseded" and got[V1].status.superseded_version == "v2"
    assert got[V2].status.state == "reviewed" and got[V2].status.of_version == "v1"
    assert got[V2].summary == "[reviewed A:0 R:3 T:0] revision of v1"
    assert got[V1].summary == "[superseded A:0 R:0 T:0] superseded by v2"
    states = {got[s.key].status.state for s in corpus_series}
    assert "new" in states


def test_revision_state_without_review() -> None:
    v1 = series("r1", ["KVM: fix it"], seq=0)
    v2 = series("r2", ["KVM: fix it"], version="v2", seq=10, minutes=60)
    got = _annotate(v1 + v2, [])
    assert got[v2[0].message.original_msgid].status.state == "revision"
    assert got[v2[0].message.original_msgid].summary == "[revision A:0 R:0 T:0] revision of v1"
