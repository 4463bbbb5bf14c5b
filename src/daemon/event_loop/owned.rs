//! The daemon's side of what instances set besides their VIPs (eVIPs, virtual routes and
//! rules) and of the static addresses, routes and rules: queueing them on the I/O worker in
//! keepalived's order, what a killed run left, `promote_secondaries`, `track_src_ip`, and the
//! deletions behind our back (keepalived's netlink monitor: a MASTER that loses something it
//! set gives up MASTER and takes it again; a static item is put back).
//!
//! A deletion notification may be our own doing (a MASTER that just left and came back sees
//! the removals of its previous turn), so the loop never acts on one directly: the worker
//! checks, after every change queued before, that the item is still gone, and answers with the
//! mastership number it checked for ([`Feedback::Lost`]); an answer about an older mastership
//! is ignored.

use std::net::IpAddr;
use std::time::Instant;

use tokio::sync::mpsc;

use super::super::route_jobs::{self, Feedback, Owned};
use super::{Daemon, Job};
use crate::model::{self, Route, Rule, VirtualAddr};
use crate::net;
use crate::vrrp::State;

/// `recv()` on a receiver that may not exist (no route monitoring needed): never ready then.
pub(super) async fn recv_some<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The jobs that set (`add`) or remove what an instance owns besides its VIPs; `None` when
/// it has no routes or rules.
pub(super) fn routes_job(cfg: &model::Instance, add: bool) -> Option<Job> {
    (!cfg.virtual_routes.is_empty() || !cfg.virtual_rules.is_empty()).then(|| Job::Routes {
        instance: cfg.name.clone(),
        add,
        routes: cfg.virtual_routes.clone(),
        rules: cfg.virtual_rules.clone(),
    })
}

/// A reload's static changes (`clear_diff_static_*()`): the job removing what is no longer
/// configured (queued first) and the one setting what is new (queued once the instances
/// moved).
pub(super) fn static_diff(old: &model::Config, new: &model::Config) -> [Option<Job>; 2] {
    let diff = |from: &model::Config, to: &model::Config, add: bool| {
        let addresses: Vec<VirtualAddr> = (from.static_addresses.iter())
            .filter(|a| !to.static_addresses.contains(a))
            .cloned()
            .collect();
        let routes: Vec<Route> = (from.static_routes.iter())
            .filter(|r| !to.static_routes.contains(r))
            .cloned()
            .collect();
        let rules: Vec<Rule> = (from.static_rules.iter())
            .filter(|r| !to.static_rules.contains(r))
            .cloned()
            .collect();
        (!(addresses.is_empty() && routes.is_empty() && rules.is_empty())).then_some(Job::Static {
            add,
            clean_first: false,
            addresses,
            routes,
            rules,
        })
    };
    [diff(old, new, false), diff(new, old, true)]
}

impl Daemon {
    /// At start (not reload): the instance's routes and rules a killed run may have left are
    /// deleted before the instance can become MASTER (keepalived deletes its rules but leaves
    /// the routes on a BACKUP; see KNOWN_DIVERGENCES.md), then its interface gets
    /// `promote_secondaries` if asked.
    pub(super) fn prepare_instance(&mut self, cfg: &model::Instance, boot: bool) {
        if boot && (!cfg.virtual_routes.is_empty() || !cfg.virtual_rules.is_empty()) {
            let _ = self.io_tx.send(Job::Routes {
                instance: cfg.name.clone(),
                add: false,
                routes: route_jobs::ours(&cfg.virtual_routes),
                rules: cfg.virtual_rules.clone(),
            });
        }
        if let (true, Some(ifname)) = (cfg.promote_secondaries, &cfg.interface) {
            if self.promoted.contains(ifname) {
                return;
            }
            match net::set_promote_secondaries(ifname) {
                Ok(true) => self.promoted.push(ifname.clone()),
                Ok(false) => {}
                Err(e) => tracing::warn!(
                    "({}) cannot set promote_secondaries on {ifname}: {e}",
                    cfg.name
                ),
            }
        }
    }

    /// Interfaces named by routes and implicit trackers, resolved so link events for them
    /// are followed and route notifications can be matched by index.
    pub(super) async fn register_route_links(&mut self, cfg: &model::Instance) {
        let names: Vec<String> = (cfg.virtual_routes.iter())
            .flat_map(|r| net::route_devs(r).into_iter().map(str::to_string))
            .chain(cfg.implicit_interfaces.iter().cloned())
            .collect();
        for n in names {
            if let Err(e) = self.known_link(&n).await {
                tracing::warn!("({}) {e}", cfg.name);
            }
        }
    }

