//! Virtual-time tests of sync groups: two nodes, each with two instances (VRIDs 51 and 52)
//! in one group `G1`, exchanging adverts through the wire codec on a simulated LAN.

use super::*;
use crate::model::{Centis, NotifyScripts, TrackEvent, VirtualAddr};
use crate::vrrp::instance::{Action, FaultCause, Reason};
use crate::vrrp::wire::{self, emit_ipv4, parse_ipv4};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const MCAST: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);

fn vip(last: u8) -> VirtualAddr {
    VirtualAddr {
        addr: IpAddr::V4(Ipv4Addr::new(198, 51, 100, last)),
        prefix_len: 32,
        brd: None,
        dev: None,
        scope: 0,
        label: None,
        no_track: false,
    }
}

/// `VI_<vrid>` on `eth<vrid-51>` with one VIP.
fn cfg(vrid: u8, prio: u8) -> model::Instance {
    model::Instance {
        name: format!("VI_{vrid}"),
        interface: Some(format!("eth{}", vrid - 51)),
        vrid,
        vips: vec![vip(100 + vrid - 51)],
        garp_master_delay: Centis::ZERO,
        garp_master_repeat: 1,
        ..crate::vrrp::instance::tests::cfg(prio)
    }
}

fn group(members: &[&str]) -> model::SyncGroup {
    model::SyncGroup {
        name: "G1".into(),
        members: members.iter().map(|s| s.to_string()).collect(),
        notify: NotifyScripts::default(),
        smtp_alert: false,
        track_scripts: Vec::new(),
        track_interfaces: Vec::new(),
        track_files: Vec::new(),
        tracking_weight: false,
        notify_priority_changes: None,
    }
}

/// One node: its instances and its sync groups; what they did is logged per node.
struct Node {
    addr: Ipv4Addr,
    insts: Vec<Instance>,
    groups: SyncGroups,
    /// (instance index, action) in emission order, adverts included.
    log: Vec<(usize, Action)>,
    events: Vec<GroupEvent>,
}

impl Node {
    fn new(addr: Ipv4Addr, cfgs: &[model::Instance], in_group: bool) -> Self {
        let names: Vec<&str> = cfgs.iter().map(|c| c.name.as_str()).collect();
        let groups = if in_group {
            vec![group(&names)]
        } else {
            Vec::new()
        };
        let mut insts: Vec<Instance> = cfgs.iter().map(|c| Instance::new(c, &[])).collect();
        let groups = SyncGroups::new(&groups, &names, None);
        groups.attach(Instant::now(), &mut refs(&mut insts));
        Self {
            addr,
            insts,
            groups,
            log: Vec::new(),
            events: Vec::new(),
        }
    }

    fn start(&mut self, now: Instant, link_up: &[bool]) {
        for (i, up) in self.insts.iter_mut().zip(link_up) {
            i.handle_startup(now, Some(self.addr.into()), *up);
        }
    }

    fn states(&self) -> Vec<State> {
        self.insts.iter().map(Instance::state).collect()
    }

    /// The reconcile + drain the daemon does after every input; returns the adverts sent.
    fn settle(&mut self, now: Instant) -> Vec<wire::Received> {
        self.groups.reconcile(now, &mut refs(&mut self.insts));
        let mut out = Vec::new();
        for (k, inst) in self.insts.iter_mut().enumerate() {
            while let Some(a) = inst.poll_action() {
                if let Action::SendAdvert(adv) = &a {
                    let dg = emit_ipv4(adv, self.addr, MCAST, 255, 1);
                    out.push(parse_ipv4(&dg).unwrap());
                }
                self.log.push((k, a));
            }
        }
        while let Some(e) = self.groups.poll_event() {
            self.events.push(e);
        }
        out
    }

    fn deliver(&mut self, now: Instant, pkts: &[wire::Received]) {
        for p in pkts {
            for i in &mut self.insts {
                i.handle_packet(now, p);
            }
        }
    }

    fn transitions(&self) -> Vec<(usize, State, State)> {
        self.log
            .iter()
            .filter_map(|(k, a)| match a {
                Action::Transition { from, to, .. } => Some((*k, *from, *to)),
                _ => None,
            })
            .collect()
    }

    fn group_states(&self) -> Vec<(State, State)> {
        self.events.iter().map(|e| (e.from, e.to)).collect()
    }
}

