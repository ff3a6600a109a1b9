"""Series assembly on hand-made mails: one test per rule of analyze/series.py."""

from __future__ import annotations

import random
from dataclasses import replace

from patchdigest.analyze import Series, assemble
from patchdigest.models import Kind
from patchdigest.store import StoredMessage

from .factory import mail, series_of


def keys(series: list[Series]) -> list[tuple[str, int, int]]:
    return [(s.subject, s.received, s.total) for s in series]


def test_threaded_series_with_cover() -> None:
    mails = series_of(3, "KVM: arm64: Rate-limit warnings", version="v2")
    [s] = assemble(mails)
    assert s.title == "KVM: arm64: Rate-limit warnings"
    assert s.subject == "[PATCH v2 0/3] KVM: arm64: Rate-limit warnings"
    assert (s.version, s.version_text, s.total, s.received, s.complete) == (2, "v2", 3, 3, True)
    assert s.cover is mails[0]
    assert [p.message.subject.counter for p in s.patches] == [1, 2, 3]
    assert s.msgids == tuple(m.message.original_msgid for m in mails)
    assert (s.files, s.insertions, s.deletions) == (3, 9, 3)
    assert s.in_reply_to is None and not s.resent and not s.is_resend


def test_out_of_order_arrival_in_any_order() -> None:
    mails = series_of(5, "KVM: x86: Things")
    for attempt in range(20):
        shuffled = list(mails)
        random.Random(attempt).shuffle(shuffled)
        # archive order is the seq: renumber so that patches may come before their cover
        arrived = [StoredMessage(i, replace(m.prov, seq=i), m.message) for i, m in enumerate(shuffled)]
        [s] = assemble(arrived)
        assert s.cover is not None and s.cover.message.subject.counter == 0
        assert [p.message.subject.counter for p in s.patches] == [1, 2, 3, 4, 5]


def test_missing_cover_letter_groups_by_the_absent_parent() -> None:
    # The cover was never archived: 1/3..3/3 reply to a Message-ID nobody has, hours apart.
    patches = [
        mail(i, f"[PATCH {i}/3] KVM: x86: part {i}", irt="<gone@example.org>", minutes=i * 300) for i in (1, 2, 3)
    ]
    [s] = assemble(patches)
    assert s.cover is None
    assert s.title == "KVM: x86: part 1"  # no cover letter: the first patch's title
    assert (s.received, s.total, s.complete) == (3, 3, True)
    assert s.in_reply_to == "<gone@example.org>" and s.in_reply_to_series is None


def test_unthreaded_send_same_sender_within_window() -> None:
    a = mail(1, "[PATCH 1/2] KVM: x86: Trace MSR accesses", minutes=0)
    b = mail(2, "[PATCH 2/2] KVM: Documentation: Mention it", minutes=1)
    [s] = assemble([a, b])
    assert s.received == 2 and s.title == "KVM: x86: Trace MSR accesses"


def test_unthreaded_sends_by_others_or_hours_apart_stay_apart() -> None:
    a = mail(1, "[PATCH 1/2] KVM: x86: One", minutes=0)
    other = mail(2, "[PATCH 2/2] KVM: x86: Two", sender="Someone Else <else@example.org>", minutes=1)
    late = mail(3, "[PATCH 2/2] KVM: x86: Three", minutes=600)
    assert keys(assemble([a, other, late])) == [
        ("[PATCH 1/2] KVM: x86: One", 1, 2),
        ("[PATCH 2/2] KVM: x86: Two", 1, 2),
        ("[PATCH 2/2] KVM: x86: Three", 1, 2),
    ]


def test_series_sent_twice_is_one_series_with_the_resend_noted() -> None:
    # The 2021-03-10 WXN series: a lone cover letter, then the whole series a minute later.
    lone = mail(1, "[PATCH 0/4] KVM: arm64: Running the EL2 nVHE code with WXN", msgid="<first-0@x>")
    again = series_of(4, "KVM: arm64: Running the EL2 nVHE code with WXN", first_seq=2, minutes=1, prefix="again")
    [s] = assemble([lone, *again])
    assert s.cover is again[0] and s.resent == (lone,)
    assert s.is_resend and (s.received, s.total) == (4, 4)
    assert s.msgids[-1] == "<first-0@x>"


def test_resend_tag_of_the_same_patch_is_merged_but_backports_are_not() -> None:
    first = mail(1, "[PATCH v4 1/1] vfio/pci: Reject zero-length mmap", minutes=0)
    resend = mail(2, "[PATCH RESEND v4 1/1] vfio/pci: Reject zero-length mmap", minutes=24 * 60)
    five_four = mail(3, "[PATCH][stable-5.4] KVM: arm64: Fix IPA limit", minutes=1)
    five_ten = mail(4, "[PATCH][stable-5.10] KVM: arm64: Fix IPA limit", minutes=2)
    series = assemble([first, resend, five_four, five_ten])
    assert [len(s.messages) for s in series] == [2, 1, 1]
    assert series[0].resent == (resend,)


