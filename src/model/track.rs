//! `track_file` and `vrrp_track_process` blocks and the instance lines that reference them
//! (inventory §3.4, §3.5): plain data with keepalived 2.2.7's defaults applied.

use std::time::Duration;

/// `track_file NAME { … }` (alias `vrrp_track_file`): a file whose integer content, times the
/// weight, adjusts the priority of the instances tracking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackFile {
    /// The block's name, referenced from an instance's `track_file { … }`.
    pub name: String,
    /// `file PATH` (required), as written.
    pub path: String,
    /// `weight N` (−254..=254, default 1): the default for the instances tracking the file.
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `init_file [VALUE] [overwrite]`; `None` = the file is not created.
    pub init: Option<TrackFileInit>,
}

/// `init_file [VALUE] [overwrite]`: create the file at startup holding `VALUE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackFileInit {
    /// The value written (default 0), followed by a newline.
    pub value: i32,
    /// `overwrite`: write it even when the file exists (not on a reload).
    pub overwrite: bool,
}

/// How a tracked process's arguments are compared (`param_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// No argument check (no arguments after `process` and no `param_match`).
    None,
    /// The arguments are exactly those configured (`param_match` alone, or arguments given).
    Exact,
    /// The configured arguments are the first arguments of the process.
    Partial,
    /// As `Partial`, but the last configured argument may be a prefix of the process's.
    Initial,
}

/// `vrrp_track_process NAME { … }`: a quorum of running processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackProcess {
    /// The block's name, referenced from an instance's `track_process { … }`.
    pub name: String,
    /// `process NAME|PATH …`: compared with `/proc/PID/comm` (the first 15 bytes of the
    /// program name), or with `argv[0]` when `full_command` is in effect.
    pub process: String,
    /// The words after the process name on the `process` line.
    pub params: Vec<String>,
    /// `param_match`.
    pub param_match: ParamMatch,
    /// `full_command`, also implied by arguments or `param_match`.
    pub full_command: bool,
    /// `weight N` (−254..=254, default 0 = a fault tracker).
    pub weight: i32,
    /// `weight N reverse`.
    pub reverse: bool,
    /// `quorum` (1..=65535, default 1; 0 when `quorum_max 0`).
    pub quorum: u32,
    /// `quorum_max` (0..=65535, default unlimited = `u32::MAX`).
    pub quorum_max: u32,
    /// `fork_delay` (or `delay`): how long a gained quorum must last before it counts.
    pub fork_delay: Duration,
    /// `terminate_delay` (or `delay`): how long a lost quorum must last before it counts.
    pub terminate_delay: Duration,
}

impl TrackProcess {
    /// True when `count` matching processes are a quorum.
    pub fn has_quorum(&self, count: u32) -> bool {
        count >= self.quorum && count <= self.quorum_max
    }
}

/// One line of an instance's `track_file { … }` or `track_process { … }`, with the weight
/// already resolved (the line's `weight N [reverse|noreverse]`, else the block's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    /// The `track_file` / `vrrp_track_process` name.
    pub name: String,
    /// Weight (0 = fault tracker).
    pub weight: i32,
    /// `reverse`.
    pub reverse: bool,
}
