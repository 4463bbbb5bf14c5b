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
    /// The comment-free text of the logical line, re-tokenised by script keywords (§1.3);
    /// `None` when it is exactly the one word (an address line, a brace): see [`Line::text`].
    text: Option<String>,
    /// Location of the whole logical line (first word).
    pub span: Span,
}

impl Line {
    /// The comment-free text of the logical line, quotes and blanks as written.
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or(&self.words[0].text)
    }
}

/// Collects diagnostics and remembers the source lines they point into.
#[derive(Debug, Default)]
pub(crate) struct Reporter {
    pub diags: Vec<Diagnostic>,
    files: HashMap<Arc<str>, Arc<SourceFile>>,
}

/// A file's text, split into physical lines once (for reading and for carets).
#[derive(Debug)]
struct SourceFile {
    text: String,
    /// Byte range of each physical line, without its `\n` and trailing `\r`s. `u32` is
    /// enough: keepalived reads no line of 1024 bytes or more, and no file near 4 GiB.
    lines: Vec<(u32, u32)>,
}

impl SourceFile {
    fn new(text: String) -> Self {
        let b = text.as_bytes();
        let mut lines = Vec::with_capacity(b.len() / 16 + 1);
        let mut start = 0;
        let line = |start: usize, mut end: usize| {
            while end > start && b[end - 1] == b'\r' {
                end -= 1;
            }
            (start as u32, end as u32)
        };
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' {
                lines.push(line(start, i));
                start = i + 1;
            }
        }
        lines.push(line(start, b.len()));
        Self { text, lines }
    }

    /// Physical line `idx` (0-based).
    fn line(&self, idx: usize) -> Option<&str> {
        self.lines
            .get(idx)
            .map(|&(a, b)| &self.text[a as usize..b as usize])
    }
}

impl Reporter {
    fn add_file(&mut self, name: &Arc<str>, file: Arc<SourceFile>) {
        self.files.insert(name.clone(), file);
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
            .and_then(|f| f.line((span.line as usize).wrapping_sub(1)))
            .map(str::to_string);
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

/// `include` check bits (keepalived's `include_t`): the file must be readable…
pub(crate) const INCLUDE_R: u8 = 1;
/// …a pattern without wildcards must match…
pub(crate) const INCLUDE_M: u8 = 2;
/// …a pattern with wildcards must match something…
pub(crate) const INCLUDE_W: u8 = 4;
/// …and every alternative of a `{a,b}` pattern must exist.
pub(crate) const INCLUDE_B: u8 = 8;
/// Every check: `includea`, `-e/--all-config`, a bare `include_check`.
pub(crate) const INCLUDE_ALL: u8 = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;

/// Bound on lines produced by one physical line through `~SEQ`/`~LST` and multiline
/// parameters: keepalived has none, but a self-replaying `$NAME` must not hang us.
const MAX_EXPANDED: usize = 16_384;
/// Bound on substitution passes over one line (`$A` expanding to `$B` expanding to `$A`…).
const MAX_PASSES: usize = 64;

/// Where a piece of text was written: spans of replayed and generated lines point here.
#[derive(Debug, Clone)]
struct Origin {
    file: Arc<str>,
    line: u32,
}

impl Origin {
    fn span(&self, col: u32, len: u32) -> Span {
        Span {
            file: self.file.clone(),
            line: self.line,
            col,
            len,
        }
    }
}

/// Work for [`Reader::pump`]: a line still to be processed, or a generator variable to set
/// just before the next generated line (keepalived sets them lazily, one step at a time).
enum Item {
    Line(Mapped, Origin),
    Define(String, String),
}

/// A `$NAME` parameter.
#[derive(Debug, Clone)]
enum Def {
    /// `$NAME=value`: substituted in place.
    Single(String),
    /// `$NAME=first \` + continuation lines: each stored line keeps its origin; used at the end
    /// of a line, the first replaces `$NAME` and the others are replayed as lines of their own.
    Multi(Vec<(Mapped, Origin)>),
}

/// A substitution value: text, plus the lines replayed after it for a multiline parameter.
struct Value {
    text: String,
    tail: Vec<(Mapped, Origin)>,
}

/// Reads a configuration (and everything it includes) into logical lines.
pub(crate) struct Reader<'a> {
    pub rep: &'a mut Reporter,
    pub config_id: &'a str,
    pub lines: Vec<Line>,
    defs: HashMap<String, Def>,
    /// The multiline parameter whose continuation lines are being read.
    pending: Option<String>,
    /// `include_check` / `-e` bits applied to every `include` (§1.5).
    include_check: u8,
    /// Scratch buffer for the logical lines of one line (see [`lexer::split_braces_into`]).
    segs: Vec<(usize, usize)>,
    depth: usize,
    /// Brace depth and top-level block seen so far, to find `include_check` in `global_defs`.
    braces: usize,
    block: Option<String>,
    last_keyword: Option<String>,
    rng: u64,
}

impl<'a> Reader<'a> {
    pub fn new(rep: &'a mut Reporter, config_id: &'a str) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ (u64::from(std::process::id()) << 32);
        Self {
            rep,
            config_id,
            lines: Vec::new(),
            defs: HashMap::new(),
            pending: None,
            include_check: 0,
            segs: Vec::new(),
            depth: 0,
            braces: 0,
            block: None,
            last_keyword: None,
            rng: seed | 1,
        }
    }

    /// Starts with these `include_check` bits (`-e/--all-config` = [`INCLUDE_ALL`]).
    pub fn set_include_check(&mut self, bits: u8) {
        self.include_check = bits;
    }

