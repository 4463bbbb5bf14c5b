//! The `-d` dump lines of the process-wide `global_defs` keywords (dump files, JSON layout,
//! …), in the format of [`super::dump`]. Each line is printed only when its keyword was
//! configured, so dumps of other configurations are unchanged.

use std::fmt::Write;

use crate::model::{
    Global, Instance, JsonVersion, OldUnicastChecksum, RT_RLIMIT_DEFAULT, RcvBuf, RxBufsPolicy,
    StartStopScript,
};

/// The lines under `global_defs`, after the firewall's.
pub(super) fn dump_globals(s: &mut String, g: &Global) {
    let d = &g.dumps;
    for (k, v) in [
        ("state_dump_file", &d.state),
        ("stats_dump_file", &d.stats),
        ("json_dump_file", &d.json),
        ("tmp_config_directory", &g.tmp_config_directory),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "  {k} {v}");
        }
    }
    if d.data_use_instance {
        let _ = writeln!(s, "  data_use_instance true");
    }
    if d.json_version == JsonVersion::V2 {
        let _ = writeln!(s, "  json_version 2");
    }
    process(s, g);
    io(s, g);
}

/// The I/O keywords, each when configured.
fn io(s: &mut String, g: &Global) {
    let io = &g.io;
    if io.log_unknown_vrids {
        let _ = writeln!(s, "  log_unknown_vrids true");
    }
    if let Some(seed) = io.random_seed {
        let _ = writeln!(s, "  random_seed {seed}");
    }
    if io.dynamic_interfaces {
        let extra = if io.allow_if_changes {
            " allow_if_changes"
        } else {
            ""
        };
        let _ = writeln!(s, "  dynamic_interfaces true{extra}");
    }
    for (k, b) in [
        ("vrrp_netlink_cmd_rcv_bufs", io.netlink_cmd_rcvbuf),
        ("vrrp_netlink_monitor_rcv_bufs", io.netlink_monitor_rcvbuf),
    ] {
        if b != RcvBuf::default() {
            let force = if b.force { " force" } else { "" };
            let _ = writeln!(s, "  {k} {}{force}", b.size);
        }
    }
    match io.rx_bufs_policy {
        RxBufsPolicy::Default => {}
        RxBufsPolicy::Mtu => {
            let _ = writeln!(s, "  vrrp_rx_bufs_policy MTU");
        }
        RxBufsPolicy::Advert => {
            let _ = writeln!(s, "  vrrp_rx_bufs_policy ADVERT");
        }
        RxBufsPolicy::Size(n) => {
            let _ = writeln!(s, "  vrrp_rx_bufs_policy {n}");
        }
    }
    if io.rx_bufs_multiplier != 3 {
        let _ = writeln!(s, "  vrrp_rx_bufs_multiplier {}", io.rx_bufs_multiplier);
    }
    if let Some(f) = &io.reload_check_config {
        let _ = writeln!(s, "  reload_check_config {f}");
    }
    if let Some(d) = io.vrrp_delay_after_boot {
        let _ = writeln!(s, "  vrrp_delay_after_boot {}us", d.as_micros());
    }
}

/// An instance's unicast options, when configured (after the firewall lines).
pub(super) fn dump_instance_io(s: &mut String, i: &Instance) {
    if i.unicast_opts.fault_no_peer {
        let _ = writeln!(s, "  unicast_fault_no_peer true");
    }
    match i.unicast_opts.old_checksum {
        OldUnicastChecksum::Auto => {}
        OldUnicastChecksum::Never => {
            let _ = writeln!(s, "  old_unicast_checksum never");
        }
        OldUnicastChecksum::Always => {
            let _ = writeln!(s, "  old_unicast_checksum always");
        }
    }
}

/// The process keywords, each when it differs from keepalived's default.
fn process(s: &mut String, g: &Global) {
    let p = &g.process;
    for (k, v) in [
        ("process_name", &p.process_name),
        ("vrrp_process_name", &p.vrrp_process_name),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "  {k} {v}");
        }
    }
    if p.priority != 0 {
        let _ = writeln!(s, "  vrrp_priority {}", p.priority);
    }
    if p.no_swap {
        let _ = writeln!(s, "  vrrp_no_swap true");
    }
    if p.rt_priority != 0 {
        let _ = writeln!(s, "  vrrp_rt_priority {}", p.rt_priority);
    }
    if !p.cpu_affinity.is_empty() {
        let cpus: Vec<String> = p.cpu_affinity.iter().map(u32::to_string).collect();
        let _ = writeln!(s, "  vrrp_cpu_affinity {}", cpus.join(" "));
    }
    if p.max_auto_priority != 0 {
        let _ = writeln!(s, "  max_auto_priority {}", p.max_auto_priority);
    }
    if p.min_auto_priority_delay != std::time::Duration::from_secs(1) {
        let _ = writeln!(
            s,
            "  min_auto_priority_delay {}us",
            p.min_auto_priority_delay.as_micros()
        );
    }
    if p.rlimit_rttime != RT_RLIMIT_DEFAULT {
        let _ = writeln!(s, "  vrrp_rlimit_rttime {}us", p.rlimit_rttime);
    }
    for (k, sc) in [
        ("startup_script", &g.startup_script),
        ("shutdown_script", &g.shutdown_script),
    ] {
        if let Some(StartStopScript { command, timeout }) = sc {
            let _ = writeln!(
                s,
                "  {k} {} timeout {}s",
                super::dump::cmd(command),
                timeout.as_secs()
            );
        }
    }
}
