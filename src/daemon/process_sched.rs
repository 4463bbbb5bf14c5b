//! What keepalived's VRRP child does to itself when it starts (`lib/process.c`
//! `set_process_priorities()`, `set_process_cpu_affinity()`, `lib/utils.c`
//! `set_process_name()`), applied to our one process: nice value or `SCHED_RR` with
//! `RLIMIT_RTTIME`, `mlockall`, CPU affinity, the process name; and its automatic real-time
//! priority bump when the event loop runs late (`increment_process_priority()`).
//!
//! Linux applies nice values, scheduling policies and CPU affinity per thread, and a new thread
//! starts with its creator's: [`ProcessSched::apply`] is called on the main thread, which runs
//! the event loop, before any other thread is started, so that they all get them. Scripts get
//! back what the daemon had (see [`crate::exec::set_child_resets`]); giving back a higher
//! `RLIMIT_RTTIME` hard limit needs `CAP_SYS_RESOURCE`, as for keepalived's children.

use std::time::Duration;

use crate::model::ProcessSettings;

/// `SCHED_RESET_ON_FORK` (not in `libc`): children (our scripts) start as `SCHED_OTHER`.
const SCHED_RESET_ON_FORK: libc::c_int = 0x4000_0000;
/// `sched_get_priority_min(SCHED_RR)` on Linux: where the automatic bump starts.
const RR_PRIORITY_MIN: u32 = 1;

/// The process's scheduling as set so far, for the automatic bump.
#[derive(Debug, Default)]
pub struct ProcessSched {
    /// The `SCHED_RR` priority in force (0 = not real-time).
    cur_rt_priority: u32,
    /// `max_auto_priority`: the bump stops there (0 = no bump).
    max_rt_priority: u32,
    /// `RLIMIT_RTTIME` in force, microseconds (0 = none set).
    cur_rlimit_rttime: u64,
    /// `vrrp_rlimit_rttime` to set when the bump makes the process real-time.
    default_rlimit_rttime: u64,
    /// `min_auto_priority_delay`: how late a timer may run before the bump.
    min_delay: Duration,
    /// The nice value before ours, to give scripts (`None` = not changed).
    orig_nice: Option<i32>,
    /// `RLIMIT_RTTIME` before ours, to give scripts.
    orig_rttime: Option<(u64, u64)>,
}

fn errno_text() -> String {
    std::io::Error::last_os_error().to_string()
}

impl ProcessSched {
    /// keepalived's `set_process_priorities()` then `set_process_cpu_affinity()`: a
    /// real-time priority (with its rlimit) or else the nice value, memory locking, CPUs.
    /// Failures are logged with keepalived's lines and the daemon goes on.
    pub fn apply(&mut self, p: &ProcessSettings) {
        if p.max_auto_priority != -1 {
            self.max_rt_priority = p.max_auto_priority.max(0) as u32;
        }
        if p.rt_priority > 0 {
            self.set_realtime(p.rt_priority, p.rlimit_rttime);
        } else {
            if p.priority != 0 {
                self.set_nice(p.priority);
            }
            self.default_rlimit_rttime = p.rlimit_rttime;
        }
        if !p.min_auto_priority_delay.is_zero() {
            self.min_delay = p.min_auto_priority_delay;
        }
        if p.no_swap {
            lock_in_memory();
        }
        if !p.cpu_affinity.is_empty() {
            set_affinity(&p.cpu_affinity);
        }
        crate::exec::set_child_resets(self.orig_nice, self.orig_rttime);
    }

