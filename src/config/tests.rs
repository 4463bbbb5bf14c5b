//! Front-end tests through the public API: one per production / keyword family / derivation.

use super::*;
use crate::model::*;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

fn opts() -> LoadOptions {
    LoadOptions {
        config_id: "main".into(),
        check_interfaces: false,
        all_config: false,
    }
}

fn load(text: &str) -> Loaded {
    load_str("k.conf", text, &opts())
}

/// Loads an instance body wrapped in a minimal valid instance.
fn inst(body: &str) -> (Option<Instance>, Loaded) {
    let l = load(&format!(
        "vrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {{\n198.51.100.50\n}}\n{body}\n}}\n"
    ));
    (
        l.config.as_ref().and_then(|c| c.instances.first().cloned()),
        l,
    )
}

const TUTORIAL: &str = "global_defs {\nnotification_email {\nacassen@firewall.loc\nfailover@firewall.loc\nsysadmin@firewall.loc\n}\nnotification_email_from Alexandre.Cassen@firewall.loc\nsmtp_server 198.51.100.129   # 当前主机ip\nsmtp_connect_timeout 30\nrouter_id LVS_DEVEL\n}\nvrrp_script chk_http_port {\nscript \"/usr/local/src/nginx_check.sh\" # 执行脚本所在的位置\ninterval 2 #检测脚本执行的间隔\nweight 2\n}\nvrrp_instance VI_1 {\nstate MASTER # 备份服务器上将 MASTER 改为 BACKUP\ninterface eth0\nvirtual_router_id 51\npriority 100\nadvert_int 1\nauthentication { # 心跳检测需要的密码\nauth_type PASS\nauth_pass 1111\n}\nvirtual_ipaddress {\n198.51.100.50 # 虚拟ip\n}\ntrack_script {\nchk_http_port\n}\nsmtp_alert\n}\n";

#[test]
fn tutorial_master_config() {
    let l = load(TUTORIAL);
    let c = l.config.as_ref().expect("loads");
    // keepalived reports only the script-security violation (exit 6) for this file.
    assert_eq!(l.test_exit_code(), 6);
    assert!(!l.is_fatal());
    let counted: Vec<_> = l.diagnostics.iter().filter(|d| d.level.is_some()).collect();
    assert_eq!(counted.len(), 1, "{:?}", l.messages());
    assert_eq!(counted[0].level, Some(Level::SecurityError));
    let g = &c.global;
    assert_eq!(g.router_id.as_deref(), Some("LVS_DEVEL"));
    assert_eq!(g.notification_email.len(), 3);
    assert_eq!(
        g.smtp_server,
        Some(SmtpServer {
            host: "198.51.100.129".into(),
            port: 25
        })
    );
    assert_eq!(g.smtp_connect_timeout, Duration::from_secs(30));
    assert_eq!(c.scripts.len(), 1);
    let s = &c.scripts[0];
    assert_eq!(s.command.argv, vec!["/usr/local/src/nginx_check.sh"]);
    assert_eq!(
        (s.interval, s.weight, s.rise, s.fall),
        (Duration::from_secs(2), 2, 1, 1)
    );
    let i = &c.instances[0];
    assert_eq!(i.initial_state, InitialState::Master);
    assert_eq!((i.vrid, i.priority, i.advert_int), (51, 100, Centis(100)));
    assert_eq!(i.auth, Some(Auth::Pass(*b"1111\0\0\0\0")));
    assert_eq!(i.vips[0].addr, IpAddr::V4(Ipv4Addr::new(198, 51, 100, 50)));
    assert_eq!(i.vips[0].prefix_len, 32);
    assert_eq!(i.track_scripts[0].name, "chk_http_port");
    assert!(i.smtp_alert);
    assert_eq!(i.mcast_group, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)));
}

#[test]
fn tutorial_with_script_security_is_clean() {
    let text = TUTORIAL.replace(
        "router_id LVS_DEVEL",
        "router_id LVS_DEVEL\nenable_script_security",
    );
    let l = load(&text);
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
}