fn refs(v: &mut [Instance]) -> Vec<&mut Instance> {
    v.iter_mut().collect()
}

/// Two nodes on one LAN, driven on virtual time.
struct Lan {
    now: Instant,
    nodes: Vec<Node>,
}

impl Lan {
    /// Settles every node and passes adverts around until nothing more is sent.
    fn exchange(&mut self) {
        for _ in 0..20 {
            let mut sent = Vec::new();
            for n in 0..self.nodes.len() {
                sent.push(self.nodes[n].settle(self.now));
            }
            if sent.iter().all(Vec::is_empty) {
                return;
            }
            for (from, pkts) in sent.iter().enumerate() {
                for (to, node) in self.nodes.iter_mut().enumerate() {
                    if to != from {
                        node.deliver(self.now, pkts);
                    }
                }
            }
        }
        panic!("adverts never settled");
    }

    /// Runs every timer up to `until` (inclusive), in deadline order.
    fn run_until(&mut self, until: Instant) {
        self.exchange();
        for _ in 0..10_000 {
            let next = self
                .nodes
                .iter()
                .flat_map(|n| n.insts.iter().filter_map(Instance::poll_timeout))
                .min();
            let Some(at) = next.filter(|at| *at <= until) else {
                self.now = until;
                return;
            };
            self.now = at;
            for n in &mut self.nodes {
                for i in &mut n.insts {
                    if i.poll_timeout().is_some_and(|t| t <= at) {
                        i.handle_timeout(at);
                    }
                }
            }
            self.exchange();
        }
        panic!("timers never ran out");
    }

    fn link(&mut self, node: usize, inst: usize, up: bool) {
        let name = format!("eth{inst}");
        let now = self.now;
        for i in &mut self.nodes[node].insts {
            i.handle_track(
                now,
                &TrackEvent::Interface {
                    name: name.clone(),
                    up,
                },
            );
        }
        self.exchange();
    }
}

fn pair(prio_a: u8, prio_b: u8) -> Lan {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, prio_a), cfg(52, prio_a)], true);
    let mut b = Node::new(B, &[cfg(51, prio_b), cfg(52, prio_b)], true);
    a.start(t0, &[true, true]);
    b.start(t0, &[true, true]);
    let mut lan = Lan {
        now: t0,
        nodes: vec![a, b],
    };
    lan.exchange();
    lan
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn both_members_become_master_together_and_the_group_reports_backup_then_master() {
    let mut lan = pair(150, 100);
    let t0 = lan.now;
    lan.run_until(t0 + secs(10));
    assert_eq!(lan.nodes[0].states(), [State::Master, State::Master]);
    assert_eq!(lan.nodes[1].states(), [State::Backup, State::Backup]);
    // The group starts BACKUP (keepalived announces it at start) then goes MASTER once.
    assert_eq!(
        lan.nodes[0].group_states(),
        [(State::Init, State::Backup), (State::Backup, State::Master)]
    );
    assert_eq!(lan.nodes[1].group_states(), [(State::Init, State::Backup)]);
    // Master_Down_Interval for priority 150: 3 s + (256-150)/256 s; both at the same instant.
    let a = &lan.nodes[0];
    let masters: Vec<usize> = a
        .transitions()
        .iter()
        .filter(|t| t.2 == State::Master)
        .map(|t| t.0)
        .collect();
    assert_eq!(masters, [0, 1]);
}

