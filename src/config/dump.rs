//! A readable, normalised dump of a validated configuration: one `key value` per line, every
//! field with its effective value, in a fixed order (golden tests and `-d`).

use std::fmt::Write;

use crate::model::{
    Auth, Config, Global, InitialState, Instance, ScriptCommand, ScriptUser, Version,
};

/// Renders `config`; equal configurations give byte-identical dumps.
pub fn dump(config: &Config) -> String {
    let mut s = String::new();
    let g = &config.global;
    let _ = writeln!(s, "global_defs");
    line(&mut s, 1, "router_id", opt(&g.router_id));
    line(
        &mut s,
        1,
        "notification_email",
        &format!("[{}]", g.notification_email.join(", ")),
    );
    line(
        &mut s,
        1,
        "notification_email_from",
        opt(&g.notification_email_from),
    );
    let smtp = g
        .smtp_server
        .as_ref()
        .map(|x| format!("{} port {}", x.host, x.port));
    line(&mut s, 1, "smtp_server", opt(&smtp));
    line(&mut s, 1, "smtp_helo_name", opt(&g.smtp_helo_name));
    line(
        &mut s,
        1,
        "smtp_connect_timeout",
        &format!("{}s", g.smtp_connect_timeout.as_secs()),
    );
    line(&mut s, 1, "smtp_alert", &tri(g.smtp_alert));
    line(&mut s, 1, "smtp_alert_vrrp", &tri(g.smtp_alert_vrrp));
    line(&mut s, 1, "script_user", &user(&g.script_user));
    line(
        &mut s,
        1,
        "enable_script_security",
        &g.enable_script_security.to_string(),
    );
    line(&mut s, 1, "vrrp_version", &ver(g.vrrp_version));
    line(
        &mut s,
        1,
        "vrrp_mcast_group4",
        &g.vrrp_mcast_group4.to_string(),
    );
    line(
        &mut s,
        1,
        "vrrp_garp_master_delay",
        &format!("{}s", g.vrrp_garp_master_delay),
    );
    line(
        &mut s,
        1,
        "vrrp_garp_master_repeat",
        &g.vrrp_garp_master_repeat.to_string(),
    );
    line(
        &mut s,
        1,
        "vrrp_garp_master_refresh",
        &format!("{}s", g.vrrp_garp_master_refresh),
    );
    line(
        &mut s,
        1,
        "vrrp_garp_master_refresh_repeat",
        &g.vrrp_garp_master_refresh_repeat.to_string(),
    );
    // Printed only when set, so dumps of configurations without them do not change.
    for (k, on) in [
        ("no_email_faults", g.no_email_faults),
        (
            "vrrp_notify_priority_changes",
            g.vrrp_notify_priority_changes,
        ),
        (
            "fifo_write_vrrp_states_on_reload",
            g.fifo_write_vrrp_states_on_reload,
        ),
    ] {
        if on {
            line(&mut s, 1, k, "true");
        }
    }
    if let Some(m) = g.umask {
        line(&mut s, 1, "umask", &format!("{m:04o}"));
    }
    // The top-level runtime keywords, and our VIP lifetime: printed only when set.
    if let Some(ns) = &g.net_namespace {
        line(&mut s, 1, "net_namespace", ns);
    }
    if let Some(i) = &g.instance_name {
        line(&mut s, 1, "instance", i);
    }
    if g.use_pid_dir {
        line(&mut s, 1, "use_pid_dir", "true");
    }
    if let Some(l) = g.vrrp_vip_lifetime {
        line(&mut s, 1, "vrrp_vip_lifetime", &format!("{l}s"));
    }
    if let Some(d) = &g.default_interface {
        line(&mut s, 1, "default_interface", d);
    }
    knobs_global(&mut s, g);
    vmac_global(&mut s, g);
    firewall_global(&mut s, g);
    super::dump_globals::dump_globals(&mut s, g);
    for sc in &config.scripts {
        let _ = writeln!(s, "vrrp_script {}", sc.name);
        line(&mut s, 1, "script", &cmd(&sc.command));
        line(
            &mut s,
            1,
            "interval",
            &format!("{}ms", sc.interval.as_millis()),
        );
        let to = sc.timeout.map(|t| format!("{}ms", t.as_millis()));
        line(&mut s, 1, "timeout", opt(&to));
        line(
            &mut s,
            1,
            "weight",
            &format!("{}{}", sc.weight, if sc.reverse { " reverse" } else { "" }),
        );
        line(&mut s, 1, "rise", &sc.rise.to_string());
        line(&mut s, 1, "fall", &sc.fall.to_string());
        line(&mut s, 1, "init_fail", &sc.init_fail.to_string());
    }
    super::dump_track::dump_blocks(&mut s, config);
    for g in &config.global.garp_groups {
        let _ = writeln!(s, "garp_group");
        let d = |x: Option<std::time::Duration>| x.map_or("-".to_string(), |v| format!("{v:?}"));
        line(&mut s, 1, "garp_interval", &d(g.garp_interval));
        line(&mut s, 1, "gna_interval", &d(g.gna_interval));
        line(
            &mut s,
            1,
            "interfaces",
            &format!("[{}]", g.interfaces.join(", ")),
        );
    }
    if !config.interface_up_down_delays.is_empty() {
        let _ = writeln!(s, "interface_up_down_delays");
        for d in &config.interface_up_down_delays {
            line(
                &mut s,
                1,
                &d.interface,
                &format!("down {:?} up {:?}", d.down, d.up),
            );
        }
    }
    for i in &config.instances {
        let _ = writeln!(s, "vrrp_instance {}", i.name);
        let st = match i.initial_state {
            InitialState::Master => "MASTER",
            InitialState::Backup => "BACKUP",
        };
        line(&mut s, 1, "state", st);
        line(&mut s, 1, "interface", opt(&i.interface));
        line(&mut s, 1, "virtual_router_id", &i.vrid.to_string());
        line(&mut s, 1, "priority", &i.priority.to_string());
        line(&mut s, 1, "advert_int", &format!("{}s", i.advert_int));
        line(&mut s, 1, "version", &ver(i.version));
        let auth = match &i.auth {
            None => "-".to_string(),
            Some(Auth::Pass(p)) => {
                let n = p.iter().position(|&b| b == 0).unwrap_or(8);
                format!("PASS {:?}", String::from_utf8_lossy(&p[..n]))
            }
        };
        line(&mut s, 1, "authentication", &auth);
        line(
            &mut s,
            1,
            "virtual_ipaddress",
            &format!("{} address(es)", i.vips.len()),
        );
        for v in &i.vips {
            let mut l = format!("{}/{}", v.addr, v.prefix_len);
            if let Some(b) = v.brd {
                let _ = write!(l, " brd {b}");
            }
            let _ = write!(
                l,
                " dev {}",
                v.dev.as_deref().or(i.interface.as_deref()).unwrap_or("-")
            );
            let _ = write!(l, " scope {}", v.scope);
            if let Some(lb) = &v.label {
                let _ = write!(l, " label {lb}");
            }
            line(&mut s, 2, "vip", &l);
        }
        super::dump_routes::dump_instance(&mut s, i);
        for t in &i.track_scripts {
            let w = t.weight.map_or("script's".to_string(), |w| w.to_string());
            let r = t
                .reverse
                .map_or("script's", |r| if r { "reverse" } else { "noreverse" });
            line(
                &mut s,
                1,
                "track_script",
                &format!("{} weight {w} {r}", t.name),
            );
        }
        for t in &i.track_interfaces {
            line(
                &mut s,
                1,
                "track_interface",
                &format!(
                    "{} weight {}{}",
                    t.name,
                    t.weight,
                    if t.reverse { " reverse" } else { "" }
                ),
            );
        }
        super::dump_track::dump_refs(&mut s, i);
        line(
            &mut s,
            1,
            "dont_track_primary",
            &i.dont_track_primary.to_string(),
        );
        line(&mut s, 1, "nopreempt", &i.nopreempt.to_string());
        line(
            &mut s,
            1,
            "preempt_delay",
            &format!("{}ms", i.preempt_delay.as_millis()),
        );
        for (k, c) in [
            ("notify_master", &i.notify.master),
            ("notify_backup", &i.notify.backup),
            ("notify_fault", &i.notify.fault),
            ("notify_stop", &i.notify.stop),
            ("notify", &i.notify.generic),
            ("notify_master_rx_lower_pri", &i.notify.master_rx_lower_pri),
        ] {
            if let Some(c) = c {
                line(&mut s, 1, k, &cmd(c));
            }
        }
        if i.notify.notify_deleted {
            let d = i.notify.deleted.as_deref().map_or("DELETED".into(), cmd);
            line(&mut s, 1, "notify_deleted", &d);
        }
        if i.notify_priority_changes {
            line(&mut s, 1, "notify_priority_changes", "true");
        }
        line(&mut s, 1, "smtp_alert", &i.smtp_alert.to_string());
        let src = i.src_ip.map(|a| a.to_string());
        line(&mut s, 1, "src_ip", opt(&src));
        let peers: Vec<String> = i.unicast_peers.iter().map(ToString::to_string).collect();
        line(
            &mut s,
            1,
            "unicast_peer",
            &format!("[{}]", peers.join(", ")),
        );
        line(&mut s, 1, "mcast_group", &i.mcast_group.to_string());
        line(
            &mut s,
            1,
            "garp_master_delay",
            &format!("{}s", i.garp_master_delay),
        );
        line(
            &mut s,
            1,
            "garp_master_repeat",
            &i.garp_master_repeat.to_string(),
        );
        line(
            &mut s,
            1,
            "garp_master_refresh",
            &format!("{}s", i.garp_master_refresh),
        );
        line(
            &mut s,
            1,
            "garp_master_refresh_repeat",
            &i.garp_master_refresh_repeat.to_string(),
        );
        knobs_instance(&mut s, i);
        vmac_instance(&mut s, i);
        firewall_instance(&mut s, i);
        super::dump_globals::dump_instance_io(&mut s, i);
    }
    sync_groups(&mut s, config);
    super::dump_routes::dump_static(&mut s, config);
    s
}

