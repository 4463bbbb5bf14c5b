//! SMTP alert mails exactly as keepalived's `smtp.c` sends them (inventory §7): `HELO` (never
//! EHLO), `MAIL FROM`, one `RCPT TO` per `notification_email` entry in order, `DATA`, a fixed
//! header set (Date, From, Subject, X-Mailer, To), no dot-stuffing, `QUIT`. One connection per
//! mail, no queue, no retry, no TLS, no AUTH. `smtp_connect_timeout` bounds the connect and each
//! reply wait; a bad reply code or a timeout logs keepalived's line and ends with `QUIT`.
//!
//! Envelope addresses follow keepalived ≥ 2.3.3: an address written `Name <a@b>` is sent as
//! `<a@b>` (2.2.7 sent `<Name <a@b>>`, which servers reject). Headers follow 2.2.7 (one-line `To:`).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::model::Global;
use crate::notify::{Notification, NotifyState};

/// keepalived's receive buffer (`SMTP_BUFFER_MAX`): a longer reply is an error.
const REPLY_MAX: usize = 1024;
/// Subject buffer (`MAX_HEADERS_LENGTH`) minus the NUL.
const SUBJECT_MAX: usize = 255;
/// Body buffer (`MAX_BODY_LENGTH`) minus the NUL.
const BODY_MAX: usize = 511;

/// Why a mail was not (completely) sent. `Display` is keepalived's log line.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// `smtp_server` names a host that does not resolve.
    #[error("Cannot resolve SMTP server {0}.")]
    Resolve(String),
    /// The TCP connection failed.
    #[error("SMTP connection ERROR to {server}.")]
    Connect {
        /// `[IP]:PORT`.
        server: String,
        /// The OS error.
        source: io::Error,
    },
    /// The TCP connection did not complete within `smtp_connect_timeout`.
    #[error("Timeout connecting SMTP server {0}.")]
    ConnectTimeout(String),
    /// A reply did not arrive within `smtp_connect_timeout`.
    #[error("Timeout reading data to remote SMTP server {0}.")]
    ReadTimeout(String),
    /// Reading a reply failed.
    #[error("Error reading data from remote SMTP server {0}.")]
    Read(String),
    /// A reply longer than keepalived's 1024-byte buffer.
    #[error("Received buffer from remote SMTP server {0} overflow our get read buffer length.")]
    Overflow(String),
    /// The server closed the connection.
    #[error("Remote SMTP server {0} has closed the connection.")]
    Closed(String),
    /// Writing a command failed.
    #[error("Cannot send data to remote SMTP server {0}.")]
    Send(String),
    /// The server answered a command with an unexpected code.
    #[error("Error processing {cmd} cmd on SMTP server {server}. SMTP status code = {code}")]
    Rejected {
        /// keepalived's stage name: `(E)SMTP`, `HELO`, `MAIL`, `RCPT`, `DATA`, `BODY`.
        cmd: &'static str,
        /// `[IP]:PORT`.
        server: String,
        /// The reply code received.
        code: u16,
    },
}

/// One mail ready to be sent: envelope plus the `DATA` payload from [`format_message`].
#[derive(Debug, Clone, Copy)]
pub struct Mail<'a> {
    /// `HELO` argument.
    pub helo: &'a str,
    /// `notification_email_from` as written (`MAIL FROM` extracts `<…>` if present).
    pub from: &'a str,
    /// `notification_email`, one `RCPT TO` each, in order; must not be empty.
    pub to: &'a [String],
    /// Headers, body and the final `\r\n.\r\n`, as built by [`format_message`].
    pub data: &'a str,
}

