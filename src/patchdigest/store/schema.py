"""Numbered schema migrations, tracked with ``PRAGMA user_version``.

Append a new entry to MIGRATIONS for every change; never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: archives, per-epoch cursors, messages, failures, report cursors
    """
    CREATE TABLE archives (
        id        INTEGER PRIMARY KEY,
        location  TEXT NOT NULL UNIQUE,   -- resolved path or URL
        name      TEXT NOT NULL,          -- inbox name ("kvmarm")
        kind      TEXT NOT NULL           -- "public-inbox-v2", "public-inbox-v1", "mbox", "maildir"
    );
    -- The last commit indexed per epoch, written in the same transaction as its rows.
    CREATE TABLE cursors (
        archive_id  INTEGER NOT NULL REFERENCES archives(id),
        epoch       INTEGER NOT NULL,
        ordinal     INTEGER NOT NULL,     -- ordinal of last_commit (0 = root)
        last_commit TEXT NOT NULL,
        PRIMARY KEY (archive_id, epoch)
    ) WITHOUT ROWID;
    CREATE TABLE messages (
        id            INTEGER PRIMARY KEY,
        archive_id    INTEGER NOT NULL REFERENCES archives(id),
        seq           INTEGER NOT NULL,   -- archive order (epoch << 32 | ordinal)
        epoch         INTEGER,
        commit_id     TEXT,
        blob          TEXT,
        path          TEXT,
        offset        INTEGER,
        msgid         TEXT NOT NULL,      -- last Message-ID header: unique in a public-inbox
        orig_msgid    TEXT NOT NULL,      -- first Message-ID header: what replies refer to
        msgids        TEXT NOT NULL,      -- all, space separated
        in_reply_to   TEXT,
        refs          TEXT NOT NULL,      -- space separated
        date          INTEGER NOT NULL,   -- unix time (UTC)
        tz_offset     INTEGER NOT NULL,   -- seconds east of UTC as written
        date_ok       INTEGER NOT NULL,
        sender_name   TEXT NOT NULL,
        sender_email  TEXT NOT NULL,
        author_name   TEXT NOT NULL,
        author_email  TEXT NOT NULL,
        subject       TEXT NOT NULL,
        reply_prefix  TEXT NOT NULL,
        tags          TEXT NOT NULL,      -- JSON list
        title         TEXT NOT NULL,
        flags         INTEGER NOT NULL,   -- 1 patch, 2 rfc, 4 resend, 8 pull
        version       INTEGER NOT NULL,
        version_text  TEXT NOT NULL,
        counter       INTEGER,
        total         INTEGER,
        project       TEXT NOT NULL,
        kind          TEXT NOT NULL,
        commit_message TEXT NOT NULL,
        has_separator INTEGER NOT NULL,
        notes         TEXT NOT NULL,
        diffstat      TEXT NOT NULL,
        files         TEXT NOT NULL,      -- JSON list
        insertions    INTEGER NOT NULL,
        deletions     INTEGER NOT NULL,
        has_diff      INTEGER NOT NULL,
        trailers      TEXT NOT NULL,      -- JSON list of [key, value]
        to_addrs      TEXT NOT NULL,
        cc_addrs      TEXT NOT NULL,
        list_id       TEXT NOT NULL,
        body_problem  TEXT NOT NULL,
        patch_id      TEXT NOT NULL,
        deleted_seq   INTEGER,            -- seq of the `d` commit that removed it; NULL = live
        UNIQUE (archive_id, seq)
    );
    CREATE INDEX messages_by_date ON messages(archive_id, date);
    CREATE INDEX messages_by_orig ON messages(archive_id, orig_msgid, seq);
    CREATE INDEX messages_by_parent ON messages(archive_id, in_reply_to);
    CREATE INDEX messages_by_blob ON messages(archive_id, blob);
    CREATE INDEX messages_by_commit ON messages(commit_id);
    -- A message that could not be parsed: recorded with the reason, never skipped silently.
    CREATE TABLE failures (
        id          INTEGER PRIMARY KEY,
        archive_id  INTEGER NOT NULL REFERENCES archives(id),
        seq         INTEGER NOT NULL,
        epoch       INTEGER,
        commit_id   TEXT,
        blob        TEXT,
        path        TEXT,
        offset      INTEGER,
        msgid       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        UNIQUE (archive_id, seq)
    );
    -- Where the previous `report --since-last` of an archive stopped.
    CREATE TABLE report_cursors (
        archive_id  INTEGER NOT NULL REFERENCES archives(id),
        name        TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        PRIMARY KEY (archive_id, name)
    ) WITHOUT ROWID;
    """,
    # 2: messages_by_commit goes: nothing looks a row up by commit (fork points are found
    # by seq), and a random 40-character key costs 10% of a full index's insert time.
    """
    DROP INDEX IF EXISTS messages_by_commit;
    """,
    # 3: a log of deletions (public-inbox `d` commits), so that they can be applied again
    # to rows that a history rewrite of an older epoch drops and indexes again (public-inbox
    # writes every deletion into the newest epoch, whichever epoch holds the message).
    """
    CREATE TABLE deletions (
        archive_id  INTEGER NOT NULL REFERENCES archives(id),
        seq         INTEGER NOT NULL,     -- of the `d` commit
        commit_id   TEXT,
        blob        TEXT NOT NULL,        -- the deleted message's blob
        PRIMARY KEY (archive_id, seq)
    ) WITHOUT ROWID;
    CREATE INDEX deletions_by_blob ON deletions(archive_id, blob);
    """,
    # 4: patch ids no longer hash git format-patch's "-- " signature line (a diff mailed
    # and the same diff from git log now share an id). Stored ids cannot be recomputed
    # without the mails: the index is emptied (cursors included), and the next run
    # indexes every archive again. Report cursors stay: a seq depends only on the archive.
    """
    DELETE FROM messages;
    DELETE FROM failures;
    DELETE FROM deletions;
    DELETE FROM cursors;
    """,
]

# Indexes dropped while an empty database takes its first large load and built once at
# its end (Store.bulk_load): building an index from sorted keys costs a fraction of
# inserting 10^5 random keys one by one (measured on the first kvmarm index: the three
# report indexes cost a third of the insert time, messages_by_blob, a random 40-character
# key, as much as all the other inserting together). Store() recreates any that an
# interrupted load left missing. During a load, deletions are only logged (the
# ``deletions`` table) and applied from the log once messages_by_blob is back.
DEFERRABLE_INDEXES = {
    "messages_by_date": "CREATE INDEX messages_by_date ON messages(archive_id, date)",
    "messages_by_orig": "CREATE INDEX messages_by_orig ON messages(archive_id, orig_msgid, seq)",
    "messages_by_parent": "CREATE INDEX messages_by_parent ON messages(archive_id, in_reply_to)",
    "messages_by_blob": "CREATE INDEX messages_by_blob ON messages(archive_id, blob)",
}