/// `vrrp_sync_group` blocks after resolution (members that exist, trackers as applied).
fn sync_groups(s: &mut String, config: &Config) {
    for g in &config.sync_groups {
        let _ = writeln!(s, "vrrp_sync_group {}", g.name);
        line(s, 1, "group", &format!("[{}]", g.members.join(", ")));
        for t in &g.track_scripts {
            let w = t.weight.map_or("script's".to_string(), |w| w.to_string());
            let r = t
                .reverse
                .map_or("script's", |r| if r { "reverse" } else { "noreverse" });
            line(s, 1, "track_script", &format!("{} weight {w} {r}", t.name));
        }
        for t in &g.track_interfaces {
            let r = if t.reverse { " reverse" } else { "" };
            line(
                s,
                1,
                "track_interface",
                &format!("{} weight {}{r}", t.name, t.weight),
            );
        }
        for t in &g.track_files {
            let w = t.weight.map_or("file's".to_string(), |w| w.to_string());
            let r = t
                .reverse
                .map_or("file's", |r| if r { "reverse" } else { "noreverse" });
            line(s, 1, "track_file", &format!("{} weight {w} {r}", t.name));
        }
        for (k, c) in [
            ("notify_master", &g.notify.master),
            ("notify_backup", &g.notify.backup),
            ("notify_fault", &g.notify.fault),
            ("notify_stop", &g.notify.stop),
            ("notify", &g.notify.generic),
        ] {
            if let Some(c) = c {
                line(s, 1, k, &cmd(c));
            }
        }
        line(s, 1, "smtp_alert", &g.smtp_alert.to_string());
        line(
            s,
            1,
            "sync_group_tracking_weight",
            &g.tracking_weight.to_string(),
        );
        line(
            s,
            1,
            "notify_priority_changes",
            &tri(g.notify_priority_changes),
        );
    }
}