#[test]
fn a_member_whose_timer_fires_alone_waits_for_the_others() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    a.settle(t0);
    let mdi = a.insts[0].master_down_interval();
    // VI_52 keeps hearing a master; VI_51 does not.
    let peer = Instance::new(&cfg(52, 200), &[]);
    let _ = peer;
    let adv52 = {
        let mut p = Instance::new(&cfg(52, 200), &[]);
        p.handle_startup(t0, Some(B.into()), true);
        let at = p.poll_timeout().unwrap();
        p.handle_timeout(at);
        let adv = std::iter::from_fn(|| p.poll_action())
            .find_map(|x| match x {
                Action::SendAdvert(adv) => Some(adv),
                _ => None,
            })
            .unwrap();
        parse_ipv4(&emit_ipv4(&adv, B, MCAST, 255, 1)).unwrap()
    };
    let t1 = t0 + mdi - Duration::from_millis(10);
    a.insts[1].handle_packet(t1, &adv52);
    a.settle(t1);
    let t2 = t0 + mdi;
    a.insts[0].handle_timeout(t2);
    a.settle(t2);
    // Held: no transition, wants MASTER, timer re-armed one Master_Down_Interval later.
    assert_eq!(a.states(), [State::Backup, State::Backup]);
    assert!(a.insts[0].wants_master());
    assert!(!a.insts[1].wants_master());
    assert_eq!(a.insts[0].poll_timeout(), Some(t2 + mdi));
    assert_eq!(a.transitions().len(), 2, "only the two BACKUP (init)");
    // VI_52's master goes silent: its timer fires and now both want MASTER -> both go.
    let t3 = a.insts[1].poll_timeout().unwrap();
    assert!(t3 < t2 + mdi);
    a.insts[1].handle_timeout(t3);
    a.settle(t3);
    assert_eq!(a.states(), [State::Master, State::Master]);
    // The member that asked first keeps its reason; the last one's timer reason too.
    let reasons: Vec<Reason> = a
        .log
        .iter()
        .filter_map(|(_, x)| match x {
            Action::Transition {
                to: State::Master,
                reason,
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [Reason::MasterNoResponse, Reason::MasterNoResponse]
    );
    assert_eq!(
        a.group_states(),
        [(State::Init, State::Backup), (State::Backup, State::Master)]
    );
}

#[test]
fn one_member_link_down_moves_both_instances_to_the_other_node() {
    let mut lan = pair(150, 100);
    let t0 = lan.now;
    lan.run_until(t0 + secs(10));
    lan.nodes[0].log.clear();
    lan.nodes[1].log.clear();
    lan.nodes[0].events.clear();
    lan.nodes[1].events.clear();
    // eth1 (VI_52's interface) fails on the master.
    lan.link(0, 1, false);
    let a = &lan.nodes[0];
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    // VI_52 faults itself (two priority-0 adverts); VI_51 is synced: one priority 0.
    let a51: Vec<&Action> = a
        .log
        .iter()
        .filter(|(k, _)| *k == 0)
        .map(|(_, x)| x)
        .collect();
    assert_eq!(a51.len(), 3, "{a51:?}");
    assert!(matches!(a51[0], Action::SendAdvert(adv) if adv.priority == 0 && adv.vrid == 51));
    assert_eq!(a51[1], &Action::RemoveVips);
    assert_eq!(
        a51[2],
        &Action::Transition {
            from: State::Master,
            to: State::Fault,
            reason: Reason::Fault(FaultCause::SyncGroup("G1".into())),
        }
    );
    assert_eq!(a.group_states(), [(State::Master, State::Fault)]);
    // The backup node takes both over at Skew_Time (priority 0 received), together.
    let t1 = lan.now;
    let skew = Duration::from_micros((256 - 100) * 1_000_000 / 256);
    lan.run_until(t1 + skew - Duration::from_millis(1));
    assert_eq!(lan.nodes[1].states(), [State::Backup, State::Backup]);
    lan.run_until(t1 + skew);
    assert_eq!(lan.nodes[1].states(), [State::Master, State::Master]);
    lan.run_until(t1 + secs(5));
    assert_eq!(lan.nodes[1].states(), [State::Master, State::Master]);
    assert_eq!(
        lan.nodes[1].group_states(),
        [(State::Backup, State::Master)]
    );
    // The link comes back: the group leaves FAULT only now, both members BACKUP, then the
    // higher priority node preempts both together.
    lan.nodes[0].log.clear();
    lan.nodes[0].events.clear();
    lan.nodes[1].events.clear();
    lan.link(0, 1, true);
    assert_eq!(lan.nodes[0].states(), [State::Backup, State::Backup]);
    assert_eq!(lan.nodes[0].group_states(), [(State::Fault, State::Backup)]);
    let t2 = lan.now;
    lan.run_until(t2 + secs(10));
    assert_eq!(lan.nodes[0].states(), [State::Master, State::Master]);
    assert_eq!(lan.nodes[1].states(), [State::Backup, State::Backup]);
    assert_eq!(
        lan.nodes[0].group_states(),
        [
            (State::Fault, State::Backup),
            (State::Backup, State::Master)
        ]
    );
    assert_eq!(
        lan.nodes[1].group_states(),
        [(State::Master, State::Backup)]
    );
}

#[test]
fn without_a_group_only_the_failed_instance_moves() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 150), cfg(52, 150)], false);
    let mut b = Node::new(B, &[cfg(51, 100), cfg(52, 100)], false);
    a.start(t0, &[true, true]);
    b.start(t0, &[true, true]);
    let mut lan = Lan {
        now: t0,
        nodes: vec![a, b],
    };
    lan.run_until(t0 + secs(10));
    lan.link(0, 1, false);
    lan.run_until(t0 + secs(20));
    assert_eq!(lan.nodes[0].states(), [State::Master, State::Fault]);
    assert_eq!(lan.nodes[1].states(), [State::Backup, State::Master]);
    assert!(lan.nodes[0].events.is_empty());
}

