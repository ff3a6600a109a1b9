"""What the index keeps of a message body."""

from __future__ import annotations

from pathlib import Path

from patchdigest.models import Kind
from patchdigest.pipeline import index_archive, register
from patchdigest.store import Store


def test_replies_are_stored_without_their_quoted_lines(sample_inbox: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "i.sqlite") as store:
        indexed = register(store, sample_inbox)
        index_archive(store, indexed)
        replies = [m for m in store.messages(indexed.archive_id) if m.message.kind is Kind.REPLY]
        patches = [m for m in store.messages(indexed.archive_id) if m.message.kind is Kind.PATCH]
    assert replies and patches
    for sm in replies:
        assert not any(line.lstrip().startswith(">") for line in sm.message.commit_message.split("\n"))
    # The reply on the v2 cover letter keeps its own words and its trailer.
    review = next(sm for sm in replies if sm.message.subject.title.endswith("system register warnings")
                  and any(t.key == "Reviewed-by" for t in sm.message.trailers))
    assert "Reviewed-by:" in review.message.commit_message
    # Patches keep their commit message whole, quoting included (a "> " line is rare but real).
    assert all(sm.message.commit_message for sm in patches)
