//! Network-namespace labs for tests (copy the idea freely).
//!
//! A test creates its hosts with [`Netns::create`], which returns `None` (the test prints
//! `skipped: …` and returns) when not root or when `ip netns add` is refused, and panics instead
//! when `KA_REQUIRE_NETNS=1`. Dropping a [`Netns`] deletes it, so every path — a pass, a failed
//! assertion, a panic — cleans up. The root namespace is never changed: links are created
//! inside a namespace and their peers moved straight into another.
//!
//! Code runs inside a namespace on a thread of its own ([`on_fresh_thread`]) that calls
//! [`Netns::enter`]; `setns(CLONE_NEWNET)` affects only the calling thread, and a socket stays in
//! the namespace it was created in, so one thread can create sockets in several namespaces and
//! then drive them all from one current-thread tokio runtime.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable that turns a skip into a failure (set by CI).
pub const REQUIRE_ENV: &str = "KA_REQUIRE_NETNS";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A network namespace owned by a test; deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates a namespace named `ka-<tag>-<pid>-<n>`, or explains why it cannot.
    ///
    /// `None` means skip (a message was printed); with `KA_REQUIRE_NETNS=1` it panics instead.
    pub fn create(tag: &str) -> Option<Netns> {
        let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
        let skip = |why: String| {
            if required {
                panic!("{REQUIRE_ENV}=1 but network namespaces are unavailable: {why}");
            }
            eprintln!("skipped: needs root/netns ({why})");
            None
        };
        if !nix::unistd::geteuid().is_root() {
            return skip("not root".into());
        }
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("ka-{tag}-{}-{n}", std::process::id());
        match Command::new("ip").args(["netns", "add", &name]).output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => {
                return skip(format!(
                    "ip netns add {name}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Err(e) => return skip(format!("cannot run ip: {e}")),
        }
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        Some(ns)
    }

    /// The namespace's name (for `ip -n` and `ip netns exec`).
    #[allow(dead_code)] // part of the helper's API for other modules' tests
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME ARGS…`, panics with its stderr on failure, returns its stdout.
    pub fn ip(&self, args: &[&str]) -> String {
        let out = Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .output()
            .expect("run ip");
        assert!(
            out.status.success(),
            "ip -n {} {}: {}",
            self.name,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Creates a veth pair: `a_if` in `self`, `b_if` in `b` (a different namespace or `self`).
    pub fn veth(&self, a_if: &str, b: &Netns, b_if: &str) {
        self.ip(&[
            "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", &b.name,
        ]);
    }

    /// Moves the calling thread into this namespace. Only call it on a thread made by
    /// [`on_fresh_thread`]: the test harness's own threads must stay in the root namespace.
    pub fn enter(&self) {
        let file = File::open(format!("/run/netns/{}", self.name)).expect("open netns file");
        // SAFETY: the fd is a valid namespace file kept open for the duration of the call;
        // setns only changes this thread's network namespace.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(
            rc,
            0,
            "setns {}: {}",
            self.name,
            std::io::Error::last_os_error()
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Runs `f` on a new thread with a current-thread tokio runtime and returns its result,
/// re-raising its panic so the test fails with the original message.
pub fn on_fresh_thread<T, F>(f: F) -> T
where
    T: Send + 'static,
    F: FnOnce(&tokio::runtime::Runtime) -> T + Send + 'static,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        f(&rt)
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
