"""Wires the stages: sources -> parse -> store (indexing, see :mod:`.indexing`) and
store -> analyze (digests).

No printing here: progress goes through an optional callback, problems through the
returned :class:`~patchdigest.models.IndexSummary`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .analyze import Digest, build_digest, count_replies
from .analyze import all_headers as headers_of_raw
from .analyze.series import COUNTED
from .indexing import IndexedArchive, Progress, archive_kind, index_archive, register
from .review import People, annotate, load_people
from .sources.blobs import read_heads
from .store import Store
from .windows import Selection

# The indexing half lives in .indexing (imported by the CLI's `index` without analyze);
# these names stay importable from here.
__all__ = ["IndexedArchive", "Progress", "archive_kind", "default_title", "index_archive", "make_digest", "register"]


def default_title(store: Store, indexed: IndexedArchive) -> str:
    """The list's name as the archive knows it: List-Id's first label ("kvm.vger.kernel.org"
    -> "KVM"), else the inbox name."""
    ids = store.list_ids(indexed.archive_id)
    if ids:
        return ids[0][0].split(".", 1)[0].upper()
    return indexed.archive.name.upper()


def make_digest(
    store: Store,
    indexed: IndexedArchive,
    selection: Selection,
    *,
    title: str | None = None,
    top: int = 15,
    base_url: str = "",
    all_headers: bool = False,
    reviews: bool = True,
    people: People | None = None,
    tree: Mapping[str, str] | None = None,
) -> Digest:
    """Digest of what the index holds for a selection (index first with index_archive).

    Reply counts come from the whole index (replies often arrive after the window);
    ``all_headers`` re-reads each email's header block from the archive. ``reviews``:
    status, revision links and A/R/T per series (``review.annotate``; ``people`` defaults
    to the shipped mailmap and bot list, ``tree`` maps patch ids of a git tree to commits).
    """
    messages = store.messages(
        indexed.archive_id,
        seq_range=selection.seq_range,
        date_range=selection.date_range,
        kinds=COUNTED,
    )
    digest = build_digest(
        messages,
        title=title or default_title(store, indexed),
        window=selection.window,
        top=top,
        base_url=base_url,
    )
    digest = digest.with_replies(count_replies(digest.series, lambda ids: store.reply_edges(indexed.archive_id, ids)))
    if reviews:
        people = people or load_people()
        digest = digest.with_reviews(annotate(store, indexed.archive_id, digest.series, people=people, tree=tree))
    if all_headers:
        heads = read_heads(indexed.archive, (sm.prov for sm in digest.emails))
        found = {sm.message.original_msgid: heads.get(sm.prov.seq) for sm in digest.emails}
        digest = digest.with_headers({mid: headers_of_raw(head) for mid, head in found.items() if head})
    return digest
