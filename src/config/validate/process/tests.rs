//! The process keywords as keepalived 2.2.7 reads them (messages checked with its `-t`).

use std::time::Duration;

use crate::config::{LoadOptions, Loaded, load_str};
use crate::model::{ProcessSettings, RT_RLIMIT_DEFAULT};

fn load_with(globals: &str, host: bool) -> Loaded {
    let opts = LoadOptions {
        config_id: "main".into(),
        check_interfaces: host,
        all_config: false,
    };
    load_str("k.conf", &format!("global_defs {{\n{globals}\n}}\n"), &opts)
}

fn load(globals: &str) -> Loaded {
    load_with(globals, false)
}

#[test]
fn defaults_are_keepalived_s() {
    let l = load(" router_id X");
    let g = &l.config.as_ref().unwrap().global;
    assert_eq!(g.process, ProcessSettings::default());
    assert_eq!(g.process.rlimit_rttime, RT_RLIMIT_DEFAULT);
    assert_eq!(g.process.rt_priority, 0);
    assert!(g.startup_script.is_none() && g.shutdown_script.is_none());
    let d = crate::config::dump(l.config.as_ref().unwrap());
    assert!(
        !d.contains("vrrp_priority") && !d.contains("startup_script"),
        "{d}"
    );
}

#[test]
fn scheduling_values_are_read_with_keepalived_s_ranges() {
    let l = load(
        " vrrp_priority -5\n vrrp_no_swap\n vrrp_rt_priority 50\n vrrp_cpu_affinity 1 0 1\n \
         vrrp_rlimit_rttime 1",
    );
    assert!(l.messages().is_empty(), "{:?}", l.messages());
    let p = &l.config.as_ref().unwrap().global.process;
    assert_eq!(p.priority, -5);
    assert!(p.no_swap);
    assert_eq!(p.rt_priority, 50);
    assert_eq!(p.cpu_affinity, [0, 1]);
    // keepalived halves the limit for the soft limit, so 1 becomes 2.
    assert_eq!(p.rlimit_rttime, 2);
    let d = crate::config::dump(l.config.as_ref().unwrap());
    for line in [
        "  vrrp_priority -5\n",
        "  vrrp_no_swap true\n",
        "  vrrp_rt_priority 50\n",
        "  vrrp_cpu_affinity 0 1\n",
        "  vrrp_rlimit_rttime 2us\n",
    ] {
        assert!(d.contains(line), "missing {line:?} in\n{d}");
    }
}

#[test]
fn bad_scheduling_values_get_keepalived_s_messages() {
    let l = load(
        " vrrp_priority 25\n vrrp_priority\n vrrp_rt_priority 0\n vrrp_rt_priority 100\n \
         vrrp_rt_priority x\n vrrp_rt_priority\n vrrp_cpu_affinity 0 2000\n vrrp_cpu_affinity 3x\n \
         vrrp_cpu_affinity\n vrrp_rlimit_rtime 5\n vrrp_rlimit_rttime 0",
    );
    assert_eq!(
        l.messages(),
        [
            "number '25' outside range [-20, 19]",
            "Invalid vrrp process priority specified",
            "No vrrp process priority specified",
            "vrrp process real-time priority 0 less than minimum 1 - setting to minimum",
            "vrrp process real-time priority 100 greater than maximum 99 - setting to maximum",
            "invalid number 'x'",
            "vrrp process real-time priority 'x' invalid",
            "No vrrp process real-time priority specified",
            "number '2000' outside range [0, 1023]",
            "Invalid cpu_id:2000 specified for vrrp process",
            "invalid number '3x'",
            "Invalid cpu_id:3 specified for vrrp process",
            "No vrrp cpu_id set specified",
            "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'",
            "number '0' outside range [1, 4294967295]",
            "Invalid vrrp real-time limit - 0",
        ]
    );
    assert_eq!(l.test_exit_code(), 5);
    let p = &l.config.as_ref().unwrap().global.process;
    // The values keepalived runs with (outside -t it uses what strtol read when that is in
    // range): nice 0; `x` read as 0, raised to the minimum; `3x` is CPU 3 (a line without
    // CPUs changes nothing); no rlimit.
    assert_eq!(p.priority, 0);
    assert_eq!(p.rt_priority, 1);
    assert_eq!(p.cpu_affinity, [3]);
    assert_eq!(p.rlimit_rttime, 0);
    // A CPU it cannot read at all (out of range) empties the set.
    let l = load(" vrrp_cpu_affinity 1\n vrrp_cpu_affinity 0 2000");
    assert!(l.config.unwrap().global.process.cpu_affinity.is_empty());
    // A missing limit stops keepalived (its parser wants the word).
    let l = load(" vrrp_rlimit_rttime");
    assert_eq!(l.test_exit_code(), 2);
    assert!(l.messages()[0].contains("is missing a parameter"));
}

