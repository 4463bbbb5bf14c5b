//! The nf_tables netlink messages keepalived's VRRP firewall is made of, attribute for
//! attribute in libnftnl's order, so that a batch of ours is byte for byte the batch
//! keepalived 2.2.7 sends (sequence numbers aside; `tests.rs` compares them with captures).

use netlink_packet_core::{
    DefaultNla, Emitable, NLA_F_NESTED, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST, NetlinkMessage,
};
use netlink_packet_netfilter::nftables::{
    Bitwise, ChainAttribute, ChainMessage, Cmp, DataAttribute, Expressions, Hook, Immediate,
    InetHookNumber, ListAttribute, Lookup, Meta, MetaKey, NfTablesMessage, Operator, Payload,
    Register, RuleAttribute, RuleMessage, SetAttribute, SetElementAttribute, SetElementList,
    SetElementMessage, SetFlags, SetMessage, TableAttribute, TableMessage, Verdict,
    VerdictAttribute,
};
use netlink_packet_netfilter::none::ControlMessage;
use netlink_packet_netfilter::{NetfilterHeader, NetfilterMessage, NetfilterProtoFamily};

/// One message of a batch.
pub(crate) type Msg = NetlinkMessage<NetfilterMessage>;

/// `NFNL_SUBSYS_NFTABLES`: the batch delimiters' `res_id`.
const NFNL_SUBSYS_NFTABLES: u16 = 10;

/// The two table families keepalived uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `ip` (`NFPROTO_IPV4`).
    V4,
    /// `ip6` (`NFPROTO_IPV6`).
    V6,
}

impl Family {
    fn proto(self) -> NetfilterProtoFamily {
        match self {
            Family::V4 => NetfilterProtoFamily::IPv4,
            Family::V6 => NetfilterProtoFamily::IPv6,
        }
    }

    /// `ip` or `ip6`, as nft and keepalived's log lines name the family.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        }
    }
}

/// nftables' data types (nftables `include/datatype.h`): the set key types `nft` decodes.
const TYPE_IPADDR: u32 = 7;
const TYPE_IP6ADDR: u32 = 8;
const TYPE_IFINDEX: u32 = 20;
const TYPE_ICMPV6_TYPE: u32 = 29;
const TYPE_IFNAME: u32 = 41;
/// Bits per type in a concatenated key type.
const TYPE_BITS: u32 = 6;

/// The libnftnl userdata of a set: its key (and a map's value) byte order, which `nft list`
/// reads to print them.
fn set_userdata(key_type: u32, data_type: Option<u32>) -> Vec<u8> {
    // NFTNL_UDATA_SET_KEYBYTEORDER (0) then NFTNL_UDATA_SET_DATABYTEORDER (1), 4 bytes each,
    // BYTEORDER_BIG_ENDIAN (2) for addresses and BYTEORDER_HOST_ENDIAN (1) otherwise, in host
    // order as libnftnl writes them.
    let order = |t: u32| -> u32 {
        if matches!(t, TYPE_IPADDR | TYPE_IP6ADDR) {
            2
        } else {
            1
        }
    };
    let mut u = vec![0, 4];
    u.extend_from_slice(&order(key_type).to_ne_bytes());
    if let Some(t) = data_type {
        u.extend_from_slice(&[1, 4]);
        u.extend_from_slice(&order(t).to_ne_bytes());
    }
    u
}

/// A set keepalived creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetKind {
    /// `vips` of `ip`: `ipv4_addr`.
    Vips4,
    /// `vips` of `ip6`: `ipv6_addr`.
    Vips6,
    /// `vips_link_local`: `ipv6_addr . iface_index`.
    LinkLocalIndex,
    /// `vips_link_local_name`: `ipv6_addr . ifname`.
    LinkLocalName,
    /// `neighbor-discovery`: the constant `icmpv6_type` set of NS and NA.
    NeighborDiscovery,
    /// `vmac_map` of a family: `iface_index : iface_index`, a VMAC to its parent, where the
    /// VMAC's IGMP (MLD) reports are sent instead.
    VmacMap(Family),
    /// `vmac_set` of `ip6`: `iface_index`, the VMACs whose router solicitations are dropped.
    VmacSet,
}

