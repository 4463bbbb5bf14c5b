//! Virtual-time tests: single instances with exact deadlines and action lists, and a simulated
//! LAN where instances exchange adverts encoded and decoded through `wire`.

use super::*;
use crate::model::{NotifyScripts, TrackInterface, TrackScript, VrrpScript};
use crate::vrrp::wire::{emit_ipv4, parse_ipv4};
use std::net::{Ipv4Addr, Ipv6Addr};

const MCAST: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub(super) const A: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
pub(super) const B: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 2);
pub(super) const C: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 3);

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

pub(crate) fn cfg(prio: u8) -> model::Instance {
    model::Instance {
        name: "VI_1".into(),
        initial_state: InitialState::Backup,
        interface: Some("eth0".into()),
        vrid: 51,
        priority: prio,
        advert_int: Centis::from_secs(1),
        version: Version::V2,
        auth: Some(Auth::Pass(*b"secret12")),
        vips: vec![vip(100), vip(101)],
        track_scripts: Vec::new(),
        track_interfaces: Vec::new(),
        track_files: Vec::new(),
        track_processes: Vec::new(),
        dont_track_primary: false,
        nopreempt: false,
        preempt_delay: Duration::ZERO,
        notify: NotifyScripts::default(),
        smtp_alert: false,
        notify_priority_changes: false,
        src_ip: None,
        unicast_peers: Vec::new(),
        mcast_group: IpAddr::V4(MCAST),
        garp_master_delay: Centis::from_secs(5),
        garp_master_repeat: 5,
        garp_master_refresh: Centis::ZERO,
        garp_master_refresh_repeat: 1,
        garp_lower_prio_delay: Centis::from_secs(5),
        garp_lower_prio_repeat: 5,
        down_timer_adverts: 3,
        lower_prio_no_advert: false,
        higher_prio_send_advert: false,
        owner_ignore_adverts: false,
        skip_check_adv_addr: false,
        check_unicast_src: false,
        unicast_ttl: None,
        v3_checksum_as_v2: false,
        vips_excluded: Vec::new(),
        virtual_routes: Vec::new(),
        virtual_rules: Vec::new(),
        implicit_interfaces: Vec::new(),
        promote_secondaries: false,
        track_src_ip: false,
        vmac: Default::default(),
        strict: false,
        accept: true,
        unicast_opts: Default::default(),
    }
}

fn v3(mut c: model::Instance, int: Centis) -> model::Instance {
    c.version = Version::V3;
    c.auth = None;
    c.advert_int = int;
    c
}

fn script(name: &str, weight: i32) -> VrrpScript {
    VrrpScript {
        name: name.into(),
        command: model::ScriptCommand {
            argv: vec!["/bin/true".into()],
            user: None,
        },
        interval: Duration::from_secs(1),
        timeout: None,
        weight,
        reverse: false,
        rise: 1,
        fall: 1,
        init_fail: false,
    }
}

fn track(name: &str) -> TrackScript {
    TrackScript {
        name: name.into(),
        weight: None,
        reverse: None,
    }
}

pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(super) fn drain(i: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| i.poll_action()).collect()
}

pub(super) fn prio_of(a: &Action) -> Option<u8> {
    match a {
        Action::SendAdvert(adv) => Some(adv.priority),
        _ => None,
    }
}

pub(super) fn transition(from: State, to: State, reason: Reason) -> Action {
    Action::Transition { from, to, reason }
}

/// An advert from `src` with our VIPs, as a peer keepalived would send it, round-tripped
/// through the wire codec.
pub(crate) fn rx(c: &model::Instance, src: Ipv4Addr, prio: u8) -> wire::Received {
    let peer = Instance::new(c, &[]);
    let adv = peer.advert(prio);
    parse_ipv4(&emit_ipv4(&adv, src, MCAST, 255, 1)).unwrap()
}

pub(super) fn started(c: &model::Instance, t0: Instant, addr: Ipv4Addr) -> Instance {
    let mut i = Instance::new(c, &[]);
    i.handle_startup(t0, Some(addr.into()), true);
    i
}

/// Drives an instance that is BACKUP into MASTER by letting its timer expire.
pub(super) fn to_master(i: &mut Instance) -> Instant {
    let at = i.poll_timeout().unwrap();
    i.handle_timeout(at);
    assert_eq!(i.state(), State::Master);
    drain(i);
    at
}

// ---- single instance -------------------------------------------------------------------------

#[test]
fn state_display() {
    assert_eq!(State::Init.to_string(), "INIT");
    assert_eq!(State::Backup.to_string(), "BACKUP");
    assert_eq!(State::Master.to_string(), "MASTER");
    assert_eq!(State::Fault.to_string(), "FAULT");
}

#[test]
fn startup_backup_then_master_at_mdi_with_exact_actions() {
    let t0 = Instant::now();
    let mut i = Instance::new(&cfg(100), &[]);
    assert_eq!(i.state(), State::Init);
    assert_eq!(i.poll_timeout(), None);
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(
        drain(&mut i),
        vec![transition(State::Init, State::Backup, Reason::Startup)]
    );
    let mdi = Duration::from_secs(3) + Duration::from_micros(609_375);
    assert_eq!(i.master_down_interval(), mdi);
    assert_eq!(i.poll_timeout(), Some(t0 + mdi));

    // One microsecond early: nothing.
    i.handle_timeout(t0 + mdi - Duration::from_micros(1));
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.state(), State::Backup);

    i.handle_timeout(t0 + mdi);
    let acts = drain(&mut i);
    let Action::SendAdvert(adv) = &acts[0] else {
        panic!("advert first: {acts:?}")
    };
    assert_eq!(adv.priority, 100);
    assert_eq!(adv.vrid, 51);
    assert_eq!(adv.auth, AdvertAuth::Pass(*b"secret12"));
    assert_eq!(adv.advert_int, Centis(100));
    assert_eq!(adv.addrs, vec![vip(100).addr, vip(101).addr]);
    assert_eq!(
        acts[1..],
        [
            transition(State::Backup, State::Master, Reason::MasterNoResponse),
            Action::AddVips,
            Action::SendGarp { repeat: 5 },
        ]
    );
    let t1 = t0 + mdi;
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1000)));
    assert_eq!(i.stats().become_master, 1);
    assert_eq!(i.stats().advert_sent, 1);

    // Adverts every second; the delayed GARP burst 5 s after becoming master.
    for k in 1..=4 {
        i.handle_timeout(t1 + ms(1000 * k));
        assert_eq!(
            drain(&mut i).iter().filter_map(prio_of).collect::<Vec<_>>(),
            [100]
        );
    }
    assert_eq!(i.poll_timeout(), Some(t1 + ms(5000)));
    i.handle_timeout(t1 + ms(5000));
    let acts = drain(&mut i);
    assert_eq!(acts.len(), 2);
    assert!(acts.contains(&Action::SendGarp { repeat: 5 }));
    assert_eq!(acts.iter().filter_map(prio_of).count(), 1);
    i.handle_timeout(t1 + ms(6000));
    assert!(
        !drain(&mut i)
            .iter()
            .any(|a| matches!(a, Action::SendGarp { .. }))
    );
}

#[test]
fn state_master_non_owner_still_starts_backup() {
    let t0 = Instant::now();
    let mut c = cfg(150);
    c.initial_state = InitialState::Master;
    let mut i = started(&c, t0, A);
    assert_eq!(i.state(), State::Backup);
    assert_eq!(
        drain(&mut i),
        vec![transition(State::Init, State::Backup, Reason::Startup)]
    );
    // 3 s + (256-150)/256 s = 3.4140625 s
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_414_062))
    );
}

