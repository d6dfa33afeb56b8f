-- The thread store: chats, each of one owner in one agency, and their items in order (one row
-- per entry, its JSON as text). Times are microseconds since the Unix epoch.
CREATE TABLE chats (
    id TEXT NOT NULL PRIMARY KEY,
    agency TEXT NOT NULL,
    owner TEXT NOT NULL,
    name TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- A principal's chats, most recently used first (the listing and its cursor).
CREATE INDEX chats_listing ON chats (agency, owner, updated_at, id);

-- The chats idle since before a time (expiry).
CREATE INDEX chats_updated_at ON chats (updated_at);

-- `seq` numbers a chat's items from 1; the primary key serves reading a chat in order and the
-- cascade of deleting it.
CREATE TABLE chat_items (
    chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (chat_id, seq)
) STRICT;