impl SetKind {
    /// The set's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            SetKind::Vips4 | SetKind::Vips6 => "vips",
            SetKind::LinkLocalIndex => "vips_link_local",
            SetKind::LinkLocalName => "vips_link_local_name",
            SetKind::NeighborDiscovery => "neighbor-discovery",
            SetKind::VmacMap(_) => "vmac_map",
            SetKind::VmacSet => "vmac_set",
        }
    }

    /// The table family it lives in.
    pub fn family(self) -> Family {
        match self {
            SetKind::Vips4 | SetKind::VmacMap(Family::V4) => Family::V4,
            _ => Family::V6,
        }
    }

    fn key_type(self) -> u32 {
        match self {
            SetKind::Vips4 => TYPE_IPADDR,
            SetKind::Vips6 => TYPE_IP6ADDR,
            SetKind::LinkLocalIndex => (TYPE_IP6ADDR << TYPE_BITS) | TYPE_IFINDEX,
            // keepalived asks `nft -v` whether it knows `ifname` (0.8.3 on); every nft and
            // libnftnl Debian ships does.
            SetKind::LinkLocalName => (TYPE_IP6ADDR << TYPE_BITS) | TYPE_IFNAME,
            SetKind::NeighborDiscovery => TYPE_ICMPV6_TYPE,
            SetKind::VmacMap(_) | SetKind::VmacSet => TYPE_IFINDEX,
        }
    }

    /// The value type of a map.
    fn data_type(self) -> Option<u32> {
        matches!(self, SetKind::VmacMap(_)).then_some(TYPE_IFINDEX)
    }

    fn key_len(self) -> u32 {
        match self {
            SetKind::Vips4 => 4,
            SetKind::Vips6 => 16,
            SetKind::LinkLocalIndex => 16 + 4,
            SetKind::LinkLocalName => 16 + 16,
            SetKind::NeighborDiscovery => 1,
            SetKind::VmacMap(_) | SetKind::VmacSet => 4,
        }
    }
}

fn nft(family: Family, flags: u16, m: NfTablesMessage) -> Msg {
    let mut msg = NetlinkMessage::from(NetfilterMessage::new(
        NetfilterHeader::new(family.proto(), 0, 0),
        m,
    ));
    msg.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    msg
}

fn control(m: ControlMessage) -> Msg {
    let mut msg = NetlinkMessage::from(NetfilterMessage::new(
        NetfilterHeader::new(NetfilterProtoFamily::Unspec, 0, NFNL_SUBSYS_NFTABLES),
        m,
    ));
    msg.header.flags = NLM_F_REQUEST;
    msg
}

/// `NFNL_MSG_BATCH_BEGIN`.
pub(crate) fn batch_begin() -> Msg {
    control(ControlMessage::BatchBegin)
}

/// `NFNL_MSG_BATCH_END`.
pub(crate) fn batch_end() -> Msg {
    control(ControlMessage::BatchEnd)
}

/// `nft list table FAMILY NAME` without the listing: is the table there?
pub(crate) fn get_table(family: Family, table: &str) -> Msg {
    let t = TableMessage {
        attributes: vec![TableAttribute::Name(table.into())],
    };
    nft(family, 0, NfTablesMessage::GetTable(t))
}

/// `nft add table FAMILY NAME`.
pub(crate) fn new_table(family: Family, table: &str) -> Msg {
    let t = TableMessage {
        attributes: vec![TableAttribute::Name(table.into())],
    };
    nft(family, NLM_F_CREATE, NfTablesMessage::NewTable(t))
}

/// `nft delete table FAMILY NAME`: everything in it goes too.
pub(crate) fn del_table(family: Family, table: &str) -> Msg {
    let t = TableMessage {
        attributes: vec![TableAttribute::Name(table.into())],
    };
    nft(family, 0, NfTablesMessage::DeleteTable(t))
}

/// The hook of a base chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChainHook {
    /// `hook input`: chain `in`.
    Input,
    /// `hook output`: chain `out`.
    Output,
}

