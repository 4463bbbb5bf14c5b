//! Transitions -> `notify*` scripts, notify FIFO lines and SMTP alert mails (inventory §6, §7).
//!
//! The daemon loop hands a [`Notification`] to the I/O worker after the engine reported a
//! transition (VIPs are already set or removed by then, inventory §6.2 "Timing"), and the worker
//! gives it to the [`Notifier`]: the instance's scripts are queued, the FIFO line is written at
//! once, then the worker sends the mail. Nothing here ever blocks the caller.
//!
//! **Ordered scripts (beyond keepalived, issue 6).** keepalived forks every notify script at
//! once and never waits, so a slow `notify_master` can still be running, or even start later,
//! than the `notify_backup` of the next transition. Here each instance has its own queue: its
//! scripts run one at a time in transition order (`notify_<state>` then the generic `notify`),
//! each bounded by [`SCRIPT_TIMEOUT`] (SIGTERM to its process group, SIGKILL 2 s later, as
//! `exec` does), and each exit status is logged. A newer transition's scripts therefore never
//! start before an older one's have ended. Different instances never wait for each other.
//! The argv is keepalived's exactly.
//!
//! Besides states, a [`Notification`] can carry one of keepalived's instance events
//! (`MASTER_RX_LOWER_PRI`, `MASTER_PRIORITY`, `BACKUP_PRIORITY`): same FIFO line shape, only
//! `notify_master_rx_lower_pri` as a script, never the generic `notify`, never a mail.
//!
//! Deciding *whether* to notify (duplicate suppression, `smtp_alert`, `DELETED` or `FAULT` for
//! a removed instance) is the daemon's job; [`MailGate`] holds the mail rules that need memory
//! (`last_email_state`, `no_email_faults`) for the worker that sends the mails.

pub mod fifo;
pub mod group;
pub mod smtp;

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::exec::{self, ExecSpec, Outcome};
use crate::model::{Global, NotifyScripts, ScriptCommand, ScriptUser};

pub use fifo::{Fifo, FifoError, Fifos, instance_line};
pub use group::{GroupNotification, group_subject_body, spawn_group_smtp_alert};
pub use smtp::{Mail, MailGate, SmtpError, format_message, send_mail, spawn_smtp_alert};

/// keepalived waits this long for `notify_stop` at shutdown before SIGKILLing it.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// How long one notify script may run before its process group gets SIGTERM (then SIGKILL
/// 2 s later). keepalived has no limit (it never waits); an ordered queue needs one so that a
/// hung script cannot hold back every later notification of its instance.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_secs(10);

/// What an instance notification reports: a state it entered, or one of keepalived's instance
/// events (which, as in keepalived's `notify_fifo()`, share the FIFO line format).
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
    /// A reload removed the instance and it has `notify_deleted` (else it reports FAULT, see
    /// [`NotifyState::for_deletion`]).
    Deleted,
    /// Event: a MASTER received a lower-priority advert. Runs `notify_master_rx_lower_pri`
    /// (not the generic `notify`), writes the FIFO line, sends no mail.
    MasterRxLowerPri,
    /// Event: the effective priority of a MASTER changed (`notify_priority_changes`): FIFO only.
    MasterPriority,
    /// Event: the effective priority of a non-MASTER changed (`notify_priority_changes`): FIFO
    /// only.
    BackupPriority,
}

impl NotifyState {
    /// True for a state (the generic `notify` script runs and a mail may be sent), false for
    /// the events.
    pub fn is_state(self) -> bool {
        !matches!(
            self,
            Self::MasterRxLowerPri | Self::MasterPriority | Self::BackupPriority
        )
    }

    /// What a reload-removed instance reports (keepalived's `clear_diff_vrrp()` and
    /// `send_instance_notifies()`): `DELETED` with `notify_deleted`; else `FAULT` as keepalived
    /// always did, and nothing when it already was in FAULT.
    pub fn for_deletion(notify_deleted: bool, was_fault: bool) -> Option<Self> {
        match (notify_deleted, was_fault) {
            (true, _) => Some(Self::Deleted),
            (false, false) => Some(Self::Fault),
            (false, true) => None,
        }
    }
}