#[test]
fn owner_goes_master_at_once() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.initial_state = InitialState::Master;
    let mut i = started(&c, t0, A);
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [255]);
    assert_eq!(
        acts[1..],
        [
            transition(State::Init, State::Master, Reason::AddressOwner),
            Action::AddVips,
            Action::SendGarp { repeat: 5 },
        ]
    );
    assert_eq!(i.effective_priority(), 255);
    assert_eq!(i.poll_timeout(), Some(t0 + ms(1000)));
}

#[test]
fn owner_ignores_weights() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.track_scripts = vec![track("w")];
    let mut i = Instance::new(&c, &[script("w", -50)]);
    i.handle_startup(t0, Some(A.into()), true);
    drain(&mut i);
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "w".into(),
            ok: false,
        },
    );
    assert_eq!(i.effective_priority(), 255);
    assert!(drain(&mut i).is_empty());
}

#[test]
fn priority_zero_gives_skew_takeover() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    drain(&mut i);
    i.handle_packet(t0 + ms(500), &rx(&c, A, 200));
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(500) + Duration::from_micros(3_609_375))
    );
    i.handle_packet(t0 + ms(1500), &rx(&c, A, 0));
    assert_eq!(i.stats().pri_zero_rcvd, 1);
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(1500) + Duration::from_micros(609_375))
    );
    i.handle_timeout(t0 + ms(1500) + Duration::from_micros(609_375));
    let acts = drain(&mut i);
    assert!(acts.contains(&transition(
        State::Backup,
        State::Master,
        Reason::PriorityZero
    )));
}

#[test]
fn lower_priority_advert_does_not_reset_backup_timer() {
    let t0 = Instant::now();
    let c = cfg(150);
    let mut i = started(&c, t0, B);
    drain(&mut i);
    let deadline = i.poll_timeout().unwrap();
    i.handle_packet(t0 + ms(1000), &rx(&c, A, 100));
    i.handle_packet(t0 + ms(2000), &rx(&c, A, 100));
    assert_eq!(i.poll_timeout(), Some(deadline));
    i.handle_timeout(deadline);
    assert!(drain(&mut i).contains(&transition(State::Backup, State::Master, Reason::Preempted)));
}

#[test]
fn master_yields_to_higher_and_forces_election_on_lower() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);

    // Lower priority: an immediate advert, the schedule restarts from it, and the
    // `garp_lower_prio_repeat` burst (keepalived's default: the master repeat, 5).
    i.handle_packet(t1 + ms(300), &rx(&c, A, 50));
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [100]);
    assert_eq!(acts[1], Action::SendGarp { repeat: 5 });
    assert!(
        matches!(acts[2], Action::MasterRxLowerPri { priority: 100, .. }),
        "the advert, the lower-priority GARP burst, then MasterRxLowerPri: {acts:?}"
    );
    assert_eq!(acts.len(), 3);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1300)));

    // Priority zero from a stopping peer: also an immediate advert.
    i.handle_packet(t1 + ms(400), &rx(&c, A, 0));
    assert_eq!(
        drain(&mut i).iter().filter_map(prio_of).collect::<Vec<_>>(),
        [100]
    );

    // Higher: VIPs removed, BACKUP with the master-down timer.
    i.handle_packet(t1 + ms(600), &rx(&c, A, 200));
    assert_eq!(
        drain(&mut i),
        vec![
            Action::RemoveVips,
            transition(
                State::Master,
                State::Backup,
                Reason::HigherPriority {
                    from: A.into(),
                    priority: 200
                }
            ),
        ]
    );
    assert_eq!(
        i.poll_timeout(),
        Some(t1 + ms(600) + Duration::from_micros(3_609_375))
    );
    assert_eq!(i.stats().release_master, 1);
}

#[test]
fn master_equal_priority_compares_addresses() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let t1 = to_master(&mut i);
    // Equal priority from a lower address: we stay and force an election.
    i.handle_packet(t1, &rx(&c, A, 100));
    assert_eq!(i.state(), State::Master);
    assert_eq!(drain(&mut i).iter().filter_map(prio_of).count(), 1);
    // Equal priority from a higher address: we yield.
    i.handle_packet(t1, &rx(&c, C, 100));
    assert_eq!(i.state(), State::Backup);
    assert!(drain(&mut i).contains(&transition(
        State::Master,
        State::Backup,
        Reason::EqualPriorityHigherAddress {
            from: C.into(),
            priority: 100
        }
    )));
}

#[test]
fn two_owners_step_one_down_to_254() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.initial_state = InitialState::Master;
    let mut i = started(&c, t0, A);
    drain(&mut i);
    i.handle_packet(t0 + ms(10), &rx(&c, B, 255));
    assert_eq!(i.effective_priority(), 254);
    assert_eq!(i.state(), State::Backup);
    let acts = drain(&mut i);
    assert_eq!(acts[0], Action::PriorityChanged { from: 255, to: 254 });
}

#[test]
fn shutdown_master_sends_priority_zero_then_stops() {
    let t0 = Instant::now();
    let mut i = started(&cfg(100), t0, A);
    let t1 = to_master(&mut i);
    i.handle_shutdown(t1 + ms(10));
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [0]);
    assert_eq!(
        acts[1..],
        [
            Action::RemoveVips,
            transition(State::Master, State::Init, Reason::Shutdown)
        ]
    );
    assert_eq!(i.stats().pri_zero_sent, 1);
    assert_eq!(i.poll_timeout(), None);
    assert_eq!(i.state(), State::Init);
    // A stopped instance ignores everything.
    i.handle_packet(t1 + ms(20), &rx(&cfg(100), B, 200));
    i.handle_timeout(t1 + ms(5000));
    assert!(drain(&mut i).is_empty());
}

#[test]
fn shutdown_backup_only_reports_stop() {
    let t0 = Instant::now();
    let mut i = started(&cfg(100), t0, A);
    drain(&mut i);
    i.handle_shutdown(t0 + ms(10));
    assert_eq!(
        drain(&mut i),
        vec![transition(State::Backup, State::Init, Reason::Shutdown)]
    );
    // Never started: nothing to report.
    let mut j = Instance::new(&cfg(100), &[]);
    j.handle_shutdown(t0);
    assert!(drain(&mut j).is_empty());
}

#[test]
fn link_down_fault_and_recovery() {
    let t0 = Instant::now();
    let mut i = started(&cfg(100), t0, A);
    let t1 = to_master(&mut i);
    let down = TrackEvent::Interface {
        name: "eth0".into(),
        up: false,
    };
    i.handle_track(t1 + ms(100), &down);
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(
        acts[2..],
        [
            Action::RemoveVips,
            transition(
                State::Master,
                State::Fault,
                Reason::Fault(FaultCause::InterfaceDown("eth0".into()))
            )
        ]
    );
    assert_eq!(i.poll_timeout(), None);
    // Packets are ignored in FAULT, not even counted.
    i.handle_packet(t1 + ms(200), &rx(&cfg(100), B, 100));
    assert_eq!(i.stats().advert_rcvd, 0);

    let up = TrackEvent::Interface {
        name: "eth0".into(),
        up: true,
    };
    i.handle_track(t1 + ms(1000), &up);
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
    assert_eq!(
        i.poll_timeout(),
        Some(t1 + ms(1000) + Duration::from_micros(3_609_375))
    );
}

