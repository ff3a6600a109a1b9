"""The real kvmarm epoch: every message, in order, through one pair of git processes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patchdigest.sources import PublicInbox, open_archive

from .conftest import KVMARM_MESSAGES

pytestmark = pytest.mark.realarchive

# An RFC 5322 header line: a field name, a colon (public-inbox keeps the mail as received,
# so the first line may be "Return-Path:", "Received:", "From:", ...).
HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def test_every_message_in_order(kvmarm_epoch: Path) -> None:
    archive = open_archive(kvmarm_epoch)
    assert isinstance(archive, PublicInbox)
    assert (archive.name, archive.version) == ("kvmarm", 2)
    [epoch] = archive.epochs()
    tip = epoch.tip()
    assert tip is not None and epoch.count(tip) == KVMARM_MESSAGES
    count, last_seq, last_commit = 0, -1, None
    for raw in epoch.iter_messages():
        assert raw.prov.seq > last_seq
        assert raw.data and HEADER_LINE.match(raw.data), raw.prov.describe()
        assert not raw.deleted and raw.commit_time is not None
        last_seq, last_commit = raw.prov.seq, raw.prov.commit
        count += 1
    assert count == KVMARM_MESSAGES
    assert last_seq == KVMARM_MESSAGES - 1 and last_commit == tip


def test_resume_near_the_tip(kvmarm_epoch: Path) -> None:
    [epoch] = PublicInbox(kvmarm_epoch).epochs()
    ids = epoch.commit_ids()
    assert len(ids) == KVMARM_MESSAGES
    after = ids[-4]
    assert epoch.resolve(after[:12]) == after
    raws = list(epoch.iter_messages(after=after))
    assert [r.prov.commit for r in raws] == ids[-3:]
    assert [r.prov.seq for r in raws] == [KVMARM_MESSAGES - 3, KVMARM_MESSAGES - 2, KVMARM_MESSAGES - 1]
