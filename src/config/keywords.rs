//! The keyword table: every keyword we recognise, the block it belongs to and what we do with
//! it. `grammar/keywords.tsv` is the same table for humans; a test keeps both in step.

/// What the front-end does with a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Parsed, validated and carried into the model.
    Supported,
    /// Recognised (no "unknown keyword"), arguments counted, value not acted on yet.
    ParsedIgnored,
    /// A block keepalived acts on but we do not (BFD, static routes…): the whole block is
    /// skipped with one warning per keyword.
    SkippedBlock,
    /// Recognised and checked as keepalived checks it (its keywords, values, missing values
    /// and cross-checks, with keepalived's errors and `-t` exit code), but not acted on: the
    /// LVS half (`virtual_server`, `virtual_server_group`, `SSL` and everything inside).
    ValidatedIgnored,
}

impl Status {
    /// The name used in `keywords.tsv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supported => "supported",
            Self::ParsedIgnored => "parsed-ignored",
            Self::SkippedBlock => "skipped-block",
            Self::ValidatedIgnored => "validated-ignored",
        }
    }
}

/// One keyword.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    /// The keyword as written (case-sensitive).
    pub name: &'static str,
    /// The block it is valid in: `top`, `global_defs`, `vrrp_script`, `vrrp_instance`,
    /// `authentication`…; LVS blocks are named after keepalived's (`virtual_server`,
    /// `real_server`, `HTTP_GET`, its `url`, `SMTP_CHECK`'s `host`…).
    pub block: &'static str,
    /// Argument shape: `0`, `0-1`, `1`, `1-2`, `2`, `1+`, `0+`, `block`.
    pub args: &'static str,
    /// Value type.
    pub ty: &'static str,
    /// Default, as keepalived documents it.
    pub default: &'static str,
    /// What we do with it.
    pub status: Status,
}

impl Keyword {
    /// Minimum number of arguments: fewer is keepalived's fatal "missing parameter".
    pub fn min_args(&self) -> usize {
        match self.args {
            "1" | "1-2" | "1+" => 1,
            "2" => 2,
            _ => 0,
        }
    }
}

use std::collections::HashMap;

use Status::{ParsedIgnored as I, SkippedBlock as K, Supported as S, ValidatedIgnored as V};

const fn kw(
    name: &'static str,
    block: &'static str,
    args: &'static str,
    ty: &'static str,
    default: &'static str,
    status: Status,
) -> Keyword {
    Keyword {
        name,
        block,
        args,
        ty,
        default,
        status,
    }
}