impl fmt::Display for NotifyState {
    /// Upper case, as the generic `notify` script's third argument and the FIFO lines:
    /// `MASTER BACKUP FAULT STOP DELETED`, and `MASTER_RX_LOWER_PRI MASTER_PRIORITY
    /// BACKUP_PRIORITY` for the events.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Master => "MASTER",
            Self::Backup => "BACKUP",
            Self::Fault => "FAULT",
            Self::Stop => "STOP",
            Self::Deleted => "DELETED",
            Self::MasterRxLowerPri => "MASTER_RX_LOWER_PRI",
            Self::MasterPriority => "MASTER_PRIORITY",
            Self::BackupPriority => "BACKUP_PRIORITY",
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

    /// The notify FIFO line: `INSTANCE "NAME" STATE PRIO\n`.
    pub fn fifo_line(&self) -> String {
        instance_line(&self.instance, self.state, self.priority)
    }
}

/// The `notify_<state>` script for `state` (`notify_master_rx_lower_pri` for that event), if
/// configured.
fn state_script(scripts: &NotifyScripts, state: NotifyState) -> Option<&ScriptCommand> {
    match state {
        NotifyState::Master => scripts.master.as_deref(),
        NotifyState::Backup => scripts.backup.as_deref(),
        NotifyState::Fault => scripts.fault.as_deref(),
        NotifyState::Stop => scripts.stop.as_deref(),
        NotifyState::Deleted => scripts.deleted.as_deref(),
        NotifyState::MasterRxLowerPri => scripts.master_rx_lower_pri.as_deref(),
        NotifyState::MasterPriority | NotifyState::BackupPriority => None,
    }
}

/// The generic `notify` script, for states only.
fn generic_script(scripts: &NotifyScripts, state: NotifyState) -> Option<&ScriptCommand> {
    scripts.generic.as_deref().filter(|_| state.is_state())
}

/// One transition's scripts, waiting in its instance's queue.
struct Work {
    scripts: NotifyScripts,
    notification: Notification,
    default_user: Option<ScriptUser>,
    /// A sync group's (`notification.instance` is the group name): the generic script gets
    /// `GROUP NAME STATE 0`.
    group: bool,
    /// When the transition happened and where to report each script's [`ScriptTiming`].
    timing: Option<(Instant, mpsc::UnboundedSender<ScriptTiming>)>,
}

/// How long after its transition one notify script started and ended (beyond keepalived, for
/// the metrics endpoint): the VIP and ARP work queued before it, the scripts of earlier
/// transitions of the same instance, then the script itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptTiming {
    /// `vrrp_instance` name.
    pub instance: String,
    /// The state or event notified.
    pub state: NotifyState,
    /// From the transition to the script's start.
    pub started: Duration,
    /// From the transition to the script's end (exit, kill or failure to start).
    pub finished: Duration,
}

/// One instance's queue: a task that runs the queued work in order.
struct Queue {
    tx: mpsc::UnboundedSender<Work>,
    task: tokio::task::JoinHandle<()>,
}

/// Notify scripts in per-instance order plus the notify FIFOs (see the module docs).
pub struct Notifier {
    default_user: Option<ScriptUser>,
    script_timeout: Duration,
    fifos: Fifos,
    queues: HashMap<String, Queue>,
    timings: Option<mpsc::UnboundedSender<ScriptTiming>>,
}