/// `nft add chain FAMILY TABLE NAME { type filter hook HOOK priority PRIO; policy accept; }`.
pub(crate) fn base_chain(
    family: Family,
    table: &str,
    name: &str,
    hook: ChainHook,
    priority: i32,
) -> Msg {
    let num = match hook {
        ChainHook::Input => InetHookNumber::LocalIn,
        ChainHook::Output => InetHookNumber::LocalOut,
    };
    let c = ChainMessage {
        attributes: vec![
            ChainAttribute::Table(table.into()),
            ChainAttribute::Name(name.into()),
            ChainAttribute::Hook(vec![
                Hook::Number(num.into()),
                Hook::Priority(priority as u32),
            ]),
            ChainAttribute::Policy(NF_ACCEPT),
            ChainAttribute::Type("filter".into()),
        ],
    };
    nft(family, NLM_F_CREATE, NfTablesMessage::NewChain(c))
}

/// `nft add chain FAMILY TABLE NAME`: a regular chain, reached by `goto`.
pub(crate) fn chain(family: Family, table: &str, name: &str) -> Msg {
    let c = ChainMessage {
        attributes: vec![
            ChainAttribute::Table(table.into()),
            ChainAttribute::Name(name.into()),
        ],
    };
    nft(family, NLM_F_CREATE, NfTablesMessage::NewChain(c))
}

/// `nft add set FAMILY TABLE NAME { type …; }`; `id` is the set's id in the transaction.
pub(crate) fn new_set(table: &str, kind: SetKind, id: u32) -> Msg {
    let mut attributes = vec![
        SetAttribute::Table(table.into()),
        SetAttribute::Name(kind.name().into()),
    ];
    match kind {
        SetKind::NeighborDiscovery => attributes.push(SetAttribute::Flags(SetFlags::Constant)),
        SetKind::VmacMap(_) => attributes.push(SetAttribute::Flags(SetFlags::Map)),
        _ => {}
    }
    attributes.extend([
        SetAttribute::KeyType(kind.key_type()),
        SetAttribute::KeyLen(kind.key_len()),
    ]);
    if let Some(t) = kind.data_type() {
        // A map's values are interface indexes too, 4 bytes.
        attributes.extend([SetAttribute::DataType(t), SetAttribute::DataLen(4)]);
    }
    attributes.extend([
        SetAttribute::Id(id),
        SetAttribute::UserData(set_userdata(kind.key_type(), kind.data_type())),
    ]);
    nft(
        kind.family(),
        NLM_F_CREATE,
        NfTablesMessage::NewSet(SetMessage { attributes }),
    )
}

/// One element of a set: its key's bytes and, in a map, the bytes of the value it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetElem {
    pub(crate) key: Vec<u8>,
    pub(crate) data: Option<Vec<u8>>,
}

impl SetElem {
    /// An element of a plain set.
    pub(crate) fn key(key: Vec<u8>) -> Self {
        Self { key, data: None }
    }
}

/// Add (`add`) or delete elements of a set. libnftnl numbers the list entries 1, 2, 3…,
/// which we keep; `set_id` is given only while the set is being created in the same batch
/// (keepalived does so for `neighbor-discovery` and the VMAC sets).
pub(crate) fn set_elems(
    table: &str,
    kind: SetKind,
    set_id: Option<u32>,
    elems: &[SetElem],
    add: bool,
) -> Msg {
    let elements = elems
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut attrs = vec![SetElementAttribute::Key(DataAttribute::Value(
                e.key.clone(),
            ))];
            if let Some(d) = &e.data {
                attrs.push(SetElementAttribute::Data(DataAttribute::Value(d.clone())));
            }
            let mut value = vec![0; attrs.as_slice().buffer_len()];
            attrs.as_slice().emit(&mut value);
            ListAttribute::Other(DefaultNla::new((i as u16 + 1) | NLA_F_NESTED, value))
        })
        .collect();
    let mut attributes = vec![SetElementList::Set(kind.name().into())];
    if let Some(id) = set_id {
        attributes.push(SetElementList::SetId(id));
    }
    attributes.extend([
        SetElementList::Table(table.into()),
        SetElementList::Elements(elements),
    ]);
    let m = SetElementMessage { attributes };
    match (add, kind) {
        (false, _) => nft(kind.family(), 0, NfTablesMessage::DeleteSetElement(m)),
        // The VIP sets refuse an element already there; the others take it again.
        (true, SetKind::NeighborDiscovery | SetKind::VmacMap(_) | SetKind::VmacSet) => nft(
            kind.family(),
            NLM_F_CREATE,
            NfTablesMessage::NewSetElement(m),
        ),
        (true, _) => nft(
            kind.family(),
            NLM_F_CREATE | NLM_F_EXCL,
            NfTablesMessage::NewSetElement(m),
        ),
    }
}

