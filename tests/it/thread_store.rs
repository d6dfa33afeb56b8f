//! The thread stores of agency-threads: one conformance suite, run against memory, SQLite and
//! Postgres (started by `tests/services.sh`), and `open`'s URLs.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agency::item::{Entry, Message, Meta};
use agency::thread::{ChatKey, ChatSummary, Cursor, PageQuery, StoreError, ThreadStore};
use agency_threads::{OpenError, SqliteThreadStore};

/// Where `tests/services.sh` puts the Postgres it starts.
const POSTGRES_URL_VAR: &str = "AGENCY_TEST_POSTGRES_URL";

fn unique(what: &str) -> String {
    format!("{what}-{}", uuid::Uuid::new_v4().simple())
}

fn entry(text: &str) -> Entry {
    Entry::new(Message::user(text), Meta::new_run("Assistant", None, None))
}

fn entries(texts: &[&str]) -> Vec<Entry> {
    texts.iter().map(|t| entry(t)).collect()
}

async fn summary(store: &dyn ThreadStore, key: &ChatKey) -> ChatSummary {
    match store.summary(key).await {
        Ok(Some(summary)) => summary,
        other => panic!("summary of {key:?}: {other:?}"),
    }
}

async fn items(store: &dyn ThreadStore, key: &ChatKey) -> Vec<Entry> {
    match store.items(key).await {
        Ok(Some(items)) => items,
        other => panic!("items of {key:?}: {other:?}"),
    }
}

/// Lets the store's clock move on, so that two chats are not used in the same microsecond.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

