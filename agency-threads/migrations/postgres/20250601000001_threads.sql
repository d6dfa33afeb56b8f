-- The thread store: chats, each of one owner in one agency, and their items in order (one row
-- per entry, its JSON as text, kept byte for byte). Times are microseconds since the Unix epoch.
-- Keys compare byte-wise (COLLATE "C"), as the other stores order ids, whatever the database's
-- locale.
CREATE TABLE chats (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    agency TEXT COLLATE "C" NOT NULL,
    owner TEXT COLLATE "C" NOT NULL,
    name TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A principal's chats, most recently used first (the listing and its cursor).
CREATE INDEX chats_listing ON chats (agency, owner, updated_at, id);

-- The chats idle since before a time (expiry).
CREATE INDEX chats_updated_at ON chats (updated_at);

-- `seq` numbers a chat's items from 1; the primary key serves reading a chat in order and the
-- cascade of deleting it.
CREATE TABLE chat_items (
    chat_id TEXT COLLATE "C" NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (chat_id, seq)
);
