//! Trackers: `vrrp_script` runners and the rise/fall policy, `track_file` watchers (inotify)
//! and `vrrp_track_process` watchers (proc connector), producing `model::TrackEvent`s.
//!
//! The policy ([`policy::ScriptPolicy`]) is pure and clock-free; the runners
//! ([`script::spawn_script_runners`]) own the timers and the processes and only talk to the
//! daemon loop through a channel of `TrackEvent`s, so a slow or hung script never blocks it.

pub mod debounce;
pub mod file;
pub mod policy;
pub mod process;
pub mod script;

pub use policy::ScriptPolicy;
pub use script::{
    RunCounts, RunTally, Runners, ScriptStatus, spawn_script_runners, spawn_script_runners_counted,
};
