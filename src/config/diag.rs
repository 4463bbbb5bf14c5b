//! Diagnostics: what the front-end tells the user, where, and how much it weighs in
//! keepalived's `-t` verdict.
//!
//! keepalived records the *highest* `config_err_t` value it has seen (not the most severe) and
//! maps it to the `-t` exit code; [`Level`] mirrors that enum so our exit codes match. Our own
//! extra advice (skipped LVS blocks, "parsed but not acted on") carries no level and never
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
    // A missing parameter stops keepalived at once (2); file errors (6) are acted on only
    // once everything has been read, so a later immediate abort still wins.
    let aborts = || diags.iter().filter_map(|d| d.abort);
    if let Some(code) = aborts().find(|&c| c != 6).or_else(|| aborts().next()) {
        return code;
    }
    match diags.iter().filter_map(|d| d.level).max() {
        None => 0,
        Some(Level::FileNotFound | Level::BadIf | Level::Fatal) => 4,
        Some(Level::SecurityError) => 6,
        Some(_) => 5,
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
}
