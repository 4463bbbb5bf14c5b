//! The `global_defs` keywords of the daemon's I/O and start (keepalived 2.2.7
//! `global_parser.c`): `log_unknown_vrids`, `random_seed`, `dynamic_interfaces
//! [allow_if_changes]`, `vrrp_netlink_cmd_rcv_bufs[_force]`,
//! `vrrp_netlink_monitor_rcv_bufs[_force]`, `vrrp_rx_bufs_policy`, `vrrp_rx_bufs_multiplier`,
//! `reload_check_config`, and `vrrp_delay_after_boot` (2.4.0+); and the instance keywords
//! `unicast_fault_no_peer`, `old_unicast_checksum` and `mcast_dst_ip` (`vrrp_parser.c`).
//! Messages as keepalived's handlers word them.

use std::net::IpAddr;
use std::time::Duration;

use super::super::diag::Severity;
use super::super::tree::Stmt;
use super::{RawInstance, Validator};
use crate::model::{OldUnicastChecksum, RcvBuf, RxBufsPolicy};

/// `read_timer()`'s bounds for `vrrp_delay_after_boot`: 1 ms to `UINT_MAX` microseconds.
const DELAY_AFTER_BOOT_MAX_US: u64 = u32::MAX as u64;

/// Seconds since boot, from `/proc/uptime`.
fn uptime() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    let secs: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

