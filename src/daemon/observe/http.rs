//! The little HTTP/1.x the metrics endpoint speaks: one request per connection (`GET` or
//! `HEAD` of `/metrics` or `/`), its head parsed by `httparse` (the parser hyper uses, no
//! dependencies, fuzzed upstream), the exposition format chosen from `Accept`, and a response
//! that always closes the connection. Pure functions over bytes: the socket side is in
//! [`super::metrics`]. Anything else gets a 4xx answer, never a panic.

/// A request head longer than this is refused (431): scrapers send a few hundred bytes.
pub const MAX_HEAD: usize = 8 * 1024;
/// Headers beyond this many are refused (431).
const MAX_HEADERS: usize = 32;

/// `Content-Type` of the Prometheus text format 0.0.4.
pub const TEXT_004: &str = "text/plain; version=0.0.4; charset=utf-8";
/// `Content-Type` of OpenMetrics 1.0.0 text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The metrics, in OpenMetrics (`true`) or 0.0.4 text.
    Metrics { openmetrics: bool, head: bool },
    /// A short page naming `/metrics`.
    Index { head: bool },
    /// An error status with a one-line body.
    Error(u16),
}

/// The outcome of reading the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The head is not complete yet.
    Partial,
    /// A complete head, and what to answer.
    Complete(Answer),
}

/// Reads a request head from `buf` (everything received so far).
pub fn parse(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => {
            Parsed::Complete(Answer::Error(431))
        }
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => {
            Parsed::Complete(Answer::Error(431))
        }
        Err(httparse::Error::TooManyHeaders) => Parsed::Complete(Answer::Error(431)),
        Err(_) => Parsed::Complete(Answer::Error(400)),
        Ok(httparse::Status::Complete(_)) => {
            let (Some(method), Some(path)) = (req.method, req.path) else {
                return Parsed::Complete(Answer::Error(400));
            };
            let head = match method {
                "GET" => false,
                "HEAD" => true,
                _ => return Parsed::Complete(Answer::Error(405)),
            };
            let path = path.split(['?', '#']).next().unwrap_or_default();
            let accept = req
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("accept"))
                .filter_map(|h| std::str::from_utf8(h.value).ok())
                .collect::<Vec<_>>()
                .join(",");
            Parsed::Complete(match path {
                "/metrics" => Answer::Metrics {
                    openmetrics: wants_openmetrics(&accept),
                    head,
                },
                "/" => Answer::Index { head },
                _ => Answer::Error(404),
            })
        }
    }
}

/// Content negotiation as Prometheus does it: OpenMetrics when the client accepts it with a
/// quality at least that of plain text (Prometheus asks for it first with q=1 by default).
pub fn wants_openmetrics(accept: &str) -> bool {
    let mut om = 0.0f32;
    let mut text = 0.0f32;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .find_map(|v| v.parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        match media.as_str() {
            "application/openmetrics-text" => om = om.max(q),
            "text/plain" | "text/*" | "*/*" => text = text.max(q),
            _ => {}
        }
    }
    om > 0.0 && om >= text
}

/// keepalived-rs's reason phrase for the statuses it sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A whole response: status line, headers (the connection is always closed after it) and,
/// unless `head`, the body.
pub fn response(status: u16, content_type: &str, body: &str, head: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reason(status),
        body.len()
    );
    if status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    if !head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

/// The response to an error status.
pub fn error_response(status: u16) -> Vec<u8> {
    response(
        status,
        "text/plain; charset=utf-8",
        &format!("{status} {}\n", reason(status)),
        false,
    )
}

/// The body of `/`.
pub const INDEX: &str = "keepalived-rs: metrics are at /metrics\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(req: &[u8]) -> Parsed {
        parse(req)
    }

    #[test]
    fn scrapes_choose_the_format_from_accept() {
        assert_eq!(
            answer(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Parsed::Complete(Answer::Metrics {
                openmetrics: false,
                head: false
            })
        );
        // What Prometheus 2.x sends.
        let prom = b"GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n";
        assert_eq!(
            answer(prom),
            Parsed::Complete(Answer::Metrics {
                openmetrics: true,
                head: false
            })
        );
        assert_eq!(
            answer(b"HEAD /metrics HTTP/1.0\r\naccept: text/plain;version=0.0.4\r\n\r\n"),
            Parsed::Complete(Answer::Metrics {
                openmetrics: false,
                head: true
            })
        );
        assert!(!wants_openmetrics(
            "text/plain, application/openmetrics-text;q=0.5"
        ));
        assert!(!wants_openmetrics("application/openmetrics-text;q=0"));
        assert!(wants_openmetrics(
            "application/openmetrics-text; version=1.0.0"
        ));
        assert!(!wants_openmetrics(""));
        assert_eq!(
            answer(b"GET / HTTP/1.1\r\n\r\n"),
            Parsed::Complete(Answer::Index { head: false })
        );
    }

    #[test]
    fn bad_requests_get_an_error_status_never_a_panic() {
        assert_eq!(answer(b""), Parsed::Partial);
        assert_eq!(answer(b"GET /metrics HTTP/1.1\r\nHost"), Parsed::Partial);
        let bad: &[(&[u8], u16)] = &[
            (b"POST /metrics HTTP/1.1\r\n\r\n", 405),
            (b"GET /nope HTTP/1.1\r\n\r\n", 404),
            (b"GET /metrics HTTP/2.0\r\n\r\n", 400),
            (b"GET /metrics SPDY\r\n\r\n", 400),
            (b"\x00\x01\x02\x03\r\n\r\n", 400),
            (b"GET\r\n\r\n", 400),
            (b"GET /metrics HTTP/1.1\r\nBad Header\r\n\r\n", 400),
            (b"GET /metrics HTTP/1.1\r\nX: \xff\x01\r\n\r\n", 400),
        ];
        for (req, status) in bad {
            assert_eq!(
                answer(req),
                Parsed::Complete(Answer::Error(*status)),
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
        let many: String = (0..40).map(|i| format!("X-{i}: y\r\n")).collect();
        assert_eq!(
            answer(format!("GET /metrics HTTP/1.1\r\n{many}\r\n").as_bytes()),
            Parsed::Complete(Answer::Error(431))
        );
        // A head that never ends is cut off at MAX_HEAD.
        let long = format!("GET /metrics HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        assert_eq!(
            answer(long.as_bytes()),
            Parsed::Complete(Answer::Error(431))
        );
        // Every prefix and arbitrary bytes: some answer, no panic.
        let req = b"GET /metrics HTTP/1.1\r\nAccept: */*;q=abc,;;,q=\r\n\r\n";
        for n in 0..=req.len() {
            let _ = parse(&req[..n]);
        }
        let mut x: u32 = 0x2545_f491;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x & 0xff) as u8
                })
                .collect();
            let _ = parse(&bytes);
        }
    }

    #[test]
    fn responses_always_close_and_say_their_length() {
        let r = String::from_utf8(response(200, TEXT_004, "a 1\n", false)).unwrap();
        assert_eq!(
            r,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\na 1\n"
        );
        let h = String::from_utf8(response(200, TEXT_004, "a 1\n", true)).unwrap();
        assert!(h.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n"));
        let e = String::from_utf8(error_response(405)).unwrap();
        assert!(e.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(e.contains("\r\nAllow: GET, HEAD\r\n"));
    }
}
