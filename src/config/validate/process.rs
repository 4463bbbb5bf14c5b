//! The `global_defs` keywords of the daemon process (keepalived 2.2.7 `global_parser.c`):
//! `startup_script`, `shutdown_script` and their timeouts (`startup_shutdown_script()`), the
//! VRRP process's scheduling (`get_priority()`, `get_realtime_priority()`,
//! `get_cpu_affinity()`, `get_rt_rlimit()`, `vrrp_no_swap`, `max_auto_priority`,
//! `min_auto_priority_delay`) and the process names
//! (`save_process_name()`), with keepalived's messages; then the start/stop scripts' security
//! check keepalived's `main()` makes once everything is read.

use std::time::Duration;

use super::super::diag::{Level, Severity};
use super::super::tree::Stmt;
use super::Validator;
use super::script_security::Verdict;
use crate::model::{ScriptCommand, StartStopScript};

/// Linux's `TASK_COMM_LEN`: a process name holds at most 15 bytes.
const TASK_COMM_LEN: usize = 16;
/// `sched_get_priority_min(SCHED_RR)` and `…_max` on Linux.
pub(crate) const RR_PRIORITY_MIN: i64 = 1;
/// See [`RR_PRIORITY_MIN`].
pub(crate) const RR_PRIORITY_MAX: i64 = 99;
/// `CPU_SETSIZE`: the CPUs a `cpu_set_t` can name.
const CPU_SETSIZE: i64 = 1024;

/// The start/stop scripts while the file is read: their timeouts apply wherever they are
/// written (keepalived sets 10 s when a script is read without one).
#[derive(Debug, Default)]
pub(super) struct RawStartStop {
    scripts: [Option<ScriptCommand>; 2],
    timeouts: [Option<u32>; 2],
}

/// What keepalived does with `strtol` on a word: the leading number, 0 when there is none
/// (it prints that value in `Invalid cpu_id:%d`).
fn strtol_prefix(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let v = n
        .parse::<i64>()
        .unwrap_or(if n.is_empty() { 0 } else { i64::MAX });
    if neg { -v } else { v }
}