/// The `DATA` payload, byte for byte as keepalived's `body_cmd()` sends it:
/// `Date`, `From`, `Subject`, `X-Mailer: Keepalived`, `To` (addresses joined by `, `), a blank
/// line, the body, a blank line and `.`. Subject and body are cut to keepalived's buffer sizes
/// (255 and 511 bytes). No dot-stuffing: keepalived's bodies never start a line with `.`.
pub fn format_message(date: &str, from: &str, subject: &str, to: &[String], body: &str) -> String {
    format!(
        "Date: {date}\r\nFrom: {from}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n{}\r\n\r\n.\r\n",
        truncate(subject, SUBJECT_MAX),
        to.join(", "),
        truncate(body, BODY_MAX),
    )
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Subject and body of an instance mail (inventory §7.2); `None` for the events, which send
/// no mail.
pub fn instance_subject_body(router_id: &str, n: &Notification) -> Option<(String, &'static str)> {
    let (what, body) = match n.state {
        NotifyState::Master => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        NotifyState::Backup => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        NotifyState::Fault => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        NotifyState::Stop => ("Stopping", "=> VRRP Instance stopping <="),
        NotifyState::Deleted => ("Deleted", "=> VRRP Deleted at reload <="),
        NotifyState::MasterRxLowerPri
        | NotifyState::MasterPriority
        | NotifyState::BackupPriority => return None,
    };
    Some((
        format!("[{router_id}] VRRP Instance {} - {what}", n.instance),
        body,
    ))
}

/// The part of keepalived's `vrrp_smtp_notifier()` that needs memory: whether an instance
/// notification, already allowed by `smtp_alert`, gets a mail. Not for events; not for FAULT
/// with `no_email_faults`; not when the instance's last mail was for the same state
/// (`last_email_state`: with `no_email_faults`, MASTER → FAULT → MASTER mails only once).
#[derive(Debug, Default)]
pub struct MailGate {
    last: std::collections::HashMap<String, NotifyState>,
}

impl MailGate {
    /// Decides and, when admitted, remembers the state mailed. A deleted instance is forgotten,
    /// so an instance of the same name added later starts afresh as in keepalived.
    pub fn admit(&mut self, n: &Notification, no_email_faults: bool) -> bool {
        if !n.state.is_state() || (no_email_faults && n.state == NotifyState::Fault) {
            return false;
        }
        if self.last.get(&n.instance) == Some(&n.state) {
            return false;
        }
        if n.state == NotifyState::Deleted {
            self.last.remove(&n.instance);
        } else {
            self.last.insert(n.instance.clone(), n.state);
        }
        true
    }
}

/// The envelope form of an address: `Name <a@b>` -> `<a@b>`, `a@b` -> `<a@b>`.
fn envelope(addr: &str) -> String {
    match addr.rfind('<') {
        Some(i) if addr.ends_with('>') => addr[i..].to_owned(),
        _ => format!("<{addr}>"),
    }
}

/// keepalived's `inet_sockaddrtopair()`: `[IP]:PORT`.
fn server_name(addr: SocketAddr) -> String {
    format!("[{}]:{}", addr.ip(), addr.port())
}

/// An open SMTP session with keepalived's per-reply timeout.
struct Session {
    stream: BufReader<TcpStream>,
    timeout: Duration,
    server: String,
}

impl Session {
    async fn send(&mut self, text: &str) -> Result<(), SmtpError> {
        match tokio::time::timeout(
            self.timeout,
            self.stream.get_mut().write_all(text.as_bytes()),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            _ => Err(SmtpError::Send(self.server.clone())),
        }
    }

    /// Reads one reply, skipping `NNN-` continuation lines, and returns its code.
    async fn reply(&mut self) -> Result<u16, SmtpError> {
        let server = self.server.clone();
        let read = async {
            let mut total = 0;
            loop {
                let mut line = Vec::new();
                let n = (&mut self.stream)
                    .take((REPLY_MAX - total) as u64)
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(|_| SmtpError::Read(server.clone()))?;
                if n == 0 {
                    return Err(if total + n >= REPLY_MAX {
                        SmtpError::Overflow(server.clone())
                    } else {
                        SmtpError::Closed(server.clone())
                    });
                }
                total += n;
                if !line.ends_with(b"\n") {
                    return Err(if total >= REPLY_MAX {
                        SmtpError::Overflow(server.clone())
                    } else {
                        SmtpError::Closed(server.clone())
                    });
                }
                if line.get(3) == Some(&b'-') {
                    continue;
                }
                // Anything but three digits is simply an unexpected code, as in keepalived.
                let code = match line.get(..3) {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        d.iter().fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
                    }
                    _ => 0,
                };
                return Ok(code);
            }
        };
        match tokio::time::timeout(self.timeout, read).await {
            Ok(r) => r,
            Err(_) => Err(SmtpError::ReadTimeout(self.server.clone())),
        }
    }

    async fn expect(&mut self, want: u16, cmd: &'static str) -> Result<(), SmtpError> {
        match self.reply().await? {
            code if code == want => Ok(()),
            code => Err(SmtpError::Rejected {
                cmd,
                server: self.server.clone(),
                code,
            }),
        }
    }

    /// The mail transaction up to and including the 250 after the body.
    async fn transaction(&mut self, mail: &Mail<'_>) -> Result<(), SmtpError> {
        self.expect(220, "(E)SMTP").await?;
        self.send(&format!("HELO {}\r\n", mail.helo)).await?;
        self.expect(250, "HELO").await?;
        self.send(&format!("MAIL FROM:{}\r\n", envelope(mail.from)))
            .await?;
        self.expect(250, "MAIL").await?;
        for rcpt in mail.to {
            self.send(&format!("RCPT TO:{}\r\n", envelope(rcpt)))
                .await?;
            self.expect(250, "RCPT").await?;
        }
        self.send("DATA\r\n").await?;
        self.expect(354, "DATA").await?;
        self.send(mail.data).await?;
        self.expect(250, "BODY").await?;
        tracing::debug!("SMTP alert successfully sent.");
        Ok(())
    }
}

