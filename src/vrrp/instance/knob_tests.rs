//! Virtual-time tests of the timer, advert-policy and GARP knobs (`down_timer_adverts`,
//! `lower_prio_no_advert`, `higher_prio_send_advert`, `garp_lower_prio_*`,
//! `skip_check_adv_addr`, `check_unicast_src`, `owner_ignore_adverts`, the startup delay, v3
//! interval learning down to 10 ms): exact deadlines and action lists.

use super::*;
use crate::vrrp::wire::{emit_ipv4, parse_ipv4};
use std::net::Ipv4Addr;

const MCAST: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
const C: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 3);

fn vip(last: u8) -> VirtualAddr {
    VirtualAddr {
        addr: IpAddr::V4(Ipv4Addr::new(203, 0, 113, last)),
        prefix_len: 32,
        brd: None,
        dev: None,
        scope: 0,
        label: None,
        no_track: false,
    }
}

/// keepalived 2.2.7's defaults for every knob (the engine tests' instance, renamed).
fn cfg(prio: u8) -> model::Instance {
    model::Instance {
        name: "VI_K".into(),
        vrid: 7,
        auth: None,
        vips: vec![vip(10), vip(11)],
        ..super::tests::cfg(prio)
    }
}

fn us_(n: u64) -> Duration {
    Duration::from_micros(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

fn prios(acts: &[Action]) -> Vec<u8> {
    acts.iter()
        .filter_map(|a| match a {
            Action::SendAdvert(adv) => Some(adv.priority),
            _ => None,
        })
        .collect()
}

/// An advert from `src` to `dst` carrying `c`'s VIPs (or `addrs`), through the wire codec.
fn rx_to(c: &model::Instance, src: Ipv4Addr, dst: Ipv4Addr, prio: u8) -> wire::Received {
    let peer = Instance::new(c, &[]);
    parse_ipv4(&emit_ipv4(&peer.advert(prio), src, dst, 255, 1)).unwrap()
}

fn rx(c: &model::Instance, src: Ipv4Addr, prio: u8) -> wire::Received {
    rx_to(c, src, MCAST, prio)
}

fn started(c: &model::Instance, t0: Instant, addr: Ipv4Addr) -> Instance {
    let mut i = Instance::new(c, &[]);
    i.handle_startup(t0, Some(addr.into()), true);
    drain(&mut i);
    i
}

fn to_master(i: &mut Instance) -> Instant {
    let at = i.poll_timeout().unwrap();
    i.handle_timeout(at);
    assert_eq!(i.state(), State::Master);
    drain(i);
    at
}

#[test]
fn down_timer_adverts_sets_master_down_interval() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.down_timer_adverts = 1;
    let mut i = started(&c, t0, B);
    // 1 · 1 s + (256 − 100) · 1e6 / 256 = 1.609375 s.
    assert_eq!(i.poll_timeout(), Some(t0 + us_(1_609_375)));
    i.handle_packet(t0 + ms(500), &rx(&c, A, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(500) + us_(1_609_375)));

    c.down_timer_adverts = 10;
    let i = started(&c, t0, B);
    assert_eq!(i.poll_timeout(), Some(t0 + us_(10_609_375)));
}

#[test]
fn v3_backup_learns_a_10ms_master_interval() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.version = Version::V3;
    let mut i = started(&c, t0, B);
    assert_eq!(i.poll_timeout(), Some(t0 + us_(3_609_375)));
    // The master advertises every 10 ms (advert_int 0.01).
    let mut m = c.clone();
    m.advert_int = Centis(1);
    i.handle_packet(t0 + ms(100), &rx(&m, A, 200));
    assert_eq!(i.master_adver_int(), Centis(1));
    // 3 · 10 ms + (256 − 100) · 1 · 625 / 16 µs = 30 000 + 6 093.
    assert_eq!(i.poll_timeout(), Some(t0 + ms(100) + us_(36_093)));
    // Silence: MASTER at exactly that deadline, then its own 1 s interval again.
    let at = t0 + ms(100) + us_(36_093);
    i.handle_timeout(at);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.master_adver_int(), Centis::from_secs(1));
    assert_eq!(i.poll_timeout(), Some(at + ms(1000)));
}

