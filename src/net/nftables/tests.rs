//! The batches [`Ruleset`] builds against the ones keepalived 2.2.7 sent for the same
//! configurations (`compat-tests/wire/nftables/*.hex`, captured with strace), byte for byte
//! once the sequence numbers are zeroed.

use super::msg::{self, Family};
use super::*;

/// The bytes of a `.hex` vector (comment lines skipped).
fn hex(text: &str) -> Vec<u8> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// Sequence numbers and port ids zeroed in every message of a datagram.
fn unnumbered(mut b: Vec<u8>) -> Vec<u8> {
    let mut at = 0;
    while at + 16 <= b.len() {
        let len = u32::from_ne_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        b[at + 8..at + 16].fill(0);
        at += (len + 3) & !3;
    }
    b
}

/// A table query with the padding after its name attribute zeroed: keepalived builds it in
/// an uninitialised stack buffer, so those bytes are whatever was there.
fn probe_padding_zeroed(mut b: Vec<u8>) -> Vec<u8> {
    let name_len = u16::from_ne_bytes([b[20], b[21]]) as usize;
    let end = (20 + name_len + 3) & !3;
    b[20 + name_len..end].fill(0);
    b
}

/// A batch as keepalived sends it: delimiters around `msgs`.
fn batch(msgs: Vec<Msg>) -> Vec<u8> {
    let mut all = vec![msg::batch_begin()];
    all.extend(msgs);
    all.push(msg::batch_end());
    unnumbered(msg::to_bytes(&mut all, &mut 0))
}

/// Where two datagrams first differ, for a readable failure.
fn assert_same(ours: &[u8], theirs: &[u8], what: &str) {
    if ours != theirs {
        let at = ours
            .iter()
            .zip(theirs)
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(theirs.len()));
        panic!(
            "{what}: differs at byte {at} (ours {} bytes, keepalived {} bytes)\nours:  {:02x?}\ntheirs: {:02x?}",
            ours.len(),
            theirs.len(),
            &ours[at.saturating_sub(8)..(at + 24).min(ours.len())],
            &theirs[at.saturating_sub(8)..(at + 24).min(theirs.len())],
        );
    }
}

fn v4(s: &str) -> Element {
    Element::V4(s.parse().unwrap())
}

fn v6(s: &str) -> Element {
    Element::V6(s.parse().unwrap())
}

fn ll(s: &str) -> Element {
    Element::LinkLocal {
        addr: s.parse().unwrap(),
        ifindex: 3,
    }
}

fn ll_name(s: &str) -> Element {
    Element::LinkLocalName {
        addr: s.parse().unwrap(),
        ifname: "eth0".into(),
    }
}

macro_rules! vector {
    ($name:literal) => {
        unnumbered(hex(include_str!(concat!(
            "../../../compat-tests/wire/nftables/",
            $name,
            ".hex"
        ))))
    };
}

/// One scenario of `capture.sh`: V4 then V6 become MASTER, then leave it (SIGTERM), then
/// the tables are deleted; `v6` are V6's entries, `leftover` the answer to the table probe.
fn scenario(settings: Settings, v6_elems: Vec<Element>, leftover: bool, want: [Vec<u8>; 7]) {
    let table = settings.table.clone();
    let get4 = unnumbered(msg::to_bytes(
        &mut [msg::get_table(Family::V4, &table)],
        &mut 0,
    ));
    let get6 = unnumbered(msg::to_bytes(
        &mut [msg::get_table(Family::V6, &table)],
        &mut 0,
    ));
    assert_same(
        &get4,
        &probe_padding_zeroed(want[0].clone()),
        "table probe ip",
    );
    assert_same(
        &get6,
        &probe_padding_zeroed(want[1].clone()),
        "table probe ip6",
    );
    let mut r = Ruleset::new(settings);
    let mut probed = Vec::new();
    let mut probe = |f| {
        probed.push(f);
        leftover
    };
    let m = r.set(
        "V4",
        vec![v4("198.51.100.50"), v4("198.51.100.51")],
        &mut probe,
    );
    assert_same(&batch(m), &want[2], "V4 becomes MASTER");
    let m = r.set("V6", v6_elems, &mut probe);
    assert_same(&batch(m), &want[3], "V6 becomes MASTER");
    // Asked once, both families, before the first table.
    assert_eq!(probed, [Family::V4, Family::V6]);
    let m = r.set("V4", Vec::new(), |_| unreachable!());
    assert_same(&batch(m), &want[4], "V4 leaves MASTER");
    let m = r.set("V6", Vec::new(), |_| unreachable!());
    assert_same(&batch(m), &want[5], "V6 leaves MASTER");
    assert_same(&batch(r.cleanup()), &want[6], "exit");
    assert!(!r.has_tables());
}

fn settings(table: &str, priority: i32, counters: bool) -> Settings {
    Settings {
        table: table.into(),
        priority,
        counters,
    }
}