impl Notifier {
    /// Opens `global`'s notify FIFOs (starting their scripts). Scripts without their own user
    /// run as `default_user` (`exec::default_script_user`), else as the daemon. Must be called
    /// inside a tokio runtime.
    pub fn new(global: &Global, default_user: Option<ScriptUser>) -> Self {
        let fifos = Fifos::open(
            global.notify_fifo.as_ref(),
            global.vrrp_notify_fifo.as_ref(),
            default_user.as_ref(),
        );
        Self {
            default_user,
            script_timeout: SCRIPT_TIMEOUT,
            fifos,
            queues: HashMap::new(),
            timings: None,
        }
    }

    /// Reports a [`ScriptTiming`] on `tx` for every script run by [`Notifier::notify_at`].
    pub fn with_timings(mut self, tx: mpsc::UnboundedSender<ScriptTiming>) -> Self {
        self.timings = Some(tx);
        self
    }

    /// Replaces [`SCRIPT_TIMEOUT`] for scripts queued from now on.
    pub fn with_script_timeout(mut self, timeout: Duration) -> Self {
        self.script_timeout = timeout;
        self
    }

    /// The open FIFOs.
    pub fn fifos(&self) -> &Fifos {
        &self.fifos
    }

    /// keepalived's order for one transition (§6.2): `notify_<state>` then the generic `notify`
    /// are queued on the instance's queue (they start now if it is idle), then the FIFO line
    /// is written. Returns at once.
    pub fn notify(&mut self, scripts: &NotifyScripts, n: &Notification) {
        self.queue(scripts, n, None);
    }

    /// [`Notifier::notify`] for a transition that happened at `transition`: each script's
    /// start and end are reported as a [`ScriptTiming`] (see [`Notifier::with_timings`]).
    pub fn notify_at(&mut self, scripts: &NotifyScripts, n: &Notification, transition: Instant) {
        self.queue(scripts, n, Some(transition));
    }

    fn queue(&mut self, scripts: &NotifyScripts, n: &Notification, since: Option<Instant>) {
        let has_script =
            state_script(scripts, n.state).is_some() || generic_script(scripts, n.state).is_some();
        if has_script {
            let timeout = self.script_timeout;
            let queue = self
                .queues
                .entry(n.instance.clone())
                .or_insert_with(|| spawn_queue(timeout));
            let _ = queue.tx.send(Work {
                scripts: scripts.clone(),
                notification: n.clone(),
                default_user: self.default_user.clone(),
                group: false,
                timing: since.zip(self.timings.clone()),
            });
        }
        self.fifos.write_line(&n.fifo_line());
    }

    /// Reload (keepalived closes and reopens its FIFOs, restarting their scripts): the old
    /// FIFOs are closed first, then `global`'s are opened. Queued scripts keep their order.
    pub fn reload(&mut self, global: &Global, default_user: Option<ScriptUser>) {
        self.fifos = Fifos::default();
        self.fifos = Fifos::open(
            global.notify_fifo.as_ref(),
            global.vrrp_notify_fifo.as_ref(),
            default_user.as_ref(),
        );
        self.default_user = default_user;
    }

    /// Daemon exit: closes the FIFOs (their readers see end of file after the last line, their
    /// scripts get SIGTERM), then waits until every queued script has run.
    pub async fn shutdown(mut self) {
        self.fifos = Fifos::default();
        let queues: Vec<Queue> = self.queues.drain().map(|(_, q)| q).collect();
        for q in queues {
            drop(q.tx);
            let _ = q.task.await;
        }
    }
}

fn spawn_queue(timeout: Duration) -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Work>();
    let task = tokio::spawn(async move {
        while let Some(w) = rx.recv().await {
            run_in_order(&w, timeout).await;
        }
    });
    Queue { tx, task }
}

