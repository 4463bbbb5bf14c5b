//! VMAC keywords (inventory §8.10): `use_vmac [NAME] [MAC]`, `use_vmac_addr`,
//! `vmac_xmit_base`, `garp_extra_if` / `vmac_garp_intvl` and a VIP's `use_vmac` option in
//! `vrrp_instance`; `vmac_prefix`, `vmac_addr_prefix`, `vrrp_garp_extra_if` /
//! `vrrp_vmac_garp_intvl` in `global_defs`. Parsed with keepalived 2.2.7's rules and messages
//! (`vrrp_vmac_handler()`, `vrrp_garp_extra_if_handler()`), then derived as
//! `vrrp_end_handler()` and `vrrp_complete_instance()` do: unicast forces `vmac_xmit_base`,
//! strict mode clears it and a configured MAC, default names `<prefix>.<VRID>`, VIPs placed on
//! the VMACs, one extra VMAC per other interface for `use_vmac_addr`.
//!
//! Names are given once every instance is read ([`Validator::finish_vmacs`]): keepalived names
//! VMACs only after parsing all instances, so a later instance's configured name is already
//! taken when an earlier instance gets its default one.

use std::net::IpAddr;
use std::time::Duration;

use super::super::diag::{Level, Severity, Span};
use super::super::tree::Stmt;
use super::{RawInstance, Validator};
use crate::model::{GarpExtraIf, InstanceVmac, VRRP_MAC_PREFIX, Vmac, vrrp_mac};

/// The sysctl `disable_local_igmp` sets to 0.
const IGMP_LINK_LOCAL_REPORTS: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// `IFNAMSIZ`: interface names are at most 15 bytes.
const IFNAMSIZ: usize = 16;

/// The VMAC keywords of one instance as written.
#[derive(Debug, Default)]
pub(super) struct RawVmac {
    /// `use_vmac` was given.
    use_vmac: bool,
    /// `use_vmac NAME` (valid and not taken); `None` = a default name.
    name: Option<String>,
    /// Where the name was written, for the host check's message.
    name_span: Option<Span>,
    /// `use_vmac MAC` (valid, not multicast, not an RFC 5798 address).
    mac: Option<[u8; 6]>,
    /// The MAC had five octets: the VRID completes it.
    mac_uses_vrid: bool,
    /// `use_vmac_addr`.
    use_vmac_addr: bool,
    /// `vmac_xmit_base`.
    xmit_base: bool,
    /// `garp_extra_if SECS`; `None` = inherit `vrrp_garp_extra_if`.
    garp_extra_if: Option<u32>,
    /// `garp_extra_if all` (kept even when the line has no valid time, as keepalived does).
    garp_extra_all: bool,
    /// VIPs whose line carries the `use_vmac` option.
    pub(super) vip_use_vmac: Vec<IpAddr>,
}

/// What `finish_vmacs` needs of an instance besides its model: the raw settings keepalived
/// resolves only after every instance is read.
#[derive(Debug)]
pub(super) struct Pending {
    name: String,
    span: Span,
    vip_use_vmac: Vec<IpAddr>,
    /// The configured MAC (with the VRID filled in), also used for VIPs' VMACs.
    mac: Option<[u8; 6]>,
    garp_secs: Option<u32>,
    garp_all: bool,
}

/// What the kernel says about an interface that already exists (only read with host checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HostLink {
    name: String,
    index: u32,
    /// `IFLA_LINK`: the interface a macvlan sits on.
    parent: Option<u32>,
    /// `IFLA_INFO_KIND` is `macvlan`.
    macvlan: bool,
    /// Its macvlan mode is `private`.
    private: bool,
    mac: [u8; 6],
}

