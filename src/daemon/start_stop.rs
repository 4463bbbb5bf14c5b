//! `startup_script` and `shutdown_script`, run as keepalived's parent runs them
//! (`core/main.c` `run_startup_script()`, `startup_shutdown_script_completed()`): through
//! [`crate::exec`] like every script (its user, script security, own process group), waited
//! for, with the configured timeout (then SIGTERM to its group, SIGKILL 2 s later). VRRP
//! starts only once the startup script is done; the daemon exits once the shutdown script is.

use crate::exec::{self, ExecSpec, Outcome};
use crate::model::{ScriptUser, StartStopScript};

/// Which of the two scripts, as keepalived names it in its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `startup_script`.
    Startup,
    /// `shutdown_script`.
    Shutdown,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Startup => "startup",
            Self::Shutdown => "shutdown",
        }
    }
}

/// keepalived's log line for how the script ended (`None`: nothing is logged). keepalived's
/// type string is "startup script" and its format adds " script": the doubled word is its.
pub fn outcome_line(kind: Kind, outcome: &Outcome, argv0: &str) -> Option<String> {
    let ty = kind.name();
    match outcome {
        Outcome::Exited(0) => None,
        Outcome::Exited(n) => Some(format!("{ty} script script failed, status {n}")),
        Outcome::Signaled(_) => None,
        Outcome::TimedOut => Some(format!("{ty} script timed out")),
        Outcome::SpawnFailed(why) => Some(format!("Call of {ty} script {argv0} failed ({why})")),
    }
}

/// Runs `script` and waits for it; `default_user` runs it when it names no user.
pub async fn run(kind: Kind, script: &StartStopScript, default_user: Option<&ScriptUser>) {
    let argv0 = &script.command.argv[0];
    let ty = kind.name();
    tracing::debug!("Running {ty} script {argv0}");
    let outcome = exec::run(ExecSpec {
        argv: &script.command.argv,
        user: script.command.user.as_ref().or(default_user),
        timeout: Some(script.timeout),
    })
    .await;
    match outcome_line(kind, &outcome, argv0) {
        Some(line) => tracing::info!("{line}"),
        None if outcome == Outcome::Exited(0) => {
            tracing::debug!("{ty} script script succeeded")
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScriptCommand;
    use std::time::{Duration, Instant};

    fn script(argv: &[&str], timeout_s: u64) -> StartStopScript {
        StartStopScript {
            command: ScriptCommand {
                argv: argv.iter().map(|s| s.to_string()).collect(),
                user: None,
            },
            timeout: Duration::from_secs(timeout_s),
        }
    }

    #[test]
    fn log_lines_are_keepalived_s() {
        let l = |k, o| outcome_line(k, &o, "/x");
        assert_eq!(l(Kind::Startup, Outcome::Exited(0)), None);
        assert_eq!(
            l(Kind::Startup, Outcome::Exited(3)).unwrap(),
            "startup script script failed, status 3"
        );
        assert_eq!(
            l(Kind::Shutdown, Outcome::TimedOut).unwrap(),
            "shutdown script timed out"
        );
        assert_eq!(l(Kind::Shutdown, Outcome::Signaled(9)), None);
    }

    #[tokio::test]
    async fn the_script_is_waited_for_and_its_side_effects_are_done() {
        let dir = std::env::temp_dir().join(format!("ka-startstop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mark = dir.join("ran");
        let s = script(
            &[
                "/bin/sh",
                "-c",
                &format!("sleep 0.2; echo up > {}", mark.display()),
            ],
            5,
        );
        run(Kind::Startup, &s, None).await;
        assert_eq!(std::fs::read_to_string(&mark).unwrap(), "up\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_script_past_its_timeout_is_killed() {
        let s = script(&["/bin/sh", "-c", "sleep 30"], 1);
        let t0 = Instant::now();
        run(Kind::Shutdown, &s, None).await;
        // SIGTERM at 1 s ends `sh`; nowhere near the 30 s it asked for.
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    }
}