/// The timer, advert-policy and GARP knobs of `global_defs` (`validate/knobs.rs`).
fn knobs_global(s: &mut String, g: &Global) {
    let secs = |c: Option<crate::model::Centis>| c.map_or("-".into(), |c| format!("{c}s"));
    let micros = |d: std::time::Duration| format!("{}us", d.as_micros());
    line(s, 1, "vrrp_mcast_group6", &g.vrrp_mcast_group6.to_string());
    line(
        s,
        1,
        "vrrp_garp_lower_prio_delay",
        &secs(g.vrrp_garp_lower_prio_delay),
    );
    let rep = g.vrrp_garp_lower_prio_repeat.map(|r| r.to_string());
    line(s, 1, "vrrp_garp_lower_prio_repeat", opt(&rep));
    line(
        s,
        1,
        "vrrp_down_timer_adverts",
        &g.vrrp_down_timer_adverts.to_string(),
    );
    line(s, 1, "vrrp_garp_interval", &micros(g.vrrp_garp_interval));
    line(s, 1, "vrrp_gna_interval", &micros(g.vrrp_gna_interval));
    line(s, 1, "vrrp_min_garp", &g.vrrp_min_garp.to_string());
    for (k, v) in [
        ("vrrp_lower_prio_no_advert", g.vrrp_lower_prio_no_advert),
        (
            "vrrp_higher_prio_send_advert",
            g.vrrp_higher_prio_send_advert,
        ),
        ("vrrp_check_unicast_src", g.vrrp_check_unicast_src),
        ("vrrp_skip_check_adv_addr", g.vrrp_skip_check_adv_addr),
        ("vrrp_owner_ignore_adverts", g.vrrp_owner_ignore_adverts),
        ("v3_checksum_as_v2", g.v3_checksum_as_v2),
    ] {
        line(s, 1, k, &v.to_string());
    }
    line(s, 1, "vrrp_startup_delay", &micros(g.vrrp_startup_delay));
}

