//! The LVS blocks through the public loader: what keepalived 2.2.7's `-t` reports for each
//! class of finding (checked against it by hand, see compat-tests/configs/README.md).

use crate::config::{Level, Loaded, Severity};

fn load(text: &str) -> Loaded {
    crate::config::load_test(text)
}

/// `body` inside a virtual server that is otherwise complete.
fn vs(body: &str) -> Loaded {
    load(&format!(
        "virtual_server 198.51.100.10 80 {{\nlb_algo rr\nlb_kind NAT\nprotocol TCP\n{body}\n}}\n"
    ))
}

/// `body` inside a real server of a complete virtual server.
fn rs(body: &str) -> Loaded {
    vs(&format!("real_server 198.51.100.11 80 {{\n{body}\n}}"))
}

/// The counted findings (those with a keepalived level), as messages.
fn errors(l: &Loaded) -> Vec<String> {
    l.diagnostics
        .iter()
        .filter(|d| d.level.is_some())
        .map(|d| d.message.clone())
        .collect()
}

#[test]
fn a_complete_server_is_quiet() {
    let l = rs("weight 2\nTCP_CHECK {\nconnect_port 80\nconnect_timeout 3\nretry 2\n}");
    assert_eq!(l.test_exit_code(), 0, "{:?}", errors(&l));
    assert!(errors(&l).is_empty());
    assert!(l.config.is_some());
}

#[test]
fn unknown_keywords_in_every_nested_block_with_suggestions() {
    for (body, block_kw, hint) in [
        ("bogus_kw 1", "bogus_kw", None),
        ("wieght 1", "wieght", Some("did you mean `weight`?")),
        (
            "HTTP_GET {\nurl {\npath /\nstatus_cod 200\n}\n}",
            "status_cod",
            Some("did you mean `status_code`?"),
        ),
        (
            "HTTP_GET {\nurl {\npath /\n}\nnb_get_retyr 3\n}",
            "nb_get_retyr",
            Some("did you mean `nb_get_retry`?"),
        ),
        (
            "TCP_CHECK {\nnb_get_retry 3\n}",
            "nb_get_retry",
            Some(
                "`nb_get_retry` exists only in HTTP_GET and SSL_GET (and is deprecated there): use `retry`",
            ),
        ),
        (
            "SMTP_CHECK {\nhost {\nconect_ip 198.51.100.1\n}\n}",
            "conect_ip",
            Some("did you mean `connect_ip`?"),
        ),
        (
            "MISC_CHECK {\nmisc_path /bin/true\nconnect_ip 198.51.100.1\n}",
            "connect_ip",
            Some(
                "`connect_ip` belongs in HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK, host, DNS_CHECK, UDP_CHECK, PING_CHECK, not in MISC_CHECK",
            ),
        ),
        (
            "nat_mask 255.255.255.0",
            "nat_mask",
            Some("`nat_mask` was removed in keepalived 1.2.20: delete the line"),
        ),
    ] {
        let l = rs(body);
        // MISC_CHECK's script also needs script security (6 outranks 5).
        let code = if body.starts_with("MISC") { 6 } else { 5 };
        assert_eq!(l.test_exit_code(), code, "{body}: {:?}", errors(&l));
        let d = l
            .diagnostics
            .iter()
            .find(|d| d.level == Some(Level::UnknownKeyword))
            .unwrap_or_else(|| panic!("{body}: {:?}", errors(&l)));
        assert_eq!(d.message, format!("Unknown keyword '{block_kw}'"));
        assert_eq!(d.help.as_deref(), hint, "{body}");
        assert!(d.span.is_some());
    }
}

#[test]
fn a_missing_required_value_stops_like_keepalived() {
    for body in [
        "weight",
        "TCP_CHECK {\nconnect_ip\n}",
        "HTTP_GET {\nurl {\npath\n}\n}",
        "DNS_CHECK {\ntype\n}",
        "notify_up",
    ] {
        let l = rs(body);
        assert_eq!(l.test_exit_code(), 2, "{body}: {:?}", errors(&l));
        assert!(l.is_fatal());
    }
    assert_eq!(load("virtual_server {\n}\n").test_exit_code(), 2);
    // keepalived checks these itself: an error, not a missing parameter.
    for body in [
        "virtualhost",
        "snmp_name",
        "HTTP_GET {\nurl {\npath /\n}\nhttp_protocol\n}",
    ] {
        assert_eq!(rs(body).test_exit_code(), 5, "{body}");
    }
}

