//! The `keepalived` binary's command-line contract, run as a user would: exit codes, what goes
//! to stdout and stderr, `-t` verdicts. No root needed: nothing here opens a socket.

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
