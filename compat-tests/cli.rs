//! The `keepalived` binary's command-line contract, run as a user would: exit codes, what goes
//! to stdout and stderr, `-t` verdicts, pid files, the umask. Daemons started here have no
//! VRRP instance, so they open no VRRP socket and need no namespace; the one check that writes
//! `/run/keepalived` needs root and is skipped without it (the labs cover namespaces).

use std::path::PathBuf;
use std::process::{Command, Output};

fn keepalived(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keepalived"))
        .args(args)
        .output()
        .expect("run keepalived")
}

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ka-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn version_and_help_print_on_stderr_and_exit_0() {
    let v = keepalived(&["-v"]);
    assert_eq!(v.status.code(), Some(0));
    assert!(v.stdout.is_empty());
    let text = String::from_utf8_lossy(&v.stderr);
    assert!(text.starts_with("Keepalived v"));
    // mehdy/keepalived-exporter: token 2 of line 1, without its `v`, must be a keepalived
    // version >= 1.4.0 for the modern signal path, and `--enable-json` must appear for JSON.
    let version = text
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .trim_start_matches('v');
    let parts: Vec<u32> = version.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts >= vec![1, 4, 0], "{version}");
    assert!(text.lines().count() >= 2);
    assert!(text.contains("--enable-json"));
    let h = keepalived(&["--help"]);
    assert_eq!(h.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&h.stderr).contains("-f, --use-file=FILE"));
}

#[test]
fn bad_options_exit_1() {
    let o = keepalived(&["-Z"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "Unknown option -Z\n");
}

#[test]
fn signum_prints_the_number_on_stdout() {
    let o = keepalived(&["--signum=RELOAD"]);
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()),
        (Some(0), "1\n")
    );
    let o = keepalived(&["--signum=JSON"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "36\n");
}

