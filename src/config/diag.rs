//! Diagnostics: what the front-end tells the user, where, and how much it weighs in
//! keepalived's `-t` verdict.
//!
//! keepalived records the *highest* `config_err_t` value it has seen (not the most severe) and
//! maps it to the `-t` exit code; [`Level`] mirrors that enum so our exit codes match. Our own
//! extra advice (LVS blocks not acted on, "parsed but not acted on") carries no level and never
//! changes the exit code.

use std::fmt;
use std::sync::Arc;

/// A position in a configuration file: 1-based line and column (in characters), and the
/// length in characters of the token it points at (at least 1 when rendered).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    /// File name as given on the command line or in the `include` line, resolved.
    pub file: Arc<str>,
    /// Physical line number in `file` (1-based).
    pub line: u32,
    /// Column of the first character (1-based, counted in characters).
    pub col: u32,
    /// Length of the token in characters.
    pub len: u32,
}

/// How a diagnostic is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// keepalived would refuse to run this configuration (exits 2 / not configured).
    Fatal,
    /// keepalived reports a configuration error; the value is defaulted or ignored.
    Error,
    /// keepalived reports a warning, or we skip something it would act on.
    Warning,
    /// Our own advice; keepalived is silent or only logs it.
    Note,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Self::Fatal => "fatal",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Note => "note",
        }
    }
}

/// keepalived's `config_err_t` (lib/parser.h), in its order: the `-t` exit code comes from the
/// highest value recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// File could not be found or read.
    FileNotFound,
    /// A named interface does not exist.
    BadIf,
    /// A fatal configuration error.
    Fatal,
    /// Several files matched the main configuration name.
    MultipleFiles,
    /// `Unknown keyword 'X'`.
    UnknownKeyword,
    /// `Unexpected '{'`.
    UnexpectedBob,
    /// `Missing '{' at beginning of configuration block`.
    MissingBob,
    /// `Extra '}' found`.
    UnexpectedEob,
    /// `There are N missing '}'s or extra '{'s`.
    MissingEob,
    /// An unmatched `"`.
    UnmatchedQuote,
    /// A keyword without its value.
    MissingParameter,
    /// A malformed or out-of-range number.
    InvalidNumber,
    /// Any other configuration error.
    GeneralError,
    /// `CONFIG_WARNING`.
    Warning,
    /// A deprecated keyword.
    Deprecated,
    /// Scripts configured without `enable_script_security`.
    SecurityError,
}

/// One message about the configuration, with the keepalived weight it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How it is rendered.
    pub severity: Severity,
    /// The message, worded after keepalived's where it has one.
    pub message: String,
    /// Where; `None` for whole-configuration findings (e.g. a missing file).
    pub span: Option<Span>,
    /// The `config_err_t` keepalived records for the same finding; `None` = it records nothing.
    pub level: Option<Level>,
    /// keepalived stops reading and exits with this code at once (missing parameter: 2,
    /// missing `includea` file: 6).
    pub abort: Option<i32>,
    /// The physical source line `span` points into, for the caret rendering.
    pub source_line: Option<String>,
    /// "did you mean" and similar hints, rendered after the caret.
    pub help: Option<String>,
    /// Found where keepalived's VRRP child parses (`vrrp_instance`, `vrrp_script`): its
    /// abort only happens if the parent, which reads everything else first, did not stop.
    pub(crate) vrrp_child: bool,
}

