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
}

impl Runners {
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
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::error!("vrrp_script runners need a tokio runtime; no script will run");
        return Runners::default();
    }
    let tasks = scripts
        .iter()
        .map(|s| {
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
            ))
        })
        .collect();
    Runners { tasks }
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
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Outcome>,
{
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
                if let Some(ok) = judge(&name, &mut last_status, &mut policy, outcome) {
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
                    None => running = Some((Box::pin(exec()), now)),
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