/// `NF_DROP`.
const NF_DROP: u32 = 0;
/// `NF_ACCEPT`: the chains' policy and the neighbour-discovery verdict.
const NF_ACCEPT: u32 = 1;
/// `NFT_PAYLOAD_NETWORK_HEADER`.
const NETWORK_HEADER: u32 = 1;
/// `NFT_PAYLOAD_TRANSPORT_HEADER`.
const TRANSPORT_HEADER: u32 = 2;

fn payload(base: u32, offset: u32, len: u32) -> Expressions {
    Expressions::Payload(vec![
        Payload::DestinationRegister(Register::Reg1),
        Payload::Base(base),
        Payload::Offset(offset),
        Payload::Len(len),
    ])
}

fn lookup(set: &str) -> Expressions {
    Expressions::Lookup(vec![
        Lookup::SourceRegister(Register::Reg1),
        Lookup::Set(set.into()),
    ])
}

/// A lookup of register 2 in the VMAC rules: with `map`, the value found replaces the key in
/// register 2. keepalived gives set id 1 whatever the set's id (the kernel finds the set by
/// name first).
fn lookup_vmac(set: &str, map: bool) -> Expressions {
    let mut l = vec![Lookup::SourceRegister(Register::Reg2)];
    if map {
        l.push(Lookup::DestinationRegister(Register::Reg2));
    }
    l.extend([Lookup::Set(set.into()), Lookup::SetId(1)]);
    Expressions::Lookup(l)
}

fn cmp_eq(value: Vec<u8>) -> Expressions {
    cmp_eq_in(Register::Reg1, value)
}

fn cmp_eq_in(reg: Register, value: Vec<u8>) -> Expressions {
    Expressions::Cmp(vec![
        Cmp::SourceRegister(reg),
        Cmp::Op(Operator::Equal),
        Cmp::Data(DataAttribute::Value(value)),
    ])
}

fn meta(key: MetaKey, reg: Register) -> Expressions {
    Expressions::Meta(vec![Meta::Key(key), Meta::DestinationRegister(reg)])
}

/// `dup to <address in register 1> device <index in register 2>` (`NFTA_DUP_SREG_ADDR`,
/// `NFTA_DUP_SREG_DEV`), which the crate has no type for.
fn dup() -> Expressions {
    let reg = |kind: u16, r: u32| DefaultNla::new(kind, r.to_be_bytes().to_vec());
    Expressions::Other {
        expression_type: "dup".into(),
        attributes: vec![reg(1, 1), reg(2, 2)],
    }
}

fn counter() -> Expressions {
    Expressions::Other {
        expression_type: "counter".into(),
        attributes: Vec::new(),
    }
}

fn verdict(code: Verdict, chain: Option<&str>) -> Expressions {
    let mut v = vec![VerdictAttribute::Code(code)];
    if let Some(c) = chain {
        v.push(VerdictAttribute::Chain(c.into()));
    }
    Expressions::Immediate(vec![
        Immediate::DestinationRegister(Register::Verdict),
        Immediate::Data(DataAttribute::Verdict(v)),
    ])
}

