//! The names of a run's keys and of the cancel channel.

use agency_http::agency::RunKey;

/// The default prefix of keys and channels.
pub const DEFAULT_PREFIX: &str = "agency";

/// The keys of one run, in one hash slot (a Redis Cluster keeps them together).
pub(crate) struct RunKeys {
    /// The stream of its frames.
    pub frames: String,
    /// A hash: `owner`.
    pub info: String,
    /// Exists while the process that streams the run renews it; holds that process's id.
    pub live: String,
}

impl RunKeys {
    pub(crate) fn of(prefix: &str, run: &RunKey) -> Self {
        // The agency route and run id hold no `}` (routes refuse braces; run ids are checked).
        let tag = format!("{prefix}:run:{{{}/{}}}", run.agency, run.run_id);
        RunKeys {
            frames: format!("{tag}:frames"),
            info: format!("{tag}:info"),
            live: format!("{tag}:live"),
        }
    }
}

/// The channel cancels are published on.
pub(crate) fn cancel_channel(prefix: &str) -> String {
    format!("{prefix}:cancel")
}