impl Validator<'_> {
    /// The VMAC keywords of `global_defs`; true when `stmt` was one of them.
    pub(super) fn global_vmac(&mut self, stmt: &Stmt) -> bool {
        let kw = stmt.keyword();
        match kw {
            "vmac_prefix" | "vmac_addr_prefix" => {
                let Some(t) = self.arg(stmt, 1) else {
                    return true;
                };
                let g = &mut self.config.global;
                let (slot, what) = if kw == "vmac_prefix" {
                    (&mut g.vmac_prefix, "vmac")
                } else {
                    (&mut g.vmac_addr_prefix, "vmac_addr")
                };
                if slot.is_some() {
                    let msg = format!(
                        "{what} prefix has already been specified - ignoring {}",
                        t.text
                    );
                    self.error(&t.span, msg);
                } else {
                    *slot = Some(t.text.clone());
                }
            }
            "disable_local_igmp" => {
                let p = std::path::Path::new(IGMP_LINK_LOCAL_REPORTS);
                let writable = std::fs::OpenOptions::new().write(true).open(p).is_ok();
                if self.opts.check_interfaces && !writable {
                    let msg = format!("kernel does not support {IGMP_LINK_LOCAL_REPORTS}");
                    self.error(&stmt.line.span, msg);
                } else {
                    self.config.global.disable_local_igmp = true;
                }
            }
            "vrrp_garp_extra_if" | "vrrp_vmac_garp_intvl" => {
                if kw == "vrrp_vmac_garp_intvl" {
                    self.deprecated(
                        &stmt.line.words[0].span,
                        "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"",
                    );
                }
                let mut all = self.config.global.vrrp_garp_extra_if.is_some_and(|g| g.all);
                let mut secs = 0;
                for t in &stmt.line.words[1..] {
                    if t.text == "all" {
                        all = true;
                        continue;
                    }
                    match self.uint(t, 1, 86400) {
                        Some(v) => secs = v,
                        None => {
                            self.error(&t.span, format!("{kw} '{}' invalid - ignoring", t.text));
                            self.set_global_garp_all(all);
                            return true;
                        }
                    }
                }
                if secs == 0 {
                    self.error(
                        &stmt.line.span,
                        format!("{kw} specified without time - ignoring"),
                    );
                    self.set_global_garp_all(all);
                    return true;
                }
                self.config.global.vrrp_garp_extra_if = Some(GarpExtraIf {
                    interval: Duration::from_secs(secs),
                    all,
                });
            }
            _ => return false,
        }
        true
    }

    /// keepalived sets the global `all` flag before it checks the time: the flag stays.
    fn set_global_garp_all(&mut self, all: bool) {
        let g = &mut self.config.global.vrrp_garp_extra_if;
        match g {
            Some(x) => x.all = all,
            None if all => {
                *g = Some(GarpExtraIf {
                    interval: Duration::ZERO,
                    all,
                })
            }
            None => {}
        }
    }

    fn deprecated(&mut self, span: &Span, msg: &str) {
        self.rep
            .at(Severity::Warning, Some(Level::Deprecated), span, msg);
    }

    /// The VMAC keywords of `vrrp_instance`; true when `st` was one of them.
    pub(super) fn instance_vmac(&mut self, r: &mut RawInstance, st: &Stmt) -> bool {
        let kw = st.keyword();
        match kw {
            "use_vmac" => self.use_vmac(r, st),
            "use_vmac_addr" => r.vmac.use_vmac_addr = true,
            "vmac_xmit_base" => r.vmac.xmit_base = true,
            "garp_extra_if" | "vmac_garp_intvl" => {
                let name = r.name.clone();
                if kw == "vmac_garp_intvl" {
                    self.deprecated(
                        &st.line.words[0].span,
                        "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"",
                    );
                }
                let mut secs = None;
                for t in &st.line.words[1..] {
                    if t.text == "all" {
                        r.vmac.garp_extra_all = true;
                        continue;
                    }
                    match self.uint(t, 0, 86400) {
                        Some(v) => secs = Some(v as u32),
                        None => {
                            let msg = format!("({name}): {kw} '{}' invalid - ignoring", t.text);
                            self.error(&t.span, msg);
                            return true;
                        }
                    }
                }
                match secs {
                    Some(s) => r.vmac.garp_extra_if = Some(s),
                    None => self.error(
                        &st.line.span,
                        format!("({name}): {kw} specified without time - ignoring"),
                    ),
                }
            }
            _ => return false,
        }
        true
    }

    /// `use_vmac [NAME] [MAC]` (`vrrp_vmac_handler()`): the first two words only, each a MAC
    /// when it holds a `:` (interface names cannot), else a name.
    fn use_vmac(&mut self, r: &mut RawInstance, st: &Stmt) {
        r.vmac.use_vmac = true;
        let iname = r.name.clone();
        for t in st.line.words.iter().skip(1).take(2) {
            let word = t.text.as_str();
            if word.contains(':') {
                if r.vmac.mac.is_some() {
                    self.error(&t.span, "VMAC interface address already specified");
                    continue;
                }
                match parse_vmac_mac(word) {
                    MacParse::BadChars => {
                        self.error(&t.span, format!("VMAC invalid MAC address {word}"))
                    }
                    MacParse::Invalid => self.error(
                        &t.span,
                        format!("VMAC invalid MAC address {word} - ignored"),
                    ),
                    MacParse::Ok { mac, uses_vrid } => {
                        if mac[0] & 0x01 != 0 {
                            self.error(
                                &t.span,
                                format!("VMAC MAC address is multicast {word} - ignoring"),
                            );
                        } else if mac[..4] == VRRP_MAC_PREFIX && matches!(mac[4], 0x01 | 0x02) {
                            self.error(
                                &t.span,
                                format!(
                                    "VMAC MAC address not allowed to be RFC5798 address ({word}) - ignoring"
                                ),
                            );
                        } else {
                            r.vmac.mac = Some(mac);
                            r.vmac.mac_uses_vrid = uses_vrid;
                        }
                    }
                }
                continue;
            }
            if r.vmac.name.is_some() {
                self.error(&t.span, "VMAC interface name already specified");
                continue;
            }
            if !dev_name_valid(word) {
                self.error(
                    &t.span,
                    format!(
                        "VMAC interface name '{word}' too long or invalid characters - ignoring"
                    ),
                );
                continue;
            }
            if let Some(other) = self.config.instances.iter().find(|i| {
                i.vmac.name_configured && i.vmac.own.as_ref().is_some_and(|v| v.ifname == word)
            }) {
                let msg = format!(
                    "({iname}) VRRP instance {} is already using {word} - ignoring name",
                    other.name
                );
                self.error(&t.span, msg);
                continue;
            }
            if self.opts.check_interfaces {
                if let Some(h) = host_links().into_iter().find(|h| h.name == word) {
                    if !(h.macvlan && h.private) {
                        self.error(
                            &t.span,
                            format!("({iname}) interface {word} already exists and is not a private macvlan; ignoring vmac if_name"),
                        );
                        continue;
                    }
                }
            }
            r.vmac.name = Some(word.to_string());
            r.vmac.name_span = Some(t.span.clone());
        }
    }

    /// `vrrp_end_handler()` and the VMAC part of `vrrp_complete_instance()` that needs no
    /// other instance: unicast, strict mode, promote_secondaries, vmac_xmit_base alone. The
    /// names, the VIPs' interfaces and `garp_extra_if` come in [`Self::finish_vmacs`], from
    /// what this leaves in `vmac_pending`.
    pub(super) fn complete_vmac(
        &mut self,
        r: &RawInstance,
        span: &Span,
        vrid: u8,
        v6: bool,
        strict: bool,
    ) -> InstanceVmac {
        let name = &r.name;
        let raw = &r.vmac;
        let mut use_vmac = raw.use_vmac;
        let mut xmit_base = raw.xmit_base;
        // vrrp_end_handler(): any unicast keyword, peers or not.
        if r.unicast_configured && use_vmac {
            if r.interface.is_none() {
                self.error(
                    span,
                    format!("({name}): Cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac"),
                );
                use_vmac = false;
            } else if !xmit_base {
                self.error(
                    span,
                    format!("({name}) unicast with use_vmac requires vmac_xmit_base - setting"),
                );
                xmit_base = true;
            }
        }
        let mut mac = raw.mac;
        if strict && mac.is_some() {
            self.error(
                span,
                format!("({name}): cannot specify MAC address with strict mode - clearing"),
            );
            mac = None;
        }
        if let Some(m) = mac.as_mut().filter(|_| raw.mac_uses_vrid) {
            m[5] = vrid;
        }
        if use_vmac && self.opts.check_interfaces {
            if let Some((ifname, _)) = &r.interface {
                let ty = std::fs::read_to_string(format!("/sys/class/net/{ifname}/type"));
                if ty.is_ok_and(|t| t.trim() != "1") {
                    self.error(
                        span,
                        format!("({name}): vmacs are only supported on Ethernet type interfaces"),
                    );
                    use_vmac = false;
                    xmit_base = false;
                }
            }
        }
        if use_vmac && strict && xmit_base {
            self.error(
                span,
                format!("({name}) xmit_base is incompatible with strict mode - resetting"),
            );
            xmit_base = false;
        }
        if use_vmac && r.routes.promote_secondaries {
            self.error(
                span,
                format!("({name}) promote_secondaries is automatically set for vmacs - ignoring"),
            );
        }
        if xmit_base && !use_vmac {
            self.error(
                span,
                format!("({name}) vmac_xmit_base is only valid with a vmac"),
            );
            xmit_base = false;
        }
        let own = match (&r.interface, use_vmac) {
            (Some((parent, _)), true) => Some(Vmac {
                ifname: raw.name.clone().unwrap_or_default(),
                parent: parent.clone(),
                mac: mac.unwrap_or(vrrp_mac(vrid, v6)),
                ipv6: v6,
            }),
            _ => None,
        };
        self.vmac_pending.push(Pending {
            name: name.clone(),
            span: span.clone(),
            vip_use_vmac: raw.vip_use_vmac.clone(),
            mac,
            garp_secs: raw.garp_extra_if,
            garp_all: raw.garp_extra_all,
        });
        InstanceVmac {
            name_configured: own.is_some() && raw.name.is_some(),
            mac_configured: own.is_some() && mac.is_some(),
            mac_uses_vrid: own.is_some() && mac.is_some() && raw.mac_uses_vrid,
            own,
            xmit_base,
            use_vmac_addr: raw.use_vmac_addr,
            for_vips: Vec::new(),
            garp_extra_if: None,
        }
    }

    /// Names every VMAC and puts each VIP on its interface, instance by instance in config
    /// order as `vrrp_complete_instance()` does; then decides `garp_extra_if`.
    pub(super) fn finish_vmacs(&mut self) {
        let pending = std::mem::take(&mut self.vmac_pending);
        // By name: one entry per instance, so a scan per instance would be quadratic.
        let by_name: std::collections::HashMap<&str, &Pending> =
            pending.iter().map(|p| (p.name.as_str(), p)).collect();
        let wanted = self.config.instances.iter().any(|i| {
            i.vmac.own.is_some()
                || i.vmac.use_vmac_addr
                || by_name
                    .get(i.name.as_str())
                    .is_some_and(|p| !p.vip_use_vmac.is_empty())
        });
        let host = if self.opts.check_interfaces && wanted {
            host_links()
        } else {
            Vec::new()
        };
        let prefix = self
            .config
            .global
            .vmac_prefix
            .clone()
            .unwrap_or_else(|| "vrrp".into());
        let addr_prefix = self
            .config
            .global
            .vmac_addr_prefix
            .clone()
            .unwrap_or_else(|| prefix.clone());
        let global_extra = self.config.global.vrrp_garp_extra_if;
        for idx in 0..self.config.instances.len() {
            let inst = self.config.instances[idx].clone();
            let Some(&p) = by_name.get(inst.name.as_str()) else {
                continue;
            };
            let mut vm = inst.vmac.clone();
            if let Some(own) = vm.own.as_mut() {
                if let Some(h) = matching_host_vmac(&host, &own.parent, own.mac) {
                    if !own.ifname.is_empty() && own.ifname != h.name {
                        let msg = format!(
                            "({}) vmac name mismatch {} <=> {}. changing to {}.",
                            inst.name, own.ifname, h.name, h.name
                        );
                        self.rep.at(Severity::Note, None, &p.span, msg);
                    }
                    own.ifname = h.name.clone();
                } else if own.ifname.is_empty() {
                    own.ifname = self.vmac_name(&prefix, inst.vrid, own.ipv6, &host, &[]);
                }
            }
            let v6 = inst.vips.first().is_some_and(|v| v.addr.is_ipv6());
            let configured = inst.interface.clone();
            let instance_if = vm
                .own
                .as_ref()
                .map(|v| v.ifname.clone())
                .or(configured.clone());
            // vrrp_complete_instance() places VIPs and eVIPs alike.
            let mut vips = inst.vips.clone();
            let mut evips = inst.vips_excluded.clone();
            let (mut extra_if, mut extra_vmac) = (false, false);
            for vip in vips.iter_mut().chain(evips.iter_mut()) {
                let same_family = vip.addr.is_ipv6() == v6;
                let on_configured = vip.dev.is_none() || vip.dev == configured;
                let mut use_vmac = p.vip_use_vmac.contains(&vip.addr);
                if use_vmac {
                    let text = vip_text(vip.addr, vip.prefix_len);
                    if on_configured && vm.own.is_some() && same_family {
                        self.error(
                            &p.span,
                            format!(
                                "({}) use_vmac specified for VIP/eVIP {text} and vrrp instance",
                                inst.name
                            ),
                        );
                        use_vmac = false;
                    } else if (!on_configured || !same_family) && vm.use_vmac_addr {
                        self.error(
                            &p.span,
                            format!("({}) use_vmac_addr specified and use_vmac specified for VIP/eVIP {text}", inst.name),
                        );
                        use_vmac = false;
                    }
                }
                let extra = if on_configured {
                    if let (Some(own), true) = (&vm.own, same_family) {
                        vip.dev = Some(own.ifname.clone());
                        false
                    } else {
                        // An eVIP of the other family stays on the interface itself, not on
                        // the instance's VMAC (where its family may even be disabled).
                        if vm.own.is_some() {
                            vip.dev = configured.clone();
                        }
                        use_vmac || (vm.use_vmac_addr && !same_family)
                    }
                } else {
                    use_vmac || vm.use_vmac_addr
                };
                if extra {
                    if let Some(base) = vip.dev.clone().or(configured.clone()) {
                        let ipv6 = vip.addr.is_ipv6();
                        let mac = p.mac.unwrap_or(vrrp_mac(inst.vrid, ipv6));
                        let ifname =
                            self.vip_vmac(&vm, &base, mac, ipv6, &host, &addr_prefix, inst.vrid);
                        if !vm.for_vips.iter().any(|x| x.ifname == ifname) {
                            vm.for_vips.push(Vmac {
                                ifname: ifname.clone(),
                                parent: base,
                                mac,
                                ipv6,
                            });
                        }
                        vip.dev = Some(ifname);
                    }
                }
                let dev = vip.dev.clone().or(configured.clone());
                if dev != instance_if {
                    if vm.all().any(|x| Some(&x.ifname) == dev.as_ref()) {
                        extra_vmac = true;
                    } else {
                        extra_if = true;
                    }
                }
            }
            // The instance's garp_extra_if, else the global one (whose `all` also applies);
            // off when there is no interface it could send on.
            let (secs, all) = match (p.garp_secs, global_extra) {
                (Some(s), _) => (u64::from(s), p.garp_all),
                (None, Some(g)) => (g.interval.as_secs(), p.garp_all || g.all),
                (None, None) => (0, p.garp_all),
            };
            vm.garp_extra_if =
                (secs > 0 && (extra_vmac || (extra_if && all))).then(|| GarpExtraIf {
                    interval: Duration::from_secs(secs),
                    all,
                });
            let i = &mut self.config.instances[idx];
            i.vmac = vm;
            i.vips = vips;
            i.vips_excluded = evips;
        }
    }

    /// The VMAC of a VIP on `base` (`if_get_by_vmac()`, else a new name): one already made
    /// for this VRID, family and MAC on that interface by any instance, a matching macvlan on
    /// the host, or a new `<vmac_addr_prefix>.<VRID>`.
    #[allow(clippy::too_many_arguments)]
    fn vip_vmac(
        &mut self,
        vm: &InstanceVmac,
        base: &str,
        mac: [u8; 6],
        ipv6: bool,
        host: &[HostLink],
        prefix: &str,
        vrid: u8,
    ) -> String {
        let made = vm
            .for_vips
            .iter()
            .chain(
                self.config
                    .instances
                    .iter()
                    .flat_map(|i| i.vmac.for_vips.iter()),
            )
            .find(|x| x.parent == base && x.mac == mac && x.ipv6 == ipv6);
        if let Some(x) = made {
            return x.ifname.clone();
        }
        if let Some(h) = matching_host_vmac(host, base, mac) {
            return h.name.clone();
        }
        let own: Vec<String> = vm.all().map(|x| x.ifname.clone()).collect();
        self.vmac_name(prefix, vrid, ipv6, host, &own)
    }

    /// `create_vmac_name()`: `<prefix>.<VRID>`, else `<prefix>N.<VRID>` for N = 1, 2… (IPv6:
    /// 6 first, then 1…5, 7…), the first not used by any instance's VMAC nor by an existing
    /// interface. A prefix too long for the name is cut.
    fn vmac_name(
        &self,
        prefix: &str,
        vrid: u8,
        ipv6: bool,
        host: &[HostLink],
        also: &[String],
    ) -> String {
        let taken = |n: &str| {
            also.iter().any(|a| a == n)
                || self
                    .config
                    .instances
                    .iter()
                    .any(|i| i.vmac.all().any(|v| v.ifname == n))
                || host.iter().any(|h| h.name == n)
        };
        let make = |num: Option<u32>| {
            let tail = match num {
                Some(n) => format!("{n}.{vrid}"),
                None => format!(".{vrid}"),
            };
            let keep = (IFNAMSIZ - 1).saturating_sub(tail.len());
            let cut: String = prefix.chars().take(keep).collect();
            format!("{cut}{tail}")
        };
        let mut num: Option<u32> = None;
        loop {
            let name = make(num);
            if !taken(&name) {
                return name;
            }
            num = Some(match (num, ipv6) {
                (None, true) => 6,
                (Some(6), true) => 1,
                (Some(n), true) if n + 1 == 6 => 7,
                (Some(n), _) => n + 1,
                (None, false) => 1,
            });
        }
    }
}

