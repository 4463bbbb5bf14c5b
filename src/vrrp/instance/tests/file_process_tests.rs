//! Virtual-time tests of `track_file` and `track_process` trackers (inventory §3.2, §3.4,
//! §3.5): every weight/reverse combination through `handle_track`, faults with their exact
//! actions, startup, reload and a two-node failover.

use super::*;
use crate::model::TrackRef;

fn tref(name: &str, weight: i32, reverse: bool) -> TrackRef {
    TrackRef {
        name: name.into(),
        weight,
        reverse,
    }
}

fn file_ev(value: i64) -> TrackEvent {
    TrackEvent::File {
        name: "f".into(),
        value,
    }
}

fn proc_ev(quorum: bool) -> TrackEvent {
    TrackEvent::Process {
        name: "p".into(),
        quorum,
    }
}

/// A BACKUP at priority 100 tracking file `f` with `weight`/`reverse`, actions drained.
fn with_file(weight: i32, reverse: bool, t0: Instant) -> Instance {
    let mut c = cfg(100);
    c.track_files = vec![tref("f", weight, reverse)];
    let mut i = started(&c, t0, A);
    drain(&mut i);
    i
}

fn with_process(weight: i32, reverse: bool, t0: Instant, initial: bool) -> Instance {
    let mut c = cfg(100);
    c.track_processes = vec![tref("p", weight, reverse)];
    let mut i = Instance::new(&c, &[]);
    // The daemon reports the first scan before startup.
    i.handle_track(t0, &proc_ev(initial));
    i.handle_startup(t0, Some(A.into()), true);
    drain(&mut i);
    i
}

/// `None` = FAULT, else the effective priority.
fn outcome(i: &Instance) -> Option<u8> {
    (i.state() != State::Fault).then(|| i.effective_priority())
}

#[test]
fn file_every_weight_and_reverse_combination() {
    // (weight, reverse, value) -> effective priority from 100, or FAULT.
    let cases: &[(i32, bool, i64, Option<u8>)] = &[
        (10, false, 0, Some(100)),
        (10, false, 1, Some(110)),
        (10, false, 3, Some(130)),
        (10, false, -2, Some(80)),
        (10, true, 1, Some(90)),
        (10, true, -2, Some(120)),
        (-20, false, 1, Some(80)),
        (-20, false, 0, Some(100)),
        (-20, true, 1, Some(120)),
        (-20, false, -1, Some(120)),
        // Each file's status is clamped to 253 before the instance's own 1..=254 clamp.
        (100, false, 9, Some(254)),
        (-1, false, 99, Some(1)),
        // value × weight at −254 or below faults instead of counting.
        (-100, false, 3, None),
        (254, true, 1, None),
        (1, false, -254, None),
        (1, false, -253, Some(1)),
        // Weight 0: a non-zero value faults; with reverse, zero faults.
        (0, false, 0, Some(100)),
        (0, false, 1, None),
        (0, false, -5, None),
        (0, true, 1, Some(100)),
        (0, true, 0, None),
    ];
    let t0 = Instant::now();
    for &(w, r, v, want) in cases {
        let mut i = with_file(w, r, t0);
        i.handle_track(t0 + ms(10), &file_ev(v));
        assert_eq!(outcome(&i), want, "weight {w} reverse {r} value {v}");
    }
}

#[test]
fn weight_zero_reverse_file_faults_from_the_start_when_missing() {
    // A missing file reads 0: with weight 0 reverse the instance starts in FAULT, announced.
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_files = vec![tref("f", 0, true)];
    let mut i = started(&c, t0, A);
    assert_eq!(
        drain(&mut i),
        [transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::TrackedFile("f".into()))
        )]
    );
    i.handle_track(t0 + ms(500), &file_ev(1));
    assert_eq!(
        drain(&mut i),
        [transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + ms(500) + Duration::from_micros(3_609_375))
    );
}

#[test]
fn weighted_file_moves_priority_and_shifts_the_backup_timer() {
    let t0 = Instant::now();
    let mut i = with_file(-10, false, t0);
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_609_375))
    );
    i.handle_track(t0 + ms(1000), &file_ev(1));
    assert_eq!(
        drain(&mut i),
        [Action::PriorityChanged { from: 100, to: 90 }]
    );
    // Priority 90: skew 648437 µs, 39062 µs more than at 100 (same rule as scripts).
    assert_eq!(
        i.poll_timeout(),
        Some(t0 + Duration::from_micros(3_648_437))
    );
    // The same value again is no change.
    i.handle_track(t0 + ms(1100), &file_ev(1));
    assert!(drain(&mut i).is_empty());
    i.handle_track(t0 + ms(1200), &file_ev(0));
    assert_eq!(
        drain(&mut i),
        [Action::PriorityChanged { from: 90, to: 100 }]
    );
}