#[test]
fn v3_master_at_10ms_sends_every_10ms() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.version = Version::V3;
    c.advert_int = Centis(1);
    let mut i = started(&c, t0, B);
    // 3 · 10 ms + 6 093 µs.
    assert_eq!(i.poll_timeout(), Some(t0 + us_(36_093)));
    let t1 = to_master(&mut i);
    for n in 1..=5u32 {
        assert_eq!(i.poll_timeout(), Some(t1 + ms(10) * n));
        i.handle_timeout(t1 + ms(10) * n);
        let acts = drain(&mut i);
        assert_eq!(prios(&acts), [100]);
        match &acts[0] {
            Action::SendAdvert(a) => assert_eq!(a.advert_int, Centis(1)),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn lower_prio_no_advert_keeps_silent_and_the_schedule() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.lower_prio_no_advert = true;
    c.garp_lower_prio_repeat = 0;
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    i.handle_packet(t1 + ms(300), &rx(&c, A, 50));
    // No advert and no GARP, but the MASTER_RX_LOWER_PRI event still goes out (keepalived
    // sends it whatever lower_prio_no_advert says).
    assert_eq!(
        drain(&mut i),
        vec![Action::MasterRxLowerPri {
            from: A.into(),
            priority: 100
        }]
    );
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1000)));
    // Priority 0 is still answered, but the schedule is not moved either.
    i.handle_packet(t1 + ms(400), &rx(&c, A, 0));
    assert_eq!(prios(&drain(&mut i)), [100]);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1000)));
    assert_eq!(i.stats().advert_sent, 2);
}

#[test]
fn higher_prio_send_advert_sends_once_before_yielding() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.higher_prio_send_advert = true;
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    i.handle_packet(t1 + ms(200), &rx(&c, A, 200));
    let acts = drain(&mut i);
    assert_eq!(prios(&acts), [100]);
    assert!(matches!(acts[0], Action::SendAdvert(_)));
    assert_eq!(acts[1], Action::RemoveVips);
    assert_eq!(i.state(), State::Backup);
    // Same priority from a higher address counts as better too.
    let mut i = started(&c, t0, A);
    to_master(&mut i);
    i.handle_packet(t1, &rx(&c, C, 100));
    assert_eq!(prios(&drain(&mut i)), [100]);
    assert_eq!(i.state(), State::Backup);
    // Without the knob: no advert.
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    to_master(&mut i);
    i.handle_packet(t1, &rx(&c, A, 200));
    assert_eq!(prios(&drain(&mut i)), Vec::<u8>::new());
}

#[test]
fn lower_prio_garp_now_and_after_the_delay_while_master() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.garp_master_delay = Centis::ZERO;
    c.garp_lower_prio_repeat = 2;
    c.garp_lower_prio_delay = Centis::from_secs(3);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    i.handle_packet(t1 + ms(100), &rx(&c, A, 50));
    let acts = drain(&mut i);
    assert_eq!(prios(&acts), [100]);
    assert_eq!(acts[1], Action::SendGarp { repeat: 2 });
    // A second lower advert arms a second delayed burst, as keepalived's per-advert timer.
    i.handle_packet(t1 + ms(1100), &rx(&c, A, 50));
    drain(&mut i);
    // Adverts every second in between; the delayed bursts at +3.1 s and +4.1 s.
    let mut garps = Vec::new();
    while let Some(at) = i.poll_timeout() {
        if at > t1 + ms(4500) {
            break;
        }
        i.handle_timeout(at);
        for a in drain(&mut i) {
            if let Action::SendGarp { repeat } = a {
                garps.push((at - t1, repeat));
            }
        }
    }
    assert_eq!(garps, vec![(ms(3100), 2), (ms(4100), 2)]);

    // Not MASTER any more when the delayed burst is due: nothing sent.
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    i.handle_packet(t1 + ms(100), &rx(&c, A, 50));
    i.handle_packet(t1 + ms(200), &rx(&c, A, 200));
    drain(&mut i);
    assert_eq!(i.state(), State::Backup);
    i.handle_timeout(t1 + ms(3100));
    assert!(
        !drain(&mut i)
            .iter()
            .any(|a| matches!(a, Action::SendGarp { .. }))
    );

    // Repeat 0: no burst at all, and no delayed one.
    c.garp_lower_prio_repeat = 0;
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    i.handle_packet(t1 + ms(100), &rx(&c, A, 50));
    assert_eq!(prios(&drain(&mut i)), [100]);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1100)));
    assert!(i.garp_lower_prio_at.is_empty());
}