#[test]
fn protocol_with_a_fwmark_is_ignored_with_keepalived_warning() {
    let l = load(
        "virtual_server fwmark 1 {\nlb_algo rr\nlb_kind DR\nprotocol TCP\nreal_server 198.51.100.11 {\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(
        errors(&l),
        ["Warning: Virtual server FWM 1: protocol specified for fwmark - protocol will be ignored"]
    );
}

#[test]
fn invalid_addresses_skip_their_block_without_cascade() {
    let l = vs(
        "real_server 198.51.100.999 80 {\nbogus 1\nweight\n}\nreal_server 198.51.100.12 80 {\n}",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert_eq!(
        errors(&l),
        ["Invalid real server ip address/port 198.51.100.999/80 - skipping"]
    );
    let l = load("virtual_server 198.51.100.10 http {\nbogus\n}\n");
    assert_eq!(
        errors(&l),
        [
            "invalid number 'http'",
            "Invalid virtual server IP address/port 198.51.100.10/http - skipping"
        ]
    );
}

#[test]
fn whole_configuration_checks() {
    let l = load(
        "virtual_server 198.51.100.10 80 {\nreal_server 198.51.100.11 80 {\n}\nreal_server 198.51.100.11 80 {\n}\nreal_server 198.51.100.12 8080 {\nlvs_method DR\n}\n}\nvirtual_server 198.51.100.20 80 {\n}\n",
    );
    assert_eq!(
        errors(&l),
        [
            "Virtual server [198.51.100.10]:none:80: no protocol set - defaulting to UDP",
            "Virtual server [198.51.100.10]:udp:80: no scheduler set, setting default 'wlc'",
            "Virtual server [198.51.100.10]:udp:80: no forwarding method set, setting default NAT",
            "VS [198.51.100.10]:udp:80: real server [198.51.100.11]:udp:80 is duplicated - removing second rs",
            "WARNING - virtual server [198.51.100.10]:udp:80 and real server [198.51.100.12]:udp:8080 ports don't match - resetting",
            "Virtual server [198.51.100.20]:none:80 has no real servers - ignoring",
        ]
    );
    let l = vs("quorum 5\nhysteresis 9\nreal_server 198.51.100.11 80 {\nweight 2\n}");
    assert_eq!(
        errors(&l),
        [
            "Warning - quorum 5 for [198.51.100.10]:tcp:80 exceeds total weight of real servers 2, reducing quorum to 2",
            "Virtual server [198.51.100.10]:tcp:80: hysteresis 9 >= quorum 2; setting hysteresis to 1",
        ]
    );
}

#[test]
fn values_are_read_with_keepalived_rules() {
    for (body, expect) in [
        ("delay_loop 6s", vec!["invalid number '6s'"]),
        (
            "delay_loop 0",
            vec![
                "number '0' outside range [0.000001, 18446744073709.551614]",
                "real server delay_loop '0' invalid - ignoring",
            ],
        ),
        ("delay_before_retry 1.5", vec![]),
        (
            "lvs_method TUN type gue",
            vec!["gue tunnels require port, otherwise cannot have port."],
        ),
        ("lvs_method TUN type gue port 6080 csum", vec![]),
        (
            "inhibit_on_failure maybe",
            vec!["Invalid inhibit_on_failure parameter maybe"],
        ),
        (
            "UDP_CHECK {\npayload 01 ff\n}",
            vec!["Invalid hex string for UDP_CHECK payload"],
        ),
        (
            "HTTP_GET {\nurl {\npath /\nstatus_code 200-299 99\ndigest 9b3a0c85a887a256d6939da88aabd8c\n}\n}",
            vec![
                "Invalid HTTP_GET status code '99'",
                "digest '9b3a0c85a887a256d6939da88aabd8c' character length should be 32 rather than 31",
            ],
        ),
        (
            "DNS_CHECK {\nname a.example.org\n}",
            vec!["DNS_CHECK name 'a.example.org' has empty label - ignoring"],
        ),
        (
            "PING_CHECK {\nconnect_ip fe80::1\n}",
            vec!["Checker link local address fe80::1 requires a bind_if"],
        ),
        ("PING_CHECK {\nconnect_ip fe80::1\nbind_if eth0\n}", vec![]),
    ] {
        let l = rs(body);
        assert_eq!(errors(&l), expect, "{body}");
    }
}

#[test]
fn virtual_server_groups() {
    let l = load(
        "virtual_server_group g {\n198.51.100.1-20 80\n203.0.113.0/28 8080\nfwmark 7 inet\n198.51.100.9-5 80\n}\nvirtual_server group g {\nlb_algo rr\nlb_kind DR\nprotocol TCP\nreal_server 198.51.100.30 {\n}\n}\nvirtual_server group nosuch {\nreal_server 198.51.100.30 {\n}\n}\n",
    );
    assert_eq!(
        errors(&l),
        ["Address range end is not greater than address range start - 198.51.100.9-5 - skipping"]
    );
    // A group that is not configured drops its server: keepalived only logs it.
    assert!(l.diagnostics.iter().any(|d| {
        d.message
            .starts_with("Virtual server group nosuch specified but not configured")
    }));
    let l = load("virtual_server_group empty {\n}\n");
    assert_eq!(
        errors(&l),
        ["virtual server group empty has no entries - removing"]
    );
}

#[test]
fn file_and_bfd_checks_need_their_objects_defined_first() {
    let check = "FILE_CHECK {\ntrack_file tf\n}\nBFD_CHECK {\nname b1\n}";
    let after = format!(
        "virtual_server 198.51.100.10 80 {{\nlb_algo rr\nlb_kind NAT\nprotocol TCP\nreal_server 198.51.100.11 80 {{\n{check}\n}}\n}}\n"
    );
    let defs =
        "track_file tf {\nfile /run/tf\n}\nbfd_instance b1 {\nneighbor_ip 198.51.100.11\n}\n";
    let l = load(&format!("{defs}{after}"));
    assert!(errors(&l).is_empty(), "{:?}", errors(&l));
    let l = load(&format!("{after}{defs}"));
    assert_eq!(
        errors(&l),
        [
            "track_file tf not found",
            "FILE_CHECK has no track_file specified - ignoring",
            "([198.51.100.11]:tcp:80) BFD_CHECK - BFD b1 not configured",
        ]
    );
    // A BFD instance for VRRP only is not one the checker knows.
    let vrrp_only = "bfd_instance b1 {\nneighbor_ip 198.51.100.11\nvrrp\n}\n";
    let l = load(
        &format!("{vrrp_only}{after}")
            .replace("track_file tf\n", "")
            .replace("FILE_CHECK {\n}\n", ""),
    );
    assert!(
        errors(&l)
            .contains(&"([198.51.100.11]:tcp:80) BFD_CHECK - BFD b1 not configured".to_string()),
        "{:?}",
        errors(&l)
    );
}

#[test]
fn checker_scripts_need_script_security() {
    let l = rs("MISC_CHECK {\nmisc_path \"/bin/true arg\"\n}\nnotify_up /bin/true");
    assert_eq!(l.test_exit_code(), 6);
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.level == Some(Level::SecurityError))
        .expect("security violation");
    assert_eq!(
        d.message,
        "SECURITY VIOLATION - check scripts are being executed but script_security not enabled."
    );
    let l = load(
        "global_defs {\nenable_script_security\n}\nvirtual_server 198.51.100.10 80 {\nlb_algo rr\nlb_kind NAT\nprotocol TCP\nreal_server 198.51.100.11 80 {\nMISC_CHECK {\nmisc_path /bin/true\n}\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", errors(&l));
    // No path: keepalived's own error, not a missing parameter.
    assert_eq!(
        errors(&rs("MISC_CHECK {\nmisc_path\n}")),
        ["No script path has been specified for MISC_CHECKER - skipping"]
    );
}

#[test]
fn one_warning_per_kind_and_nothing_reaches_the_model() {
    let l = load(
        "SSL {\nca /etc/ssl/ca.pem\n}\nvirtual_server fwmark 3 {\nlb_algo rr\nlb_kind DR\nreal_server 198.51.100.11 {\n}\n}\nvirtual_server fwmark 4 {\nlb_algo rr\nlb_kind DR\nreal_server 198.51.100.11 {\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", errors(&l));
    let warnings: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.contains("not supported yet")));
    let c = l.config.expect("runs");
    assert!(c.instances.is_empty());
}