#[test]
fn weight_zero_file_takes_a_master_to_fault_with_exact_actions() {
    let t0 = Instant::now();
    let mut i = with_file(0, false, t0);
    let m = to_master(&mut i);
    i.handle_track(m + ms(300), &file_ev(1));
    let acts = drain(&mut i);
    assert_eq!(acts.iter().filter_map(prio_of).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(
        acts[2..],
        [
            Action::RemoveVips,
            transition(
                State::Master,
                State::Fault,
                Reason::Fault(FaultCause::TrackedFile("f".into()))
            )
        ]
    );
    assert_eq!(i.poll_timeout(), None);
    i.handle_track(m + ms(900), &file_ev(0));
    assert_eq!(
        drain(&mut i),
        [transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
    assert_eq!(
        i.poll_timeout(),
        Some(m + ms(900) + Duration::from_micros(3_609_375))
    );
}

#[test]
fn weighted_file_fault_and_recovery_restore_the_priority() {
    let t0 = Instant::now();
    let mut i = with_file(-100, false, t0);
    i.handle_track(t0, &file_ev(1));
    assert_eq!(i.effective_priority(), 1);
    drain(&mut i);
    i.handle_track(t0 + ms(10), &file_ev(3));
    assert_eq!(i.state(), State::Fault);
    // In FAULT the file counts nothing: the priority is back at 100.
    assert_eq!(i.effective_priority(), 100);
    i.handle_track(t0 + ms(20), &file_ev(2));
    assert_eq!(i.state(), State::Backup);
    assert_eq!(i.effective_priority(), 1);
}

#[test]
fn file_value_known_before_startup_decides_the_start() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_files = vec![tref("f", 0, false)];
    let mut i = Instance::new(&c, &[]);
    i.handle_track(t0, &file_ev(1));
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(
        drain(&mut i),
        [transition(
            State::Init,
            State::Fault,
            Reason::Fault(FaultCause::TrackedFile("f".into()))
        )]
    );
    let mut c = cfg(100);
    c.track_files = vec![tref("f", 25, false)];
    let mut i = Instance::new(&c, &[]);
    i.handle_track(t0, &file_ev(2));
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(i.effective_priority(), 150);
    assert_eq!(
        drain(&mut i),
        [transition(State::Init, State::Backup, Reason::Startup)]
    );
}

#[test]
fn process_every_weight_and_reverse_combination() {
    // (weight, reverse, quorum) -> effective priority from 100, or FAULT.
    let cases: &[(i32, bool, bool, Option<u8>)] = &[
        (10, false, true, Some(110)),
        (10, false, false, Some(100)),
        (10, true, true, Some(90)),
        (10, true, false, Some(100)),
        (-10, false, true, Some(100)),
        (-10, false, false, Some(90)),
        (-10, true, true, Some(100)),
        (-10, true, false, Some(110)),
        (254, false, true, Some(254)),
        (-254, false, false, Some(1)),
        (0, false, true, Some(100)),
        (0, false, false, None),
        (0, true, true, None),
        (0, true, false, Some(100)),
    ];
    let t0 = Instant::now();
    for &(w, r, q, want) in cases {
        // Reached from the opposite state, and also straight from startup.
        let mut i = with_process(w, r, t0, !q);
        i.handle_track(t0 + ms(10), &proc_ev(q));
        assert_eq!(outcome(&i), want, "weight {w} reverse {r} quorum {q}");
        let i = with_process(w, r, t0, q);
        assert_eq!(
            outcome(&i),
            want,
            "at startup: weight {w} reverse {r} quorum {q}"
        );
    }
}

#[test]
fn weight_zero_process_quorum_lost_and_regained_on_a_master() {
    let t0 = Instant::now();
    let mut i = with_process(0, false, t0, true);
    let m = to_master(&mut i);
    i.handle_track(m + ms(100), &proc_ev(false));
    let acts = drain(&mut i);
    assert_eq!(
        acts.last(),
        Some(&transition(
            State::Master,
            State::Fault,
            Reason::Fault(FaultCause::TrackedProcess("p".into()))
        ))
    );
    assert!(acts.contains(&Action::RemoveVips));
    i.handle_track(m + ms(200), &proc_ev(true));
    assert_eq!(
        drain(&mut i),
        [transition(
            State::Fault,
            State::Backup,
            Reason::FaultCleared
        )]
    );
    assert_eq!(
        Reason::Fault(FaultCause::TrackedProcess("p".into())).to_string(),
        "fault: tracked process p quorum not achieved"
    );
}

#[test]
fn owner_priority_stays_255_with_weighted_processes() {
    let t0 = Instant::now();
    let mut c = cfg(255);
    c.initial_state = InitialState::Master;
    c.track_processes = vec![tref("p", -50, false)];
    let mut i = Instance::new(&c, &[]);
    i.handle_track(t0, &proc_ev(false));
    i.handle_startup(t0, Some(A.into()), true);
    assert_eq!(i.state(), State::Master);
    assert_eq!(i.effective_priority(), 255);
}

#[test]
fn reload_keeps_file_and_process_state() {
    let t0 = Instant::now();
    let mut c = cfg(100);
    c.track_files = vec![tref("f", -10, false)];
    c.track_processes = vec![tref("p", 0, false)];
    let mut i = Instance::new(&c, &[]);
    i.handle_track(t0, &proc_ev(true));
    i.handle_startup(t0, Some(A.into()), true);
    i.handle_track(t0, &file_ev(2));
    assert_eq!(i.effective_priority(), 80);
    drain(&mut i);
    // New weight for the same file: the known value counts at once.
    c.track_files = vec![tref("f", -30, false)];
    i.handle_reload(t0 + ms(10), c.clone().into(), &[]);
    assert_eq!(i.effective_priority(), 40);
    assert_eq!(i.state(), State::Backup);
}

#[test]
fn lan_file_weight_moves_master_and_back() {
    // The lab's story on virtual time: A (150) tracks a file with weight -20 against B (140).
    let t0 = Instant::now();
    let mut a = cfg(150);
    a.track_files = vec![tref("f", -20, false)];
    let mut lan = Lan::new(t0, vec![(a, vec![], A), (cfg(140), vec![], B)]);
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(8_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    // echo 1 > file: A drops to 130; B sees the lower priority and preempts at once
    // (its timer expires at the lower master's next advert: preemption as keepalived does).
    let bad = t0 + ms(8_000);
    lan.at(bad, |l| l.nodes[0].inst.handle_track(l.now, &file_ev(1)));
    assert_eq!(lan.nodes[0].inst.effective_priority(), 130);
    lan.run_until(t0 + ms(16_000));
    assert_eq!(lan.states(), [State::Backup, State::Master]);
    let b_master = lan.became_master(1);
    assert_eq!(b_master.len(), 1);
    assert!(b_master[0] > bad && b_master[0] <= bad + ms(4_000));
    // echo 0 > file: A back at 150 preempts B.
    let good = t0 + ms(16_000);
    lan.at(good, |l| l.nodes[0].inst.handle_track(l.now, &file_ev(0)));
    lan.run_until(t0 + ms(24_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}

#[test]
fn lan_weight_zero_process_fault_moves_master_at_skew() {
    let t0 = Instant::now();
    let mut a = cfg(150);
    a.track_processes = vec![tref("p", 0, false)];
    let mut lan = Lan::new(t0, vec![(a, vec![], A), (cfg(100), vec![], B)]);
    lan.nodes[0].inst.handle_track(t0, &proc_ev(true));
    lan.start(0);
    lan.start(1);
    lan.run_until(t0 + ms(8_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
    let ko = t0 + ms(8_000);
    lan.at(ko, |l| l.nodes[0].inst.handle_track(l.now, &proc_ev(false)));
    lan.run_until(t0 + ms(12_000));
    assert_eq!(lan.states(), [State::Fault, State::Master]);
    // Priority 0 from the leaving master: B takes over after its skew time.
    assert_eq!(lan.became_master(1), [ko + us_(609_375)]);
    lan.at(t0 + ms(12_000), |l| {
        l.nodes[0].inst.handle_track(l.now, &proc_ev(true))
    });
    lan.run_until(t0 + ms(20_000));
    assert_eq!(lan.states(), [State::Master, State::Backup]);
}
