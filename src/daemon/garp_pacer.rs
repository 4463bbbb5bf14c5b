//! Pacing of gratuitous ARPs and unsolicited NAs (`vrrp_garp_interval`, `vrrp_gna_interval`,
//! inventory §2.5, §8.9): with an interval set, two frames of one family never leave one
//! interface closer together than it. Like keepalived's per-interface `garp_next_time` /
//! `gna_next_time`, a frame due before the interface's next free slot waits in a queue, and the
//! slots carry over from one burst to the next. Each (interface, family) queue is a task of its
//! own, so a long paced burst never delays the I/O worker's next job (VIPs, notify scripts).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::net;

/// The next free slot of one interface and family.
#[derive(Debug, Default)]
pub struct Spacing {
    next: Option<Instant>,
}

impl Spacing {
    /// When a frame ready at `now` may be sent: at once if the interface has been quiet long
    /// enough, else when the gap after the previous frame has passed.
    pub fn slot(&self, now: Instant) -> Instant {
        self.next.map_or(now, |n| n.max(now))
    }

    /// A frame left at `at`: the next may not leave before `at + gap`. Counted from the actual
    /// send time, as keepalived's `garp_next_time = time_now + interval`, so a late wake-up
    /// never squeezes two frames closer than `gap`.
    pub fn sent(&mut self, at: Instant, gap: Duration) {
        self.next = Some(at + gap);
    }
}

/// One frame handed to a paced queue.
#[derive(Debug)]
struct Paced {
    instance: String,
    mac: [u8; 6],
    ip: IpAddr,
    /// NA Router flag.
    router: bool,
    gap: Duration,
}

/// The paced queues, created on first use.
#[derive(Debug, Default)]
pub struct Pacer {
    queues: HashMap<(u32, bool), mpsc::UnboundedSender<Paced>>,
}

impl Pacer {
    /// The configured gap for a frame announcing `ip` (zero = not paced).
    pub fn gap(ip: &IpAddr, garp_interval: Duration, gna_interval: Duration) -> Duration {
        if ip.is_ipv6() {
            gna_interval
        } else {
            garp_interval
        }
    }

    /// Queues one frame for `ifindex` (whose MAC is `mac`), to be sent `gap` after the
    /// previous one of its family on that interface.
    pub fn enqueue(
        &mut self,
        instance: &str,
        ifindex: u32,
        mac: [u8; 6],
        ip: IpAddr,
        router: bool,
        gap: Duration,
    ) {
        let key = (ifindex, ip.is_ipv6());
        let tx = self.queues.entry(key).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(ifindex, rx));
            tx
        });
        let _ = tx.send(Paced {
            instance: instance.to_owned(),
            mac,
            ip,
            router,
            gap,
        });
    }
}

async fn run(ifindex: u32, mut rx: mpsc::UnboundedReceiver<Paced>) {
    let mut spacing = Spacing::default();
    let mut sender: Option<net::GarpSender> = None;
    while let Some(p) = rx.recv().await {
        let at = spacing.slot(Instant::now());
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        if sender.is_none() {
            match net::GarpSender::open(ifindex, p.mac) {
                Ok(s) => sender = Some(s),
                Err(e) => {
                    tracing::error!("({}) cannot open gratuitous ARP socket: {e}", p.instance);
                    continue;
                }
            }
        }
        let s = sender.as_ref().expect("opened above");
        let sent = match p.ip {
            IpAddr::V4(v4) => {
                tracing::debug!("Sending gratuitous ARP on ifindex {ifindex} for {v4} (paced)");
                s.send(v4)
            }
            IpAddr::V6(v6) => {
                tracing::debug!("Sending unsolicited NA on ifindex {ifindex} for {v6} (paced)");
                s.send_na(v6, p.router)
            }
        };
        spacing.sent(Instant::now(), p.gap);
        if let Err(e) = sent {
            tracing::error!("({}) announcing {} failed: {e}", p.instance, p.ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_spaced_from_the_actual_send_time() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let gap = ms(20);
        let mut s = Spacing::default();
        // The first frame of a quiet interface goes at once.
        assert_eq!(s.slot(t0), t0);
        s.sent(t0, gap);
        // The next one, ready at once, waits for the gap.
        assert_eq!(s.slot(t0), t0 + ms(20));
        // Sent 5 ms late: the gap counts from then, never squeezing the one after.
        s.sent(t0 + ms(25), gap);
        assert_eq!(s.slot(t0 + ms(26)), t0 + ms(45));
        // The next burst, ready before that, waits too (slots carry over between bursts).
        assert_eq!(s.slot(t0 + ms(30)), t0 + ms(45));
        // After a quiet time the first frame goes at once.
        assert_eq!(s.slot(t0 + ms(1000)), t0 + ms(1000));
    }

    #[test]
    fn the_family_picks_the_interval() {
        let (garp, gna) = (Duration::from_millis(1), Duration::from_millis(2));
        let v4: IpAddr = "203.0.113.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(Pacer::gap(&v4, garp, gna), garp);
        assert_eq!(Pacer::gap(&v6, garp, gna), gna);
    }

    #[tokio::test(start_paused = true)]
    async fn enqueue_without_a_usable_interface_does_not_block_the_caller() {
        // ifindex 0 cannot be opened: the queue logs and drops, the caller never waits.
        let mut p = Pacer::default();
        for _ in 0..3 {
            p.enqueue(
                "VI",
                0,
                [2, 0, 0, 0, 0, 1],
                "203.0.113.1".parse().unwrap(),
                false,
                Duration::from_secs(1),
            );
        }
        assert_eq!(p.queues.len(), 1);
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}