#[test]
fn cpus_must_be_online_with_host_checks() {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    let l = load_with(&format!(" vrrp_cpu_affinity 0 {n}"), true);
    assert_eq!(
        l.messages(),
        [
            format!("number '{n}' outside range [0, {}]", n - 1),
            format!("Invalid cpu_id:{n} specified for vrrp process"),
        ]
    );
    let l = load_with(&format!(" vrrp_cpu_affinity {}", n - 1), true);
    assert!(l.messages().is_empty());
    assert_eq!(
        l.config.unwrap().global.process.cpu_affinity,
        [n as u32 - 1]
    );
}

#[test]
fn process_names_as_keepalived_saves_them() {
    let l = load(" process_names\n process_name ka-parent");
    assert!(l.messages().is_empty(), "{:?}", l.messages());
    let p = &l.config.as_ref().unwrap().global.process;
    assert_eq!(p.vrrp_process_name.as_deref(), Some("keepalived_vrrp"));
    assert_eq!(p.process_name.as_deref(), Some("ka-parent"));
    // The last one wins, and 15 bytes at most.
    let l = load(" vrrp_process_name a\n process_names\n vrrp_process_name averyveryverylongname");
    assert_eq!(
        l.messages(),
        ["Process name averyveryverylongname more than 15 characters, truncating"]
    );
    let p = &l.config.as_ref().unwrap().global.process;
    assert_eq!(p.vrrp_process_name.as_deref(), Some("averyveryverylo"));
    let d = crate::config::dump(l.config.as_ref().unwrap());
    assert!(d.contains("  vrrp_process_name averyveryverylo\n"), "{d}");
    // The other children's names: checked the same way, kept nowhere.
    let l = load(
        " checker_process_name chk\n lvs_process_name lvs\n bfd_process_name abcdefghijklmnopq",
    );
    assert_eq!(
        l.messages(),
        [
            "'lvs_process_name' is deprecated - please use 'checker_process_name'",
            "Process name abcdefghijklmnopq more than 15 characters, truncating"
        ]
    );
    for kw in [
        "process_name",
        "vrrp_process_name",
        "checker_process_name",
        "bfd_process_name",
    ] {
        let l = load(&format!(" {kw}"));
        assert_eq!(l.test_exit_code(), 2, "{kw}");
    }
}

#[test]
fn start_and_stop_scripts_with_their_timeouts() {
    let l = load(
        " startup_script_timeout 30\n startup_script \"/usr/local/bin/up.sh --now\" ops\n \
         shutdown_script /usr/local/bin/down.sh\n enable_script_security",
    );
    assert!(l.messages().is_empty(), "{:?}", l.messages());
    let g = &l.config.as_ref().unwrap().global;
    let up = g.startup_script.as_ref().unwrap();
    assert_eq!(up.command.argv, ["/usr/local/bin/up.sh", "--now"]);
    assert_eq!(up.command.user.as_ref().unwrap().user, "ops");
    assert_eq!(up.timeout, Duration::from_secs(30));
    let down = g.shutdown_script.as_ref().unwrap();
    assert_eq!(down.command.argv, ["/usr/local/bin/down.sh"]);
    assert_eq!(down.timeout, Duration::from_secs(10));
    let d = crate::config::dump(l.config.as_ref().unwrap());
    assert!(
        d.contains("  startup_script [\"/usr/local/bin/up.sh\", \"--now\"] user ops timeout 30s\n")
            && d.contains("  shutdown_script [\"/usr/local/bin/down.sh\"] user - timeout 10s\n"),
        "{d}"
    );
}