    fn set_realtime(&mut self, priority: u32, rlimit: u64) {
        let sp = libc::sched_param {
            sched_priority: priority as libc::c_int,
        };
        // SAFETY: sched_setscheduler(2) on ourselves with a valid sched_param.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_RR | SCHED_RESET_ON_FORK, &sp) } != 0 {
            tracing::warn!("child process: cannot raise priority");
            return;
        }
        self.cur_rt_priority = priority;
        if rlimit == 0 {
            return;
        }
        let mut orig = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit(2) writes into `orig`.
        let have_orig = unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut orig) } == 0;
        // Half as the soft limit: SIGXCPU (logged) well before the hard limit's SIGKILL.
        let lim = libc::rlimit {
            rlim_cur: rlimit / 2,
            rlim_max: rlimit,
        };
        // SAFETY: setrlimit(2) with a valid rlimit.
        if unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &lim) } != 0 {
            tracing::warn!("child process cannot set realtime rlimit");
        } else {
            self.cur_rlimit_rttime = rlimit;
            if have_orig && self.orig_rttime.is_none() {
                self.orig_rttime = Some((orig.rlim_cur, orig.rlim_max));
            }
        }
    }

    fn set_nice(&mut self, priority: i32) {
        // SAFETY: getpriority/setpriority(2) on ourselves; errno is cleared first because -1
        // is a valid nice value.
        unsafe {
            let orig = libc::getpriority(libc::PRIO_PROCESS, 0);
            *libc::__errno_location() = 0;
            if libc::setpriority(libc::PRIO_PROCESS, 0, priority) == -1
                && *libc::__errno_location() != 0
            {
                tracing::info!(
                    "Unable to set process priority to {priority} - {}",
                    errno_text()
                );
                return;
            }
            self.orig_nice.get_or_insert(orig);
        }
    }

    /// The loop ran `late` after the deadline it waited for. Later than
    /// `min_auto_priority_delay` with `max_auto_priority` set, keepalived logs it and makes
    /// the process real-time, or raises its real-time priority by one, up to the maximum.
    /// Returns the new priority when it changed.
    pub fn handle_late(&mut self, late: Duration) -> Option<u32> {
        if self.min_delay.is_zero() || late <= self.min_delay {
            return None;
        }
        tracing::info!(
            "A thread timer expired {}.{:06} seconds ago",
            late.as_secs(),
            late.subsec_micros()
        );
        if self.max_rt_priority == 0 {
            return None;
        }
        let next = if self.cur_rt_priority > 0 {
            if self.cur_rt_priority >= self.max_rt_priority {
                return None;
            }
            self.cur_rt_priority + 1
        } else {
            RR_PRIORITY_MIN
        };
        let rlimit = if self.cur_rlimit_rttime > 0 {
            0
        } else {
            self.default_rlimit_rttime
        };
        let before = self.cur_rt_priority;
        self.set_realtime(next, rlimit);
        crate::exec::set_child_resets(self.orig_nice, self.orig_rttime);
        (self.cur_rt_priority != before).then(|| {
            tracing::info!("Set realtime priority {}", self.cur_rt_priority);
            self.cur_rt_priority
        })
    }

    /// The `SCHED_RR` priority in force (0 = none).
    #[cfg(test)]
    pub fn realtime_priority(&self) -> u32 {
        self.cur_rt_priority
    }
}

/// `set_process_dont_swap()`: every page now and later stays in memory (faulted in on first
/// use, so thread stacks are not all locked at once).
fn lock_in_memory() {
    // SAFETY: mlockall(2) takes flags only.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE | libc::MCL_ONFAULT) } != 0 {
        tracing::info!("Unable to lock process in memory - {}", errno_text());
    }
}

/// `set_process_cpu_affinity()`.
fn set_affinity(cpus: &[u32]) {
    // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET only touches bits below
    // CPU_SETSIZE (the parser keeps the ids below it).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c as usize, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            tracing::warn!(
                "unable to set cpu affinity to vrrp process ({})",
                errno_text()
            );
        }
    }
}

/// keepalived's `set_process_name()`: the name `ps`, `top` and `killall` see
/// (`/proc/PID/comm`, 15 bytes). `None` puts back `keepalived`.
pub fn set_process_name(name: Option<&str>) {
    let name = name.unwrap_or("keepalived");
    let Ok(c) = std::ffi::CString::new(name) else {
        return;
    };
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of which it keeps 15 bytes.
    if unsafe { libc::prctl(libc::PR_SET_NAME, c.as_ptr() as libc::c_ulong, 0, 0, 0) } != 0 {
        tracing::info!("Failed to set process name '{name}'");
    }
}