#[test]
fn dont_track_primary_ignores_link() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.dont_track_primary = true;
    let mut i = Instance::new(&c, &[]);
    i.handle_startup(t0, Some(A.into()), false);
    assert_eq!(i.state(), State::Backup);
    i.handle_track(
        t0,
        &TrackEvent::Interface {
            name: "eth0".into(),
            up: false,
        },
    );
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn startup_faults_are_announced() {
    let t0 = Instant::now();
    let mut i = Instance::new(&cfg(100), &[]);
    i.handle_startup(t0, Some(A.into()), false);
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::InterfaceDown("eth0".into()))
        )]
    );
    let mut j = Instance::new(&cfg(100), &[]);
    j.handle_startup(t0, None, true);
    assert_eq!(
        drain(&mut j),
        vec![transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::NoSourceAddress)
        )]
    );
    j.handle_source_address(t0 + ms(100), Some(A.into()));
    assert_eq!(
        drain(&mut j),
        vec![transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
}

/// `unicast_fault_no_peer` without peers: FAULT from the start and for good (keepalived's
/// configuration fault), where without it the instance runs multicast.
#[test]
fn unicast_fault_no_peer_without_peers_stays_in_fault() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.unicast_opts.fault_no_peer = true;
    let mut i = Instance::new(&c, &[]);
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::NoUnicastPeers)
        )]
    );
    i.handle_track(
        t0 + ms(10),
        &TrackEvent::Interface {
            name: "eth0".into(),
            up: true,
        },
    );
    assert_eq!(i.poll_timeout(), None);
    assert_eq!(i.state(), State::Fault);
    // With a peer the option changes nothing.
    c.unicast_peers = vec![IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9))];
    let mut j = Instance::new(&c, &[]);
    j.handle_startup(t0, Some(A.into()), true);
    assert_eq!(j.state(), State::Backup);
}

#[test]
fn weight_zero_script_waits_silently_then_faults() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_scripts = vec![track("chk")];
    let scripts = [script("chk", 0)];

    // First result OK: the silent FAULT becomes BACKUP.
    let mut i = Instance::new(&c, &scripts);
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(i.state(), State::Fault);
    assert!(drain(&mut i).is_empty(), "no notify while waiting");
    assert_eq!(i.poll_timeout(), None);
    i.handle_track(
        t0 + ms(30),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: true,
        },
    );
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(30) + Duration::from_micros(3_609_375))
    );
    i.handle_track(
        t0 + ms(2030),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: false,
        },
    );
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Backup,
            State::Fault,
            Reason::Fault(FaultCause::Script("chk".into()))
        )]
    );

    // First result KO: the FAULT is announced then.
    let mut j = Instance::new(&c, &scripts);
    j.handle_startup(t0, Some(A.into()), true);
    j.handle_track(
        t0 + ms(30),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: false,
        },
    );
    assert_eq!(
        drain(&mut j),
        vec![transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::Script("chk".into()))
        )]
    );
    j.handle_track(
        t0 + ms(1030),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: true,
        },
    );
    assert_eq!(
        drain(&mut j),
        vec![transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
}

#[test]
fn weight_zero_reverse_faults_when_ok() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_scripts = vec![TrackScript {
        name: "chk".into(),
        weight: None,
        reverse: Some(true),
    }];
    let mut i = Instance::new(&c, &[script("chk", 0)]);
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "chk".into(),
            ok: false,
        },
    );
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(i.state(), State::Backup);
    i.handle_track(
        t0 + ms(1),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: true,
        },
    );
    assert_eq!(i.state(), State::Fault);
}

#[test]
fn owner_waiting_for_scripts_goes_master_when_they_report() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.initial_state = InitialState::Master;
    c.track_scripts = vec![track("chk")];
    let mut i = Instance::new(&c, &[script("chk", 0)]);
    i.handle_startup(t0, Some(A.into()), true);
    assert!(drain(&mut i).is_empty());
    i.handle_track(
        t0 + ms(5),
        &TrackEvent::Script {
            name: "chk".into(),
            ok: true,
        },
    );
    assert!(drain(&mut i).contains(&transition(
        State::Fault,
        State::Master,
        Reason::AddressOwner
    )));
}

#[test]
fn weight_table_and_clamping() {
    assert_eq!(contribution(10, false, None), 0);
    assert_eq!(contribution(10, false, Some(true)), 10);
    assert_eq!(contribution(10, false, Some(false)), 0);
    assert_eq!(contribution(-10, false, Some(true)), 0);
    assert_eq!(contribution(-10, false, Some(false)), -10);
    assert_eq!(contribution(10, true, Some(true)), -10);
    assert_eq!(contribution(10, true, Some(false)), 0);
    assert_eq!(contribution(-10, true, Some(false)), 10);
    assert_eq!(contribution(-10, true, Some(true)), 0);

    let t0 = Instant::now();
    let mut c = cfg(200);
    c.track_scripts = vec![
        track("up"),
        TrackScript {
            name: "down".into(),
            weight: Some(-250),
            reverse: None,
        },
    ];
    c.track_interfaces = vec![TrackInterface {
        name: "eth1".into(),
        weight: 30,
        reverse: false,
    }];
    let mut i = Instance::new(&c, &[script("up", 100), script("down", 5)]);
    i.handle_startup(t0, Some(A.into()), true);
    drain(&mut i);
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "up".into(),
            ok: true,
        },
    );
    assert_eq!(i.effective_priority(), 254, "clamped below the owner's 255");
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "down".into(),
            ok: false,
        },
    );
    assert_eq!(i.effective_priority(), 50);
    i.handle_track(
        t0,
        &TrackEvent::Interface {
            name: "eth1".into(),
            up: true,
        },
    );
    assert_eq!(i.effective_priority(), 80);
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "up".into(),
            ok: false,
        },
    );
    assert_eq!(i.effective_priority(), 1, "clamped at 1");
    assert_eq!(
        drain(&mut i),
        vec![
            Action::PriorityChanged { from: 200, to: 254 },
            Action::PriorityChanged { from: 254, to: 50 },
            Action::PriorityChanged { from: 50, to: 80 },
            Action::PriorityChanged { from: 80, to: 1 },
        ]
    );
    // Events for trackers this instance does not have change nothing.
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "other".into(),
            ok: true,
        },
    );
    assert!(drain(&mut i).is_empty());
}

#[test]
fn priority_change_in_backup_shifts_timer_by_skew_change() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_scripts = vec![track("w")];
    let mut i = Instance::new(&c, &[script("w", -10)]);
    i.handle_startup(t0, Some(A.into()), true);
    drain(&mut i);
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_609_375))
    );
    i.handle_track(
        t0 + ms(1000),
        &TrackEvent::Script {
            name: "w".into(),
            ok: false,
        },
    );
    // Priority 90: skew 648437 µs, 39062 µs more than at 100.
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_648_437))
    );
    assert_eq!(
        drain(&mut i),
        vec![Action::PriorityChanged { from: 100, to: 90 }]
    );
}