#[test]
fn a_member_fault_at_start_starts_every_member_in_fault_init() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, false]);
    a.settle(t0);
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    assert_eq!(
        a.transitions(),
        [
            (0, State::Init, State::Fault),
            (1, State::Init, State::Fault)
        ]
    );
    assert_eq!(a.group_states(), [(State::Init, State::Fault)]);
    assert_eq!(a.insts[0].poll_timeout(), None);
    // The faulty link comes up: every member BACKUP, the group BACKUP, after the members.
    a.insts[1].handle_track(
        t0 + secs(1),
        &TrackEvent::Interface {
            name: "eth1".into(),
            up: true,
        },
    );
    a.settle(t0 + secs(1));
    assert_eq!(a.states(), [State::Backup, State::Backup]);
    assert_eq!(
        a.group_states(),
        [(State::Init, State::Fault), (State::Fault, State::Backup)]
    );
}

#[test]
fn group_stays_in_fault_until_every_own_fault_clears() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    a.settle(t0);
    let down = |name: &str, up: bool| TrackEvent::Interface {
        name: name.into(),
        up,
    };
    for i in &mut a.insts {
        i.handle_track(t0, &down("eth0", false));
        i.handle_track(t0, &down("eth1", false));
    }
    a.settle(t0);
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    for i in &mut a.insts {
        i.handle_track(t0, &down("eth0", true));
    }
    a.settle(t0);
    // VI_51 is fine now but VI_52 is still down: both stay in FAULT, no event.
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    assert_eq!(
        a.group_states(),
        [(State::Init, State::Backup), (State::Backup, State::Fault)]
    );
    for i in &mut a.insts {
        i.handle_track(t0, &down("eth1", true));
    }
    a.settle(t0);
    assert_eq!(a.states(), [State::Backup, State::Backup]);
    assert_eq!(
        a.group_states().last(),
        Some(&(State::Fault, State::Backup))
    );
    // Reconciling again changes nothing.
    let n = a.log.len();
    a.settle(t0);
    assert_eq!(a.log.len(), n);
}

#[test]
fn shutdown_reports_stop_for_each_group() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    a.settle(t0);
    for i in &mut a.insts {
        i.handle_shutdown(t0);
    }
    a.groups.handle_shutdown();
    a.settle(t0);
    assert_eq!(
        a.group_states(),
        [(State::Init, State::Backup), (State::Backup, State::Init)]
    );
}

#[test]
fn reload_keeps_the_group_state() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    a.settle(t0);
    let g = vec![group(&["VI_51", "VI_52"])];
    let again = SyncGroups::new(&g, &["VI_51", "VI_52"], Some(&a.groups));
    assert_eq!(again.state("G1"), Some(State::Backup));
    let fresh = SyncGroups::new(&g, &["VI_51", "VI_52"], None);
    assert_eq!(fresh.state("G1"), Some(State::Init));
    assert_eq!(fresh.names().collect::<Vec<_>>(), ["G1"]);
    // A group none of whose members exists is dropped.
    let none = SyncGroups::new(&g, &["VI_9"], None);
    assert_eq!(none.state("G1"), None);
}

#[test]
fn member_config_adds_the_group_trackers_with_the_group_weight() {
    let mut g = group(&["VI_51", "VI_52"]);
    g.track_interfaces.push(model::TrackInterface {
        name: "eth9".into(),
        weight: 0,
        reverse: false,
    });
    g.track_scripts.push(model::TrackScript {
        name: "chk".into(),
        weight: Some(0),
        reverse: None,
    });
    let mut c = cfg(51, 100);
    c.track_scripts.push(model::TrackScript {
        name: "chk".into(),
        weight: Some(10),
        reverse: None,
    });
    let m = member_config(&c, &[g.clone()]);
    assert_eq!(m.track_interfaces.len(), 1);
    assert_eq!(m.track_scripts.len(), 1);
    assert_eq!(m.track_scripts[0].weight, Some(0));
    let other = cfg(53, 100);
    assert_eq!(member_config(&other, &[g]), other);
}