#[test]
fn unused_script_removed_with_note() {
    let l = load(
        "global_defs {\nenable_script_security\n}\nvrrp_script s {\nscript /bin/true\n}\nvrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.9\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0);
    assert!(l.config.as_ref().unwrap().scripts.is_empty());
    assert!(
        l.messages()
            .contains(&"Warning - script s is not used".to_string())
    );
}

#[test]
fn missing_parameter_exits_2_and_is_fatal() {
    let (_, l) = inst("priority");
    assert_eq!(l.test_exit_code(), 2);
    assert!(l.is_fatal());
    assert!(l.config.is_none());
    let d = &l.diagnostics[0];
    assert_eq!(
        d.message,
        "*** Configuration line starting `priority` is missing a parameter after keyword `priority` at word position 2"
    );
    assert_eq!(d.span.as_ref().unwrap().line, 7);
}

#[test]
fn priority_rules() {
    let (i, l) = inst("priority 300");
    assert_eq!(i.unwrap().priority, 100);
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(l.diagnostics[0].level, Some(Level::InvalidNumber));
    let (i, _) = inst("priority 100abc");
    assert_eq!(i.unwrap().priority, 100);
    let (i, l) = inst("state MASTER");
    let i = i.unwrap();
    assert_eq!((i.priority, i.initial_state), (255, InitialState::Master));
    assert_eq!(l.test_exit_code(), 0);
    let (i, _) = inst("priority 255");
    assert_eq!(i.unwrap().initial_state, InitialState::Master);
    let (i, _) = inst("");
    let i = i.unwrap();
    assert_eq!((i.priority, i.initial_state), (100, InitialState::Backup));
}

#[test]
fn state_is_case_sensitive() {
    let (i, l) = inst("state master");
    assert_eq!(i.unwrap().initial_state, InitialState::Backup);
    assert!(l.messages()[0].contains("unknown state 'master', defaulting to BACKUP"));
}

#[test]
fn extra_words_after_value_ignored() {
    let (i, l) = inst("priority 100 advert_int 3");
    let i = i.unwrap();
    assert_eq!((i.priority, i.advert_int), (100, Centis(100)));
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn advert_int_rounding_per_version() {
    let (i, l) = inst("advert_int 0.5");
    assert_eq!(i.unwrap().advert_int, Centis(100));
    assert_eq!(l.test_exit_code(), 5);
    let (i, _) = inst("advert_int 2.4");
    assert_eq!(i.unwrap().advert_int, Centis(200));
    let (i, l) = inst("version 3\nadvert_int 0.5");
    assert_eq!(i.unwrap().advert_int, Centis(50));
    assert_eq!(l.test_exit_code(), 0);
    let (i, _) = inst("version 3\nadvert_int 0.015");
    assert_eq!(i.unwrap().advert_int, Centis(2));
    let (i, l) = inst("advert_int 0");
    assert_eq!(i.unwrap().advert_int, Centis(100));
    assert_eq!(l.test_exit_code(), 5);
}

#[test]
fn authentication_rules() {
    let (i, l) = inst("authentication {\nauth_type PASS\nauth_pass 123456789\n}");
    assert_eq!(i.unwrap().auth, Some(Auth::Pass(*b"12345678")));
    assert!(
        l.messages()
            .contains(&"Truncating auth_pass to 8 characters".to_string())
    );
    assert_eq!(l.test_exit_code(), 5);
    let (i, l) = inst("version 3\nauthentication {\nauth_type PASS\nauth_pass x\n}");
    assert_eq!(i.unwrap().auth, None);
    assert_eq!(l.test_exit_code(), 5);
    let (i, _) = inst("authentication {\nauth_type PASS\n}");
    assert_eq!(i.unwrap().auth, None);
}

#[test]
fn nopreempt_and_preempt_delay_derivations() {
    let (i, _) = inst("nopreempt\npriority 90");
    assert!(i.unwrap().nopreempt);
    let (i, l) = inst("state MASTER\npriority 90\nnopreempt");
    assert!(!i.unwrap().nopreempt);
    assert_eq!(l.test_exit_code(), 5);
    let (i, _) = inst("nopreempt\npreempt");
    assert!(!i.unwrap().nopreempt);
    let (i, _) = inst("preempt_delay 2.5");
    assert_eq!(i.unwrap().preempt_delay, Duration::from_millis(2500));
    let (i, _) = inst("nopreempt\npreempt_delay 5");
    assert_eq!(i.unwrap().preempt_delay, Duration::ZERO);
}

#[test]
fn vips_syntax() {
    let (i, l) = inst(
        "virtual_ipaddress {\n198.51.100.60/24 brd + dev eth1 scope link label eth1:vip\n2001:db8::1/64\n198.51.100.61 bogus\n}",
    );
    let i = i.unwrap();
    assert_eq!(i.vips.len(), 3, "{:?}", l.messages());
    let v = &i.vips[1];
    assert_eq!(v.prefix_len, 24);
    assert_eq!(v.brd, Some(Ipv4Addr::new(198, 51, 100, 255)));
    assert_eq!(v.dev.as_deref(), Some("eth1"));
    assert_eq!(v.scope, 253);
    assert_eq!(v.label.as_deref(), Some("eth1:vip"));
    assert!(l.messages().iter().any(|m| m.contains("address family")));
    assert!(
        l.messages()
            .contains(&"Unknown configuration entry 'bogus' for ip address - ignoring".to_string())
    );
}

#[test]
fn one_line_vip_block_and_two_items_per_line() {
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress { 198.51.100.1 }\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0);
    assert_eq!(l.config.unwrap().instances[0].vips.len(), 1);
    let (i, l) = inst("virtual_ipaddress {\n198.51.100.2 198.51.100.3\n}");
    assert_eq!(i.unwrap().vips.len(), 2);
    assert_eq!(l.test_exit_code(), 5);
}

#[test]
fn brace_after_block_then_keyword_is_top_level() {
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\n} nopreempt\n",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(l.messages(), vec!["Unknown keyword 'nopreempt'"]);
    assert!(!l.config.unwrap().instances[0].nopreempt);
}

#[test]
fn track_script_rules() {
    let base = "global_defs {\nenable_script_security\n}\nvrrp_script a {\nscript /bin/true\nweight -20 reverse\n}\nvrrp_script b {\nscript /bin/true\n}\n";
    let l = load(&format!(
        "{base}vrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n198.51.100.1\n}}\ntrack_script {{\na weight 10 noreverse\nb\nzz\n}}\n}}\n"
    ));
    let c = l.config.as_ref().unwrap();
    let t = &c.instances[0].track_scripts;
    assert_eq!(
        t[0],
        TrackScript {
            name: "a".into(),
            weight: Some(10),
            reverse: Some(false)
        }
    );
    assert_eq!(
        t[1],
        TrackScript {
            name: "b".into(),
            weight: None,
            reverse: None
        }
    );
    assert_eq!(t.len(), 2);
    assert_eq!(c.scripts[0].weight, -20);
    assert!(c.scripts[0].reverse);
    assert!(
        l.messages()
            .contains(&"(A) track script zz not found, ignoring...".to_string())
    );
    // `track_script { a b }` tracks neither (keepalived observed).
    let l = load(&format!(
        "{base}vrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n198.51.100.1\n}}\ntrack_script {{ a b }}\n}}\n"
    ));
    assert!(l.config.unwrap().instances[0].track_scripts.is_empty());
}

