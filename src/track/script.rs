//! `vrrp_script` runners: one tokio task per script runs it on its interval, classifies each
//! result as keepalived's `vrrp_script_child_thread()` does, applies [`ScriptPolicy`] and sends a
//! `TrackEvent::Script` to the daemon loop when the script's state changes (inventory §3.1).
//!
//! Scheduling as `vrrp_script_thread()` (keepalived ≥ 2.2.8): the first run starts at once, the
//! timer is re-armed `interval` after the *start* of each run, and a tick that finds the previous
//! run still going is skipped with `Track script X is already running, expect idle - skipping
//! run` (or `… is being timed out, …` once its timeout has passed). A run that cannot be started
//! at all produces no result, as in keepalived.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::exec::{self, ExecSpec, Outcome};
use crate::model::{ScriptUser, TrackEvent, VrrpScript};
use crate::track::policy::ScriptPolicy;

/// The running script tasks. Dropping it (or calling [`Runners::stop`]) aborts every runner and
/// SIGKILLs the process group of any check still running (the daemon does this at reload and
/// shutdown).
#[derive(Debug, Default)]
pub struct Runners {
    tasks: Vec<JoinHandle<()>>,
    counts: Vec<(String, Arc<RunCounts>)>,
}

/// One `vrrp_script`'s results since the daemon started, for observers such as the metrics
/// endpoint: its runner bumps them, anyone holding the handle reads them without a lock and
/// without asking the event loop. Beyond keepalived, which keeps only the current status.
#[derive(Debug, Default)]
pub struct RunCounts {
    success: AtomicU64,
    failure: AtomicU64,
    signaled: AtomicU64,
    timed_out: AtomicU64,
    not_started: AtomicU64,
    /// Exit status of the last run that exited; `i64::MIN` before the first.
    last_status: AtomicI64,
    /// [`ScriptStatus`] as a number (0 unknown, 1 good, 2 bad).
    status: AtomicU8,
    running: AtomicBool,
}

/// A script's state after its rise/fall policy (keepalived's `Status = GOOD|BAD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptStatus {
    /// No result yet.
    Unknown,
    /// Succeeding (after `rise`).
    Good,
    /// Failing (after `fall`, or `init_fail`).
    Bad,
}

/// The values of a [`RunCounts`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTally {
    /// Runs that exited with status 0.
    pub success: u64,
    /// Runs that exited with another status.
    pub failure: u64,
    /// Runs killed by a signal we did not send.
    pub signaled: u64,
    /// Runs killed at their timeout.
    pub timed_out: u64,
    /// Runs that could not be started (no result, as in keepalived).
    pub not_started: u64,
    /// Exit status of the last run that exited.
    pub last_status: Option<i32>,
    /// State after the rise/fall policy.
    pub status: ScriptStatus,
    /// A run is in progress (keepalived's `State = running`).
    pub running: bool,
}

impl RunCounts {
    fn new() -> Self {
        Self {
            last_status: AtomicI64::new(i64::MIN),
            ..Default::default()
        }
    }

    fn record(&self, outcome: &Outcome) {
        let counter = match outcome {
            Outcome::Exited(0) => &self.success,
            Outcome::Exited(_) => &self.failure,
            Outcome::Signaled(_) => &self.signaled,
            Outcome::TimedOut => &self.timed_out,
            Outcome::SpawnFailed(_) => &self.not_started,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Outcome::Exited(status) = outcome {
            self.last_status
                .store(i64::from(*status), Ordering::Relaxed);
        }
    }

    fn set_status(&self, ok: Option<bool>) {
        let v = match ok {
            None => 0,
            Some(true) => 1,
            Some(false) => 2,
        };
        self.status.store(v, Ordering::Relaxed);
    }

    /// The current values.
    pub fn read(&self) -> RunTally {
        let last = self.last_status.load(Ordering::Relaxed);
        RunTally {
            success: self.success.load(Ordering::Relaxed),
            failure: self.failure.load(Ordering::Relaxed),
            signaled: self.signaled.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
            not_started: self.not_started.load(Ordering::Relaxed),
            last_status: (last != i64::MIN).then_some(last as i32),
            status: match self.status.load(Ordering::Relaxed) {
                1 => ScriptStatus::Good,
                2 => ScriptStatus::Bad,
                _ => ScriptStatus::Unknown,
            },
            running: self.running.load(Ordering::Relaxed),
        }
    }
}

impl Runners {
    /// Each script's [`RunCounts`], in configuration order.
    pub fn counts(&self) -> &[(String, Arc<RunCounts>)] {
        &self.counts
    }

