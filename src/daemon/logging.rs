//! Log output as keepalived writes it (inventory §5.6).
//!
//! * syslog to `/dev/log`, `LOG_PID`, facility `daemon` or `-S`'s. keepalived's parent logs as
//!   `Keepalived` and its VRRP child as `Keepalived_vrrp`; we are both, so lines logged with
//!   [`PARENT`] as their target take the parent's ident and all others the child's. A network
//!   namespace and an `instance` name append `_NAME` to both (`make_syslog_ident()`).
//! * Under systemd (`JOURNAL_STREAM` names our stderr) the same lines go to journald's native
//!   socket instead, with the ident, facility and pid as journald fields plus `VRRP_INSTANCE`
//!   for lines about an instance, so `journalctl VRRP_INSTANCE=VI_1` works.
//! * `-l`: also on stderr, prefixed by the C-locale date (`Wed Nov 25 01:25:24 2026: …`).
//! * `-D`: debug lines too.
//! * Lines about received packets ([`crate::vrrp::RX_LOG`]) pass a [`Limiter`]: a flood of bad
//!   or hostile adverts cannot fill the log, and what was held back is counted and reported
//!   ("N similar messages suppressed").

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::IpAddr;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The target of lines keepalived's parent process logs (start, stop, reload refusals): they
/// carry the `Keepalived` ident rather than `Keepalived_vrrp`.
pub const PARENT: &str = "keepalived::parent";

/// syslog's socket.
const DEV_LOG: &str = "/dev/log";
/// journald's native protocol socket.
const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";
/// How often suppressed-line counts are reported.
const FLUSH_EVERY: Duration = Duration::from_secs(10);

/// Where log lines go.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// `-l`: also to stderr.
    pub console: bool,
    /// Not `-G`.
    pub syslog: bool,
    /// syslog facility number (LOG_DAEMON = 3).
    pub facility: u8,
    /// `-D` count: 0 = info, 1+ = debug.
    pub detail: u8,
    /// `_NAMESPACE_INSTANCE` appended to both idents.
    pub ident_suffix: String,
}

impl LogOptions {
    /// The syslog ident of a line logged with `target`.
    pub fn ident(&self, target: &str) -> String {
        let base = if target == PARENT {
            "Keepalived"
        } else {
            "Keepalived_vrrp"
        };
        format!("{base}{}", self.ident_suffix)
    }
}

/// Parse `-S` as keepalived: a digit means local0..7, or `local0`..`local7`, `user`, `daemon`.
pub fn parse_facility(s: &str) -> Option<u8> {
    const LOCAL0: u8 = 16;
    match s {
        "user" => Some(1),
        "daemon" => Some(3),
        _ => {
            let digits = s.strip_prefix("local").unwrap_or(s);
            match digits.parse::<u8>() {
                Ok(n) if n <= 7 => Some(LOCAL0 + n),
                _ => None,
            }
        }
    }
}

/// Install the global subscriber and the thread that reports suppressed lines. Call once,
/// after daemonising (threads do not survive the fork; stderr must be the final one).
pub fn init(opts: &LogOptions) {
    let system = if !opts.syslog {
        None
    } else if journal_stream_is_stderr() && std::path::Path::new(JOURNAL_SOCKET).exists() {
        Some(Sink::Journald(PathBuf::from(JOURNAL_SOCKET)))
    } else {
        Some(Sink::Syslog(PathBuf::from(DEV_LOG)))
    };
    let inner = Arc::new(Inner {
        opts: opts.clone(),
        system,
        socket: UnixDatagram::unbound().ok(),
        limiter: Mutex::new(Limiter::new(Duration::from_secs(60), 5, 256)),
        max: if opts.detail > 0 {
            Level::DEBUG
        } else {
            Level::INFO
        },
    });
    let layer = KeepalivedLayer {
        inner: inner.clone(),
    };
    if tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .is_ok()
    {
        let _ = std::thread::Builder::new()
            .name("log-summary".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(FLUSH_EVERY);
                    inner.flush(Instant::now());
                }
            });
    }
}