    /// Reads `text` as file `name`; relative includes resolve against `dir`.
    pub fn read_text(&mut self, name: &str, text: impl Into<String>, dir: Option<&Path>) {
        let file: Arc<str> = Arc::from(name);
        let source = Arc::new(SourceFile::new(text.into()));
        let text = source.text.as_str();
        self.rep.add_file(&file, source.clone());
        // At most one logical line per physical line, plus one per brace: reserved up front
        // so a large configuration is not copied each time the vector doubles.
        let braces = text.bytes().filter(|&b| b == b'{' || b == b'}').count();
        self.lines.reserve(source.lines.len() + braces);
        for idx in 0..source.lines.len() {
            let raw = source.line(idx).expect("in range");
            let at = Origin {
                file: file.clone(),
                line: idx as u32 + 1,
            };
            let whole = || at.span(1, 1);
            if raw.is_empty() {
                // An empty line ends a multiline definition.
                self.end_pending();
                continue;
            }
            if raw.len() >= MAX_LINE {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole(),
                    "line too long - ignoring",
                );
                continue;
            }
            if raw.contains('\0') {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole(),
                    "configuration appears to have embedded NULs - ignoring line",
                );
                continue;
            }
            let d = lexer::decomment(raw);
            if d.line.text.is_empty() {
                // So does a blank or comment-only line, as keepalived's VRRP process sees it:
                // it re-reads the parent's copy of the files, where such lines are empty.
                self.end_pending();
                continue;
            }
            if d.unterminated_quote {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &whole(),
                    format!("Unterminated quote '{}'", d.line.text),
                );
            }
            self.pump(Item::Line(d.line, at), dir);
        }
    }

    /// Processes one line and everything it generates (replayed parameter lines, `~SEQ`/`~LST`
    /// iterations), depth first, as keepalived's `read_line()` does before reading on.
    fn pump(&mut self, first: Item, dir: Option<&Path>) {
        // Most lines generate nothing: the stack only allocates when one does.
        let mut stack = Vec::new();
        let mut next = Some(first);
        let mut budget = MAX_EXPANDED;
        while let Some(item) = next.take().or_else(|| stack.pop()) {
            match item {
                Item::Define(name, value) => {
                    self.defs.insert(name, Def::Single(value));
                }
                Item::Line(text, at) => {
                    if budget == 0 {
                        self.rep.at(
                            Severity::Error,
                            Some(Level::GeneralError),
                            &at.span(1, 1),
                            format!(
                                "more than {MAX_EXPANDED} lines generated from one line \
                                 (self-referencing parameter?) - ignoring the rest"
                            ),
                        );
                        return;
                    }
                    budget -= 1;
                    self.logical(text, at, dir, &mut stack);
                }
            }
        }
    }

    fn end_pending(&mut self) {
        if let Some(name) = self.pending.take() {
            // A multiline definition with no text at all is an empty single-line one.
            if matches!(self.defs.get(&name), Some(Def::Multi(l)) if l.is_empty()) {
                self.defs.insert(name, Def::Single(String::new()));
            }
        }
    }

    /// The per-line pipeline after decommenting (inventory §1.1 steps 4–9).
    fn logical(&mut self, text: Mapped, at: Origin, dir: Option<&Path>, stack: &mut Vec<Item>) {
        if let Some(name) = self.pending.clone() {
            let (cont, part) = strip_continuation(text);
            if !part.text.is_empty() {
                if let Some(Def::Multi(lines)) = self.defs.get_mut(&name) {
                    lines.push((part, at));
                }
            }
            if !cont {
                self.end_pending();
            }
            return;
        }
        let mut line = text;
        for _ in 0..MAX_PASSES {
            line = match self.conditional(line) {
                Some(l) => l,
                None => return,
            };
            if self.definition(&line, &at) {
                return;
            }
            if line.text.starts_with("~SEQ") || line.text.starts_with("~LST") {
                self.generator(&line, &at, stack);
                return;
            }
            if line.text.starts_with('~') || !line.text.contains('$') {
                break;
            }
            let Some((subst, tail)) = self.substitute(&line, &at, dir) else {
                break;
            };
            // The replayed lines come right after this one.
            for (m, o) in tail.into_iter().rev() {
                stack.push(Item::Line(m, o));
            }
            // keepalived re-decomments after substitution: a value holding `#` starts a
            // comment. The second pass maps to characters of the substituted text; chain
            // that through the first map so columns still point into the source line.
            line = redecomment(subst);
            if line.text.is_empty() {
                return;
            }
        }
        if self.include(&line, &at, dir) {
            return;
        }
        self.emit(&line, &at);
    }

    /// Splits a final line into brace-separated logical lines of words.
    fn emit(&mut self, line: &Mapped, at: &Origin) {
        let mut segs = std::mem::take(&mut self.segs);
        lexer::split_braces_into(line, &mut segs);
        for &(start, end) in &segs {
            let (tokens, cut) = lexer::words_in(line, start, end, |w| Token {
                span: at.span(w.col, w.len),
                text: w.text,
            });
            let seg_text = &line.text[start..end];
            let span = tokens
                .first()
                .map(|t| t.span.clone())
                .unwrap_or_else(|| at.span(1, 1));
            if cut {
                self.rep.at(
                    Severity::Error,
                    Some(Level::UnmatchedQuote),
                    &span,
                    format!("Unmatched quote: '{seg_text}'"),
                );
            }
            if tokens.is_empty() {
                continue;
            }
            self.track_block(&tokens);
            // A one-word line (10,000 addresses are 10,000 of them) keeps no copy of its text.
            let text =
                (tokens.len() != 1 || tokens[0].text != seg_text).then(|| seg_text.to_string());
            self.lines.push(Line {
                words: tokens,
                text,
                span,
            });
        }
        self.segs = segs;
    }

    /// Follows the block structure just enough to act on `include_check` in `global_defs`
    /// while reading, as keepalived does (it changes the checks of the includes after it).
    fn track_block(&mut self, tokens: &[Token]) {
        match tokens[0].text.as_str() {
            "{" => {
                self.braces += 1;
                if self.braces == 1 {
                    self.block = self.last_keyword.take();
                }
            }
            "}" => {
                self.braces = self.braces.saturating_sub(1);
                if self.braces == 0 {
                    self.block = None;
                }
            }
            kw => {
                if self.braces == 1
                    && kw == "include_check"
                    && self.block.as_deref() == Some("global_defs")
                {
                    self.include_check_set(&tokens[1..]);
                }
                // `random_seed N` makes the `${_RANDOM}` values after it repeatable, as
                // keepalived documents it (its parser resets the seed before using it).
                if self.braces == 1
                    && kw == "random_seed"
                    && self.block.as_deref() == Some("global_defs")
                {
                    if let Some(seed) = tokens.get(1).and_then(|t| t.text.parse::<u32>().ok()) {
                        self.rng = (u64::from(seed) ^ 0x9e37_79b9_7f4a_7c15) | 1;
                    }
                }
                if self.braces == 0 {
                    self.last_keyword = Some(kw.to_string());
                }
            }
        }
    }

    /// `include_check [read|match|wildcard_match|brace_match|+x|-x …]` (`include_check_set()`).
    fn include_check_set(&mut self, args: &[Token]) {
        if args.is_empty() {
            self.include_check = INCLUDE_ALL;
            return;
        }
        for (i, w) in args.iter().enumerate() {
            let (op, name) = match w.text.as_bytes().first() {
                Some(b'+') => (1, &w.text[1..]),
                Some(b'-') => (-1, &w.text[1..]),
                _ => (0, w.text.as_str()),
            };
            if op == 0 && i > 0 {
                self.rep.at(
                    Severity::Error,
                    Some(Level::GeneralError),
                    &w.span,
                    format!("Duplicate include_check '{}' specified - ignoring", w.text),
                );
                continue;
            }
            if op == 0 {
                self.include_check = 0;
            }
            let bit = match name {
                "read" => INCLUDE_R,
                "match" => INCLUDE_M,
                "wildcard_match" => INCLUDE_W,
                "brace_match" => INCLUDE_B,
                _ => {
                    self.rep
                        .at(
                            Severity::Error,
                            Some(Level::GeneralError),
                            &w.span,
                            format!("Unknown include_check type '{name}' - ignoring"),
                        )
                        .help = Some("one of read, match, wildcard_match, brace_match".into());
                    continue;
                }
            };
            match op {
                0 => self.include_check = INCLUDE_R | bit,
                1 => self.include_check |= bit,
                _ => self.include_check &= !bit,
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
        let id_len = rest.find([' ', '\t'])?;
        let id = &rest[..id_len];
        if (id == self.config_id) == negate {
            return None;
        }
        let prefix = line.text.len() - rest.len() + id_len;
        let body = &line.text[prefix..];
        let lead = body.len() - body.trim_start_matches([' ', '\t']).len();
        let start = prefix + lead;
        Some(line.slice(start, line.text.len()))
    }

    /// `$NAME=VALUE`, and `$NAME=first \` opening a multiline definition (§1.6).
    fn definition(&mut self, line: &Mapped, at: &Origin) -> bool {
        let text = line.text.as_str();
        let Some(rest) = text.strip_prefix('$') else {
            return false;
        };
        let Some(eq) = rest.find('=') else {
            return false;
        };
        let name = &rest[..eq];
        if !is_name(name) {
            return false;
        }
        let vstart = 1 + eq + 1;
        let lead = text[vstart..].len() - text[vstart..].trim_start_matches([' ', '\t']).len();
        let value = line.slice(vstart + lead, text.len());
        if value.text.ends_with('\\') {
            let (_, first) = strip_continuation(value);
            let lines = if first.text.is_empty() {
                Vec::new()
            } else {
                vec![(first, at.clone())]
            };
            self.defs.insert(name.to_string(), Def::Multi(lines));
            self.pending = Some(name.to_string());
        } else {
            self.defs
                .insert(name.to_string(), Def::Single(value.text.clone()));
        }
        true
    }

    /// Looks `name` (with `${_RANDOM 1 9}`-style parameters) up: user definitions first (they
    /// override the built-ins, as in keepalived), then `_PWD`, `_INSTANCE`, `_RANDOM`, `_ENV`,
    /// `_HASH`, `_BANG`. `at_end`: the reference ends the line (needed for multiline values).
    fn lookup(
        &mut self,
        name: &str,
        params: Option<&str>,
        at_end: bool,
        dir: Option<&Path>,
    ) -> Option<Value> {
        if let Some(def) = self.defs.get(name) {
            if params.is_some() {
                return None;
            }
            return match def {
                Def::Single(v) => Some(Value {
                    text: v.clone(),
                    tail: Vec::new(),
                }),
                Def::Multi(_) if !at_end => None,
                Def::Multi(lines) => {
                    let mut it = lines.iter().cloned();
                    let text = it.next().map(|(m, _)| m.text).unwrap_or_default();
                    Some(Value {
                        text,
                        tail: it.collect(),
                    })
                }
            };
        }
        let text = match (name, params) {
            ("_PWD", None) => {
                let d = match dir {
                    Some(d) => std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()),
                    None => std::env::current_dir().unwrap_or_default(),
                };
                d.display().to_string()
            }
            ("_INSTANCE", None) => self.config_id.to_string(),
            ("_RANDOM", p) => {
                let mut nums = p.unwrap_or("").split_ascii_whitespace();
                let min: u64 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let max: u64 = nums.next().and_then(|n| n.parse().ok()).unwrap_or(32767);
                let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
                let span = (hi - lo).saturating_add(1);
                (lo + self.next_random() % span).to_string()
            }
            // keepalived HEAD (not 2.2.7): an unset variable expands to nothing.
            ("_ENV", Some(var)) => std::env::var(var.trim()).unwrap_or_default(),
            // Escaped so that the re-decomment after substitution leaves a literal mark.
            ("_HASH", None) => "\\#".to_string(),
            ("_BANG", None) => "\\!".to_string(),
            _ => return None,
        };
        Some(Value {
            text,
            tail: Vec::new(),
        })
    }

    /// xorshift64*: `${_RANDOM}` needs no cryptographic quality, only variety.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33
    }

    /// One substitution pass in keepalived's manner: known `${NAME}` anywhere, `$NAME` before a
    /// blank, `,`, `)` or the end; inserted text is scanned again. `None` when nothing changed.
    /// Also returns the lines a multiline parameter replays after this one.
    fn substitute(
        &mut self,
        line: &Mapped,
        at: &Origin,
        dir: Option<&Path>,
    ) -> Option<(Mapped, Vec<(Mapped, Origin)>)> {
        let mut text = line.text.clone();
        let mut cols = line.col_table();
        let mut tail = Vec::new();
        let mut changed = false;
        let mut i = 0;
        let mut replacements = 0;
        while let Some(off) = text[i..].find('$') {
            let pos = i + off;
            let Some(r) = param_at(&text[pos + 1..]) else {
                i = pos + 1;
                continue;
            };
            let (name, params, used) = (r.name.to_string(), r.params.map(str::to_string), r.used);
            let at_end = pos + 1 + used == text.len();
            let Some(v) = self.lookup(&name, params.as_deref(), at_end, dir) else {
                i = pos + 1;
                continue;
            };
            if replacements >= MAX_PASSES * 16 {
                self.rep.at(
                    Severity::Warning,
                    None,
                    &at.span(cols[pos], 1 + used as u32),
                    format!(
                        "Parameter substitution on line '{}' does not end (self-referencing \
                         parameter?) - stopped",
                        line.text
                    ),
                );
                break;
            }
            let new_len = text.len() - (1 + used) + v.text.len();
            if new_len > MAX_LINE {
                self.rep.at(
                    Severity::Warning,
                    None,
                    &at.span(cols[pos], 1 + used as u32),
                    format!(
                        "Parameter substitution on line '{text}' would exceed maximum line length"
                    ),
                );
                break;
            }
            replacements += 1;
            changed = true;
            let col = cols[pos];
            text.replace_range(pos..pos + 1 + used, &v.text);
            cols.splice(pos..pos + 1 + used, std::iter::repeat_n(col, v.text.len()));
            if !v.tail.is_empty() {
                tail = v.tail;
            }
            // The inserted text is scanned again (a value may name another parameter).
            i = pos;
        }
        changed.then_some((
            Mapped {
                text,
                cols: lexer::Cols::Table(cols),
            },
            tail,
        ))
    }

    /// `~SEQ(…)`, `~SEQx(…)` and `~LST(…)` (§1.8): queues each iteration's variable settings
    /// and the rest of the line; the rest may hold another generator (nested, outer first).
    fn generator(&mut self, line: &Mapped, at: &Origin, stack: &mut Vec<Item>) {
        let seq = line.text.starts_with("~SEQ");
        let parsed = if seq {
            self.parse_seq(line, at)
        } else {
            parse_lst(&line.text).map_err(|e| {
                if let Some(msg) = e {
                    self.error_at(at, line, msg);
                }
            })
        };
        let (steps, rest) = match parsed {
            Ok(g) => g,
            Err(()) => {
                let what = if seq { "~SEQ" } else { "~LST" };
                self.error_at(
                    at,
                    line,
                    format!("Invalid {what} specification '{}'", line.text),
                );
                return;
            }
        };
        if steps.len() > MAX_EXPANDED {
            self.error_at(
                at,
                line,
                format!(
                    "more than {MAX_EXPANDED} iterations in '{}' - ignoring",
                    line.text
                ),
            );
            return;
        }
        let body = line.slice(rest, line.text.len());
        for vars in steps.into_iter().rev() {
            stack.push(Item::Line(body.clone(), at.clone()));
            for (n, v) in vars.into_iter().rev() {
                stack.push(Item::Define(n, v));
            }
        }
    }

    fn error_at(&mut self, at: &Origin, line: &Mapped, msg: String) {
        let len = line.text.find([' ', '\t']).unwrap_or(line.text.len()) as u32;
        let col = line.col_at(0);
        self.rep.at(
            Severity::Error,
            Some(Level::GeneralError),
            &at.span(col, len.max(1)),
            msg,
        );
    }

    /// `~SEQ(var, [start, [step,]] end)` / `~SEQx(…)`: the iterations and where the body starts.
    #[allow(clippy::type_complexity)]
    fn parse_seq(
        &mut self,
        line: &Mapped,
        at: &Origin,
    ) -> Result<(Vec<Vec<(String, String)>>, usize), ()> {
        let t = line.text.as_str();
        let b = t.as_bytes();
        let mut p = 4;
        let hex = b.get(p) == Some(&b'x');
        if hex {
            p += 1;
        }
        p = skip_blanks(b, p);
        if b.get(p) != Some(&b'(') {
            return Err(());
        }
        p = skip_blanks(b, p + 1);
        let var_start = p;
        while p < b.len() && !matches!(b[p], b' ' | b'\t' | b',' | b')') {
            p += 1;
        }
        let var = t[var_start..p].to_string();
        p = skip_blanks(b, p);
        let invalid_def = format!("Invalid ~SEQ definition '{t}'");
        if p >= b.len() || b[p] == b')' || p == var_start {
            self.error_at(at, line, invalid_def);
            return Err(());
        }
        // keepalived steps over one byte here whatever it is, which can land inside a
        // multi-byte character: work on bytes from now on (`)` is ASCII, so `close` is a
        // char boundary; a split character becomes U+FFFD and fails the number parse).
        p = skip_blanks(b, p + 1);
        let Some(close) = b[p..].iter().position(|&c| c == b')').map(|c| p + c) else {
            self.error_at(at, line, invalid_def);
            return Err(());
        };
        // Parameters of ~SEQ may themselves be $NAMEs.
        let raw = String::from_utf8_lossy(&b[p..=close]).into_owned();
        let params = {
            let m = Mapped {
                cols: lexer::Cols::Table(vec![1; raw.len() + 1]),
                text: raw.clone(),
            };
            let mut cur = m;
            for _ in 0..MAX_PASSES {
                match self.substitute(&cur, at, None) {
                    Some((s, tail)) if tail.is_empty() => cur = s,
                    Some(_) => {
                        self.error_at(
                            at,
                            line,
                            format!("~SEQ parameter is multiline definition '{t}'"),
                        );
                        return Err(());
                    }
                    None => break,
                }
            }
            cur.text
        };
        let nums: Vec<&str> = params
            .strip_suffix(')')
            .unwrap_or(&params)
            .split(',')
            .collect();
        let mut vals = Vec::new();
        for n in &nums {
            match strtol(n) {
                Some(v) => vals.push(v),
                None => {
                    self.error_at(at, line, invalid_def);
                    return Err(());
                }
            }
        }
        let (start, step, end) = match vals[..] {
            [end] => (
                if end < 0 { -1 } else { 1 },
                if end < 1 { -1 } else { 1 },
                end,
            ),
            [start, end] => (start, if start <= end { 1 } else { -1 }, end),
            [start, step, end] => {
                if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
                    self.error_at(at, line, format!("Invalid ~SEQ values '{t}'"));
                    return Err(());
                }
                (start, step, end)
            }
            _ => {
                self.error_at(at, line, invalid_def);
                return Err(());
            }
        };
        if hex && (start < 0 || end < 0) {
            self.error_at(
                at,
                line,
                format!("~SEQx is only valid for positive numbers '{t}'"),
            );
            return Err(());
        }
        let mut steps = Vec::new();
        let mut v = start;
        loop {
            let s = if hex {
                format!("{:x}", v)
            } else {
                v.to_string()
            };
            steps.push(vec![(var.clone(), s)]);
            if steps.len() > MAX_EXPANDED {
                break;
            }
            match v.checked_add(step) {
                Some(n) if (step > 0 && n <= end) || (step < 0 && n >= end) => v = n,
                _ => break,
            }
        }
        Ok((steps, skip_blanks(b, close + 1)))
    }

    /// `include PATTERN` and its checked variants (§1.5). Returns true when the line was one.
    fn include(&mut self, line: &Mapped, at: &Origin, dir: Option<&Path>) -> bool {
        let t = line.text.as_str();
        if !t.starts_with("include") {
            return false;
        }
        let Some(kw_end) = t.find([' ', '\t']) else {
            // A bare `include` is no include line: keepalived reports an unknown keyword.
            return false;
        };
        let kind = match &t[..kw_end] {
            "include" => 0,
            "includer" => INCLUDE_R,
            "includem" => INCLUDE_R | INCLUDE_M,
            "includew" => INCLUDE_R | INCLUDE_M | INCLUDE_W,
            "includeb" => INCLUDE_R | INCLUDE_B,
            "includea" => INCLUDE_ALL,
            _ => return false,
        };
        let pstart = kw_end + t[kw_end..].len() - t[kw_end..].trim_start_matches([' ', '\t']).len();
        let pattern = &t[pstart..];
        let span = at.span(line.col_at(0), kw_end as u32);
        let checks = self.include_check | kind;
        let path = Path::new(pattern);
        let full = match dir {
            Some(d) if path.is_relative() => d.join(path),
            _ => path.to_path_buf(),
        };
        let g = glob_braces(&full.to_string_lossy());
        if g.matches.is_empty() {
            if g.missing {
                let ty = if has_brace(pattern) {
                    INCLUDE_B
                } else {
                    INCLUDE_M
                };
                self.file_error(
                    checks,
                    ty,
                    &span,
                    format!("Config files missing '{pattern}'."),
                );
            } else if g.wildcards && checks & INCLUDE_W != 0 {
                self.file_error(
                    checks,
                    INCLUDE_W,
                    &span,
                    format!("No config files matched '{pattern}'."),
                );
            } else {
                self.rep.at(
                    Severity::Note,
                    None,
                    &span,
                    format!("No config files matched '{pattern}' (keepalived is silent)"),
                );
            }
            return true;
        }
        if g.missing {
            self.file_error(
                checks,
                INCLUDE_B,
                &span,
                format!("Some config files missing: \"{pattern}\"."),
            );
            if checks & INCLUDE_B != 0 {
                return true;
            }
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
        let saved = self.include_check;
        let mut opened = 0;
        for m in g.matches {
            if m.is_dir() {
                self.file_error(
                    checks,
                    INCLUDE_R,
                    &span,
                    format!(
                        "Configuration file '{}/' is a directory - skipping",
                        m.display()
                    ),
                );
                continue;
            }
            if !is_plain_file(&m) {
                self.file_error(
                    checks,
                    INCLUDE_R,
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
                    opened += 1;
                    let text = match String::from_utf8(bytes) {
                        Ok(s) => s,
                        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    };
                    self.depth += 1;
                    let sub = m.parent().map(Path::to_path_buf);
                    self.read_text(&m.display().to_string(), text, sub.as_deref());
                    self.depth -= 1;
                    // Each included file's own include_check ends with it.
                    self.include_check = saved;
                }
                Err(e) => self.file_error(
                    checks,
                    INCLUDE_R,
                    &span,
                    format!(
                        "Configuration file '{}' open problem ({e}) - skipping",
                        m.display()
                    ),
                ),
            }
        }
        if opened == 0 {
            self.rep.at(
                Severity::Note,
                None,
                &span,
                format!("No config files matched '{pattern}'."),
            );
        }
        true
    }

    /// keepalived's `file_config_error()`: an error (keepalived exits 6 after reading, even
    /// with `-t`) when the check `ty` is on for this include, else only logged.
    fn file_error(&mut self, checks: u8, ty: u8, span: &Span, msg: String) {
        if checks & ty != 0 {
            self.rep
                .at(Severity::Fatal, Some(Level::FileNotFound), span, msg)
                .abort = Some(6);
        } else {
            self.rep.at(Severity::Warning, None, span, msg);
        }
    }
}

