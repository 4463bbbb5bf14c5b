//! `interface_up_down_delays`: a link change reaches the instances tracking the interface only
//! once it has lasted the interface's delay (keepalived 2.2.7 `update_interface_flags()`).
//! Pure and clock-free: the daemon feeds link states with `now` and fires the deadlines.
//!
//! Rules kept from keepalived: no delay before the interface has been seen up once; a change
//! back to the applied state while one is pending cancels it ("Delay timer for IF cancelled");
//! a repeat of the pending state keeps the original deadline.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// What to do with a link state just observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Act on it now.
    Apply,
    /// Act on it at this instant, unless it is cancelled meanwhile.
    Delay(Instant),
    /// It undid a pending change: nothing changes, the pending one is dropped.
    Cancelled,
    /// Nothing new (same as the applied state, or as the pending one).
    Ignore,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    up: bool,
    at: Instant,
}

/// Link states on their way to the instances, per interface name.
#[derive(Debug, Default)]
pub struct Debounce {
    seen_up: HashSet<String>,
    pending: HashMap<String, Pending>,
}

impl Debounce {
    /// `name` is now `up`; `applied` is the state the instances last saw (`None`: never
    /// reported, so this one applies at once); `down`/`up_delay` are the interface's delays.
    pub fn observe(
        &mut self,
        now: Instant,
        name: &str,
        up: bool,
        applied: Option<bool>,
        down_delay: Duration,
        up_delay: Duration,
    ) -> Decision {
        let mut cancelled = false;
        if let Some(p) = self.pending.get(name) {
            if p.up == up {
                return Decision::Ignore;
            }
            self.pending.remove(name);
            cancelled = true;
        }
        if applied == Some(up) {
            return if cancelled {
                Decision::Cancelled
            } else {
                Decision::Ignore
            };
        }
        let delay = if up { up_delay } else { down_delay };
        if applied.is_some() && self.seen_up.contains(name) && !delay.is_zero() {
            let at = now + delay;
            self.pending.insert(name.to_owned(), Pending { up, at });
            return Decision::Delay(at);
        }
        if up {
            self.seen_up.insert(name.to_owned());
        }
        Decision::Apply
    }

    /// The interface's state is known without a change to act on (start-up, reload).
    pub fn known(&mut self, name: &str, up: bool) {
        if up {
            self.seen_up.insert(name.to_owned());
        }
    }

    /// The earliest pending deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.at).min()
    }

    /// The pending changes due at `now`, removed, in deadline order: apply each.
    pub fn expired(&mut self, now: Instant) -> Vec<(String, bool)> {
        let mut due: Vec<(Instant, String, bool)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.at <= now)
            .map(|(n, p)| (p.at, n.clone(), p.up))
            .collect();
        due.sort();
        for (_, n, _) in &due {
            self.pending.remove(n);
        }
        due.into_iter().map(|(_, n, up)| (n, up)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_millis(1500);
    const U: Duration = Duration::from_millis(500);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_down_shorter_than_the_delay_never_reaches_the_instances() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.known("eth0", true);
        assert_eq!(
            d.observe(t0, "eth0", false, Some(true), D, U),
            Decision::Delay(t0 + D)
        );
        // A repeat of the pending state keeps the first deadline.
        assert_eq!(
            d.observe(t0 + ms(100), "eth0", false, Some(true), D, U),
            Decision::Ignore
        );
        assert_eq!(d.poll_timeout(), Some(t0 + D));
        assert_eq!(
            d.observe(t0 + ms(900), "eth0", true, Some(true), D, U),
            Decision::Cancelled
        );
        assert_eq!(d.poll_timeout(), None);
        assert!(d.expired(t0 + ms(5000)).is_empty());
    }

    #[test]
    fn a_lasting_down_then_up_are_applied_after_their_delays() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.known("eth0", true);
        assert_eq!(
            d.observe(t0, "eth0", false, Some(true), D, U),
            Decision::Delay(t0 + D)
        );
        assert!(d.expired(t0 + ms(1499)).is_empty());
        assert_eq!(d.expired(t0 + D), [("eth0".to_string(), false)]);
        // Up again: the up delay, counted from the change.
        let t1 = t0 + ms(3000);
        assert_eq!(
            d.observe(t1, "eth0", true, Some(false), D, U),
            Decision::Delay(t1 + U)
        );
        assert_eq!(d.expired(t1 + U), [("eth0".to_string(), true)]);
    }

    #[test]
    fn no_delay_before_the_interface_was_seen_up_or_without_a_delay() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        // Down at start, never seen up: its first up applies at once.
        assert_eq!(
            d.observe(t0, "eth1", true, Some(false), D, U),
            Decision::Apply
        );
        // From then on it is debounced.
        assert_eq!(
            d.observe(t0, "eth1", false, Some(true), D, U),
            Decision::Delay(t0 + D)
        );
        // A zero delay (here: up) applies at once and drops the pending down.
        let mut d = Debounce::default();
        d.known("eth2", true);
        assert_eq!(
            d.observe(t0, "eth2", false, Some(true), Duration::ZERO, U),
            Decision::Apply
        );
        // First report of an interface: applied whatever the delays.
        assert_eq!(d.observe(t0, "eth3", false, None, D, U), Decision::Apply);
    }

    #[test]
    fn deadlines_fire_in_order_per_interface() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.known("a", true);
        d.known("b", true);
        d.observe(t0, "b", false, Some(true), ms(200), U);
        d.observe(t0, "a", false, Some(true), ms(100), U);
        assert_eq!(d.poll_timeout(), Some(t0 + ms(100)));
        assert_eq!(
            d.expired(t0 + ms(300)),
            [("a".to_string(), false), ("b".to_string(), false)]
        );
        assert_eq!(d.poll_timeout(), None);
    }
}