/// One transition's scripts, one after the other. `notify_stop` keeps keepalived's 1 s bound
/// (then SIGKILL) so that a stopping daemon is not held up.
async fn run_in_order(w: &Work, timeout: Duration) {
    let n = &w.notification;
    let user = |cmd: &ScriptCommand| cmd.user.clone().or_else(|| w.default_user.clone());
    let report = |start: Instant| {
        if let Some((since, tx)) = &w.timing {
            let _ = tx.send(ScriptTiming {
                instance: n.instance.clone(),
                state: n.state,
                started: start.saturating_duration_since(*since),
                finished: Instant::now().saturating_duration_since(*since),
            });
        }
    };
    if let Some(cmd) = state_script(&w.scripts, n.state) {
        let start = Instant::now();
        let u = user(cmd);
        let spec = ExecSpec {
            argv: &cmd.argv,
            user: u.as_ref(),
            timeout: Some(timeout),
        };
        let outcome = if n.state == NotifyState::Stop {
            match exec::spawn_kill_after(spec, STOP_GRACE) {
                Ok(wait) => wait.await,
                Err(exec::Error::Exec { .. }) => Outcome::Exited(0),
                Err(e) => Outcome::SpawnFailed(e.to_string()),
            }
        } else {
            exec::run(spec).await
        };
        report(start);
        log_outcome(n, &cmd.argv[0], &outcome);
    }
    if let Some(cmd) = generic_script(&w.scripts, n.state) {
        let argv = if w.group {
            group::generic_argv(cmd, &n.instance, n.state)
        } else {
            n.generic_argv(cmd)
        };
        let u = user(cmd);
        let start = Instant::now();
        let outcome = exec::run(ExecSpec {
            argv: &argv,
            user: u.as_ref(),
            timeout: Some(timeout),
        })
        .await;
        report(start);
        log_outcome(n, &argv[0], &outcome);
    }
}