#[test]
fn default_tables_are_keepalived_s() {
    scenario(
        settings("keepalived", -1, false),
        vec![ll("fe80::52"), v6("2001:db8::52"), ll("fe80::53")],
        false,
        [
            vector!("default-1"),
            vector!("default-2"),
            vector!("default-3"),
            vector!("default-4"),
            vector!("default-5"),
            vector!("default-6"),
            vector!("default-7"),
        ],
    );
}

#[test]
fn named_table_counters_priority_and_interface_names_are_keepalived_s() {
    scenario(
        settings("mytable", 10, true),
        vec![ll_name("fe80::52"), v6("2001:db8::52"), ll_name("fe80::53")],
        false,
        [
            vector!("named-1"),
            vector!("named-2"),
            vector!("named-3"),
            vector!("named-4"),
            vector!("named-5"),
            vector!("named-6"),
            vector!("named-7"),
        ],
    );
}

#[test]
fn tables_left_by_a_killed_run_are_deleted_in_the_first_batch() {
    scenario(
        settings("keepalived", -1, false),
        vec![ll("fe80::52"), v6("2001:db8::52"), ll("fe80::53")],
        true,
        [
            vector!("leftover-1"),
            vector!("leftover-2"),
            vector!("leftover-3"),
            vector!("leftover-4"),
            vector!("leftover-5"),
            vector!("leftover-6"),
            vector!("leftover-7"),
        ],
    );
}

/// The instances of the captured configurations, through the real front-end.
fn instances(conf: &str) -> model::Config {
    let l = crate::config::load_test(conf);
    l.config.expect("the vector configurations load")
}

#[test]
fn entries_follow_keepalived_s_choice_of_set() {
    let pairs = |c: &model::Instance| -> Vec<(u32, model::VirtualAddr)> {
        c.vips.iter().map(|v| (3, v.clone())).collect()
    };
    let name = |i: u32| (i == 3).then(|| "eth0".to_string());
    let c = instances(include_str!(
        "../../../compat-tests/wire/nftables/default.conf"
    ));
    let fw = &c.global.firewall;
    assert_eq!(
        elements(&c.instances[0], fw, &pairs(&c.instances[0]), name),
        [v4("198.51.100.50"), v4("198.51.100.51")]
    );
    assert_eq!(
        elements(&c.instances[1], fw, &pairs(&c.instances[1]), name),
        [ll("fe80::52"), v6("2001:db8::52"), ll("fe80::53")]
    );
    // dont_track_primary: by name on the instance's own interface…
    let c = instances(include_str!(
        "../../../compat-tests/wire/nftables/named.conf"
    ));
    let i = &c.instances[1];
    assert_eq!(
        elements(i, &c.global.firewall, &pairs(i), name),
        [ll_name("fe80::52"), v6("2001:db8::52"), ll_name("fe80::53")]
    );
    // …unless nftables_ifindex, or the VIP is on another interface.
    let mut fw = c.global.firewall.clone();
    fw.ifindex = true;
    assert_eq!(
        elements(i, &fw, &pairs(i), name),
        [ll("fe80::52"), v6("2001:db8::52"), ll("fe80::53")]
    );
    let mut other = i.clone();
    other.vips[0].dev = Some("eth1".into());
    let got = elements(
        &other,
        &c.global.firewall,
        &[(4, other.vips[0].clone())],
        name,
    );
    assert_eq!(
        got,
        [Element::LinkLocal {
            addr: "fe80::52".parse().unwrap(),
            ifindex: 4
        }]
    );
}

#[test]
fn settings_come_from_the_model() {
    let c = instances(include_str!(
        "../../../compat-tests/wire/nftables/named.conf"
    ));
    assert_eq!(
        Settings::from_model(&c.global.firewall),
        Some(settings("mytable", 10, true))
    );
    assert_eq!(Settings::from_model(&model::Firewall::default()), None);
}

#[test]
fn shared_entries_stay_until_the_last_holder_lets_go() {
    let mut r = Ruleset::new(settings("keepalived", -1, false));
    let a = r.set("A", vec![v4("198.51.100.50")], |_| false);
    assert!(!a.is_empty());
    // B holds the same VIP: nothing to add (keepalived's EXCL add would fail the batch).
    assert!(r.set("B", vec![v4("198.51.100.50")], |_| false).is_empty());
    assert!(r.set("A", Vec::new(), |_| false).is_empty());
    let del = r.set("B", Vec::new(), |_| false);
    assert_eq!(del.len(), 1);
    let one = batch(del);
    assert_same(
        &one,
        &batch(vec![msg::set_elems(
            "keepalived",
            SetKind::Vips4,
            None,
            &[vec![198, 51, 100, 50]],
            false,
        )]),
        "last holder",
    );
}