/// A rule appended to a chain; `counter` goes before the verdict, as `add_counter()` does.
fn rule(
    family: Family,
    table: &str,
    chain: &str,
    mut exprs: Vec<Expressions>,
    counters: bool,
) -> Msg {
    if counters {
        let at = exprs.len() - 1;
        exprs.insert(at, counter());
    }
    let r = RuleMessage {
        attributes: vec![
            RuleAttribute::Table(table.into()),
            RuleAttribute::Chain(chain.into()),
            RuleAttribute::Expressions(exprs.into_iter().map(Into::into).collect()),
        ],
    };
    nft(
        family,
        NLM_F_CREATE | NLM_F_APPEND,
        NfTablesMessage::NewRule(r),
    )
}

/// Offset and length of the source (`saddr`) or destination address in the IP header.
fn addr_field(family: Family, saddr: bool) -> (u32, u32) {
    match (family, saddr) {
        (Family::V4, true) => (12, 4),
        (Family::V4, false) => (16, 4),
        (Family::V6, true) => (8, 16),
        (Family::V6, false) => (24, 16),
    }
}

/// `ip daddr @vips drop` in `in`, `ip saddr @vips drop` in `out` (and the `ip6` pair).
pub(crate) fn vips_drop(family: Family, table: &str, out: bool, counters: bool) -> Msg {
    let (offset, len) = addr_field(family, out);
    rule(
        family,
        table,
        if out { "out" } else { "in" },
        vec![
            payload(NETWORK_HEADER, offset, len),
            lookup("vips"),
            verdict(Verdict::Other(NF_DROP), None),
        ],
        counters,
    )
}

/// `icmpv6 type @neighbor-discovery accept`: NS and NA for a VIP always pass, so that the
/// VIPs keep resolving while their traffic is dropped.
pub(crate) fn nd_accept(table: &str, chain: &str, counters: bool) -> Msg {
    rule(
        Family::V6,
        table,
        chain,
        vec![
            // ip6 nexthdr == icmpv6
            payload(NETWORK_HEADER, 6, 1),
            cmp_eq(vec![58]),
            payload(TRANSPORT_HEADER, 0, 1),
            lookup(SetKind::NeighborDiscovery.name()),
            verdict(Verdict::Other(NF_ACCEPT), None),
        ],
        counters,
    )
}

/// `ip6 daddr fe80::/10 goto in_link_local` (`saddr` and `out_link_local` in `out`).
pub(crate) fn link_local_goto(table: &str, out: bool, counters: bool) -> Msg {
    let (offset, len) = addr_field(Family::V6, out);
    let mut mask = vec![0; 16];
    mask[..2].copy_from_slice(&[0xff, 0xc0]);
    let mut fe80 = vec![0; 16];
    fe80[..2].copy_from_slice(&[0xfe, 0x80]);
    let (chain, dest) = if out {
        ("out", "out_link_local")
    } else {
        ("in", "in_link_local")
    };
    rule(
        Family::V6,
        table,
        chain,
        vec![
            payload(NETWORK_HEADER, offset, len),
            Expressions::Bitwise(vec![
                Bitwise::SourceRegister(Register::Reg1),
                Bitwise::DestinationRegister(Register::Reg1),
                Bitwise::Length(16),
                Bitwise::Mask(DataAttribute::Value(mask)),
                Bitwise::Xor(DataAttribute::Value(vec![0; 16])),
            ]),
            cmp_eq(fe80),
            verdict(Verdict::Goto, Some(dest)),
        ],
        counters,
    )
}

/// `ip6 daddr . iif @vips_link_local drop` in `in_link_local` (`saddr . oif` in
/// `out_link_local`; `iifname`/`oifname` with the name set): a link-local VIP is only
/// dropped on its own interface.
pub(crate) fn link_local_drop(table: &str, out: bool, kind: SetKind, counters: bool) -> Msg {
    let (offset, len) = addr_field(Family::V6, out);
    let by_name = kind == SetKind::LinkLocalName;
    let key = match (out, by_name) {
        (false, false) => MetaKey::Iif,
        (true, false) => MetaKey::Oif,
        (false, true) => MetaKey::Iifname,
        (true, true) => MetaKey::Oifname,
    };
    rule(
        Family::V6,
        table,
        if out {
            "out_link_local"
        } else {
            "in_link_local"
        },
        vec![
            payload(NETWORK_HEADER, offset, len),
            Expressions::Meta(vec![
                Meta::Key(key),
                Meta::DestinationRegister(Register::Reg2),
            ]),
            lookup(kind.name()),
            verdict(Verdict::Other(NF_DROP), None),
        ],
        counters,
    )
}

