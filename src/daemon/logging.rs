//! Log output as keepalived writes it (inventory §5.6): syslog with ident `Keepalived_vrrp` and
//! facility `daemon` (`-S`), and with `-l` the same lines on stderr prefixed by the C-locale
//! date (`Wed Nov 25 01:25:24 2026: (VI_1) Entering MASTER STATE`). `-D` adds debug lines.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

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
    /// syslog ident.
    pub ident: String,
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

/// Install the global subscriber. Call once, after daemonising (the syslog socket and stderr
/// must be the final ones).
pub fn init(opts: &LogOptions) {
    let layer = KeepalivedLayer {
        opts: opts.clone(),
        syslog: if opts.syslog {
            UnixDatagram::unbound().ok().map(Mutex::new)
        } else {
            None
        },
        max: if opts.detail > 0 {
            Level::DEBUG
        } else {
            Level::INFO
        },
    };
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct KeepalivedLayer {
    opts: LogOptions,
    syslog: Option<Mutex<UnixDatagram>>,
    max: Level,
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
        let level = *event.metadata().level();
        if level > self.max {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let now = chrono::Local::now();
        if self.opts.console {
            let line = format!("{}: {}\n", now.format("%a %b %e %H:%M:%S %Y"), v.0);
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        }
        if let Some(sock) = &self.syslog {
            let severity = match level {
                Level::ERROR => 3,
                Level::WARN => 4,
                Level::INFO => 6,
                _ => 7,
            };
            let pri = u16::from(self.opts.facility) * 8 + severity;
            let msg = format!(
                "<{pri}>{} {}[{}]: {}",
                now.format("%b %e %H:%M:%S"),
                self.opts.ident,
                std::process::id(),
                v.0
            );
            if let Ok(sock) = sock.lock() {
                let _ = sock.send_to(msg.as_bytes(), "/dev/log");
            }
        }
    }
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
}