#[test]
fn owner_drops_weighted_trackers() {
    let l = load(
        "vrrp_script a {\nscript /bin/true\nweight 5\n}\nvrrp_instance A {\nstate MASTER\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\ntrack_script {\na\n}\n}\n",
    );
    let c = l.config.unwrap();
    assert_eq!(c.instances[0].priority, 255);
    assert!(c.instances[0].track_scripts.is_empty());
}

#[test]
fn vrrp_script_keywords() {
    let l = load(
        "global_defs {\nenable_script_security\nscript_user nobody nogroup\n}\nvrrp_script s {\nscript \"/bin/check 'a b' c\\x41\" extra\ninterval 0.5\ntimeout 3\nrise 2\nfall 3\nuser alice:staff\ninit_fail\n}\nvrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\ntrack_script {\ns\n}\n}\n",
    );
    // The fractional interval is kept but weighs like keepalived 2.2.7's rejection of it.
    assert_eq!(l.test_exit_code(), 5, "{:?}", l.messages());
    let c = l.config.unwrap();
    let s = &c.scripts[0];
    assert_eq!(s.command.argv, vec!["/bin/check", "a b", "cA"]);
    assert_eq!(
        s.command.user,
        Some(ScriptUser {
            user: "alice".into(),
            group: Some("staff".into())
        })
    );
    assert_eq!(s.interval, Duration::from_millis(500));
    assert_eq!(s.timeout, Some(Duration::from_secs(3)));
    assert_eq!((s.rise, s.fall, s.init_fail), (2, 3, true));
    assert_eq!(
        c.global.script_user,
        Some(ScriptUser {
            user: "nobody".into(),
            group: Some("nogroup".into())
        })
    );
}

#[test]
fn notify_second_word_is_user() {
    let (i, l) =
        inst("notify_master /x.sh foo\nnotify \"/y.sh 'two words'\"\nnotify_backup /x.sh 'x#y'");
    let i = i.unwrap();
    let m = i.notify.master.unwrap();
    assert_eq!(m.argv, vec!["/x.sh"]);
    assert_eq!(m.user.unwrap().user, "foo");
    assert_eq!(i.notify.generic.unwrap().argv, vec!["/y.sh", "two words"]);
    assert!(i.notify.backup.is_none());
    assert!(
        l.messages()
            .iter()
            .any(|m| m.starts_with("Unable to parse notify_backup"))
    );
    assert_eq!(l.test_exit_code(), 6);
}

#[test]
fn smtp_alert_resolution() {
    let mk = |g: &str, i: &str| {
        let l = load(&format!(
            "global_defs {{\n{g}\n}}\nvrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n198.51.100.1\n}}\n{i}\n}}\n"
        ));
        l.config.unwrap().instances[0].smtp_alert
    };
    assert!(!mk("", ""));
    assert!(mk("smtp_alert", ""));
    assert!(!mk("smtp_alert\nsmtp_alert_vrrp false", ""));
    assert!(mk("smtp_alert false", "smtp_alert"));
    assert!(!mk("smtp_alert", "smtp_alert no"));
}

#[test]
fn globals() {
    let l = load(
        "global_defs {\nvrrp_version 3\nvrrp_mcast_group4 224.0.0.19\nvrrp_garp_master_delay 2\nvrrp_garp_master_repeat 0\nvrrp_garp_master_refresh 60\nvrrp_garp_master_refresh_repeat 2\nsmtp_server mail.example 2525\nsmtp_helo_name me\n}\nvrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\ngarp_master_repeat 3\n}\n",
    );
    assert_eq!(l.test_exit_code(), 5); // repeat 0 -> 1 with an error
    let c = l.config.unwrap();
    let g = &c.global;
    assert_eq!(g.vrrp_version, Version::V3);
    assert_eq!(g.vrrp_garp_master_repeat, 1);
    assert_eq!(
        g.smtp_server,
        Some(SmtpServer {
            host: "mail.example".into(),
            port: 2525
        })
    );
    let i = &c.instances[0];
    assert_eq!(i.version, Version::V3);
    assert_eq!(i.mcast_group, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 19)));
    assert_eq!(
        (i.garp_master_delay, i.garp_master_repeat),
        (Centis(200), 3)
    );
    assert_eq!(
        (i.garp_master_refresh, i.garp_master_refresh_repeat),
        (Centis(6000), 2)
    );
}

#[test]
fn unicast() {
    let (i, _) = inst("unicast_src_ip 198.51.100.2\nunicast_peer {\n198.51.100.3\n198.51.100.4\n}");
    let i = i.unwrap();
    assert!(i.is_unicast());
    assert_eq!(i.src_ip, Some("198.51.100.2".parse().unwrap()));
    assert_eq!(i.unicast_peers.len(), 2);
    let (i, _) = inst("mcast_src_ip 198.51.100.2");
    assert!(!i.unwrap().is_unicast());
}

#[test]
fn fatal_instance_checks() {
    let l = load("vrrp_instance A {\ninterface eth0\nvirtual_ipaddress {\n198.51.100.1\n}\n}\n");
    assert!(l.is_fatal());
    assert_eq!(l.test_exit_code(), 5);
    let l = load("vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nversion 3\n}\n");
    assert!(l.is_fatal());
    let l = load("vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\n}\n");
    assert!(!l.is_fatal());
    assert_eq!(l.test_exit_code(), 5);
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\n}\nvrrp_instance B {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.2\n}\n}\n",
    );
    assert!(l.is_fatal());
}