/// Sends one mail to `server` with keepalived's dialogue. `timeout` (`smtp_connect_timeout`)
/// bounds the connect and each reply. After the `220` greeting any unexpected code, a reply
/// timeout or a read error ends the transaction with `QUIT` (whose reply is awaited once more,
/// bounded by `timeout`); a closed connection or a failed write ends it at once.
/// Returns `Ok` once the server accepted the message (a bad `QUIT` reply is only logged).
pub async fn send_mail(
    server: SocketAddr,
    timeout: Duration,
    mail: &Mail<'_>,
) -> Result<(), SmtpError> {
    let name = server_name(server);
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(server)).await {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => {
            return Err(SmtpError::Connect {
                server: name,
                source,
            });
        }
        Err(_) => return Err(SmtpError::ConnectTimeout(name)),
    };
    tracing::debug!("Remote SMTP server {name} connected.");
    let mut s = Session {
        stream: BufReader::new(stream),
        timeout,
        server: name,
    };
    let result = s.transaction(mail).await;
    if let Err(SmtpError::Closed(_) | SmtpError::Send(_) | SmtpError::Connect { .. }) = &result {
        return result;
    }
    if let Err(e) = &result {
        tracing::info!("{e}");
    }
    if s.send("QUIT\r\n").await.is_ok() {
        match s.reply().await {
            Ok(221) => {}
            Ok(code) => {
                tracing::info!(
                    "Error processing QUIT cmd on SMTP server {}. SMTP status code = {code}",
                    s.server
                )
            }
            Err(e) => tracing::info!("{e}"),
        }
    }
    let _ = s.stream.get_mut().shutdown().await;
    result
}

/// Wall-clock `Date:` value in keepalived's format, local time:
/// `strftime("%a, %d %b %Y %H:%M:%S %z")`, e.g. `Wed, 25 Nov 2026 01:25:18 +0000`.
pub fn rfc822_now() -> String {
    // SAFETY: time/localtime_r/strftime write only into the locals passed; strftime is bounded
    // by the buffer length and returns the number of bytes written (0 on overflow).
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return String::new();
        }
        let mut buf = [0u8; 80];
        let n = libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a, %d %b %Y %H:%M:%S %z".as_ptr(),
            &tm,
        );
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }
}