/// Every keyword, grouped by block.
pub const KEYWORDS: &[Keyword] = &[
    // top level
    kw("global_defs", "top", "block", "block", "-", S),
    kw("vrrp_script", "top", "1", "name+block", "-", S),
    kw("vrrp_instance", "top", "1", "name+block", "-", S),
    kw("virtual_server", "top", "1+", "block", "-", V),
    kw("virtual_server_group", "top", "1", "block", "-", V),
    kw("SSL", "top", "block", "block", "-", V),
    kw("bfd_instance", "top", "1", "block", "-", K),
    kw("vrrp_sync_group", "top", "1", "name+block", "-", S),
    kw("static_ipaddress", "top", "block", "block", "-", S),
    kw("static_routes", "top", "block", "block", "-", S),
    kw("static_rules", "top", "block", "block", "-", S),
    kw("track_file", "top", "1", "name+block", "-", S),
    kw("vrrp_track_file", "top", "1", "name+block", "-", S),
    kw("vrrp_track_process", "top", "1", "name+block", "-", S),
    kw("track_group", "top", "1", "block", "-", K),
    kw("garp_group", "top", "block", "block", "-", S),
    kw(
        "garp_interval",
        "garp_group",
        "1",
        "decimal seconds",
        "-",
        S,
    ),
    kw("gna_interval", "garp_group", "1", "decimal seconds", "-", S),
    kw("interface", "garp_group", "1", "ifname", "-", S),
    kw("interfaces", "garp_group", "block", "ifnames", "-", S),
    kw("linkbeat_interfaces", "top", "block", "block", "-", K),
    kw("interface_up_down_delays", "top", "block", "block", "-", S),
    kw("net_namespace", "top", "1", "string", "none", S),
    kw("net_namespace_ipvs", "top", "0-1", "string", "none", I),
    kw("namespace_with_ipsets", "top", "0", "flag", "off", I),
    kw("use_pid_dir", "top", "0", "flag", "off", S),
    kw("instance", "top", "1", "string", "none", S),
    kw("child_wait_time", "top", "1", "integer", "5", I),
    kw("linkbeat_use_polling", "top", "0", "flag", "off", I),
    // global_defs
    kw("router_id", "global_defs", "1", "string", "local name", S),
    kw(
        "notification_email",
        "global_defs",
        "block",
        "list",
        "empty",
        S,
    ),
    kw(
        "notification_email_from",
        "global_defs",
        "1",
        "string",
        "user@local name",
        S,
    ),
    kw(
        "smtp_server",
        "global_defs",
        "1-2",
        "host [port]",
        "none",
        S,
    ),
    kw(
        "smtp_helo_name",
        "global_defs",
        "1",
        "string",
        "local name",
        S,
    ),
    kw(
        "smtp_connect_timeout",
        "global_defs",
        "1",
        "integer s",
        "30",
        S,
    ),
    kw("smtp_alert", "global_defs", "0-1", "bool", "unset", S),
    kw("smtp_alert_vrrp", "global_defs", "0-1", "bool", "unset", S),
    kw(
        "script_user",
        "global_defs",
        "1-2",
        "user [group]",
        "keepalived_script or root",
        S,
    ),
    kw(
        "enable_script_security",
        "global_defs",
        "0",
        "flag",
        "off",
        S,
    ),
    kw("vrrp_version", "global_defs", "1", "2|3", "2", S),
    kw(
        "vrrp_mcast_group4",
        "global_defs",
        "1",
        "ipv4",
        "224.0.0.18",
        S,
    ),
    kw(
        "vrrp_garp_master_delay",
        "global_defs",
        "1",
        "integer s",
        "5",
        S,
    ),
    kw(
        "vrrp_garp_master_repeat",
        "global_defs",
        "1",
        "integer",
        "5",
        S,
    ),
    kw(
        "vrrp_garp_master_refresh",
        "global_defs",
        "1",
        "integer s",
        "0",
        S,
    ),
    kw(
        "vrrp_garp_master_refresh_repeat",
        "global_defs",
        "1",
        "integer",
        "1",
        S,
    ),
    kw("process_names", "global_defs", "0", "flag", "off", S),
    kw(
        "process_name",
        "global_defs",
        "1",
        "string",
        "keepalived",
        S,
    ),
    kw(
        "vrrp_process_name",
        "global_defs",
        "1",
        "string",
        "keepalived",
        S,
    ),
    kw("checker_process_name", "global_defs", "1", "string", "-", V),
    kw("lvs_process_name", "global_defs", "1", "string", "-", V),
    kw("bfd_process_name", "global_defs", "1", "string", "-", V),
    kw("startup_script", "global_defs", "1+", "script", "none", S),
    kw(
        "startup_script_timeout",
        "global_defs",
        "1",
        "1..1000 s",
        "10",
        S,
    ),
    kw("shutdown_script", "global_defs", "1+", "script", "none", S),
    kw(
        "shutdown_script_timeout",
        "global_defs",
        "1",
        "1..1000 s",
        "10",
        S,
    ),
    kw(
        "max_auto_priority",
        "global_defs",
        "0-1",
        "-1..99",
        "0 (off)",
        S,
    ),
    kw(
        "min_auto_priority_delay",
        "global_defs",
        "1",
        "integer us",
        "1000000",
        S,
    ),
    kw(
        "smtp_alert_checker",
        "global_defs",
        "0-1",
        "bool",
        "unset",
        I,
    ),
    kw(
        "checker_log_all_failures",
        "global_defs",
        "0-1",
        "bool",
        "off",
        I,
    ),
    kw(
        "dynamic_interfaces",
        "global_defs",
        "0-1",
        "[allow_if_changes]",
        "off",
        S,
    ),
    kw("no_email_faults", "global_defs", "0", "flag", "off", S),
    kw("default_interface", "global_defs", "1", "ifname", "eth0", S),
    kw("disable_local_igmp", "global_defs", "0", "flag", "off", S),
    kw("lvs_timeouts", "global_defs", "0+", "list", "-", I),
    kw("lvs_flush", "global_defs", "0", "flag", "off", I),
    kw(
        "lvs_flush_on_stop",
        "global_defs",
        "0-1",
        "string",
        "off",
        I,
    ),
    kw("lvs_flush_onstop", "global_defs", "0-1", "string", "off", I),
    kw("lvs_sync_daemon", "global_defs", "0+", "list", "-", I),
    kw(
        "vrrp_mcast_group6",
        "global_defs",
        "1",
        "ipv6",
        "ff02::12",
        S,
    ),
    kw(
        "vrrp_garp_lower_prio_delay",
        "global_defs",
        "1",
        "integer s",
        "master delay",
        S,
    ),
    kw(
        "vrrp_garp_lower_prio_repeat",
        "global_defs",
        "1",
        "integer",
        "master repeat",
        S,
    ),
    kw(
        "vrrp_down_timer_adverts",
        "global_defs",
        "1",
        "integer",
        "3",
        S,
    ),
    kw(
        "vrrp_garp_interval",
        "global_defs",
        "1",
        "decimal s",
        "0",
        S,
    ),
    kw("vrrp_gna_interval", "global_defs", "1", "decimal s", "0", S),
    kw("vrrp_min_garp", "global_defs", "0-1", "bool", "off", S),
    kw("vrrp_garp_extra_if", "global_defs", "0+", "list", "off", S),
    kw(
        "vrrp_vmac_garp_intvl",
        "global_defs",
        "0+",
        "list",
        "off",
        S,
    ),
    kw(
        "vrrp_lower_prio_no_advert",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw(
        "vrrp_higher_prio_send_advert",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    // keepalived 2.2.7 without iptables (Debian's build): means `nftables`, with an error.
    kw("vrrp_iptables", "global_defs", "0+", "list", "-", S),
    kw("nftables", "global_defs", "0-1", "string", "keepalived", S),
    kw("nftables_priority", "global_defs", "1", "integer", "-1", S),
    // The three flags below ignore any value, as keepalived's handlers do.
    kw("nftables_ifindex", "global_defs", "0-1", "flag", "off", S),
    kw("nftables_ipvs", "global_defs", "0-1", "string", "-", I),
    kw(
        "nftables_ipvs_priority",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw(
        "nftables_ipvs_start_fwmark",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw("nftables_counters", "global_defs", "0-1", "flag", "off", S),
    kw(
        "vrrp_check_unicast_src",
        "global_defs",
        "0",
        "flag",
        "off",
        S,
    ),
    kw(
        "vrrp_skip_check_adv_addr",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw("vrrp_strict", "global_defs", "0-1", "flag", "off", S),
    kw("vrrp_priority", "global_defs", "1", "-20..19", "0", S),
    kw("vrrp_no_swap", "global_defs", "0", "flag", "off", S),
    kw("vrrp_rt_priority", "global_defs", "1", "1..99", "none", S),
    kw(
        "vrrp_cpu_affinity",
        "global_defs",
        "1+",
        "cpu ids",
        "all",
        S,
    ),
    kw(
        "vrrp_rlimit_rttime",
        "global_defs",
        "1",
        "integer us",
        "10000",
        S,
    ),
    kw(
        "vrrp_rlimit_rtime",
        "global_defs",
        "1",
        "integer us",
        "10000",
        S,
    ),
    kw("notify_fifo", "global_defs", "1+", "path", "none", S),
    kw(
        "notify_fifo_script",
        "global_defs",
        "1+",
        "script",
        "none",
        S,
    ),
    kw("vrrp_notify_fifo", "global_defs", "1+", "path", "none", S),
    kw(
        "vrrp_notify_fifo_script",
        "global_defs",
        "1+",
        "script",
        "none",
        S,
    ),
    kw(
        "vrrp_notify_priority_changes",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw(
        "fifo_write_vrrp_states_on_reload",
        "global_defs",
        "0",
        "flag",
        "off",
        S,
    ),
    kw("lvs_notify_fifo", "global_defs", "1+", "path", "none", I),
    kw(
        "lvs_notify_fifo_script",
        "global_defs",
        "1+",
        "script",
        "none",
        I,
    ),
    kw("checker_priority", "global_defs", "1", "integer", "-", I),
    kw("checker_no_swap", "global_defs", "0", "flag", "off", I),
    kw("checker_rt_priority", "global_defs", "1", "integer", "-", I),
    kw("checker_cpu_affinity", "global_defs", "1+", "list", "-", I),
    kw(
        "checker_rlimit_rttime",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw(
        "checker_rlimit_rtime",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw("bfd_priority", "global_defs", "1", "integer", "-", I),
    kw("bfd_no_swap", "global_defs", "0", "flag", "off", I),
    kw("bfd_rt_priority", "global_defs", "1", "integer", "-", I),
    kw("bfd_cpu_affinity", "global_defs", "1+", "list", "-", I),
    kw("bfd_rlimit_rttime", "global_defs", "1", "integer", "-", I),
    kw("bfd_rlimit_rtime", "global_defs", "1", "integer", "-", I),
    kw("snmp_socket", "global_defs", "1", "string", "-", I),
    kw("enable_traps", "global_defs", "0", "flag", "off", I),
    kw("enable_snmp_vrrp", "global_defs", "0", "flag", "off", I),
    kw(
        "enable_snmp_keepalived",
        "global_defs",
        "0",
        "flag",
        "off",
        I,
    ),
    kw("enable_snmp_rfc", "global_defs", "0", "flag", "off", I),
    kw("enable_snmp_rfcv2", "global_defs", "0", "flag", "off", I),
    kw("enable_snmp_rfcv3", "global_defs", "0", "flag", "off", I),
    kw("enable_snmp_checker", "global_defs", "0", "flag", "off", I),
    kw("enable_dbus", "global_defs", "0", "flag", "off", I),
    kw("dbus_service_name", "global_defs", "1", "string", "-", I),
    kw(
        "vrrp_netlink_cmd_rcv_bufs",
        "global_defs",
        "1",
        "bytes",
        "kernel",
        S,
    ),
    kw(
        "vrrp_netlink_cmd_rcv_bufs_force",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw(
        "vrrp_netlink_monitor_rcv_bufs",
        "global_defs",
        "1",
        "bytes",
        "kernel",
        S,
    ),
    kw(
        "vrrp_netlink_monitor_rcv_bufs_force",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw(
        "process_monitor_rcv_bufs",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw(
        "process_monitor_rcv_bufs_force",
        "global_defs",
        "0-1",
        "bool",
        "-",
        I,
    ),
    kw(
        "lvs_netlink_cmd_rcv_bufs",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw(
        "lvs_netlink_cmd_rcv_bufs_force",
        "global_defs",
        "0-1",
        "bool",
        "-",
        I,
    ),
    kw(
        "lvs_netlink_monitor_rcv_bufs",
        "global_defs",
        "1",
        "integer",
        "-",
        I,
    ),
    kw(
        "lvs_netlink_monitor_rcv_bufs_force",
        "global_defs",
        "0-1",
        "bool",
        "-",
        I,
    ),
    kw("rs_init_notifies", "global_defs", "0", "flag", "off", I),
    kw("no_checker_emails", "global_defs", "0", "flag", "off", I),
    kw(
        "vrrp_rx_bufs_policy",
        "global_defs",
        "1+",
        "MTU|ADVERT|bytes",
        "kernel",
        V,
    ),
    kw(
        "vrrp_rx_bufs_multiplier",
        "global_defs",
        "1",
        "integer",
        "3",
        V,
    ),
    kw(
        "vrrp_startup_delay",
        "global_defs",
        "1",
        "decimal s",
        "0",
        S,
    ),
    kw("log_unknown_vrids", "global_defs", "0", "flag", "off", S),
    kw("vmac_prefix", "global_defs", "1", "string", "vrrp", S),
    kw("vmac_addr_prefix", "global_defs", "1", "string", "vrrp", S),
    kw("umask", "global_defs", "1+", "mask", "0177", S),
    kw(
        "vrrp_vip_lifetime",
        "global_defs",
        "1",
        "integer s",
        "forever",
        S,
    ),
    kw(
        "random_seed",
        "global_defs",
        "1",
        "0..4294967295",
        "time",
        S,
    ),
    kw(
        "reload_check_config",
        "global_defs",
        "0-1",
        "path",
        "off",
        S,
    ),
    kw("reload_time_file", "global_defs", "1", "path", "-", I),
    kw("reload_repeat", "global_defs", "0", "flag", "off", I),
    kw("reload_file", "global_defs", "0-1", "path", "-", I),
    kw("include_check", "global_defs", "0+", "list", "-", S),
    kw("config_save_dir", "global_defs", "0-1", "path", "-", I),
    kw("tmp_config_directory", "global_defs", "0-1", "path", "-", S),
    kw("data_use_instance", "global_defs", "0-1", "bool", "off", S),
    kw("use_symlink_paths", "global_defs", "0-1", "bool", "off", I),
    kw(
        "set_supplementary_groups",
        "global_defs",
        "0-1",
        "bool",
        "off",
        I,
    ),
    kw(
        "vrrp_owner_ignore_adverts",
        "global_defs",
        "0-1",
        "bool",
        "off",
        S,
    ),
    kw(
        "vrrp_delay_after_boot",
        "global_defs",
        "1",
        "decimal s",
        "0",
        S,
    ),
    kw("v3_checksum_as_v2", "global_defs", "0-1", "bool", "off", S),
    kw(
        "state_dump_file",
        "global_defs",
        "1",
        "path",
        "$TMPDIR/keepalived.data",
        S,
    ),
    kw(
        "stats_dump_file",
        "global_defs",
        "1",
        "path",
        "$TMPDIR/keepalived.stats",
        S,
    ),
    kw(
        "json_dump_file",
        "global_defs",
        "1",
        "path",
        "$TMPDIR/keepalived.json",
        S,
    ),
    kw("json_version", "global_defs", "1", "1|2", "1", S),
    // vrrp_script
    kw("script", "vrrp_script", "1", "script", "required", S),
    kw("interval", "vrrp_script", "1", "decimal s", "1", S),
    kw("timeout", "vrrp_script", "1", "decimal s", "interval", S),
    kw("weight", "vrrp_script", "1-2", "integer [reverse]", "0", S),
    kw("rise", "vrrp_script", "1", "integer", "1", S),
    kw("fall", "vrrp_script", "1", "integer", "1", S),
    kw(
        "user",
        "vrrp_script",
        "1-2",
        "user [group]",
        "script_user",
        S,
    ),
    kw("init_fail", "vrrp_script", "0", "flag", "off", S),
    // track_file / vrrp_track_file
    kw("file", "track_file", "1", "path", "required", S),
    kw("weight", "track_file", "1-2", "integer [reverse]", "1", S),
    kw(
        "init_file",
        "track_file",
        "0+",
        "[value] [overwrite]",
        "off",
        S,
    ),
    // vrrp_track_process
    kw(
        "process",
        "vrrp_track_process",
        "1+",
        "name [args]",
        "required",
        S,
    ),
    kw(
        "param_match",
        "vrrp_track_process",
        "0-1",
        "initial|partial",
        "exact",
        S,
    ),
    kw(
        "weight",
        "vrrp_track_process",
        "1-2",
        "integer [reverse]",
        "0",
        S,
    ),
    kw("quorum", "vrrp_track_process", "1", "1..65535", "1", S),
    kw(
        "quorum_max",
        "vrrp_track_process",
        "1",
        "0..65535",
        "unlimited",
        S,
    ),
    kw("delay", "vrrp_track_process", "1", "decimal s", "0", S),
    kw(
        "terminate_delay",
        "vrrp_track_process",
        "1",
        "decimal s",
        "0",
        S,
    ),
    kw("fork_delay", "vrrp_track_process", "1", "decimal s", "0", S),
    kw("full_command", "vrrp_track_process", "0", "flag", "off", S),
    // vrrp_instance
    kw("state", "vrrp_instance", "1", "MASTER|BACKUP", "derived", S),
    kw("interface", "vrrp_instance", "1", "ifname", "none", S),
    kw(
        "virtual_router_id",
        "vrrp_instance",
        "1",
        "1..255",
        "required",
        S,
    ),
    kw("priority", "vrrp_instance", "1", "1..255", "100", S),
    kw("advert_int", "vrrp_instance", "1", "decimal s", "1", S),
    kw(
        "authentication",
        "vrrp_instance",
        "block",
        "block",
        "none",
        S,
    ),
    kw(
        "virtual_ipaddress",
        "vrrp_instance",
        "block",
        "vip lines",
        "none",
        S,
    ),
    kw(
        "track_script",
        "vrrp_instance",
        "block",
        "name lines",
        "none",
        S,
    ),
    kw(
        "track_interface",
        "vrrp_instance",
        "block",
        "ifname lines",
        "none",
        S,
    ),
    kw("nopreempt", "vrrp_instance", "0", "flag", "off", S),
    kw("preempt", "vrrp_instance", "0", "flag", "on", S),
    kw("preempt_delay", "vrrp_instance", "1", "decimal s", "0", S),
    kw(
        "notify",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_master",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_backup",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_fault",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_stop",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw("smtp_alert", "vrrp_instance", "0-1", "bool", "global", S),
    kw(
        "unicast_src_ip",
        "vrrp_instance",
        "1",
        "ip",
        "interface address",
        S,
    ),
    kw(
        "mcast_src_ip",
        "vrrp_instance",
        "1",
        "ip",
        "interface address",
        S,
    ),
    kw(
        "unicast_peer",
        "vrrp_instance",
        "block",
        "ip lines",
        "none",
        S,
    ),
    kw("version", "vrrp_instance", "1", "2|3", "vrrp_version", S),
    kw(
        "garp_master_delay",
        "vrrp_instance",
        "1",
        "integer s",
        "global",
        S,
    ),
    kw(
        "garp_master_repeat",
        "vrrp_instance",
        "1",
        "integer",
        "global",
        S,
    ),
    kw(
        "garp_master_refresh",
        "vrrp_instance",
        "1",
        "integer s",
        "global",
        S,
    ),
    kw(
        "garp_master_refresh_repeat",
        "vrrp_instance",
        "1",
        "integer",
        "global",
        S,
    ),
    kw("dont_track_primary", "vrrp_instance", "0", "flag", "off", S),
    kw("use_vmac", "vrrp_instance", "0+", "list", "off", S),
    kw("use_vmac_addr", "vrrp_instance", "0", "flag", "off", S),
    kw("vmac_xmit_base", "vrrp_instance", "0", "flag", "off", S),
    kw("use_ipvlan", "vrrp_instance", "0+", "list", "off", I),
    kw(
        "unicast_fault_no_peer",
        "vrrp_instance",
        "0",
        "flag",
        "off",
        S,
    ),
    kw("check_unicast_src", "vrrp_instance", "0", "flag", "off", S),
    kw(
        "old_unicast_checksum",
        "vrrp_instance",
        "0-1",
        "[never]",
        "auto",
        S,
    ),
    kw("native_ipv6", "vrrp_instance", "0", "flag", "off", S),
    kw("vrf", "vrrp_instance", "1", "ifname", "none", I),
    kw(
        "track_file",
        "vrrp_instance",
        "block",
        "name lines",
        "none",
        S,
    ),
    kw(
        "track_process",
        "vrrp_instance",
        "block",
        "name lines",
        "none",
        S,
    ),
    kw(
        "track_bfd",
        "vrrp_instance",
        "block",
        "name lines",
        "none",
        I,
    ),
    kw(
        "mcast_dst_ip",
        "vrrp_instance",
        "1",
        "ip",
        "global group",
        S,
    ),
    kw("track_src_ip", "vrrp_instance", "0", "flag", "off", S),
    kw("unicast_ttl", "vrrp_instance", "1", "0..255", "255", S),
    kw(
        "virtual_ipaddress_excluded",
        "vrrp_instance",
        "block",
        "vip lines",
        "none",
        S,
    ),
    kw(
        "no_virtual_ipaddress",
        "vrrp_instance",
        "0",
        "flag",
        "off",
        S,
    ),
    kw(
        "promote_secondaries",
        "vrrp_instance",
        "0",
        "flag",
        "off",
        S,
    ),
    kw(
        "linkbeat_use_polling",
        "vrrp_instance",
        "0",
        "flag",
        "off",
        I,
    ),
    kw(
        "virtual_routes",
        "vrrp_instance",
        "block",
        "route lines",
        "none",
        S,
    ),
    kw(
        "virtual_rules",
        "vrrp_instance",
        "block",
        "rule lines",
        "none",
        S,
    ),
    kw(
        "accept",
        "vrrp_instance",
        "0",
        "flag",
        "on (off when strict)",
        S,
    ),
    kw("no_accept", "vrrp_instance", "0", "flag", "off", S),
    kw(
        "skip_check_adv_addr",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw(
        "strict_mode",
        "vrrp_instance",
        "0-1",
        "bool",
        "vrrp_strict",
        S,
    ),
    kw("debug", "vrrp_instance", "0-1", "0..4", "0", I),
    kw(
        "notify_deleted",
        "vrrp_instance",
        "0+",
        "script [user [group]]",
        "off",
        S,
    ),
    kw(
        "notify_master_rx_lower_pri",
        "vrrp_instance",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_priority_changes",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw(
        "lvs_sync_daemon_interface",
        "vrrp_instance",
        "1",
        "ifname",
        "-",
        I,
    ),
    kw(
        "garp_lower_prio_delay",
        "vrrp_instance",
        "1",
        "integer s",
        "global",
        S,
    ),
    kw(
        "garp_lower_prio_repeat",
        "vrrp_instance",
        "1",
        "integer",
        "global",
        S,
    ),
    kw("down_timer_adverts", "vrrp_instance", "1", "1..100", "3", S),
    kw("garp_extra_if", "vrrp_instance", "0+", "list", "global", S),
    kw(
        "vmac_garp_intvl",
        "vrrp_instance",
        "0+",
        "list",
        "global",
        S,
    ),
    kw(
        "lower_prio_no_advert",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw(
        "higher_prio_send_advert",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw(
        "owner_ignore_adverts",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw(
        "kernel_rx_buf_size",
        "vrrp_instance",
        "1",
        "integer",
        "0",
        I,
    ),
    kw(
        "timer_expired_backup",
        "vrrp_instance",
        "0-1",
        "integer",
        "off",
        I,
    ),
    kw(
        "v3_checksum_as_v2",
        "vrrp_instance",
        "0-1",
        "bool",
        "global",
        S,
    ),
    kw("auth_hmac", "vrrp_instance", "block", "block", "off", I),
    // vrrp_sync_group
    kw(
        "group",
        "vrrp_sync_group",
        "block",
        "instance names",
        "required",
        S,
    ),
    kw(
        "track_script",
        "vrrp_sync_group",
        "block",
        "name lines",
        "none",
        S,
    ),
    kw(
        "track_interface",
        "vrrp_sync_group",
        "block",
        "name lines",
        "none",
        S,
    ),
    kw(
        "track_file",
        "vrrp_sync_group",
        "block",
        "name lines",
        "none",
        I,
    ),
    kw(
        "track_process",
        "vrrp_sync_group",
        "block",
        "name lines",
        "none",
        I,
    ),
    kw(
        "track_bfd",
        "vrrp_sync_group",
        "block",
        "name lines",
        "none",
        I,
    ),
    kw(
        "notify_master",
        "vrrp_sync_group",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_backup",
        "vrrp_sync_group",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_fault",
        "vrrp_sync_group",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify_stop",
        "vrrp_sync_group",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw(
        "notify",
        "vrrp_sync_group",
        "1+",
        "script [user [group]]",
        "none",
        S,
    ),
    kw("smtp_alert", "vrrp_sync_group", "0-1", "bool", "global", S),
    kw(
        "sync_group_tracking_weight",
        "vrrp_sync_group",
        "0",
        "flag",
        "off",
        S,
    ),
    kw("global_tracking", "vrrp_sync_group", "0", "flag", "off", S),
    kw(
        "notify_priority_changes",
        "vrrp_sync_group",
        "0-1",
        "bool",
        "unset",
        I,
    ),
    // authentication
    kw("auth_type", "authentication", "1", "PASS|AH", "none", S),
    kw(
        "auth_pass",
        "authentication",
        "1",
        "string (8 bytes)",
        "none",
        S,
    ),
    // virtual_server_group (a value block of addresses; `fwmark` is its one keyword)
    kw(
        "fwmark",
        "virtual_server_group",
        "1-2",
        "integer [inet|inet6]",
        "-",
        V,
    ),
    // SSL
    kw("password", "SSL", "1", "string", "none", V),
    kw("ca", "SSL", "1", "path", "none", V),
    kw("certificate", "SSL", "1", "path", "none", V),
    kw("key", "SSL", "1", "path", "none", V),
    // virtual_server
    kw(
        "ip_family",
        "virtual_server",
        "1",
        "inet|inet6",
        "derived",
        V,
    ),
    kw("retry", "virtual_server", "1", "integer", "checker", V),
    kw(
        "delay_before_retry",
        "virtual_server",
        "1",
        "decimal s",
        "checker",
        V,
    ),
    kw(
        "warmup",
        "virtual_server",
        "1",
        "decimal s",
        "delay_loop",
        V,
    ),
    kw(
        "connect_timeout",
        "virtual_server",
        "1",
        "decimal s",
        "5",
        V,
    ),
    kw("delay_loop", "virtual_server", "1", "decimal s", "60", V),
    kw(
        "inhibit_on_failure",
        "virtual_server",
        "0",
        "flag",
        "off",
        V,
    ),
    kw("lb_algo", "virtual_server", "1", "scheduler", "wlc", V),
    kw("lvs_sched", "virtual_server", "1", "scheduler", "wlc", V),
    kw("hashed", "virtual_server", "0", "flag", "off", V),
    kw("ops", "virtual_server", "0", "flag", "off", V),
    kw("flag-1", "virtual_server", "0", "flag", "off", V),
    kw("flag-2", "virtual_server", "0", "flag", "off", V),
    kw("flag-3", "virtual_server", "0", "flag", "off", V),
    kw("sh-port", "virtual_server", "0", "flag", "off", V),
    kw("sh-fallback", "virtual_server", "0", "flag", "off", V),
    kw("mh-port", "virtual_server", "0", "flag", "off", V),
    kw("mh-fallback", "virtual_server", "0", "flag", "off", V),
    kw(
        "lb_kind",
        "virtual_server",
        "1+",
        "NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]",
        "NAT",
        V,
    ),
    kw(
        "lvs_method",
        "virtual_server",
        "1+",
        "NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]",
        "NAT",
        V,
    ),
    kw(
        "persistence_engine",
        "virtual_server",
        "1",
        "string",
        "none",
        V,
    ),
    kw(
        "persistence_timeout",
        "virtual_server",
        "0-1",
        "integer s",
        "360 when given",
        V,
    ),
    kw(
        "persistence_granularity",
        "virtual_server",
        "1",
        "netmask|prefix",
        "none",
        V,
    ),
    kw("protocol", "virtual_server", "1", "TCP|UDP|SCTP", "UDP", V),
    kw("ha_suspend", "virtual_server", "0", "flag", "off", V),
    kw("smtp_alert", "virtual_server", "0-1", "bool", "global", V),
    kw("virtualhost", "virtual_server", "1", "string", "none", V),
    kw("snmp_name", "virtual_server", "1", "string", "none", V),
    kw("alpha", "virtual_server", "0", "flag", "off", V),
    kw("omega", "virtual_server", "0", "flag", "off", V),
    kw(
        "quorum_up",
        "virtual_server",
        "1+",
        "script [user [group]]",
        "none",
        V,
    ),
    kw(
        "quorum_down",
        "virtual_server",
        "1+",
        "script [user [group]]",
        "none",
        V,
    ),
    kw("quorum", "virtual_server", "1", "integer", "1", V),
    kw("hysteresis", "virtual_server", "1", "integer", "0", V),
    kw("weight", "virtual_server", "1", "integer", "1", V),
    kw(
        "sorry_server",
        "virtual_server",
        "1-2",
        "address [port]",
        "none",
        V,
    ),
    kw(
        "sorry_server_inhibit",
        "virtual_server",
        "0",
        "flag",
        "off",
        V,
    ),
    kw(
        "sorry_server_lvs_method",
        "virtual_server",
        "1+",
        "NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]",
        "virtual server",
        V,
    ),
    kw(
        "real_server",
        "virtual_server",
        "1-2",
        "address [port]+block",
        "-",
        V,
    ),
    // real_server
    kw("weight", "real_server", "1", "integer", "virtual server", V),
    kw(
        "lvs_method",
        "real_server",
        "1+",
        "NAT|DR|TUN [type ipip|gue|gre] [port N] [csum|nocsum|remcsum]",
        "virtual server",
        V,
    ),
    kw("uthreshold", "real_server", "1", "integer", "0", V),
    kw("lthreshold", "real_server", "1", "integer", "0", V),
    kw(
        "inhibit_on_failure",
        "real_server",
        "0-1",
        "bool",
        "virtual server",
        V,
    ),
    kw(
        "notify_up",
        "real_server",
        "1+",
        "script [user [group]]",
        "none",
        V,
    ),
    kw(
        "notify_down",
        "real_server",
        "1+",
        "script [user [group]]",
        "none",
        V,
    ),
    kw("alpha", "real_server", "0-1", "bool", "virtual server", V),
    kw("retry", "real_server", "1", "integer", "virtual server", V),
    kw(
        "delay_before_retry",
        "real_server",
        "1",
        "decimal s",
        "virtual server",
        V,
    ),
    kw(
        "warmup",
        "real_server",
        "1",
        "decimal s",
        "virtual server",
        V,
    ),
    kw(
        "connect_timeout",
        "real_server",
        "1",
        "decimal s",
        "virtual server",
        V,
    ),
    kw(
        "delay_loop",
        "real_server",
        "1",
        "decimal s",
        "virtual server",
        V,
    ),
    kw(
        "smtp_alert",
        "real_server",
        "0-1",
        "bool",
        "global, else on",
        V,
    ),
    kw(
        "virtualhost",
        "real_server",
        "1",
        "string",
        "virtual server",
        V,
    ),
    kw("snmp_name", "real_server", "1", "string", "none", V),
    kw("MISC_CHECK", "real_server", "block", "block", "-", V),
    kw("SMTP_CHECK", "real_server", "block", "block", "-", V),
    kw("TCP_CHECK", "real_server", "block", "block", "-", V),
    kw("PING_CHECK", "real_server", "block", "block", "-", V),
    kw("UDP_CHECK", "real_server", "block", "block", "-", V),
    kw("HTTP_GET", "real_server", "block", "block", "-", V),
    kw("SSL_GET", "real_server", "block", "block", "-", V),
    kw("DNS_CHECK", "real_server", "block", "block", "-", V),
    kw("FILE_CHECK", "real_server", "block", "block", "-", V),
    kw("BFD_CHECK", "real_server", "block", "block", "-", V),
    // HTTP_GET
    kw("connect_ip", "HTTP_GET", "1", "address", "real server", V),
    kw(
        "connect_port",
        "HTTP_GET",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "HTTP_GET", "1", "address", "none", V),
    kw("bind_port", "HTTP_GET", "1", "1..65535", "none", V),
    kw("bind_if", "HTTP_GET", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "HTTP_GET",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "HTTP_GET", "1", "integer", "none", V),
    kw("retry", "HTTP_GET", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "HTTP_GET",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "HTTP_GET", "1", "decimal s", "real server", V),
    kw("delay_loop", "HTTP_GET", "1", "decimal s", "real server", V),
    kw("alpha", "HTTP_GET", "0-1", "bool", "real server", V),
    kw("log_all_failures", "HTTP_GET", "0-1", "bool", "off", V),
    kw(
        "nb_get_retry",
        "HTTP_GET",
        "1",
        "integer",
        "deprecated: retry",
        V,
    ),
    kw("virtualhost", "HTTP_GET", "1", "string", "real server", V),
    kw("http_protocol", "HTTP_GET", "1", "1.0|1.1|1.0C", "1.0", V),
    kw("enable_sni", "HTTP_GET", "0-1", "bool", "off", V),
    kw("fast_recovery", "HTTP_GET", "0-1", "bool", "off", V),
    kw("url", "HTTP_GET", "block", "block", "-", V),
    // SSL_GET
    kw("connect_ip", "SSL_GET", "1", "address", "real server", V),
    kw(
        "connect_port",
        "SSL_GET",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "SSL_GET", "1", "address", "none", V),
    kw("bind_port", "SSL_GET", "1", "1..65535", "none", V),
    kw("bind_if", "SSL_GET", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "SSL_GET",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "SSL_GET", "1", "integer", "none", V),
    kw("retry", "SSL_GET", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "SSL_GET",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "SSL_GET", "1", "decimal s", "real server", V),
    kw("delay_loop", "SSL_GET", "1", "decimal s", "real server", V),
    kw("alpha", "SSL_GET", "0-1", "bool", "real server", V),
    kw("log_all_failures", "SSL_GET", "0-1", "bool", "off", V),
    kw(
        "nb_get_retry",
        "SSL_GET",
        "1",
        "integer",
        "deprecated: retry",
        V,
    ),
    kw("virtualhost", "SSL_GET", "1", "string", "real server", V),
    kw("http_protocol", "SSL_GET", "1", "1.0|1.1|1.0C", "1.0", V),
    kw("enable_sni", "SSL_GET", "0-1", "bool", "off", V),
    kw("fast_recovery", "SSL_GET", "0-1", "bool", "off", V),
    kw("url", "SSL_GET", "block", "block", "-", V),
    // url
    kw("path", "url", "1", "string", "required", V),
    kw("digest", "url", "1", "32 hex digits", "none", V),
    kw(
        "status_code",
        "url",
        "0+",
        "code|min-max list",
        "200-299",
        V,
    ),
    kw("virtualhost", "url", "1", "string", "checker", V),
    kw("regex", "url", "1", "string", "none", V),
    kw("regex_no_match", "url", "0", "flag", "off", V),
    kw("regex_options", "url", "0+", "list", "none", V),
    kw("regex_min_offset", "url", "1", "integer", "0", V),
    kw("regex_max_offset", "url", "1", "integer", "none", V),
    kw("regex_stack", "url", "2", "integer integer", "none", V),
    // TCP_CHECK
    kw("connect_ip", "TCP_CHECK", "1", "address", "real server", V),
    kw(
        "connect_port",
        "TCP_CHECK",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "TCP_CHECK", "1", "address", "none", V),
    kw("bind_port", "TCP_CHECK", "1", "1..65535", "none", V),
    kw("bind_if", "TCP_CHECK", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "TCP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "TCP_CHECK", "1", "integer", "none", V),
    kw("retry", "TCP_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "TCP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "TCP_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "TCP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "TCP_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "TCP_CHECK", "0-1", "bool", "off", V),
    // SMTP_CHECK
    kw(
        "helo_name",
        "SMTP_CHECK",
        "1",
        "string",
        "smtpchecker.keepalived.org",
        V,
    ),
    kw("connect_ip", "SMTP_CHECK", "1", "address", "real server", V),
    kw(
        "connect_port",
        "SMTP_CHECK",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "SMTP_CHECK", "1", "address", "none", V),
    kw("bind_port", "SMTP_CHECK", "1", "1..65535", "none", V),
    kw("bind_if", "SMTP_CHECK", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "SMTP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "SMTP_CHECK", "1", "integer", "none", V),
    kw("retry", "SMTP_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "SMTP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "SMTP_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "SMTP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "SMTP_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "SMTP_CHECK", "0-1", "bool", "off", V),
    kw("host", "SMTP_CHECK", "block", "block", "-", V),
    // host
    kw("connect_ip", "host", "1", "address", "real server", V),
    kw(
        "connect_port",
        "host",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "host", "1", "address", "none", V),
    kw("bind_port", "host", "1", "1..65535", "none", V),
    kw("bind_if", "host", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "host",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "host", "1", "integer", "none", V),
    kw("retry", "host", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "host",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "host", "1", "decimal s", "real server", V),
    kw("delay_loop", "host", "1", "decimal s", "real server", V),
    kw("alpha", "host", "0-1", "bool", "real server", V),
    kw("log_all_failures", "host", "0-1", "bool", "off", V),
    // DNS_CHECK
    kw("connect_ip", "DNS_CHECK", "1", "address", "real server", V),
    kw(
        "connect_port",
        "DNS_CHECK",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "DNS_CHECK", "1", "address", "none", V),
    kw("bind_port", "DNS_CHECK", "1", "1..65535", "none", V),
    kw("bind_if", "DNS_CHECK", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "DNS_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "DNS_CHECK", "1", "integer", "none", V),
    kw("retry", "DNS_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "DNS_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "DNS_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "DNS_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "DNS_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "DNS_CHECK", "0-1", "bool", "off", V),
    kw(
        "type",
        "DNS_CHECK",
        "1",
        "A|NS|CNAME|SOA|MX|TXT|AAAA|RRSIG|DNSKEY",
        "SOA",
        V,
    ),
    kw("name", "DNS_CHECK", "1", "domain name", "(root)", V),
    // MISC_CHECK
    kw("retry", "MISC_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "MISC_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "MISC_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "MISC_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "MISC_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "MISC_CHECK", "0-1", "bool", "off", V),
    kw("misc_path", "MISC_CHECK", "1", "script", "required", V),
    kw(
        "misc_timeout",
        "MISC_CHECK",
        "1",
        "integer s",
        "delay_loop",
        V,
    ),
    kw("misc_dynamic", "MISC_CHECK", "0", "flag", "off", V),
    kw(
        "user",
        "MISC_CHECK",
        "1-2",
        "user [group]",
        "script_user",
        V,
    ),
    // UDP_CHECK
    kw("connect_ip", "UDP_CHECK", "1", "address", "real server", V),
    kw(
        "connect_port",
        "UDP_CHECK",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "UDP_CHECK", "1", "address", "none", V),
    kw("bind_port", "UDP_CHECK", "1", "1..65535", "none", V),
    kw("bind_if", "UDP_CHECK", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "UDP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "UDP_CHECK", "1", "integer", "none", V),
    kw("retry", "UDP_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "UDP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "UDP_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "UDP_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "UDP_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "UDP_CHECK", "0-1", "bool", "off", V),
    kw("payload", "UDP_CHECK", "1+", "hex", "none", V),
    kw(
        "require_reply",
        "UDP_CHECK",
        "0+",
        "hex with x wildcards",
        "any reply",
        V,
    ),
    kw("min_reply_length", "UDP_CHECK", "1", "0..65535", "0", V),
    kw("max_reply_length", "UDP_CHECK", "1", "0..65535", "255", V),
    // PING_CHECK
    kw("connect_ip", "PING_CHECK", "1", "address", "real server", V),
    kw(
        "connect_port",
        "PING_CHECK",
        "1",
        "1..65535",
        "real server port",
        V,
    ),
    kw("bindto", "PING_CHECK", "1", "address", "none", V),
    kw("bind_port", "PING_CHECK", "1", "1..65535", "none", V),
    kw("bind_if", "PING_CHECK", "1", "ifname", "none", V),
    kw(
        "connect_timeout",
        "PING_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("fwmark", "PING_CHECK", "1", "integer", "none", V),
    kw("retry", "PING_CHECK", "1", "integer", "real server", V),
    kw(
        "delay_before_retry",
        "PING_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("warmup", "PING_CHECK", "1", "decimal s", "real server", V),
    kw(
        "delay_loop",
        "PING_CHECK",
        "1",
        "decimal s",
        "real server",
        V,
    ),
    kw("alpha", "PING_CHECK", "0-1", "bool", "real server", V),
    kw("log_all_failures", "PING_CHECK", "0-1", "bool", "off", V),
    // FILE_CHECK
    kw("track_file", "FILE_CHECK", "1", "name", "required", V),
    kw(
        "weight",
        "FILE_CHECK",
        "1-2",
        "integer [reverse|noreverse]",
        "track_file",
        V,
    ),
    // BFD_CHECK
    kw("name", "BFD_CHECK", "1", "name", "required", V),
    kw("alpha", "BFD_CHECK", "0-1", "bool", "real server", V),
];

/// Looks a keyword up in a block.
pub fn find(block: &str, name: &str) -> Option<&'static Keyword> {
    // Every statement of a configuration is looked up, some twice: an index, built once,
    // keeps that from scanning the whole table each time.
    type Index = HashMap<(&'static str, &'static str), &'static Keyword, BuildFnv>;
    static INDEX: std::sync::OnceLock<Index> = std::sync::OnceLock::new();
    INDEX
        .get_or_init(|| KEYWORDS.iter().map(|k| ((k.block, k.name), k)).collect())
        .get(&(block, name))
        .copied()
}

/// FNV-1a: keyword lookups hash two short strings per statement, for which SipHash (built to
/// resist hash flooding, which a fixed table does not need) costs more than the lookup.
#[derive(Default, Clone, Copy)]
struct BuildFnv;

struct Fnv(u64);

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The closest keyword of `block` to a misspelt `name` (edit distance ≤ 2 or ≤ a third of its
/// length), for "did you mean".
pub fn suggest(block: &str, name: &str) -> Option<&'static str> {
    nearest(
        KEYWORDS.iter().filter(|k| k.block == block).map(|k| k.name),
        name,
    )
}

/// The closest of `words` to a misspelt `name`, by the same rule as [`suggest`] (values such
/// as scheduler names or regex options).
pub fn closest(words: &[&'static str], name: &str) -> Option<&'static str> {
    nearest(words.iter().copied(), name)
}

fn nearest(words: impl Iterator<Item = &'static str>, name: &str) -> Option<&'static str> {
    let name: Vec<char> = name.chars().collect();
    let limit = (name.len() / 3).clamp(1, 3);
    // Two rows reused for every candidate; a candidate whose length alone puts it beyond the
    // limit is not compared at all (fuzzed input is mostly long unknown words).
    let mut rows = (Vec::new(), Vec::new());
    words
        .filter(|w| w.chars().count().abs_diff(name.len()) <= limit)
        .filter_map(|w| distance(w, &name, limit, &mut rows).map(|d| (d, w)))
        .min()
        .map(|(_, n)| n)
}

/// Levenshtein distance of `a` and `b`, or `None` as soon as it must exceed `limit`.
fn distance(
    a: &str,
    b: &[char],
    limit: usize,
    (prev, cur): &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.chars().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for j in 1..=b.len() {
            let cost = usize::from(ca != b[j - 1]);
            let v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            cur.push(v);
        }
        // Every later row is at least this row's minimum.
        if cur.iter().min().is_some_and(|&m| m > limit) {
            return None;
        }
        std::mem::swap(prev, cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
}

/// Renders the table as `grammar/keywords.tsv`.
pub fn to_tsv() -> String {
    let mut s = String::from("keyword\tblock\targs\ttype\tdefault\tstatus\n");
    for k in KEYWORDS {
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            k.name,
            k.block,
            k.args,
            k.ty,
            k.default,
            k.status.as_str()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn tsv_and_table_agree_both_ways() {
        let tsv = include_str!("../../grammar/keywords.tsv");
        let from_file: BTreeSet<(String, String, String)> = tsv
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 6, "bad tsv row {l:?}");
                (f[0].to_string(), f[1].to_string(), f[5].to_string())
            })
            .collect();
        let from_table: BTreeSet<(String, String, String)> = KEYWORDS
            .iter()
            .map(|k| {
                (
                    k.name.to_string(),
                    k.block.to_string(),
                    k.status.as_str().to_string(),
                )
            })
            .collect();
        let missing: Vec<_> = from_table.difference(&from_file).collect();
        let extra: Vec<_> = from_file.difference(&from_table).collect();
        assert!(
            missing.is_empty(),
            "in the table but not in keywords.tsv: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "in keywords.tsv but not in the table: {extra:?}"
        );
        assert_eq!(
            tsv,
            to_tsv(),
            "keywords.tsv differs in args/type/default: regenerate it"
        );
    }

    #[test]
    fn no_duplicates() {
        let mut seen = BTreeSet::new();
        for k in KEYWORDS {
            assert!(
                seen.insert((k.block, k.name)),
                "duplicate {} in {}",
                k.name,
                k.block
            );
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("vrrp_instance", "prioritx"), Some("priority"));
        assert_eq!(
            suggest("vrrp_instance", "virtual_ipaddres"),
            Some("virtual_ipaddress")
        );
        assert_eq!(suggest("vrrp_instance", "zzzzzzzz"), None);
        assert_eq!(suggest("real_server", "wieght"), Some("weight"));
        assert_eq!(suggest("url", "stauts_code"), Some("status_code"));
        assert_eq!(closest(&["rr", "wrr", "wlc"], "wrc"), Some("wlc"));
        assert_eq!(suggest("top", "vrrp_instanceé"), Some("vrrp_instance"));
        assert_eq!(
            find("global_defs", "router_id").unwrap().status,
            Status::Supported
        );
        assert!(find("global_defs", "Router_id").is_none());
    }
}

#[cfg(test)]
mod regenerate {
    /// `cargo test --lib config::keywords::regenerate -- --ignored` rewrites keywords.tsv.
    #[test]
    #[ignore]
    fn write_keywords_tsv() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/keywords.tsv");
        std::fs::write(path, super::to_tsv()).unwrap();
    }
}
