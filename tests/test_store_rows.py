"""What the index keeps of a message body."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patchdigest.models import Kind, Provenance
from patchdigest.parse import parse_message
from patchdigest.pipeline import index_archive, register
from patchdigest.store import Store
from patchdigest.store.rows import _json, _json_pairs, row_of


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
    review = next(
        sm
        for sm in replies
        if sm.message.subject.title.endswith("system register warnings")
        and any(t.key == "Reviewed-by" for t in sm.message.trailers)
    )
    assert "Reviewed-by:" in review.message.commit_message
    # Patches keep their commit message whole, quoting included (a "> " line is rare but real).
    assert all(sm.message.commit_message for sm in patches)


@settings(max_examples=300)
@given(st.lists(st.text()), st.lists(st.tuples(st.text(), st.text())))
def test_row_json_is_what_json_dumps_writes(items: list[str], pairs: list[tuple[str, str]]) -> None:
    """The rows' lists are written without json.dumps (for speed): the text must be the
    same, so that an index written before and after reads alike."""
    assert _json(items) == json.dumps(items)
    assert _json_pairs(pairs) == json.dumps([list(p) for p in pairs])
    assert json.loads(_json_pairs(pairs)) == [list(p) for p in pairs]


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(["> quoted", "  >> deeper", "\t> tab", "own words", "", "a > b", " ", ">"])),
    st.sampled_from(["Re: x", "x"]),
)
def test_a_reply_body_is_stored_without_exactly_its_quoted_lines(lines: list[str], subject: str) -> None:
    """With "Re:" or without (a reply known by In-Reply-To only), the body kept is the
    reply's own lines: every quoted line goes, nothing else does."""
    mail = f"From: a@example.org\nSubject: {subject}\nIn-Reply-To: <p@x>\n\n" + "\n".join(lines) + "\n"
    reply = parse_message(mail.encode())
    assert reply.kind is Kind.REPLY
    kept = "\n".join(line for line in lines if not line.lstrip(" \t").startswith(">"))
    assert reply.commit_message == kept.strip("\n").rstrip()
    assert row_of(1, Provenance("", 0), reply)[30] == reply.commit_message  # the stored body


def test_a_new_index_has_16k_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """Commit messages fit 16 KiB pages rather than spilling into overflow pages; an
    existing index (4 KiB pages, SQLite's default) opens and works as it is."""
    import sqlite3

    with Store(tmp_path / "new.sqlite") as store:
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == 16384
    old = tmp_path / "old.sqlite"
    con = sqlite3.connect(old)
    con.execute("PRAGMA page_size=4096")
    con.execute("CREATE TABLE unrelated (x)")  # the file exists with its page size fixed
    con.commit()
    con.close()
    with Store(old) as store:
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == 4096
        assert store.is_empty()


def test_a_bulk_load_relaxes_syncs_and_key_checks_only_while_rows_go_in(tmp_path: Path) -> None:
    """During a first load commits do not fsync and archive ids are not looked up; the
    index build at its end, and everything after, runs with both back on. Also when the
    load fails."""

    def pragmas(store: Store) -> tuple[int, int, str]:
        db = store.db
        return (
            db.execute("PRAGMA synchronous").fetchone()[0],
            db.execute("PRAGMA foreign_keys").fetchone()[0],
            db.execute("PRAGMA journal_mode").fetchone()[0],
        )

    normal = (1, 1, "wal")
    with Store(tmp_path / "i.sqlite") as store:
        assert pragmas(store) == normal
        with store.bulk_load():
            assert pragmas(store) == (0, 0, "truncate")
            # Ended early (the indexer does, once its source is read): checks back on
            # and the indexes built, while the rest of the load goes in.
            store.end_bulk()
            assert pragmas(store)[:2] == (1, 1)
            indexes = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
            assert {"messages_by_blob", "messages_by_date", "messages_by_orig", "messages_by_parent"} <= indexes
        assert pragmas(store) == normal
        with pytest.raises(RuntimeError), store.bulk_load():
            raise RuntimeError("the load failed")
        assert pragmas(store) == normal
        # The key check is really back: a row of an unknown archive is refused.
        aid = store.archive_id("/a", "a", "mbox")
        row = list(row_of(aid, Provenance("", 0), parse_message(b"From: a@example.org\nSubject: x\n\nhi\n")))
        row[0] = aid + 1
        with pytest.raises(sqlite3.IntegrityError):
            store.write_rows(aid, [tuple(row)], [], [], [])
