//! What a MASTER does when something it set is deleted behind its back: a VIP or eVIP, a
//! virtual route or rule not marked `no_track` (keepalived's `set_vrrp_backup()`, called from
//! its netlink monitor). The daemon decides that the deletion was not its own doing.

use std::time::Instant;

use tracing::info;

use super::{Action, Instance, Reason, State};
use crate::vrrp::timer::us;

impl Instance {
    /// keepalived's `set_vrrp_backup()`: a MASTER sends priority 0, removes everything it set
    /// ([`Action::RemoveVips`]), enters BACKUP, and arms its master-down timer at Skew_Time
    /// only, so that, unless a better router answers, it is MASTER again shortly and sets
    /// everything again. Ignored in any other state.
    pub fn handle_owned_deleted(&mut self, now: Instant) {
        if self.state != State::Master {
            return;
        }
        info!(
            "({}) an address, route or rule it set was deleted - leaving MASTER",
            self.cfg.name
        );
        self.stats.release_master += 1;
        self.garp_delay_at = None;
        self.garp_refresh_at = None;
        self.preempt_time = None;
        self.send_priority_zero();
        self.actions.push_back(Action::RemoveVips);
        self.set_state(State::Backup);
        self.actions.push_back(Action::Transition {
            from: State::Master,
            to: State::Backup,
            reason: Reason::OwnedDeleted,
        });
        self.next_master_reason = Reason::MasterNoResponse;
        self.ms_down_timer = self.skew_us();
        self.sands = Some(now + us(self.ms_down_timer));
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Instant;

    use super::super::tests::{A, B, cfg, drain, ms, rx, started, to_master, transition};
    use super::super::{Action, FaultCause, Reason, State};
    use crate::model::{TrackEvent, VirtualAddr};
    use crate::vrrp::Instance;

    fn evip(a: [u8; 4]) -> VirtualAddr {
        VirtualAddr {
            addr: IpAddr::V4(Ipv4Addr::from(a)),
            prefix_len: 24,
            brd: None,
            dev: Some("eth1".into()),
            scope: 0,
            label: None,
            no_track: false,
        }
    }

    #[test]
    fn a_deleted_route_sends_a_master_back_to_backup_for_skew_time() {
        let t0 = Instant::now();
        let mut i = started(&cfg(100), t0, A);
        drain(&mut i);
        i.handle_owned_deleted(t0);
        assert!(drain(&mut i).is_empty(), "a BACKUP has nothing to give up");
        let t1 = to_master(&mut i);
        i.handle_owned_deleted(t1);
        let acts = drain(&mut i);
        assert!(matches!(&acts[0], Action::SendAdvert(a) if a.priority == 0));
        assert_eq!(
            acts[1..],
            [
                Action::RemoveVips,
                transition(State::Master, State::Backup, Reason::OwnedDeleted)
            ]
        );
        // Skew_Time for priority 100 at 1 s: (256 - 100) / 256 s = 609.375 ms.
        let back = t1 + std::time::Duration::from_micros(609_375);
        assert_eq!(i.poll_timeout(), Some(back));
        i.handle_timeout(back);
        let acts = drain(&mut i);
        assert!(
            acts.contains(&Action::AddVips),
            "MASTER again sets everything"
        );
        assert_eq!(i.stats().release_master, 1);
    }

    #[test]
    fn a_better_router_keeps_it_backup() {
        let t0 = Instant::now();
        let c = cfg(100);
        let mut i = started(&c, t0, A);
        let t1 = to_master(&mut i);
        i.handle_owned_deleted(t1);
        drain(&mut i);
        i.handle_packet(t1 + ms(100), &rx(&c, B, 150));
        i.handle_timeout(t1 + ms(700));
        assert_eq!(i.state(), State::Backup);
    }

    #[test]
    fn evips_are_set_with_the_vips_but_never_advertised() {
        let t0 = Instant::now();
        let mut c = cfg(100);
        c.vips_excluded = vec![evip([203, 0, 113, 9])];
        let mut i = started(&c, t0, A);
        let t1 = to_master(&mut i);
        i.handle_timeout(t1 + ms(1000));
        let acts = drain(&mut i);
        let Action::SendAdvert(a) = &acts[0] else {
            panic!("{acts:?}")
        };
        assert_eq!(a.addrs.len(), 2, "only the two VIPs");
        assert!(!a.addrs.contains(&evip([203, 0, 113, 9]).addr));
        // A reload that changes only the eVIPs updates them, with a GARP burst.
        let mut c2 = c.clone();
        c2.vips_excluded = vec![evip([203, 0, 113, 10])];
        i.handle_reload(t1 + ms(1500), c2.clone().into(), &[]);
        let acts = drain(&mut i);
        assert_eq!(
            acts[0],
            Action::UpdateVips {
                removed: vec![evip([203, 0, 113, 9])],
                added: vec![evip([203, 0, 113, 10])],
            }
        );
        assert_eq!(acts[1], Action::SendGarp { repeat: 5 });
    }

    #[test]
    fn the_interface_of_a_route_is_a_fault_tracker() {
        let t0 = Instant::now();
        let mut c = cfg(100);
        c.implicit_interfaces = vec!["eth1".into()];
        let mut i = Instance::new(&c, &[]);
        i.handle_track(
            t0,
            &TrackEvent::Interface {
                name: "eth1".into(),
                up: false,
            },
        );
        i.handle_startup(t0, Some(A.into()), true);
        assert_eq!(
            drain(&mut i),
            [transition(
                State::Init,
                State::Fault,
                Reason::Fault(FaultCause::TrackedInterface("eth1".into()))
            )]
        );
        i.handle_track(
            t0 + ms(10),
            &TrackEvent::Interface {
                name: "eth1".into(),
                up: true,
            },
        );
        assert_eq!(i.state(), State::Backup);
        assert_eq!(i.effective_priority(), 100, "no weight");
    }
}