impl Validator<'_> {
    /// keepalived's `read_int_strvec(…, ignore_error = true)`: `Ok` for a valid number;
    /// otherwise the messages of [`Validator::int`] (what `-t` prints) and `Err` with the
    /// value keepalived uses outside `-t` anyway: what `strtol` read (`5x` is 5, `x` is 0)
    /// when that is in range, else `None`.
    pub(super) fn int_lenient(
        &mut self,
        t: &super::super::source::Token,
        min: i64,
        max: i64,
    ) -> Result<i64, Option<i64>> {
        if let Some(v) = self.int(t, min, max) {
            return Ok(v);
        }
        let v = strtol_prefix(&t.text);
        Err((min..=max).contains(&v).then_some(v))
    }

    /// The same for `read_unsigned_strvec(…, ignore_error = true)`: a negative word is never
    /// taken (`strtoul` wraps it far out of range).
    pub(super) fn uint_lenient(
        &mut self,
        t: &super::super::source::Token,
        min: u64,
        max: u64,
    ) -> Result<u64, Option<u64>> {
        if let Some(v) = self.uint(t, min, max) {
            return Ok(v);
        }
        let v = strtol_prefix(&t.text);
        Err(u64::try_from(v).ok().filter(|v| (min..=max).contains(v)))
    }

    /// A `global_defs` keyword of this module; false when `stmt` is not one.
    pub(super) fn process_global(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        let w = &stmt.line.words;
        match kw {
            "startup_script" | "shutdown_script" => self.start_stop_script(stmt),
            "startup_script_timeout" | "shutdown_script_timeout" => {
                let ty = kw.trim_end_matches("_script_timeout");
                let Some(t) = w.get(1) else {
                    self.error(
                        &stmt.line.span,
                        format!("{ty}_script_timeout requires value"),
                    );
                    return true;
                };
                let v = self.uint_lenient(t, 1, 1000).or_else(|v| {
                    self.error(
                        &t.span,
                        format!(
                            "{ty}_script_timeout '{}' must be in [1, 1000] - ignoring",
                            t.text
                        ),
                    );
                    v.ok_or(())
                });
                if let Ok(v) = v {
                    self.start_stop.timeouts[usize::from(ty == "shutdown")] = Some(v as u32);
                }
            }
            "vrrp_priority" => {
                // keepalived stores 0 when the value is missing or bad.
                let p = &mut self.config.global.process;
                p.priority = 0;
                let Some(t) = w.get(1) else {
                    self.error(&stmt.line.span, "No vrrp process priority specified");
                    return true;
                };
                let v = self.int_lenient(t, -20, 19).unwrap_or_else(|v| {
                    self.error(&t.span, "Invalid vrrp process priority specified");
                    v.unwrap_or(0)
                });
                self.config.global.process.priority = v as i32;
            }
            "vrrp_no_swap" => self.config.global.process.no_swap = true,
            "max_auto_priority" => {
                let Some(t) = w.get(1) else {
                    self.config.global.process.max_auto_priority = RR_PRIORITY_MAX as i32;
                    return true;
                };
                let v = self.int_lenient(t, -1, RR_PRIORITY_MAX).or_else(|v| {
                    self.error(
                        &t.span,
                        format!(
                            "max_auto_priority '{}' must be in [0, {RR_PRIORITY_MAX}] (or -1 to disable) - ignoring",
                            t.text
                        ),
                    );
                    v.ok_or(())
                });
                if let Ok(v) = v {
                    self.config.global.process.max_auto_priority = v as i32;
                }
            }
            "min_auto_priority_delay" => {
                let Some(t) = w.get(1) else {
                    self.error(
                        &stmt.line.span,
                        "min_auto_priority_delay requires delay time",
                    );
                    return true;
                };
                let v = self.int_lenient(t, 1, 10_000_000).or_else(|v| {
                    self.error(
                        &t.span,
                        format!(
                            "min_auto_priority_delay '{}' must be in [1, 10000000] - ignoring",
                            t.text
                        ),
                    );
                    v.ok_or(())
                });
                if let Ok(v) = v {
                    self.config.global.process.min_auto_priority_delay =
                        Duration::from_micros(v as u64);
                }
            }
            "vrrp_rt_priority" => {
                let Some(t) = w.get(1) else {
                    self.error(
                        &stmt.line.span,
                        "No vrrp process real-time priority specified",
                    );
                    return true;
                };
                let v = match self.int_lenient(t, i64::from(i32::MIN), i64::from(i32::MAX)) {
                    Ok(v) => v,
                    Err(v) => {
                        self.error(
                            &t.span,
                            format!("vrrp process real-time priority '{}' invalid", t.text),
                        );
                        // Outside -t keepalived goes on with what it read (clamped quietly
                        // here: -t does not print that).
                        if let Some(v) = v {
                            let v = v.clamp(RR_PRIORITY_MIN, RR_PRIORITY_MAX);
                            self.config.global.process.rt_priority = v as u32;
                        }
                        return true;
                    }
                };
                let v = if v < RR_PRIORITY_MIN {
                    self.error(&t.span, format!("vrrp process real-time priority {v} less than minimum {RR_PRIORITY_MIN} - setting to minimum"));
                    RR_PRIORITY_MIN
                } else if v > RR_PRIORITY_MAX {
                    self.error(&t.span, format!("vrrp process real-time priority {v} greater than maximum {RR_PRIORITY_MAX} - setting to maximum"));
                    RR_PRIORITY_MAX
                } else {
                    v
                };
                self.config.global.process.rt_priority = v as u32;
            }
            "vrrp_cpu_affinity" => self.cpu_affinity(stmt),
            "vrrp_rlimit_rttime" | "vrrp_rlimit_rtime" => {
                if kw == "vrrp_rlimit_rtime" {
                    // Logged by keepalived, not a configuration error.
                    self.rep.at(
                        Severity::Note,
                        None,
                        &stmt.line.span,
                        "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'",
                    );
                }
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                // A bad value is stored as 0: no limit.
                let v = match self.uint_lenient(t, 1, u64::from(u32::MAX)) {
                    Ok(v) => v.max(2),
                    Err(v) => {
                        self.error(
                            &t.span,
                            format!("Invalid vrrp real-time limit - {}", t.text),
                        );
                        v.map_or(0, |v| v.max(2))
                    }
                };
                self.config.global.process.rlimit_rttime = v;
            }
            "process_names" => {
                self.config.global.process.vrrp_process_name = Some("keepalived_vrrp".into());
            }
            "process_name" | "vrrp_process_name" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                let name = self.process_name(t);
                let p = &mut self.config.global.process;
                if kw == "process_name" {
                    p.process_name = Some(name);
                } else {
                    p.vrrp_process_name = Some(name);
                }
            }
            // The other children's names: checked, not used (no such child here).
            "checker_process_name" | "lvs_process_name" | "bfd_process_name" => {
                if kw == "lvs_process_name" {
                    self.rep.at(
                        Severity::Note,
                        None,
                        &stmt.line.span,
                        "'lvs_process_name' is deprecated - please use 'checker_process_name'",
                    );
                }
                if let Some(t) = self.arg(stmt, 1) {
                    self.process_name(t);
                }
            }
            _ => return false,
        }
        true
    }

    /// `save_process_name()`: a name longer than the kernel keeps is cut, with an error.
    fn process_name(&mut self, t: &super::super::source::Token) -> String {
        let mut name = t.text.clone();
        if name.len() >= TASK_COMM_LEN {
            self.error(
                &t.span,
                format!(
                    "Process name {} more than {} characters, truncating",
                    t.text,
                    TASK_COMM_LEN - 1
                ),
            );
            let mut end = TASK_COMM_LEN - 1;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        name
    }

    /// `get_cpu_affinity()`: each line replaces the set; the first bad CPU empties it.
    /// The CPUs must be online ones (`sysconf(_SC_NPROCESSORS_ONLN)`) when host checks are
    /// on; without them (golden tests) any a `cpu_set_t` can hold.
    fn cpu_affinity(&mut self, stmt: &Stmt) {
        let w = &stmt.line.words;
        if w.len() < 2 {
            self.error(&stmt.line.span, "No vrrp cpu_id set specified");
            return;
        }
        let max = if self.opts.check_interfaces {
            std::thread::available_parallelism().map_or(1, |n| n.get() as i64)
        } else {
            CPU_SETSIZE
        };
        self.config.global.process.cpu_affinity.clear();
        let mut set = Vec::new();
        for t in &w[1..] {
            match self.int_lenient(t, 0, max - 1) {
                Ok(c) => set.push(c as u32),
                Err(v) => {
                    let shown = strtol_prefix(&t.text) as i32;
                    self.error(
                        &t.span,
                        format!("Invalid cpu_id:{shown} specified for vrrp process"),
                    );
                    // Outside -t keepalived keeps a CPU it could read (`0x` is CPU 0).
                    match v {
                        Some(c) => set.push(c as u32),
                        None => return,
                    }
                }
            }
        }
        set.sort_unstable();
        set.dedup();
        self.config.global.process.cpu_affinity = set;
    }

    /// `startup_shutdown_script()`: the first one wins; the command is read as a notify
    /// script's (`CMD [USER [GROUP]]`), and one whose user is unknown is refused.
    fn start_stop_script(&mut self, stmt: &Stmt) {
        let ty = stmt.keyword().trim_end_matches("_script");
        let slot = usize::from(ty == "shutdown");
        if self.start_stop.scripts[slot].is_some() {
            self.error(&stmt.line.span, format!("{ty} script already specified"));
            return;
        }
        if stmt.line.words.len() < 2 {
            self.error(&stmt.line.span, format!("{ty} script missing"));
            return;
        }
        let Some(cmd) = self.script_cmd(stmt, true) else {
            self.error(&stmt.line.span, format!("Invalid {ty} script"));
            return;
        };
        if self.opts.check_interfaces {
            let refused = match &cmd.user {
                Some(u) if !super::user_exists(u) => Some(format!(
                    "Invalid user/group for {ty} script {} - ignoring",
                    cmd.argv[0]
                )),
                None if self.default_user_failed() => Some(format!(
                    "Failed to set default user for {ty} script {} - ignoring",
                    cmd.argv[0]
                )),
                _ => None,
            };
            if let Some(why) = refused {
                // keepalived logs the reason, then reports the script invalid.
                self.rep.at(Severity::Note, None, &stmt.line.span, why);
                self.error(&stmt.line.span, format!("Invalid {ty} script"));
                return;
            }
        }
        self.start_stop.scripts[slot] = Some(cmd);
    }

    /// `check_start_stop_script_secure()` on both scripts once the file is read: one that may
    /// not or cannot run is dropped; scripts without `enable_script_security` are a security
    /// violation of their own.
    pub(super) fn finish_start_stop(&mut self) {
        let default = self.default_script_user();
        let mut is_script = false;
        let mut insecure = false;
        let raw = std::mem::take(&mut self.start_stop);
        for (slot, (cmd, timeout)) in raw.scripts.into_iter().zip(raw.timeouts).enumerate() {
            let Some(mut cmd) = cmd else { continue };
            let v: Verdict = self.check_command(&mut cmd, default.as_ref(), None);
            is_script |= v.is_script();
            insecure |= v.insecure();
            if !v.runs() {
                continue;
            }
            let script = Some(StartStopScript {
                command: cmd,
                timeout: Duration::from_secs(u64::from(timeout.unwrap_or(10))),
            });
            if slot == 0 {
                self.config.global.startup_script = script;
            } else {
                self.config.global.shutdown_script = script;
            }
        }
        if is_script && !self.config.global.enable_script_security {
            let d = self.rep.global(
                Severity::Warning,
                Some(Level::SecurityError),
                format!(
                    "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.{}",
                    if insecure { " There are insecure scripts." } else { "" }
                ),
            );
            d.help = Some("add `enable_script_security` (and `script_user`) to global_defs".into());
        }
    }
}

#[cfg(test)]
mod tests;