fn log_outcome(n: &Notification, program: &str, outcome: &Outcome) {
    let inst = &n.instance;
    let state = n.state;
    match outcome {
        Outcome::Exited(code) => {
            tracing::info!("({inst}) {state} notify script {program} exited with status {code}")
        }
        Outcome::Signaled(sig) => {
            tracing::info!("({inst}) {state} notify script {program} killed by signal {sig}")
        }
        Outcome::TimedOut => {
            tracing::warn!("({inst}) {state} notify script {program} timed out and was killed")
        }
        Outcome::SpawnFailed(e) => {
            tracing::warn!("({inst}) {state} notify script {program} not run: {e}")
        }
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

    fn note(instance: &str, state: NotifyState, priority: u8) -> Notification {
        Notification {
            instance: instance.into(),
            state,
            priority,
        }
    }

    /// Polls (bounded, 15 s) until `path` holds exactly `lines` lines; returns them.
    async fn wait_lines(path: &str, lines: usize) -> Vec<String> {
        for _ in 0..300 {
            if let Ok(s) = std::fs::read_to_string(path) {
                let got: Vec<String> = s.lines().map(str::to_owned).collect();
                if got.len() >= lines {
                    return got;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never got {lines} lines");
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

    #[test]
    fn fifo_line_is_keepalived_s() {
        assert_eq!(
            note("VI_1", NotifyState::Master, 100).fifo_line(),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(
            note("VI_1", NotifyState::Stop, 150).fifo_line(),
            "INSTANCE \"VI_1\" STOP 150\n"
        );
    }

    /// FIFO lines go out with the notification, scripts or not; a reload closes the old FIFO
    /// (removed: we created it) and writes to the new one.
    #[tokio::test]
    async fn notifier_writes_fifo_lines_and_reopens_on_reload() {
        use fifo::tests::{cfg, drain};
        let d = Scratch::new("notify-fifo");
        let (a, b) = (d.path("a.fifo"), d.path("b.fifo"));
        let mut global = Global {
            vrrp_notify_fifo: Some(cfg(&a)),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&global, None);
        let none = NotifyScripts::default();
        notifier.notify(&none, &note("VI_1", NotifyState::Backup, 100));
        notifier.notify(&none, &note("VI_1", NotifyState::Master, 100));
        assert_eq!(
            drain(&a),
            "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
        );
        global.vrrp_notify_fifo = None;
        global.notify_fifo = Some(cfg(&b));
        notifier.reload(&global, None);
        assert!(!std::path::Path::new(&a).exists());
        notifier.notify(&none, &note("VI_1", NotifyState::Stop, 100));
        assert_eq!(drain(&b), "INSTANCE \"VI_1\" STOP 100\n");
        notifier.shutdown().await;
        assert!(!std::path::Path::new(&b).exists());
    }

    #[tokio::test]
    async fn generic_gets_instance_name_state_prio_and_state_script_only_its_words() {
        let d = Scratch::new("notify");
        let master = recorder(&d, "master");
        let backup = recorder(&d, "backup");
        let generic = recorder(&d, "generic");
        let scripts = NotifyScripts {
            master: Some(Box::new(cmd(&[&master, "master-arg", "two words"]))),
            backup: Some(Box::new(cmd(&[&backup]))),
            generic: Some(Box::new(cmd(&[&generic, "g1"]))),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&Global::default(), None);
        notifier.notify(&scripts, &note("VI_1", NotifyState::Master, 100));
        notifier.shutdown().await;
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
    async fn notify_never_waits_and_missing_scripts_are_logged_only() {
        let d = Scratch::new("notify");
        let generic = recorder(&d, "generic");
        let hang = d.script("hang", "#!/bin/sh\nexec sleep 30\n");
        let mut notifier = Notifier::new(&Global::default(), None);
        // Returns although notify_fault hangs (and the generic script waits behind it).
        notifier.notify(
            &NotifyScripts {
                fault: Some(Box::new(cmd(&[&hang]))),
                ..Default::default()
            },
            &note("VI_1", NotifyState::Fault, 90),
        );
        // A nonexistent script only logs, and does not stop the queue.
        let n = note("VI_2", NotifyState::Fault, 90);
        notifier.notify(
            &NotifyScripts {
                master: Some(Box::new(cmd(&["/nonexistent/x"]))),
                fault: Some(Box::new(cmd(&["/nonexistent/y"]))),
                generic: Some(Box::new(cmd(&[&generic]))),
                ..Default::default()
            },
            &n,
        );
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "INSTANCE|VI_2|FAULT|90|\n"
        );
        // Dropping the notifier (and the runtime at test end) kills the hung script's group.
    }

    #[tokio::test]
    async fn notify_at_reports_each_script_s_start_and_end_after_the_transition() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let scripts = NotifyScripts {
            master: Some(Box::new(cmd(&["/bin/sleep", "0.1"]))),
            generic: Some(Box::new(cmd(&["/bin/true"]))),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&Global::default(), None).with_timings(tx);
        let transition = Instant::now() - Duration::from_secs(2);
        notifier.notify_at(
            &scripts,
            &note("VI_1", NotifyState::Master, 100),
            transition,
        );
        // Without a transition time nothing is reported.
        notifier.notify(&scripts, &note("VI_1", NotifyState::Master, 100));
        notifier.shutdown().await;
        let state = rx.recv().await.unwrap();
        let generic = rx.recv().await.unwrap();
        assert!(rx.recv().await.is_none());
        assert_eq!(
            (state.instance.as_str(), state.state),
            ("VI_1", NotifyState::Master)
        );
        assert!(state.started >= Duration::from_secs(2));
        assert!(state.finished >= state.started + Duration::from_millis(100));
        assert!(generic.started >= state.finished);
        assert!(generic.finished >= generic.started);
    }

    /// The ordering guarantee: a later transition's script starts only after the earlier one's
    /// scripts ended, although the earlier one is slow and the later one fast.
    #[tokio::test]
    async fn an_instance_s_scripts_run_in_transition_order_one_at_a_time() {
        let d = Scratch::new("notify-order");
        let log = d.path("order.log");
        // Each script appends "start X" and "end X" around a pause of $2 seconds.
        let step = d.script(
            "step",
            &format!("#!/bin/sh\necho \"start $1\" >> {log}\nsleep $2\necho \"end $1\" >> {log}\n"),
        );
        let scripts = NotifyScripts {
            master: Some(Box::new(cmd(&[&step, "master", "1"]))),
            backup: Some(Box::new(cmd(&[&step, "backup", "0"]))),
            fault: Some(Box::new(cmd(&[&step, "fault", "0.3"]))),
            generic: Some(Box::new(cmd(&[&step, "generic", "0"]))),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&Global::default(), None);
        // Three transitions queued at once, the slowest first.
        notifier.notify(&scripts, &note("VI_1", NotifyState::Master, 100));
        notifier.notify(&scripts, &note("VI_1", NotifyState::Fault, 100));
        notifier.notify(&scripts, &note("VI_1", NotifyState::Backup, 100));
        notifier.shutdown().await;
        let got = std::fs::read_to_string(&log).unwrap();
        let want = [
            "start master",
            "end master",
            "start generic",
            "end generic",
            "start fault",
            "end fault",
            "start generic",
            "end generic",
            "start backup",
            "end backup",
            "start generic",
            "end generic",
        ];
        assert_eq!(got.lines().collect::<Vec<_>>(), want);
    }

    /// Instances do not wait for each other: VI_1's script waits (bounded) for a file that only
    /// VI_2's script creates; with one global queue it would time out instead.
    #[tokio::test]
    async fn instances_are_independent() {
        let d = Scratch::new("notify-indep");
        let flag = d.path("flag");
        let out = d.path("vi1.out");
        let waiter = d.script(
            "waiter",
            &format!(
                "#!/bin/sh\ni=0\nwhile [ ! -e {flag} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n\
                 if [ -e {flag} ]; then echo saw-flag > {out}; else echo no-flag > {out}; fi\n"
            ),
        );
        let setter = d.script("setter", &format!("#!/bin/sh\ntouch {flag}\n"));
        let mut notifier = Notifier::new(&Global::default(), None);
        notifier.notify(
            &NotifyScripts {
                master: Some(Box::new(cmd(&[&waiter]))),
                ..Default::default()
            },
            &note("VI_1", NotifyState::Master, 100),
        );
        notifier.notify(
            &NotifyScripts {
                master: Some(Box::new(cmd(&[&setter]))),
                ..Default::default()
            },
            &note("VI_2", NotifyState::Master, 100),
        );
        notifier.shutdown().await;
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "saw-flag\n");
    }

    /// A hung script is stopped at the timeout and the queue moves on to the next transition.
    #[tokio::test]
    async fn a_hung_script_times_out_and_the_next_one_runs() {
        let d = Scratch::new("notify-timeout");
        let log = d.path("t.log");
        let hang = d.script(
            "hang",
            &format!("#!/bin/sh\necho hang-start >> {log}\nsleep 30\necho hang-end >> {log}\n"),
        );
        let next = d.script("next", &format!("#!/bin/sh\necho \"$@\" >> {log}\n"));
        let mut notifier =
            Notifier::new(&Global::default(), None).with_script_timeout(Duration::from_millis(300));
        notifier.notify(
            &NotifyScripts {
                master: Some(Box::new(cmd(&[&hang]))),
                ..Default::default()
            },
            &note("VI_1", NotifyState::Master, 100),
        );
        notifier.notify(
            &NotifyScripts {
                generic: Some(Box::new(cmd(&[&next]))),
                ..Default::default()
            },
            &note("VI_1", NotifyState::Backup, 100),
        );
        let got = wait_lines(&log, 2).await;
        assert_eq!(got, ["hang-start", "INSTANCE VI_1 BACKUP 100"]);
        notifier.shutdown().await;
    }

    #[test]
    fn event_and_deleted_names_and_fifo_lines() {
        assert_eq!(
            note("VI_1", NotifyState::MasterRxLowerPri, 150).fifo_line(),
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n"
        );
        assert_eq!(
            note("VI_1", NotifyState::MasterPriority, 90).fifo_line(),
            "INSTANCE \"VI_1\" MASTER_PRIORITY 90\n"
        );
        assert_eq!(
            note("VI_1", NotifyState::BackupPriority, 80).fifo_line(),
            "INSTANCE \"VI_1\" BACKUP_PRIORITY 80\n"
        );
        assert_eq!(
            note("VI_1", NotifyState::Deleted, 100).fifo_line(),
            "INSTANCE \"VI_1\" DELETED 100\n"
        );
        assert!(NotifyState::Deleted.is_state() && NotifyState::Stop.is_state());
        assert!(!NotifyState::MasterRxLowerPri.is_state());
        assert_eq!(
            NotifyState::for_deletion(true, true),
            Some(NotifyState::Deleted)
        );
        assert_eq!(
            NotifyState::for_deletion(false, false),
            Some(NotifyState::Fault)
        );
        assert_eq!(NotifyState::for_deletion(false, true), None);
    }

    /// `notify_master_rx_lower_pri` gets its configured words only and the generic `notify`
    /// does not run for it (keepalived's `send_event_notify()`); priority events are FIFO-only.
    /// `notify_deleted CMD` runs its command and the generic script sees `DELETED`.
    #[tokio::test]
    async fn events_run_their_own_script_only_and_always_write_the_fifo() {
        use fifo::tests::{cfg, drain};
        let d = Scratch::new("notify-events");
        let fifo = d.path("ev.fifo");
        let lower = recorder(&d, "lower");
        let deleted = recorder(&d, "deleted");
        let generic_log = d.path("generic.log");
        let generic = d.script(
            "generic",
            &format!("#!/bin/sh\necho \"$@\" >> {generic_log}\n"),
        );
        let scripts = NotifyScripts {
            generic: Some(Box::new(cmd(&[&generic, "g"]))),
            master_rx_lower_pri: Some(Box::new(cmd(&[&lower, "arg one"]))),
            deleted: Some(Box::new(cmd(&[&deleted]))),
            notify_deleted: true,
            ..Default::default()
        };
        let global = Global {
            vrrp_notify_fifo: Some(cfg(&fifo)),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&global, None);
        notifier.notify(&scripts, &note("VI_1", NotifyState::MasterRxLowerPri, 150));
        notifier.notify(&scripts, &note("VI_1", NotifyState::MasterPriority, 120));
        notifier.notify(&scripts, &note("VI_1", NotifyState::Deleted, 120));
        assert_eq!(
            drain(&fifo),
            "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\nINSTANCE \"VI_1\" MASTER_PRIORITY 120\n\
             INSTANCE \"VI_1\" DELETED 120\n"
        );
        notifier.shutdown().await;
        assert_eq!(wait_for_file(&d.path("lower.out")).await, "arg one|\n");
        assert_eq!(wait_for_file(&d.path("deleted.out")).await, "|\n");
        // Only the DELETED state reached the generic script.
        assert_eq!(
            std::fs::read_to_string(&generic_log).unwrap(),
            "g INSTANCE VI_1 DELETED 120\n"
        );
    }

    #[tokio::test]
    async fn stop_kills_notify_stop_after_its_grace_then_runs_generic() {
        let d = Scratch::new("notify");
        let generic = recorder(&d, "generic");
        let hang = d.script("stop", "#!/bin/sh\ntrap '' TERM\nexec sleep 30\n");
        let scripts = NotifyScripts {
            stop: Some(Box::new(cmd(&[&hang]))),
            generic: Some(Box::new(cmd(&[&generic]))),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&Global::default(), None);
        notifier.notify(&scripts, &note("VI_1", NotifyState::Stop, 150));
        tokio::time::timeout(Duration::from_secs(10), notifier.shutdown())
            .await
            .expect("notify_stop not killed after its grace");
        // The generic script reports the effective priority for STOP, not 0.
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "INSTANCE|VI_1|STOP|150|\n"
        );
    }
}
