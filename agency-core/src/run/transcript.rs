//! The transcript of one run: every item in the order it was made, and the usage so far.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::Usage;
use crate::item::{Entry, Item};

/// What every agent of one run writes to: the items (with their metadata) and the usage.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    /// The conversation before this run (the request's history).
    before: Vec<Entry>,
    items: Mutex<Vec<Entry>>,
    usage: Mutex<Usage>,
}

impl Transcript {
    pub(crate) fn new(before: Vec<Entry>) -> Transcript {
        Transcript {
            before,
            ..Transcript::default()
        }
    }

    pub(crate) fn before(&self) -> &[Entry] {
        &self.before
    }

    pub(crate) fn push(&self, entry: Entry) {
        self.items
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(entry);
    }

    pub(crate) fn add_usage(&self, usage: &Usage) {
        self.usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(usage);
    }

    /// The thread of `agent` with `caller` (`None`: the user's thread, shared by every agent the
    /// user talks to), as a model reads it.
    pub(crate) fn thread(&self, agent: &str, caller: Option<&str>) -> Vec<Item> {
        let items = self.items.lock().unwrap_or_else(|p| p.into_inner());
        self.before
            .iter()
            .chain(items.iter())
            .filter(|e| match caller {
                None => e.meta.caller_agent.is_none(),
                Some(caller) => {
                    e.meta.caller_agent.as_deref() == Some(caller) && e.meta.agent == agent
                }
            })
            .map(|e| e.item.clone())
            .collect()
    }

    /// The items made and the usage, taken out.
    pub(crate) fn take(&self) -> (Vec<Entry>, Usage) {
        let items = std::mem::take(&mut *self.items.lock().unwrap_or_else(|p| p.into_inner()));
        let usage = self.usage.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (items, usage)
    }
}

/// Function calls without an output are dropped so the history stays valid for the next run.
pub(crate) fn drop_unanswered_calls(mut entries: Vec<Entry>) -> Vec<Entry> {
    let answered: HashSet<String> = entries
        .iter()
        .filter_map(|e| match &e.item {
            Item::FunctionCallOutput(o) => Some(o.call_id.clone()),
            _ => None,
        })
        .collect();
    entries.retain(|e| match &e.item {
        Item::FunctionCall(c) => answered.contains(&c.call_id),
        _ => true,
    });
    entries
}
