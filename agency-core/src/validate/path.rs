//! The location of the value being validated, kept on the stack (no allocation until an error
//! needs it as a `Vec<Loc>`).

use super::Loc;

/// One step from a parent value to a child.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A path from the arguments' root: a linked list through the walker's stack frames.
#[derive(Debug)]
pub(super) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Option<Step<'a>>,
    len: usize,
}

impl<'a> Path<'a> {
    /// The arguments themselves.
    pub(super) const ROOT: Path<'static> = Path {
        parent: None,
        step: None,
        len: 0,
    };

    /// The member `key` of the object at this path.
    pub(super) fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            step: Some(Step::Key(key)),
            len: self.len + 1,
        }
    }

    /// The element `index` of the array at this path.
    pub(super) fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            step: Some(Step::Index(index)),
            len: self.len + 1,
        }
    }

    /// How many steps from the root (0 for the root).
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Whether this is the arguments' root.
    pub(super) fn is_root(&self) -> bool {
        self.len == 0
    }

    /// The path as error locations, root first.
    pub(super) fn to_locs(&self) -> Vec<Loc> {
        let mut locs = Vec::with_capacity(self.len);
        let mut current = Some(self);
        while let Some(path) = current {
            match path.step {
                Some(Step::Key(key)) => locs.push(Loc::Key(key.to_owned())),
                Some(Step::Index(index)) => locs.push(Loc::Index(index)),
                None => {}
            }
            current = path.parent;
        }
        locs.reverse();
        locs
    }
}