/// The same knobs of one instance, after inheritance and strict-mode rules.
fn knobs_instance(s: &mut String, i: &Instance) {
    line(
        s,
        1,
        "garp_lower_prio_delay",
        &format!("{}s", i.garp_lower_prio_delay),
    );
    line(
        s,
        1,
        "garp_lower_prio_repeat",
        &i.garp_lower_prio_repeat.to_string(),
    );
    line(
        s,
        1,
        "down_timer_adverts",
        &i.down_timer_adverts.to_string(),
    );
    for (k, v) in [
        ("lower_prio_no_advert", i.lower_prio_no_advert),
        ("higher_prio_send_advert", i.higher_prio_send_advert),
        ("owner_ignore_adverts", i.owner_ignore_adverts),
        ("skip_check_adv_addr", i.skip_check_adv_addr),
        ("check_unicast_src", i.check_unicast_src),
        ("v3_checksum_as_v2", i.v3_checksum_as_v2),
    ] {
        line(s, 1, k, &v.to_string());
    }
    let ttl = i.unicast_ttl.map(|t| t.to_string());
    line(s, 1, "unicast_ttl", opt(&ttl));
}

/// `vmac_prefix`, `vmac_addr_prefix`, `vrrp_garp_extra_if`: printed only when set.
fn vmac_global(s: &mut String, g: &Global) {
    if let Some(p) = &g.vmac_prefix {
        line(s, 1, "vmac_prefix", p);
    }
    if let Some(p) = &g.vmac_addr_prefix {
        line(s, 1, "vmac_addr_prefix", p);
    }
    if let Some(x) = g.vrrp_garp_extra_if {
        line(s, 1, "vrrp_garp_extra_if", &garp_extra(x));
    }
    if g.disable_local_igmp {
        line(s, 1, "disable_local_igmp", "true");
    }
}