#[test]
fn group_tracked_interface_faults_every_member() {
    let mut g = group(&["VI_51", "VI_52"]);
    g.track_interfaces.push(model::TrackInterface {
        name: "eth9".into(),
        weight: 0,
        reverse: false,
    });
    let t0 = Instant::now();
    let cfgs: Vec<model::Instance> = [cfg(51, 100), cfg(52, 100)]
        .iter()
        .map(|c| member_config(c, std::slice::from_ref(&g)))
        .collect();
    let mut insts: Vec<Instance> = cfgs.iter().map(|c| Instance::new(c, &[])).collect();
    let mut groups = SyncGroups::new(&[g], &["VI_51", "VI_52"], None);
    groups.attach(t0, &mut refs(&mut insts));
    for i in &mut insts {
        i.handle_startup(t0, Some(A.into()), true);
    }
    groups.reconcile(t0, &mut refs(&mut insts));
    for i in &mut insts {
        i.handle_track(
            t0,
            &TrackEvent::Interface {
                name: "eth9".into(),
                up: false,
            },
        );
    }
    groups.reconcile(t0, &mut refs(&mut insts));
    assert!(insts.iter().all(|i| i.state() == State::Fault));
    assert_eq!(groups.state("G1"), Some(State::Fault));
}

/// With floating priorities (`sync_group_tracking_weight`) members of one group can rank
/// differently against the peer: here A wins VI_52 (150 > 100) but loses VI_51 (90 < 100).
/// The group never splits: B takes both, and A's VI_52 asks to preempt in vain while its VI_51
/// accepts B's adverts, as with keepalived.
#[test]
fn members_ranking_differently_never_split_the_group() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 90), cfg(52, 150)], true);
    let mut b = Node::new(B, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    b.start(t0, &[true, true]);
    let mut lan = Lan {
        now: t0,
        nodes: vec![a, b],
    };
    lan.run_until(t0 + secs(30));
    assert_eq!(lan.nodes[0].states(), [State::Backup, State::Backup]);
    assert_eq!(lan.nodes[1].states(), [State::Master, State::Master]);
    assert!(!lan.nodes[0].insts[0].wants_master());
    assert!(lan.nodes[0].insts[1].wants_master());
    assert_eq!(lan.nodes[0].group_states(), [(State::Init, State::Backup)]);
    assert_eq!(
        lan.nodes[1].group_states(),
        [(State::Init, State::Backup), (State::Backup, State::Master)]
    );
    // A's VI_51 recovers its priority (a reload here): now both ask and A takes both.
    let now = lan.now;
    lan.nodes[0].insts[0].handle_reload(now, cfg(51, 200).into(), &[]);
    lan.exchange();
    lan.run_until(now + secs(10));
    assert_eq!(lan.nodes[0].states(), [State::Master, State::Master]);
    assert_eq!(lan.nodes[1].states(), [State::Backup, State::Backup]);
}

/// A reload that takes an instance out of its group releases it from a FAULT the group held
/// it in; its former partner, with its own fault, stays.
#[test]
fn leaving_the_group_by_reload_releases_a_held_member() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, false]);
    a.settle(t0);
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    let t1 = t0 + secs(1);
    a.groups = SyncGroups::new(&[], &["VI_51", "VI_52"], Some(&a.groups));
    a.groups.attach(t1, &mut refs(&mut a.insts));
    a.settle(t1);
    assert_eq!(a.states(), [State::Backup, State::Fault]);
    assert_eq!(
        a.insts[0].poll_timeout(),
        Some(t1 + a.insts[0].master_down_interval())
    );
}

