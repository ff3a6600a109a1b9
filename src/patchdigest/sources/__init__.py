"""Sources yield RawMessage objects in archive order, with provenance.

Only this package and ``store`` do I/O. ``open_archive(path)`` returns a PublicInbox
(epochs of git history, resumable from a per-epoch commit cursor) or a Mailbox (re-read
from the start; rows are keyed by position so a reread replaces rather than duplicates).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import SourceError
from .gitepoch import GitEpoch
from .mailbox import Mailbox
from .publicinbox import PublicInbox, detect_layout

# A public-inbox cursor is (epoch number, commit id); ``GitEpoch.iter_messages(after=commit)``
# continues from it once ``is_ancestor(commit)`` confirms the history was not rewritten.
Archive = PublicInbox | Mailbox

__all__ = ["Archive", "GitEpoch", "Mailbox", "PublicInbox", "open_archive"]


def open_archive(path: str | Path) -> Archive:
    """Open ``path`` as whatever archive it is.

    A directory with ``git/<N>.git`` is a v2 inbox; a bare repository is one v2 epoch if
    its tip tree holds ``m`` or ``d``, else a v1 inbox; a directory with ``cur/`` or
    ``new/`` is a Maildir; a regular file is an mbox (gzip detected by its magic bytes).
    """
    source = str(path)
    where = Path(path)
    if detect_layout(where) is not None:
        return PublicInbox(where, source=source)
    if where.is_dir() and ((where / "cur").is_dir() or (where / "new").is_dir()):
        return Mailbox(where, source=source)
    if where.is_file():
        return Mailbox(where, source=source)
    raise SourceError("not a public-inbox, mbox or Maildir archive", where=source)