/// systemd sets `JOURNAL_STREAM=DEV:INODE` for the stream it connected to our stdout/stderr;
/// a program whose stderr is that stream should speak journald's own protocol (systemd.exec(5)).
fn journal_stream_is_stderr() -> bool {
    let Ok(v) = std::env::var("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = v.split_once(':') else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<libc::dev_t>(), ino.parse::<libc::ino_t>()) else {
        return false;
    };
    nix::sys::stat::fstat(std::io::stderr()).is_ok_and(|st| st.st_dev == dev && st.st_ino == ino)
}

/// The system log a line goes to besides the console.
#[derive(Debug)]
enum Sink {
    /// RFC 3164 datagrams to `/dev/log`.
    Syslog(PathBuf),
    /// journald's native protocol.
    Journald(PathBuf),
}

struct Inner {
    opts: LogOptions,
    system: Option<Sink>,
    socket: Option<UnixDatagram>,
    limiter: Mutex<Limiter>,
    max: Level,
}

/// One line ready to be written.
struct Line<'a> {
    level: Level,
    target: &'a str,
    file: Option<&'a str>,
    line: Option<u32>,
    text: &'a str,
}

impl Inner {
    fn write(&self, l: &Line<'_>) {
        let now = chrono::Local::now();
        if self.opts.console {
            let out = format!("{}: {}\n", now.format("%a %b %e %H:%M:%S %Y"), l.text);
            let _ = std::io::stderr().lock().write_all(out.as_bytes());
        }
        let (Some(sink), Some(sock)) = (&self.system, &self.socket) else {
            return;
        };
        let ident = self.opts.ident(l.target);
        let pid = std::process::id();
        let _ = match sink {
            Sink::Syslog(path) => {
                let stamp = now.format("%b %e %H:%M:%S").to_string();
                let msg = syslog_datagram(self.opts.facility, l.level, &stamp, &ident, pid, l.text);
                sock.send_to(msg.as_bytes(), path)
            }
            Sink::Journald(path) => {
                let msg = journald_datagram(self.opts.facility, &ident, pid, l);
                sock.send_to(&msg, path)
            }
        };
    }

    /// Reports the counts of lines the limiter held back.
    fn flush(&self, now: Instant) {
        let due = match self.limiter.lock() {
            Ok(mut l) => l.due(now),
            Err(_) => return,
        };
        for text in due {
            self.write(&Line {
                level: Level::INFO,
                target: crate::vrrp::RX_LOG,
                file: None,
                line: None,
                text: &text,
            });
        }
    }
}

