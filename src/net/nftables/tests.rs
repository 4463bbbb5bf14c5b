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
            &[msg::SetElem::key(vec![198, 51, 100, 50])],
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
            &[msg::SetElem::key(vec![198, 51, 100, 50])],
            false,
        ),
        msg::set_elems(
            "keepalived",
            SetKind::Vips4,
            None,
            &[msg::SetElem::key(vec![198, 51, 100, 52])],
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
        fw.vmac(VmacChange::Add {
            ifindex: 1,
            parent: 1,
            families: vec![Family::V6, Family::V4],
        })
        .expect("VMAC rules");
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
        "ip protocol igmp meta oifkind \"macvlan\" dup to ip daddr device oif map @vmac_map drop",
        "icmpv6 type mld2-listener-report meta oifkind \"macvlan\" dup to ip6 daddr device oif map @vmac_map drop",
        "icmpv6 type nd-router-solicit meta oifkind \"macvlan\" oif @vmac_set drop",
        "elements = { \"lo\" : \"lo\" }",
    ] {
        assert!(master.contains(want), "missing {want:?} in\n{master}");
    }
    assert!(!listings[1].contains("198.51.100.50"), "{}", listings[1]);
    assert!(listings[1].contains("2001:db8::52"), "{}", listings[1]);
    assert_eq!(listings[2].trim(), "", "tables left at exit");
    assert!(listings[3].contains("refused"), "{}", listings[3]);
    assert_eq!(listings[4], "false");
}

