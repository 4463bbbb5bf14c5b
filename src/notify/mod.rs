//! Transitions -> `notify*` scripts and SMTP alert mails (inventory §6, §7).
//!
//! The daemon loop hands a [`Notification`] here after the engine reported a transition (VIPs
//! are already set or removed by then, inventory §6.2 "Timing"). Scripts are forked at once and
//! never waited for; mails are sent on their own task. Neither ever blocks the caller. Deciding
//! *whether* to notify (duplicate suppression, `smtp_alert`, `last_email_state`,
//! `no_email_faults`) is the daemon's job; this module does what it is told.

pub mod smtp;

use std::fmt;
use std::time::Duration;

use crate::exec::{self, ExecSpec};
use crate::model::{NotifyScripts, ScriptCommand, ScriptUser};

pub use smtp::{Mail, SmtpError, format_message, send_mail, spawn_smtp_alert};

/// keepalived waits this long for `notify_stop` at shutdown before SIGKILLing it.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The state an instance entered, as named in notify argv, FIFO lines and mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyState {
    /// Entered MASTER.
    Master,
    /// Entered BACKUP (including `BACKUP (init)` at start-up).
    Backup,
    /// Entered FAULT.
    Fault,
    /// The instance is stopping (daemon shutdown).
    Stop,
}

impl fmt::Display for NotifyState {
    /// Upper case, as the generic `notify` script's third argument: `MASTER BACKUP FAULT STOP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Master => "MASTER",
            Self::Backup => "BACKUP",
            Self::Fault => "FAULT",
            Self::Stop => "STOP",
        })
    }
}

/// One instance state notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `vrrp_instance` name (`VI_1`).
    pub instance: String,
    /// The state entered.
    pub state: NotifyState,
    /// The *effective* priority at that moment (keepalived passes it for STOP too, not 0).
    pub priority: u8,
}

impl Notification {
    /// The generic `notify` script's argv: configured words + `INSTANCE NAME STATE PRIO`.
    pub fn generic_argv(&self, cmd: &ScriptCommand) -> Vec<String> {
        let mut argv = cmd.argv.clone();
        argv.extend([
            "INSTANCE".to_owned(),
            self.instance.clone(),
            self.state.to_string(),
            self.priority.to_string(),
        ]);
        argv
    }
}

/// The `notify_<state>` script for `state`, if configured.
fn state_script(scripts: &NotifyScripts, state: NotifyState) -> Option<&ScriptCommand> {
    match state {
        NotifyState::Master => scripts.master.as_ref(),
        NotifyState::Backup => scripts.backup.as_ref(),
        NotifyState::Fault => scripts.fault.as_ref(),
        NotifyState::Stop => scripts.stop.as_ref(),
    }
}

/// Forks one notify script without waiting; failures are logged (exec failures by `exec`).
fn fire(argv: &[String], user: Option<&ScriptUser>) {
    match exec::spawn_detached(ExecSpec {
        argv,
        user,
        timeout: None,
    }) {
        Ok(_) | Err(exec::Error::Exec { .. }) => {}
        Err(e) => tracing::warn!("notify script {:?} not run: {e}", argv.first()),
    }
}

/// Run notify_<state> (configured argv only) then the generic `notify` with argv + INSTANCE NAME
/// STATE PRIO, detached, keepalived's order (§6.2): both are forked before this returns, neither
/// is waited for, exit statuses are ignored. Each script runs as its own user, else
/// `default_user` (`script_user`), else the daemon's. At shutdown prefer [`run_stop_scripts`],
/// which also waits for `notify_stop` as keepalived does. Must be called inside a tokio runtime.
pub fn run_scripts(scripts: &NotifyScripts, default_user: Option<&ScriptUser>, n: &Notification) {
    if let Some(cmd) = state_script(scripts, n.state) {
        fire(&cmd.argv, cmd.user.as_ref().or(default_user));
    }
    if let Some(cmd) = &scripts.generic {
        fire(&n.generic_argv(cmd), cmd.user.as_ref().or(default_user));
    }
}