#[test]
fn unknown_keyword_did_you_mean() {
    let (_, l) = inst("prioritx 5");
    let d = &l.diagnostics[0];
    assert_eq!(d.level, Some(Level::UnknownKeyword));
    assert_eq!(d.help.as_deref(), Some("did you mean `priority`?"));
    assert_eq!(l.test_exit_code(), 5);
    let s = d.to_string();
    assert!(
        s.starts_with("k.conf:7:1: warning: Unknown keyword 'prioritx'"),
        "{s}"
    );
    assert!(s.contains("7 | prioritx 5\n  | ^^^^^^^^"), "{s}");
}

#[test]
fn unknown_block_skipped_without_cascade() {
    let l = load(
        "foo_block {\n a 1\n b {\n c\n }\n}\nvrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\n}\n",
    );
    assert_eq!(l.messages(), vec!["Unknown keyword 'foo_block'"]);
    assert_eq!(l.config.unwrap().instances.len(), 1);
}

#[test]
fn lvs_blocks_checked_and_warned_once_per_kind() {
    let l = load(
        "virtual_server 198.51.100.10 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 198.51.100.11 80 {\n weight 1\n TCP_CHECK {\n connect_timeout 3\n }\n }\n}\nvirtual_server 198.51.100.10 443 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 198.51.100.11 443 {\n }\n}\nSSL {\n}\nbfd_instance b1 {\n min_rx 100\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let warned: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    // virtual_server, SSL, bfd_instance: one each.
    assert_eq!(warned.len(), 3, "{:?}", l.messages());
}

#[test]
fn parsed_ignored_keywords_are_quiet_but_need_their_arguments() {
    let (_, l) = inst("strict_mode off\naccept\npromote_secondaries");
    assert_eq!(l.test_exit_code(), 0);
    assert!(l.diagnostics.iter().all(|d| d.severity == Severity::Note));
    let (_, l) = inst("mcast_dst_ip");
    assert_eq!(l.test_exit_code(), 2);
}

#[test]
fn brace_errors() {
    let l = load("global_defs {\nrouter_id x\n");
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(l.diagnostics[0].level, Some(Level::MissingEob));
    assert_eq!(l.config.unwrap().global.router_id.as_deref(), Some("x"));
    let l = load("}\n");
    assert_eq!(l.test_exit_code(), 5);
    let l = load("global_defs\nrouter_id x\n");
    assert_eq!(l.diagnostics[0].level, Some(Level::MissingBob));
}

#[test]
fn keywords_case_sensitive_and_no_indentation_needed() {
    let l = load("Global_defs {\n}\n");
    assert_eq!(l.test_exit_code(), 5);
    let l = load("global_defs{router_id a}\n");
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    assert_eq!(l.config.unwrap().global.router_id.as_deref(), Some("a"));
}

#[test]
fn crlf_and_quoted_hash() {
    let l = load("global_defs {\r\nrouter_id \"a # b\" ! c\r\n}\r\n");
    assert_eq!(l.test_exit_code(), 0);
    assert_eq!(l.config.unwrap().global.router_id.as_deref(), Some("a # b"));
}

#[test]
fn conditional_and_parameters() {
    let l = load(
        "$VRID=42\n@main $PRIO=200\n@^main $PRIO=100\nvrrp_instance A {\ninterface eth0\nvirtual_router_id $VRID\npriority ${PRIO}\nvirtual_ipaddress {\n198.51.100.1\n}\n}\n",
    );
    let i = &l.config.unwrap().instances[0];
    assert_eq!((i.vrid, i.priority), (42, 200));
}

#[test]
fn include_relative_to_including_file() {
    let dir = std::env::temp_dir().join(format!("ka-cfg-inc-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    std::fs::write(
        dir.join("main.conf"),
        "global_defs {\nrouter_id r1\n}\ninclude conf.d/*.conf\n",
    )
    .unwrap();
    std::fs::write(dir.join("conf.d/b.conf"), "vrrp_instance B {\ninterface eth0\nvirtual_router_id 6\nprioritx 1\nvirtual_ipaddress {\n198.51.100.2\n}\n}\n").unwrap();
    std::fs::write(dir.join("conf.d/a.conf"), "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\n}\n").unwrap();
    let l = super::load(&dir.join("main.conf"), &opts());
    let names: Vec<_> = l
        .config
        .as_ref()
        .unwrap()
        .instances
        .iter()
        .map(|i| i.name.clone())
        .collect();
    assert_eq!(names, vec!["A", "B"]);
    let span = l.diagnostics[0].span.as_ref().unwrap();
    assert!(span.file.ends_with("conf.d/b.conf"));
    assert_eq!((span.line, span.col), (4, 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_main_file_is_fatal_but_test_exit_0() {
    let l = super::load(
        std::path::Path::new("/nonexistent/keepalived.conf"),
        &opts(),
    );
    assert!(l.is_fatal());
    assert!(l.config.is_none());
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn host_checks_find_missing_interface_and_script() {
    let o = LoadOptions {
        config_id: "x".into(),
        check_interfaces: true,
        all_config: false,
    };
    let l = load_str(
        "k.conf",
        "vrrp_script s {\nscript /nonexistent/check.sh\n}\nvrrp_instance A {\ninterface ka-no-such-if\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\ntrack_script {\ns\n}\n}\n",
        &o,
    );
    assert!(l.is_fatal());
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages()
            .contains(&"Disabling track script s since not found/accessible".to_string())
    );
    assert!(l.diagnostics.iter().any(|d| d.level == Some(Level::BadIf)));
}

#[test]
fn garbage_never_panics() {
    for text in [
        "{",
        "}",
        "{{}}}",
        "\"",
        "vrrp_instance",
        "vrrp_instance {",
        "virtual_ipaddress { / }",
        "vrrp_instance A {\nvirtual_ipaddress {\n/\n1.2.3.4/99\n::/\n}\n}",
        "$=\n$A=$A\n$A",
        "@",
        "@x",
        "include",
        "vrrp_script {\n}\n",
        "\u{feff}global_defs {}",
        "vrrp_instance A {\nauthentication {\nauth_pass\n}\n}",
    ] {
        let l = load(text);
        let _ = l.test_exit_code();
        for d in &l.diagnostics {
            let _ = d.to_string();
        }
    }
}

#[test]
fn dump_is_stable() {
    let l = load(TUTORIAL);
    let c = l.config.unwrap();
    let d = dump(&c);
    assert_eq!(d, dump(&c.clone()));
    assert!(d.contains("vrrp_instance VI_1\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 100\n"));
    assert!(d.contains("    vip 198.51.100.50/32 dev eth0 scope 0\n"));
}

#[test]
fn strict_mode_checks() {
    let l = load(
        "global_defs {\nvrrp_strict\n}\nvrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nstate MASTER\npriority 100\npreempt_delay 3\nvirtual_ipaddress {\n198.51.100.1\n}\nauthentication {\nauth_type PASS\nauth_pass x\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 5);
    let i = &l.config.as_ref().unwrap().instances[0];
    assert_eq!(i.auth, None);
    assert_eq!(i.initial_state, InitialState::Backup);
    assert_eq!(i.preempt_delay, Duration::ZERO);
    let m = l.messages();
    assert!(m.contains(&"(A) Strict mode does not support authentication. Ignoring.".to_string()));
    assert!(m.contains(&"(A) State MASTER must match being address owner".to_string()));
    // strict: no VIP is fatal; unicast on a multicast interface is fatal
    let l = load("vrrp_instance A {\nstrict_mode on\ninterface eth0\nvirtual_router_id 5\n}\n");
    assert!(l.is_fatal());
    let l = load(
        "vrrp_instance A {\nstrict_mode\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\nunicast_peer {\n198.51.100.2\n}\n}\n",
    );
    assert!(l.is_fatal());
    let (_, l) = inst("strict_mode off\nauthentication {\nauth_type PASS\nauth_pass x\n}");
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn routes_and_rules_items_checked_like_keepalived() {
    let (_, l) =
        inst("virtual_routes {\n203.0.113.0/24 via 198.51.100.254\n203.0.113.128/25 dev eth0\n}");
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(
        l.diagnostics.iter().filter(|d| d.level.is_some()).count(),
        1
    );
    let (_, l) = inst("virtual_rules {\nfrom 198.51.100.0/24 table 100 preference 100\n}");
    assert_eq!(l.test_exit_code(), 0);
    let (_, l) = inst("virtual_rules {\nfrom 198.51.100.0/24 table 100\n}");
    assert_eq!(l.test_exit_code(), 5);
}

#[test]
fn garp_interval_zero_rejected() {
    let l = load("global_defs {\nvrrp_garp_interval 0\n}\n");
    assert_eq!(l.test_exit_code(), 5);
    let l = load("global_defs {\nvrrp_garp_interval 0.001\n}\n");
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn extra_words_get_a_note_that_does_not_count() {
    let (i, l) = inst("priority 100 advert_int 3");
    assert_eq!(i.unwrap().priority, 100);
    assert_eq!(l.test_exit_code(), 0);
    let d = &l.diagnostics[0];
    assert_eq!(d.severity, Severity::Note);
    assert_eq!(
        d.message,
        "ignored extra words after `priority`: advert_int 3"
    );
    assert_eq!(d.span.as_ref().unwrap().col, 14);
}

/// A deterministic stream of random configurations built from keepalived's own vocabulary:
/// loading must never panic and every diagnostic must render.
#[test]
fn random_configs_never_panic() {
    let vocab = [
        "global_defs",
        "vrrp_instance",
        "vrrp_script",
        "{",
        "}",
        "\"",
        "'",
        "#",
        "!",
        "\\",
        "$A",
        "${A}",
        "$A=",
        "@main",
        "@^main",
        "include",
        "priority",
        "state",
        "MASTER",
        "interface",
        "eth0",
        "virtual_router_id",
        "51",
        "0",
        "-1",
        "300",
        "1.5",
        "virtual_ipaddress",
        "198.51.100.1/24",
        "2001:db8::1",
        "brd",
        "+",
        "dev",
        "label",
        "scope",
        "track_script",
        "weight",
        "reverse",
        "authentication",
        "auth_type",
        "PASS",
        "auth_pass",
        "notify",
        "script",
        "/bin/true",
        "unicast_peer",
        "virtual_server",
        "中文",
        "\t",
        " ",
        "\n",
        "\r\n",
        "advert_int",
        "version",
        "3",
        "nopreempt",
        "smtp_alert",
        "yes",
        "vrrp_strict",
        "x\\#y",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let n = (next() % 60) as usize;
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(vocab[(next() % vocab.len() as u64) as usize]);
            if next() % 3 == 0 {
                text.push(' ');
            }
        }
        let l = load(&text);
        let _ = l.test_exit_code();
        let _ = l.is_fatal();
        for d in &l.diagnostics {
            let _ = d.to_string();
        }
        if let Some(c) = &l.config {
            let _ = dump(c);
        }
    }
}

#[test]
fn substituted_comment_keeps_columns() {
    let l = load(
        "$A=1 # c\n$B=x\\#y\nvrrp_instance V {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\nprioritx $A\n}\n",
    );
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.message.contains("prioritx"))
        .unwrap();
    assert_eq!(d.span.as_ref().unwrap().col, 1);
    let l = load("$B=x\\#y\nglobal_defs {\nrouter_id  $B\n}\n");
    // keepalived: the stored value is `x#y`, and the re-decomment cuts at its `#`.
    assert_eq!(l.config.unwrap().global.router_id.as_deref(), Some("x"));
    let l = load("global_defs {\nrouter_id a${_HASH}b\n}\n");
    assert_eq!(l.config.unwrap().global.router_id.as_deref(), Some("a#b"));
}

#[test]
fn keepalived_2_2_7_quirks() {
    // IPv6 keeps an explicit `version 2` unless strict.
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nversion 2\nvirtual_ipaddress {\n2001:db8::5/64\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0);
    assert_eq!(l.config.unwrap().instances[0].version, Version::V2);
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n2001:db8::5/64\n}\n}\n",
    );
    let i = &l.config.unwrap().instances[0];
    assert_eq!(i.version, Version::V3);
    assert_eq!(i.mcast_group, "ff02::12".parse::<IpAddr>().unwrap());
    // A unicast keyword without peers: multicast, with keepalived's deprecation error.
    let (i, l) = inst("unicast_src_ip 198.51.100.2");
    assert!(!i.unwrap().is_unicast());
    assert_eq!(l.test_exit_code(), 5);
    // An empty notification_email block is an error; a duplicate vrrp_script is not.
    let l = load("global_defs {\nnotification_email {\n}\n}\n");
    assert_eq!(l.test_exit_code(), 5);
    let l = load(
        "global_defs {\nenable_script_security\n}\nvrrp_script s {\nscript /bin/true\n}\nvrrp_script s {\nscript /bin/false\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn dynamic_interfaces_allow_missing_ones() {
    let o = LoadOptions {
        config_id: "x".into(),
        check_interfaces: true,
        all_config: false,
    };
    let text = "vrrp_instance A {\ninterface ka-no-such-if\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1 dev ka-no-such-if2\n}\n}\n";
    let l = load_str("k.conf", text, &o);
    assert!(l.is_fatal());
    let l = load_str(
        "k.conf",
        &format!("global_defs {{\ndynamic_interfaces\n}}\n{text}"),
        &o,
    );
    assert!(!l.is_fatal(), "{:?}", l.messages());
    assert_eq!(l.test_exit_code(), 0);
}

#[test]
fn diagnostics_json_reports_exit_code_and_locations() {
    let l = load(
        "vrrp_instance A {\n  prioritx 5\n  virtual_router_id 9\n  interface eth0\n  virtual_ipaddress {\n    198.51.100.1\n  }\n}\n",
    );
    let j = diagnostics_json(&l);
    assert!(
        j.starts_with("{\"exit_code\":5,\"fatal\":false,\"diagnostics\":[{"),
        "{j}"
    );
    assert!(
        j.contains(r#""severity":"warning","message":"Unknown keyword 'prioritx'","file":"k.conf","line":2,"col":3,"len":8,"level":"CONFIG_UNKNOWN_KEYWORD","help":"#),
        "{j}"
    );
    assert_eq!(j.matches("\"severity\"").count(), l.diagnostics.len());
}

#[test]
fn all_config_checks_every_include() {
    let o = LoadOptions {
        all_config: true,
        ..opts()
    };
    let text = "include /nonexistent/ka-cfg-none.conf\n";
    assert_eq!(load_str("k.conf", text, &opts()).test_exit_code(), 0);
    let l = load_str("k.conf", text, &o);
    assert_eq!(l.test_exit_code(), 6);
    assert!(l.is_fatal());
    // A missing main file: keepalived -t exits 0, with -e 4.
    let p = std::path::Path::new("/nonexistent/ka-cfg-main.conf");
    assert_eq!(super::load(p, &opts()).test_exit_code(), 0);
    assert_eq!(super::load(p, &o).test_exit_code(), 4);
    // A missing parameter where the parent parses (global_defs) stops it at once (2) before
    // a file error (6, after reading); in a vrrp_instance only the child sees it: 6.
    let file_err = "includea /nonexistent/x.conf\n";
    let global = "global_defs {\n smtp_connect_timeout\n}\n";
    let inst = "vrrp_instance A {\n interface eth0\n virtual_router_id 9\n priority\n}\n";
    let code = |t: String| load_str("k.conf", &t, &opts()).test_exit_code();
    assert_eq!(code(format!("{file_err}{global}")), 2);
    assert_eq!(code(format!("{global}{file_err}")), 2);
    assert_eq!(code(format!("{file_err}{inst}")), 6);
    assert_eq!(code(inst.to_string()), 2);
}

/// The note or error (and its help) whose message contains `needle`.
fn finding<'l>(l: &'l Loaded, needle: &str) -> &'l Diagnostic {
    l.diagnostics
        .iter()
        .find(|d| d.message.contains(needle))
        .unwrap_or_else(|| panic!("no diagnostic with {needle:?}: {:?}", l.messages()))
}

#[test]
fn unicast_peer_options_as_keepalived() {
    let (i, l) = inst(
        "unicast_peer {\n198.51.100.2 min_ttl 3 max_ttl 250\n198.51.100.3 198.51.100.4\n198.51.100.5 ttl 4\n198.51.100.6 min_ttl 9 max_ttl 2\n}",
    );
    assert_eq!(i.unwrap().unicast_peers.len(), 4);
    let d = finding(&l, "(VI) 198.51.100.4 is missing a value");
    assert_eq!(d.level, Some(Level::GeneralError));
    assert!(d.help.as_deref().unwrap().contains("one peer per line"));
    finding(&l, "(VI) unknown unicast_peer option ttl");
    finding(
        &l,
        "(VI) min_ttl 9 > max_ttl 2 - all packets will be discarded",
    );
    assert_eq!(l.test_exit_code(), 5);
}

#[test]
fn semantic_traps_are_explained() {
    // Notes only: the exit code stays 0.
    let (_, l) = inst(
        "unicast_src_ip 198.51.100.1\nunicast_peer {\n198.51.100.1\n198.51.100.2\n}\nnotify_master /bin/echo master\nnotify_backup \"/bin/echo backup\" root",
    );
    assert_eq!(l.test_exit_code(), 6, "scripts without script security");
    let d = finding(&l, "198.51.100.1 is this instance's own unicast_src_ip");
    assert_eq!((d.severity, d.level), (Severity::Note, None));
    assert_eq!(d.span.as_ref().unwrap().line, 9);
    let d = finding(&l, "`master` is read as the user to run `/bin/echo` as");
    assert_eq!((d.severity, d.level), (Severity::Note, None));
    assert!(!l.messages().iter().any(|m| m.contains("`root` is read")));
    let global = "global_defs {\nenable_script_security\nscript_user root\n}\n";
    let l = load(&format!(
        "{global}vrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n198.51.100.1\n}}\nnotify_master /bin/echo master\n}}\n"
    ));
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());

    // keepalived's own errors, with the trap explained in the help.
    let (i, l) = inst(
        "state MASTER\npriority 100\nnopreempt\nauthentication {\nauth_type PASS\nauth_pass secret12345\n}",
    );
    assert!(!i.unwrap().nopreempt);
    assert!(
        finding(&l, "nopreempt will not work with initial state MASTER")
            .help
            .is_some()
    );
    let d = finding(&l, "Truncating auth_pass to 8 characters");
    assert!(d.help.as_deref().unwrap().contains("`secret12`"));
    let (i, l) = inst("virtual_ipaddress {\n198.51.100.7 198.51.100.8/24\n}");
    assert_eq!(i.unwrap().vips.len(), 2);
    let d = finding(&l, "Unknown configuration entry '198.51.100.8/24'");
    assert!(d.help.as_deref().unwrap().contains("one address per line"));
    let l = load(&format!(
        "{global}vrrp_script a {{\nscript /bin/true\n}}\nvrrp_script b {{\nscript /bin/true\n}}\nvrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n198.51.100.1\n}}\ntrack_script {{\na b\n}}\n}}\n"
    ));
    assert!(
        l.config.as_ref().unwrap().instances[0]
            .track_scripts
            .is_empty()
    );
    let d = finding(&l, "unknown track script option b");
    assert!(d.help.as_deref().unwrap().contains("neither `a` nor `b`"));
    let l = load(
        "vrrp_instance A {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.1\n}\n}\nvrrp_instance B {\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {\n198.51.100.2\n}\n}\n",
    );
    assert!(l.is_fatal());
    assert!(
        finding(&l, "A and B both use VRID 5 with IPv4 on interface eth0")
            .help
            .is_some()
    );
}

/// keepalived's `check_vrid_conflicts()`: families and modes are separate VRID spaces.
#[test]
fn vrid_shared_across_families_and_modes() {
    let two = |a: &str, b: &str| {
        load(&format!(
            "vrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\n{a}\n}}\nvrrp_instance B {{\ninterface eth0\nvirtual_router_id 5\n{b}\n}}\n"
        ))
    };
    let v4 = "virtual_ipaddress {\n198.51.100.1\n}";
    let v4b = "virtual_ipaddress {\n198.51.100.2\n}";
    let v6 = "virtual_ipaddress {\nfe80::1\n}";
    let native = "native_ipv6\nvirtual_ipaddress {\nfe80::2\n}";
    let uni = |peer: &str| format!("unicast_peer {{\n{peer}\n}}\n{v4b}");
    let ok = |l: &Loaded| !l.is_fatal() && l.test_exit_code() == 0;
    assert!(ok(&two(v4, v6)), "IPv4 and IPv6");
    assert!(ok(&two(v4, &uni("198.51.100.9"))), "multicast and unicast");
    assert!(
        ok(&two(&uni("198.51.100.8"), &uni("198.51.100.9"))),
        "unicast, no common peer"
    );
    let l = two(&uni("198.51.100.9"), &uni("198.51.100.9"));
    assert!(l.is_fatal());
    assert!(
        l.messages()
            .contains(&"(A) duplicate VRID conflict with B VRID 5".to_string())
    );
    // Different configured sources: different sockets, no conflict.
    let src = |a: &str| format!("unicast_src_ip 198.51.100.{a}\n{}", uni("198.51.100.9"));
    assert!(ok(&two(&src("3"), &src("4"))));
    assert!(two(&src("3"), &src("3")).is_fatal());
    // native_ipv6 makes B IPv6 before its VIP: it clashes with A's IPv6, not with A's IPv4.
    assert!(ok(&two(v4, native)));
    let l = two(v6, native);
    assert!(l.is_fatal());
    assert!(
        l.messages()
            .contains(&"A and B both use VRID 5 with IPv6 on interface eth0".to_string())
    );
}

/// `native_ipv6` (`vrrp_native_ipv6_handler()`) and `version` (`vrrp_version_handler()`),
/// checked against keepalived 2.2.7 `-t` and `-d` (golden case `native-ipv6`).
#[test]
fn native_ipv6_sets_family_and_version() {
    let one = |body: &str| {
        let l = load(&format!(
            "vrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\n{body}\n}}\n"
        ));
        let i = l.config.as_ref().and_then(|c| c.instances.first().cloned());
        (i, l.messages())
    };
    let (i, m) = one("native_ipv6\nvirtual_ipaddress {\nfe80::1\n198.51.100.1\n}");
    let i = i.unwrap();
    assert!(i.is_ipv6());
    assert_eq!(i.version, Version::V3);
    assert_eq!(i.vips.len(), 1, "the IPv4 VIP is refused");
    assert!(m.contains(
        &"(A): address family must match VRRP instance [198.51.100.1] - ignoring".to_string()
    ));
    let (i, m) = one("virtual_ipaddress {\n198.51.100.1\n}\nnative_ipv6");
    assert!(!i.unwrap().is_ipv6());
    assert!(m.contains(&"(A) Cannot specify native_ipv6 with IPv4 addresses".to_string()));
    // An earlier `version 2` is overridden without a word, a later one refused.
    let (i, m) = one("version 2\nnative_ipv6\nvirtual_ipaddress {\nfe80::1\n}");
    assert_eq!(i.unwrap().version, Version::V3);
    assert!(m.is_empty(), "{m:?}");
    let (i, m) = one("native_ipv6\nversion 2\nvirtual_ipaddress {\nfe80::1\n}");
    assert_eq!(i.unwrap().version, Version::V3);
    assert!(m.contains(
        &"(A) vrrp_version 2 conflicts with configured or deduced version 3; ignoring.".to_string()
    ));
    // Without native_ipv6: version 2 after an IPv6 VIP is refused, before it kept.
    let (i, m) = one("virtual_ipaddress {\nfe80::1\n}\nversion 2");
    assert_eq!(i.unwrap().version, Version::V3);
    assert!(m.contains(
        &"(A) vrrp_version 2 conflicts with configured or deduced version 0; ignoring.".to_string()
    ));
    let (i, _) = one("version 2\nvirtual_ipaddress {\nfe80::1\n}");
    let i = i.unwrap();
    assert!(i.is_ipv6());
    assert_eq!(i.version, Version::V2);
    // An IPv6 instance without VIPs (no_virtual_ipaddress, keepalived 2.2.8+).
    let (i, _) = one("native_ipv6\nno_virtual_ipaddress");
    let i = i.unwrap();
    assert!(i.is_ipv6() && i.vips.is_empty());
    assert_eq!(i.mcast_group, "ff02::12".parse::<IpAddr>().unwrap());
}

#[test]
fn ipv6_first_vip_must_be_link_local_only_in_strict_mode() {
    let conf = |strict: &str, first: &str, second: &str| {
        load(&format!(
            "global_defs {{\n{strict}\n}}\nvrrp_instance A {{\ninterface eth0\nvirtual_router_id 5\nvirtual_ipaddress {{\n{first}\n{second}\n}}\n}}\n"
        ))
    };
    let msg = "(A) the first IPv6 VIP address must be link local";
    // keepalived 2.2.7 -t: exit 5 with strict, 0 (a run-time "should be" line) without.
    let l = conf("vrrp_strict", "2001:db8::50", "fe80::50");
    assert_eq!(l.test_exit_code(), 5);
    assert!(l.messages().iter().any(|m| m == msg));
    let l = conf("vrrp_strict", "fe80::50", "2001:db8::50");
    assert_eq!(l.test_exit_code(), 0);
    assert!(!l.messages().iter().any(|m| m == msg));
    let l = conf("", "2001:db8::50", "fe80::50");
    assert_eq!(l.test_exit_code(), 0);
    assert!(!l.messages().iter().any(|m| m == msg));
    let i = &l.config.unwrap().instances[0];
    assert_eq!(i.version, Version::V3);
    assert_eq!(i.mcast_group, "ff02::12".parse::<IpAddr>().unwrap());
}

/// Replays the fuzz seeds and every input the `config` fuzz target ever crashed on
/// (fuzz/seeds/config/, fuzz/regressions/config/): each loads without a panic, `config` is
/// `Some` exactly when no finding is fatal, and an accepted configuration dumps.
#[test]
fn fuzz_regressions_load_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for dir in ["seeds/config", "regressions/config"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if !path.is_file() || path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let l = load_str("fuzz.conf", &text, &opts());
            assert_eq!(l.config.is_some(), !l.is_fatal(), "{}", path.display());
            let _ = l.test_exit_code();
            if let Some(c) = &l.config {
                assert!(dump(c).starts_with("global_defs"), "{}", path.display());
            }
            replayed += 1;
        }
    }
    assert!(
        replayed > 0,
        "no fuzz inputs found under {}",
        root.display()
    );
}

/// Found by the `config` fuzz target: keepalived steps over the one byte after the `~SEQ`
/// variable name, which may split a multi-byte character. That is a configuration error,
/// not a panic on a non-char-boundary slice.
#[test]
fn seq_separator_inside_a_multibyte_char_is_an_error() {
    let l = load(
        "~SEQ(N \u{e9}1, 2) router_id x\nvrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n198.51.100.50\n}\n}\n",
    );
    assert!(
        l.messages()
            .iter()
            .any(|m| m.starts_with("Invalid ~SEQ definition")),
        "{:?}",
        l.messages()
    );
    // The line generated nothing: router_id is unset.
    assert_eq!(l.config.unwrap().global.router_id, None);
}
