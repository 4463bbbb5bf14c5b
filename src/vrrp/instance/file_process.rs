//! The engine's view of `track_file` and `track_process` lines (inventory §3.2, §3.4, §3.5),
//! reproducing `vrrp_track.c` / `track_file.c` of keepalived 2.2.7.
//!
//! A file's status is `value × weight` (negated by `reverse`), each tracker clamped on its own
//! to `[−254, 253]`; a status of −254 or less puts the instance in FAULT instead of counting.
//! With weight 0 a non-zero value is a FAULT (`reverse`: a zero value). A process tracker
//! weighs like a script: `+w` with quorum for `w > 0`, `w` without quorum for `w < 0`; weight 0
//! is a FAULT without quorum (`reverse`: with quorum).

use crate::model::TrackRef;

/// keepalived's "this tracker faults the instance" status.
const FAULT_STATUS: i64 = -254;

/// A `track_file` line with the file's last value.
#[derive(Debug, Clone)]
pub(super) struct TrackedFile {
    pub name: String,
    weight: i32,
    reverse: bool,
    /// A missing file reads as 0, which is also the value before the first read.
    value: i64,
}

impl TrackedFile {
    /// From a resolved line; `old` carries the value over a reload.
    pub fn new(r: &TrackRef, old: &[TrackedFile]) -> Self {
        Self {
            name: r.name.clone(),
            weight: r.weight,
            reverse: r.reverse,
            value: old.iter().find(|o| o.name == r.name).map_or(0, |o| o.value),
        }
    }

    pub fn set(&mut self, value: i64) {
        self.value = value;
    }

    /// `process_update_vrrp_track_file_status()`'s status, clamped to `[−254, 253]`.
    fn status(&self) -> i64 {
        if self.weight == 0 {
            return if (self.value != 0) != self.reverse {
                FAULT_STATUS
            } else {
                0
            };
        }
        let mult: i64 = if self.reverse { -1 } else { 1 };
        self.value
            .saturating_mul(i64::from(self.weight))
            .saturating_mul(mult)
            .clamp(FAULT_STATUS, 253)
    }

    /// True while this file holds the instance in FAULT.
    pub fn is_fault(&self) -> bool {
        self.status() <= FAULT_STATUS
    }

    /// What it adds to the priority (nothing while in fault).
    pub fn contribution(&self) -> i32 {
        if self.is_fault() {
            0
        } else {
            self.status() as i32
        }
    }
}

/// A `track_process` line with the process's quorum.
#[derive(Debug, Clone)]
pub(super) struct TrackedProcess {
    pub name: String,
    weight: i32,
    reverse: bool,
    /// `None` until the daemon's first scan reports (it does so before startup).
    quorum: Option<bool>,
}

impl TrackedProcess {
    /// From a resolved line; `old` carries the quorum over a reload.
    pub fn new(r: &TrackRef, old: &[TrackedProcess]) -> Self {
        Self {
            name: r.name.clone(),
            weight: r.weight,
            reverse: r.reverse,
            quorum: old.iter().find(|o| o.name == r.name).and_then(|o| o.quorum),
        }
    }

    pub fn set(&mut self, quorum: bool) {
        self.quorum = Some(quorum);
    }

    /// Weight 0: FAULT without quorum, or with it under `reverse`.
    pub fn is_fault(&self) -> bool {
        self.weight == 0 && self.quorum == Some(self.reverse)
    }

    /// `process_update_track_process_status()`'s contribution.
    pub fn contribution(&self) -> i32 {
        if self.weight == 0 {
            return 0;
        }
        super::contribution(self.weight, self.reverse, self.quorum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(weight: i32, reverse: bool, value: i64) -> TrackedFile {
        let mut f = TrackedFile::new(
            &TrackRef {
                name: "f".into(),
                weight,
                reverse,
            },
            &[],
        );
        f.set(value);
        f
    }

    fn process(weight: i32, reverse: bool, quorum: Option<bool>) -> TrackedProcess {
        let mut p = TrackedProcess::new(
            &TrackRef {
                name: "p".into(),
                weight,
                reverse,
            },
            &[],
        );
        if let Some(q) = quorum {
            p.set(q);
        }
        p
    }

    #[test]
    fn file_status_is_value_times_weight_clamped_per_tracker() {
        // (weight, reverse, value) -> (contribution, fault)
        let cases = [
            (10, false, 0, 0, false),
            (10, false, 3, 30, false),
            (10, false, -3, -30, false),
            (10, true, 3, -30, false),
            (-20, false, 1, -20, false),
            (-20, true, 1, 20, false),
            (-20, false, -2, 40, false),
            (100, false, 5, 253, false),
            (1, false, -253, -253, false),
            (1, false, -254, 0, true),
            (-100, false, 5, 0, true),
            (254, true, 1, 0, true),
            (254, false, i64::from(i32::MAX) + 1, 253, false),
        ];
        for (w, r, v, c, fault) in cases {
            let f = file(w, r, v);
            assert_eq!((f.contribution(), f.is_fault()), (c, fault), "{w} {r} {v}");
        }
    }

    #[test]
    fn weight_zero_file_faults_on_non_zero_or_with_reverse_on_zero() {
        assert!(!file(0, false, 0).is_fault());
        assert!(file(0, false, 1).is_fault());
        assert!(file(0, false, -7).is_fault());
        assert!(file(0, true, 0).is_fault());
        assert!(!file(0, true, 1).is_fault());
        assert_eq!(file(0, false, 5).contribution(), 0);
    }

    #[test]
    fn process_weights_as_in_the_table_of_3_2() {
        // (weight, reverse, quorum) -> (contribution, fault)
        let cases = [
            (10, false, Some(true), 10, false),
            (10, false, Some(false), 0, false),
            (10, true, Some(true), -10, false),
            (10, true, Some(false), 0, false),
            (-10, false, Some(true), 0, false),
            (-10, false, Some(false), -10, false),
            (-10, true, Some(true), 0, false),
            (-10, true, Some(false), 10, false),
            (0, false, Some(true), 0, false),
            (0, false, Some(false), 0, true),
            (0, true, Some(true), 0, true),
            (0, true, Some(false), 0, false),
            (10, false, None, 0, false),
            (-10, false, None, 0, false),
            (0, false, None, 0, false),
        ];
        for (w, r, q, c, fault) in cases {
            let p = process(w, r, q);
            assert_eq!(
                (p.contribution(), p.is_fault()),
                (c, fault),
                "{w} {r} {q:?}"
            );
        }
    }

    #[test]
    fn values_carry_over_a_reload_by_name() {
        let old = [file(5, false, 3)];
        let r = TrackRef {
            name: "f".into(),
            weight: -2,
            reverse: false,
        };
        assert_eq!(TrackedFile::new(&r, &old).contribution(), -6);
        let oldp = [process(0, false, Some(false))];
        let rp = TrackRef {
            name: "p".into(),
            weight: 0,
            reverse: false,
        };
        assert!(TrackedProcess::new(&rp, &oldp).is_fault());
    }
}
