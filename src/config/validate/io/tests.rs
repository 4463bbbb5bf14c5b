//! The I/O keywords as keepalived 2.2.7 reads them (messages checked with its `-t`).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::{LoadOptions, Loaded, load_str};
use crate::model::{IoSettings, OldUnicastChecksum, RcvBuf, RxBufsPolicy};

fn load_with(text: &str, host: bool) -> Loaded {
    let opts = LoadOptions {
        config_id: "main".into(),
        check_interfaces: host,
        all_config: false,
    };
    load_str("k.conf", text, &opts)
}

fn load(globals: &str) -> Loaded {
    load_with(&format!("global_defs {{\n{globals}\n}}\n"), false)
}

fn instance(lines: &str) -> Loaded {
    load_with(
        &format!(
            "vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n{lines}\n \
             virtual_ipaddress {{\n  198.51.100.50\n }}\n}}\n"
        ),
        false,
    )
}

#[test]
fn defaults_are_keepalived_s() {
    let l = load(" router_id X");
    assert_eq!(l.config.as_ref().unwrap().global.io, IoSettings::default());
    assert_eq!(IoSettings::default().rx_bufs_multiplier, 3);
    let i = &instance("").config.unwrap().instances[0];
    assert_eq!(i.unicast_opts, Default::default());
    assert_eq!(i.mcast_group, "224.0.0.18".parse::<IpAddr>().unwrap());
}

#[test]
fn values_are_read_and_dumped() {
    let l = load(
        " log_unknown_vrids\n random_seed 42\n dynamic_interfaces allow_if_changes\n \
         vrrp_netlink_cmd_rcv_bufs 1048576\n vrrp_netlink_cmd_rcv_bufs_force\n \
         vrrp_netlink_monitor_rcv_bufs 2097152\n vrrp_netlink_monitor_rcv_bufs_force off\n \
         vrrp_rx_bufs_policy mtu\n vrrp_rx_bufs_multiplier 4\n reload_check_config\n \
         vrrp_delay_after_boot 30.5",
    );
    let m = l.messages();
    assert!(
        m.iter().all(|x| x.contains("not acted on")),
        "only the notes about the rx buffers: {m:?}"
    );
    assert_eq!(l.test_exit_code(), 0);
    let io = &l.config.as_ref().unwrap().global.io;
    assert!(io.log_unknown_vrids && io.dynamic_interfaces && io.allow_if_changes);
    assert_eq!(io.random_seed, Some(42));
    assert_eq!(
        io.netlink_cmd_rcvbuf,
        RcvBuf {
            size: 1_048_576,
            force: true
        }
    );
    assert_eq!(
        io.netlink_monitor_rcvbuf,
        RcvBuf {
            size: 2_097_152,
            force: false
        }
    );
    assert_eq!(io.rx_bufs_policy, RxBufsPolicy::Mtu);
    assert_eq!(io.rx_bufs_multiplier, 4);
    assert_eq!(io.reload_check_config.as_deref(), Some("/dev/null"));
    assert_eq!(
        io.vrrp_delay_after_boot,
        Some(Duration::from_millis(30_500))
    );
    let d = crate::config::dump(l.config.as_ref().unwrap());
    for line in [
        "  log_unknown_vrids true\n",
        "  random_seed 42\n",
        "  dynamic_interfaces true allow_if_changes\n",
        "  vrrp_netlink_cmd_rcv_bufs 1048576 force\n",
        "  vrrp_netlink_monitor_rcv_bufs 2097152\n",
        "  vrrp_rx_bufs_policy MTU\n",
        "  vrrp_rx_bufs_multiplier 4\n",
        "  reload_check_config /dev/null\n",
        "  vrrp_delay_after_boot 30500000us\n",
    ] {
        assert!(d.contains(line), "missing {line:?} in\n{d}");
    }
}

#[test]
fn bad_values_get_keepalived_s_messages() {
    let l = load(
        " random_seed x\n dynamic_interfaces bogus\n vrrp_netlink_monitor_rcv_bufs x\n \
         vrrp_netlink_monitor_rcv_bufs\n vrrp_netlink_monitor_rcv_bufs_force maybe\n \
         vrrp_rx_bufs_policy MTU ADVERT\n vrrp_rx_bufs_policy 4096\n vrrp_rx_bufs_policy MTU 4096\n \
         vrrp_rx_bufs_policy bogus\n vrrp_rx_bufs_multiplier 0\n vrrp_rx_bufs_multiplier 4 5",
    );
    let m: Vec<String> = l
        .messages()
        .into_iter()
        .filter(|x| !x.contains("not acted on"))
        .collect();
    assert_eq!(
        m,
        [
            "invalid number 'x'",
            "random_seed x invalid",
            "Unknown dynamic_interfaces option 'bogus'",
            "invalid number 'x'",
            "vrrp_netlink_monitor_rcv_bufs size (x) invalid",
            "vrrp_netlink_monitor_rcv_bufs size missing",
            "Invalid value 'maybe' for global vrrp_netlink_monitor_rcv_bufs_force specified",
            "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT",
            "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy",
            "invalid number 'MTU'",
            "Invalid vrrp_rx_bufs_policy 4096",
            "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy",
            "invalid number 'bogus'",
            "Invalid vrrp_rx_bufs_policy bogus",
            "number '0' outside range [1, 4294967295]",
            "Invalid vrrp_rx_bufs_multiplier 0",
            "Invalid vrrp_rx_bufs_multiplier",
        ]
    );
    assert_eq!(l.test_exit_code(), 5);
    let io = &l.config.as_ref().unwrap().global.io;
    // `dynamic_interfaces bogus` still turns the option on; the size from `4096` stays.
    assert!(io.dynamic_interfaces && !io.allow_if_changes);
    assert_eq!(io.rx_bufs_policy, RxBufsPolicy::Size(4096));
    assert_eq!(io.rx_bufs_multiplier, 3);
    assert_eq!(io.random_seed, None);
}

