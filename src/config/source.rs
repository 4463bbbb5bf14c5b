//! The source map: files, `include`, conditional `@id` lines and `$NAME` parameters, turned into
//! logical lines whose words keep their original file, line and column (inventory §1.1, §1.5–1.7).
//!
//! This is the only part of the front-end that touches the filesystem (to read includes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::diag::{Diagnostic, Level, Severity, Span};
use super::lexer::{self, Mapped};

/// keepalived's `MAXBUF`: a line of 1023 characters or more is dropped.
const MAX_LINE: usize = 1023;
/// Bound on nested includes (keepalived has none, but a loop must not hang us).
const MAX_INCLUDE_DEPTH: usize = 32;

/// A word with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub text: String,
    pub span: Span,
}

/// One logical line: one statement, or a lone `{` / `}`.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub words: Vec<Token>,
    /// The comment-free text of the logical line, re-tokenised by script keywords (§1.3).
    pub text: String,
    /// Location of the whole logical line (first word).
    pub span: Span,
}

/// Collects diagnostics and remembers the source lines they point into.
#[derive(Debug, Default)]
pub(crate) struct Reporter {
    pub diags: Vec<Diagnostic>,
    files: HashMap<Arc<str>, Vec<String>>,
}

impl Reporter {
    fn add_file(&mut self, name: &Arc<str>, lines: Vec<String>) {
        self.files.insert(name.clone(), lines);
    }

    /// Records a diagnostic at `span`; returns it so callers can add help or an abort code.
    pub fn at(
        &mut self,
        severity: Severity,
        level: Option<Level>,
        span: &Span,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::new(severity, level, message);
        d.source_line = self
            .files
            .get(&span.file)
            .and_then(|l| l.get(span.line as usize - 1))
            .cloned();
        d.span = Some(span.clone());
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    /// Records a diagnostic without location.
    pub fn global(
        &mut self,
        severity: Severity,
        level: Option<Level>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(severity, level, message));
        self.diags.last_mut().expect("just pushed")
    }
}