#[test]
fn receive_checks_and_counters() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    drain(&mut i);
    let deadline = i.poll_timeout().unwrap();
    let now = t0 + ms(100);

    // Wrong password.
    let mut bad = c.clone();
    bad.auth = Some(Auth::Pass(*b"wrongpw\0"));
    i.handle_packet(now, &rx(&bad, A, 200));
    assert_eq!(i.stats().auth_failure, 1);
    // No auth at all.
    bad.auth = None;
    i.handle_packet(now, &rx(&bad, A, 200));
    assert_eq!(i.stats().authtype_mismatch, 1);
    // Invalid auth type.
    let mut p = rx(&c, A, 200);
    p.advert.auth = AdvertAuth::Other(9);
    i.handle_packet(now, &p);
    assert_eq!(i.stats().invalid_authtype, 1);
    // TTL must be 255 in multicast mode.
    let mut p = rx(&c, A, 200);
    p.ttl = 64;
    i.handle_packet(now, &p);
    assert_eq!(i.stats().ip_ttl_err, 1);
    // Version.
    let mut p = rx(&c, A, 200);
    p.advert.version = Version::V3;
    i.handle_packet(now, &p);
    assert_eq!(i.stats().vers_err, 1);
    // v2 interval mismatch: dropped, counted nowhere (as keepalived).
    let mut other = c.clone();
    other.advert_int = Centis::from_secs(2);
    i.handle_packet(now, &rx(&other, A, 200));
    assert_eq!(i.stats().advert_interval_err, 0);
    // VIP count, then VIP list (2.2.7: both discarded).
    let mut other = c.clone();
    other.vips.pop();
    i.handle_packet(now, &rx(&other, A, 200));
    assert_eq!(i.stats().addr_list_err, 1);
    assert_eq!(i.stats().advert_rcvd, 0);
    other.vips.push(vip(102));
    i.handle_packet(now, &rx(&other, A, 200));
    assert_eq!(i.stats().addr_list_err, 2);
    assert_eq!(i.stats().advert_rcvd, 1, "counted before the list check");
    // Another VRID is not ours: ignored and not counted.
    let mut other = c.clone();
    other.vrid = 52;
    i.handle_packet(now, &rx(&other, A, 200));
    // Unicast packet on a multicast instance.
    let mut p = rx(&c, A, 200);
    p.dst = C.into();
    i.handle_packet(now, &p);
    assert_eq!(i.stats().addr_list_err, 3);
    // Decode errors routed by the daemon.
    i.handle_decode_error(now, A.into(), &DecodeError::Checksum);
    i.handle_decode_error(now, A.into(), &DecodeError::Type(2));
    i.handle_decode_error(
        now,
        A.into(),
        &DecodeError::Length {
            expected: 44,
            actual: 40,
        },
    );
    i.handle_decode_error(now, A.into(), &DecodeError::Truncated);
    assert_eq!(i.stats().chk_err, 1);
    assert_eq!(i.stats().invalid_type_rcvd, 1);
    assert_eq!(i.stats().packet_len_err, 1);

    // None of these reset the master-down timer or produced anything.
    assert_eq!(i.poll_timeout(), Some(deadline));
    assert_eq!(i.state(), State::Backup);
    assert!(drain(&mut i).is_empty());
    assert_eq!(i.stats().advert_rcvd, 1);

    // A good one does.
    i.handle_packet(now, &rx(&c, A, 200));
    assert_eq!(i.stats().advert_rcvd, 2);
    assert_eq!(
        i.poll_timeout(),
        Some(now + Duration::from_micros(3_609_375))
    );
}

#[test]
fn validation_logs_are_rate_limited_until_a_good_packet() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, B);
    let mut p = rx(&c, A, 200);
    p.ttl = 1;
    i.handle_packet(t0, &p);
    assert_eq!(i.logged, Check::Ttl as u32);
    i.handle_packet(t0, &p);
    assert_eq!(i.stats().ip_ttl_err, 2, "every bad packet is counted");
    i.handle_packet(t0, &rx(&c, A, 200));
    assert_eq!(i.logged, 0, "a good packet re-arms the log line");
}

#[test]
fn huge_preempt_delay_does_not_overflow() {
    let t0 = Instant::now();
    let mut c = cfg(150);
    c.preempt_delay = Duration::MAX;
    let mut i = started(&c, t0, B);
    i.handle_packet(t0 + ms(10), &rx(&c, A, 100));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn unicast_mode_skips_ttl_and_rejects_multicast() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.unicast_peers = vec![IpAddr::V4(A)];
    let mut i = started(&c, t0, B);
    drain(&mut i);
    let mut p = rx(&c, A, 200);
    p.dst = B.into();
    p.ttl = 60;
    i.handle_packet(t0 + ms(10), &p);
    assert_eq!(i.stats().advert_rcvd, 1);
    assert_eq!(i.stats().ip_ttl_err, 0);
    let p = rx(&c, A, 200);
    i.handle_packet(t0 + ms(20), &p);
    assert_eq!(i.stats().addr_list_err, 1);
}

#[test]
fn v3_backup_learns_master_interval() {
    let t0 = Instant::now();
    let c = v3(cfg(100), Centis::from_secs(1));
    let mut i = started(&c, t0, B);
    drain(&mut i);
    let fast = v3(cfg(200), Centis(5));
    i.handle_packet(t0 + ms(10), &rx(&fast, A, 200));
    assert_eq!(i.master_adver_int(), Centis(5));
    // 3 × 50 ms + (256-100)·5·625/16 µs = 150 ms + 30468 µs.
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(10) + Duration::from_micros(180_468))
    );
    // Taking over resets to our own interval.
    to_master(&mut i);
    assert_eq!(i.master_adver_int(), Centis::from_secs(1));
}

#[test]
fn garp_refresh_at_adverts() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.garp_master_delay = Centis::ZERO;
    c.garp_master_refresh = Centis::from_secs(3);
    c.garp_master_refresh_repeat = 2;
    let mut i = started(&c, t0, A);
    let t1 = to_master(&mut i);
    let mut bursts = Vec::new();
    for k in 1..=7 {
        let now = t1 + ms(1000 * k);
        i.handle_timeout(now);
        if drain(&mut i).contains(&Action::SendGarp { repeat: 2 }) {
            bursts.push(k);
        }
    }
    // The refresh is checked at each advert and is due strictly after 3 s: the 4th advert
    // (the 3rd is exactly at 3 s); the next is due strictly after 7 s, so not at the 7th.
    assert_eq!(bursts, [4]);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(8000)));
}

#[test]
fn reload_master_with_new_priority_keeps_master() {
    let t0 = Instant::now();
    let c = cfg(100);
    let mut i = started(&c, t0, A);
    let t1 = to_master(&mut i);
    let mut n = c.clone();
    n.priority = 120;
    i.handle_reload(t1 + ms(300), n.clone().into(), &[]);
    let acts = drain(&mut i);
    assert_eq!(acts[0], Action::PriorityChanged { from: 100, to: 120 });
    assert_eq!(
        acts[1..].iter().filter_map(prio_of).collect::<Vec<_>>(),
        [120]
    );
    assert_eq!(acts.len(), 2);
    assert!(!acts.contains(&Action::RemoveVips));
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.poll_timeout(), Some(t1 + ms(1300)));

    // Changing the VIPs of a MASTER: a diff, then a GARP burst for the new set.
    let mut n2 = n.clone();
    n2.vips = vec![vip(100), vip(102)];
    i.handle_reload(t1 + ms(400), n2.clone().into(), &[]);
    let acts = drain(&mut i);
    assert_eq!(
        acts[..2],
        [
            Action::UpdateVips {
                removed: vec![vip(101)],
                added: vec![vip(102)]
            },
            Action::SendGarp { repeat: 5 },
        ]
    );
    assert_eq!(i.config().vips, n2.vips);
    assert_eq!(i.state(), State::Master);
}

#[test]
fn reload_keeps_script_results_and_new_scripts_do_not_fault() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_scripts = vec![track("w")];
    let scripts = [script("w", 20), script("chk", 0)];
    let mut i = Instance::new(&c, &scripts);
    i.handle_startup(t0, Some(A.into()), true);
    i.handle_track(
        t0,
        &TrackEvent::Script {
            name: "w".into(),
            ok: true,
        },
    );
    assert_eq!(i.effective_priority(), 120);
    drain(&mut i);
    let mut n = c.clone();
    n.track_scripts.push(track("chk"));
    i.handle_reload(t0 + ms(100), n.clone().into(), &scripts);
    assert_eq!(i.effective_priority(), 120);
    assert_eq!(i.state(), State::Backup);
    assert!(drain(&mut i).is_empty());
}

// ---- simulated LAN ---------------------------------------------------------------------------