/// keepalived holds every member silently in FAULT (init) while one waits for its first
/// weight-0 script result; the members come up together, then the group says BACKUP.
#[test]
fn members_wait_for_a_member_s_first_script_result() {
    let t0 = Instant::now();
    let chk = model::VrrpScript {
        name: "chk".into(),
        command: model::ScriptCommand {
            argv: vec!["/bin/true".into()],
            user: None,
        },
        interval: secs(1),
        timeout: None,
        weight: 0,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    let mut c52 = cfg(52, 100);
    c52.track_scripts.push(model::TrackScript {
        name: "chk".into(),
        weight: None,
        reverse: None,
    });
    let cfgs = [cfg(51, 100), c52];
    let mut a = Node::new(A, &cfgs, true);
    a.insts = cfgs
        .iter()
        .map(|c| Instance::new(c, std::slice::from_ref(&chk)))
        .collect();
    a.groups.attach(t0, &mut refs(&mut a.insts));
    a.start(t0, &[true, true]);
    a.settle(t0);
    assert_eq!(a.states(), [State::Fault, State::Fault]);
    assert!(a.transitions().is_empty(), "{:?}", a.log);
    assert!(a.events.is_empty());
    assert_eq!(a.insts[0].poll_timeout(), None);
    let t1 = t0 + secs(1);
    for i in &mut a.insts {
        i.handle_track(
            t1,
            &TrackEvent::Script {
                name: "chk".into(),
                ok: true,
            },
        );
    }
    a.settle(t1);
    assert_eq!(a.states(), [State::Backup, State::Backup]);
    assert_eq!(a.transitions().len(), 2);
    assert!(
        a.transitions()
            .iter()
            .all(|t| t.1 == State::Fault && t.2 == State::Backup)
    );
    assert_eq!(
        a.events,
        [GroupEvent {
            group: "G1".into(),
            from: State::Init,
            to: State::Backup,
            initial: false,
        }]
    );
    let mdi = a.insts[0].master_down_interval();
    assert_eq!(a.insts[0].poll_timeout(), Some(t1 + mdi));
    assert_eq!(a.insts[1].poll_timeout(), Some(t1 + mdi));
}

#[test]
fn the_start_up_backup_is_the_initial_announcement() {
    let t0 = Instant::now();
    let mut a = Node::new(A, &[cfg(51, 100), cfg(52, 100)], true);
    a.start(t0, &[true, true]);
    a.settle(t0);
    assert_eq!(
        a.events,
        [GroupEvent {
            group: "G1".into(),
            from: State::Init,
            to: State::Backup,
            initial: true,
        }]
    );
}

#[test]
fn a_lower_priority_advert_to_one_member_refreshes_every_members_arp() {
    let mut lan = pair(150, 100);
    let t0 = lan.now;
    lan.run_until(t0 + secs(5));
    assert_eq!(lan.nodes[0].states(), [State::Master, State::Master]);
    let a = &mut lan.nodes[0];
    a.log.clear();
    // A priority-50 advert for VRID 51 only (e.g. a peer that lost track of the master).
    let now = lan.now;
    let c = cfg(51, 50);
    let low = crate::vrrp::instance::tests::rx(&c, B, 50);
    a.deliver(now, std::slice::from_ref(&low));
    a.settle(now);
    let garps = |log: &[(usize, Action)]| -> Vec<(usize, u32)> {
        log.iter()
            .filter_map(|(k, act)| match act {
                Action::SendGarp { repeat } => Some((*k, *repeat)),
                _ => None,
            })
            .collect()
    };
    // VI_51's own burst, then VI_52's from the group (keepalived's default repeat: 5).
    assert_eq!(garps(&a.log), [(0, 5), (1, 5)]);
    // Both delayed repeats are armed for garp_lower_prio_delay (5 s) later.
    a.log.clear();
    let later = now + secs(5);
    for i in &mut a.insts {
        assert!(i.poll_timeout().is_some_and(|t| t <= later));
        // Only the due timers: the advert timer fires too, which is fine.
        while let Some(t) = i.poll_timeout().filter(|t| *t <= later) {
            i.handle_timeout(t);
        }
    }
    a.settle(later);
    let delayed = garps(&a.log);
    assert!(
        delayed.contains(&(0, 5)) && delayed.contains(&(1, 5)),
        "{delayed:?}"
    );
    // Without a group, only the instance that heard the advert refreshes.
    let mut solo = Node::new(A, &[cfg(51, 150), cfg(52, 150)], false);
    solo.start(t0, &[true, true]);
    for i in &mut solo.insts {
        let at = i.poll_timeout().unwrap();
        i.handle_timeout(at);
    }
    solo.settle(now);
    solo.log.clear();
    solo.deliver(now, std::slice::from_ref(&low));
    solo.settle(now);
    assert_eq!(garps(&solo.log), [(0, 5)]);
}