/// `IPPROTO_IGMP`, `IPPROTO_ICMPV6`.
const IPPROTO_IGMP: u8 = 2;
const IPPROTO_ICMPV6: u8 = 58;
/// ICMPv6 types: version 2 multicast listener report, router solicitation.
const ICMPV6_MLD2_REPORT: u8 = 143;
const ICMPV6_ROUTER_SOLICIT: u8 = 133;

/// `meta oifkind "macvlan"`: the interface kind, zero-padded to `IFNAMSIZ` as keepalived
/// compares it.
fn oifkind_macvlan() -> [Expressions; 2] {
    let mut kind = b"macvlan".to_vec();
    kind.resize(16, 0);
    [
        meta(MetaKey::Oifkind, Register::Reg2),
        cmp_eq_in(Register::Reg2, kind),
    ]
}

/// In `out`: `ip protocol igmp meta oifkind "macvlan" dup to ip daddr device oif map
/// @vmac_map drop` (the `ip6` rule matches `icmpv6 type mld2-listener-report`): a report a
/// VMAC would send, with the virtual MAC as source, leaves from its parent instead, with the
/// parent's own MAC, so that a switch never learns the virtual MAC on a backup's port.
pub(crate) fn move_igmp(family: Family, table: &str, counters: bool) -> Msg {
    let mut e = match family {
        Family::V4 => vec![
            payload(NETWORK_HEADER, 9, 1),
            cmp_eq(vec![IPPROTO_IGMP]),
            payload(NETWORK_HEADER, 16, 4),
        ],
        Family::V6 => vec![
            meta(MetaKey::L4Proto, Register::Reg1),
            cmp_eq(vec![IPPROTO_ICMPV6]),
            payload(TRANSPORT_HEADER, 0, 1),
            cmp_eq(vec![ICMPV6_MLD2_REPORT]),
            payload(NETWORK_HEADER, 24, 16),
        ],
    };
    e.extend(oifkind_macvlan());
    e.extend([
        meta(MetaKey::Oif, Register::Reg2),
        lookup_vmac(SetKind::VmacMap(family).name(), true),
        dup(),
        verdict(Verdict::Other(NF_DROP), None),
    ]);
    rule(family, table, "out", e, counters)
}

/// In `ip6 out`: `icmpv6 type nd-router-solicit meta oifkind "macvlan" oif @vmac_set drop`: a
/// VMAC never solicits routers with the virtual MAC.
pub(crate) fn drop_router_solicit(table: &str, counters: bool) -> Msg {
    let mut e = vec![
        meta(MetaKey::L4Proto, Register::Reg1),
        cmp_eq(vec![IPPROTO_ICMPV6]),
        payload(TRANSPORT_HEADER, 0, 1),
        cmp_eq(vec![ICMPV6_ROUTER_SOLICIT]),
    ];
    e.extend(oifkind_macvlan());
    e.extend([
        meta(MetaKey::Oif, Register::Reg2),
        lookup_vmac(SetKind::VmacSet.name(), false),
        verdict(Verdict::Other(NF_DROP), None),
    ]);
    rule(Family::V6, table, "out", e, counters)
}

/// Serialises `msgs` as one netlink datagram, numbering them from `seq`.
pub(crate) fn to_bytes(msgs: &mut [Msg], seq: &mut u32) -> Vec<u8> {
    let mut out = Vec::new();
    for m in msgs.iter_mut() {
        m.header.sequence_number = *seq;
        *seq = seq.wrapping_add(1);
        m.finalize();
        let at = out.len();
        out.resize(at + m.buffer_len(), 0);
        m.serialize(&mut out[at..]);
    }
    out
}