/// The VMACs of an instance as derived (names given, VIPs placed): printed only when used.
fn vmac_instance(s: &mut String, i: &Instance) {
    let v = &i.vmac;
    let one = |x: &crate::model::Vmac| {
        let mac: Vec<String> = x.mac.iter().map(|b| format!("{b:02x}")).collect();
        format!(
            "{} on {} mac {}{}",
            x.ifname,
            x.parent,
            mac.join(":"),
            if x.ipv6 { " ipv6" } else { "" }
        )
    };
    if let Some(own) = &v.own {
        let how = match (v.name_configured, v.mac_configured, v.mac_uses_vrid) {
            (false, false, _) => "",
            (true, false, _) => " (name configured)",
            (false, true, false) => " (mac configured)",
            (true, true, false) => " (name and mac configured)",
            (false, true, true) => " (mac configured, using VRID)",
            (true, true, true) => " (name and mac configured, using VRID)",
        };
        line(s, 1, "use_vmac", &format!("{}{how}", one(own)));
        line(s, 1, "vmac_xmit_base", &v.xmit_base.to_string());
    }
    if v.use_vmac_addr {
        line(s, 1, "use_vmac_addr", "true");
    }
    for x in &v.for_vips {
        line(s, 1, "vip_vmac", &one(x));
    }
    if let Some(x) = v.garp_extra_if {
        line(s, 1, "garp_extra_if", &garp_extra(x));
    }
}

fn garp_extra(x: crate::model::GarpExtraIf) -> String {
    format!(
        "{}s{}",
        x.interval.as_secs(),
        if x.all { " all" } else { "" }
    )
}

fn line(s: &mut String, depth: usize, k: &str, v: &str) {
    let _ = writeln!(s, "{}{k} {v}", "  ".repeat(depth));
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

fn tri(v: Option<bool>) -> String {
    v.map_or("unset".into(), |b| b.to_string())
}

fn ver(v: Version) -> String {
    v.number().to_string()
}

fn user(u: &Option<ScriptUser>) -> String {
    match u {
        None => "-".into(),
        Some(ScriptUser { user, group: None }) => user.clone(),
        Some(ScriptUser {
            user,
            group: Some(g),
        }) => format!("{user}:{g}"),
    }
}

pub(super) fn cmd(c: &ScriptCommand) -> String {
    let argv: Vec<String> = c.argv.iter().map(|a| format!("{a:?}")).collect();
    format!("[{}] user {}", argv.join(", "), user(&c.user))
}

/// `vrrp_strict` and the nftables keywords (`validate/strict.rs`), printed only when they
/// differ from the defaults so that other dumps do not change.
fn firewall_global(s: &mut String, g: &Global) {
    if g.vrrp_strict {
        line(s, 1, "vrrp_strict", "true");
    }
    let f = &g.firewall;
    if *f != crate::model::Firewall::default() {
        line(
            s,
            1,
            "nftables",
            &format!(
                "{} priority {}{}{}",
                f.table.as_deref().unwrap_or("-"),
                f.priority,
                if f.ifindex { " ifindex" } else { "" },
                if f.counters { " counters" } else { "" }
            ),
        );
    }
}

/// Strict and accept mode of one instance, printed when they differ from the defaults.
fn firewall_instance(s: &mut String, i: &Instance) {
    if i.strict {
        line(s, 1, "strict_mode", "true");
    }
    if !i.accept {
        let why = if i.drops_vip_traffic() {
            "false (VIP traffic dropped while MASTER)"
        } else {
            "false (owner: nothing dropped)"
        };
        line(s, 1, "accept", why);
    }
}
