//! VMAC keywords through the public loader, messages as keepalived 2.2.7 `-t` prints them.

use std::net::IpAddr;
use std::time::Duration;

use super::{MacParse, dev_name_valid, parse_vmac_mac};
use crate::config::Loaded;
use crate::model::{GarpExtraIf, Instance, Vmac};

fn load(text: &str) -> Loaded {
    crate::config::load_test(text)
}

/// One instance `VI_1` (VRID 51 on eth0) with `body` and `vips` lines, after `global`.
fn one(global: &str, body: &str, vips: &str) -> Loaded {
    load(&format!(
        "global_defs {{\n{global}\n}}\nvrrp_instance VI_1 {{\ninterface eth0\nvirtual_router_id 51\n{body}\nvirtual_ipaddress {{\n{vips}\n}}\n}}\n"
    ))
}

fn inst<'l>(l: &'l Loaded, name: &str) -> &'l Instance {
    let c = l.config.as_ref().expect("a configuration");
    c.instances.iter().find(|i| i.name == name).expect(name)
}

fn vmac(ifname: &str, parent: &str, mac: [u8; 6], ipv6: bool) -> Vmac {
    Vmac {
        ifname: ifname.into(),
        parent: parent.into(),
        mac,
        ipv6,
    }
}

fn devs(i: &Instance) -> Vec<Option<&str>> {
    i.vips.iter().map(|v| v.dev.as_deref()).collect()
}