/// Reads a configuration (and everything it includes) into logical lines.
pub(crate) struct Reader<'a> {
    pub rep: &'a mut Reporter,
    pub config_id: &'a str,
    pub lines: Vec<Line>,
    defs: HashMap<String, String>,
    depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(rep: &'a mut Reporter, config_id: &'a str) -> Self {
        Self {
            rep,
            config_id,
            lines: Vec::new(),
            defs: HashMap::new(),
            depth: 0,
        }
    }

    /// Reads `text` as file `name`; relative includes resolve against `dir`.
    pub fn read_text(&mut self, name: &str, text: &str, dir: Option<&Path>) {
        let file: Arc<str> = Arc::from(name);
        let physical: Vec<String> = text
            .split('\n')
            .map(|l| l.trim_end_matches(['\r', '\n']).to_string())
            .collect();
        self.rep.add_file(&file, physical.clone());
        for (idx, raw) in physical.iter().enumerate() {
            let lineno = idx as u32 + 1;
            let whole = Span {
                file: file.clone(),
                line: lineno,
                col: 1,
                len: 1,
            };
            if raw.len() >= MAX_LINE {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole,
                    "line too long - ignoring",
                );
                continue;
            }
            if raw.contains('\0') {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole,
                    "configuration appears to have embedded NULs - ignoring line",
                );
                continue;
            }
            let d = lexer::decomment(raw);
            if d.line.text.is_empty() {
                continue;
            }
            if d.unterminated_quote {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole,
                    format!("Unterminated quote '{}'", d.line.text),
                );
            }
            let Some(mut line) = self.conditional(d.line) else {
                continue;
            };
            if self.definition(&line.text) {
                continue;
            }
            if line.text.contains('$') {
                line = self.substitute(line);
                // keepalived re-decomments after substitution: a value holding `#` starts a
                // comment. The second pass maps to characters of the substituted text; chain
                // that through the first map so columns still point into the source line.
                let again = lexer::decomment(&line.text);
                let mut char_cols: Vec<u32> = line
                    .text
                    .char_indices()
                    .map(|(b, _)| line.cols[b])
                    .collect();
                char_cols.push(*line.cols.last().expect("end column"));
                let remap = |c: u32| char_cols[(c as usize - 1).min(char_cols.len() - 1)];
                line = Mapped {
                    cols: again.line.cols.iter().map(|&c| remap(c)).collect(),
                    text: again.line.text,
                };
                if line.text.is_empty() {
                    continue;
                }
            }
            if self.include(&line, &file, lineno, dir) {
                continue;
            }
            for seg in lexer::split_braces(&line) {
                let (words, cut) = lexer::words(&seg);
                let tokens: Vec<Token> = words
                    .into_iter()
                    .map(|w| Token {
                        span: Span {
                            file: file.clone(),
                            line: lineno,
                            col: w.col,
                            len: w.len,
                        },
                        text: w.text,
                    })
                    .collect();
                let span = tokens
                    .first()
                    .map(|t| t.span.clone())
                    .unwrap_or_else(|| whole.clone());
                if cut {
                    self.rep.at(
                        Severity::Error,
                        Some(Level::UnmatchedQuote),
                        &span,
                        format!("Unmatched quote: '{}'", seg.text),
                    );
                }
                if !tokens.is_empty() {
                    self.lines.push(Line {
                        words: tokens,
                        text: seg.text,
                        span,
                    });
                }
            }
        }
    }

    /// `@ID text` / `@^ID text` (§1.7): keeps or drops the line, stripping the prefix.
    fn conditional(&self, line: Mapped) -> Option<Mapped> {
        let Some(rest) = line.text.strip_prefix('@') else {
            return Some(line);
        };
        let (negate, rest) = match rest.strip_prefix('^') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let id_len = rest.find(lexer::is_blank)?;
        let id = &rest[..id_len];
        if (id == self.config_id) == negate {
            return None;
        }
        let prefix = line.text.len() - rest.len() + id_len;
        let body = &line.text[prefix..];
        let lead = body.len() - body.trim_start_matches(lexer::is_blank).len();
        let start = prefix + lead;
        Some(Mapped {
            text: line.text[start..].to_string(),
            cols: line.cols[start..].to_vec(),
        })
    }

    /// `$NAME=VALUE` (§1.6, single-line form).
    fn definition(&mut self, text: &str) -> bool {
        let Some(rest) = text.strip_prefix('$') else {
            return false;
        };
        let Some(eq) = rest.find('=') else {
            return false;
        };
        let name = &rest[..eq];
        let mut chars = name.chars();
        let valid = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return false;
        }
        let value = rest[eq + 1..].trim_start_matches(lexer::is_blank);
        self.defs.insert(name.to_string(), value.to_string());
        true
    }

    /// Replaces known `${NAME}` anywhere and `$NAME` before a blank, `,`, `)` or the end.
    /// Unknown names are left as written; expansion is bounded to keep loops finite.
    fn substitute(&self, line: Mapped) -> Mapped {
        let mut cur = line;
        for _ in 0..16 {
            let mut text = String::new();
            let mut cols = Vec::new();
            let mut changed = false;
            let s = cur.text.as_str();
            let mut i = 0;
            while i < s.len() {
                if s[i..].starts_with('$') {
                    if let Some((name, used)) = param_at(&s[i + 1..]) {
                        if let Some(v) = self.defs.get(name).or(builtin(name)) {
                            text.push_str(v);
                            cols.extend(std::iter::repeat_n(cur.cols[i], v.len()));
                            i += 1 + used;
                            changed = true;
                            continue;
                        }
                    }
                }
                let c = s[i..].chars().next().expect("in bounds");
                text.push(c);
                cols.extend_from_slice(&cur.cols[i..i + c.len_utf8()]);
                i += c.len_utf8();
            }
            cols.push(*cur.cols.last().expect("end column"));
            cur = Mapped { text, cols };
            if !changed || cur.text.len() > MAX_LINE {
                break;
            }
        }
        cur
    }

    /// `include PATTERN` and its checked variants (§1.5). Returns true when the line was one.
    fn include(&mut self, line: &Mapped, file: &Arc<str>, lineno: u32, dir: Option<&Path>) -> bool {
        let (words, _) = lexer::words(line);
        let Some(first) = words.first() else {
            return false;
        };
        let strict = match first.text.as_str() {
            "include" | "includer" => false,
            "includem" | "includew" | "includeb" | "includea" => true,
            _ => return false,
        };
        let span = Span {
            file: file.clone(),
            line: lineno,
            col: first.col,
            len: first.len,
        };
        let Some(pattern) = words.get(1) else {
            self.rep
                .at(
                    Severity::Fatal,
                    Some(Level::MissingParameter),
                    &span,
                    format!(
                        "*** Configuration line starting `{}` is missing a parameter after keyword `{}` at word position 2",
                        first.text, first.text
                    ),
                )
                .abort = Some(2);
            return true;
        };
        let path = Path::new(&pattern.text);
        let full = match dir {
            Some(d) if path.is_relative() => d.join(path),
            _ => path.to_path_buf(),
        };
        let matches = glob(&full);
        if matches.is_empty() {
            let msg = format!("Config files missing '{}'.", pattern.text);
            if strict {
                let d = self
                    .rep
                    .at(Severity::Fatal, Some(Level::FileNotFound), &span, msg);
                d.abort = Some(6);
            } else {
                self.rep.at(Severity::Warning, None, &span, msg);
            }
            return true;
        }
        if self.depth >= MAX_INCLUDE_DEPTH {
            self.rep.at(
                Severity::Error,
                Some(Level::GeneralError),
                &span,
                "include nesting too deep (include loop?) - ignoring",
            );
            return true;
        }
        for m in matches {
            if !is_plain_file(&m) {
                self.rep.at(
                    Severity::Note,
                    None,
                    &span,
                    format!(
                        "Configuration file '{}' is not a regular non-executable file - skipping",
                        m.display()
                    ),
                );
                continue;
            }
            match std::fs::read(&m) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    self.depth += 1;
                    let sub = m.parent().map(Path::to_path_buf);
                    self.read_text(&m.display().to_string(), &text, sub.as_deref());
                    self.depth -= 1;
                }
                Err(e) => {
                    let d = self.rep.at(
                        Severity::Fatal,
                        Some(Level::FileNotFound),
                        &span,
                        format!("Unable to read configuration file {}: {e}", m.display()),
                    );
                    if strict {
                        d.abort = Some(6);
                    }
                }
            }
        }
        true
    }
}

