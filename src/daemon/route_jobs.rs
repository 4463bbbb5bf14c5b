//! The I/O worker's side of routes, rules and static addresses: installing and removing them
//! in keepalived's order, replacing them on a reload, removing what a killed run left, and
//! the checks behind a deletion notification (is it still gone once every queued change is
//! done?), with keepalived's log lines (`Restoring deleted static route …`).
//!
//! Interface names are resolved to indices when a job runs, so an interface recreated since
//! the configuration was read is found again.

use std::net::IpAddr;

use crate::config::dump_routes::{route_text, rule_text};
use crate::model::{Route, Rule, VirtualAddr};
use crate::net::{self, IfIndices, RtCmd};

/// Something the daemon set and watches.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    /// An address (VIP, eVIP or static) on an interface.
    Addr {
        /// The interface it is on.
        dev: String,
        /// The address.
        addr: VirtualAddr,
    },
    /// A route; `virtual_route` compares metric and interface too (keepalived's key for
    /// virtual routes, not for static ones).
    Route {
        /// The route.
        route: Route,
        /// Virtual (an instance's) rather than static.
        virtual_route: bool,
    },
    /// A rule.
    Rule(Rule),
}

/// What the worker tells the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// Something `instance` set while MASTER (its mastership number `epoch`) was deleted and
    /// is still gone after every change queued before the check.
    Lost {
        /// Instance name.
        instance: String,
        /// The mastership the deletion belongs to (a later one makes it stale).
        epoch: u64,
    },
}

async fn indices_for(h: &rtnetlink::Handle, routes: &[Route], extra: &[&str]) -> IfIndices {
    let mut names: Vec<&str> = routes.iter().flat_map(net::route_devs).collect();
    names.extend_from_slice(extra);
    net::ifindices(h, &names).await
}

fn errno_is(e: &net::Error, codes: &[i32]) -> bool {
    e.netlink_errno().is_some_and(|c| codes.contains(&c))
}

/// Adds (`add`) or deletes `routes`. Failures are logged with the route, as keepalived's
/// `Netlink: error: …` lines; a delete of a route already gone is quiet.
pub async fn routes(h: &rtnetlink::Handle, instance: &str, cmd: RtCmd, routes: &[Route]) {
    let idx = indices_for(h, routes, &[]).await;
    let resolve = |n: &str| idx.get(n).copied();
    for r in routes {
        match net::route_request(h, cmd, r, &resolve).await {
            Ok(()) => {}
            // Already gone, or its interface too (the kernel removed the route with it).
            Err(e) if cmd == RtCmd::Del && errno_is(&e, &[libc::ESRCH, libc::ENOENT]) => {}
            Err(net::Error::NoSuchInterface(_)) if cmd == RtCmd::Del => {}
            Err(e) => tracing::error!("({instance}) route {}: {e}", route_text(r)),
        }
    }
}

/// Adds or deletes `rules`; a delete of a rule already gone is quiet.
pub async fn rules(h: &rtnetlink::Handle, instance: &str, cmd: RtCmd, rules: &[Rule]) {
    for r in rules {
        match net::rule_request(h, cmd, r).await {
            Ok(()) => {}
            Err(e) if cmd == RtCmd::Del && errno_is(&e, &[libc::ENOENT]) => {}
            Err(e) => tracing::error!("({instance}) rule {}: {e}", rule_text(r)),
        }
    }
}

/// A reloaded MASTER's routes and rules: those gone are deleted, those kept replaced (their
/// options may have changed), new ones added (keepalived's `clear_diff_routes()` then
/// `restore_vrrp_state()`).
pub async fn update(
    h: &rtnetlink::Handle,
    instance: &str,
    old: (&[Route], &[Rule]),
    new: (&[Route], &[Rule]),
) {
    let gone_rules: Vec<Rule> = (old.1.iter())
        .filter(|r| !new.1.contains(r))
        .cloned()
        .collect();
    let gone_routes: Vec<Route> = (old.0.iter())
        .filter(|r| !new.0.contains(r))
        .cloned()
        .collect();
    rules(h, instance, RtCmd::Del, &gone_rules).await;
    routes(h, instance, RtCmd::Del, &gone_routes).await;
    let (kept, added): (Vec<Route>, Vec<Route>) =
        new.0.iter().cloned().partition(|r| old.0.contains(r));
    routes(h, instance, RtCmd::Replace, &kept).await;
    routes(h, instance, RtCmd::Add, &added).await;
    let added_rules: Vec<Rule> = (new.1.iter())
        .filter(|r| !old.1.contains(r))
        .cloned()
        .collect();
    rules(h, instance, RtCmd::Add, &added_rules).await;
}

/// The routes a delete can safely name as leftovers: those carrying keepalived's protocol
/// (18); one with another protocol cannot be told from a route someone else added.
pub fn ours(routes: &[Route]) -> Vec<Route> {
    (routes.iter())
        .filter(|r| r.protocol() == crate::model::RTPROT_KEEPALIVED)
        .cloned()
        .collect()
}