/// Removes a final `\` and the blanks before it; the flag says whether there was one.
fn strip_continuation(m: Mapped) -> (bool, Mapped) {
    let Some(body) = m.text.strip_suffix('\\') else {
        return (false, m);
    };
    let end = body.trim_end_matches([' ', '\t']).len();
    (true, m.slice(0, end))
}

/// Decomments substituted text again, mapping columns through both passes.
fn redecomment(line: Mapped) -> Mapped {
    let again = lexer::decomment(&line.text);
    let mut char_cols: Vec<u32> = line
        .text
        .char_indices()
        .map(|(b, _)| line.col_at(b))
        .collect();
    char_cols.push(line.col_at(line.text.len()));
    let remap = |c: u32| char_cols[(c as usize - 1).min(char_cols.len() - 1)];
    Mapped {
        cols: lexer::Cols::Table(again.line.col_table().into_iter().map(remap).collect()),
        text: again.line.text,
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn skip_blanks(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && matches!(b[p], b' ' | b'\t') {
        p += 1;
    }
    p
}

/// `strtol(s, &end, 0)` over a whole comma-separated field: optional blanks and sign, then
/// decimal, `0x` hex or `0` octal; nothing but blanks may follow.
fn strtol(s: &str) -> Option<i64> {
    let s = s.trim_matches([' ', '\t']);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `~LST(var, v1, v2…)` or `~LST({a,b}, {1,2}, {3,4})`: each value set (missing values blank)
/// and where the body starts. `Err(Some(msg))` carries keepalived's extra message.
#[allow(clippy::type_complexity)]
fn parse_lst(t: &str) -> Result<(Vec<Vec<(String, String)>>, usize), Option<String>> {
    let b = t.as_bytes();
    let at = |p: usize| b.get(p).copied().unwrap_or(0);
    let mut p = skip_blanks(b, 4);
    if at(p) != b'(' {
        return Err(None);
    }
    p = skip_blanks(b, p + 1);
    let mut end_char = b',';
    if at(p) == b'{' {
        end_char = b'}';
        p = skip_blanks(b, p + 1);
    }
    let mut vars = Vec::new();
    loop {
        let s = p;
        while p < b.len() && !matches!(b[p], b' ' | b'\t' | b',' | b'}') {
            p += 1;
        }
        vars.push(t[s..p].to_string());
        p = skip_blanks(b, p);
        if at(p) == end_char {
            break;
        }
        if at(p) != b',' {
            return Err(None);
        }
        p = skip_blanks(b, p + 1);
    }
    if at(p) == b'}' {
        p = skip_blanks(b, p + 1);
    }
    if at(p) != b',' {
        return Err(None);
    }
    p = skip_blanks(b, p + 1);
    let mut sets = Vec::new();
    loop {
        let mut end_char = b',';
        if at(p) == b'{' {
            end_char = b'}';
            p = skip_blanks(b, p + 1);
        }
        let mut values = Vec::new();
        loop {
            let s = p;
            while p < b.len() && !matches!(b[p], b' ' | b'\t' | b',' | b'}' | b')') {
                p += 1;
            }
            values.push(t[s..p].to_string());
            p = skip_blanks(b, p);
            if at(p) == end_char || (at(p) == b')' && end_char == b',') {
                break;
            }
            if at(p) != b',' {
                return Err(None);
            }
            p = skip_blanks(b, p + 1);
            if values.len() > vars.len() - 1 {
                return Err(Some(format!(
                    "~LST specification has too many values '{t}'"
                )));
            }
        }
        values.resize(vars.len(), String::new());
        sets.push(vars.iter().cloned().zip(values).collect());
        if at(p) == b'}' && end_char == b'}' {
            p = skip_blanks(b, p + 1);
        }
        if at(p) == b')' {
            break;
        }
        if at(p) != b',' {
            return Err(None);
        }
        p = skip_blanks(b, p + 1);
    }
    Ok((sets, skip_blanks(b, p + 1)))
}

/// A parameter reference after `$`.
struct ParamRef<'s> {
    name: &'s str,
    /// `${_RANDOM 1 9}` / `${_ENV HOME}`: the text after the name.
    params: Option<&'s str>,
    /// Bytes consumed after the `$`.
    used: usize,
}

/// `NAME`, `{NAME}` or `{NAME params}` after a `$`.
fn param_at(s: &str) -> Option<ParamRef<'_>> {
    let name_len = |x: &str| {
        let first = x.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        Some(
            x.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(x.len()),
        )
    };
    if let Some(body) = s.strip_prefix('{') {
        let end = body.find('}')?;
        let inner = &body[..end];
        let n = name_len(inner)?;
        let params = match &inner[n..] {
            "" => None,
            p if p.starts_with(' ') && !p.ends_with(' ') => Some(p.trim_start_matches(' ')),
            _ => return None,
        };
        return Some(ParamRef {
            name: &inner[..n],
            params,
            used: end + 2,
        });
    }
    let end = name_len(s)?;
    let next = s[end..].chars().next();
    if !matches!(next, None | Some(' ' | '\t' | ',' | ')')) {
        return None;
    }
    Some(ParamRef {
        name: &s[..end],
        params: None,
        used: end,
    })
}

/// True when `pattern` holds an unescaped `{` (keepalived's `have_brace()`).
fn has_brace(pattern: &str) -> bool {
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => return true,
            _ => {}
        }
    }
    false
}