impl Diagnostic {
    /// A diagnostic without location.
    pub fn new(severity: Severity, level: Option<Level>, message: impl Into<String>) -> Self {
        Self {
            severity,
            message: message.into(),
            span: None,
            level,
            abort: None,
            source_line: None,
            help: None,
            vrrp_child: false,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// rustc style: `file:line:col: severity: message`, then the source line and a caret line
    /// under the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.span {
            Some(s) => write!(
                f,
                "{}:{}:{}: {}: {}",
                s.file,
                s.line,
                s.col,
                self.severity.label(),
                self.message
            )?,
            None => write!(f, "{}: {}", self.severity.label(), self.message)?,
        }
        if let (Some(s), Some(src)) = (&self.span, &self.source_line) {
            let gutter = s.line.to_string();
            let pad = " ".repeat(gutter.len());
            write!(f, "\n{pad} |\n{gutter} | {src}\n{pad} | ")?;
            // Keep tabs, and double width for CJK, so the caret lines up under the token.
            let before = s.col.saturating_sub(1) as usize;
            for c in src.chars().take(before) {
                match c {
                    '\t' => f.write_str("\t")?,
                    c => f.write_str(&" ".repeat(width(c)))?,
                }
            }
            let token: usize = src
                .chars()
                .skip(before)
                .take(s.len as usize)
                .map(width)
                .sum();
            write!(f, "{}", "^".repeat(token.max(1)))?;
        }
        if let Some(h) = &self.help {
            let width = self.span.as_ref().map_or(1, |s| s.line.to_string().len());
            write!(f, "\n{}= help: {h}", " ".repeat(width + 1))?;
        }
        Ok(())
    }
}

/// Terminal columns taken by `c`: 2 for East Asian wide characters, else 1.
fn width(c: char) -> usize {
    let u = c as u32;
    let wide = matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

/// keepalived's `-t` exit code for a list of diagnostics (inventory §5.5, `config_test_exit()`).
pub(crate) fn test_exit_code(diags: &[Diagnostic]) -> i32 {
    // The parent reads the files first: a missing parameter in what it parses stops it at
    // once (2); file errors (6) stop it once reading ends; only then does the VRRP child
    // parse its blocks and stop on their missing parameters (2). Observed with 2.2.7.
    let parent = diags
        .iter()
        .filter(|d| !d.vrrp_child)
        .find_map(|d| d.abort.filter(|&c| c != 6));
    let file = diags.iter().find_map(|d| d.abort.filter(|&c| c == 6));
    if let Some(code) = parent
        .or(file)
        .or_else(|| diags.iter().find_map(|d| d.abort))
    {
        return code;
    }
    match diags.iter().filter_map(|d| d.level).max() {
        None => 0,
        Some(Level::FileNotFound | Level::BadIf | Level::Fatal) => 4,
        Some(Level::SecurityError) => 6,
        Some(_) => 5,
    }
}

/// Writes `s` as a JSON string literal: quotes, backslashes and control characters escaped.
pub(crate) fn json_str(out: &mut String, s: &str) {
    use fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_opt_str(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.push_str("null"),
    }
}

/// The JSON document of `--config-test --json`: the `-t` exit code, whether keepalived would
/// refuse to run, and every diagnostic with its location (1-based line and column; `null`
/// without one), its keepalived `config_err_t` weight and its help text.
pub(crate) fn to_json(diags: &[Diagnostic], exit_code: i32, fatal: bool) -> String {
    use fmt::Write as _;
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"exit_code\":{exit_code},\"fatal\":{fatal},\"diagnostics\":["
    );
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"severity\":");
        json_str(&mut out, d.severity.label());
        out.push_str(",\"message\":");
        json_str(&mut out, &d.message);
        out.push_str(",\"file\":");
        json_opt_str(&mut out, d.span.as_ref().map(|s| &*s.file));
        match &d.span {
            Some(s) => {
                let _ = write!(
                    out,
                    ",\"line\":{},\"col\":{},\"len\":{}",
                    s.line, s.col, s.len
                );
            }
            None => out.push_str(",\"line\":null,\"col\":null,\"len\":null"),
        }
        out.push_str(",\"level\":");
        json_opt_str(&mut out, d.level.map(Level::name));
        out.push_str(",\"help\":");
        json_opt_str(&mut out, d.help.as_deref());
        out.push('}');
    }
    out.push_str("]}");
    out
}