#[test]
fn skip_check_adv_addr_checks_vips_only_for_a_new_master() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.skip_check_adv_addr = true;
    let mut other = c.clone();
    other.vips = vec![vip(10), vip(99)];
    let mut i = started(&c, t0, B);
    let first = i.poll_timeout().unwrap();
    // Unknown sender with a different VIP list: checked and refused.
    i.handle_packet(t0 + ms(100), &rx(&other, A, 150));
    assert_eq!(i.stats().addr_list_err, 1);
    assert_eq!(i.poll_timeout(), Some(first));
    // The same sender with our list: accepted, it is now the known master.
    i.handle_packet(t0 + ms(200), &rx(&c, A, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(200) + us_(3_609_375)));
    // Its adverts are no longer checked against our VIPs (count differs too).
    let mut fewer = c.clone();
    fewer.vips = vec![vip(10)];
    i.handle_packet(t0 + ms(300), &rx(&fewer, A, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(300) + us_(3_609_375)));
    assert_eq!(i.stats().addr_list_err, 1);
    // Another sender is checked again.
    i.handle_packet(t0 + ms(400), &rx(&fewer, C, 150));
    assert_eq!(i.stats().addr_list_err, 2);
    assert_eq!(i.poll_timeout(), Some(t0 + ms(300) + us_(3_609_375)));

    // Without the knob the known master is checked every time.
    let c2 = cfg(100);
    let mut i = started(&c2, t0, B);
    i.handle_packet(t0 + ms(200), &rx(&c2, A, 150));
    i.handle_packet(t0 + ms(300), &rx(&fewer, A, 150));
    assert_eq!(i.stats().addr_list_err, 1);
    assert_eq!(i.poll_timeout(), Some(t0 + ms(200) + us_(3_609_375)));
}

#[test]
fn check_unicast_src_drops_adverts_from_non_peers() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.unicast_peers = vec![IpAddr::V4(A)];
    c.check_unicast_src = true;
    let mut i = started(&c, t0, B);
    let first = i.poll_timeout().unwrap();
    i.handle_packet(t0 + ms(100), &rx_to(&c, C, B, 150));
    // Counted as received (keepalived counts before the address checks), then refused.
    assert_eq!(i.stats().advert_rcvd, 1);
    assert_eq!(i.poll_timeout(), Some(first));
    i.handle_packet(t0 + ms(200), &rx_to(&c, A, B, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(200) + us_(3_609_375)));
    // Without it, any source is accepted.
    c.check_unicast_src = false;
    let mut i = started(&c, t0, B);
    i.handle_packet(t0 + ms(100), &rx_to(&c, C, B, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(100) + us_(3_609_375)));
}