/// `NAME` or `{NAME}` after a `$`: returns the name and the bytes consumed.
fn param_at(s: &str) -> Option<(&str, usize)> {
    if let Some(body) = s.strip_prefix('{') {
        let end = body.find('}')?;
        return Some((&body[..end], end + 2));
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let next = s[end..].chars().next();
    if end == 0 || !matches!(next, None | Some(' ' | '\t' | ',' | ')')) {
        return None;
    }
    Some((&s[..end], end))
}

fn builtin(name: &str) -> Option<&'static String> {
    use std::sync::OnceLock;
    static HASH: OnceLock<String> = OnceLock::new();
    static BANG: OnceLock<String> = OnceLock::new();
    match name {
        // Escaped so that the re-decomment after substitution leaves a literal mark.
        "_HASH" => Some(HASH.get_or_init(|| "\\#".into())),
        "_BANG" => Some(BANG.get_or_init(|| "\\!".into())),
        _ => None,
    }
}

/// keepalived reads only regular files without any execute bit.
fn is_plain_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(p) {
        Ok(m) => m.is_file() && m.permissions().mode() & 0o111 == 0,
        Err(_) => true, // reported when reading
    }
}

/// Expands `*`, `?` and `[…]` per path component, in sorted order (as `glob(3)` does).
pub(crate) fn glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    let comps: Vec<_> = pattern.components().collect();
    for (i, comp) in comps.iter().enumerate() {
        let part = comp.as_os_str().to_string_lossy();
        let last = i + 1 == comps.len();
        let mut next = Vec::new();
        for base in &found {
            if part.contains(['*', '?', '[']) {
                let dir = if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base
                };
                let Ok(rd) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = rd
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                for n in names {
                    if (n.starts_with('.') && !part.starts_with('.')) || !wild_match(&part, &n) {
                        continue;
                    }
                    let p = base.join(&n);
                    if last || p.is_dir() {
                        next.push(p);
                    }
                }
            } else {
                let p = base.join(comp.as_os_str());
                if last {
                    if p.exists() {
                        next.push(p)
                    }
                } else {
                    next.push(p)
                }
            }
        }
        found = next;
    }
    found
}