impl Validator<'_> {
    /// A `global_defs` keyword of this module; false when `stmt` is not one.
    pub(super) fn io_global(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        let w = &stmt.line.words;
        match kw {
            "log_unknown_vrids" => self.config.global.io.log_unknown_vrids = true,
            "random_seed" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                match self.uint(t, 0, u64::from(u32::MAX)) {
                    Some(v) => self.config.global.io.random_seed = Some(v as u32),
                    None => self.error(&t.span, format!("random_seed {} invalid", t.text)),
                }
            }
            "dynamic_interfaces" => {
                self.dynamic_interfaces = true;
                self.config.global.io.dynamic_interfaces = true;
                if let Some(t) = w.get(1) {
                    if t.text == "allow_if_changes" {
                        self.config.global.io.allow_if_changes = true;
                    } else {
                        self.error(
                            &t.span,
                            format!("Unknown dynamic_interfaces option '{}'", t.text),
                        );
                    }
                }
            }
            "vrrp_netlink_cmd_rcv_bufs" | "vrrp_netlink_monitor_rcv_bufs" => {
                let ty = kw.trim_end_matches("_rcv_bufs");
                let Some(t) = w.get(1) else {
                    self.error(&stmt.line.span, format!("{ty}_rcv_bufs size missing"));
                    return true;
                };
                // 0 (or a bad size) leaves the setting as it was.
                let size = match self.uint(t, 0, u64::from(u32::MAX)) {
                    Some(v) => v as u32,
                    None => {
                        self.error(&t.span, format!("{ty}_rcv_bufs size ({}) invalid", t.text));
                        0
                    }
                };
                if size != 0 {
                    self.rcvbuf(kw).size = size;
                }
            }
            "vrrp_netlink_cmd_rcv_bufs_force" | "vrrp_netlink_monitor_rcv_bufs_force" => {
                if let Some(b) = self.boolean(stmt, &format!("global {kw}")) {
                    self.rcvbuf(kw).force = b;
                }
            }
            "vrrp_rx_bufs_policy" => self.rx_bufs_policy(stmt),
            "vrrp_rx_bufs_multiplier" => {
                if w.len() != 2 {
                    self.error(&stmt.line.span, "Invalid vrrp_rx_bufs_multiplier");
                    return true;
                }
                match self.uint(&w[1], 1, u64::from(u32::MAX)) {
                    Some(v) => self.config.global.io.rx_bufs_multiplier = v as u32,
                    None => self.error(
                        &w[1].span,
                        format!("Invalid vrrp_rx_bufs_multiplier {}", w[1].text),
                    ),
                }
                self.rx_bufs_not_acted_on(stmt);
            }
            "reload_check_config" => {
                let file = w.get(1).map_or("/dev/null", |t| t.text.as_str());
                self.config.global.io.reload_check_config = Some(file.to_string());
            }
            "vrrp_delay_after_boot" => self.delay_after_boot(stmt),
            _ => return false,
        }
        true
    }

    fn rcvbuf(&mut self, kw: &str) -> &mut RcvBuf {
        let io = &mut self.config.global.io;
        if kw.starts_with("vrrp_netlink_cmd") {
            &mut io.netlink_cmd_rcvbuf
        } else {
            &mut io.netlink_monitor_rcvbuf
        }
    }

    /// keepalived's handler ORs each word into the policy (across lines too) and always reads
    /// a size from the first word: `MTU 4096` is an invalid size.
    fn rx_bufs_policy(&mut self, stmt: &Stmt) {
        let w = &stmt.line.words;
        if w.len() < 2 {
            self.error(&stmt.line.span, "vrrp_rx_bufs_policy missing");
            return;
        }
        let mut pol = self.io_state.rx;
        for t in &w[1..] {
            if t.text.eq_ignore_ascii_case("MTU") {
                pol.mtu = true;
            } else if t.text.eq_ignore_ascii_case("ADVERT") {
                pol.advert = true;
            } else {
                match self.uint(&w[1], 0, u64::from(u32::MAX)) {
                    Some(v) => pol.size = Some(v as u32),
                    None => self.error(&t.span, format!("Invalid vrrp_rx_bufs_policy {}", t.text)),
                }
            }
        }
        if pol.size.is_some() && (pol.mtu || pol.advert) {
            self.error(
                &stmt.line.span,
                "Cannot set vrrp_rx_bufs_policy size and policy, ignoring policy",
            );
            pol.mtu = false;
            pol.advert = false;
        } else if pol.mtu && pol.advert {
            self.error(
                &stmt.line.span,
                "Cannot set both vrrp_rx_bufs_policy MTU and ADVERT, ignoring ADVERT",
            );
            pol.advert = false;
        }
        self.io_state.rx = pol;
        self.config.global.io.rx_bufs_policy = match pol {
            RxBits { size: Some(n), .. } => RxBufsPolicy::Size(n),
            RxBits { mtu: true, .. } => RxBufsPolicy::Mtu,
            RxBits { advert: true, .. } => RxBufsPolicy::Advert,
            _ => RxBufsPolicy::Default,
        };
        self.rx_bufs_not_acted_on(stmt);
    }

    /// The VRRP sockets keep the kernel's default buffers for now: said once.
    fn rx_bufs_not_acted_on(&mut self, stmt: &Stmt) {
        let kw: &'static str = if stmt.keyword() == "vrrp_rx_bufs_policy" {
            "vrrp_rx_bufs_policy"
        } else {
            "vrrp_rx_bufs_multiplier"
        };
        self.note_once(
            "global_defs",
            kw,
            &stmt.line.span,
            format!("`{kw}` is checked but not acted on by keepalived-rs yet: VRRP sockets keep the kernel's default receive buffer"),
        );
    }

    /// keepalived ≥ 2.4.0: the delay after boot becomes `vrrp_startup_delay` when it is the
    /// longer of the two (uptime is read only with host checks, as the daemon and `-t` run).
    fn delay_after_boot(&mut self, stmt: &Stmt) {
        let Some(t) = self.arg(stmt, 1) else {
            return;
        };
        let Some(us) = self.decimal(t, 6, 1000, DELAY_AFTER_BOOT_MAX_US) else {
            self.error(
                &t.span,
                format!("vrrp_delay_after_boot '{}' is invalid", t.text),
            );
            return;
        };
        let delay = Duration::from_micros(us);
        self.config.global.io.vrrp_delay_after_boot = Some(delay);
        if !self.opts.check_interfaces {
            return;
        }
        let Some(up) = uptime() else {
            self.rep.at(
                Severity::Warning,
                None,
                &stmt.line.span,
                "Unable to read /proc/uptime for vrrp_delay_after_boot - ignoring",
            );
            return;
        };
        // Applied once every keyword is read: the longer of this and `vrrp_startup_delay`.
        self.io_state.boot_delay_left = Some(delay.saturating_sub(up));
    }

    /// keepalived ≥ 2.4.0 keeps the longer of `vrrp_startup_delay` and what is left of
    /// `vrrp_delay_after_boot`, whichever is written first.
    pub(super) fn finish_io(&mut self) {
        if let Some(left) = self.io_state.boot_delay_left {
            let g = &mut self.config.global;
            g.vrrp_startup_delay = g.vrrp_startup_delay.max(left);
        }
    }

    /// An instance keyword of this module; false when `st` is not one.
    pub(super) fn io_instance(&mut self, r: &mut RawInstance, st: &Stmt) -> bool {
        let name = r.name.clone();
        match st.keyword() {
            "unicast_fault_no_peer" => {
                r.unicast_configured = true;
                r.unicast_opts.fault_no_peer = true;
            }
            "old_unicast_checksum" => {
                r.unicast_configured = true;
                match st.line.words.get(1) {
                    None => r.unicast_opts.old_checksum = OldUnicastChecksum::Always,
                    Some(t) if t.text == "never" => {
                        r.unicast_opts.old_checksum = OldUnicastChecksum::Never
                    }
                    Some(t) => self.error(
                        &t.span,
                        format!(
                            "({name}) Unknown old_unicast_chksum mode {} - ignoring",
                            t.text
                        ),
                    ),
                }
            }
            "mcast_dst_ip" => {
                let Some(t) = self.arg(st, 1) else {
                    return true;
                };
                let Ok(addr) = t.text.parse::<IpAddr>() else {
                    self.error(
                        &t.span,
                        format!(
                            "({name}) malformed mcast dest address {}. Skipping...",
                            t.text
                        ),
                    );
                    return true;
                };
                if r.family_v6().is_some_and(|v6| v6 != addr.is_ipv6()) {
                    self.error(
                        &t.span,
                        format!(
                            "({name}) mcast dest address {} MUST match VRRP instance family. Skipping...",
                            t.text
                        ),
                    );
                    return true;
                }
                let ok = match addr {
                    IpAddr::V4(a) => a.is_multicast(),
                    // Link-local scope: ff02::/16 (and the 0x1 flag combinations of it).
                    IpAddr::V6(a) => a.segments()[0] & 0xff0f == 0xff02,
                };
                if !ok {
                    self.error(
                        &t.span,
                        format!(
                            "({name}) mcast_dst_ip {} not{} multicast. Skipping...",
                            t.text,
                            if addr.is_ipv6() { " link-local" } else { "" }
                        ),
                    );
                    return true;
                }
                r.mcast_dst = Some(addr);
            }
            _ => return false,
        }
        true
    }
}

/// What this module keeps while the file is read.
#[derive(Debug, Default)]
pub(super) struct IoState {
    /// `vrrp_rx_bufs_policy` so far.
    rx: RxBits,
    /// What is left of `vrrp_delay_after_boot` at load time.
    boot_delay_left: Option<Duration>,
}

/// The bits keepalived ORs together for `vrrp_rx_bufs_policy`, across lines.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RxBits {
    mtu: bool,
    advert: bool,
    size: Option<u32>,
}

#[cfg(test)]
mod tests;
