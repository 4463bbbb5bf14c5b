//! The checker blocks of a `real_server` (`check_api.c`, `check_tcp.c`, `check_http.c`,
//! `check_smtp.c`, `check_dns.c`, `check_misc.c`, `check_udp.c`, `check_ping.c`,
//! `check_file.c`, `check_bfd.c`): their keywords, values and end-of-block checks, with
//! keepalived's messages. Log-only complaints of keepalived (regex settings) are notes.

use std::net::IpAddr;

use super::super::Validator;
use super::values::{SockAddr, addr_str, hex_str, strtoul};
use super::{Family, Server, VirtualServer, family};
use crate::config::diag::{Severity, Span};
use crate::config::keywords;
use crate::config::tree::Stmt;

/// A checker's connection options (`conn_opts_t`) as far as `-t` looks at them.
#[derive(Debug, Clone)]
struct Conn {
    /// `connect_ip` (default the real server); `None` after an invalid or mismatched one.
    dst: Option<SockAddr>,
    bindto: Option<Family>,
    bind_if: bool,
    /// SMTP_CHECK: something of the connection was configured (else its `host`s are used).
    configured: bool,
}

impl Conn {
    fn to(rs: &Server) -> Self {
        Self {
            dst: Some(rs.addr),
            bindto: None,
            bind_if: false,
            configured: false,
        }
    }
}

/// PCRE2 options `regex_options` knows.
const REGEX_OPTIONS: &[&str] = &[
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
];

/// `DNS_TYPE[]`, compared without case.
const DNS_TYPES: &[&str] = &[
    "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY",
];

/// `IFNAMSIZ - 1`.
const IFNAME_MAX: usize = 15;
/// `BFD_INAME_MAX`: a name must be shorter.
const BFD_INAME_MAX: usize = 32;