#[test]
fn owner_ignore_adverts_drops_everything_while_owner() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.initial_state = InitialState::Master;
    c.owner_ignore_adverts = true;
    let mut i = started(&c, t0, B);
    assert_eq!(i.state(), State::Master);
    let next = i.poll_timeout().unwrap();
    // Another owner from a higher address, and a lower priority: both dropped uncounted.
    i.handle_packet(t0 + ms(100), &rx(&c, C, 255));
    i.handle_packet(t0 + ms(200), &rx(&c, A, 100));
    assert_eq!(drain(&mut i), vec![]);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.effective_priority(), 255);
    assert_eq!(i.stats().advert_rcvd, 0);
    assert_eq!(i.poll_timeout(), Some(next));
    // Without the knob the colliding owner is handled (and we step down to 254).
    c.owner_ignore_adverts = false;
    let mut i = started(&c, t0, B);
    i.handle_packet(t0 + ms(100), &rx(&c, C, 255));
    assert_eq!(i.stats().advert_rcvd, 1);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn startup_delay_pushes_backup_deadlines_until_it_ends() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = Instance::new(&c, &[]);
    i.set_startup_delay(t0 + ms(10_000));
    i.handle_startup(t0, Some(B.into()), true);
    let mdi = us_(3_609_375);
    assert_eq!(i.poll_timeout(), Some(t0 + ms(10_000) + mdi));
    // Adverts are processed during the delay, but re-arm from its end.
    i.handle_packet(t0 + ms(2_000), &rx(&c, A, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(10_000) + mdi));
    // A discarded lower-priority advert keeps the time left (7 s + MDI), which keepalived
    // 2.2.7 also counts from the end of the delay: the deadline moves out.
    i.handle_packet(t0 + ms(3_000), &rx(&c, A, 50));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(17_000) + mdi));
    // After the delay, from now as usual.
    i.handle_packet(t0 + ms(12_000), &rx(&c, A, 150));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(12_000) + mdi));
    i.handle_packet(t0 + ms(13_000), &rx(&c, A, 50));
    assert_eq!(i.poll_timeout(), Some(t0 + ms(12_000) + mdi));
    // An owner is not delayed.
    let mut o = cfg(255);
    o.initial_state = InitialState::Master;
    let mut i = Instance::new(&o, &[]);
    i.set_startup_delay(t0 + ms(10_000));
    i.handle_startup(t0, Some(B.into()), true);
    assert_eq!(i.state(), State::Master);
}

// ---- three nodes on a simulated LAN -----------------------------------------------------------

/// Instances joined by a virtual wire: every advert reaches every other connected node at once.
struct Lan {
    now: Instant,
    nodes: Vec<(Instance, Ipv4Addr, bool)>,
}

impl Lan {
    fn new(t0: Instant, nodes: Vec<(model::Instance, Ipv4Addr)>) -> Self {
        let mut lan = Lan {
            now: t0,
            nodes: nodes
                .into_iter()
                .map(|(c, a)| (Instance::new(&c, &[]), a, true))
                .collect(),
        };
        for (i, a, _) in &mut lan.nodes {
            i.handle_startup(t0, Some((*a).into()), true);
        }
        lan.pump();
        lan
    }

    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut wires = Vec::new();
            for (k, (i, a, up)) in self.nodes.iter_mut().enumerate() {
                while let Some(act) = i.poll_action() {
                    if let (Action::SendAdvert(adv), true) = (act, *up) {
                        wires.push((k, emit_ipv4(&adv, *a, MCAST, 255, 1)));
                    }
                }
            }
            if wires.is_empty() {
                return;
            }
            for (from, dg) in wires {
                let pkt = parse_ipv4(&dg).unwrap();
                for (k, (i, _, up)) in self.nodes.iter_mut().enumerate() {
                    if k != from && *up {
                        i.handle_packet(self.now, &pkt);
                    }
                }
            }
        }
        panic!("advert storm");
    }

    /// Fires every deadline up to `until`, in order.
    fn run_until(&mut self, until: Instant) {
        for _ in 0..100_000 {
            let next = self.nodes.iter().filter_map(|n| n.0.poll_timeout()).min();
            match next {
                Some(at) if at <= until => {
                    self.now = at;
                    for n in &mut self.nodes {
                        n.0.handle_timeout(at);
                    }
                    self.pump();
                }
                _ => {
                    self.now = until;
                    return;
                }
            }
        }
        panic!("timer storm");
    }

    fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&k| self.nodes[k].0.state() == State::Master)
            .collect()
    }

    /// Steps 10 ms at a time until exactly one master; the time that took.
    fn time_to_one_master(&mut self, limit: Duration) -> Duration {
        let start = self.now;
        while self.masters().len() != 1 {
            assert!(self.now - start <= limit, "masters {:?}", self.masters());
            let t = self.now + ms(10);
            self.run_until(t);
        }
        self.now - start
    }
}