impl Level {
    /// keepalived's name for the level (`CONFIG_UNKNOWN_KEYWORD`…), as in lib/parser.h.
    pub fn name(self) -> &'static str {
        match self {
            Self::FileNotFound => "CONFIG_FILE_NOT_FOUND",
            Self::BadIf => "CONFIG_BAD_IF",
            Self::Fatal => "CONFIG_FATAL",
            Self::MultipleFiles => "CONFIG_MULTIPLE_FILES",
            Self::UnknownKeyword => "CONFIG_UNKNOWN_KEYWORD",
            Self::UnexpectedBob => "CONFIG_UNEXPECTED_BOB",
            Self::MissingBob => "CONFIG_MISSING_BOB",
            Self::UnexpectedEob => "CONFIG_UNEXPECTED_EOB",
            Self::MissingEob => "CONFIG_MISSING_EOB",
            Self::UnmatchedQuote => "CONFIG_UNMATCHED_QUOTE",
            Self::MissingParameter => "CONFIG_MISSING_PARAMETER",
            Self::InvalidNumber => "CONFIG_INVALID_NUMBER",
            Self::GeneralError => "CONFIG_GENERAL_ERROR",
            Self::Warning => "CONFIG_WARNING",
            Self::Deprecated => "CONFIG_DEPRECATED",
            Self::SecurityError => "CONFIG_SECURITY_ERROR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(level: Option<Level>) -> Diagnostic {
        Diagnostic::new(Severity::Error, level, "x")
    }

    #[test]
    fn exit_code_takes_highest_level_not_most_severe() {
        assert_eq!(test_exit_code(&[]), 0);
        assert_eq!(test_exit_code(&[d(None)]), 0);
        assert_eq!(test_exit_code(&[d(Some(Level::BadIf))]), 4);
        assert_eq!(
            test_exit_code(&[d(Some(Level::BadIf)), d(Some(Level::GeneralError))]),
            5
        );
        assert_eq!(
            test_exit_code(&[
                d(Some(Level::SecurityError)),
                d(Some(Level::UnknownKeyword))
            ]),
            6
        );
    }

    #[test]
    fn abort_wins_in_order() {
        let mut a = d(Some(Level::MissingParameter));
        a.abort = Some(2);
        assert_eq!(test_exit_code(&[d(Some(Level::SecurityError)), a]), 2);
    }

    #[test]
    fn display_has_caret_under_token() {
        let mut x = Diagnostic::new(Severity::Error, Some(Level::InvalidNumber), "bad");
        x.span = Some(Span {
            file: "k.conf".into(),
            line: 3,
            col: 11,
            len: 3,
        });
        x.source_line = Some("\tpriority 300".into());
        let s = x.to_string();
        assert_eq!(
            s,
            "k.conf:3:11: error: bad\n  |\n3 | \tpriority 300\n  | \t         ^^^"
        );
    }

    #[test]
    fn caret_accounts_for_wide_characters() {
        let mut x = Diagnostic::new(Severity::Warning, None, "w");
        x.span = Some(Span {
            file: "k".into(),
            line: 1,
            col: 3,
            len: 2,
        });
        x.source_line = Some("中 文x".into());
        assert!(x.to_string().ends_with("1 | 中 文x\n  |    ^^^"), "{x}");
    }

    #[test]
    fn json_escapes_and_nulls() {
        let mut a = Diagnostic::new(
            Severity::Warning,
            Some(Level::UnknownKeyword),
            "Unknown keyword 'a\"b\\c'\n\t\u{1}é",
        );
        a.span = Some(Span {
            file: "dir/k \"1\".conf".into(),
            line: 7,
            col: 3,
            len: 4,
        });
        a.help = Some("did you mean `priority`?".into());
        let b = Diagnostic::new(Severity::Fatal, None, "Config files missing 'x'");
        let j = to_json(&[a, b], 5, true);
        assert_eq!(
            j,
            concat!(
                r#"{"exit_code":5,"fatal":true,"diagnostics":["#,
                r#"{"severity":"warning","message":"Unknown keyword 'a\"b\\c'\n\t\u0001é","#,
                r#""file":"dir/k \"1\".conf","line":7,"col":3,"len":4,"#,
                r#""level":"CONFIG_UNKNOWN_KEYWORD","help":"did you mean `priority`?"},"#,
                r#"{"severity":"fatal","message":"Config files missing 'x'","file":null,"#,
                r#""line":null,"col":null,"len":null,"level":null,"help":null}]}"#
            )
        );
        assert_eq!(
            to_json(&[], 0, false),
            r#"{"exit_code":0,"fatal":false,"diagnostics":[]}"#
        );
    }
}