struct Node {
    inst: Instance,
    addr: Ipv4Addr,
    connected: bool,
    log: Vec<(Instant, Action)>,
}

/// Instances on one broadcast segment. Adverts are encoded with `emit_ipv4`, decoded with
/// `parse_ipv4` and delivered at once to every other connected node.
struct Lan {
    now: Instant,
    nodes: Vec<Node>,
    ip_id: u16,
}

impl Lan {
    fn new(t0: Instant, nodes: Vec<(model::Instance, Vec<VrrpScript>, Ipv4Addr)>) -> Self {
        Self {
            now: t0,
            nodes: nodes
                .into_iter()
                .map(|(c, s, addr)| Node {
                    inst: Instance::new(&c, &s),
                    addr,
                    connected: true,
                    log: Vec::new(),
                })
                .collect(),
            ip_id: 0,
        }
    }

    fn start(&mut self, n: usize) {
        let addr = self.nodes[n].addr;
        self.nodes[n]
            .inst
            .handle_startup(self.now, Some(addr.into()), true);
        self.pump();
    }

    /// Drains every node's actions, delivering adverts, until quiet.
    fn pump(&mut self) {
        for _ in 0..1000 {
            let mut wires = Vec::new();
            for (k, node) in self.nodes.iter_mut().enumerate() {
                while let Some(a) = node.inst.poll_action() {
                    if let Action::SendAdvert(adv) = &a {
                        if node.connected {
                            self.ip_id = self.ip_id.wrapping_add(1).max(1);
                            wires.push((k, emit_ipv4(adv, node.addr, MCAST, 255, self.ip_id)));
                        }
                    }
                    node.log.push((self.now, a));
                }
            }
            if wires.is_empty() {
                return;
            }
            for (from, bytes) in wires {
                let pkt = parse_ipv4(&bytes).expect("our own adverts decode");
                for (k, node) in self.nodes.iter_mut().enumerate() {
                    if k != from && node.connected {
                        node.inst.handle_packet(self.now, &pkt);
                    }
                }
            }
        }
        panic!("advert storm: the LAN never went quiet");
    }

    /// Advances virtual time to `end`, firing timers in deadline order.
    fn run_until(&mut self, end: Instant) {
        for _ in 0..100_000 {
            let next = self
                .nodes
                .iter()
                .filter_map(|n| n.inst.poll_timeout())
                .min();
            match next {
                Some(at) if at <= end => {
                    self.now = at;
                    for node in &mut self.nodes {
                        if node.inst.poll_timeout().is_some_and(|t| t <= at) {
                            node.inst.handle_timeout(at);
                        }
                    }
                    self.pump();
                }
                _ => {
                    self.now = end;
                    return;
                }
            }
        }
        panic!("timer loop did not terminate");
    }

    fn at(&mut self, t: Instant, f: impl FnOnce(&mut Self)) {
        self.run_until(t);
        f(self);
        self.pump();
    }

    fn state(&self, n: usize) -> State {
        self.nodes[n].inst.state()
    }

    fn states(&self) -> Vec<State> {
        self.nodes.iter().map(|n| n.inst.state()).collect()
    }

    /// When node `n` last became MASTER.
    fn became_master(&self, n: usize) -> Vec<Instant> {
        self.nodes[n]
            .log
            .iter()
            .filter(|(_, a)| {
                matches!(
                    a,
                    Action::Transition {
                        to: State::Master,
                        ..
                    }
                )
            })
            .map(|(t, _)| *t)
            .collect()
    }
}

fn us_(n: u64) -> Duration {
    Duration::from_micros(n)
}

#[test]
fn lan_election_higher_priority_wins_and_backup_stays() {
    let t0 = Instant::now();
    let mut lan = Lan::new(
        t0,
        vec![
            (cfg(150), vec![], A),
            (cfg(100), vec![], B),
            (cfg(50), vec![], C),
        ],
    );
    for n in 0..3 {
        lan.start(n);
    }
    lan.run_until(t0 + ms(30_000));
    assert_eq!(lan.states(), [State::Master, State::Backup, State::Backup]);
    // 3 s + (256-150)/256 s.
    assert_eq!(lan.became_master(0), [t0 + us_(3_414_062)]);
    assert!(lan.became_master(1).is_empty());
    assert!(lan.became_master(2).is_empty());
    // Backups accepted every advert.
    assert!(lan.nodes[1].inst.stats().advert_rcvd >= 26);
}

#[test]
fn lan_backup_takes_over_at_mdi_when_master_vanishes() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(150), vec![], A), (cfg(100), vec![], B)]);
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    let m = t0 + us_(3_414_062);
    // Last advert from A at m + 6 s, then A's cable is pulled.
    lan.at(t0 + ms(9_500), |l| l.nodes[0].connected = false);
    lan.run_until(t0 + ms(20_000));
    assert_eq!(lan.became_master(1), [m + ms(6_000) + us_(3_609_375)]);
}

#[test]
fn lan_priority_zero_on_shutdown_gives_skew_takeover() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(150), vec![], A), (cfg(100), vec![], B)]);
    lan.start(0);
    lan.start(1);
    let stop = t0 + ms(7_000);
    lan.at(stop, |l| l.nodes[0].inst.handle_shutdown(l.now));
    lan.run_until(t0 + ms(12_000));
    assert_eq!(lan.state(0), State::Init);
    assert_eq!(lan.became_master(1), [stop + us_(609_375)]);
    let stop_actions: Vec<_> = lan.nodes[0]
        .log
        .iter()
        .filter(|(t, _)| *t == stop)
        .map(|(_, a)| a.clone())
        .collect();
    assert_eq!(
        stop_actions.iter().filter_map(prio_of).collect::<Vec<_>>(),
        [0]
    );
    assert_eq!(
        stop_actions[1..],
        [
            Action::RemoveVips,
            transition(State::Master, State::Init, Reason::Shutdown)
        ]
    );
}

#[test]
fn lan_preemption_by_higher_priority() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(150), vec![], A), (cfg(100), vec![], B)]);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    assert_eq!(lan.state(1), State::Master);
    let joined = t0 + ms(10_000);
    lan.start(0);
    lan.run_until(t0 + ms(20_000));
    // A discards B's lower adverts, so its timer runs out: it takes over at its MDI.
    assert_eq!(lan.became_master(0), [joined + us_(3_414_062)]);
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    assert!(
        lan.nodes[1]
            .log
            .iter()
            .any(|(t, a)| *t == joined + us_(3_414_062)
                && *a
                    == transition(
                        State::Master,
                        State::Backup,
                        Reason::HigherPriority {
                            from: A.into(),
                            priority: 150
                        }
                    ))
    );
}

#[test]
fn lan_nopreempt_keeps_lower_master() {
    let t0 = Instant::now();
    let mut hi = cfg(150);
    hi.nopreempt = true;
    let mut lan = Lan::new(t0, vec![(hi, vec![], A), (cfg(100), vec![], B)]);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    lan.start(0);
    lan.run_until(t0 + ms(60_000));
    assert_eq!(lan.states(), [State::Backup, State::Master]);
    assert!(lan.became_master(0).is_empty());
}

#[test]
fn lan_preempt_delay() {
    let t0 = Instant::now();
    let mut hi = cfg(150);
    hi.preempt_delay = Duration::from_secs(10);
    let mut lan = Lan::new(t0, vec![(hi, vec![], A), (cfg(100), vec![], B)]);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    let b_master = t0 + us_(3_609_375);
    lan.start(0);
    lan.run_until(t0 + ms(40_000));
    // B advertises at b_master + k s. A first sees one at b_master + 7 s (k = 7), so the delay
    // ends at b_master + 17 s; the last accepted advert is at b_master + 16 s, and A takes over
    // one master-down interval after it.
    assert_eq!(
        lan.became_master(0),
        [b_master + ms(16_000) + us_(3_414_062)]
    );
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}