#[test]
fn instance_unicast_options_and_mcast_dst_ip() {
    let l = instance(
        " unicast_fault_no_peer\n old_unicast_checksum\n old_unicast_checksum always\n \
         mcast_dst_ip 224.0.0.19\n mcast_dst_ip 198.51.100.9\n mcast_dst_ip ff02::12\n \
         mcast_dst_ip bogus",
    );
    assert_eq!(
        l.messages(),
        [
            "(VI_1) Unknown old_unicast_chksum mode always - ignoring",
            "(VI_1) mcast_dst_ip 198.51.100.9 not multicast. Skipping...",
            "(VI_1) mcast dest address ff02::12 MUST match VRRP instance family. Skipping...",
            "(VI_1) malformed mcast dest address bogus. Skipping...",
            "(VI_1) Cannot use unicast without any peers - going to fault state",
        ]
    );
    assert_eq!(l.test_exit_code(), 5);
    let i = &l.config.as_ref().unwrap().instances[0];
    assert!(i.unicast_opts.fault_no_peer);
    assert_eq!(i.unicast_opts.old_checksum, OldUnicastChecksum::Always);
    assert_eq!(i.mcast_group, "224.0.0.19".parse::<IpAddr>().unwrap());
    let d = crate::config::dump(l.config.as_ref().unwrap());
    assert!(
        d.contains("  mcast_group 224.0.0.19\n")
            && d.contains("  unicast_fault_no_peer true\n")
            && d.contains("  old_unicast_checksum always\n"),
        "{d}"
    );
    // `never`; and without unicast_fault_no_peer an empty unicast config is multicast.
    let l = instance(" old_unicast_checksum never");
    assert_eq!(
        l.messages(),
        [
            "(VI_1) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."
        ]
    );
    let i = &l.config.as_ref().unwrap().instances[0];
    assert_eq!(i.unicast_opts.old_checksum, OldUnicastChecksum::Never);
    // IPv6: a link-local group only.
    let l = load_with(
        "vrrp_instance V6 {\n interface eth0\n virtual_router_id 52\n mcast_dst_ip ff05::12\n \
         mcast_dst_ip ff02::99\n virtual_ipaddress {\n  fe80::50\n }\n}\n",
        false,
    );
    assert_eq!(
        l.messages(),
        ["(V6) mcast_dst_ip ff05::12 not link-local multicast. Skipping..."]
    );
    assert_eq!(
        l.config.unwrap().instances[0].mcast_group,
        "ff02::99".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn random_seed_makes_random_values_repeat() {
    let text = "global_defs {\n random_seed 7\n}\n$A=${_RANDOM 1 1000000}\nvrrp_instance VI_1 {\n \
                interface eth0\n virtual_router_id 51\n priority ${_RANDOM 1 250}\n \
                virtual_ipaddress {\n  198.51.100.50\n }\n}\n";
    let prio = |t: &str| load_with(t, false).config.unwrap().instances[0].priority;
    let first = prio(text);
    for _ in 0..5 {
        assert_eq!(prio(text), first);
    }
    let other = text.replace("random_seed 7", "random_seed 8");
    let values: std::collections::BTreeSet<u8> = (0..5).map(|_| prio(&other)).collect();
    assert_eq!(values.len(), 1, "seed 8 repeats too");
}

#[test]
fn delay_after_boot_is_what_is_left_since_boot_with_host_checks() {
    // Uptime is surely above 1 s: a delay of 1 s after boot is already over.
    let l = load_with("global_defs {\n vrrp_delay_after_boot 1\n}\n", true);
    let g = &l.config.as_ref().unwrap().global;
    assert_eq!(g.vrrp_startup_delay, Duration::ZERO);
    // A long one: what is left, and the longer of it and vrrp_startup_delay. keepalived reads
    // it in microseconds into an unsigned int: at most 4294 s after boot.
    let up: f64 = std::fs::read_to_string("/proc/uptime")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let target = up as u64 + 1000;
    let l = load_with(
        &format!("global_defs {{\n vrrp_delay_after_boot {target}\n vrrp_startup_delay 2\n}}\n"),
        true,
    );
    if target > 4294 {
        assert!(
            l.messages()
                .contains(&format!("vrrp_delay_after_boot '{target}' is invalid")),
            "{:?}",
            l.messages()
        );
    } else {
        let left = l.config.as_ref().unwrap().global.vrrp_startup_delay;
        assert!(
            left > Duration::from_secs(900) && left <= Duration::from_secs(1000),
            "{left:?}"
        );
    }
    let l = load_with(
        "global_defs {\n vrrp_startup_delay 5\n vrrp_delay_after_boot 1\n}\n",
        true,
    );
    assert_eq!(
        l.config.unwrap().global.vrrp_startup_delay,
        Duration::from_secs(5)
    );
}