    /// `track_src_ip`: the configured source must be on the interface, else no source (FAULT).
    pub(super) async fn tracked_source(
        &self,
        cfg: &model::Instance,
        ifindex: u32,
        src: Option<IpAddr>,
    ) -> Option<IpAddr> {
        match (cfg.track_src_ip, cfg.src_ip) {
            (true, Some(a))
                if !net::has_address(&self.netlink, ifindex, a)
                    .await
                    .unwrap_or(true) =>
            {
                tracing::info!("({}) source address {a} not on its interface", cfg.name);
                None
            }
            _ => src,
        }
    }

    /// The static addresses, routes and rules: set at start (after removing what a killed run
    /// left) or removed at exit.
    pub(super) fn static_job(&self, add: bool, boot: bool) {
        let c = &self.config;
        if c.static_addresses.is_empty() && c.static_routes.is_empty() && c.static_rules.is_empty()
        {
            return;
        }
        let _ = self.io_tx.send(Job::Static {
            add,
            clean_first: add && boot,
            addresses: c.static_addresses.clone(),
            routes: c.static_routes.clone(),
            rules: c.static_rules.clone(),
        });
    }

    /// A monitor of route and rule deletions for the families that have tracked virtual or
    /// static routes or rules, or none.
    pub(super) fn route_monitor(&self) -> Option<mpsc::Receiver<net::RtEvent>> {
        let c = &self.config;
        let routes = (c.instances.iter())
            .flat_map(|i| i.virtual_routes.iter())
            .chain(c.static_routes.iter())
            .filter(|r| !r.no_track);
        let rules = (c.instances.iter())
            .flat_map(|i| i.virtual_rules.iter())
            .chain(c.static_rules.iter())
            .filter(|r| !r.no_track);
        let (mut r4, mut r6, mut u4, mut u6) = (false, false, false, false);
        for r in routes {
            *if r.is_ipv6() { &mut r6 } else { &mut r4 } = true;
        }
        for r in rules {
            *if r.v6 { &mut u6 } else { &mut u4 } = true;
        }
        if !(r4 || r6 || u4 || u6) {
            return None;
        }
        match net::monitor_routes(r4, r6, u4, u6) {
            Ok(rx) => Some(rx),
            Err(e) => {
                tracing::error!("Unable to monitor routes and rules: {e}");
                None
            }
        }
    }

    fn ifindex_of(&self, dev: &str) -> Option<u32> {
        self.links.get(dev).map(|l| l.index)
    }

    fn verify(&self, slot: usize, item: Owned) {
        let s = &self.slots[slot];
        let _ = self.io_tx.send(Job::Verify {
            instance: s.cfg.name.clone(),
            epoch: s.master_epoch,
            item: Box::new(item),
        });
    }

    /// A route or rule deletion notification.
    pub(super) fn handle_rt_event(&mut self, ev: net::RtEvent) {
        match ev {
            net::RtEvent::RouteDeleted(seen) => {
                for i in 0..self.slots.len() {
                    let s = &self.slots[i];
                    if s.engine.state() != State::Master {
                        continue;
                    }
                    let hit = s.cfg.virtual_routes.iter().find(|r| {
                        !r.no_track && {
                            let oif = r.dev.as_deref().and_then(|d| self.ifindex_of(d));
                            net::route_matches(r, oif, &seen, true)
                        }
                    });
                    if let Some(r) = hit.cloned() {
                        self.verify(
                            i,
                            Owned::Route {
                                route: r,
                                virtual_route: true,
                            },
                        );
                    }
                }
                let hit = (self.config.static_routes.iter())
                    .find(|r| !r.no_track && net::route_matches(r, None, &seen, false));
                if let Some(r) = hit {
                    let _ = self.io_tx.send(Job::Reinstate(Box::new(Owned::Route {
                        route: r.clone(),
                        virtual_route: false,
                    })));
                }
            }
            net::RtEvent::RuleDeleted(seen) => {
                for i in 0..self.slots.len() {
                    let s = &self.slots[i];
                    if s.engine.state() != State::Master {
                        continue;
                    }
                    let hit = (s.cfg.virtual_rules.iter())
                        .find(|r| !r.no_track && net::rule_matches(r, &seen));
                    if let Some(r) = hit.cloned() {
                        self.verify(i, Owned::Rule(r));
                    }
                }
                let hit = (self.config.static_rules.iter())
                    .find(|r| !r.no_track && net::rule_matches(r, &seen));
                if let Some(r) = hit {
                    let _ = self
                        .io_tx
                        .send(Job::Reinstate(Box::new(Owned::Rule(r.clone()))));
                }
            }
            net::RtEvent::Overrun => self.verify_everything(),
        }
    }