#[test]
fn bad_start_and_stop_scripts_get_keepalived_s_messages() {
    let l = load(
        " startup_script /bin/true\n startup_script /bin/false\n shutdown_script\n \
         startup_script_timeout 0\n shutdown_script_timeout 1001\n shutdown_script_timeout x\n \
         startup_script_timeout",
    );
    assert_eq!(
        l.messages(),
        [
            "startup script already specified",
            "shutdown script missing",
            "number '0' outside range [1, 1000]",
            "startup_script_timeout '0' must be in [1, 1000] - ignoring",
            "number '1001' outside range [1, 1000]",
            "shutdown_script_timeout '1001' must be in [1, 1000] - ignoring",
            "invalid number 'x'",
            "shutdown_script_timeout 'x' must be in [1, 1000] - ignoring",
            "startup_script_timeout requires value",
            "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled.",
        ]
    );
    // The security violation outranks the other errors, as in keepalived.
    assert_eq!(l.test_exit_code(), 6);
    let g = &l.config.as_ref().unwrap().global;
    assert_eq!(
        g.startup_script.as_ref().unwrap().command.argv,
        ["/bin/true"]
    );
    assert_eq!(
        g.startup_script.as_ref().unwrap().timeout,
        Duration::from_secs(10)
    );
}

#[test]
fn with_host_checks_scripts_that_cannot_run_are_dropped() {
    let l = load_with(
        " enable_script_security\n script_user root\n startup_script /nonexistent/up.sh\n \
         shutdown_script /bin/true no_such_user_kars",
        true,
    );
    let m = l.messages();
    assert!(
        m.contains(&"Invalid user/group for shutdown script /bin/true - ignoring".to_string())
            && m.contains(&"Invalid shutdown script".to_string()),
        "{m:?}"
    );
    let g = &l.config.as_ref().unwrap().global;
    assert!(g.startup_script.is_none() && g.shutdown_script.is_none());
    assert!(
        !m.iter().any(|x| x.starts_with("SECURITY VIOLATION")),
        "{m:?}"
    );
    // A runnable one without script security: kept, and the violation is reported.
    let l = load_with(" script_user root\n startup_script /bin/true", true);
    assert_eq!(
        l.messages(),
        [
            "SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled."
        ]
    );
    assert_eq!(l.test_exit_code(), 6);
    assert!(l.config.unwrap().global.startup_script.is_some());
}

#[test]
fn auto_priority_settings_as_keepalived_reads_them() {
    let l = load(" max_auto_priority 40\n min_auto_priority_delay 250000");
    assert!(l.messages().is_empty(), "{:?}", l.messages());
    let p = &l.config.as_ref().unwrap().global.process;
    assert_eq!(p.max_auto_priority, 40);
    assert_eq!(p.min_auto_priority_delay, Duration::from_millis(250));
    let d = crate::config::dump(l.config.as_ref().unwrap());
    assert!(
        d.contains("  max_auto_priority 40\n")
            && d.contains("  min_auto_priority_delay 250000us\n"),
        "{d}"
    );
    // No value: the highest SCHED_RR priority; -1 disables.
    let p = load(" max_auto_priority").config.unwrap().global.process;
    assert_eq!(p.max_auto_priority, 99);
    let p = load(" max_auto_priority -1").config.unwrap().global.process;
    assert_eq!(p.max_auto_priority, -1);
    let l = load(
        " max_auto_priority 100\n min_auto_priority_delay\n min_auto_priority_delay 0\n \
         min_auto_priority_delay 10000001",
    );
    assert_eq!(
        l.messages(),
        [
            "number '100' outside range [-1, 99]",
            "max_auto_priority '100' must be in [0, 99] (or -1 to disable) - ignoring",
            "min_auto_priority_delay requires delay time",
            "number '0' outside range [1, 10000000]",
            "min_auto_priority_delay '0' must be in [1, 10000000] - ignoring",
            "number '10000001' outside range [1, 10000000]",
            "min_auto_priority_delay '10000001' must be in [1, 10000000] - ignoring",
        ]
    );
    let p = &l.config.as_ref().unwrap().global.process;
    assert_eq!(p.max_auto_priority, 0);
    assert_eq!(p.min_auto_priority_delay, Duration::from_secs(1));
}