/// keepalived's default `notification_email_from`: `<login of our uid>@<local_name>`.
fn default_from(local_name: &str) -> String {
    // SAFETY: getuid cannot fail.
    let uid = nix::unistd::Uid::from_raw(unsafe { libc::getuid() });
    let login = nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name);
    format!("{login}@{}", non_empty_or_localhost(local_name))
}

fn non_empty_or_localhost(name: &str) -> &str {
    if name.is_empty() { "localhost" } else { name }
}

/// Build the mail (subject/body per §7.2) and send it per §7.3 on its own task; log failures per
/// §7.4; never blocks the caller. `local_name` = host name used for router_id/helo defaults.
///
/// Nothing is sent unless `notification_email` is non-empty and `smtp_server` is set; whether
/// this instance alerts at all (`smtp_alert`) is the caller's decision. The server host name is
/// resolved when the mail is sent. Must be called inside a tokio runtime.
pub fn spawn_smtp_alert(global: &Global, local_name: &str, n: &Notification) {
    spawn_mail(global, local_name, |router_id| {
        instance_subject_body(router_id, n)
    });
}

/// [`spawn_smtp_alert`] for any subject and body, given the router id.
pub(crate) fn spawn_mail(
    global: &Global,
    local_name: &str,
    subject_body: impl FnOnce(&str) -> Option<(String, &'static str)>,
) {
    let Some(server) = global.smtp_server.clone() else {
        return;
    };
    if global.notification_email.is_empty() {
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        tracing::error!("SMTP alert dropped: no tokio runtime");
        return;
    }
    let router_id = global.router_id.clone().unwrap_or_else(|| {
        if local_name.is_empty() {
            "[unknown]".to_owned()
        } else {
            local_name.to_owned()
        }
    });
    let from = global
        .notification_email_from
        .clone()
        .unwrap_or_else(|| default_from(local_name));
    let helo = global
        .smtp_helo_name
        .clone()
        .unwrap_or_else(|| non_empty_or_localhost(local_name).to_owned());
    // keepalived turns `smtp_connect_timeout 0` into 1 s.
    let timeout = global.smtp_connect_timeout.max(Duration::from_secs(1));
    let to = global.notification_email.clone();
    let Some((subject, body)) = subject_body(&router_id) else {
        return;
    };
    let data = format_message(&rfc822_now(), &from, &subject, &to, body);
    tokio::spawn(async move {
        let target = format!("{}:{}", server.host, server.port);
        let addr = match tokio::time::timeout(timeout, tokio::net::lookup_host(&target)).await {
            Ok(Ok(mut addrs)) => addrs.next(),
            _ => None,
        };
        let Some(addr) = addr else {
            tracing::info!("{}", SmtpError::Resolve(target));
            return;
        };
        let mail = Mail {
            helo: &helo,
            from: &from,
            to: &to,
            data: &data,
        };
        match send_mail(addr, timeout, &mail).await {
            Ok(()) => {}
            // Logged inside send_mail before its QUIT.
            Err(
                SmtpError::Rejected { .. }
                | SmtpError::ReadTimeout(_)
                | SmtpError::Read(_)
                | SmtpError::Overflow(_),
            ) => {}
            Err(e) => tracing::info!("{e}"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SmtpServer;
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    const WAIT: Duration = Duration::from_secs(10);

    /// How the fake server answers.
    #[derive(Clone, Copy)]
    struct Script {
        greeting: &'static str,
        rcpt_code: u16,
    }

    const GOOD: Script = Script {
        greeting: "220-mx.example ESMTP\r\n220 ready\r\n",
        rcpt_code: 250,
    };

    /// A one-connection SMTP server on 127.0.0.1 that records every line the client sends.
    async fn fake_server(script: Script) -> (SocketAddr, JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut sock = BufReader::new(sock);
            let mut lines = Vec::new();
            sock.get_mut()
                .write_all(script.greeting.as_bytes())
                .await
                .unwrap();
            let mut in_data = false;
            loop {
                let mut raw = Vec::new();
                if sock.read_until(b'\n', &mut raw).await.unwrap() == 0 {
                    break;
                }
                let line = String::from_utf8(raw).unwrap();
                assert!(line.ends_with("\r\n"), "bare LF from client: {line:?}");
                let line = line.trim_end_matches("\r\n").to_owned();
                lines.push(line.clone());
                let reply = if in_data {
                    if line != "." {
                        continue;
                    }
                    in_data = false;
                    "250 queued\r\n".to_owned()
                } else if line.starts_with("RCPT") {
                    format!("{} rcpt\r\n", script.rcpt_code)
                } else if line == "DATA" {
                    in_data = true;
                    "354 go ahead\r\n".to_owned()
                } else if line == "QUIT" {
                    sock.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    "250 ok\r\n".to_owned()
                };
                sock.get_mut().write_all(reply.as_bytes()).await.unwrap();
            }
            lines
        });
        (addr, task)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn message_text_is_exact() {
        let to = strings(&["admin@example.com", "Ops Team <ops@example.com>"]);
        let text = format_message(
            "Wed, 25 Nov 2026 01:25:18 +0000",
            "ka2@example.com",
            "[node2] VRRP Instance VI_1 - Entering BACKUP state",
            &to,
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        );
        assert_eq!(
            text,
            "Date: Wed, 25 Nov 2026 01:25:18 +0000\r\nFrom: ka2@example.com\r\n\
             Subject: [node2] VRRP Instance VI_1 - Entering BACKUP state\r\nX-Mailer: Keepalived\r\n\
             To: admin@example.com, Ops Team <ops@example.com>\r\n\r\n\
             => VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n.\r\n"
        );
    }

    #[test]
    fn long_subject_and_body_are_cut_like_keepalived_buffers() {
        let text = format_message(
            "d",
            "f",
            &"s".repeat(400),
            &strings(&["a@b"]),
            &"é".repeat(400),
        );
        assert!(text.contains(&format!("Subject: {}\r\n", "s".repeat(255))));
        assert!(text.contains(&format!("\r\n\r\n{}\r\n\r\n.\r\n", "é".repeat(255))));
    }

    #[test]
    fn subjects_and_bodies_per_state() {
        let n = |state| Notification {
            instance: "VI_1".into(),
            state,
            priority: 100,
        };
        let cases = [
            (
                NotifyState::Master,
                "Entering MASTER state",
                "=> VRRP Instance is now owning VRRP VIPs <=",
            ),
            (
                NotifyState::Backup,
                "Entering BACKUP state",
                "=> VRRP Instance is no longer owning VRRP VIPs <=",
            ),
            (
                NotifyState::Fault,
                "Entering FAULT state",
                "=> VRRP Instance is no longer owning VRRP VIPs <=",
            ),
            (
                NotifyState::Stop,
                "Stopping",
                "=> VRRP Instance stopping <=",
            ),
        ];
        for (state, what, body) in cases {
            let (s, b) = instance_subject_body("LVS_DEVEL", &n(state)).unwrap();
            assert_eq!(s, format!("[LVS_DEVEL] VRRP Instance VI_1 - {what}"));
            assert_eq!(b, body);
        }
    }

    #[test]
    fn deleted_mail_and_no_mail_for_events() {
        let n = |state| Notification {
            instance: "VI_1".into(),
            state,
            priority: 100,
        };
        assert_eq!(
            instance_subject_body("r1", &n(NotifyState::Deleted)),
            Some((
                "[r1] VRRP Instance VI_1 - Deleted".to_owned(),
                "=> VRRP Deleted at reload <="
            ))
        );
        for ev in [
            NotifyState::MasterRxLowerPri,
            NotifyState::MasterPriority,
            NotifyState::BackupPriority,
        ] {
            assert_eq!(instance_subject_body("r1", &n(ev)), None);
        }
    }

    /// keepalived's `vrrp_smtp_notifier()`: `no_email_faults` drops FAULT mails and the mail
    /// for a state equal to the last one mailed is not sent again.
    #[test]
    fn mail_gate_follows_no_email_faults_and_last_email_state() {
        let n = |inst: &str, state| Notification {
            instance: inst.into(),
            state,
            priority: 100,
        };
        let mut g = MailGate::default();
        assert!(g.admit(&n("VI_1", NotifyState::Master), true));
        assert!(!g.admit(&n("VI_1", NotifyState::Fault), true));
        // Back to MASTER: the last mail was already MASTER.
        assert!(!g.admit(&n("VI_1", NotifyState::Master), true));
        assert!(g.admit(&n("VI_1", NotifyState::Backup), true));
        // Without no_email_faults FAULT is mailed; other instances are independent.
        assert!(g.admit(&n("VI_1", NotifyState::Fault), false));
        assert!(g.admit(&n("VI_2", NotifyState::Fault), false));
        assert!(!g.admit(&n("VI_2", NotifyState::MasterRxLowerPri), false));
        // Deleted then re-added under the same name: starts afresh.
        assert!(g.admit(&n("VI_2", NotifyState::Deleted), false));
        assert!(g.admit(&n("VI_2", NotifyState::Fault), false));
    }

    /// A display-name recipient (`Ops Team <ops@example.org>`, as the config builds it from
    /// `"Ops Team" <ops@example.org>`): the angle address in RCPT, the full text in `To:`;
    /// `smtp_helo_name` and a host name with a port for the server.
    #[tokio::test]
    async fn display_names_helo_name_and_server_host_name() {
        let (addr, server) = fake_server(GOOD).await;
        // A host name as the server when it resolves to the fake server's address first.
        let first = tokio::net::lookup_host(("localhost", addr.port()))
            .await
            .ok()
            .and_then(|mut a| a.next());
        let host = if first.is_some_and(|a| a.ip() == addr.ip()) {
            "localhost"
        } else {
            "127.0.0.1"
        };
        let global = Global {
            router_id: Some("r1".into()),
            notification_email: strings(&["Ops Team <ops@example.org>", "b@example.org"]),
            notification_email_from: Some("KA <ka@example.org>".into()),
            smtp_server: Some(SmtpServer {
                host: host.into(),
                port: addr.port(),
            }),
            smtp_helo_name: Some("helo.example.org".into()),
            smtp_connect_timeout: Duration::from_secs(5),
            ..Global::default()
        };
        let n = Notification {
            instance: "VI_1".into(),
            state: NotifyState::Deleted,
            priority: 100,
        };
        spawn_smtp_alert(&global, "host1", &n);
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert_eq!(
            lines[..4],
            strings(&[
                "HELO helo.example.org",
                "MAIL FROM:<ka@example.org>",
                "RCPT TO:<ops@example.org>",
                "RCPT TO:<b@example.org>",
            ])
        );
        assert!(lines.contains(&"From: KA <ka@example.org>".to_owned()));
        assert!(lines.contains(&"To: Ops Team <ops@example.org>, b@example.org".to_owned()));
        assert!(lines.contains(&"Subject: [r1] VRRP Instance VI_1 - Deleted".to_owned()));
        assert!(lines.contains(&"=> VRRP Deleted at reload <=".to_owned()));
    }

    #[test]
    fn envelope_extracts_angle_address() {
        assert_eq!(envelope("a@b"), "<a@b>");
        assert_eq!(envelope("Ops Team <ops@example.com>"), "<ops@example.com>");
        assert_eq!(envelope("<x@y>"), "<x@y>");
    }

    #[test]
    fn date_has_keepalived_shape() {
        let d = rfc822_now();
        // "Wed, 25 Nov 2026 01:25:18 +0000"
        let parts: Vec<&str> = d.split(' ').collect();
        assert_eq!(parts.len(), 6, "{d}");
        assert!(parts[0].len() == 4 && parts[0].ends_with(','), "{d}");
        assert_eq!(parts[1].len(), 2, "{d}");
        assert_eq!(parts[2].len(), 3, "{d}");
        assert_eq!(parts[3].len(), 4, "{d}");
        assert_eq!(parts[4].len(), 8, "{d}");
        assert!(
            parts[5].len() == 5 && (parts[5].starts_with('+') || parts[5].starts_with('-')),
            "{d}"
        );
    }

    #[tokio::test]
    async fn full_dialogue_is_keepalived_s() {
        let (addr, server) = fake_server(GOOD).await;
        let to = strings(&["a@example.com", "Ops <b@example.com>"]);
        let data = format_message("DATE", "ka@example.com", "SUBJ", &to, "BODY");
        let mail = Mail {
            helo: "node1",
            from: "ka@example.com",
            to: &to,
            data: &data,
        };
        send_mail(addr, WAIT, &mail).await.unwrap();
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert_eq!(
            lines,
            strings(&[
                "HELO node1",
                "MAIL FROM:<ka@example.com>",
                "RCPT TO:<a@example.com>",
                "RCPT TO:<b@example.com>",
                "DATA",
                "Date: DATE",
                "From: ka@example.com",
                "Subject: SUBJ",
                "X-Mailer: Keepalived",
                "To: a@example.com, Ops <b@example.com>",
                "",
                "BODY",
                "",
                ".",
                "QUIT",
            ])
        );
    }

    #[tokio::test]
    async fn spawn_smtp_alert_sends_the_master_mail() {
        let (addr, server) = fake_server(GOOD).await;
        let global = Global {
            router_id: Some("LVS_DEVEL".into()),
            notification_email: strings(&["acassen@firewall.loc", "failover@firewall.loc"]),
            notification_email_from: Some("Alexandre.Cassen@firewall.loc".into()),
            smtp_server: Some(SmtpServer {
                host: "127.0.0.1".into(),
                port: addr.port(),
            }),
            smtp_connect_timeout: Duration::from_secs(5),
            ..Global::default()
        };
        let n = Notification {
            instance: "VI_1".into(),
            state: NotifyState::Master,
            priority: 100,
        };
        spawn_smtp_alert(&global, "host1", &n);
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert_eq!(lines[0], "HELO host1", "helo defaults to the local name");
        assert_eq!(lines[1], "MAIL FROM:<Alexandre.Cassen@firewall.loc>");
        assert_eq!(
            lines[2..4],
            strings(&[
                "RCPT TO:<acassen@firewall.loc>",
                "RCPT TO:<failover@firewall.loc>"
            ])
        );
        assert_eq!(lines[4], "DATA");
        assert!(lines[5].starts_with("Date: "));
        assert_eq!(
            lines[6..],
            strings(&[
                "From: Alexandre.Cassen@firewall.loc",
                "Subject: [LVS_DEVEL] VRRP Instance VI_1 - Entering MASTER state",
                "X-Mailer: Keepalived",
                "To: acassen@firewall.loc, failover@firewall.loc",
                "",
                "=> VRRP Instance is now owning VRRP VIPs <=",
                "",
                ".",
                "QUIT",
            ])
        );
    }

    #[tokio::test]
    async fn group_mail_has_the_group_subject_and_body() {
        let (addr, server) = fake_server(GOOD).await;
        let global = Global {
            router_id: Some("gw1".into()),
            notification_email: strings(&["ops@example.com"]),
            notification_email_from: Some("ka@example.com".into()),
            smtp_server: Some(SmtpServer {
                host: "127.0.0.1".into(),
                port: addr.port(),
            }),
            smtp_connect_timeout: Duration::from_secs(5),
            ..Global::default()
        };
        let n = crate::notify::GroupNotification {
            group: "G1".into(),
            state: NotifyState::Fault,
        };
        crate::notify::spawn_group_smtp_alert(&global, "host1", &n);
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert!(
            lines.contains(&"Subject: [gw1] VRRP Group G1 - Entering FAULT state".to_string()),
            "{lines:?}"
        );
        assert!(
            lines.contains(&"=> All VRRP group instances are now in FAULT state <=".to_string()),
            "{lines:?}"
        );
    }

    #[tokio::test]
    async fn defaults_router_id_from_and_no_mail_without_recipients() {
        let (addr, server) = fake_server(GOOD).await;
        let mut global = Global {
            smtp_server: Some(SmtpServer {
                host: "localhost".into(),
                port: addr.port(),
            }),
            ..Global::default()
        };
        let n = Notification {
            instance: "VI_9".into(),
            state: NotifyState::Backup,
            priority: 90,
        };
        // No recipients: nothing is sent (the server sees no connection).
        spawn_smtp_alert(&global, "host1", &n);
        global.notification_email = strings(&["a@b"]);
        global.smtp_server = Some(SmtpServer {
            host: "127.0.0.1".into(),
            port: addr.port(),
        });
        spawn_smtp_alert(&global, "host1", &n);
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        let login = nix::unistd::User::from_uid(nix::unistd::getuid())
            .unwrap()
            .unwrap()
            .name;
        assert_eq!(lines[1], format!("MAIL FROM:<{login}@host1>"));
        assert!(
            lines.contains(
                &"Subject: [host1] VRRP Instance VI_9 - Entering BACKUP state".to_owned()
            )
        );
        assert_eq!(lines.iter().filter(|l| l.starts_with("RCPT")).count(), 1);
    }

    #[tokio::test]
    async fn rejected_rcpt_quits_and_reports_keepalived_s_line() {
        let (addr, server) = fake_server(Script {
            rcpt_code: 550,
            ..GOOD
        })
        .await;
        let to = strings(&["a@example.com", "b@example.com"]);
        let mail = Mail {
            helo: "h",
            from: "f@example.com",
            to: &to,
            data: "unused",
        };
        let err = send_mail(addr, WAIT, &mail).await.unwrap_err();
        assert!(
            matches!(
                err,
                SmtpError::Rejected {
                    cmd: "RCPT",
                    code: 550,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "Error processing RCPT cmd on SMTP server [127.0.0.1]:{}. SMTP status code = 550",
                addr.port()
            )
        );
        let lines = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert_eq!(
            lines,
            strings(&[
                "HELO h",
                "MAIL FROM:<f@example.com>",
                "RCPT TO:<a@example.com>",
                "QUIT"
            ])
        );
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and reads, never answers.
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let _ = sock.read_to_end(&mut got).await;
            String::from_utf8_lossy(&got).into_owned()
        });
        let to = strings(&["a@b"]);
        let mail = Mail {
            helo: "h",
            from: "f",
            to: &to,
            data: "x",
        };
        let res = tokio::time::timeout(WAIT, send_mail(addr, Duration::from_secs(1), &mail)).await;
        let err = res.expect("send_mail must give up by itself").unwrap_err();
        assert!(matches!(err, SmtpError::ReadTimeout(_)), "{err:?}");
        // keepalived still says QUIT after a reply timeout, then closes.
        let sent = tokio::time::timeout(WAIT, server).await.unwrap().unwrap();
        assert_eq!(sent, "QUIT\r\n");
    }

    #[tokio::test]
    async fn closed_and_refused_connections_are_errors() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { drop(listener.accept().await.unwrap()) });
        let to = strings(&["a@b"]);
        let mail = Mail {
            helo: "h",
            from: "f",
            to: &to,
            data: "x",
        };
        let err = send_mail(addr, WAIT, &mail).await.unwrap_err();
        assert!(matches!(err, SmtpError::Closed(_)), "{err:?}");
        server.await.unwrap();
        // Nobody listens on the port any more.
        let err = send_mail(addr, WAIT, &mail).await.unwrap_err();
        assert!(matches!(err, SmtpError::Connect { .. }), "{err:?}");
    }
}