    /// Number of scripts being run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when no script is being run.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Aborts every runner now.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Runners {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs every vrrp_script of the config on its interval (timer re-armed at the start of each
/// run; a run still in progress => skip with keepalived's log line), classifies results, applies
/// [`ScriptPolicy`], and sends `TrackEvent::Script { name, ok }` on `tx` when the state changes.
///
/// A script with `init_fail` starts KO: one `ok: false` event is sent for it at once, so the
/// instances tracking it start from the failed state as in keepalived. Scripts run as their own
/// `user`, else `default_user` (`script_user`), else the daemon's user; with `timeout` unset the
/// timeout is the interval. A runner ends by itself when the receiver of `tx` is dropped.
/// Must be called inside a tokio runtime (outside one it logs an error and runs nothing).
pub fn spawn_script_runners(
    scripts: &[VrrpScript],
    default_user: Option<&ScriptUser>,
    tx: UnboundedSender<TrackEvent>,
) -> Runners {
    spawn_script_runners_counted(scripts, default_user, tx, &[])
}

/// [`spawn_script_runners`], carrying on the [`RunCounts`] of `previous` runners (a reload
/// restarts them) for the scripts that keep their name, so counters never go backwards.
pub fn spawn_script_runners_counted(
    scripts: &[VrrpScript],
    default_user: Option<&ScriptUser>,
    tx: UnboundedSender<TrackEvent>,
    previous: &[(String, Arc<RunCounts>)],
) -> Runners {
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::error!("vrrp_script runners need a tokio runtime; no script will run");
        return Runners::default();
    }
    let mut counts = Vec::new();
    let tasks = scripts
        .iter()
        .map(|s| {
            let count = previous
                .iter()
                .find(|(n, _)| *n == s.name)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| Arc::new(RunCounts::new()));
            // A restarted runner starts from its policy again: no run in progress.
            count.running.store(false, Ordering::Relaxed);
            counts.push((s.name.clone(), count.clone()));
            let argv = s.command.argv.clone();
            let user = s.command.user.clone().or_else(|| default_user.cloned());
            let interval = effective_interval(s.interval);
            let timeout = s.timeout.filter(|t| !t.is_zero()).unwrap_or(interval);
            let exec = move || {
                let argv = argv.clone();
                let user = user.clone();
                async move {
                    let spec = ExecSpec {
                        argv: &argv,
                        user: user.as_ref(),
                        timeout: Some(timeout),
                    };
                    exec::run(spec).await
                }
            };
            let policy = ScriptPolicy::new(s.rise, s.fall, s.init_fail);
            tokio::spawn(script_loop(
                s.name.clone(),
                interval,
                timeout,
                policy,
                exec,
                tx.clone(),
                count,
            ))
        })
        .collect();
    Runners { tasks, counts }
}

/// keepalived turns `interval 0` into 1 s; never spin.
fn effective_interval(interval: Duration) -> Duration {
    if interval.is_zero() {
        Duration::from_secs(1)
    } else {
        interval
    }
}

/// One script's schedule. `exec` starts one run; generic so tests can drive it on virtual time.
async fn script_loop<F, Fut>(
    name: String,
    interval: Duration,
    timeout: Duration,
    mut policy: ScriptPolicy,
    mut exec: F,
    tx: UnboundedSender<TrackEvent>,
    counts: Arc<RunCounts>,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
    counts.set_status(policy.state());
    if policy.state() == Some(false)
        && tx
            .send(TrackEvent::Script {
                name: name.clone(),
                ok: false,
            })
            .is_err()
    {
        return;
    }
    let mut last_status = 0;
    let mut next = Instant::now();
    let mut running: Option<(Pin<Box<Fut>>, Instant)> = None;
    loop {
        tokio::select! {
            biased;
            outcome = async { running.as_mut().map(|r| r.0.as_mut()).expect("guarded").await },
                if running.is_some() =>
            {
                running = None;
                counts.running.store(false, Ordering::Relaxed);
                counts.record(&outcome);
                let change = judge(&name, &mut last_status, &mut policy, outcome);
                counts.set_status(policy.state());
                if let Some(ok) = change {
                    if tx.send(TrackEvent::Script { name: name.clone(), ok }).is_err() {
                        return;
                    }
                }
            }
            _ = tokio::time::sleep_until(next) => {
                let now = Instant::now();
                next = now + interval;
                match &running {
                    Some((_, started)) => {
                        let what = if now >= *started + timeout { "being timed out" } else { "already running" };
                        tracing::info!("Track script {name} is {what}, expect idle - skipping run");
                    }
                    None => {
                        counts.running.store(true, Ordering::Relaxed);
                        running = Some((Box::pin(exec()), now));
                    }
                }
            }
            _ = tx.closed() => return,
        }
    }
}