#[test]
fn lan_owner_takes_over_at_once() {
    let t0 = Instant::now();
    let mut owner = cfg(255);
    owner.initial_state = InitialState::Master;
    let mut lan = Lan::new(t0, vec![(owner, vec![], A), (cfg(100), vec![], B)]);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    let joined = lan.now;
    lan.start(0);
    assert_eq!(lan.became_master(0), [joined]);
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    lan.run_until(t0 + ms(20_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}

#[test]
fn lan_split_brain_heals_to_higher_address_on_equal_priority() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(100), vec![], A), (cfg(100), vec![], B)]);
    lan.nodes[0].connected = false;
    lan.nodes[1].connected = false;
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(5_000));
    assert_eq!(lan.states(), [State::Master, State::Master]);
    lan.at(t0 + ms(5_500), |l| {
        l.nodes[0].connected = true;
        l.nodes[1].connected = true;
    });
    lan.run_until(t0 + ms(15_000));
    // B (198.51.100.2) has the higher address and stays.
    assert_eq!(lan.states(), [State::Backup, State::Master]);
    assert!(lan.nodes[0].log.iter().any(|(_, a)| *a
        == transition(
            State::Master,
            State::Backup,
            Reason::EqualPriorityHigherAddress {
                from: B.into(),
                priority: 100
            }
        )));
}

