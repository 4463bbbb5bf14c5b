//! Where the signal dumps go and which JSON layout they use: `state_dump_file`,
//! `stats_dump_file`, `json_dump_file` (keepalived 2.3.3+), `data_use_instance` and
//! `json_version` (2.2.8+) after validation.

/// The `global_defs` keywords that place and shape `keepalived.data`, `.stats` and `.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DumpFiles {
    /// `state_dump_file PATH` (SIGUSR1): an absolute path names the file, or with a trailing
    /// `/` the directory holding `keepalived.data`; a relative one is taken under the temp
    /// directory (its last component only). `None` = `$TMPDIR/keepalived.data`.
    pub state: Option<String>,
    /// `stats_dump_file PATH` (SIGUSR2), the same rules with `keepalived.stats`.
    pub stats: Option<String>,
    /// `json_dump_file PATH` (SIGRTMIN+2), the same rules with `keepalived.json`.
    pub json: Option<String>,
    /// `data_use_instance [BOOL]` (default off): the state dump's name gets `.NS_INST` (the
    /// namespace and `instance` names that are set) before its extension.
    pub data_use_instance: bool,
    /// `json_version 1|2` (default 1).
    pub json_version: JsonVersion,
}

/// The layout of `keepalived.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JsonVersion {
    /// `[{"data":{…},"stats":{…}},…]`, keepalived 2.2.7's only layout.
    #[default]
    V1,
    /// `{"vrrp":[…],"track_process":[…]}`: the same instances, each naming its tracked
    /// processes, then the state of every `vrrp_track_process` (keepalived 2.2.8+).
    V2,
}