/// A private macvlan with `mac` on the interface `parent`: one keepalived (or we) left there,
/// which is taken over instead of making a new one ("Found matching interface").
fn matching_host_vmac<'h>(
    host: &'h [HostLink],
    parent: &str,
    mac: [u8; 6],
) -> Option<&'h HostLink> {
    let parent = host.iter().find(|h| h.name == parent)?.index;
    host.iter()
        .find(|h| h.parent == Some(parent) && h.macvlan && h.private && h.mac == mac)
}

/// keepalived's `ipaddresstos()`: the address, with `/LEN` unless a host prefix.
fn vip_text(addr: IpAddr, prefix_len: u8) -> String {
    let host = if addr.is_ipv6() { 128 } else { 32 };
    if prefix_len == host {
        addr.to_string()
    } else {
        format!("{addr}/{prefix_len}")
    }
}

/// The kernel's `dev_valid_name()`: 1 to 15 bytes, not `.` or `..`, no `/`, `:` or space.
pub(super) fn dev_name_valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() < IFNAMSIZ
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace())
}

/// Outcome of reading a `use_vmac` MAC.
#[derive(Debug, PartialEq, Eq)]
enum MacParse {
    /// A character other than a hex digit or `:` ("VMAC invalid MAC address X").
    BadChars,
    /// Not six (or five) octets of one or two hex digits ("… - ignored").
    Invalid,
    /// Read; with five octets the sixth is the VRID.
    Ok { mac: [u8; 6], uses_vrid: bool },
}