/// syslog severity of a tracing level (keepalived logs almost everything at LOG_INFO).
fn severity(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// `<PRI>Mmm dd hh:mm:ss IDENT[PID]: TEXT`, what glibc's `syslog()` sends to `/dev/log`.
fn syslog_datagram(
    facility: u8,
    level: Level,
    stamp: &str,
    ident: &str,
    pid: u32,
    text: &str,
) -> String {
    let pri = u16::from(facility) * 8 + u16::from(severity(level));
    format!("<{pri}>{stamp} {ident}[{pid}]: {text}")
}

/// The instance a line is about: keepalived starts those lines with `(NAME) `.
fn instance_of(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('(')?;
    let (name, after) = rest.split_once(')')?;
    (!name.is_empty() && !name.contains(char::is_whitespace) && after.starts_with(' '))
        .then_some(name)
}

/// One journald native-protocol datagram (systemd.io/JOURNAL_NATIVE_PROTOCOL): `KEY=value`
/// lines, or for a value holding a newline `KEY`, its length as 64-bit little endian, the value.
fn journald_datagram(facility: u8, ident: &str, pid: u32, l: &Line<'_>) -> Vec<u8> {
    fn field(buf: &mut Vec<u8>, key: &str, value: &str) {
        buf.extend_from_slice(key.as_bytes());
        if value.contains('\n') {
            buf.push(b'\n');
            buf.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            buf.push(b'=');
        }
        buf.extend_from_slice(value.as_bytes());
        buf.push(b'\n');
    }
    let mut buf = Vec::with_capacity(128 + l.text.len());
    field(&mut buf, "MESSAGE", l.text);
    field(&mut buf, "PRIORITY", &severity(l.level).to_string());
    field(&mut buf, "SYSLOG_IDENTIFIER", ident);
    field(&mut buf, "SYSLOG_FACILITY", &facility.to_string());
    field(&mut buf, "SYSLOG_PID", &pid.to_string());
    if let Some(name) = instance_of(l.text) {
        field(&mut buf, "VRRP_INSTANCE", name);
    }
    field(&mut buf, "TARGET", l.target);
    if let (Some(f), Some(n)) = (l.file, l.line) {
        field(&mut buf, "CODE_FILE", f);
        field(&mut buf, "CODE_LINE", &n.to_string());
    }
    buf
}

struct KeepalivedLayer {
    inner: Arc<Inner>,
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for KeepalivedLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let level = *meta.level();
        if level > self.inner.max {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        if meta.target() == crate::vrrp::RX_LOG {
            let admitted = self
                .inner
                .limiter
                .lock()
                .map_or(true, |mut l| l.admit(Instant::now(), &v.0));
            if !admitted {
                return;
            }
        }
        self.inner.write(&Line {
            level,
            target: meta.target(),
            file: meta.file(),
            line: meta.line(),
            text: &v.0,
        });
    }
}

/// Bounds repeated lines: per kind of line, at most `burst` in each `window`; the rest are
/// counted and reported once the window ends. Sans-IO: `now` is given.
///
/// Lines are of one kind when they match after addresses and numbers are blanked out (the
/// leading `(INSTANCE)` is kept), so a flood from many forged sources is still one kind. The
/// number of kinds tracked is bounded too; beyond it all new kinds share one budget.
#[derive(Debug)]
pub struct Limiter {
    window: Duration,
    burst: u32,
    max_kinds: usize,
    kinds: HashMap<String, Bucket>,
    pending: Vec<String>,
}

#[derive(Debug)]
struct Bucket {
    start: Instant,
    shown: u32,
    suppressed: u64,
    last: String,
}

/// The shared budget of kinds past `max_kinds`.
const OVERFLOW_KIND: &str = "\0overflow";

impl Limiter {
    /// At most `burst` lines of a kind per `window`, `max_kinds` kinds tracked.
    pub fn new(window: Duration, burst: u32, max_kinds: usize) -> Self {
        Self {
            window,
            burst,
            max_kinds,
            kinds: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// Whether `text` may be logged now; if not it is counted.
    pub fn admit(&mut self, now: Instant, text: &str) -> bool {
        let mut kind = line_kind(text);
        if !self.kinds.contains_key(&kind) && self.kinds.len() >= self.max_kinds {
            kind = OVERFLOW_KIND.to_string();
        }
        let window = self.window;
        let b = self.kinds.entry(kind).or_insert_with(|| Bucket {
            start: now,
            shown: 0,
            suppressed: 0,
            last: String::new(),
        });
        if now.saturating_duration_since(b.start) >= window {
            if let Some(s) = b.summary(window) {
                self.pending.push(s);
            }
            *b = Bucket {
                start: now,
                shown: 0,
                suppressed: 0,
                last: String::new(),
            };
        }
        if b.shown < self.burst {
            b.shown += 1;
            true
        } else {
            b.suppressed += 1;
            b.last = text.to_string();
            false
        }
    }

    /// The summary lines due at `now`: kinds whose window ended with lines held back. Kinds
    /// quiet for a whole window are forgotten.
    pub fn due(&mut self, now: Instant) -> Vec<String> {
        let window = self.window;
        let mut out = std::mem::take(&mut self.pending);
        self.kinds.retain(|_, b| {
            if now.saturating_duration_since(b.start) < window {
                return true;
            }
            if let Some(s) = b.summary(window) {
                out.push(s);
            }
            false
        });
        out
    }
}

impl Bucket {
    fn summary(&self, window: Duration) -> Option<String> {
        if self.suppressed == 0 {
            return None;
        }
        let (prefix, rest) = match instance_of(&self.last) {
            Some(name) => (format!("({name}) "), &self.last[name.len() + 3..]),
            None => (String::new(), self.last.as_str()),
        };
        Some(format!(
            "{prefix}{} similar messages suppressed in {} s, last one: {rest}",
            self.suppressed,
            window.as_secs()
        ))
    }
}

/// A line with its addresses and numbers blanked out, the `(INSTANCE)` prefix kept.
fn line_kind(text: &str) -> String {
    let (prefix, rest) = match instance_of(text) {
        Some(name) => text.split_at(name.len() + 2),
        None => ("", text),
    };
    let mut out = String::from(prefix);
    for word in rest.split(' ') {
        out.push(' ');
        let core = word.trim_matches(|c: char| matches!(c, '.' | ',' | '!' | ':' | '(' | ')'));
        if !core.is_empty() && core.parse::<IpAddr>().is_ok() {
            out.push_str("<addr>");
            continue;
        }
        let mut in_digits = false;
        for c in word.chars() {
            if c.is_ascii_digit() {
                if !in_digits {
                    out.push('#');
                }
                in_digits = true;
            } else {
                out.push(c);
                in_digits = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_follow_keepalived_names() {
        assert_eq!(parse_facility("daemon"), Some(3));
        assert_eq!(parse_facility("user"), Some(1));
        assert_eq!(parse_facility("0"), Some(16));
        assert_eq!(parse_facility("local7"), Some(23));
        assert_eq!(parse_facility("8"), None);
        assert_eq!(parse_facility("kern"), None);
    }

    fn opts(suffix: &str) -> LogOptions {
        LogOptions {
            console: false,
            syslog: true,
            facility: 3,
            detail: 0,
            ident_suffix: suffix.into(),
        }
    }

    #[test]
    fn idents_of_parent_and_vrrp_lines() {
        assert_eq!(opts("").ident(PARENT), "Keepalived");
        assert_eq!(
            opts("").ident("keepalived::vrrp::instance"),
            "Keepalived_vrrp"
        );
        assert_eq!(
            opts("_blue_east").ident("keepalived::daemon"),
            "Keepalived_vrrp_blue_east"
        );
        assert_eq!(opts("_blue").ident(PARENT), "Keepalived_blue");
    }

    #[test]
    fn syslog_datagram_as_glibc_sends_it() {
        // -S 2 = local2 (18): 18 * 8 + LOG_INFO (6) = 150.
        let d = syslog_datagram(
            parse_facility("2").unwrap(),
            Level::INFO,
            "Dec  5 09:04:44",
            "Keepalived_vrrp_blue",
            42,
            "(VI_1) Entering MASTER STATE",
        );
        assert_eq!(
            d,
            "<150>Dec  5 09:04:44 Keepalived_vrrp_blue[42]: (VI_1) Entering MASTER STATE"
        );
        assert!(syslog_datagram(3, Level::ERROR, "x", "K", 1, "m").starts_with("<27>"));
    }

    fn fields(d: &[u8]) -> HashMap<String, String> {
        // Plain `KEY=value` lines plus the binary form for values with newlines.
        let mut out = HashMap::new();
        let mut i = 0;
        while i < d.len() {
            let end = i + d[i..].iter().position(|&b| b == b'\n').unwrap();
            let line = std::str::from_utf8(&d[i..end]).unwrap();
            if let Some((k, v)) = line.split_once('=') {
                out.insert(k.to_string(), v.to_string());
                i = end + 1;
            } else {
                let len = u64::from_le_bytes(d[end + 1..end + 9].try_into().unwrap()) as usize;
                let v = std::str::from_utf8(&d[end + 9..end + 9 + len]).unwrap();
                out.insert(line.to_string(), v.to_string());
                i = end + 9 + len + 1;
            }
        }
        out
    }

    #[test]
    fn journald_fields() {
        let l = Line {
            level: Level::INFO,
            target: "keepalived::vrrp::instance",
            file: Some("src/vrrp/instance.rs"),
            line: Some(7),
            text: "(VI_1) Entering MASTER STATE",
        };
        let f = fields(&journald_datagram(19, "Keepalived_vrrp_blue", 42, &l));
        assert_eq!(f["MESSAGE"], "(VI_1) Entering MASTER STATE");
        assert_eq!(f["PRIORITY"], "6");
        assert_eq!(f["SYSLOG_IDENTIFIER"], "Keepalived_vrrp_blue");
        assert_eq!(f["SYSLOG_FACILITY"], "19");
        assert_eq!(f["SYSLOG_PID"], "42");
        assert_eq!(f["VRRP_INSTANCE"], "VI_1");
        assert_eq!(f["CODE_LINE"], "7");
        // A newline in the message takes the length-prefixed form; no instance on a
        // parser line whose parentheses hold a file position.
        let l = Line {
            text: "(k.conf: Line 3) two\nlines",
            file: None,
            line: None,
            ..l
        };
        let f = fields(&journald_datagram(3, "Keepalived", 1, &l));
        assert_eq!(f["MESSAGE"], "(k.conf: Line 3) two\nlines");
        assert!(!f.contains_key("VRRP_INSTANCE") && !f.contains_key("CODE_LINE"));
    }

    #[test]
    fn a_flood_is_cut_to_a_burst_per_window_and_counted() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Duration::from_secs(60), 5, 256);
        let mut shown = 0;
        // 40 bad adverts a second for 2 minutes, from changing forged sources.
        for i in 0..(40 * 120) {
            let t = t0 + Duration::from_millis(25 * i);
            let msg = format!(
                "(VI_1) received an invalid passwd from 203.0.113.{}!",
                i % 250
            );
            if l.admit(t, &msg) {
                shown += 1;
            }
        }
        assert_eq!(shown, 10, "5 in each of the two windows");
        let first = l.due(t0 + Duration::from_secs(125));
        assert_eq!(first.len(), 2, "{first:?}");
        assert_eq!(
            first[0],
            "(VI_1) 2395 similar messages suppressed in 60 s, last one: received an invalid passwd from 203.0.113.149!"
        );
        assert!(first[1].starts_with("(VI_1) 2395 similar messages suppressed"));
        // Nothing more to say, and the kind is forgotten: the next line shows at once.
        assert!(l.due(t0 + Duration::from_secs(200)).is_empty());
        assert!(l.admit(
            t0 + Duration::from_secs(201),
            "(VI_1) received an invalid passwd from 203.0.113.1!"
        ));
    }

    #[test]
    fn kinds_and_instances_have_their_own_budgets() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Duration::from_secs(60), 1, 256);
        assert!(l.admit(
            t0,
            "(VI_1) invalid TTL/HL from 198.51.100.9. Received 64 and expect 255"
        ));
        assert!(!l.admit(
            t0,
            "(VI_1) invalid TTL/HL from 198.51.100.7. Received 1 and expect 255"
        ));
        // Another check, another instance: not held back by the first.
        assert!(l.admit(t0, "(VI_1) received an invalid passwd from 198.51.100.9!"));
        assert!(l.admit(
            t0,
            "(VI_2) invalid TTL/HL from 198.51.100.9. Received 64 and expect 255"
        ));
        assert!(l.admit(t0, "(VI_1) Invalid VRRPv2 checksum from 2001:db8::9"));
        assert!(!l.admit(t0, "(VI_1) Invalid VRRPv2 checksum from 2001:db8::a"));
    }

    #[test]
    fn the_number_of_kinds_is_bounded() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Duration::from_secs(60), 1, 4);
        let admitted = (0..1000)
            .filter(|i| l.admit(t0, &format!("(VI_{i}) bad packet")))
            .count();
        // Four kinds of their own, then one shared budget of one line.
        assert_eq!(admitted, 5);
        assert!(l.kinds.len() <= 5);
        let due = l.due(t0 + Duration::from_secs(60));
        assert_eq!(due.len(), 1);
        assert!(
            due[0].starts_with("(VI_999) 995 similar messages suppressed"),
            "{due:?}"
        );
    }

    #[test]
    fn instance_prefix() {
        assert_eq!(instance_of("(VI_1) Entering MASTER STATE"), Some("VI_1"));
        assert_eq!(instance_of("(k.conf: Line 3) x"), None);
        assert_eq!(instance_of("(VI_1)"), None);
        assert_eq!(instance_of("Starting"), None);
    }
}