/// A partition healed while the isolated best node and the best of the rest are both MASTER:
/// one master again within one advert interval, whatever the advert-policy knobs.
fn partition_heals_within_one_interval(tweak: impl Fn(&mut model::Instance)) {
    let t0 = Instant::now();
    let cfgs: Vec<_> = [(100, A), (90, B), (80, C)]
        .into_iter()
        .map(|(p, a)| {
            let mut c = cfg(p);
            tweak(&mut c);
            (c, a)
        })
        .collect();
    let mut lan = Lan::new(t0, cfgs);
    lan.run_until(t0 + ms(10_000));
    assert_eq!(lan.masters(), [0]);
    // Isolate the master: the 90 takes over on the other side.
    lan.nodes[0].2 = false;
    lan.run_until(t0 + ms(20_000));
    assert_eq!(lan.masters(), [0, 1]);
    // Heal at an arbitrary point between adverts.
    let heal = t0 + ms(20_337);
    lan.run_until(heal);
    lan.nodes[0].2 = true;
    let took = lan.time_to_one_master(ms(5_000));
    assert!(took <= ms(1_000), "one master {took:?} after healing");
    assert_eq!(lan.masters(), [0]);
    // And it stays that way.
    lan.run_until(heal + ms(10_000));
    assert_eq!(lan.masters(), [0]);
    assert_eq!(lan.nodes[1].0.state(), State::Backup);
    assert_eq!(lan.nodes[2].0.state(), State::Backup);
}

#[test]
fn lan_partition_heals_within_one_interval_with_defaults() {
    partition_heals_within_one_interval(|_| {});
}

#[test]
fn lan_partition_heals_within_one_interval_with_lower_prio_no_advert() {
    partition_heals_within_one_interval(|c| c.lower_prio_no_advert = true);
}

#[test]
fn lan_partition_heals_within_one_interval_with_higher_prio_send_advert() {
    partition_heals_within_one_interval(|c| {
        c.higher_prio_send_advert = true;
        c.down_timer_adverts = 1;
    });
}

#[test]
fn lan_three_nodes_at_10ms_v3() {
    let t0 = Instant::now();
    let v3 = |p| {
        let mut c = cfg(p);
        c.version = Version::V3;
        c.advert_int = Centis(1);
        c
    };
    let mut lan = Lan::new(t0, vec![(v3(100), A), (v3(90), B), (v3(80), C)]);
    // 3 · 10 ms + (256 − 100) · 625 / 16 µs = 36.093 ms.
    lan.run_until(t0 + us_(36_092));
    assert_eq!(lan.masters(), Vec::<usize>::new());
    lan.run_until(t0 + us_(36_093));
    assert_eq!(lan.masters(), [0]);
    lan.run_until(t0 + ms(1_000));
    assert_eq!(lan.masters(), [0]);
    // The master vanishes: the 90 takes over after its own 3 · 10 ms + skew.
    lan.nodes[0].2 = false;
    // Its last advert heard at 996.093 ms; (256 − 90) · 625 / 16 = 6484 µs of skew.
    let last = t0 + us_(36_093) + ms(960);
    lan.run_until(last + us_(30_000 + 6_483));
    assert_eq!(lan.masters(), [0]);
    lan.run_until(last + us_(30_000 + 6_484));
    assert_eq!(lan.masters(), [0, 1]);
    // The 80 keeps hearing the new master and stays BACKUP.
    lan.run_until(last + ms(1_000));
    assert_eq!(lan.masters(), [0, 1]);
}