/// keepalived 2.2.7's MAC reader: octets of one or two hex digits separated by `:`; five
/// octets (with or without a trailing `:`) leave the last one to the VRID; a trailing `:`
/// after six is accepted.
fn parse_vmac_mac(s: &str) -> MacParse {
    if !s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
        return MacParse::BadChars;
    }
    let mut mac = [0u8; 6];
    let mut rest = s;
    for (j, slot) in mac.iter_mut().enumerate() {
        let digits = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 0 || digits > 2 {
            return MacParse::Invalid;
        }
        *slot = u8::from_str_radix(&rest[..digits], 16).expect("hex digits");
        let after = &rest[digits..];
        if !after.starts_with(':') && (!after.is_empty() || j < 4) {
            return MacParse::Invalid;
        }
        if j == 4 && (after.is_empty() || after == ":") {
            return MacParse::Ok {
                mac,
                uses_vrid: true,
            };
        }
        rest = after.strip_prefix(':').unwrap_or(after);
        if rest.is_empty() && j < 5 {
            return MacParse::Invalid;
        }
    }
    MacParse::Ok {
        mac,
        uses_vrid: false,
    }
}

/// Every interface of this network namespace with what the VMAC checks need, read with one
/// synchronous rtnetlink dump (the macvlan kind and mode are not in `/sys`). Empty when
/// netlink cannot be read; the daemon checks again when it creates the VMACs.
pub(super) fn host_links() -> Vec<HostLink> {
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{
        InfoData, InfoKind, InfoMacVlan, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode,
    };
    use rtnetlink::packet_core::{NLM_F_DUMP, NLM_F_REQUEST, NetlinkMessage, NetlinkPayload};
    use rtnetlink::sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

    let Ok(mut sock) = Socket::new(NETLINK_ROUTE) else {
        return Vec::new();
    };
    if sock.bind_auto().is_err() || sock.connect(&SocketAddr::new(0, 0)).is_err() {
        return Vec::new();
    }
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetLink(LinkMessage::default()));
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.header.sequence_number = 1;
    req.finalize();
    let mut buf = vec![0u8; req.buffer_len()];
    req.serialize(&mut buf);
    if sock.send(&buf, 0).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rx = vec![0u8; 1 << 16];
    // Bounded: a dump of even thousands of links ends in far fewer datagrams.
    for _ in 0..10_000 {
        let n = match sock.recv(&mut &mut rx[..], 0) {
            Ok(n) if n > 0 => n,
            _ => return out,
        };
        let mut off = 0;
        while off < n {
            let Ok(msg) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rx[off..n]) else {
                return out;
            };
            let len = msg.header.length as usize;
            match msg.payload {
                NetlinkPayload::Done(_) | NetlinkPayload::Error(_) => return out,
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => {
                    let mut h = HostLink {
                        name: String::new(),
                        index: l.header.index,
                        parent: None,
                        macvlan: false,
                        private: false,
                        mac: [0; 6],
                    };
                    for a in &l.attributes {
                        match a {
                            LinkAttribute::IfName(n) => h.name = n.clone(),
                            LinkAttribute::Link(p) => h.parent = Some(*p),
                            LinkAttribute::Address(m) => {
                                if let Ok(m) = <[u8; 6]>::try_from(m.as_slice()) {
                                    h.mac = m;
                                }
                            }
                            LinkAttribute::LinkInfo(infos) => {
                                for i in infos {
                                    match i {
                                        LinkInfo::Kind(InfoKind::MacVlan) => h.macvlan = true,
                                        LinkInfo::Data(InfoData::MacVlan(d)) => {
                                            h.private = d.iter().any(|x| {
                                                matches!(x, InfoMacVlan::Mode(MacVlanMode::Private))
                                            })
                                        }
                                        _ => {}
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(h);
                }
                _ => {}
            }
            if len == 0 {
                return out;
            }
            off += len;
        }
    }
    out
}

#[cfg(test)]
mod tests;