/// Classifies one run, logs it as keepalived does, and applies the rise/fall policy.
/// Returns the new state when it changed.
fn judge(
    name: &str,
    last_status: &mut i32,
    policy: &mut ScriptPolicy,
    outcome: Outcome,
) -> Option<bool> {
    let (ok, failure) = match outcome {
        Outcome::Exited(status) => {
            if status != *last_status {
                tracing::info!("Script `{name}` now returning {status}");
            }
            *last_status = status;
            (status == 0, format!("failed (exited with status {status})"))
        }
        Outcome::Signaled(sig) => (false, format!("failed (due to signal {sig})")),
        Outcome::TimedOut => (false, "timed_out".to_owned()),
        Outcome::SpawnFailed(why) => {
            tracing::warn!("VRRP_Script({name}) could not be run: {why}");
            return None;
        }
    };
    let change = policy.handle_result(ok);
    match change {
        Some(true) => tracing::info!("VRRP_Script({name}) succeeded"),
        Some(false) => tracing::info!("VRRP_Script({name}) {failure}"),
        None => {}
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::tests::Scratch;
    use crate::model::ScriptCommand;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::mpsc;

    const WAIT: Duration = Duration::from_secs(10);

    fn vrrp_script(name: &str, argv: &[&str], interval_ms: u64) -> VrrpScript {
        VrrpScript {
            name: name.into(),
            command: ScriptCommand {
                argv: argv.iter().map(|s| s.to_string()).collect(),
                user: None,
            },
            interval: Duration::from_millis(interval_ms),
            timeout: None,
            weight: 0,
            reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        }
    }

    async fn next_event(rx: &mut mpsc::UnboundedReceiver<TrackEvent>) -> TrackEvent {
        tokio::time::timeout(WAIT, rx.recv())
            .await
            .expect("no event in time")
            .expect("channel closed")
    }

    fn ev(name: &str, ok: bool) -> TrackEvent {
        TrackEvent::Script {
            name: name.into(),
            ok,
        }
    }

    #[tokio::test]
    async fn flipping_script_reports_each_change_in_order() {
        let d = Scratch::new("track");
        let state = d.path("state");
        std::fs::write(&state, "0\n").unwrap();
        let s = d.script("chk.sh", &format!("#!/bin/sh\nexit $(cat {state})\n"));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _runners = spawn_script_runners(&[vrrp_script("chk", &[&s], 50)], None, tx);
        assert_eq!(next_event(&mut rx).await, ev("chk", true));
        std::fs::write(&state, "1\n").unwrap();
        assert_eq!(next_event(&mut rx).await, ev("chk", false));
        std::fs::write(&state, "0\n").unwrap();
        assert_eq!(next_event(&mut rx).await, ev("chk", true));
    }

    #[tokio::test]
    async fn hanging_script_is_timed_out_and_reported_failed() {
        let d = Scratch::new("track");
        let s = d.script("hang.sh", "#!/bin/sh\nexec sleep 30\n");
        let mut sc = vrrp_script("hang", &[&s], 60_000);
        sc.timeout = Some(Duration::from_millis(200));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _runners = spawn_script_runners(&[sc], None, tx);
        assert_eq!(next_event(&mut rx).await, ev("hang", false));
    }

    #[tokio::test]
    async fn init_fail_reports_ko_at_once_then_ok_after_rise() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut sc = vrrp_script("up", &["/bin/true"], 50);
        sc.init_fail = true;
        sc.rise = 2;
        let _runners = spawn_script_runners(&[sc], None, tx);
        assert_eq!(next_event(&mut rx).await, ev("up", false));
        assert_eq!(next_event(&mut rx).await, ev("up", true));
    }

    #[tokio::test]
    async fn dropping_runners_stops_them() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let runners = spawn_script_runners(&[vrrp_script("t", &["/bin/true"], 50)], None, tx);
        assert_eq!(runners.len(), 1);
        assert_eq!(next_event(&mut rx).await, ev("t", true));
        drop(runners);
        // The aborted tasks drop their senders: the channel closes instead of staying silent.
        assert_eq!(tokio::time::timeout(WAIT, rx.recv()).await.unwrap(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn run_in_progress_is_skipped_and_timer_rearms_from_run_start() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (started_tx, mut started_rx) = mpsc::unbounded_channel::<Instant>();
        let (release_tx, release_rx) = mpsc::unbounded_channel::<Outcome>();
        let release_rx = Arc::new(tokio::sync::Mutex::new(release_rx));
        let runs = Arc::new(AtomicUsize::new(0));
        let exec = {
            let runs = runs.clone();
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
                started_tx.send(Instant::now()).unwrap();
                let release_rx = release_rx.clone();
                async move { release_rx.lock().await.recv().await.unwrap() }
            }
        };
        let second = Duration::from_secs(1);
        let t0 = Instant::now();
        let task = tokio::spawn(script_loop(
            "slow".into(),
            second,
            Duration::from_secs(10),
            ScriptPolicy::new(1, 1, false),
            exec,
            tx,
            Arc::new(RunCounts::new()),
        ));
        assert_eq!(started_rx.recv().await.unwrap() - t0, Duration::ZERO);
        // Ticks at 1 s, 2 s and 3 s find run #1 still going: no new run.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        release_tx.send(Outcome::Exited(0)).unwrap();
        assert_eq!(rx.recv().await.unwrap(), ev("slow", true));
        // Run #2 starts at the next tick, 4 s (re-armed from each tick, not from the end).
        assert_eq!(started_rx.recv().await.unwrap() - t0, 4 * second);
        release_tx.send(Outcome::TimedOut).unwrap();
        assert_eq!(rx.recv().await.unwrap(), ev("slow", false));
        assert_eq!(started_rx.recv().await.unwrap() - t0, 5 * second);
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn run_counts_follow_every_outcome_and_survive_a_restart() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let outcomes = Arc::new(std::sync::Mutex::new(vec![
            Outcome::SpawnFailed("no such user".into()),
            Outcome::TimedOut,
            Outcome::Signaled(9),
            Outcome::Exited(3),
            Outcome::Exited(0),
        ]));
        let exec = move || {
            let o = outcomes.lock().unwrap().pop();
            async move { o.unwrap_or(Outcome::Exited(0)) }
        };
        let counts = Arc::new(RunCounts::new());
        assert_eq!(counts.read().status, ScriptStatus::Unknown);
        assert_eq!(counts.read().last_status, None);
        let task = tokio::spawn(script_loop(
            "c".into(),
            Duration::from_secs(1),
            Duration::from_secs(1),
            ScriptPolicy::new(1, 1, false),
            exec,
            tx,
            counts.clone(),
        ));
        assert_eq!(rx.recv().await.unwrap(), ev("c", true));
        assert_eq!(counts.read().status, ScriptStatus::Good);
        assert_eq!(rx.recv().await.unwrap(), ev("c", false));
        // Runs 3 and 4 (signal, timeout) keep it failed; run 5 cannot start.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        task.abort();
        assert_eq!(
            counts.read(),
            RunTally {
                success: 1,
                failure: 1,
                signaled: 1,
                timed_out: 1,
                not_started: 1,
                last_status: Some(3),
                status: ScriptStatus::Bad,
                running: false,
            }
        );
        // A reload restarting the runners keeps the counts of a script that keeps its name.
        let (tx, _rx) = mpsc::unbounded_channel();
        let previous = vec![("c".to_string(), counts.clone())];
        let runners = spawn_script_runners_counted(
            &[
                vrrp_script("c", &["/bin/true"], 60_000),
                vrrp_script("d", &["/bin/true"], 60_000),
            ],
            None,
            tx,
            &previous,
        );
        assert!(Arc::ptr_eq(&runners.counts()[0].1, &counts));
        assert_eq!(runners.counts()[1].1.read().success, 0);
    }

    #[test]
    fn judge_classifies_like_keepalived() {
        let mut p = ScriptPolicy::new(1, 1, false);
        let mut last = 0;
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::Exited(0)),
            Some(true)
        );
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::Exited(2)),
            Some(false)
        );
        assert_eq!(last, 2);
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::Exited(0)),
            Some(true)
        );
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::Signaled(11)),
            Some(false)
        );
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::Exited(0)),
            Some(true)
        );
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::TimedOut),
            Some(false)
        );
        // Nothing ran: no result, the state is untouched.
        assert_eq!(
            judge("x", &mut last, &mut p, Outcome::SpawnFailed("x".into())),
            None
        );
        assert_eq!(p.state(), Some(false));
    }
}