/// What every [`ThreadStore`] must do, as `InMemoryThreadStore` does it. Its chats are in an
/// agency of its own, so that suites sharing a database do not see each other's chats.
async fn suite(shared: Arc<dyn ThreadStore>) {
    let store = &*shared;
    let agency = unique("agency");
    let key = ChatKey::new(&agency, "alice", unique("chat"));

    // create, and Exists for a taken id, whoever asks.
    store.create(&key).await.unwrap();
    for taken in [
        key.clone(),
        ChatKey::new(&agency, "bob", &key.id),
        ChatKey::new(unique("agency"), "alice", &key.id),
    ] {
        let again = store.create(&taken).await;
        assert!(
            matches!(again, Err(StoreError::Exists(ref id)) if *id == key.id),
            "{again:?}"
        );
    }
    let created = summary(store, &key).await;
    assert_eq!(created.id, key.id);
    assert_eq!(created.name, None);
    assert_eq!(created.created_at, created.updated_at);
    assert!(items(store, &key).await.is_empty());

    // Items in order across appends; each append marks the chat as used, never back in time.
    let all = entries(&["one", "two", "three", "four", "five"]);
    let mut last_used = created.updated_at;
    for block in [&all[..2], &all[2..3], &all[3..]] {
        tick().await;
        store.append(&key, block).await.unwrap();
        let now = summary(store, &key).await;
        assert!(now.updated_at > last_used, "{now:?} after {last_used}");
        assert_eq!(now.created_at, created.created_at);
        last_used = now.updated_at;
    }
    assert_eq!(
        items(store, &key).await,
        all,
        "the entries, in order, as they were"
    );
    store.append(&key, &[]).await.unwrap();
    assert_eq!(items(store, &key).await.len(), 5);

    // rename.
    store.rename(&key, "Shopping list").await.unwrap();
    let renamed = summary(store, &key).await;
    assert_eq!(renamed.name.as_deref(), Some("Shopping list"));
    assert!(renamed.updated_at >= last_used);

    // Listing: newest first, page after page through the cursors.
    let pager = ChatKey::new(&agency, unique("pager"), "");
    let mut chats = Vec::new();
    for _ in 0..8 {
        let chat = ChatKey::new(&agency, &pager.owner, unique("chat"));
        store.create(&chat).await.unwrap();
        chats.push(chat);
    }
    tick().await;
    store.append(&chats[0], &entries(&["bump"])).await.unwrap();
    let mut expected = Vec::new();
    for chat in &chats {
        expected.push(summary(store, chat).await);
    }
    expected.sort_by(|a, b| (b.updated_at, &b.id).cmp(&(a.updated_at, &a.id)));
    assert_eq!(
        expected[0].id, chats[0].id,
        "the chat used last comes first"
    );
    let mut listed = Vec::new();
    let mut query = PageQuery {
        limit: 3,
        after: None,
    };
    let mut pages = 0;
    loop {
        let page = store.list(&agency, &pager.owner, &query).await.unwrap();
        pages += 1;
        assert!(page.chats.len() <= 3, "{page:?}");
        if let Some(after) = &query.after {
            assert!(page.chats.iter().all(|c| after.precedes(c)), "{page:?}");
        }
        listed.extend(page.chats.iter().cloned());
        match page.next {
            Some(next) => {
                assert_eq!(Some(&next), page.chats.last().map(Cursor::after).as_ref());
                query.after = Some(next);
            }
            None => break,
        }
        assert!(pages < 10, "the pages never end");
    }
    assert_eq!(pages, 3, "8 chats, 3 a page");
    let distinct: HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(distinct.len(), 8, "no chat twice, none missing: {listed:?}");
    assert_eq!(listed, expected, "newest first");
    let everything = store
        .list(&agency, &pager.owner, &PageQuery::default())
        .await
        .unwrap();
    assert_eq!(everything.chats, expected);
    assert_eq!(everything.next, None);

    // Another owner, or the same owner in another agency, does not find the chat.
    let outsiders = [
        ChatKey::new(&agency, "mallory", &key.id),
        ChatKey::new(unique("agency"), "alice", &key.id),
    ];
    for other in &outsiders {
        assert_eq!(store.summary(other).await.unwrap(), None, "{other:?}");
        assert_eq!(store.items(other).await.unwrap(), None, "{other:?}");
        let append = store.append(other, &entries(&["intruder"])).await;
        assert!(matches!(append, Err(StoreError::NotFound(_))), "{append:?}");
        let rename = store.rename(other, "Mine now").await;
        assert!(matches!(rename, Err(StoreError::NotFound(_))), "{rename:?}");
        assert!(!store.delete(other).await.unwrap(), "{other:?}");
        let page = store
            .list(&other.agency, &other.owner, &PageQuery::default())
            .await
            .unwrap();
        assert!(page.chats.is_empty(), "{page:?}");
    }
    assert_eq!(items(store, &key).await, all, "untouched by the others");
    assert_eq!(
        summary(store, &key).await.name.as_deref(),
        Some("Shopping list")
    );
    let alices = store
        .list(&agency, "alice", &PageQuery::default())
        .await
        .unwrap();
    let ids: Vec<&str> = alices.chats.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [key.id.as_str()]);

    // A missing chat.
    let missing = ChatKey::new(&agency, "alice", unique("missing"));
    assert_eq!(store.items(&missing).await.unwrap(), None);
    let append = store.append(&missing, &entries(&["x"])).await;
    assert!(matches!(append, Err(StoreError::NotFound(_))), "{append:?}");

    // 50 appends at once to one chat: none lost, each block kept together.
    let busy = ChatKey::new(&agency, "alice", unique("busy"));
    store.create(&busy).await.unwrap();
    let blocks: Vec<Vec<Entry>> = (0..50)
        .map(|i| entries(&[&format!("block {i} first"), &format!("block {i} second")]))
        .collect();
    let appends = blocks.iter().map(|block| {
        let (store, busy, block) = (shared.clone(), busy.clone(), block.clone());
        tokio::spawn(async move { store.append(&busy, &block).await })
    });
    for result in futures::future::join_all(appends).await {
        result.unwrap().unwrap();
    }
    let stored = items(store, &busy).await;
    assert_eq!(stored.len(), 100);
    for block in &blocks {
        let at = stored.iter().position(|e| *e == block[0]).unwrap();
        assert_eq!(stored[at + 1], block[1], "a block split");
    }

    // delete takes the items along: the id, taken again, names an empty chat.
    assert!(store.delete(&key).await.unwrap());
    assert_eq!(store.summary(&key).await.unwrap(), None);
    assert_eq!(store.items(&key).await.unwrap(), None);
    assert!(!store.delete(&key).await.unwrap());
    let rename = store.rename(&key, "Gone").await;
    assert!(matches!(rename, Err(StoreError::NotFound(_))), "{rename:?}");
    store.create(&key).await.unwrap();
    assert!(
        items(store, &key).await.is_empty(),
        "the old items are gone"
    );
    assert_eq!(summary(store, &key).await.name, None);

    // expire removes the chats used before a time, and only those. (It is global: only this
    // suite, one test, uses the Postgres database.)
    tick().await;
    let fresh = ChatKey::new(&agency, "alice", unique("fresh"));
    store.create(&fresh).await.unwrap();
    let hi = entries(&["hi"]);
    store.append(&fresh, &hi).await.unwrap();
    let cutoff = summary(store, &fresh).await.updated_at;
    let expired = store.expire(cutoff).await.unwrap();
    assert!(
        expired >= 10,
        "the suite's 10 older chats, at least: {expired}"
    );
    for old in [&key, &busy, &chats[0], &chats[7]] {
        assert_eq!(store.summary(old).await.unwrap(), None, "{old:?} expired");
    }
    assert_eq!(
        items(store, &fresh).await,
        hi,
        "the chat used since is kept"
    );
    assert_eq!(store.expire(cutoff).await.unwrap(), 0);
    assert!(store.delete(&fresh).await.unwrap());
}

/// Removes a SQLite database and its WAL files when dropped, whatever the test did.
pub(crate) struct TempDb(PathBuf);