/// One step of a captured VMAC run and what keepalived sent for it.
enum Step {
    Vmac(VmacChange),
    Set(&'static str, Vec<Element>),
    Cleanup,
}

fn add(ifindex: u32, parent: u32, families: &[Family]) -> Step {
    Step::Vmac(VmacChange::Add {
        ifindex,
        parent,
        families: families.to_vec(),
    })
}

fn remove(ifindex: u32) -> Step {
    Step::Vmac(VmacChange::Remove { ifindex })
}

/// Replays `steps` on a fresh ruleset (the table probe answering `leftover`), each batch
/// against its vector; the vectors' first two files are the table probes.
fn replay(
    name: &str,
    settings: Settings,
    leftover: bool,
    probes: [Vec<u8>; 2],
    steps: Vec<(Step, Vec<u8>)>,
) {
    for (f, want) in [Family::V4, Family::V6].into_iter().zip(probes) {
        let got = unnumbered(msg::to_bytes(
            &mut [msg::get_table(f, &settings.table)],
            &mut 0,
        ));
        assert_same(&got, &probe_padding_zeroed(want), &format!("{name}: probe"));
    }
    let mut r = Ruleset::new(settings);
    let mut probed = Vec::new();
    for (i, (step, want)) in steps.into_iter().enumerate() {
        let mut probe = |f| {
            probed.push(f);
            leftover
        };
        let m = match step {
            Step::Vmac(c) => r.vmac(c, &mut probe),
            Step::Set(instance, elems) => r.set(instance, elems, &mut probe),
            Step::Cleanup => r.cleanup(),
        };
        assert_same(&batch(m), &want, &format!("{name}: batch {}", i + 3));
    }
    assert_eq!(
        probed,
        [Family::V4, Family::V6],
        "{name}: probed once, both families"
    );
    assert!(!r.has_tables());
}

const V4: Family = Family::V4;
const V6: Family = Family::V6;

/// `vmac.conf`: V4's VMAC is ifindex 6, V6's 7, both on eth0 (3).
#[test]
fn vmac_rules_are_keepalived_s() {
    replay(
        "vmac",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-1"), vector!("vmac-2")],
        vec![
            (add(6, 3, &[V4]), vector!("vmac-3")),
            (add(7, 3, &[V6]), vector!("vmac-4")),
            (remove(6), vector!("vmac-5")),
            (remove(7), vector!("vmac-6")),
            (Step::Cleanup, vector!("vmac-7")),
        ],
    );
}

#[test]
fn vmac_rules_with_a_named_table_counters_and_priority_are_keepalived_s() {
    replay(
        "vmac-named",
        settings("mytable", 10, true),
        false,
        [vector!("vmac-named-1"), vector!("vmac-named-2")],
        vec![
            (add(6, 3, &[V4]), vector!("vmac-named-3")),
            (add(7, 3, &[V6]), vector!("vmac-named-4")),
            (remove(6), vector!("vmac-named-5")),
            (remove(7), vector!("vmac-named-6")),
            (Step::Cleanup, vector!("vmac-named-7")),
        ],
    );
}

/// Strict mode: the drop rules go into the tables the VMACs made at start.
#[test]
fn vmac_and_strict_rules_share_keepalived_s_tables() {
    let ll7 = Element::LinkLocal {
        addr: "fe80::52".parse().unwrap(),
        ifindex: 7,
    };
    replay(
        "vmac-strict",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-strict-1"), vector!("vmac-strict-2")],
        vec![
            (add(6, 3, &[V4]), vector!("vmac-strict-3")),
            (add(7, 3, &[V6]), vector!("vmac-strict-4")),
            (
                Step::Set("V4", vec![v4("198.51.100.50")]),
                vector!("vmac-strict-5"),
            ),
            (
                Step::Set("V6", vec![ll7, v6("2001:db8::52")]),
                vector!("vmac-strict-6"),
            ),
            (Step::Set("V4", Vec::new()), vector!("vmac-strict-7")),
            (Step::Set("V6", Vec::new()), vector!("vmac-strict-8")),
            (remove(6), vector!("vmac-strict-9")),
            (remove(7), vector!("vmac-strict-10")),
            (Step::Cleanup, vector!("vmac-strict-11")),
        ],
    );
}

/// eVIPs of the other family: both families for the instance's VMAC, its own first.
#[test]
fn vmac_rules_of_both_families_follow_the_instance_s_family() {
    replay(
        "vmac-other",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-other-1"), vector!("vmac-other-2")],
        vec![
            (add(6, 3, &[V4, V6]), vector!("vmac-other-3")),
            (add(7, 3, &[V6, V4]), vector!("vmac-other-4")),
            (remove(6), vector!("vmac-other-5")),
            (remove(7), vector!("vmac-other-6")),
            (Step::Cleanup, vector!("vmac-other-7")),
        ],
    );
}

/// `disable_local_igmp`: V4's VMAC (6) gets nothing; V6's (7) both families.
#[test]
fn vmac_rules_with_disable_local_igmp_are_keepalived_s() {
    replay(
        "vmac-igmp",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-igmp-1"), vector!("vmac-igmp-2")],
        vec![
            (add(7, 3, &[V6, V4]), vector!("vmac-igmp-3")),
            (remove(7), vector!("vmac-igmp-4")),
            (Step::Cleanup, vector!("vmac-igmp-5")),
        ],
    );
}

/// `use_vmac_addr`: vrrp.51 (6, eth0, with an IPv6 eVIP: both families), vrrp1.51 (7, on x0
/// = 5, IPv4) and vrrp6.51 (8, on x0, IPv6).
#[test]
fn vmacs_of_vips_on_other_interfaces_are_keepalived_s() {
    replay(
        "vmac-addr",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-addr-1"), vector!("vmac-addr-2")],
        vec![
            (add(6, 3, &[V4, V6]), vector!("vmac-addr-3")),
            (add(7, 5, &[V4]), vector!("vmac-addr-4")),
            (add(8, 5, &[V6]), vector!("vmac-addr-5")),
            (remove(6), vector!("vmac-addr-6")),
            (remove(7), vector!("vmac-addr-7")),
            (remove(8), vector!("vmac-addr-8")),
            (Step::Cleanup, vector!("vmac-addr-9")),
        ],
    );
}

/// A reload dropping V6: its VMAC leaves the sets, the tables stay for V4's.
#[test]
fn a_vmac_removed_at_reload_leaves_the_sets() {
    replay(
        "vmac-reload",
        settings("keepalived", -1, false),
        false,
        [vector!("vmac-reload-1"), vector!("vmac-reload-2")],
        vec![
            (add(6, 3, &[V4]), vector!("vmac-reload-3")),
            (add(7, 3, &[V6]), vector!("vmac-reload-4")),
            (remove(7), vector!("vmac-reload-5")),
            (remove(6), vector!("vmac-reload-6")),
            (Step::Cleanup, vector!("vmac-reload-7")),
        ],
    );
}

/// The messages of a batch, delimiters included.
fn messages(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 16 <= b.len() {
        let len = u32::from_ne_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        out.push(b[at..at + len].to_vec());
        at += (len + 3) & !3;
    }
    out
}

/// The message type (`NFT_MSG_*`) of each message.
fn kinds(b: &[u8]) -> Vec<u8> {
    messages(b).iter().map(|m| m[4]).collect()
}

/// Killed run, restart: keepalived 2.2.7 takes the leftover VMACs over without adding them
/// (its tables stay as the killed run left them until it exits, when its removal batch makes
/// the tables again and fails on the element it never added: `vmac-leftover-3`). Ours adds
/// a VMAC taken over like a new one, so its first batch is keepalived's leftover deletion
/// followed by the clean start's batch (KNOWN_DIVERGENCES.md).
#[test]
fn a_vmac_taken_over_after_a_killed_run_replaces_the_leftover_tables() {
    let theirs = vector!("vmac-leftover-3");
    // NFT_MSG_DELTABLE = 2, NFT_MSG_NEWTABLE = 0, …, NFT_MSG_DELSETELEM = 14
    assert_eq!(kinds(&theirs), [16, 2, 2, 0, 3, 9, 6, 14, 17]);
    let clean = messages(&vector!("vmac-3"));
    let theirs = messages(&theirs);
    let want: Vec<u8> = theirs[..3]
        .iter()
        .chain(&clean[1..])
        .flat_map(|m| m.iter().copied())
        .collect();
    replay(
        "vmac-leftover",
        settings("keepalived", -1, false),
        true,
        [vector!("vmac-leftover-1"), vector!("vmac-leftover-2")],
        vec![
            (add(6, 3, &[V4]), want),
            (add(7, 3, &[V6]), vector!("vmac-4")),
            (remove(6), vector!("vmac-5")),
            (remove(7), vector!("vmac-6")),
            (Step::Cleanup, vector!("vmac-7")),
        ],
    );
}

#[test]
fn vmac_changes_that_change_nothing_send_nothing() {
    let mut r = Ruleset::new(settings("keepalived", -1, false));
    assert!(
        r.vmac(VmacChange::Remove { ifindex: 6 }, |_| unreachable!())
            .is_empty()
    );
    let none = VmacChange::Add {
        ifindex: 6,
        parent: 3,
        families: Vec::new(),
    };
    assert!(r.vmac(none, |_| unreachable!()).is_empty());
    assert!(
        !r.vmac(
            VmacChange::Add {
                ifindex: 6,
                parent: 3,
                families: vec![V4]
            },
            |_| false
        )
        .is_empty()
    );
    // The same again: nothing; on another parent: out of the sets, then in again.
    assert!(
        r.vmac(
            VmacChange::Add {
                ifindex: 6,
                parent: 3,
                families: vec![V4]
            },
            |_| unreachable!()
        )
        .is_empty()
    );
    let moved = r.vmac(
        VmacChange::Add {
            ifindex: 6,
            parent: 5,
            families: vec![V4],
        },
        |_| unreachable!(),
    );
    assert_eq!(kinds(&batch(moved)), [16, 14, 12, 17]);
    assert!(
        !r.vmac(VmacChange::Remove { ifindex: 6 }, |_| unreachable!())
            .is_empty()
    );
    assert!(
        r.vmac(VmacChange::Remove { ifindex: 6 }, |_| unreachable!())
            .is_empty()
    );
}