#[test]
fn lan_equal_priority_backup_never_takes_over_a_live_master() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(100), vec![], A), (cfg(100), vec![], C)]);
    lan.start(0);
    lan.run_until(t0 + ms(5_000));
    lan.start(1);
    lan.run_until(t0 + ms(30_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}

#[test]
fn lan_fault_on_link_down_and_recovery() {
    let t0 = Instant::now();
    let mut lan = Lan::new(t0, vec![(cfg(150), vec![], A), (cfg(100), vec![], B)]);
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(6_000));
    let down = t0 + ms(6_200);
    lan.at(down, |l| {
        let ev = TrackEvent::Interface {
            name: "eth0".into(),
            up: false,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    assert_eq!(lan.state(0), State::Fault);
    lan.run_until(t0 + ms(10_000));
    // B saw priority 0 and took over after its skew time.
    assert_eq!(lan.became_master(1), [down + us_(609_375)]);
    let up = t0 + ms(10_000);
    lan.at(up, |l| {
        let ev = TrackEvent::Interface {
            name: "eth0".into(),
            up: true,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    assert_eq!(lan.state(0), State::Backup);
    lan.run_until(t0 + ms(20_000));
    // A discards B's lower adverts and preempts one master-down interval after recovering.
    assert_eq!(lan.became_master(0)[1], up + us_(3_414_062));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}

#[test]
fn lan_weighted_script_changes_winner() {
    let t0 = Instant::now();
    let mut a = cfg(100);
    a.track_scripts = vec![track("nginx")];
    let mut lan = Lan::new(
        t0,
        vec![(a, vec![script("nginx", 60)], A), (cfg(130), vec![], B)],
    );
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(8_000));
    assert_eq!(lan.states(), [State::Backup, State::Master]);
    // nginx comes up on A: 160 beats 130.
    let ok = t0 + ms(8_000);
    lan.at(ok, |l| {
        let ev = TrackEvent::Script {
            name: "nginx".into(),
            ok: true,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    assert_eq!(lan.nodes[0].inst.effective_priority(), 160);
    lan.run_until(t0 + ms(20_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    // nginx fails on A: back to 100, B preempts.
    lan.at(t0 + ms(20_000), |l| {
        let ev = TrackEvent::Script {
            name: "nginx".into(),
            ok: false,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    lan.run_until(t0 + ms(30_000));
    assert_eq!(lan.states(), [State::Backup, State::Master]);
    assert!(
        lan.nodes[0]
            .log
            .iter()
            .any(|(_, a)| *a == Action::PriorityChanged { from: 160, to: 100 })
    );
}

#[test]
fn lan_weight_zero_script_fault_moves_master() {
    let t0 = Instant::now();
    let mut a = cfg(150);
    a.track_scripts = vec![track("chk")];
    let mut lan = Lan::new(
        t0,
        vec![(a, vec![script("chk", 0)], A), (cfg(100), vec![], B)],
    );
    lan.start(0);
    lan.start(1);
    lan.at(t0 + ms(100), |l| {
        let ev = TrackEvent::Script {
            name: "chk".into(),
            ok: true,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    lan.run_until(t0 + ms(8_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    let ko = t0 + ms(8_000);
    lan.at(ko, |l| {
        let ev = TrackEvent::Script {
            name: "chk".into(),
            ok: false,
        };
        l.nodes[0].inst.handle_track(l.now, &ev);
    });
    lan.run_until(t0 + ms(12_000));
    assert_eq!(lan.states(), [State::Fault, State::Master]);
    assert_eq!(lan.became_master(1), [ko + us_(609_375)]);
}

#[test]
fn lan_v3_fast_adverts() {
    let t0 = Instant::now();
    let fast = Centis(5);
    let mut lan = Lan::new(
        t0,
        vec![
            (v3(cfg(150), fast), vec![], A),
            (v3(cfg(100), fast), vec![], B),
        ],
    );
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(2_000));
    // 3 × 50 ms + (256-150)·5·625/16 µs = 150 ms + 20703 µs.
    let m = t0 + us_(170_703);
    assert_eq!(lan.became_master(0), [m]);
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    let sent = lan.nodes[0]
        .log
        .iter()
        .filter(|(_, a)| matches!(a, Action::SendAdvert(adv) if adv.advert_int == fast && adv.auth == AdvertAuth::None))
        .count();
    // One at m, then every 50 ms until 2 s.
    assert_eq!(sent, 1 + ((ms(2_000) - (m - t0)).as_millis() / 50) as usize);
    // Master stops: the backup takes over after its skew, (256-100)·5·625/16 µs.
    let stop = t0 + ms(2_000);
    lan.at(stop, |l| l.nodes[0].inst.handle_shutdown(l.now));
    lan.run_until(t0 + ms(3_000));
    assert_eq!(lan.became_master(1), [stop + us_(30_468)]);
}

#[test]
fn lan_mismatched_vips_give_two_masters_like_keepalived_227() {
    let t0 = Instant::now();
    let mut b = cfg(100);
    b.vips.push(vip(102));
    let mut lan = Lan::new(t0, vec![(cfg(150), vec![], A), (b, vec![], B)]);
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(10_000));
    // A (150) still preempts B's discarded adverts; B discards A's too: dual master.
    assert_eq!(lan.states(), [State::Master, State::Master]);
    assert!(lan.nodes[1].inst.stats().addr_list_err > 0);
}

#[test]
fn clear_stats_zeroes_counters_and_keeps_state_and_timers() {
    let t0 = Instant::now();
    let mut i = started(&cfg(100), t0, A);
    let at = to_master(&mut i);
    i.handle_packet(at, &rx(&cfg(100), B, 0));
    drain(&mut i);
    assert!(i.stats().advert_sent > 0 && i.stats().become_master == 1);
    let deadline = i.poll_timeout();
    let prio = i.effective_priority();
    i.clear_stats();
    assert_eq!(*i.stats(), Stats::default());
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.poll_timeout(), deadline);
    assert_eq!(i.effective_priority(), prio);
    assert_eq!(i.base_priority(), 100);
    // Counting restarts from 0 with the next advert.
    i.handle_timeout(deadline.unwrap());
    drain(&mut i);
    assert_eq!(i.stats().advert_sent, 1);
}

// ---- IPv6 (VRRPv3 over IPv6, RFC 5798 §5.1.2) --------------------------------------------------

const GROUP6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
const LL1: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
const LL2: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

fn vip6(addr: &str) -> VirtualAddr {
    VirtualAddr {
        addr: addr.parse().unwrap(),
        prefix_len: 128,
        brd: None,
        dev: None,
        scope: 0,
        label: None,
        no_track: false,
    }
}

/// An IPv6 instance as the config checker derives it: version 3, no auth, group ff02::12,
/// a link-local first VIP.
fn cfg6(prio: u8) -> model::Instance {
    let mut c = v3(cfg(prio), Centis::from_secs(1));
    c.vips = vec![vip6("fe80::10"), vip6("2001:db8::10")];
    c.mcast_group = IpAddr::V6(GROUP6);
    c
}

/// What a peer's kernel delivers: the bare message of `emit_ipv6` with the checksum the
/// kernel fills in, decoded with the ancillary source, destination and hop limit.
fn rx6(c: &model::Instance, src: Ipv6Addr, dst: Ipv6Addr, hop: u8, prio: u8) -> wire::Received {
    let adv = Instance::new(c, &[]).advert(prio);
    deliver6(&adv, src, dst, hop)
}

fn deliver6(adv: &Advert, src: Ipv6Addr, dst: Ipv6Addr, hop: u8) -> wire::Received {
    let mut msg = adv.emit_ipv6();
    let sum = wire::vrrp_checksum_ipv6(&msg, src, dst);
    msg[6..8].copy_from_slice(&sum.to_be_bytes());
    wire::parse_ipv6(&msg, src, dst, hop).unwrap()
}

fn started6(c: &model::Instance, t0: Instant, ll: Ipv6Addr) -> Instance {
    let mut i = Instance::new(c, &[]);
    i.handle_startup(t0, Some(ll.into()), true);
    i
}

#[test]
fn ipv6_instance_speaks_v3_with_its_ipv6_vips() {
    let t0 = Instant::now();
    let c = cfg6(100);
    let mut i = started6(&c, t0, LL1);
    drain(&mut i);
    assert!(i.is_ipv6());
    assert!(!Instance::new(&cfg(100), &[]).is_ipv6());
    // Master_Down_Interval for v3, priority 100, 1 s: 3 s + (256 - 100) * 100 cs * 625 / 16 µs.
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_609_375))
    );
    let at = i.poll_timeout().unwrap();
    i.handle_timeout(at);
    let acts = drain(&mut i);
    let Action::SendAdvert(adv) = &acts[0] else {
        panic!("first action is the advert: {acts:?}")
    };
    assert_eq!(adv.version, Version::V3);
    assert_eq!(adv.auth, AdvertAuth::None);
    assert_eq!(adv.advert_int, Centis(100));
    assert_eq!(
        adv.addrs,
        vec![
            "fe80::10".parse::<IpAddr>().unwrap(),
            "2001:db8::10".parse().unwrap()
        ]
    );
    assert_eq!(adv.emit_ipv6().len(), 8 + 2 * 16);
    assert_eq!(acts[2], Action::AddVips);
    assert_eq!(acts[3], Action::SendGarp { repeat: 5 });
}

#[test]
fn ipv6_without_link_local_is_a_fault() {
    let t0 = Instant::now();
    let mut i = Instance::new(&cfg6(100), &[]);
    i.handle_startup(t0, None, true);
    assert_eq!(i.state(), State::Fault);
    assert_eq!(
        drain(&mut i),
        vec![transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::NoSourceAddress)
        )]
    );
    // The link-local address appearing (DAD done) clears it.
    i.handle_source_address(t0 + ms(50), Some(LL1.into()));
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn ipv6_hop_limit_must_be_255_in_multicast_mode_only() {
    let t0 = Instant::now();
    let c = cfg6(100);
    let mut i = started6(&c, t0, LL1);
    drain(&mut i);
    let deadline = i.poll_timeout().unwrap();
    i.handle_packet(t0 + ms(100), &rx6(&c, LL2, GROUP6, 254, 200));
    assert_eq!(i.stats().ip_ttl_err, 1);
    assert_eq!(i.stats().advert_rcvd, 0);
    assert_eq!(
        i.poll_timeout(),
        Some(deadline),
        "not accepted: timer not reset"
    );
    i.handle_packet(t0 + ms(200), &rx6(&c, LL2, GROUP6, 255, 200));
    assert_eq!(i.stats().advert_rcvd, 1);
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(200) + Duration::from_micros(3_609_375))
    );

    // Unicast mode: any hop limit (the kernel default 64 here), adverts sent to our address.
    let mut u = cfg6(100);
    u.unicast_peers = vec![IpAddr::V6(LL2)];
    let mut j = started6(&u, t0, LL1);
    drain(&mut j);
    j.handle_packet(t0 + ms(100), &rx6(&u, LL2, LL1, 64, 200));
    assert_eq!(j.stats().ip_ttl_err, 0);
    assert_eq!(j.stats().advert_rcvd, 1);
    // A multicast IPv6 advert on a unicast instance is refused.
    j.handle_packet(t0 + ms(200), &rx6(&u, LL2, GROUP6, 255, 200));
    assert_eq!(j.stats().addr_list_err, 1);
}

#[test]
fn ipv6_vip_list_is_checked_like_ipv4() {
    let t0 = Instant::now();
    let c = cfg6(100);
    let mut i = started6(&c, t0, LL1);
    drain(&mut i);
    let mut other = c.clone();
    other.vips = vec![vip6("fe80::10"), vip6("2001:db8::11")];
    i.handle_packet(t0 + ms(100), &rx6(&other, LL2, GROUP6, 255, 200));
    assert_eq!(i.stats().addr_list_err, 1);
    other.vips.pop();
    i.handle_packet(t0 + ms(200), &rx6(&other, LL2, GROUP6, 255, 200));
    assert_eq!(i.stats().addr_list_err, 2);
    assert_eq!(
        i.stats().advert_rcvd,
        1,
        "only the full-count one is counted"
    );
}

/// keepalived compares IPv6 sources as four 32-bit words in network order (`ntohl` each):
/// fe80::100 is above fe80::1. A comparison of the raw words on a little-endian host would
/// say the opposite (0x00000100 is stored as 00 00 01 00, read as 0x00010000 < 0x01000000).
#[test]
fn ipv6_equal_priority_tie_break_uses_big_endian_words() {
    let t0 = Instant::now();
    let c = cfg6(100);
    let low: Ipv6Addr = "fe80::1".parse().unwrap();
    let high: Ipv6Addr = "fe80::100".parse().unwrap();

    // The master with the higher address stays and forces a new election.
    let mut m = started6(&c, t0, high);
    let t1 = to_master(&mut m);
    m.handle_packet(t1 + ms(10), &rx6(&c, low, GROUP6, 255, 100));
    assert_eq!(m.state(), State::Master);
    assert_eq!(
        drain(&mut m).iter().filter_map(prio_of).collect::<Vec<_>>(),
        vec![100]
    );

    // The master with the lower address yields.
    let mut m = started6(&c, t0, low);
    let t1 = to_master(&mut m);
    m.handle_packet(t1 + ms(10), &rx6(&c, high, GROUP6, 255, 100));
    assert_eq!(m.state(), State::Backup);
    assert_eq!(
        drain(&mut m),
        vec![
            Action::RemoveVips,
            transition(
                State::Master,
                State::Backup,
                Reason::EqualPriorityHigherAddress {
                    from: high.into(),
                    priority: 100
                }
            ),
        ]
    );

    // Words after the first differing one do not matter; the first word dominates.
    assert_eq!(
        saddr_cmp(
            "fe80::2:0:0:0".parse().unwrap(),
            Some("fe80::1:ffff:ffff:ffff".parse().unwrap())
        ),
        Ordering::Greater
    );
    // Different families never decide anything (keepalived's sanity check returns 0).
    assert_eq!(saddr_cmp(IpAddr::V4(A), Some(high.into())), Ordering::Equal);
}

/// Two IPv6 instances on a simulated segment: adverts go through `emit_ipv6`, the checksum the
/// kernel would add, and `parse_ipv6` with hop limit 255. Election, failover on priority 0,
/// preemption when the higher priority returns.
#[test]
fn ipv6_pair_elects_fails_over_and_preempts() {
    let t0 = Instant::now();
    let (ca, cb) = (cfg6(150), cfg6(100));
    let mut nodes = [
        (Instance::new(&ca, &[]), LL1),
        (Instance::new(&cb, &[]), LL2),
    ];
    let mut now = t0;
    nodes[0].0.handle_startup(now, Some(LL1.into()), true);
    nodes[1].0.handle_startup(now, Some(LL2.into()), true);

    // Delivers pending adverts to the other node until quiet; returns what each node did.
    fn pump(nodes: &mut [(Instance, Ipv6Addr); 2], now: Instant, log: &mut Vec<(usize, Action)>) {
        for _ in 0..100 {
            let mut wires = Vec::new();
            for (k, (inst, ll)) in nodes.iter_mut().enumerate() {
                while let Some(a) = inst.poll_action() {
                    if let Action::SendAdvert(adv) = &a {
                        wires.push((k, deliver6(adv, *ll, GROUP6, 255)));
                    }
                    log.push((k, a));
                }
            }
            if wires.is_empty() {
                return;
            }
            for (from, pkt) in wires {
                assert!(pkt.src.is_ipv6() && pkt.dst == IpAddr::V6(GROUP6));
                nodes[1 - from].0.handle_packet(now, &pkt);
            }
        }
        panic!("advert storm");
    }
    fn run_until(
        nodes: &mut [(Instance, Ipv6Addr); 2],
        now: &mut Instant,
        end: Instant,
        log: &mut Vec<(usize, Action)>,
    ) {
        for _ in 0..10_000 {
            match nodes.iter().filter_map(|n| n.0.poll_timeout()).min() {
                Some(at) if at <= end => {
                    *now = at;
                    for n in nodes.iter_mut() {
                        if n.0.poll_timeout().is_some_and(|t| t <= at) {
                            n.0.handle_timeout(at);
                        }
                    }
                    pump(nodes, at, log);
                }
                _ => {
                    *now = end;
                    return;
                }
            }
        }
        panic!("timers never settled");
    }

    let mut log = Vec::new();
    pump(&mut nodes, now, &mut log);
    // Priority 150 has the shorter Master_Down_Interval: 3 s + 106 * 100 * 625 / 16 µs.
    run_until(&mut nodes, &mut now, t0 + Duration::from_secs(10), &mut log);
    assert_eq!(nodes[0].0.state(), State::Master);
    assert_eq!(nodes[1].0.state(), State::Backup);
    let became: Vec<_> = log
        .iter()
        .filter(|(_, a)| {
            matches!(
                a,
                Action::Transition {
                    to: State::Master,
                    ..
                }
            )
        })
        .map(|(k, _)| *k)
        .collect();
    assert_eq!(
        became,
        vec![0],
        "only the priority-150 node ever became MASTER"
    );
    assert!(nodes[1].0.stats().advert_rcvd >= 6);
    assert_eq!(
        nodes[1].0.stats().ip_ttl_err + nodes[1].0.stats().addr_list_err,
        0
    );

    // SIGTERM on the master: priority 0, the backup takes over after Skew_Time
    // ((256 - 100) * 100 * 625 / 16 µs = 609.375 ms).
    let stop = now;
    nodes[0].0.handle_shutdown(stop);
    pump(&mut nodes, stop, &mut log);
    assert_eq!(nodes[1].0.stats().pri_zero_rcvd, 1);
    assert_eq!(
        nodes[1].0.poll_timeout(),
        Some(stop + Duration::from_micros(609_375))
    );
    run_until(
        &mut nodes,
        &mut now,
        stop + Duration::from_secs(2),
        &mut log,
    );
    assert_eq!(nodes[1].0.state(), State::Master);

    // The priority-150 node comes back: BACKUP, discards the lower master's adverts and
    // preempts at its Master_Down_Interval.
    let back = now;
    nodes[0].0 = Instance::new(&ca, &[]);
    nodes[0].0.handle_startup(back, Some(LL1.into()), true);
    pump(&mut nodes, back, &mut log);
    run_until(
        &mut nodes,
        &mut now,
        back + Duration::from_secs(5),
        &mut log,
    );
    assert_eq!(nodes[0].0.state(), State::Master);
    assert_eq!(nodes[1].0.state(), State::Backup);
}

mod file_process_tests;

/// Inventory §3.2 through an instance, for `track_script` (weight and reverse from the
/// `vrrp_script`, or overridden on the `track_script` line) and `track_interface`: the same
/// table as files and processes. Each case is reached from the opposite result after startup.
#[test]
fn script_and_interface_every_weight_and_reverse_combination() {
    // (weight, reverse, ok/up) -> effective priority from 100, or FAULT (None).
    let cases: &[(i32, bool, bool, Option<u8>)] = &[
        (10, false, true, Some(110)),
        (10, false, false, Some(100)),
        (10, true, true, Some(90)),
        (10, true, false, Some(100)),
        (-10, false, true, Some(100)),
        (-10, false, false, Some(90)),
        (-10, true, true, Some(100)),
        (-10, true, false, Some(110)),
        (253, false, true, Some(254)),
        (-253, false, false, Some(1)),
        (0, false, true, Some(100)),
        (0, false, false, None),
        (0, true, true, None),
        (0, true, false, Some(100)),
    ];
    let t0 = Instant::now();
    let outcome = |i: &Instance| (i.state() != State::Fault).then(|| i.effective_priority());
    let script_ev = |ok| TrackEvent::Script {
        name: "chk".into(),
        ok,
    };
    let if_ev = |up| TrackEvent::Interface {
        name: "eth9".into(),
        up,
    };
    for &(w, r, ok, want) in cases {
        let run = |c: &model::Instance, scripts: &[VrrpScript], ev: &dyn Fn(bool) -> TrackEvent| {
            let mut i = Instance::new(c, scripts);
            i.handle_track(t0, &ev(!ok));
            i.handle_startup(t0, Some(A.into()), true);
            i.handle_track(t0 + ms(10), &ev(ok));
            outcome(&i)
        };
        // Weight and reverse given by the vrrp_script.
        let mut c = cfg(100);
        c.track_scripts = vec![track("chk")];
        let mut s = script("chk", w);
        s.reverse = r;
        assert_eq!(
            run(&c, &[s], &script_ev),
            want,
            "script {w} reverse {r} ok {ok}"
        );
        // Overridden on the track_script line (the script says the opposite).
        c.track_scripts = vec![TrackScript {
            name: "chk".into(),
            weight: Some(w),
            reverse: Some(r),
        }];
        let mut s = script("chk", -w + 7);
        s.reverse = !r;
        let got = run(&c, &[s], &script_ev);
        assert_eq!(got, want, "track_script {w} reverse {r} ok {ok}");
        // track_interface.
        let mut c = cfg(100);
        c.track_interfaces = vec![model::TrackInterface {
            name: "eth9".into(),
            weight: w,
            reverse: r,
        }];
        assert_eq!(
            run(&c, &[], &if_ev),
            want,
            "interface {w} reverse {r} up {ok}"
        );
    }
}
