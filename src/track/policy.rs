//! keepalived's rise/fall state machine for one `vrrp_script` (inventory §3.1), reproduced
//! exactly from `vrrp_script_child_thread()`: pure, no clock, no I/O.
//!
//! keepalived keeps one counter `result ∈ [0, rise + fall − 1]`, the script being OK iff
//! `result ≥ rise`. It starts at `rise − 1` (one success suffices) or at `0` with `init_fail`,
//! and while the script is still "init" the first failure decides immediately too.

/// The rise/fall counter of one `vrrp_script`.
///
/// Invariant: `result <= rise + fall - 1`; `state` is the last state reported (or the
/// configured initial state), `None` while nothing is known yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPolicy {
    rise: u64,
    fall: u64,
    result: u64,
    /// keepalived's `SCRIPT_INIT_STATE_INIT`: no result seen yet and not `init_fail`.
    init: bool,
    state: Option<bool>,
}

impl ScriptPolicy {
    /// A policy for `rise`/`fall` (0 is treated as 1, keepalived's minimum) and `init_fail`.
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> Self {
        let rise = u64::from(rise.max(1));
        let fall = u64::from(fall.max(1));
        Self {
            rise,
            fall,
            result: if init_fail { 0 } else { rise - 1 },
            init: !init_fail,
            state: if init_fail { Some(false) } else { None },
        }
    }

    /// The current state: `Some(true)` OK, `Some(false)` KO, `None` before the first result
    /// (always `Some(false)` from the start with `init_fail`).
    pub fn state(&self) -> Option<bool> {
        self.state
    }

    /// Feeds one run's result (`ok` = exit status 0). Returns `Some(new state)` when the state
    /// changes, including the very first result of a script that is not `init_fail`; this is
    /// exactly when keepalived logs `VRRP_Script(X) succeeded` / `failed …` and updates the
    /// priorities of the instances tracking it.
    pub fn handle_result(&mut self, ok: bool) -> Option<bool> {
        let top = self.rise + self.fall - 1;
        let mut change = None;
        if ok {
            if self.result < self.rise - 1 {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    change = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise || self.init {
                change = Some(false);
            }
            self.result = 0;
        }
        self.init = false;
        if change.is_some() {
            self.state = change;
        }
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds a sequence and returns what each step reported.
    fn feed(p: &mut ScriptPolicy, results: &[bool]) -> Vec<Option<bool>> {
        results.iter().map(|&r| p.handle_result(r)).collect()
    }

    const T: bool = true;
    const F: bool = false;

    #[test]
    fn first_success_decides_immediately_whatever_rise() {
        for rise in [1, 2, 5] {
            let mut p = ScriptPolicy::new(rise, 3, false);
            assert_eq!(p.state(), None);
            assert_eq!(p.handle_result(T), Some(true), "rise={rise}");
            assert_eq!(p.state(), Some(true));
        }
    }

    #[test]
    fn first_failure_decides_immediately_whatever_fall() {
        // Observed: `bad` with fall=2 failed on its first run.
        for fall in [1, 2, 5] {
            let mut p = ScriptPolicy::new(2, fall, false);
            assert_eq!(p.handle_result(F), Some(false), "fall={fall}");
            assert_eq!(p.state(), Some(false));
        }
    }

    #[test]
    fn rise_and_fall_of_one_flip_on_every_change() {
        let mut p = ScriptPolicy::new(1, 1, false);
        assert_eq!(
            feed(&mut p, &[T, T, F, F, T, F, T]),
            [
                Some(true),
                None,
                Some(false),
                None,
                Some(true),
                Some(false),
                Some(true)
            ]
        );
    }

    #[test]
    fn fall_consecutive_failures_needed_from_ok() {
        let mut p = ScriptPolicy::new(1, 3, false);
        assert_eq!(p.handle_result(T), Some(true));
        assert_eq!(feed(&mut p, &[F, F, F, F]), [None, None, Some(false), None]);
        assert_eq!(p.state(), Some(false));
    }

    #[test]
    fn success_while_ok_resets_the_failure_count() {
        let mut p = ScriptPolicy::new(1, 3, false);
        p.handle_result(T);
        assert_eq!(feed(&mut p, &[F, F, T, F, F]), [None; 5]);
        assert_eq!(p.handle_result(F), Some(false));
    }

    #[test]
    fn rise_consecutive_successes_needed_from_ko() {
        let mut p = ScriptPolicy::new(3, 1, false);
        assert_eq!(p.handle_result(F), Some(false));
        assert_eq!(feed(&mut p, &[T, T, T, T]), [None, None, Some(true), None]);
    }

    #[test]
    fn failure_while_ko_restarts_the_rise_count() {
        let mut p = ScriptPolicy::new(3, 1, false);
        p.handle_result(F);
        assert_eq!(feed(&mut p, &[T, T, F, T, T]), [None; 5]);
        assert_eq!(p.handle_result(T), Some(true));
    }

    #[test]
    fn rise_and_fall_above_one_full_cycle() {
        let mut p = ScriptPolicy::new(2, 2, false);
        assert_eq!(p.handle_result(T), Some(true));
        // OK: one failure is absorbed, the second goes KO.
        assert_eq!(feed(&mut p, &[F, F]), [None, Some(false)]);
        // KO: one success is not enough, the second goes OK.
        assert_eq!(feed(&mut p, &[T, T]), [None, Some(true)]);
        // Failure then success in OK state: still OK, counter back at the top.
        assert_eq!(feed(&mut p, &[F, T, F, F]), [None, None, None, Some(false)]);
    }

    #[test]
    fn init_fail_starts_ko_and_needs_rise_successes() {
        let mut p = ScriptPolicy::new(2, 2, true);
        assert_eq!(p.state(), Some(false));
        // Failures while already KO report nothing, not even the first one.
        assert_eq!(feed(&mut p, &[F, F]), [None, None]);
        assert_eq!(feed(&mut p, &[T, T]), [None, Some(true)]);
        assert_eq!(p.state(), Some(true));
    }

    #[test]
    fn init_fail_with_rise_one_goes_ok_on_first_success() {
        let mut p = ScriptPolicy::new(1, 1, true);
        assert_eq!(p.handle_result(T), Some(true));
        assert_eq!(p.handle_result(F), Some(false));
    }

    #[test]
    fn zero_rise_fall_are_treated_as_one_and_huge_values_do_not_overflow() {
        let mut p = ScriptPolicy::new(0, 0, false);
        assert_eq!(feed(&mut p, &[T, F]), [Some(true), Some(false)]);
        let mut p = ScriptPolicy::new(u32::MAX, u32::MAX, false);
        assert_eq!(p.handle_result(T), Some(true));
        assert_eq!(p.handle_result(F), None);
    }
}