#[test]
fn default_vmac_is_vrrp_dot_vrid_with_the_rfc_mac_and_carries_the_vips() {
    let l = one(
        "",
        "use_vmac",
        "198.51.100.50\n198.51.100.51 dev eth0\n198.51.100.52 dev eth1",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert_eq!(
        i.vmac.own,
        Some(vmac("vrrp.51", "eth0", [0, 0, 0x5e, 0, 1, 51], false))
    );
    assert!(!i.vmac.name_configured && !i.vmac.mac_configured && !i.vmac.xmit_base);
    // dev-less and `dev eth0` VIPs go on the VMAC; another interface keeps its VIP.
    assert_eq!(devs(i), [Some("vrrp.51"), Some("vrrp.51"), Some("eth1")]);
    assert!(i.vmac.for_vips.is_empty());
}

#[test]
fn ipv6_instances_use_the_02_mac() {
    let l = one("", "use_vmac", "fe80::50\n2001:db8::50");
    let i = inst(&l, "VI_1");
    let own = i.vmac.own.as_ref().unwrap();
    assert_eq!(own.mac, [0, 0, 0x5e, 0, 2, 51]);
    assert!(own.ipv6);
    assert_eq!(own.ifname, "vrrp.51");
}

#[test]
fn name_and_mac_in_either_order_and_five_octets_take_the_vrid() {
    let l = one(
        "",
        "use_vmac 02:11:22:33:44 vmac51 extra words",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert_eq!(
        i.vmac.own,
        Some(vmac(
            "vmac51",
            "eth0",
            [2, 0x11, 0x22, 0x33, 0x44, 51],
            false
        ))
    );
    assert!(i.vmac.name_configured && i.vmac.mac_configured && i.vmac.mac_uses_vrid);
    let l = one("", "use_vmac 2:a:b:c:d:e:", "198.51.100.50");
    let own = inst(&l, "VI_1").vmac.own.clone().unwrap();
    assert_eq!(own.mac, [2, 0xa, 0xb, 0xc, 0xd, 0xe]);
    assert_eq!(own.ifname, "vrrp.51");
}

#[test]
fn bad_macs_and_names_are_keepalived_errors() {
    let cases = [
        (
            "use_vmac 02:11:22:33:44:5g",
            "VMAC invalid MAC address 02:11:22:33:44:5g",
        ),
        (
            "use_vmac 02:11:22:33",
            "VMAC invalid MAC address 02:11:22:33 - ignored",
        ),
        (
            "use_vmac 03:11:22:33:44:55",
            "VMAC MAC address is multicast 03:11:22:33:44:55 - ignoring",
        ),
        (
            "use_vmac 00:00:5e:00:01:05",
            "VMAC MAC address not allowed to be RFC5798 address (00:00:5e:00:01:05) - ignoring",
        ),
        (
            "use_vmac 02:00:00:00:00:01 02:00:00:00:00:02",
            "VMAC interface address already specified",
        ),
        (
            "use_vmac abcdefghijklmnop",
            "VMAC interface name 'abcdefghijklmnop' too long or invalid characters - ignoring",
        ),
        (
            "use_vmac a/b",
            "VMAC interface name 'a/b' too long or invalid characters - ignoring",
        ),
        ("use_vmac foo bar", "VMAC interface name already specified"),
    ];
    for (line, msg) in cases {
        let l = one("", line, "198.51.100.50");
        assert_eq!(l.test_exit_code(), 5, "{line}");
        assert!(
            l.messages().contains(&msg.to_string()),
            "{line}: {:?}",
            l.messages()
        );
        // The instance still gets its VMAC, with the default where the value was refused.
        let own = inst(&l, "VI_1").vmac.own.clone().expect(line);
        assert!(!own.ifname.is_empty());
    }
}

#[test]
fn a_name_used_by_an_earlier_instance_is_refused() {
    let l = load(
        "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nuse_vmac foo\nvirtual_ipaddress {\n198.51.100.50\n}\n}\n\
         vrrp_instance VI_2 {\ninterface eth0\nvirtual_router_id 52\nuse_vmac foo\nvirtual_ipaddress {\n198.51.100.51\n}\n}\n",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages().contains(
            &"(VI_2) VRRP instance VI_1 is already using foo - ignoring name".to_string()
        )
    );
    assert_eq!(
        inst(&l, "VI_2").vmac.own.as_ref().unwrap().ifname,
        "vrrp.52"
    );
}

#[test]
fn default_names_avoid_every_instance_s_names_configured_later_too() {
    // keepalived names VMACs after reading every instance: VI_3's `vrrp.51` is already taken
    // when VI_1 gets its default, and VI_2 (IPv6, same VRID) tries vrrp6 first.
    let l = load(
        "vrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 51\nuse_vmac\nvirtual_ipaddress {\n198.51.100.50\n}\n}\n\
         vrrp_instance VI_2 {\ninterface eth0\nvirtual_router_id 51\nuse_vmac\nvirtual_ipaddress {\nfe80::50\n}\n}\n\
         vrrp_instance VI_3 {\ninterface eth1\nvirtual_router_id 51\nuse_vmac vrrp.51\nvirtual_ipaddress {\n198.51.100.52\n}\n}\n",
    );
    let names: Vec<String> = ["VI_1", "VI_2", "VI_3"]
        .iter()
        .map(|n| inst(&l, n).vmac.own.clone().unwrap().ifname)
        .collect();
    assert_eq!(names, ["vrrp1.51", "vrrp6.51", "vrrp.51"]);
}

#[test]
fn vmac_prefix_names_and_is_cut_to_fit() {
    let l = one("vmac_prefix abc", "use_vmac", "198.51.100.50");
    assert_eq!(inst(&l, "VI_1").vmac.own.as_ref().unwrap().ifname, "abc.51");
    let l = one("vmac_prefix abcdefghijklmnopq", "use_vmac", "198.51.100.50");
    assert_eq!(
        inst(&l, "VI_1").vmac.own.as_ref().unwrap().ifname,
        "abcdefghijkl.51"
    );
    let l = one(
        "vmac_prefix abc\nvmac_prefix def",
        "use_vmac",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages()
            .contains(&"vmac prefix has already been specified - ignoring def".to_string())
    );
    assert_eq!(
        l.config.as_ref().unwrap().global.vmac_prefix.as_deref(),
        Some("abc")
    );
}

#[test]
fn unicast_forces_xmit_base_and_strict_clears_it_and_the_mac() {
    let l = one(
        "",
        "use_vmac\nunicast_peer {\n198.51.100.2\n}",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages().contains(
            &"(VI_1) unicast with use_vmac requires vmac_xmit_base - setting".to_string()
        )
    );
    assert!(inst(&l, "VI_1").vmac.xmit_base);

    let l = one(
        "",
        "use_vmac 02:11:22:33:44:55\nvmac_xmit_base\nstrict_mode",
        "198.51.100.50",
    );
    let m = l.messages();
    assert!(
        m.contains(&"(VI_1): cannot specify MAC address with strict mode - clearing".to_string()),
        "{m:?}"
    );
    assert!(
        m.contains(&"(VI_1) xmit_base is incompatible with strict mode - resetting".to_string())
    );
    let i = inst(&l, "VI_1");
    assert!(!i.vmac.xmit_base && !i.vmac.mac_configured);
    assert_eq!(i.vmac.own.as_ref().unwrap().mac, [0, 0, 0x5e, 0, 1, 51]);
}

#[test]
fn xmit_base_without_vmac_and_promote_secondaries_with_one_are_errors() {
    let l = one("", "vmac_xmit_base", "198.51.100.50");
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages()
            .contains(&"(VI_1) vmac_xmit_base is only valid with a vmac".to_string())
    );
    let i = inst(&l, "VI_1");
    assert!(!i.vmac.xmit_base && i.vmac.own.is_none());
    assert_eq!(devs(i), [None]);

    let l = one("", "use_vmac\npromote_secondaries", "198.51.100.50");
    assert_eq!(l.test_exit_code(), 5);
    assert!(l.messages().contains(
        &"(VI_1) promote_secondaries is automatically set for vmacs - ignoring".to_string()
    ));
}

#[test]
fn use_vmac_addr_gives_other_interfaces_a_vmac_of_their_own() {
    let l = one(
        "vmac_addr_prefix va",
        "use_vmac\nuse_vmac_addr",
        "198.51.100.50\n198.51.100.51 dev eth1\n198.51.100.52 dev eth1\n198.51.100.53 dev eth2",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert!(i.vmac.use_vmac_addr);
    let mac = [0, 0, 0x5e, 0, 1, 51];
    assert_eq!(
        i.vmac.for_vips,
        [
            vmac("va.51", "eth1", mac, false),
            vmac("va1.51", "eth2", mac, false)
        ]
    );
    assert_eq!(
        devs(i),
        [
            Some("vrrp.51"),
            Some("va.51"),
            Some("va.51"),
            Some("va1.51")
        ]
    );
}

#[test]
fn a_vip_s_use_vmac_option() {
    // Without use_vmac on the instance, the VIP gets a VMAC on the instance interface.
    let l = one("", "", "198.51.100.50 use_vmac\n198.51.100.51");
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert!(i.vmac.own.is_none());
    assert_eq!(
        i.vmac.for_vips,
        [vmac("vrrp.51", "eth0", [0, 0, 0x5e, 0, 1, 51], false)]
    );
    assert_eq!(devs(i), [Some("vrrp.51"), None]);

    let l = one("", "use_vmac", "198.51.100.50 use_vmac");
    assert_eq!(l.test_exit_code(), 5);
    assert!(l.messages().contains(
        &"(VI_1) use_vmac specified for VIP/eVIP 198.51.100.50 and vrrp instance".to_string()
    ));
    assert_eq!(devs(inst(&l, "VI_1")), [Some("vrrp.51")]);

    let l = one(
        "",
        "use_vmac\nuse_vmac_addr",
        "198.51.100.50/24 dev eth1 use_vmac",
    );
    assert_eq!(l.test_exit_code(), 5);
    assert!(
        l.messages().contains(
            &"(VI_1) use_vmac_addr specified and use_vmac specified for VIP/eVIP 198.51.100.50/24"
                .to_string()
        )
    );
    // use_vmac_addr still applies.
    assert_eq!(devs(inst(&l, "VI_1")), [Some("vrrp1.51")]);
}

#[test]
fn garp_extra_if_parsing() {
    let cases = [
        (
            "garp_extra_if 86401",
            vec![
                "number '86401' outside range [0, 86400]",
                "(VI_1): garp_extra_if '86401' invalid - ignoring",
            ],
        ),
        (
            "garp_extra_if all",
            vec!["(VI_1): garp_extra_if specified without time - ignoring"],
        ),
        (
            "vmac_garp_intvl 5",
            vec!["Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\""],
        ),
    ];
    for (line, want) in cases {
        let l = one("", &format!("use_vmac\n{line}"), "198.51.100.50");
        assert_eq!(l.test_exit_code(), 5, "{line}");
        let m = l.messages();
        for w in want {
            assert!(m.contains(&w.to_string()), "{line}: {m:?}");
        }
    }
    let globals = [
        (
            "vrrp_garp_extra_if 0",
            vec![
                "number '0' outside range [1, 86400]",
                "vrrp_garp_extra_if '0' invalid - ignoring",
            ],
        ),
        (
            "vrrp_garp_extra_if all",
            vec!["vrrp_garp_extra_if specified without time - ignoring"],
        ),
        (
            "vrrp_vmac_garp_intvl 3",
            vec![
                "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"",
            ],
        ),
    ];
    for (line, want) in globals {
        let l = one(line, "use_vmac", "198.51.100.50");
        assert_eq!(l.test_exit_code(), 5, "{line}");
        let m = l.messages();
        for w in want {
            assert!(m.contains(&w.to_string()), "{line}: {m:?}");
        }
    }
}

#[test]
fn garp_extra_if_needs_an_extra_interface() {
    // Only the instance's own VMAC carries VIPs: keepalived turns it off, even with xmit_base.
    let l = one(
        "",
        "use_vmac\nvmac_xmit_base\ngarp_extra_if 10",
        "198.51.100.50",
    );
    assert_eq!(inst(&l, "VI_1").vmac.garp_extra_if, None);
    // A VIP on another plain interface counts only with `all`.
    let l = one(
        "",
        "use_vmac\ngarp_extra_if 10",
        "198.51.100.50\n198.51.100.51 dev eth1",
    );
    assert_eq!(inst(&l, "VI_1").vmac.garp_extra_if, None);
    let l = one(
        "vrrp_garp_extra_if all 7",
        "use_vmac",
        "198.51.100.50\n198.51.100.51 dev eth1",
    );
    assert_eq!(
        inst(&l, "VI_1").vmac.garp_extra_if,
        Some(GarpExtraIf {
            interval: Duration::from_secs(7),
            all: true
        })
    );
    // Another VMAC counts without `all`; the instance's value wins over the global one.
    let l = one(
        "vrrp_garp_extra_if 7",
        "use_vmac\nuse_vmac_addr\ngarp_extra_if 3",
        "198.51.100.50\n198.51.100.51 dev eth1",
    );
    assert_eq!(
        inst(&l, "VI_1").vmac.garp_extra_if,
        Some(GarpExtraIf {
            interval: Duration::from_secs(3),
            all: false
        })
    );
    let l = one(
        "",
        "garp_extra_if all 0",
        "198.51.100.50\n198.51.100.51 dev eth1",
    );
    assert_eq!(inst(&l, "VI_1").vmac.garp_extra_if, None, "0 is off");
}

#[test]
fn unicast_without_interface_clears_use_vmac() {
    let l = load(
        "vrrp_instance VI_1 {\nvirtual_router_id 51\nunicast_src_ip 198.51.100.1\nuse_vmac\nunicast_peer {\n198.51.100.2\n}\nvirtual_ipaddress {\n198.51.100.50 dev eth0\n}\n}\n",
    );
    assert!(
        l.messages().contains(
            &"(VI_1): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"
                .to_string()
        )
    );
    assert!(inst(&l, "VI_1").vmac.own.is_none());
}

#[test]
fn mac_reader_follows_keepalived() {
    let ok = |s: &str, mac: [u8; 6], uses_vrid| {
        assert_eq!(parse_vmac_mac(s), MacParse::Ok { mac, uses_vrid }, "{s}")
    };
    ok(
        "02:11:22:33:44:55",
        [2, 0x11, 0x22, 0x33, 0x44, 0x55],
        false,
    );
    ok("2:1:2:3:4:5:", [2, 1, 2, 3, 4, 5], false);
    ok("02:11:22:33:44", [2, 0x11, 0x22, 0x33, 0x44, 0], true);
    ok("02:11:22:33:44:", [2, 0x11, 0x22, 0x33, 0x44, 0], true);
    // keepalived stops after six octets: whatever follows the sixth `:` is not read.
    ok(
        "02:11:22:33:44:55:66",
        [2, 0x11, 0x22, 0x33, 0x44, 0x55],
        false,
    );
    assert_eq!(parse_vmac_mac("02:11:22:33:44:5g"), MacParse::BadChars);
    assert_eq!(parse_vmac_mac("02-11-22-33-44-55"), MacParse::BadChars);
    for bad in [
        "02:11:22:33",
        "021:1:2:3:4:5",
        "02::22:33:44:55",
        ":02:11:22:33:44",
    ] {
        assert_eq!(parse_vmac_mac(bad), MacParse::Invalid, "{bad}");
    }
}

#[test]
fn interface_names_as_the_kernel_checks_them() {
    assert!(dev_name_valid("vrrp.51"));
    assert!(dev_name_valid("abcdefghijklmno"));
    for bad in ["", ".", "..", "abcdefghijklmnop", "a/b", "a b", "a:b"] {
        assert!(!dev_name_valid(bad), "{bad:?}");
    }
}

#[test]
fn vip_family_is_the_instance_s() {
    let l = one("", "use_vmac", "198.51.100.50");
    let i = inst(&l, "VI_1");
    assert_eq!(i.vips[0].addr, "198.51.100.50".parse::<IpAddr>().unwrap());
}

#[test]
fn disable_local_igmp_is_a_global_flag() {
    let l = one("disable_local_igmp", "use_vmac", "198.51.100.50");
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let c = l.config.as_ref().unwrap();
    assert!(c.global.disable_local_igmp);
    assert!(crate::config::dump(c).contains("\n  disable_local_igmp true\n"));
    let l = one("", "use_vmac", "198.51.100.50");
    assert!(!l.config.unwrap().global.disable_local_igmp);
}

/// eVIPs are placed as VIPs are (`vrrp_complete_instance()` walks both lists): those of the
/// instance's family go on its VMAC, the other family's stay on the interface itself, and
/// with `use_vmac_addr` (or their own `use_vmac`) those elsewhere get a VMAC of their own.
#[test]
fn evips_are_placed_as_keepalived_places_them() {
    let evips = |i: &Instance| -> Vec<Option<String>> {
        i.vips_excluded.iter().map(|v| v.dev.clone()).collect()
    };
    let l = one(
        "",
        "use_vmac\nvirtual_ipaddress_excluded {\n198.51.100.60\n2001:db8::60/64\n}",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert_eq!(
        evips(i),
        [Some("vrrp.51".to_string()), Some("eth0".to_string())]
    );
    assert!(i.vmac.for_vips.is_empty());

    let l = one(
        "",
        "use_vmac\nuse_vmac_addr\nvirtual_ipaddress_excluded {\n2001:db8:1::50/64 dev eth1\n}",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert_eq!(
        i.vmac.for_vips,
        [vmac("vrrp6.51", "eth1", [0, 0, 0x5e, 0, 2, 51], true)]
    );
    assert_eq!(evips(i), [Some("vrrp6.51".to_string())]);

    // An eVIP's own use_vmac option, as a VIP's.
    let l = one(
        "",
        "virtual_ipaddress_excluded {\n198.51.100.60 dev eth1 use_vmac\n}",
        "198.51.100.50",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let i = inst(&l, "VI_1");
    assert_eq!(
        i.vmac.for_vips,
        [vmac("vrrp.51", "eth1", [0, 0, 0x5e, 0, 1, 51], false)]
    );
    assert_eq!(evips(i), [Some("vrrp.51".to_string())]);
}