/// The current thread's scheduling policy, priority and nice value.
#[cfg(test)]
pub fn current() -> (libc::c_int, i32, i32) {
    // SAFETY: read-only scheduling queries on ourselves.
    unsafe {
        let policy = libc::sched_getscheduler(0);
        let mut sp = libc::sched_param { sched_priority: 0 };
        libc::sched_getparam(0, &mut sp);
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        (policy, sp.sched_priority, nice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit 24 of the effective capabilities.
    fn has_cap_sys_resource() -> bool {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .is_some_and(|caps| caps & (1 << 24) != 0)
    }

    /// The children's reset values are process-wide: one test at a time sets them.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Runs `f` on a thread of its own: nice values and policies are per thread on Linux, so
    /// the test harness's other threads are untouched.
    fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        std::thread::spawn(f).join().expect("test thread")
    }

    /// Runs a script copying `/proc/self/<what>` to `out`, as the daemon runs scripts, from the
    /// calling thread (whose scheduling the test changed), and waits for it.
    fn script_copies_proc_self(what: &str, out: &std::path::Path) {
        let argv: Vec<String> = [
            "/bin/sh",
            "-c",
            &format!("cat /proc/self/{what} > {}", out.display()),
        ]
        .map(String::from)
        .to_vec();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(crate::exec::run(crate::exec::ExecSpec {
            argv: &argv,
            user: None,
            timeout: Some(Duration::from_secs(10)),
        }));
    }

    #[test]
    fn scripts_get_the_realtime_limit_the_daemon_had() {
        let dir = crate::exec::tests::Scratch::new("rttime");
        let out = dir.0.join("limits");
        let (set, orig) = on_thread({
            let out = out.clone();
            move || {
                let mut s = ProcessSched::default();
                s.apply(&ProcessSettings {
                    rt_priority: 2,
                    rlimit_rttime: 400_000,
                    ..Default::default()
                });
                script_copies_proc_self("limits", &out);
                let orig = s.orig_rttime;
                if let Some((cur, max)) = orig {
                    let back = libc::rlimit {
                        rlim_cur: cur,
                        rlim_max: max,
                    };
                    // SAFETY: setrlimit(2) with a valid rlimit.
                    unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &back) };
                }
                (s.cur_rlimit_rttime, orig)
            }
        });
        if set == 0 {
            eprintln!("skipped: cannot switch to SCHED_RR here");
            return;
        }
        if !has_cap_sys_resource() {
            eprintln!("skipped: without CAP_SYS_RESOURCE a child cannot raise its hard limit back");
            return;
        }
        let limits = std::fs::read_to_string(&out).unwrap();
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max realtime timeout"))
            .unwrap()
            .to_string();
        let (cur, max) = orig.unwrap();
        let show = |v: u64| {
            if v == libc::RLIM_INFINITY {
                "unlimited".to_string()
            } else {
                v.to_string()
            }
        };
        let want: Vec<String> = vec![show(cur), show(max)];
        let got: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
        assert_eq!(got, want, "{line}");
    }

    #[test]
    fn scripts_get_the_nice_value_the_daemon_had() {
        let dir = crate::exec::tests::Scratch::new("nice");
        let out = dir.0.join("stat");
        let (daemon_nice, orig) = on_thread({
            let out = out.clone();
            move || {
                let orig = current().2;
                let mut s = ProcessSched::default();
                s.apply(&ProcessSettings {
                    priority: orig + 5,
                    ..Default::default()
                });
                script_copies_proc_self("stat", &out);
                (current().2, orig)
            }
        });
        let stat = std::fs::read_to_string(&out).unwrap();
        // Field 19 of /proc/PID/stat, after the `(comm)` that may hold spaces.
        let after = stat.rsplit_once(") ").unwrap().1;
        let child_nice: i32 = after.split(' ').nth(16).unwrap().parse().unwrap();
        assert_eq!(daemon_nice, orig + 5);
        assert_eq!(child_nice, orig, "{stat}");
    }

    #[test]
    fn nice_value_is_set_and_remembered_for_scripts() {
        let (nice, orig) = on_thread(|| {
            let mut s = ProcessSched::default();
            let p = ProcessSettings {
                priority: 7,
                ..Default::default()
            };
            s.apply(&p);
            (current().2, s.orig_nice)
        });
        assert_eq!(nice, 7);
        assert!(orig.is_some());
    }

    #[test]
    fn realtime_priority_with_its_rlimit_when_allowed() {
        // Needs CAP_SYS_NICE; without it keepalived's warning is logged and nothing changes.
        let got = on_thread(|| {
            let mut s = ProcessSched::default();
            let p = ProcessSettings {
                rt_priority: 3,
                rlimit_rttime: 500_000,
                ..Default::default()
            };
            s.apply(&p);
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit(2) writes into `lim`.
            unsafe { libc::getrlimit(libc::RLIMIT_RTTIME, &mut lim) };
            let now = current();
            // Leave the process as it was (rlimits are per process).
            if let Some((cur, max)) = s.orig_rttime {
                let back = libc::rlimit {
                    rlim_cur: cur,
                    rlim_max: max,
                };
                // SAFETY: setrlimit(2) with a valid rlimit.
                unsafe { libc::setrlimit(libc::RLIMIT_RTTIME, &back) };
            }
            (s.realtime_priority(), now, lim)
        });
        if got.0 == 0 {
            eprintln!("skipped: cannot switch to SCHED_RR here");
            return;
        }
        assert_eq!(got.0, 3);
        assert_eq!(got.1.0 & !SCHED_RESET_ON_FORK, libc::SCHED_RR);
        assert_eq!(got.1.1, 3);
        assert_eq!((got.2.rlim_cur, got.2.rlim_max), (250_000, 500_000));
    }

    #[test]
    fn late_timers_raise_the_realtime_priority_up_to_the_maximum() {
        let steps = on_thread(|| {
            let mut s = ProcessSched::default();
            s.apply(&ProcessSettings {
                max_auto_priority: 2,
                min_auto_priority_delay: Duration::from_millis(100),
                rlimit_rttime: 0,
                ..Default::default()
            });
            let mut steps = vec![s.handle_late(Duration::from_millis(100))];
            for _ in 0..3 {
                steps.push(s.handle_late(Duration::from_millis(150)));
            }
            steps
        });
        if steps[1].is_none() {
            eprintln!("skipped: cannot switch to SCHED_RR here");
            return;
        }
        // On time (not later than the delay): nothing; then 1, 2, and no further.
        assert_eq!(steps, [None, Some(1), Some(2), None]);
    }

    #[test]
    fn without_max_auto_priority_a_late_timer_changes_nothing() {
        let (step, policy) = on_thread(|| {
            let mut s = ProcessSched::default();
            s.apply(&ProcessSettings::default());
            (s.handle_late(Duration::from_secs(5)), current().0)
        });
        assert_eq!(step, None);
        assert_eq!(policy, libc::SCHED_OTHER);
    }
}