/// Shell-style matching of one name component.
fn wild_match(pat: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                    return n.first() == Some(&'[') && go(&p[1..], &n[1..]);
                };
                let Some(&c) = n.first() else { return false };
                let set = &p[1..close];
                let (neg, set) = match set.first() {
                    Some('!' | '^') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &n[1..])
            }
            Some(&c) => n.first() == Some(&c) && go(&p[1..], &n[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, id: &str) -> (Vec<Vec<String>>, Vec<Diagnostic>) {
        let mut rep = Reporter::default();
        let mut r = Reader::new(&mut rep, id);
        r.read_text("t.conf", text, None);
        let lines = r
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.clone()).collect())
            .collect();
        (lines, rep.diags)
    }

    #[test]
    fn crlf_and_spans() {
        let mut rep = Reporter::default();
        let mut r = Reader::new(&mut rep, "x");
        r.read_text("t.conf", "a {\r\n  b 1\r\n}\r\n", None);
        let l = &r.lines[2];
        assert_eq!(l.words[0].text, "b");
        assert_eq!((l.span.line, l.span.col), (2, 3));
        assert_eq!(l.words[1].text, "1");
    }

    #[test]
    fn conditional_lines() {
        let (l, _) = read("@main a 1\n@^main b 2\n@backup c 3\n@main\n", "main");
        assert_eq!(l, vec![vec!["a", "1"]]);
    }

    #[test]
    fn parameters_substituted() {
        let (l, _) = read(
            "$PRIO=150\npriority $PRIO\nx ${PRIO}0\ny $UNKNOWN\nz ${_HASH}\n",
            "m",
        );
        assert_eq!(
            l,
            vec![
                vec!["priority", "150"],
                vec!["x", "1500"],
                vec!["y", "$UNKNOWN"],
                vec!["z", "#"]
            ]
        );
    }

    #[test]
    fn include_missing_plain_vs_strict() {
        let (_, d) = read("include /nonexistent/zz*.conf\n", "m");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].level, None);
        let (_, d) = read("includea /nonexistent/zz.conf\n", "m");
        assert_eq!(d[0].abort, Some(6));
    }

    #[test]
    fn wildcards() {
        assert!(wild_match("*.conf", "a.conf"));
        assert!(!wild_match("*.conf", "a.conff"));
        assert!(wild_match("v?[0-9].c", "vx7.c"));
        assert!(!wild_match("[!a]b", "ab"));
    }

    #[test]
    fn long_and_nul_lines_dropped() {
        let long = format!("router_id {}\n", "x".repeat(1100));
        let (l, d) = read(&long, "m");
        assert!(l.is_empty());
        assert_eq!(d[0].level, Some(Level::GeneralError));
        let (l, _) = read("a\0b\n", "m");
        assert!(l.is_empty());
    }
}