/// STOP notifications at shutdown as keepalived sends them: `notify_stop` is forked and waited
/// for up to 1 s, then its process group is SIGKILLed; the generic `notify … STOP PRIO` is forked
/// (after it) and not waited for. Resolves once `notify_stop` is gone (at once without one).
pub async fn run_stop_scripts(
    scripts: &NotifyScripts,
    default_user: Option<&ScriptUser>,
    instance: &str,
    priority: u8,
) {
    let n = Notification {
        instance: instance.to_owned(),
        state: NotifyState::Stop,
        priority,
    };
    let stop = scripts.stop.as_ref().and_then(|cmd| {
        let spec = ExecSpec {
            argv: &cmd.argv,
            user: cmd.user.as_ref().or(default_user),
            timeout: None,
        };
        match exec::spawn_kill_after(spec, STOP_GRACE) {
            Ok(wait) => Some(wait),
            Err(exec::Error::Exec { .. }) => None,
            Err(e) => {
                tracing::warn!("notify_stop script {:?} not run: {e}", cmd.argv.first());
                None
            }
        }
    });
    if let Some(cmd) = &scripts.generic {
        fire(&n.generic_argv(cmd), cmd.user.as_ref().or(default_user));
    }
    if let Some(wait) = stop {
        wait.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::tests::{Scratch, wait_for_file};

    /// A script that records its arguments, `|`-separated, into `<dir>/<name>.out`.
    fn recorder(d: &Scratch, name: &str) -> String {
        let out = d.path(&format!("{name}.out"));
        d.script(name, &format!("#!/bin/sh\nprintf '%s|' \"$@\" > {out}.tmp\necho >> {out}.tmp\nmv {out}.tmp {out}\n"))
    }

    fn cmd(argv: &[&str]) -> ScriptCommand {
        ScriptCommand {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            user: None,
        }
    }

    #[test]
    fn states_display_upper_case() {
        let all = [
            NotifyState::Master,
            NotifyState::Backup,
            NotifyState::Fault,
            NotifyState::Stop,
        ];
        let names: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        assert_eq!(names, ["MASTER", "BACKUP", "FAULT", "STOP"]);
    }

    #[tokio::test]
    async fn generic_gets_instance_name_state_prio_and_state_script_only_its_words() {
        let d = Scratch::new("notify");
        let master = recorder(&d, "master");
        let backup = recorder(&d, "backup");
        let generic = recorder(&d, "generic");
        let scripts = NotifyScripts {
            master: Some(cmd(&[&master, "master-arg", "two words"])),
            backup: Some(cmd(&[&backup])),
            generic: Some(cmd(&[&generic, "g1"])),
            ..Default::default()
        };
        let n = Notification {
            instance: "VI_1".into(),
            state: NotifyState::Master,
            priority: 100,
        };
        run_scripts(&scripts, None, &n);
        assert_eq!(
            wait_for_file(&d.path("master.out")).await,
            "master-arg|two words|\n"
        );
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "g1|INSTANCE|VI_1|MASTER|100|\n"
        );
        // notify_backup was not for this transition.
        assert!(!std::path::Path::new(&d.path("backup.out")).exists());
    }

    #[tokio::test]
    async fn missing_scripts_are_fine_and_nothing_is_waited_for() {
        let d = Scratch::new("notify");
        let generic = recorder(&d, "generic");
        let hang = d.script("hang", "#!/bin/sh\nexec sleep 30\n");
        let scripts = NotifyScripts {
            fault: Some(cmd(&[&hang])),
            generic: Some(cmd(&[&generic])),
            ..Default::default()
        };
        let n = Notification {
            instance: "VI_2".into(),
            state: NotifyState::Fault,
            priority: 90,
        };
        // Returns although notify_fault hangs; a nonexistent script only logs.
        run_scripts(&scripts, None, &n);
        run_scripts(
            &NotifyScripts {
                master: Some(cmd(&["/nonexistent/x"])),
                ..Default::default()
            },
            None,
            &n,
        );
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "INSTANCE|VI_2|FAULT|90|\n"
        );
    }

    #[tokio::test]
    async fn stop_waits_for_notify_stop_then_kills_it() {
        let d = Scratch::new("notify");
        let generic = recorder(&d, "generic");
        let hang = d.script("stop", "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n");
        let scripts = NotifyScripts {
            stop: Some(cmd(&[&hang])),
            generic: Some(cmd(&[&generic])),
            ..Default::default()
        };
        let done = tokio::time::timeout(
            Duration::from_secs(10),
            run_stop_scripts(&scripts, None, "VI_1", 150),
        );
        done.await.expect("notify_stop not killed after its grace");
        // The generic script reports the effective priority for STOP, not 0.
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "INSTANCE|VI_1|STOP|150|\n"
        );
    }
}
