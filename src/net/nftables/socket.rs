//! The `NETLINK_NETFILTER` socket the firewall batches go through. The kernel runs a batch
//! inside `sendmsg()` and queues one acknowledgement or error per message before it
//! returns, so a blocking read (bounded by a receive timeout) never waits on anything slow.

use std::io;
use std::num::NonZeroI32;
use std::time::Duration;

use netlink_packet_core::{ErrorBuffer, NetlinkBuffer};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

use super::msg::{self, Family, Msg};

/// `NLMSG_ERROR`: an acknowledgement (code 0) or an error.
const NLMSG_ERROR: u16 = 2;
/// `NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE`: the answer to a table query.
const NFT_NEWTABLE: u16 = 10 << 8;
/// How long the kernel may take to answer (it answers before `sendmsg()` returns).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// Errors of the nftables firewall.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Opening or using the netlink socket failed.
    #[error("nftables netlink socket: {0}")]
    Socket(#[source] io::Error),
    /// The kernel refused a message of the batch (the whole batch is then undone).
    #[error("nftables: {what} refused: {source}")]
    Refused {
        /// The message, e.g. `add set element ip keepalived vips`.
        what: String,
        /// The errno the kernel answered.
        source: io::Error,
    },
    /// The kernel did not answer every message in time.
    #[error("nftables: no answer from the kernel for {0} message(s)")]
    NoAnswer(usize),
}

/// A bound `NETLINK_NETFILTER` socket and the sequence numbers of its requests.
#[derive(Debug)]
pub(crate) struct NftSocket {
    sock: Socket,
    seq: u32,
}

impl NftSocket {
    pub(crate) fn open() -> Result<Self, Error> {
        let mut sock = Socket::new(NETLINK_NETFILTER).map_err(Error::Socket)?;
        sock.bind_auto().map_err(Error::Socket)?;
        sock.connect(&SocketAddr::new(0, 0))
            .map_err(Error::Socket)?;
        set_rcv_timeout(&sock, REPLY_TIMEOUT).map_err(Error::Socket)?;
        // keepalived starts from the time of day; any start works, this keeps runs apart.
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() as u32);
        Ok(Self { sock, seq })
    }

    /// Whether table `FAMILY NAME` exists (`NFT_MSG_GETTABLE`: the table, or `ENOENT`).
    pub(crate) fn table_exists(&mut self, family: Family, table: &str) -> Result<bool, Error> {
        let mut m = [msg::get_table(family, table)];
        let first = self.seq;
        let bytes = msg::to_bytes(&mut m, &mut self.seq);
        self.sock.send(&bytes, 0).map_err(Error::Socket)?;
        let mut found = false;
        let mut done = false;
        while !done {
            let buf = self.recv()?;
            for (ty, seq, _) in messages(&buf) {
                match ty {
                    _ if seq != first => {}
                    NFT_NEWTABLE => found = true,
                    // The acknowledgement after the table, or ENOENT without one.
                    NLMSG_ERROR => done = true,
                    _ => {}
                }
            }
        }
        Ok(found)
    }

    /// Sends `msgs` as one batch and waits for every answer; the first refusal is the error.
    pub(crate) fn exchange(&mut self, msgs: Vec<Msg>) -> Result<(), Error> {
        if msgs.is_empty() {
            return Ok(());
        }
        let mut batch = Vec::with_capacity(msgs.len() + 2);
        batch.push(msg::batch_begin());
        batch.extend(msgs);
        batch.push(msg::batch_end());
        let first = self.seq;
        let bytes = msg::to_bytes(&mut batch, &mut self.seq);
        let what: Vec<String> = batch.iter().map(describe).collect();
        // Every message between the delimiters asks for an acknowledgement.
        let mut waiting = batch.len() - 2;
        self.sock.send(&bytes, 0).map_err(Error::Socket)?;
        let mut refused = None;
        while waiting > 0 {
            let buf = match self.recv() {
                Ok(b) => b,
                Err(_) if refused.is_some() => break,
                Err(Error::Socket(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(Error::NoAnswer(waiting));
                }
                Err(e) => return Err(e),
            };
            for (ty, seq, payload) in messages(&buf) {
                if ty != NLMSG_ERROR {
                    continue;
                }
                let i = seq.wrapping_sub(first) as usize;
                if i == 0 || i >= what.len() {
                    continue;
                }
                waiting = waiting.saturating_sub(1);
                let code = ErrorBuffer::new_checked(payload)
                    .ok()
                    .and_then(|e| e.code())
                    .map(NonZeroI32::get);
                if let (Some(code), None) = (code, &refused) {
                    refused = Some(Error::Refused {
                        what: what[i].clone(),
                        source: io::Error::from_raw_os_error(-code),
                    });
                }
            }
        }
        match refused {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn recv(&self) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::with_capacity(65536);
        self.sock.recv(&mut buf, 0).map_err(Error::Socket)?;
        Ok(buf)
    }
}

/// (type, sequence number, whole message) of every netlink message in a datagram.
fn messages(buf: &[u8]) -> Vec<(u16, u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let Ok(m) = NetlinkBuffer::new_checked(&buf[at..]) else {
            break;
        };
        let len = m.length() as usize;
        out.push((m.message_type(), m.sequence_number(), m.payload()));
        at += (len + 3) & !3;
    }
    out
}