impl Validator<'_> {
    /// One checker block inside `real_server`.
    pub(super) fn checker(
        &mut self,
        vs: &VirtualServer,
        rs: &Server,
        bfds: &mut Vec<String>,
        st: &Stmt,
    ) {
        let kind: &'static str = match st.keyword() {
            "MISC_CHECK" => "MISC_CHECK",
            "SMTP_CHECK" => "SMTP_CHECK",
            "TCP_CHECK" => "TCP_CHECK",
            "PING_CHECK" => "PING_CHECK",
            "UDP_CHECK" => "UDP_CHECK",
            "HTTP_GET" => "HTTP_GET",
            "SSL_GET" => "SSL_GET",
            "DNS_CHECK" => "DNS_CHECK",
            "FILE_CHECK" => "FILE_CHECK",
            _ => "BFD_CHECK",
        };
        let body = self.lvs_body(st);
        match kind {
            "MISC_CHECK" => self.misc_check(body, &st.line.span),
            "SMTP_CHECK" => self.smtp_check(rs, body, &st.line.span),
            "HTTP_GET" | "SSL_GET" => self.http_check(kind, rs, body, &st.line.span),
            "FILE_CHECK" => self.file_check(body, &st.line.span),
            "BFD_CHECK" => self.bfd_check(vs, rs, bfds, body, &st.line.span),
            _ => {
                let mut conn = Conn::to(rs);
                let mut min_len = 0;
                let mut max_len = 255;
                let mut dns_name = false;
                for s in body {
                    if self.checker_common(kind, Some(&mut conn), s) {
                        continue;
                    }
                    match (kind, s.keyword()) {
                        ("UDP_CHECK", "payload") => {
                            self.lvs_plain(kind, s);
                            if s.line.words.len() == 1 {
                                self.lvs_error(
                                    &s.line.span,
                                    "UDP_CHECK payload requires a payload",
                                );
                            } else if hex_str(&joined(s), false).is_none() {
                                self.lvs_error(
                                    &s.line.words[1].span,
                                    "Invalid hex string for UDP_CHECK payload",
                                );
                            }
                        }
                        ("UDP_CHECK", "require_reply") => {
                            self.lvs_plain(kind, s);
                            if s.line.words.len() > 1 && hex_str(&joined(s), true).is_none() {
                                self.lvs_error(
                                    &s.line.words[1].span,
                                    "Invalid hex string for UDP_CHECK reply",
                                );
                            }
                        }
                        ("UDP_CHECK", kw @ ("min_reply_length" | "max_reply_length")) => {
                            self.lvs_plain(kind, s);
                            let Some(t) = self.arg(s, 1) else { continue };
                            match self.lvs_unsigned(t, 0, 65535) {
                                Some(v) if kw == "min_reply_length" => min_len = v,
                                Some(v) => max_len = v,
                                None => {
                                    let which = if kw == "min_reply_length" {
                                        "min"
                                    } else {
                                        "max"
                                    };
                                    self.lvs_error(
                                        &t.span,
                                        format!(
                                            "UDP_CHECK {which} length {} not valid - must be between 0 & 65535",
                                            t.text
                                        ),
                                    );
                                }
                            }
                        }
                        ("DNS_CHECK", "type") => {
                            self.lvs_plain(kind, s);
                            let Some(t) = self.arg(s, 1) else { continue };
                            if !DNS_TYPES.iter().any(|d| d.eq_ignore_ascii_case(&t.text)) {
                                self.lvs_error(
                                    &t.span,
                                    format!("Unknown DNS check type {} - ignoring", t.text),
                                );
                            }
                        }
                        ("DNS_CHECK", "name") => {
                            self.lvs_plain(kind, s);
                            self.dns_name(s, &mut dns_name);
                        }
                        _ => self.lvs_unknown(kind, s),
                    }
                }
                if self.conn_opts(&conn, &st.line.span) && kind == "UDP_CHECK" && min_len > max_len
                {
                    self.lvs_error(
                        &st.line.span,
                        format!(
                            "UDP_CHECK min_reply length {min_len} > max_reply_length {max_len} - will always fail"
                        ),
                    );
                }
            }
        }
    }

    /// `check_conn_opts()`: an IPv6 link-local target needs `bind_if`. False = checker dropped.
    fn conn_opts(&mut self, conn: &Conn, span: &Span) -> bool {
        let Some(SockAddr {
            ip: IpAddr::V6(a), ..
        }) = conn.dst
        else {
            return true;
        };
        if a.segments()[0] & 0xffc0 == 0xfe80 && !conn.bind_if {
            self.lvs_error(
                span,
                format!(
                    "Checker link local address {} requires a bind_if",
                    addr_str(&IpAddr::V6(a))
                ),
            );
            return false;
        }
        true
    }

    /// The keywords every checker shares (`install_checker_common_keywords()`); the
    /// connection ones only when `conn` is given. True = handled.
    fn checker_common(&mut self, kind: &'static str, conn: Option<&mut Conn>, st: &Stmt) -> bool {
        let kw = st.keyword();
        let is_conn = matches!(
            kw,
            "connect_ip"
                | "connect_port"
                | "bindto"
                | "bind_port"
                | "bind_if"
                | "connect_timeout"
                | "fwmark"
        );
        let is_common = matches!(
            kw,
            "retry" | "delay_before_retry" | "warmup" | "delay_loop" | "alpha" | "log_all_failures"
        );
        if !(is_common || (is_conn && conn.is_some())) {
            return false;
        }
        self.lvs_plain(kind, st);
        if matches!(kw, "alpha" | "log_all_failures") {
            self.lvs_bool(st, &format!("Invalid {kw} parameter"));
            return true;
        }
        let Some(t) = self.arg(st, 1) else {
            return true;
        };
        if let Some(c) = conn {
            if is_conn {
                c.configured = true;
            }
            match kw {
                "connect_ip" => match self.lvs_sockaddr(&t.text, None) {
                    None => {
                        self.lvs_error(
                            &t.span,
                            format!("Invalid connect_ip address {} - ignoring", t.text),
                        );
                        c.dst = None;
                    }
                    Some(a) if c.bindto.is_some_and(|f| f != family(&a.ip)) => {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "connect_ip address {} does not match address family of bindto - skipping",
                                t.text
                            ),
                        );
                        c.dst = None;
                    }
                    Some(a) => {
                        let port = c.dst.map_or(0, |d| d.port);
                        c.dst = Some(SockAddr { ip: a.ip, port });
                    }
                },
                "bindto" => match self.lvs_sockaddr(&t.text, None) {
                    None => {
                        self.lvs_error(
                            &t.span,
                            format!("Invalid bindto address {} - ignoring", t.text),
                        );
                        c.bindto = None;
                    }
                    Some(a) if c.dst.is_some_and(|d| family(&d.ip) != family(&a.ip)) => {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "bindto address {} does not match address family of connect_ip - skipping",
                                t.text
                            ),
                        );
                        c.bindto = None;
                    }
                    Some(a) => c.bindto = Some(family(&a.ip)),
                },
                "connect_port" | "bind_port" => match self.lvs_unsigned(t, 1, 65535) {
                    Some(p) if kw == "connect_port" => {
                        if let Some(d) = &mut c.dst {
                            d.port = p as u16;
                        }
                    }
                    Some(_) => {}
                    None => self.lvs_error(&t.span, format!("Invalid checker {kw} '{}'", t.text)),
                },
                "bind_if" => {
                    if t.text.len() > IFNAME_MAX {
                        self.lvs_error(
                            &t.span,
                            format!("Interface name {} is too long - ignoring", t.text),
                        );
                    } else {
                        c.bind_if = true;
                    }
                }
                "connect_timeout" if self.lvs_timer(t, 1, u64::from(u32::MAX)).is_none() => {
                    self.lvs_error(
                        &t.span,
                        format!("connect_timeout {} invalid - ignoring", t.text),
                    );
                }
                "fwmark" if self.lvs_unsigned(t, 0, u64::from(u32::MAX)).is_none() => {
                    self.lvs_error(
                        &t.span,
                        format!("Invalid fwmark connection value '{}'", t.text),
                    );
                }
                _ => {}
            }
            if is_conn {
                return true;
            }
        }
        match kw {
            "retry" => {
                if self.lvs_unsigned(t, 0, u64::from(u32::MAX)).is_none() {
                    self.lvs_error(
                        &t.span,
                        format!("Invalid retry connection value '{}'", t.text),
                    );
                }
            }
            "delay_before_retry" | "warmup" => {
                if self.lvs_timer(t, 0, 0).is_none() {
                    self.lvs_error(
                        &t.span,
                        format!("Invalid {kw} connection value '{}'", t.text),
                    );
                }
            }
            _ => {
                if self.lvs_timer(t, 1, 0).is_none() {
                    self.lvs_error(
                        &t.span,
                        format!("delay_loop '{}' is invalid - ignoring", t.text),
                    );
                }
            }
        }
        true
    }

    /// `DNS_CHECK name`: once, and without an empty label. keepalived's label scan also
    /// looks at the second character of the name, so a one-character first label (`a.b`)
    /// is refused too.
    fn dns_name(&mut self, st: &Stmt, seen: &mut bool) {
        if *seen {
            self.lvs_error(&st.line.span, "DNS_CHECK name already specified - ignoring");
            return;
        }
        let Some(t) = self.arg(st, 1) else { return };
        let b = t.text.as_bytes();
        let at = |i: usize| b.get(i).copied().unwrap_or(0);
        let mut invalid = at(0) == b'.' && at(1) != 0;
        if !invalid {
            let mut p = 0;
            loop {
                if at(p + 1) == b'.' {
                    invalid = true;
                    break;
                }
                match b
                    .get(p + 1..)
                    .and_then(|r| r.iter().position(|&c| c == b'.'))
                {
                    Some(off) => p = p + 1 + off,
                    None => break,
                }
            }
        }
        if invalid {
            self.lvs_error(
                &t.span,
                format!("DNS_CHECK name '{}' has empty label - ignoring", t.text),
            );
            return;
        }
        *seen = true;
    }

    fn http_check(&mut self, kind: &'static str, rs: &Server, body: &[Stmt], span: &Span) {
        let mut conn = Conn::to(rs);
        let mut urls = 0;
        for s in body {
            if self.checker_common(kind, Some(&mut conn), s) {
                continue;
            }
            let kw = s.keyword();
            if keywords::find(kind, kw).is_none() {
                self.lvs_unknown(kind, s);
                continue;
            }
            if kw == "url" {
                let b = self.lvs_body(s);
                if self.url(b, &s.line.span) {
                    urls += 1;
                }
                continue;
            }
            self.lvs_plain(kind, s);
            let w = &s.line.words;
            match kw {
                "nb_get_retry" => {
                    let d = self.rep.at(
                        Severity::Error,
                        Some(crate::config::diag::Level::GeneralError),
                        &w[0].span,
                        "nb_get_retry is deprecated - please use 'retry'",
                    );
                    d.help = Some("write `retry` instead".into());
                    let Some(t) = self.arg(s, 1) else { continue };
                    if self.lvs_unsigned(t, 0, u64::from(u32::MAX)).is_none() {
                        self.lvs_error(&t.span, format!("Invalid nb_get_retry value '{}'", t.text));
                    }
                }
                "virtualhost" if w.len() < 2 => {
                    self.lvs_error(&s.line.span, "HTTP_GET virtualhost name missing");
                }
                "http_protocol" => match w.get(1).map(|t| t.text.as_str()) {
                    None => self.lvs_error(&s.line.span, "Missing http_protocol version"),
                    Some("1.0" | "1.1" | "1.0C" | "1.0c") => {}
                    Some(v) => {
                        self.lvs_error(&w[1].span, format!("Invalid http_protocol version {v}"))
                    }
                },
                "enable_sni" | "fast_recovery" => {
                    self.lvs_bool(s, &format!("Invalid {kw} parameter"));
                }
                _ => {}
            }
        }
        if urls == 0 {
            self.lvs_error(
                span,
                "HTTP/SSL_GET checker has no urls specified - ignoring",
            );
        }
        self.conn_opts(&conn, span);
    }

    /// One `url { … }`; true when it has a path (keepalived drops it otherwise).
    fn url(&mut self, body: &[Stmt], span: &Span) -> bool {
        const B: &str = "url";
        let mut path = false;
        let mut digest = false;
        let mut regex = false;
        let mut regex_params = false;
        let mut offsets: [Option<u64>; 2] = [None, None];
        for s in body {
            let kw = s.keyword();
            if keywords::find(B, kw).is_none() {
                self.lvs_unknown(B, s);
                continue;
            }
            self.lvs_plain(B, s);
            let w = &s.line.words;
            match kw {
                "path" if self.arg(s, 1).is_some() => {
                    path = true;
                }
                "digest" => {
                    let Some(t) = self.arg(s, 1) else { continue };
                    if digest {
                        self.lvs_error(&t.span, format!("Digest '{}' is a duplicate", t.text));
                        continue;
                    }
                    if t.text.len() != 32 {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "digest '{}' character length should be 32 rather than {}",
                                t.text,
                                t.text.len()
                            ),
                        );
                        continue;
                    }
                    // Read byte by byte from the end, as keepalived does; it names the digest
                    // cut after the byte it could not read.
                    let b = t.text.as_bytes();
                    let bad = (0..16).rev().find(|&i| {
                        let Ok(pair) = std::str::from_utf8(&b[2 * i..2 * i + 2]) else {
                            return true;
                        };
                        let (_, _, rest) = strtoul(pair, 16);
                        !rest.is_empty() || pair.trim_start().is_empty()
                    });
                    if let Some(i) = bad {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "Unable to interpret hex digit in '{}' at offset {}/{}",
                                String::from_utf8_lossy(&b[..2 * i + 2]),
                                2 * i,
                                2 * i + 1
                            ),
                        );
                        continue;
                    }
                    digest = true;
                }
                "status_code" => {
                    for t in &w[1..] {
                        let (min, _, rest) = strtoul(&t.text, 10);
                        let (max, rest) = match rest.strip_prefix('-') {
                            Some(r) => {
                                let (max, _, rest) = strtoul(r, 10);
                                (max, rest)
                            }
                            None => (min, rest),
                        };
                        let ok = rest.is_empty()
                            && (100..=599).contains(&min)
                            && (100..=599).contains(&max)
                            && min <= max;
                        if !ok {
                            self.lvs_error(
                                &t.span,
                                format!("Invalid HTTP_GET status code '{}'", t.text),
                            );
                        }
                    }
                }
                "virtualhost" if w.len() < 2 => {
                    self.lvs_error(&s.line.span, "Missing HTTP_GET virtualhost name");
                }
                "regex" => {
                    match crate::config::script::split_escaped(s.line.text()) {
                        Some(v) if v.len() == 2 => regex = true,
                        _ => {
                            self.rep
                                .at(Severity::Note, None, &s.line.span, "regex missing or too many fields (keepalived ignores the regex)")
                                .help = Some("quote the pattern: regex \"^OK .*\"".into());
                        }
                    }
                }
                "regex_no_match" => regex_params = true,
                "regex_options" => {
                    regex_params = true;
                    for t in &w[1..] {
                        if !REGEX_OPTIONS.contains(&t.text.as_str()) {
                            let d = self.rep.at(
                                Severity::Note,
                                None,
                                &t.span,
                                format!(
                                    "unknown regex option `{}` is ignored by keepalived",
                                    t.text
                                ),
                            );
                            d.help = keywords::closest(REGEX_OPTIONS, &t.text)
                                .map(|c| format!("did you mean `{c}`?"));
                        }
                    }
                }
                "regex_min_offset" | "regex_max_offset" => {
                    regex_params = true;
                    let which = if kw == "regex_min_offset" {
                        "min"
                    } else {
                        "max"
                    };
                    if w.len() != 2 {
                        self.rep.at(
                            Severity::Note,
                            None,
                            &s.line.span,
                            format!("Missing or too may options for regex_{which}_offset (ignored by keepalived)"),
                        );
                        continue;
                    }
                    let (v, _, rest) = strtoul(&w[1].text, 10);
                    if !rest.is_empty() {
                        self.rep.at(
                            Severity::Note,
                            None,
                            &w[1].span,
                            format!(
                                "Invalid regex_{which}_offset {} specified (ignored by keepalived)",
                                w[1].text
                            ),
                        );
                        continue;
                    }
                    offsets[usize::from(which == "max")] = Some(v);
                }
                "regex_stack" => {
                    regex_params = true;
                    let vals: Vec<Option<u64>> = w[1..]
                        .iter()
                        .map(|t| {
                            let (v, _, rest) = strtoul(&t.text, 10);
                            rest.is_empty().then_some(v)
                        })
                        .collect();
                    let why = match vals.as_slice() {
                        [Some(a), Some(b)] if a > b => {
                            Some("regex stack start cannot exceed max value")
                        }
                        [Some(_), Some(_)] => None,
                        [None, _] => Some("regex_stack invalid start value"),
                        [_, None] => Some("regex_stack invalid max value"),
                        _ => Some("regex_stack requires start and max values"),
                    };
                    if let Some(why) = why {
                        self.rep.at(
                            Severity::Note,
                            None,
                            &s.line.span,
                            format!("{why} (ignored by keepalived)"),
                        );
                    }
                }
                _ => {}
            }
        }
        if !path {
            self.lvs_error(span, "HTTP/SSL_GET checker url has no path - ignoring");
            return false;
        }
        if !regex && regex_params {
            self.rep.at(
                Severity::Note,
                None,
                span,
                "regex parameters specified without regex (ignored by keepalived)",
            );
        } else if let [Some(min), Some(max)] = offsets {
            if regex && min > max {
                self.rep.at(
                    Severity::Note,
                    None,
                    span,
                    format!(
                        "regex min offset {min} > regex_max_offset {max} - ignoring (as keepalived)"
                    ),
                );
            }
        }
        true
    }

    fn smtp_check(&mut self, rs: &Server, body: &[Stmt], span: &Span) {
        const B: &str = "SMTP_CHECK";
        // The target defaults to the real server only at the end of the block.
        let mut conn = Conn {
            dst: None,
            ..Conn::to(rs)
        };
        let mut port: Option<u16> = None;
        let mut hosts = 0;
        for s in body {
            let kw = s.keyword();
            if kw == "connect_port" {
                // Kept aside: the address is only known at the end.
                self.lvs_plain(B, s);
                conn.configured = true;
                let Some(t) = self.arg(s, 1) else { continue };
                match self.lvs_unsigned(t, 1, 65535) {
                    Some(p) => port = Some(p as u16),
                    None => self.lvs_error(
                        &t.span,
                        format!("Invalid checker connect_port '{}'", t.text),
                    ),
                }
                continue;
            }
            if self.checker_common(B, Some(&mut conn), s) {
                continue;
            }
            match kw {
                "helo_name" => {
                    self.lvs_plain(B, s);
                    if s.line.words.len() < 2 {
                        self.lvs_error(&s.line.span, "SMTP_CHECK helo name missing");
                    }
                }
                "host" => {
                    let b = self.lvs_body(s);
                    let mut hc = Conn::to(rs);
                    for h in b {
                        if !self.checker_common("host", Some(&mut hc), h) {
                            self.lvs_unknown("host", h);
                        }
                    }
                    if self.conn_opts(&hc, &s.line.span) {
                        hosts += 1;
                    }
                }
                _ => self.lvs_unknown(B, s),
            }
        }
        if conn.configured || hosts == 0 {
            let mut dst = conn.dst.unwrap_or(rs.addr);
            dst.port = port.unwrap_or(rs.addr.port);
            conn.dst = Some(dst);
            self.conn_opts(&conn, span);
        }
    }

    fn misc_check(&mut self, body: &[Stmt], span: &Span) {
        const B: &str = "MISC_CHECK";
        let mut script: Option<crate::model::ScriptCommand> = None;
        let mut user_set = false;
        let mut removed = false;
        for s in body {
            if self.checker_common(B, None, s) {
                continue;
            }
            let kw = s.keyword();
            if keywords::find(B, kw).is_none() {
                self.lvs_unknown(B, s);
                continue;
            }
            self.lvs_plain(B, s);
            if removed {
                // keepalived forgot the checker: its own keywords are no longer read.
                continue;
            }
            match kw {
                "misc_path" if s.line.words.len() >= 2 => {
                    script = self.script_cmd(s, false);
                }
                "misc_timeout" => {
                    let Some(t) = self.arg(s, 1) else { continue };
                    if self
                        .lvs_unsigned(t, 0, u64::from(u32::MAX) / 1_000_000)
                        .is_none()
                    {
                        self.lvs_error(&t.span, format!("Invalid misc_timeout value '{}'", t.text));
                    }
                }
                "misc_dynamic" => {}
                "user" => {
                    let cmd = script.as_ref().map_or(String::new(), cmd_str);
                    let Some(u) = s.line.words.get(1) else {
                        self.lvs_error(
                            &s.line.span,
                            format!("No user specified for misc checker script {cmd}"),
                        );
                        continue;
                    };
                    let user = crate::model::ScriptUser {
                        user: u.text.clone(),
                        group: s.line.words.get(2).map(|g| g.text.clone()),
                    };
                    if self.opts.check_interfaces && !super::super::user_exists(&user) {
                        self.lvs_error(
                            &u.span,
                            format!(
                                "Failed to set uid/gid for misc checker script {cmd} - removing"
                            ),
                        );
                        removed = true;
                        continue;
                    }
                    if let Some(c) = &mut script {
                        c.user = Some(user);
                    }
                    user_set = true;
                }
                _ => {}
            }
        }
        if removed {
            return;
        }
        let Some(mut cmd) = script else {
            self.lvs_error(
                span,
                "No script path has been specified for MISC_CHECKER - skipping",
            );
            return;
        };
        if !user_set && self.opts.check_interfaces && self.default_user_failed() {
            self.lvs_error(
                span,
                format!(
                    "Unable to set default user for misc script {} - removing",
                    cmd_str(&cmd)
                ),
            );
            return;
        }
        if !user_set {
            cmd.user = None;
        }
        self.lvs.misc_scripts.push(cmd);
    }

    fn file_check(&mut self, body: &[Stmt], span: &Span) {
        const B: &str = "FILE_CHECK";
        let mut file = false;
        for s in body {
            let kw = s.keyword();
            if keywords::find(B, kw).is_none() {
                self.lvs_unknown(B, s);
                continue;
            }
            self.lvs_plain(B, s);
            let w = &s.line.words;
            match kw {
                "track_file" => {
                    let Some(t) = self.arg(s, 1) else { continue };
                    if self.config.track_files.iter().any(|f| f.name == t.text) {
                        file = true;
                    } else {
                        let d = self.rep.at(
                            Severity::Error,
                            Some(crate::config::diag::Level::GeneralError),
                            &t.span,
                            format!("track_file {} not found", t.text),
                        );
                        d.help = Some(
                            "a FILE_CHECK can only use a track_file block written before it".into(),
                        );
                    }
                }
                _ => {
                    let Some(t) = w.get(1) else {
                        self.lvs_error(&s.line.span, "track file weight missing");
                        continue;
                    };
                    if self
                        .lvs_int(t, -i64::from(i32::MAX), i64::from(i32::MAX))
                        .is_none()
                    {
                        self.lvs_error(
                            &t.span,
                            format!(
                                "weight for track file must be in [{}..{}] inclusive. Ignoring...",
                                -i64::from(i32::MAX),
                                i32::MAX
                            ),
                        );
                        continue;
                    }
                    if let Some(o) = w.get(2) {
                        if !matches!(o.text.as_str(), "reverse" | "noreverse") {
                            self.lvs_error(
                                &o.span,
                                format!("unknown track file weight option {} - ignoring", o.text),
                            );
                        }
                    }
                }
            }
        }
        if !file {
            self.lvs_error(span, "FILE_CHECK has no track_file specified - ignoring");
        }
    }

    fn bfd_check(
        &mut self,
        vs: &VirtualServer,
        rs: &Server,
        bfds: &mut Vec<String>,
        body: &[Stmt],
        span: &Span,
    ) {
        const B: &str = "BFD_CHECK";
        let who = vs.rs_label(&rs.addr);
        let mut name: Option<String> = None;
        let mut dropped = false;
        for s in body {
            let kw = s.keyword();
            if keywords::find(B, kw).is_none() {
                self.lvs_unknown(B, s);
                continue;
            }
            self.lvs_plain(B, s);
            if dropped {
                continue;
            }
            match kw {
                "name" => {
                    let w = &s.line.words;
                    let why = if w.len() != 2 {
                        Some(format!(
                            "({who}) BFD_CHECK - No or too many names specified - skipping checker"
                        ))
                    } else if !self.lvs.bfds.contains(&w[1].text) {
                        Some(format!(
                            "({who}) BFD_CHECK - BFD {} not configured",
                            w[1].text
                        ))
                    } else if let Some(n) = &name {
                        Some(format!(
                            "({who}) BFD_CHECK - BFD {} already specified as {n}",
                            w[1].text
                        ))
                    } else if w[1].text.len() >= BFD_INAME_MAX {
                        Some(format!(
                            "({who}) BFD_CHECK - BFD name {} too long",
                            w[1].text
                        ))
                    } else if bfds.contains(&w[1].text) {
                        Some(format!(
                            "({who}) BFD_CHECK - RS already monitoring {}",
                            w[1].text
                        ))
                    } else {
                        None
                    };
                    match why {
                        Some(msg) => {
                            self.lvs_error(&s.line.span, msg);
                            dropped = true;
                        }
                        None => name = Some(w[1].text.clone()),
                    }
                }
                _ => {
                    self.lvs_bool(s, "Invalid alpha parameter");
                }
            }
        }
        if dropped {
            return;
        }
        match name {
            Some(n) => bfds.push(n),
            None => self.lvs_error(
                span,
                format!("({who}) No name has been specified for BFD_CHECKER - skipping"),
            ),
        }
    }
}

/// `make_strvec_str(strvec, 1)`: the words after the keyword, joined by one blank.
fn joined(st: &Stmt) -> String {
    st.line.words[1..]
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `cmd_str()`: each word quoted, except a first word that is a `<`/`>` redirection.
fn cmd_str(cmd: &crate::model::ScriptCommand) -> String {
    cmd.argv
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 && (a.starts_with('<') || a.starts_with('>')) {
                a.clone()
            } else {
                format!("'{a}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