impl TempDb {
    pub(crate) fn new() -> Self {
        TempDb(std::env::temp_dir().join(format!("{}.db", unique("agency-threads-test"))))
    }

    pub(crate) fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_conforms() {
    suite(agency_threads::open("memory").await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_conforms() {
    let db = TempDb::new();
    let store = agency_threads::open(&db.url()).await.unwrap();
    assert!(db.0.exists(), "the file is created on first use");
    suite(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_conforms() {
    suite(agency_threads::open(&postgres_url()).await.unwrap()).await;
}

/// The test Postgres that `tests/services.sh` starts.
pub(crate) fn postgres_url() -> String {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        panic!(
            "{POSTGRES_URL_VAR} is not set: run the tests through tests/services.sh, which \
             starts a throwaway Postgres and sets it (`tests/services.sh cargo test --workspace`)"
        );
    };
    url
}

#[tokio::test]
async fn sqlite_keeps_chats_across_reopening() {
    let db = TempDb::new();
    let key = ChatKey::new(unique("agency"), "alice", unique("chat"));
    let said = entries(&["remember me", "I will"]);
    let store = SqliteThreadStore::connect(&db.url()).await.unwrap();
    store.create(&key).await.unwrap();
    store.append(&key, &said).await.unwrap();
    store.rename(&key, "Memories").await.unwrap();
    let before = summary(&store, &key).await;
    store.close().await;
    drop(store);

    for _ in 0..2 {
        // The tables are there: opening again applies no migration twice.
        let store = agency_threads::open(&db.url()).await.unwrap();
        assert_eq!(summary(&*store, &key).await, before);
        assert_eq!(items(&*store, &key).await, said);
    }
    let by_path = SqliteThreadStore::open_path(&db.0).await.unwrap();
    assert_eq!(items(&by_path, &key).await, said);
}

#[tokio::test]
async fn memory_store_keeps_max_chats() {
    let store = agency_threads::open("memory?max_chats=2").await.unwrap();
    let chats: Vec<ChatKey> = (0..3)
        .map(|i| ChatKey::new("Demo", "alice", format!("chat-{i}")))
        .collect();
    for chat in &chats {
        store.create(chat).await.unwrap();
        tick().await;
    }
    assert_eq!(store.summary(&chats[0]).await.unwrap(), None, "evicted");
    let page = store
        .list("Demo", "alice", &PageQuery::default())
        .await
        .unwrap();
    let ids: Vec<&str> = page.chats.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["chat-2", "chat-1"]);
}

#[tokio::test]
async fn open_explains_bad_urls() {
    assert_eq!(agency_threads::DEFAULT_URL, "sqlite://agency-threads.db");

    async fn error(url: &str) -> OpenError {
        match agency_threads::open(url).await {
            Ok(_) => panic!("{url} opened"),
            Err(error) => error,
        }
    }

    let unknown = error("mysql://me:hunter2@localhost/app").await;
    let message = unknown.to_string();
    assert!(
        matches!(unknown, OpenError::UnknownScheme { .. }),
        "{unknown:?}"
    );
    for accepted in ["memory", "sqlite://PATH", "postgres://"] {
        assert!(message.contains(accepted), "{message}");
    }
    assert!(
        message.starts_with("'mysql' is not a thread store"),
        "{message}"
    );
    let keywords = error("host=db password=hunter2").await.to_string();
    assert!(keywords.contains("(no scheme)"), "{keywords}");

    for (url, says) in [
        ("memory?max_chats=lots", "'lots'"),
        ("memory?max_chats=0", "at least 1"),
        ("memory?max_chats=", "whole number"),
        ("memory?size=3", "max_chats=N"),
        ("sqlite://", "path"),
    ] {
        let invalid = error(url).await;
        assert!(
            matches!(invalid, OpenError::InvalidUrl { .. }),
            "{url}: {invalid:?}"
        );
        assert!(invalid.to_string().contains(says), "{url}: {invalid}");
    }

    let no_folder = std::env::temp_dir()
        .join(unique("no-such-folder"))
        .join("t.db");
    let unopenable = error(&format!("sqlite://{}", no_folder.display())).await;
    assert!(
        matches!(unopenable, OpenError::Connect { .. }),
        "{unopenable:?}"
    );
    assert!(
        unopenable.to_string().contains("folder exist"),
        "{unopenable}"
    );
    assert!(!no_folder.exists());

    // Nothing listens on port 1; the password is never shown.
    for url in [
        "postgres://me:hunter2@127.0.0.1:1/app",
        "postgresql://me@127.0.0.1:1/app?password=hunter2",
    ] {
        let refused = error(url).await;
        assert!(matches!(refused, OpenError::Connect { .. }), "{refused:?}");
        let shown = format!("{refused} {refused:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("127.0.0.1:1/app"), "{shown}");
    }
}