/// Removes `addrs` (static addresses, `dev` resolved) that are present: what a killed run
/// left.
async fn remove_present_addresses(h: &rtnetlink::Handle, addrs: &[VirtualAddr], idx: &IfIndices) {
    for a in addrs {
        let Some(i) = a.dev.as_deref().and_then(|d| idx.get(d)) else {
            continue;
        };
        if net::has_address(h, *i, a.addr).await.unwrap_or(false) {
            tracing::info!(
                "removing leftover static address {}/{}",
                a.addr,
                a.prefix_len
            );
            let _ = net::del_address(h, *i, a).await;
        }
    }
}

/// `static_ipaddress`, `static_routes`, `static_rules`: set (rules last) or removed (rules
/// first). With `clean_first`, what a killed run left is removed before (keepalived
/// force-deletes its static rules and adopts leftover routes through its route monitor; a
/// clean slate gives the same result without depending on the monitor).
pub async fn statics(
    h: &rtnetlink::Handle,
    add: bool,
    clean_first: bool,
    addrs: &[VirtualAddr],
    routes_: &[Route],
    rules_: &[Rule],
) {
    let names: Vec<&str> = addrs.iter().filter_map(|a| a.dev.as_deref()).collect();
    let idx = indices_for(h, routes_, &names).await;
    if add {
        if clean_first {
            rules(h, "static", RtCmd::Del, rules_).await;
            routes(h, "static", RtCmd::Del, &ours(routes_)).await;
            remove_present_addresses(h, addrs, &idx).await;
        }
        for a in addrs {
            add_address(h, &idx, a).await;
        }
        routes(h, "static", RtCmd::Add, routes_).await;
        rules(h, "static", RtCmd::Add, rules_).await;
    } else {
        rules(h, "static", RtCmd::Del, rules_).await;
        routes(h, "static", RtCmd::Del, routes_).await;
        for a in addrs {
            let Some(i) = a.dev.as_deref().and_then(|d| idx.get(d)) else {
                continue;
            };
            let _ = net::del_address(h, *i, a).await;
        }
    }
}

async fn add_address(h: &rtnetlink::Handle, idx: &IfIndices, a: &VirtualAddr) {
    let dev = a.dev.as_deref().unwrap_or("-");
    let Some(i) = idx.get(dev) else {
        tracing::info!(
            "Not adding address {} to {dev} since interface doesn't exist",
            addr_text(a.addr, a.prefix_len)
        );
        return;
    };
    if let Err(e) = net::add_address(h, *i, a).await {
        tracing::error!("static address {}: {e}", addr_text(a.addr, a.prefix_len));
    }
}

fn addr_text(a: IpAddr, len: u8) -> String {
    let full = if a.is_ipv6() { 128 } else { 32 };
    if len == full {
        a.to_string()
    } else {
        format!("{a}/{len}")
    }
}

/// Whether `item` is in the kernel now.
pub async fn present(h: &rtnetlink::Handle, item: &Owned) -> bool {
    match item {
        Owned::Addr { dev, addr } => {
            let idx = net::ifindices(h, &[dev.as_str()]).await;
            match idx.get(dev) {
                Some(i) => net::has_address(h, *i, addr.addr).await.unwrap_or(true),
                // The interface went away: its fault tracking handles that.
                None => true,
            }
        }
        Owned::Route {
            route,
            virtual_route,
        } => {
            let idx = indices_for(h, std::slice::from_ref(route), &[]).await;
            let oif = route.dev.as_deref().and_then(|d| idx.get(d).copied());
            net::route_present(h, route, oif, *virtual_route)
                .await
                .unwrap_or(true)
        }
        Owned::Rule(r) => net::rule_present(h, r).await.unwrap_or(true),
    }
}

/// A static address, route or rule deleted behind our back: put it back (keepalived's
/// `reinstate_static_*()`), with its log line.
pub async fn reinstate(h: &rtnetlink::Handle, item: &Owned) {
    if present(h, item).await {
        return;
    }
    match item {
        Owned::Addr { dev, addr } => {
            let idx = net::ifindices(h, &[dev.as_str()]).await;
            add_address(h, &idx, addr).await;
            // keepalived's format_ipaddress(): `203.0.113.5 dev eth0 scope global set`.
            tracing::info!(
                "Restoring deleted static address {}",
                super::dump::vip_text(addr, Some(dev), true)
            );
        }
        Owned::Route { route, .. } => {
            routes(h, "static", RtCmd::Add, std::slice::from_ref(route)).await;
            tracing::info!("Restoring deleted static route {}", route_text(route));
        }
        Owned::Rule(r) => {
            rules(h, "static", RtCmd::Add, std::slice::from_ref(r)).await;
            tracing::info!("Restoring deleted static rule {}", rule_text(r));
        }
    }
}