/// `add set element ip keepalived vips`: what a message does, for error lines.
fn describe(m: &Msg) -> String {
    use netlink_packet_core::NetlinkPayload;
    use netlink_packet_netfilter::NetfilterMessageInner as I;
    use netlink_packet_netfilter::nftables::{
        ChainAttribute as C, NfTablesMessage as N, RuleAttribute as R, SetAttribute as S,
        SetElementList as E, TableAttribute as T,
    };
    let NetlinkPayload::InnerMessage(nf) = &m.payload else {
        return "message".into();
    };
    let family = match nf.header.family {
        netlink_packet_netfilter::NetfilterProtoFamily::IPv4 => "ip",
        _ => "ip6",
    };
    let table = |t: &[T]| {
        t.iter()
            .find_map(|a| match a {
                T::Name(n) => Some(n.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let (what, names) = match &nf.inner {
        I::NfTables(n) => match n {
            N::NewTable(t) => ("add table", table(&t.attributes)),
            N::DeleteTable(t) => ("delete table", table(&t.attributes)),
            N::GetTable(t) => ("get table", table(&t.attributes)),
            N::NewChain(c) => (
                "add chain",
                c.attributes
                    .iter()
                    .filter_map(|a| match a {
                        C::Table(n) | C::Name(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            N::NewRule(r) => (
                "add rule",
                r.attributes
                    .iter()
                    .filter_map(|a| match a {
                        R::Table(n) | R::Chain(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            N::NewSet(x) => (
                "add set",
                x.attributes
                    .iter()
                    .filter_map(|a| match a {
                        S::Table(n) | S::Name(n) => Some(n.as_str()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            N::NewSetElement(x) | N::DeleteSetElement(x) => {
                let mut t = "";
                let mut set = "";
                for a in &x.attributes {
                    match a {
                        E::Table(n) => t = n,
                        E::Set(n) => set = n,
                        _ => {}
                    }
                }
                let what = if matches!(n, N::NewSetElement(_)) {
                    "add set element"
                } else {
                    "delete set element"
                };
                (what, format!("{t} {set}"))
            }
            _ => ("request", String::new()),
        },
        _ => return "batch delimiter".into(),
    };
    format!("{what} {family} {names}")
}

fn set_rcv_timeout(sock: &Socket, t: Duration) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let tv = libc::timeval {
        tv_sec: t.as_secs() as libc::time_t,
        tv_usec: t.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: a valid socket descriptor and a timeval of the size passed.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