#[test]
fn a_changed_vip_list_moves_only_the_difference() {
    let mut r = Ruleset::new(settings("keepalived", -1, false));
    r.set("A", vec![v4("198.51.100.50"), v4("198.51.100.51")], |_| {
        false
    });
    let m = r.set("A", vec![v4("198.51.100.51"), v4("198.51.100.52")], |_| {
        false
    });
    let want = batch(vec![
        msg::set_elems(
            "keepalived",
            SetKind::Vips4,
            None,
            &[vec![198, 51, 100, 50]],
            false,
        ),
        msg::set_elems(
            "keepalived",
            SetKind::Vips4,
            None,
            &[vec![198, 51, 100, 52]],
            true,
        ),
    ]);
    assert_same(&batch(m), &want, "reload");
    // The same list again changes nothing; an instance holding nothing asks for nothing.
    assert!(
        r.set("A", vec![v4("198.51.100.51"), v4("198.51.100.52")], |_| {
            false
        })
        .is_empty()
    );
    assert!(r.set("Z", Vec::new(), |_| unreachable!()).is_empty());
}

#[test]
fn after_cleanup_the_next_master_creates_the_tables_again() {
    let mut r = Ruleset::new(settings("keepalived", -1, false));
    r.set("A", vec![v4("198.51.100.50")], |_| false);
    assert_eq!(r.cleanup().len(), 1);
    assert!(r.cleanup().is_empty());
    let mut asked = 0;
    let m = r.set("A", vec![v4("198.51.100.50")], |_| {
        asked += 1;
        false
    });
    assert_eq!(asked, 2);
    // table, out, in, set, two rules, the element
    assert_eq!(m.len(), 7);
}

#[test]
fn link_local_name_keys_are_padded_to_ifnamsiz() {
    let k = ll_name("fe80::52").key();
    assert_eq!(k.len(), 32);
    assert_eq!(&k[16..20], b"eth0");
    assert!(k[20..].iter().all(|&b| b == 0));
    let k = ll("fe80::52").key();
    assert_eq!(k.len(), 20);
    assert_eq!(u32::from_ne_bytes(k[16..].try_into().unwrap()), 3);
}

/// `nft list ruleset` inside `ns`, or `None` (skip) without the `nft` tool.
fn nft_list(ns: &crate::net::testns::Netns) -> Option<String> {
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", ns.name(), "nft", "list", "ruleset"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_kernel_takes_the_batches_and_the_tables_go_at_exit() {
    use crate::net::testns::{Netns, on_fresh_thread};
    let Some(ns) = Netns::create("nft") else {
        return;
    };
    // A table of that name left by a killed run, with a rule of its own.
    let leftover = std::process::Command::new("ip")
        .args(["netns", "exec", ns.name(), "nft"])
        .arg("add table ip keepalived; add chain ip keepalived junk")
        .status();
    if !leftover.is_ok_and(|s| s.success()) {
        if std::env::var(crate::net::testns::REQUIRE_ENV).is_ok_and(|v| v == "1") {
            panic!("the nft tool is needed to inspect the tables (apt-get install nftables)");
        }
        eprintln!("skipped: no nft tool");
        return;
    }
    let ns = std::sync::Arc::new(ns);
    let ns2 = ns.clone();
    let listings = on_fresh_thread(move |_| {
        ns2.enter();
        let mut fw = Firewall::new(settings("keepalived", -1, false));
        let mut seen = Vec::new();
        fw.set("V4", vec![v4("198.51.100.50")]).expect("V4 rules");
        fw.set(
            "V6",
            vec![
                Element::LinkLocal {
                    addr: "fe80::52".parse().unwrap(),
                    ifindex: 1,
                },
                v6("2001:db8::52"),
            ],
        )
        .expect("V6 rules");
        seen.push(nft_list(&ns2).expect("nft list"));
        fw.set("V4", Vec::new()).expect("V4 leaves");
        seen.push(nft_list(&ns2).expect("nft list"));
        fw.cleanup().expect("cleanup");
        seen.push(nft_list(&ns2).expect("nft list"));
        // A name the kernel refuses: the error says what, and nothing counts as made.
        let mut bad = Firewall::new(settings(&"t".repeat(300), -1, false));
        let err = bad.set("X", vec![v4("198.51.100.9")]).unwrap_err();
        seen.push(err.to_string());
        seen.push(bad.rules.has_tables().to_string());
        seen
    });
    let master = &listings[0];
    assert!(
        !master.contains("junk"),
        "the leftover table was not replaced:\n{master}"
    );
    for want in [
        "table ip keepalived",
        "elements = { 198.51.100.50 }",
        "type filter hook input priority filter - 1; policy accept;",
        "ip daddr @vips drop",
        "ip saddr @vips drop",
        "table ip6 keepalived",
        "elements = { 2001:db8::52 }",
        "elements = { fe80::52 . \"lo\" }",
        "icmpv6 type @neighbor-discovery accept",
        "ip6 daddr fe80::/10 goto in_link_local",
        "ip6 daddr . iif @vips_link_local drop",
    ] {
        assert!(master.contains(want), "missing {want:?} in\n{master}");
    }
    assert!(!listings[1].contains("198.51.100.50"), "{}", listings[1]);
    assert!(listings[1].contains("2001:db8::52"), "{}", listings[1]);
    assert_eq!(listings[2].trim(), "", "tables left at exit");
    assert!(listings[3].contains("refused"), "{}", listings[3]);
    assert_eq!(listings[4], "false");
}