/// The outcome of `glob(GLOB_BRACE)` with keepalived's bookkeeping callbacks.
#[derive(Debug, Default)]
pub(crate) struct Globbed {
    pub matches: Vec<PathBuf>,
    /// A literal file or a directory to search did not exist.
    pub missing: bool,
    /// A wildcard was expanded.
    pub wildcards: bool,
}

/// `{a,b}` alternatives expanded (nested ones too), then each pattern globbed in turn.
pub(crate) fn glob_braces(pattern: &str) -> Globbed {
    let mut out = Globbed::default();
    for p in expand_braces(pattern, 0) {
        let g = glob_one(Path::new(&p));
        out.missing |= g.missing;
        out.wildcards |= g.wildcards;
        out.matches.extend(g.matches);
    }
    out
}

fn expand_braces(s: &str, depth: usize) -> Vec<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' if depth < 8 => {
                let mut level = 0;
                let mut parts = Vec::new();
                let mut start = i + 1;
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => level += 1,
                        b'}' => {
                            level -= 1;
                            if level == 0 {
                                parts.push(&s[start..j]);
                                let (pre, post) = (&s[..i], &s[j + 1..]);
                                return parts
                                    .iter()
                                    .flat_map(|alt| {
                                        expand_braces(&format!("{pre}{alt}{post}"), depth + 1)
                                    })
                                    .collect();
                            }
                        }
                        b',' if level == 1 => {
                            parts.push(&s[start..j]);
                            start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                return vec![s.to_string()];
            }
            _ => i += 1,
        }
    }
    vec![s.to_string()]
}

