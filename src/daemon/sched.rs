//! Which instances the event loop must look at after an event: the protocol deadlines as a
//! lazy min-heap and the slots the event touched, so that an advert or a timer costs
//! O(log instances) instead of a pass over every instance (1000 instances = 1000 events/s).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Deadlines and touched slots, by slot index.
#[derive(Default)]
pub struct Sched {
    /// `(deadline, slot)`; an entry is stale unless `armed[slot]` still holds that deadline.
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
    /// The deadline each slot is armed for in `heap`.
    armed: Vec<Option<Instant>>,
    /// Slots the current event reached (may repeat).
    touched: Vec<usize>,
    /// The current event may have reached every slot (tracking, links, reload, signals).
    all: bool,
}

impl Sched {
    /// Starts an event: unless the event says which slots it reached ([`Sched::only`]), it is
    /// taken to have reached all of them. New kinds of events are therefore safe by default.
    pub fn begin(&mut self) {
        self.all = true;
        self.touched.clear();
    }

    /// The current event reaches only the slots passed to [`Sched::touch`].
    pub fn only(&mut self) {
        self.all = false;
    }

    /// Slot `i` may have new actions or a new deadline.
    pub fn touch(&mut self, i: usize) {
        self.touched.push(i);
    }

    /// The slots to drain after the event, in slot order, each once. When every slot may have
    /// changed (or their number did), the heap is rebuilt from scratch by the caller's
    /// [`Sched::rearm`] calls.
    pub fn take(&mut self, slots: usize) -> Vec<usize> {
        if self.all || self.armed.len() != slots {
            self.heap.clear();
            self.armed = vec![None; slots];
            self.touched.clear();
            return (0..slots).collect();
        }
        let mut t = std::mem::take(&mut self.touched);
        t.sort_unstable();
        t.dedup();
        t
    }

    /// Records slot `i`'s deadline after it was drained.
    pub fn rearm(&mut self, i: usize, deadline: Option<Instant>) {
        let Some(slot) = self.armed.get_mut(i) else {
            return;
        };
        if *slot != deadline {
            *slot = deadline;
            if let Some(t) = deadline {
                self.heap.push(Reverse((t, i)));
            }
        }
    }

    /// The earliest armed deadline.
    pub fn next(&mut self) -> Option<Instant> {
        while let Some(&Reverse((t, i))) = self.heap.peek() {
            if self.armed.get(i) == Some(&Some(t)) {
                return Some(t);
            }
            self.heap.pop();
        }
        None
    }

    /// Slots whose deadline is at or before `now`; they are disarmed and touched.
    pub fn expired(&mut self, now: Instant) -> Vec<usize> {
        let mut due = Vec::new();
        while let Some(t) = self.next() {
            if t > now {
                break;
            }
            let Some(Reverse((_, i))) = self.heap.pop() else {
                break;
            };
            self.armed[i] = None;
            self.touched.push(i);
            due.push(i);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(base: Instant, ms: u64) -> Instant {
        base + Duration::from_millis(ms)
    }

    #[test]
    fn an_event_reaches_every_slot_unless_it_says_which() {
        let mut s = Sched::default();
        s.begin();
        assert_eq!(s.take(3), vec![0, 1, 2]);
        s.begin();
        s.only();
        s.touch(2);
        s.touch(0);
        s.touch(2);
        assert_eq!(s.take(3), vec![0, 2]);
        // The number of slots changed (reload): everything again.
        s.begin();
        s.only();
        s.touch(1);
        assert_eq!(s.take(4), vec![0, 1, 2, 3]);
    }

    #[test]
    fn deadlines_come_out_in_order_and_stale_ones_are_skipped() {
        let base = Instant::now();
        let mut s = Sched::default();
        s.begin();
        for i in s.take(3) {
            s.rearm(i, Some(at(base, 100 * (3 - i as u64))));
        }
        assert_eq!(s.next(), Some(at(base, 100))); // slot 2
        // Slot 2 is pushed back, slot 1 disarmed: slot 0 at 300 is next.
        s.rearm(2, Some(at(base, 500)));
        s.rearm(1, None);
        assert_eq!(s.next(), Some(at(base, 300)));
        assert_eq!(s.expired(at(base, 299)), Vec::<usize>::new());
        s.begin();
        s.only();
        assert_eq!(s.expired(at(base, 300)), vec![0]);
        assert_eq!(s.take(3), vec![0]);
        assert_eq!(s.next(), Some(at(base, 500)));
        // A slot re-armed for the deadline it already has is not pushed twice.
        s.rearm(2, Some(at(base, 500)));
        assert_eq!(s.expired(at(base, 1000)), vec![2]);
        assert_eq!(s.next(), None);
    }
}