#[test]
fn config_test_exit_codes_follow_keepalived() {
    // An unknown keyword is a warning: keepalived -t exits 5 and says where.
    let p = scratch(
        "unknown.conf",
        "global_defs {\n  router_id X\n  no_such_keyword 1\n}\n",
    );
    let o = keepalived(&["-t", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown.conf:3:3"), "{err}");
    // A keyword missing its value: exit 2.
    let p = scratch("missing.conf", "vrrp_instance VI_1 {\n  priority\n}\n");
    assert_eq!(
        keepalived(&["-t", "-f", p.to_str().unwrap()]).status.code(),
        Some(2)
    );
    // A clean global-only config: exit 0.
    let p = scratch("clean.conf", "global_defs {\n  router_id X\n}\n");
    assert_eq!(
        keepalived(&["-t", "-f", p.to_str().unwrap()]).status.code(),
        Some(0)
    );
    // --config-test=LOG appends the diagnostics to LOG instead of stderr.
    let p = scratch("logged.conf", "bogus_top_level\n");
    let log = p.with_extension("log");
    let arg = format!("--config-test={}", log.display());
    let o = keepalived(&[&arg, "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("bogus_top_level")
    );
}

#[test]
fn daemon_refuses_unusable_configs_with_keepalived_status() {
    // Missing file: keepalived's parent exits 6 ("Config files missing").
    let o = keepalived(&[
        "-n",
        "-f",
        "/nonexistent/keepalived.conf",
        "-p",
        "/tmp/ka-cli-none.pid",
    ]);
    assert_eq!(o.status.code(), Some(6));
    // Missing parameter: the VRRP child's permanent CONFIG error, 2.
    let p = scratch("fatal.conf", "vrrp_instance VI_1 {\n  priority\n}\n");
    let o = keepalived(&[
        "-n",
        "-f",
        p.to_str().unwrap(),
        "-p",
        "/tmp/ka-cli-fatal.pid",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!std::path::Path::new("/tmp/ka-cli-fatal.pid").exists());
}

#[test]
fn config_test_json_lists_diagnostics_with_positions() {
    let p = scratch("json.conf", "global_defs {\n  routr_id X\n}\n");
    let o = keepalived(&["-t", "--json", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.trim_start().starts_with('{'), "{out}");
    assert!(out.contains("\"exit_code\":5"), "{out}");
    assert!(out.contains("\"line\":2"), "{out}");
    assert!(out.contains("routr_id"), "{out}");
}

#[test]
fn all_config_makes_a_missing_include_fatal() {
    let p = scratch(
        "incl.conf",
        "include /nonexistent/ka-cli-*.conf\nglobal_defs {\n  router_id X\n}\n",
    );
    let plain = keepalived(&["-t", "-f", p.to_str().unwrap()]);
    assert_eq!(
        plain.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let strict = keepalived(&["-t", "-e", "-f", p.to_str().unwrap()]);
    assert_eq!(
        strict.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&strict.stderr)
    );
}

#[test]
fn status_without_a_daemon_exits_3_and_a_bad_metrics_address_exits_1() {
    let pid = std::env::temp_dir().join(format!("ka-cli-{}-none.pid", std::process::id()));
    let o = keepalived(&["--status", "-p", pid.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("keepalived --status: no keepalived daemon is running (no status socket ")
            && err.contains(&format!("ka-cli-{}-none.sock", std::process::id())),
        "{err}"
    );
    // Checked before anything starts: no pid file, no daemon.
    let o = keepalived(&[
        "--metrics-listen",
        "localhost:9650",
        "-n",
        "-f",
        "/nonexistent",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "invalid --metrics-listen address 'localhost:9650': expected ADDR:PORT such as 127.0.0.1:9650 or [::1]:9650\n"
    );
}

/// A daemon run in the foreground (`-n -l`) with its own pid files under a scratch directory,
/// stopped with SIGTERM; its stderr (the console log) and exit status.
struct Daemon {
    child: std::process::Child,
    dir: PathBuf,
}

impl Daemon {
    /// Starts `keepalived -n -l -G ARGS -p DIR/p.pid -r DIR/r.pid` and waits (bounded) until
    /// `wait_for` (default: its pid file) exists.
    fn start(tag: &str, args: &[&str], wait_for: Option<&std::path::Path>) -> Daemon {
        let dir = std::env::temp_dir().join(format!("ka-cli-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (p, r) = (dir.join("p.pid"), dir.join("r.pid"));
        let mut all = args.to_vec();
        all.extend_from_slice(&["-p", p.to_str().unwrap(), "-r", r.to_str().unwrap()]);
        Self::spawn(dir.clone(), &all, wait_for.unwrap_or(&p))
    }

    /// Starts `keepalived -n -l -G ARGS` (its own pid file paths) and waits for `wait_for`.
    fn start_raw(tag: &str, args: &[&str], wait_for: &std::path::Path) -> Daemon {
        let dir = std::env::temp_dir().join(format!("ka-cli-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self::spawn(dir, args, wait_for)
    }

    fn spawn(dir: PathBuf, args: &[&str], wait_for: &std::path::Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_keepalived"))
            .args(["-n", "-l", "-G"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start keepalived");
        for _ in 0..100 {
            if wait_for.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(
            wait_for.exists(),
            "{} not written within 5 s",
            wait_for.display()
        );
        Daemon { child, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// SIGTERM, then the exit status and stderr.
    fn stop(self) -> (Option<i32>, String) {
        // SAFETY: kill has no memory effects; the pid is our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let out = self.child.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn unexpected_arguments_go_to_stdout_and_are_ignored() {
    let p = scratch("unexpected.conf", "global_defs {\n  router_id X\n}\n");
    let o = keepalived(&["-t", "-f", p.to_str().unwrap(), "foo", "bar"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Unexpected argument(s): foo bar \n"
    );
}

#[test]
fn check_and_genhash_are_refused_as_by_a_build_without_lvs() {
    for flag in ["-C", "--check", "-T", "--genhash"] {
        let o = keepalived(&[flag, "-n", "-f", "/nonexistent.conf"]);
        assert_eq!(o.status.code(), Some(1), "{flag}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not supported yet"), "{flag}: {err}");
    }
    // Options that only tune the checker are accepted, as a keepalived with LVS accepts them
    // on a VRRP-only configuration.
    let p = scratch("lvs-tuning.conf", "global_defs {\n  router_id X\n}\n");
    let o = keepalived(&["-t", "-I", "-c", "/tmp/x.pid", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn config_test_log_that_cannot_be_opened_is_status_1() {
    let p = scratch("cantlog.conf", "global_defs {\n  router_id X\n}\n");
    let o = keepalived(&[
        "--config-test=/nonexistent-dir/ka.log",
        "-f",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .starts_with("Unable to open config-test log file /nonexistent-dir/ka.log ")
    );
}

#[test]
fn bad_log_facility_is_reported_and_daemon_kept() {
    let p = scratch("facility.conf", "global_defs {\n  router_id X\n}\n");
    let o = keepalived(&["-t", "-S", "local9", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Invalid log facility 'local9'"));
}

#[test]
fn a_missing_namespace_stops_with_keepalived_s_lines_and_status_0() {
    // keepalived 2.2.7 observed: both lines, `Stopped`, exit status 0 (it does not create the
    // namespace). -t gives up the same way, without a verdict.
    let p = scratch(
        "nons.conf",
        "global_defs {\n  router_id X\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n priority 100\n}\n",
    );
    let ns = format!("ka-cli-none-{}", std::process::id());
    for extra in [&["-n", "-p", "/tmp/ka-cli-nons.pid"][..], &["-t"][..]] {
        let mut args = vec!["-s", ns.as_str(), "-f", p.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = keepalived(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {err}");
        assert!(
            err.contains(&format!("Failed to open /run/netns/{ns}\n"))
                && err.contains(&format!("Unable to set network namespace {ns} - exiting")),
            "{extra:?}: {err}"
        );
    }
    assert!(!std::path::Path::new("/tmp/ka-cli-nons.pid").exists());
    // The configuration's net_namespace is read the same way when -s is not given.
    let p = scratch(
        "nons2.conf",
        &format!("net_namespace {ns}\nglobal_defs {{\n  router_id X\n}}\n"),
    );
    let o = keepalived(&["-t", "-f", p.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("Unable to set network namespace"));
    // A name that would leave /run/netns is refused before anything.
    let o = keepalived(&["-t", "-s", "../x", "-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    if root() {
        // The pid directory made for the namespace is gone again.
        assert!(!std::path::Path::new("/run/keepalived").join(&ns).exists());
    }
}

#[test]
fn vrrp_pid_file_only_with_vrrp_work_or_all() {
    let p = scratch("novrrp.conf", "global_defs {\n  router_id X\n}\n");
    let d = Daemon::start("novrrp", &["-f", p.to_str().unwrap()], None);
    let vrrp_pid = d.path("r.pid");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        !vrrp_pid.exists(),
        "vrrp.pid without any VRRP configuration"
    );
    let (code, err) = d.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("Warning - keepalived has no configuration to run"),
        "{err}"
    );
    // --all: the VRRP side runs anyway, and its pid file names the daemon.
    let d = Daemon::start("all", &["--all", "-f", p.to_str().unwrap()], None);
    let (main, vrrp) = (d.path("p.pid"), d.path("r.pid"));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pid = format!("{}\n", d.child.id());
    assert_eq!(std::fs::read_to_string(&main).unwrap(), pid);
    assert_eq!(std::fs::read_to_string(&vrrp).unwrap(), pid);
    let (code, err) = d.stop();
    assert_eq!(code, Some(0));
    assert!(!err.contains("no configuration to run"), "{err}");
    assert!(
        !main.exists() && !vrrp.exists(),
        "pid files removed at exit"
    );
}

#[test]
fn umask_numbers_as_strtol_base_0_and_the_config_option() {
    // A notify FIFO the daemon creates gets 0644 & ~umask: the umask made visible.
    let mode_with = |tag: &str, args: &[&str], conf_umask: &str| -> (u32, String) {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("ka-cli-{}-fifo-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("n.fifo");
        let _ = std::fs::remove_file(&fifo);
        let conf = scratch(
            &format!("umask-{tag}.conf"),
            &format!(
                "global_defs {{\n  vrrp_notify_fifo {}\n{conf_umask}\n}}\n",
                fifo.display()
            ),
        );
        let mut all = args.to_vec();
        all.extend_from_slice(&["-f", conf.to_str().unwrap()]);
        let d = Daemon::start(tag, &all, Some(&fifo));
        let mode = std::fs::metadata(&fifo).unwrap().permissions().mode() & 0o777;
        let (_, err) = d.stop();
        let _ = std::fs::remove_dir_all(&dir);
        (mode, err)
    };
    // keepalived's default umask is 0177.
    assert_eq!(mode_with("default", &[], "").0, 0o600);
    // strtoll base 0: octal with a leading 0, hex with 0x, decimal otherwise (18 = 022).
    assert_eq!(mode_with("octal", &["-u", "022"], "").0, 0o644);
    assert_eq!(mode_with("decimal", &["-u", "18"], "").0, 0o644);
    assert_eq!(mode_with("hex", &["--umask=0x12"], "").0, 0o644);
    // An invalid mask is reported (without a newline, as keepalived) and the default stays.
    let (mode, err) = mode_with("bad", &["-u", "9z"], "");
    assert_eq!(mode, 0o600);
    assert!(err.starts_with("Invalid --umask option 9z"), "{err}");
    // The configuration's umask applies unless -u was given.
    assert_eq!(mode_with("conf", &[], "  umask 022").0, 0o644);
    let (mode, err) = mode_with("both", &["-u", "077"], "  umask 022");
    assert_eq!(mode, 0o600);
    assert!(
        err.contains("umask command line option specified, ignoring config option"),
        "{err}"
    );
}

#[test]
fn log_detail_ends_with_the_cpu_usage_line() {
    let p = scratch("detail.conf", "global_defs {\n  router_id X\n}\n");
    let d = Daemon::start("detail", &["-D", "-f", p.to_str().unwrap()], None);
    let (code, err) = d.stop();
    assert_eq!(code, Some(0));
    let lines: Vec<&str> = err.lines().collect();
    let n = lines.len();
    assert!(n >= 2, "{err}");
    assert!(
        lines[n - 2].contains(": CPU usage (self/children) user: "),
        "{err}"
    );
    assert!(lines[n - 1].contains(": Stopped Keepalived v"), "{err}");
    // The first lines: version, kernel, the command line word by word in quotes, the file.
    assert!(lines[0].contains(": Starting Keepalived v"), "{err}");
    assert!(lines[1].contains(": Running on Linux "), "{err}");
    assert!(
        lines[2].contains(": Command line: '") && lines[2].contains("'-D' '-f'"),
        "{err}"
    );
    assert!(
        lines[3].ends_with(&format!(": Configuration file {}", p.display())),
        "{err}"
    );
}

#[test]
fn instance_names_pid_files_and_ident_in_the_pid_dir() {
    if !root() {
        // /run/keepalived is root's, as for keepalived.
        println!("skipped: needs root to write /run/keepalived");
        return;
    }
    let inst = format!("kacli{}", std::process::id());
    let p = scratch(
        "instance.conf",
        &format!("instance {inst}\nglobal_defs {{\n  router_id X\n}}\n"),
    );
    let main = PathBuf::from(format!("/run/keepalived/keepalived_{inst}.pid"));
    let vrrp = PathBuf::from(format!("/run/keepalived/vrrp_{inst}.pid"));
    let d = Daemon::start_raw("instance", &["--all", "-f", p.to_str().unwrap()], &main);
    for _ in 0..50 {
        if vrrp.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = format!("{}\n", d.child.id());
    assert_eq!(std::fs::read_to_string(&main).unwrap(), pid);
    assert_eq!(std::fs::read_to_string(&vrrp).unwrap(), pid);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata("/run/keepalived")
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    // A second one with the same instance finds it running: keepalived's status 0.
    let again = keepalived(&["-n", "-f", p.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("daemon is already running"));
    let (code, err) = d.stop();
    assert_eq!(code, Some(0));
    assert!(
        err.contains(&format!("Changing syslog ident to Keepalived_{inst}")),
        "{err}"
    );
    assert!(!main.exists() && !vrrp.exists());
}

/// `-i/--config-id` through the binary: an `@ID` line counts only under that id, an `@^ID`
/// line under every other id (keepalived 2.2.7 gives the same status for each case).
#[test]
fn config_id_selects_the_at_lines() {
    let only_other = scratch("cid-other.conf", "global_defs {\n@other    router_id\n}\n");
    let not_main = scratch(
        "cid-notmain.conf",
        "global_defs {\n@^main    router_id\n}\n",
    );
    for (conf, id, want) in [
        (&only_other, "main", 0),
        (&only_other, "other", 5),
        (&not_main, "main", 0),
        (&not_main, "other", 5),
    ] {
        let o = keepalived(&["-t", "-i", id, "-f", conf.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(want),
            "{} with -i {id}",
            conf.display()
        );
        let o = keepalived(&[
            "-t",
            &format!("--config-id={id}"),
            "-f",
            conf.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(want),
            "{} with --config-id",
            conf.display()
        );
    }
}

/// Flags keepalived-rs accepts without a change of behaviour (-R: one process, nothing to
/// respawn; -X: VIPs are always removed on leaving MASTER, see KNOWN_DIVERGENCES.md; -G: no
/// syslog): a configuration test with them is as without.
#[test]
fn respawn_and_release_flags_are_accepted() {
    let p = scratch("flags.conf", "global_defs {\n  router_id X\n}\n");
    for flag in [
        "-X",
        "--release-vips",
        "-R",
        "--dont-respawn",
        "-G",
        "--no-syslog",
    ] {
        let o = keepalived(&["-t", flag, "-f", p.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{flag}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