/// Expands `*`, `?` and `[…]` per path component, in sorted order (as `glob(3)` does).
fn glob_one(pattern: &Path) -> Globbed {
    let mut g = Globbed::default();
    let mut found = vec![PathBuf::new()];
    let comps: Vec<_> = pattern.components().collect();
    for (i, comp) in comps.iter().enumerate() {
        let part = comp.as_os_str().to_string_lossy();
        let last = i + 1 == comps.len();
        let mut next = Vec::new();
        for base in &found {
            if part.contains(['*', '?', '[']) {
                g.wildcards = true;
                let dir = if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base
                };
                let Ok(rd) = std::fs::read_dir(dir) else {
                    g.missing = true;
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
                    if std::fs::symlink_metadata(&p).is_ok() {
                        next.push(p)
                    } else {
                        g.missing = true;
                    }
                } else {
                    next.push(p)
                }
            }
        }
        found = next;
    }
    g.matches = found;
    g
}

/// keepalived reads only regular files without any execute bit.
fn is_plain_file(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(p) {
        Ok(m) => m.is_file() && m.permissions().mode() & 0o111 == 0,
        Err(_) => true, // reported when reading
    }
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

    fn spans(text: &str) -> Vec<(String, u32, u32)> {
        let mut rep = Reporter::default();
        let mut r = Reader::new(&mut rep, "m");
        r.read_text("t.conf", text, None);
        r.lines
            .iter()
            .flat_map(|l| l.words.iter())
            .map(|w| (w.text.clone(), w.span.line, w.span.col))
            .collect()
    }

    #[test]
    fn multiline_definition_replays_lines_with_their_own_spans() {
        let text = "$VIPS=198.51.100.1 \\\n  198.51.100.2 \\\n  # ends it too\n  198.51.100.3\nx {\n$VIPS\n}\n";
        let (l, d) = read(text, "m");
        assert!(d.is_empty(), "{d:?}");
        // The comment-only line ended the definition: line 4 is an ordinary line.
        assert_eq!(
            l,
            vec![
                vec!["198.51.100.3"],
                vec!["x"],
                vec!["{"],
                vec!["198.51.100.1"],
                vec!["198.51.100.2"],
                vec!["}"]
            ]
        );
        let sp = spans(text);
        assert_eq!(
            sp[3],
            ("198.51.100.1".into(), 6, 1),
            "first line at the use site"
        );
        assert_eq!(sp[4], ("198.51.100.2".into(), 2, 3), "replayed from line 2");
        assert_eq!(sp[0], ("198.51.100.3".into(), 4, 3));
    }

    #[test]
    fn multiline_block_with_conditionals_and_nested_use() {
        let text = "$PRI=150\n$BLOCK= \\\n  vrrp_instance ${_INSTANCE} { \\\n@m  priority $PRI \\\n@^m priority 1 \\\n  }\n$BLOCK\n";
        let (l, _) = read(text, "m");
        assert_eq!(
            l,
            vec![
                vec!["vrrp_instance", "m"],
                vec!["{"],
                vec!["priority", "150"],
                vec!["}"]
            ]
        );
        let (l, _) = read(text, "other");
        assert_eq!(l[2], vec!["priority", "1"]);
    }

    #[test]
    fn multiline_only_replayed_at_end_of_line() {
        let (l, _) = read("$M=a \\\nb\nx $M y\nz $M\n", "m");
        assert_eq!(l, vec![vec!["x", "$M", "y"], vec!["z", "a"], vec!["b"]]);
    }

    #[test]
    fn builtins() {
        let (l, _) = read("a ${_INSTANCE} $_INSTANCE\n", "node1");
        assert_eq!(l, vec![vec!["a", "node1", "node1"]]);
        for _ in 0..20 {
            let (l, _) = read("r ${_RANDOM 5 7}\n", "m");
            let v: u32 = l[0][1].parse().unwrap();
            assert!((5..=7).contains(&v), "{v}");
        }
        let (l, _) = read("r ${_RANDOM}\n", "m");
        assert!(l[0][1].parse::<u32>().unwrap() <= 32767);
        // Parameters only with braces, and only for the built-ins that take them.
        let (l, _) = read("$X=1\nr ${X 2} ${_INSTANCE 2}\n", "m");
        assert_eq!(l[0], vec!["r", "$"]);
        assert_eq!(l[2], vec!["X", "2"]);
        assert_eq!(l[6], vec!["_INSTANCE", "2"]);
        // SAFETY-free: reading the environment of the test process only.
        let (l, _) = read("p ${_ENV PATH}\n", "m");
        assert_eq!(l[0][1], std::env::var("PATH").unwrap());
        let (l, _) = read("d ${_PWD}\n", "m");
        assert_eq!(
            l[0][1],
            std::env::current_dir().unwrap().display().to_string()
        );
        // A user definition overrides a built-in.
        let (l, _) = read("$_INSTANCE=mine\na $_INSTANCE\n", "m");
        assert_eq!(l, vec![vec!["a", "mine"]]);
    }

    #[test]
    fn expansion_length_limit_keeps_line_and_warns() {
        let big = "x".repeat(600);
        let text = format!("$B={big}\nrouter_id $B $B\n");
        let (l, d) = read(&text, "m");
        assert_eq!(l, vec![vec!["router_id".to_string(), big, "$B".into()]]);
        assert!(
            d[0].message.starts_with("Parameter substitution on line")
                && d[0].message.ends_with("would exceed maximum line length"),
            "{d:?}"
        );
        assert_eq!(d[0].level, None, "keepalived only logs it");
    }

    #[test]
    fn self_referencing_definitions_terminate() {
        let (l, _) = read("$A=$A\na $A\n$B=x$B\nb $B\n", "m");
        assert_eq!(l.len(), 2);
        let (l, d) = read("$M=a \\\n$M\n\n$M\n", "m");
        assert_eq!(l.len(), MAX_EXPANDED);
        assert!(
            d.iter().any(|d| d.message.contains("lines generated")),
            "{d:?}"
        );
    }

    fn values(text: &str) -> (Vec<String>, Vec<Diagnostic>) {
        let (l, d) = read(text, "m");
        (l.into_iter().map(|w| w.join(" ")).collect(), d)
    }

    #[test]
    fn seq_forms() {
        assert_eq!(values("~SEQ(n, 3) a$n\n").0, vec!["a1", "a2", "a3"]);
        assert_eq!(values("~SEQ(n, 0) a$n\n").0, vec!["a1", "a0"]);
        assert_eq!(values("~SEQ(n, -2) a$n\n").0, vec!["a-1", "a-2"]);
        assert_eq!(values("~SEQ(n, 4, 2) a$n\n").0, vec!["a4", "a3", "a2"]);
        assert_eq!(values("~SEQ(n, 1, 3, 8) a$n\n").0, vec!["a1", "a4", "a7"]);
        assert_eq!(
            values("~SEQ(n,0x0e,0x10) a$n\n").0,
            vec!["a14", "a15", "a16"]
        );
        assert_eq!(
            values("~SEQx(n, 9, 3, 15) 2001:db8::${n}\n").0,
            vec!["2001:db8::9", "2001:db8::c", "2001:db8::f"]
        );
        // Parameters of ~SEQ may be $NAMEs; the variable stays defined afterwards.
        assert_eq!(
            values("$LAST=2\n~SEQ(i, $LAST) x$i\nlast $i\n").0,
            vec!["x1", "x2", "last 2"]
        );
    }

    #[test]
    fn seq_errors_are_reported_like_keepalived() {
        for (text, first) in [
            ("~SEQ(n, 1, 0, 3) x\n", "Invalid ~SEQ values"),
            ("~SEQ(n, 3, 1, 1) x\n", "Invalid ~SEQ values"),
            ("~SEQ(n) x\n", "Invalid ~SEQ definition"),
            ("~SEQ(n, a) x\n", "Invalid ~SEQ definition"),
            (
                "~SEQx(n, -1, 2) x\n",
                "~SEQx is only valid for positive numbers",
            ),
        ] {
            let (l, d) = values(text);
            assert!(l.is_empty(), "{text}");
            assert_eq!(d.len(), 2, "{text}: {d:?}");
            assert!(d[0].message.starts_with(first), "{text}: {d:?}");
            assert!(d[1].message.starts_with("Invalid ~SEQ specification"));
            assert_eq!(d[0].level, Some(Level::GeneralError));
        }
        let (_, d) = values("~SEQ n x\n");
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn lst_forms() {
        assert_eq!(values("~LST(v, a, b, c) x$v\n").0, vec!["xa", "xb", "xc"]);
        assert_eq!(
            values("~LST({ip, pri}, {198.51.100.1, 10}, {198.51.100.2}) $ip p$pri\n").0,
            vec!["198.51.100.1 p10", "198.51.100.2 p"]
        );
        let (l, d) = values("~LST({a}, {1, 2}) x\n");
        assert!(l.is_empty());
        assert!(d[0].message.contains("too many values"), "{d:?}");
        let (l, d) = values("~LST(a b) x\n");
        assert!(l.is_empty());
        assert!(d[0].message.starts_with("Invalid ~LST specification"));
    }

    #[test]
    fn generators_nest_outer_first() {
        assert_eq!(
            values("~SEQ(a, 1, 2) ~LST(b, x, y) ~SEQ(c, 2) ${a}${b}$c\n").0,
            vec!["1x1", "1x2", "1y1", "1y2", "2x1", "2x2", "2y1", "2y2"]
        );
        // Inside a block, one value-block line per iteration, with the line's span.
        let sp = spans("vips {\n  ~SEQ(n, 2, 3) 198.51.100.$n\n}\n");
        assert_eq!(sp[2], ("198.51.100.2".into(), 2, 17));
        assert_eq!(sp[3], ("198.51.100.3".into(), 2, 17));
    }

    /// A scratch directory with `files` (name, text, mode) for include tests.
    fn scratch(tag: &str, files: &[(&str, &str, u32)]) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("ka-cfg-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        for (name, text, mode) in files {
            let p = d.join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
        }
        d
    }

    fn read_in(dir: &Path, text: &str, check: u8) -> (Vec<Vec<String>>, Vec<Diagnostic>) {
        let mut rep = Reporter::default();
        let mut r = Reader::new(&mut rep, "m");
        r.set_include_check(check);
        r.read_text("main.conf", text, Some(dir));
        let lines = r
            .lines
            .iter()
            .map(|l| l.words.iter().map(|w| w.text.clone()).collect())
            .collect();
        (lines, rep.diags)
    }

    fn summary(d: &[Diagnostic]) -> Vec<(Severity, Option<i32>, String)> {
        d.iter()
            .map(|d| (d.severity, d.abort, d.message.clone()))
            .collect()
    }

    #[test]
    fn include_variants_and_their_checks() {
        let d = scratch(
            "variants",
            &[
                ("a.conf", "from_a 1\n", 0o644),
                ("x.conf", "from_x 1\n", 0o755),
            ],
        );
        // Executable files are skipped; an error only when the include checks reads.
        let (l, g) = read_in(&d, "include x.conf\n", 0);
        assert!(l.is_empty());
        assert_eq!(g[0].severity, Severity::Warning);
        assert!(
            g[0].message
                .ends_with("is not a regular non-executable file - skipping")
        );
        let (_, g) = read_in(&d, "includer x.conf\n", 0);
        assert_eq!(
            (g[0].level, g[0].abort),
            (Some(Level::FileNotFound), Some(6))
        );
        // A missing literal file: only includem/w/a (the "match" check) make it an error.
        for (kw, fatal) in [
            ("include", false),
            ("includer", false),
            ("includeb", false),
            ("includem", true),
            ("includew", true),
            ("includea", true),
        ] {
            let (_, g) = read_in(&d, &format!("{kw} none.conf\n"), 0);
            assert_eq!(g.len(), 1, "{kw}");
            assert_eq!(g[0].message, "Config files missing 'none.conf'.", "{kw}");
            assert_eq!(g[0].abort.is_some(), fatal, "{kw}");
        }
        // A wildcard matching nothing: only the wildcard check reports it.
        let (_, g) = read_in(&d, "includem no*.conf\n", 0);
        assert_eq!(g[0].severity, Severity::Note);
        let (_, g) = read_in(&d, "includew no*.conf\n", 0);
        assert_eq!(
            summary(&g),
            vec![(
                Severity::Fatal,
                Some(6),
                "No config files matched 'no*.conf'.".to_string()
            )]
        );
        // Directories are skipped with their own message.
        let (l, g) = read_in(&d, "include *\n", 0);
        assert_eq!(l, vec![vec!["from_a", "1"]]);
        assert!(
            g.iter()
                .any(|g| g.message.ends_with("sub/' is a directory - skipping"))
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn brace_patterns() {
        let d = scratch("brace", &[("a.conf", "from_a 1\n", 0o644)]);
        let (l, g) = read_in(&d, "include {a,b}.conf\n", 0);
        assert_eq!(l, vec![vec!["from_a", "1"]]);
        assert_eq!(g[0].message, "Some config files missing: \"{a,b}.conf\".");
        assert_eq!(g[0].severity, Severity::Warning);
        // includeb: every alternative must exist, else nothing is read.
        let (l, g) = read_in(&d, "includeb {a,b}.conf\n", 0);
        assert!(l.is_empty());
        assert_eq!(g[0].abort, Some(6));
        let (_, g) = read_in(&d, "includeb {b,c}.conf\n", 0);
        assert_eq!(g[0].message, "Config files missing '{b,c}.conf'.");
        assert_eq!(g[0].abort, Some(6));
        assert_eq!(
            expand_braces("x{a,b{c,d}}y", 0),
            vec!["xay", "xbcy", "xbdy"]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn include_check_in_global_defs_and_all_config() {
        let d = scratch(
            "check",
            &[(
                "inner.conf",
                "global_defs {\ninclude_check -match\n}\ninclude none2.conf\n",
                0o644,
            )],
        );
        let text =
            "global_defs {\n  include_check match\n}\ninclude inner.conf\ninclude none.conf\n";
        let (_, g) = read_in(&d, text, 0);
        // Inside inner.conf `-match` makes none2 a warning; back in main.conf the check is on.
        assert_eq!(
            summary(&g),
            vec![
                (
                    Severity::Warning,
                    None,
                    "Config files missing 'none2.conf'.".to_string()
                ),
                (
                    Severity::Fatal,
                    Some(6),
                    "Config files missing 'none.conf'.".to_string()
                )
            ]
        );
        // -e / --all-config: every include is checked, `include_check -match` relaxes it.
        let (_, g) = read_in(&d, "include none.conf\n", INCLUDE_ALL);
        assert_eq!(g[0].abort, Some(6));
        let (_, g) = read_in(
            &d,
            "global_defs {\ninclude_check +read -match bogus\n}\ninclude none.conf\n",
            INCLUDE_ALL,
        );
        assert_eq!(
            summary(&g),
            vec![
                (
                    Severity::Error,
                    None,
                    "Duplicate include_check 'bogus' specified - ignoring".to_string()
                ),
                (
                    Severity::Warning,
                    None,
                    "Config files missing 'none.conf'.".to_string()
                )
            ]
        );
        // Outside global_defs the keyword is not acted on.
        let (_, g) = read_in(&d, "include_check match\ninclude none.conf\n", 0);
        assert_eq!(g[0].severity, Severity::Warning);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn malformed_generators_and_parameters_never_panic() {
        let pieces = [
            "~SEQ(",
            "~SEQx(",
            "~LST(",
            "~LST({",
            "{",
            "}",
            ",",
            ")",
            "(",
            "$",
            "${",
            "$A",
            "${A}",
            "${_RANDOM",
            " 9",
            "x",
            "0x",
            "-",
            "=",
            "\\",
            "\"",
            "@m ",
            "@^m ",
            "~",
            "中",
            "${_ENV",
            "$A=",
            "include ",
            "~SEQ(a,1)",
        ];
        let mut seed = 0x2545_f491_u64;
        for _ in 0..300 {
            let mut line = String::new();
            for _ in 0..(seed % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                line.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let text = format!("$A=${{A}}x\\\n{line}\n{line} \\\n$A\n{line}\n");
            let _ = read(&text, "m");
        }
        let (l, d) = read("$A=$A\na $A\n", "m");
        assert_eq!(l, vec![vec!["a", "$A"]]);
        assert!(d[0].message.contains("does not end"), "{d:?}");
    }
}
