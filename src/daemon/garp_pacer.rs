//! Pacing of gratuitous ARPs and unsolicited NAs (`vrrp_garp_interval`, `vrrp_gna_interval`,
//! `garp_group`, inventory §2.5, §8.9): with an interval set, two frames of one family never
//! leave one interface (or one `garp_group`'s interfaces together) closer together than it.
//! Like keepalived's `garp_next_time` / `gna_next_time` of an interface's `garp_delay`, a frame
//! due before the next free slot waits in a queue, and the slots carry over from one burst to
//! the next. Each (interface or group, family) queue is a task of its own, so a long paced
//! burst never delays the I/O worker's next job (VIPs, notify scripts).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::model;
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

/// Who shares one pace: a `garp_group` (by its place in the configuration), else the
/// interface alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaceKey {
    /// The `garp_group` with this index in `Global::garp_groups`.
    Group(usize),
    /// An interface in no group, by index.
    Interface(u32),
}

/// One frame handed to a paced queue.
#[derive(Debug)]
struct Paced {
    instance: String,
    ifindex: u32,
    mac: [u8; 6],
    ip: IpAddr,
    /// NA Router flag.
    router: bool,
    gap: Duration,
}

/// The paced queues, created on first use.
#[derive(Debug, Default)]
pub struct Pacer {
    queues: HashMap<(PaceKey, bool), mpsc::UnboundedSender<Paced>>,
}

impl Pacer {
    /// Whose pace a frame announcing `ip` on `ifname` (`ifindex`) follows, and its gap;
    /// `None` = sent at once. An interface of a `garp_group` follows the group's interval for
    /// the family, or none when the group sets none (the global one does not apply to it, as
    /// keepalived gives only ungrouped interfaces the default `garp_delay`).
    pub fn pace(
        global: &model::Global,
        ifname: &str,
        ifindex: u32,
        ip: &IpAddr,
    ) -> Option<(PaceKey, Duration)> {
        let v6 = ip.is_ipv6();
        let (key, gap) = match global
            .garp_groups
            .iter()
            .position(|g| g.interfaces.iter().any(|i| i == ifname))
        {
            Some(i) => {
                let g = &global.garp_groups[i];
                let gap = if v6 { g.gna_interval } else { g.garp_interval };
                (PaceKey::Group(i), gap?)
            }
            None => {
                let gap = if v6 {
                    global.vrrp_gna_interval
                } else {
                    global.vrrp_garp_interval
                };
                (PaceKey::Interface(ifindex), gap)
            }
        };
        (!gap.is_zero()).then_some((key, gap))
    }

    /// Queues one frame for `ifindex` (whose MAC is `mac`), to be sent `gap` after the
    /// previous one of its family that shares the pace `key`.
    #[allow(clippy::too_many_arguments)]
    pub fn enqueue(
        &mut self,
        key: PaceKey,
        instance: &str,
        ifindex: u32,
        mac: [u8; 6],
        ip: IpAddr,
        router: bool,
        gap: Duration,
    ) {
        let tx = self.queues.entry((key, ip.is_ipv6())).or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(run(rx));
            tx
        });
        let _ = tx.send(Paced {
            instance: instance.to_owned(),
            ifindex,
            mac,
            ip,
            router,
            gap,
        });
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Paced>) {
    let mut spacing = Spacing::default();
    // A group's queue sends on each of its interfaces.
    let mut senders: HashMap<u32, net::GarpSender> = HashMap::new();
    while let Some(p) = rx.recv().await {
        let at = spacing.slot(Instant::now());
        tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
        let s = match senders.entry(p.ifindex) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                match net::GarpSender::open(p.ifindex, p.mac) {
                    Ok(s) => v.insert(s),
                    Err(e) => {
                        tracing::error!("({}) cannot open gratuitous ARP socket: {e}", p.instance);
                        continue;
                    }
                }
            }
        };
        let ifindex = p.ifindex;
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
    fn the_family_and_the_group_pick_the_interval() {
        let ms = Duration::from_millis;
        let v4: IpAddr = "203.0.113.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let mut g = model::Global {
            vrrp_garp_interval: ms(1),
            vrrp_gna_interval: ms(2),
            ..Default::default()
        };
        assert_eq!(
            Pacer::pace(&g, "eth0", 7, &v4),
            Some((PaceKey::Interface(7), ms(1)))
        );
        assert_eq!(
            Pacer::pace(&g, "eth0", 7, &v6),
            Some((PaceKey::Interface(7), ms(2)))
        );
        // eth1 and eth2 share a group's pace; it sets no NA interval, so their NAs go at
        // once whatever the global one says.
        g.garp_groups.push(model::GarpGroup {
            garp_interval: Some(ms(5)),
            gna_interval: None,
            interfaces: vec!["eth1".into(), "eth2".into()],
        });
        assert_eq!(
            Pacer::pace(&g, "eth2", 9, &v4),
            Some((PaceKey::Group(0), ms(5)))
        );
        assert_eq!(Pacer::pace(&g, "eth1", 8, &v6), None);
        // No interval at all: not paced.
        g.vrrp_garp_interval = Duration::ZERO;
        assert_eq!(Pacer::pace(&g, "eth0", 7, &v4), None);
    }

    #[tokio::test(start_paused = true)]
    async fn enqueue_without_a_usable_interface_does_not_block_the_caller() {
        // ifindex 0 cannot be opened: the queue logs and drops, the caller never waits.
        let mut p = Pacer::default();
        for _ in 0..3 {
            p.enqueue(
                PaceKey::Interface(0),
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
