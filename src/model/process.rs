//! The daemon as a process: the `global_defs` keywords keepalived applies to its VRRP child
//! (`vrrp_priority`, `vrrp_no_swap`, `vrrp_rt_priority`, `vrrp_cpu_affinity`,
//! `vrrp_rlimit_rttime`, `max_auto_priority`, `min_auto_priority_delay`), the process names, and
//! the scripts its parent runs before starting and after stopping (`startup_script`,
//! `shutdown_script`). We are one process: it gets what keepalived gives its VRRP child.

use std::time::Duration;

use super::ScriptCommand;

/// keepalived's `RT_RLIMIT_DEFAULT`: CPU time, in microseconds, a real-time VRRP process may
/// use without blocking (the soft limit, which raises SIGXCPU, is half of it).
pub const RT_RLIMIT_DEFAULT: u64 = 10_000;

/// Scheduling, memory and naming of the daemon process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSettings {
    /// `process_name NAME` (at most 15 bytes): keepalived's parent renames itself, and the
    /// children it forks afterwards inherit the name. `None` = `keepalived`.
    pub process_name: Option<String>,
    /// `vrrp_process_name NAME`, or `keepalived_vrrp` from `process_names`: the name of
    /// keepalived's VRRP child. Shown by `-d` only: our one process keeps `process_name` (else
    /// `keepalived`), so that `killall keepalived` still finds the daemon.
    pub vrrp_process_name: Option<String>,
    /// `vrrp_priority` (−20..=19, default 0): the nice value, used when no real-time priority
    /// is set.
    pub priority: i32,
    /// `vrrp_no_swap`: lock the process in memory (`mlockall`).
    pub no_swap: bool,
    /// `vrrp_rt_priority` (1..=99; 0 = none): run under `SCHED_RR` at this priority, with
    /// `SCHED_RESET_ON_FORK` so that scripts do not inherit it.
    pub rt_priority: u32,
    /// `vrrp_cpu_affinity CPU…`: the CPUs the process may run on; empty = any.
    pub cpu_affinity: Vec<u32>,
    /// `vrrp_rlimit_rttime` (microseconds, default 10000; 0 = no limit): `RLIMIT_RTTIME`
    /// while real-time (hard limit this, soft limit half of it).
    pub rlimit_rttime: u64,
    /// `max_auto_priority [N]` (0 = off, the default; −1 = off; no value = 99): when the
    /// event loop runs later than `min_auto_priority_delay` after a timer, switch to
    /// `SCHED_RR` (or raise its priority by one), up to N.
    pub max_auto_priority: i32,
    /// `min_auto_priority_delay` (microsecond resolution, default 1 s).
    pub min_auto_priority_delay: Duration,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        Self {
            process_name: None,
            vrrp_process_name: None,
            priority: 0,
            no_swap: false,
            rt_priority: 0,
            cpu_affinity: Vec::new(),
            rlimit_rttime: RT_RLIMIT_DEFAULT,
            max_auto_priority: 0,
            min_auto_priority_delay: Duration::from_secs(1),
        }
    }
}

/// `startup_script` / `shutdown_script CMD [USER [GROUP]]` with its `*_timeout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartStopScript {
    /// The command, as a notify script's; `user` `None` = the default script user.
    pub command: ScriptCommand,
    /// `startup_script_timeout` / `shutdown_script_timeout` (1..=1000 s, default 10): then
    /// SIGTERM to its process group, SIGKILL 2 s later.
    pub timeout: Duration,
}