def test_partial_series_shows_what_is_missing() -> None:
    mails = [
        m for m in series_of(4, "kvmtool: PMU by default", tag="PATCH kvmtool") if m.message.subject.counter in (2, 4)
    ]
    [s] = assemble(mails)
    assert s.project == "kvmtool"
    assert (s.received, s.total, s.complete, s.missing) == (2, 4, False, (1, 3))
    assert s.title == "kvmtool: PMU by default: part 2"


def test_new_version_of_one_patch_in_reply_to_the_old_is_its_own_series() -> None:
    v1 = series_of(5, "KVM: arm64: Things", prefix="v1")
    v2_3 = mail(10, "[PATCH v2 3/5] KVM: arm64: Things: part 3", irt="<v1-3@example.org>",
                refs=("<v1-0@example.org>", "<v1-3@example.org>"), minutes=3000)  # fmt: skip
    series = assemble([*v1, v2_3])
    assert len(series) == 2
    old, new = series
    assert (old.received, old.total) == (5, 5)
    assert new.patches == (v2_3,) and (new.version, new.received, new.total) == (2, 1, 5)
    assert new.in_reply_to == "<v1-3@example.org>"
    assert new.in_reply_to_series == old.key == "<v1-0@example.org>"


def test_v2_point_one_of_one_patch_in_reply_to_v2_is_its_own_series() -> None:
    # "[PATCH v2.1 3/5]" sent in reply to v2's 3/5: same major version, position taken.
    v2 = series_of(5, "KVM: arm64: Things", version="v2")
    fix = mail(20, "[PATCH v2.1 3/5] KVM: arm64: Things: part 3", irt="<s-3@example.org>", minutes=90)
    old, new = assemble([*v2, fix])
    assert len(old.patches) == 5 and new.patches == (fix,)
    assert new.version_text == "v2.1" and new.in_reply_to_series == old.key


def test_partial_reroll_of_two_patches_is_one_series() -> None:
    v1 = series_of(5, "KVM: arm64: Things", prefix="v1")
    p2 = mail(10, "[PATCH v2 2/5] KVM: arm64: Things: part 2", irt="<v1-2@example.org>", minutes=3000)
    p4 = mail(11, "[PATCH v2 4/5] KVM: arm64: Things: part 4", irt="<v1-4@example.org>", minutes=3001)
    old, new = assemble([*v1, p2, p4])
    assert new.patches == (p2, p4) and new.missing == (1, 3, 5)
    assert new.in_reply_to_series == old.key


def test_single_patches_and_their_unnumbered_fixups() -> None:
    single = mail(1, "[PATCH] KVM: x86: Fix an off-by-one")
    fixup = mail(2, "[PATCH] KVM: x86: Fix the build after the off-by-one fix", irt="<m1@example.org>",
                 sender="Bot <bot@example.org>", minutes=30)  # fmt: skip
    first, second = assemble([single, fixup])
    assert (first.total, first.received, first.title) == (1, 1, "KVM: x86: Fix an off-by-one")
    assert second.patches == (fixup,) and second.in_reply_to_series == first.key


def test_unnumbered_patch_in_reply_to_a_series_is_not_one_of_its_patches() -> None:
    mails = series_of(6, "KVM: arm64: PSCI SYSTEM_SUSPEND")
    doc = mail(20, "[PATCH] Documentation: kvm: Document SYSTEM_SUSPEND", irt="<s-0@example.org>", minutes=60)
    main, extra = assemble([*mails, doc])
    assert (main.received, main.total) == (6, 6) and extra.patches == (doc,)


def test_forgotten_revision_is_taken_from_the_cover_letter() -> None:
    cover = mail(1, "[PATCH v2 0/2] KVM: x86: Things", msgid="<c@x>")
    p1 = mail(2, "[PATCH 1/2] KVM: x86: one", irt="<c@x>", minutes=0.1)  # b4 "fixed revision to v2"
    p2 = mail(3, "[PATCH v2 2/2] KVM: x86: two", irt="<c@x>", minutes=0.2)
    [s] = assemble([cover, p1, p2])
    assert (s.version, s.received) == (2, 2)
    # and the other way round: the cover forgot it, the patches carry it
    cover1 = mail(4, "[PATCH 00/02] arm64: KVM: SPE support", msgid="<d@x>")
    q1 = mail(5, "[PATCH v2 01/02] arm64: KVM: one", irt="<d@x>", minutes=0.1)
    q2 = mail(6, "[PATCH v2 02/02] arm64: KVM: two", irt="<d@x>", minutes=0.2)
    [t] = assemble([cover1, q1, q2])
    assert (t.version, t.version_text, t.cover, t.received) == (2, "v2", cover1, 2)