    /// Notifications were lost: check everything tracked.
    pub(super) fn verify_everything(&mut self) {
        for i in 0..self.slots.len() {
            let s = &self.slots[i];
            if s.engine.state() != State::Master {
                continue;
            }
            let items: Vec<Owned> = (s.cfg.virtual_routes.iter())
                .filter(|r| !r.no_track)
                .map(|r| Owned::Route {
                    route: r.clone(),
                    virtual_route: true,
                })
                .chain(
                    (s.cfg.virtual_rules.iter())
                        .filter(|r| !r.no_track)
                        .map(|r| Owned::Rule(r.clone())),
                )
                .collect();
            for item in items {
                self.verify(i, item);
            }
        }
        let c = &self.config;
        let items: Vec<Owned> = (c.static_routes.iter())
            .filter(|r| !r.no_track)
            .map(|r| Owned::Route {
                route: r.clone(),
                virtual_route: false,
            })
            .chain(
                (c.static_rules.iter())
                    .filter(|r| !r.no_track)
                    .map(|r| Owned::Rule(r.clone())),
            )
            .collect();
        for item in items {
            let _ = self.io_tx.send(Job::Reinstate(Box::new(item)));
        }
    }

    /// An address came or went: a MASTER's VIP or eVIP deleted behind its back, a static
    /// address to put back, the source address a `track_src_ip` instance watches.
    pub(super) fn handle_owned_address(&mut self, now: Instant, ev: &net::AddrEvent) {
        let dev_is = |dev: Option<&str>, links: &std::collections::HashMap<String, super::Link>| {
            dev.and_then(|d| links.get(d))
                .is_some_and(|l| l.index == ev.index)
        };
        if !ev.added {
            for i in 0..self.slots.len() {
                let s = &self.slots[i];
                if s.engine.state() != State::Master {
                    continue;
                }
                let hit = (s.cfg.vips.iter().chain(&s.cfg.vips_excluded)).find(|v| {
                    !v.no_track
                        && v.addr == ev.addr
                        && dev_is(v.dev.as_deref().or(s.cfg.interface.as_deref()), &self.links)
                });
                if let Some(v) = hit {
                    let dev =
                        (v.dev.clone().or_else(|| s.cfg.interface.clone())).unwrap_or_default();
                    let item = Owned::Addr {
                        dev,
                        addr: v.clone(),
                    };
                    self.verify(i, item);
                }
            }
            let hit = (self.config.static_addresses.iter()).find(|a| {
                !a.no_track && a.addr == ev.addr && dev_is(a.dev.as_deref(), &self.links)
            });
            if let Some(a) = hit {
                let item = Owned::Addr {
                    dev: a.dev.clone().unwrap_or_default(),
                    addr: a.clone(),
                };
                let _ = self.io_tx.send(Job::Reinstate(Box::new(item)));
            }
        }
        for s in &mut self.slots {
            if s.cfg.track_src_ip && s.cfg.src_ip == Some(ev.addr) && s.ifindex == ev.index {
                let src = ev.added.then_some(ev.addr);
                if s.src != src {
                    tracing::info!(
                        "({}) source address {} {}",
                        s.cfg.name,
                        ev.addr,
                        if ev.added { "back" } else { "removed" }
                    );
                    s.src = src;
                    s.engine.handle_source_address(now, src);
                }
            }
        }
    }

    /// The worker's answer: something a MASTER set is really gone.
    pub(super) fn handle_feedback(&mut self, now: Instant, fb: Feedback) {
        let Feedback::Lost { instance, epoch } = fb;
        if let Some(s) = self.slots.iter_mut().find(|s| s.cfg.name == instance) {
            if s.master_epoch == epoch && s.engine.state() == State::Master {
                s.engine.handle_owned_deleted(now);
            }
        }
    }
}
