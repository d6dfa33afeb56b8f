//! What names a chat, and what a listing of chats shows.

/// A chat: its id, the agency it belongs to and the principal that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatKey {
    /// The agency's route name.
    pub agency: String,
    /// The principal that created the chat.
    pub owner: String,
    /// The chat id.
    pub id: String,
}

impl ChatKey {
    /// The chat `id` of `owner` in `agency`.
    pub fn new(agency: impl Into<String>, owner: impl Into<String>, id: impl Into<String>) -> Self {
        ChatKey {
            agency: agency.into(),
            owner: owner.into(),
            id: id.into(),
        }
    }

    /// A new chat id: `chat_` and 32 random hex digits.
    pub fn new_id() -> String {
        format!("chat_{}", uuid::Uuid::new_v4().simple())
    }

    /// Whether `id` may name a chat: 1 to 128 ASCII letters, digits, `_` and `-`.
    pub fn is_valid_id(id: &str) -> bool {
        (1..=MAX_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}

/// The longest chat id.
pub const MAX_ID_LEN: usize = 128;

/// What a listing shows of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSummary {
    /// The chat id.
    pub id: String,
    /// Its name, once one was generated (`generate_chat_name`) or set.
    pub name: Option<String>,
    /// When it was created (microseconds since the epoch).
    pub created_at: i64,
    /// When an item was last appended, or it was created (microseconds since the epoch).
    pub updated_at: i64,
}

/// Which page of chats to list: at most `limit`, after `after` (a [`ChatPage::next`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// The most chats on the page (default 20).
    pub limit: u32,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
}

impl Default for PageQuery {
    fn default() -> Self {
        PageQuery {
            limit: 20,
            after: None,
        }
    }
}

/// A place in a listing, most recently used first: the last chat of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The chat's `updated_at`.
    pub updated_at: i64,
    /// The chat's id (orders chats used in the same microsecond, descending).
    pub id: String,
}

impl Cursor {
    /// The cursor after `chat`.
    pub fn after(chat: &ChatSummary) -> Self {
        Cursor {
            updated_at: chat.updated_at,
            id: chat.id.clone(),
        }
    }

    /// Whether `chat` comes after this cursor (newest first: used earlier, or at the same
    /// time with a smaller id).
    pub fn precedes(&self, chat: &ChatSummary) -> bool {
        chat.updated_at < self.updated_at
            || (chat.updated_at == self.updated_at && chat.id < self.id)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.updated_at, self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let invalid = || format!("'{s}' is not a cursor (use the `next` of the previous page)");
        let (time, id) = s.split_once('.').ok_or_else(invalid)?;
        let updated_at = time.parse().map_err(|_| invalid())?;
        if !ChatKey::is_valid_id(id) {
            return Err(invalid());
        }
        Ok(Cursor {
            updated_at,
            id: id.to_owned(),
        })
    }
}

/// One page of chats, and the cursor of the next page when there may be one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChatPage {
    /// The chats, most recently used first.
    pub chats: Vec<ChatSummary>,
    /// Pass as [`PageQuery::after`] for the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

impl ChatPage {
    /// The page of `limit` chats out of `chats` (sorted newest first, with one more than the
    /// page when there are more): what stores that fetch `limit + 1` rows return.
    pub fn from_rows(mut chats: Vec<ChatSummary>, limit: u32) -> Self {
        let more = chats.len() > limit as usize;
        chats.truncate(limit as usize);
        let next = if more {
            chats.last().map(Cursor::after)
        } else {
            None
        };
        ChatPage { chats, next }
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