def test_v2_patches_sent_days_later_in_reply_to_v1_cover_are_not_v1() -> None:
    cover = mail(1, "[PATCH 0/2] KVM: x86: Things", msgid="<c@x>")
    v2 = mail(2, "[PATCH v2 1/2] KVM: x86: one", irt="<c@x>", minutes=4 * 24 * 60)
    first, second = assemble([cover, v2])
    assert first.patches == () and second.patches == (v2,) and second.version == 2


def test_cover_letter_that_miscounts_its_patches() -> None:
    # "[RFC PATCH v4 0/6] Enable ptp_kvm for arm64" followed by 1/5..5/5: b4 sees one series.
    cover = mail(1, "[RFC PATCH v4 0/6] Enable ptp_kvm for arm64", msgid="<c@x>")
    patches = [mail(1 + i, f"[RFC PATCH v4 {i}/5] ptp: part {i}", irt="<c@x>", minutes=i / 60) for i in range(1, 6)]
    [s] = assemble([cover, *patches])
    assert s.cover is cover and (s.received, s.total, s.complete) == (5, 5, True)
    assert s.is_rfc and s.title == "Enable ptp_kvm for arm64"


def test_pull_request_with_its_patches_in_reply() -> None:
    pull = mail(1, "[GIT PULL] KVM/arm updates for 5.2", msgid="<pull@x>", sender="Marc <maz@kernel.org>")
    patches = [
        mail(
            1 + i,
            f"[PATCH {i:02d}/3] KVM: arm64: change {i}",
            irt="<pull@x>",
            sender="Marc <maz@kernel.org>",
            author=f"Dev{i} <dev{i}@example.org>",
            minutes=i / 60,
        )  # fmt: skip
        for i in (1, 2, 3)
    ]
    [s] = assemble([pull, *patches])
    assert s.is_pull and s.cover is pull and s.title == "KVM/arm updates for 5.2"
    assert (s.received, s.total) == (3, 3)
    assert s.author.email == "maz@kernel.org"


def test_lone_pull_request_and_replies_are_ignored() -> None:
    pull = mail(1, "[GIT PULL] KVM fixes", msgid="<pull@x>")
    reply = mail(2, "Re: [GIT PULL] KVM fixes", irt="<pull@x>")
    [s] = assemble([pull, reply])
    assert s.is_pull and s.patches == () and s.cover is pull and s.messages == (pull,)
    assert s.cover.message.kind is Kind.PULL


def test_references_loop_terminates() -> None:
    a = mail(1, "[PATCH 1/2] KVM: a", msgid="<a@x>", irt="<b@x>")
    b = mail(2, "[PATCH 2/2] KVM: b", msgid="<b@x>", irt="<a@x>")
    series = assemble([a, b])
    assert sorted(m.message.msgid for s in series for m in s.messages) == ["<a@x>", "<b@x>"]


def test_every_counted_mail_is_in_exactly_one_series() -> None:
    mails = [
        *series_of(3, "A", prefix="a"),
        *series_of(2, "B", prefix="b", first_seq=10, cover=False),
        mail(20, "[PATCH] C"),
        mail(21, "Re: [PATCH] C", irt="<m20@example.org>"),
        mail(22, "[PATCH 0/4] D", msgid="<d0@x>"),
        mail(23, "[PATCH 0/4] D", msgid="<d0bis@x>", minutes=1),
    ]
    series = assemble(mails)
    seen = [m.prov.seq for s in series for m in s.messages]
    counted = [m.prov.seq for m in mails if m.message.kind is not Kind.REPLY]
    assert sorted(seen) == sorted(counted)


def test_numbered_pull_series_is_one_series() -> None:
    # "[PULL kvm-unit-tests 00/39]" then 01/39..: each numbered pull carries one patch.
    mails = series_of(3, "arm/arm64: The old and new", tag="PULL kvm-unit-tests")
    assert {m.message.kind for m in mails} == {Kind.PULL}
    [s] = assemble(mails)
    assert s.is_pull and s.cover is mails[0] and (s.received, s.total) == (3, 3)
    assert s.project == "kvm-unit-tests"


def test_a_long_chain_arriving_backwards_does_not_recurse() -> None:
    # --chain-reply-to: n/N replies to (n-1)/N; archived newest first, 3000 deep.
    n = 3000
    mails = [
        mail(n - i, f"[PATCH {i}/{n}] KVM: part {i}", msgid=f"<c{i}@x>", irt=f"<c{i - 1}@x>" if i > 1 else None)
        for i in range(1, n + 1)
    ]
    [s] = assemble(mails)
    assert s.received == n and s.patches[0].message.msgid == "<c1@x>"
