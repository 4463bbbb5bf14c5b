//! The physical-line pipeline of keepalived's `read_line()` (inventory §1.1): comment
//! stripping, brace splitting and word splitting, each word carrying its column.
//!
//! keepalived only knows double quotes here: outside `"…"`, `#` and `!` end the line, `\#`/`\!`
//! are literal, and every unquoted `{`/`}` becomes a logical line of its own. The word grammar
//! is written with nom.

use nom::IResult;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{take_till, take_till1, take_while};
use nom::character::complete::char;
use nom::sequence::delimited;

/// keepalived's word separators (`" \t\f\n\r\v"`).
pub(crate) fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c' | '\n' | '\r' | '\x0b')
}

/// Text after comment removal, with the 1-based source column of each byte, so that words
/// keep pointing at the characters the user wrote.
#[derive(Debug, Clone)]
pub(crate) struct Mapped {
    pub text: String,
    /// The source column of each byte of `text`, and one more for the end.
    pub cols: Cols,
}

/// Source columns of a [`Mapped`] text.
#[derive(Debug, Clone)]
pub(crate) enum Cols {
    /// Byte `i` is at column `first + i`: ASCII text copied from one line, the usual case,
    /// kept without a table.
    From(u32),
    /// `cols[i]` = column of byte `i`; one extra entry for the end.
    Table(Vec<u32>),
}

impl Mapped {
    /// The column of byte `byte` (the end column past the last byte).
    pub(crate) fn col_at(&self, byte: usize) -> u32 {
        match &self.cols {
            Cols::From(first) => first + byte.min(self.text.len()) as u32,
            Cols::Table(t) => t[byte.min(t.len() - 1)],
        }
    }

    /// Every column, with the end one: the table form.
    pub(crate) fn col_table(&self) -> Vec<u32> {
        match &self.cols {
            Cols::From(first) => (*first..=first + self.text.len() as u32).collect(),
            Cols::Table(t) => t.clone(),
        }
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> Mapped {
        let cols = match &self.cols {
            Cols::From(first) => Cols::From(first + start as u32),
            Cols::Table(t) => {
                let mut cols = t[start..end].to_vec();
                cols.push(self.col_at(end));
                Cols::Table(cols)
            }
        };
        Mapped {
            text: self.text[start..end].to_string(),
            cols,
        }
    }
}

/// Equal when the texts and every column agree, whatever the form of the columns.
impl PartialEq for Mapped {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.col_table() == other.col_table()
    }
}

impl Eq for Mapped {}

/// Outcome of comment stripping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decommented {
    pub line: Mapped,
    /// An odd number of `"`: keepalived says `Unterminated quote` and still uses the line.
    pub unterminated_quote: bool,
}

/// keepalived's `decomment()`: leading blanks removed, comments cut outside double quotes,
/// `\#`/`\!` unescaped, trailing blanks removed.
pub(crate) fn decomment(raw: &str) -> Decommented {
    // One scan decides: a quote, a backslash or a non-ASCII byte before the comment (if
    // any) needs the character walk; anything else is a plain line.
    let mut cut = raw.len();
    for (i, &b) in raw.as_bytes().iter().enumerate() {
        match b {
            b'"' | b'\\' | 0x80.. => return decomment_chars(raw),
            b'#' | b'!' => {
                cut = i;
                break;
            }
            _ => {}
        }
    }
    decomment_plain(raw, cut)
}

/// The general [`decomment`], character by character.
fn decomment_chars(raw: &str) -> Decommented {
    let mut text = String::with_capacity(raw.len());
    let mut cols = Vec::with_capacity(raw.len() + 1);
    let mut in_quote = false;
    let mut chars = raw.chars().enumerate().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c == ' ' || c == '\t' {
            chars.next();
        } else {
            break;
        }
    }
    let mut end_col = 1 + raw.chars().count() as u32;
    while let Some((i, c)) = chars.next() {
        let col = i as u32 + 1;
        if c == '"' {
            in_quote = !in_quote;
        } else if !in_quote {
            if c == '#' || c == '!' {
                end_col = col;
                break;
            }
            if c == '\\' {
                if let Some(&(_, n)) = chars.peek() {
                    if n == '#' || n == '!' {
                        chars.next();
                        push_char(&mut text, &mut cols, n, col);
                        continue;
                    }
                }
            }
        }
        push_char(&mut text, &mut cols, c, col);
    }
    let trimmed = text.trim_end_matches(is_blank).len();
    if trimmed < text.len() {
        end_col = cols[trimmed];
        text.truncate(trimmed);
        cols.truncate(trimmed);
    }
    cols.push(end_col);
    Decommented {
        line: Mapped {
            text,
            cols: Cols::Table(cols),
        },
        unterminated_quote: in_quote,
    }
}

/// [`decomment`] for the usual line: ASCII without quotes or backslashes before `cut`, where
/// the comment starts (or the end), so a byte is a column. Same result, without the
/// per-character walk (a generated configuration of 10,000 addresses is mostly such lines).
fn decomment_plain(raw: &str, cut: usize) -> Decommented {
    let b = raw.as_bytes();
    let lead = b[..cut]
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let trail = lead + raw[lead..cut].trim_end_matches(is_blank).len();
    Decommented {
        line: Mapped {
            text: raw[lead..trail].to_string(),
            cols: Cols::From(lead as u32 + 1),
        },
        unterminated_quote: false,
    }
}

fn push_char(text: &mut String, cols: &mut Vec<u32>, c: char, col: u32) {
    text.push(c);
    cols.extend(std::iter::repeat_n(col, c.len_utf8()));
}

/// keepalived's brace splitting: every `{` or `}` outside double quotes becomes its own
/// logical line; the text around it becomes separate logical lines (left-trimmed). Returned as
/// byte ranges of `line`, so the words keep `line`'s columns.
#[cfg(test)]
pub(crate) fn split_braces(line: &Mapped) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    split_braces_into(line, &mut out);
    out
}

/// [`split_braces`] into `out` (cleared first), so a reader can reuse one buffer.
pub(crate) fn split_braces_into(line: &Mapped, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    let mut in_quote = false;
    // Braces and quotes are ASCII, which never occurs inside a multi-byte character.
    for (i, &c) in line.text.as_bytes().iter().enumerate() {
        match c {
            b'"' => in_quote = !in_quote,
            b'{' | b'}' if !in_quote => {
                push_trimmed(out, line, start, i);
                out.push((i, i + 1));
                start = i + 1;
            }
            _ => {}
        }
    }
    push_trimmed(out, line, start, line.text.len());
}

fn push_trimmed(out: &mut Vec<(usize, usize)>, line: &Mapped, start: usize, end: usize) {
    let seg = &line.text[start..end];
    let lead = seg.len() - seg.trim_start_matches(is_blank).len();
    let trail = seg.trim_end_matches(is_blank).len();
    if lead < trail {
        out.push((start + lead, start + trail));
    }
}

/// One word of a logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The text, quotes removed.
    pub text: String,
    /// Source column of the first character (of the opening quote when quoted).
    pub col: u32,
    /// Length in source characters, quotes included.
    pub len: u32,
}

/// Word splitting (`alloc_strvec_r()`); the `bool` is true when an unmatched `"` cut the line.
#[cfg(test)]
pub(crate) fn words(line: &Mapped) -> (Vec<Word>, bool) {
    words_in(line, 0, line.text.len(), |w| w)
}

/// [`words`] of the bytes `start..end` of `line` (one logical line of [`split_braces`]), each
/// turned into a `T` by `make` as it is found.
pub(crate) fn words_in<T>(
    line: &Mapped,
    start: usize,
    end: usize,
    mut make: impl FnMut(Word) -> T,
) -> (Vec<T>, bool) {
    // Most lines have one to three words: count them first so the vector is allocated at
    // its size (a `Vec` otherwise starts with room for four).
    let mut out = Vec::with_capacity(word_count(&line.text[start..end]));
    let seg = &line.text[start..end];
    let mut rest = seg;
    loop {
        let (r, _) = blanks(rest).expect("take_while never fails");
        rest = r;
        if rest.is_empty() {
            return (out, false);
        }
        let from = start + seg.len() - rest.len();
        match word(rest) {
            Ok((r, text)) => {
                let to = start + seg.len() - r.len();
                let col = line.col_at(from);
                let end_col = if to == end {
                    line.col_at(to)
                } else {
                    line.col_at(to - 1) + 1
                };
                out.push(make(Word {
                    text: text.to_string(),
                    col,
                    len: end_col.saturating_sub(col),
                }));
                rest = r;
            }
            // Only an opening quote without its partner gets here.
            Err(_) => return (out, true),
        }
    }
}

/// An upper bound of the words of `s` (a quoted word may hold blanks).
fn word_count(s: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in s.bytes() {
        let blank = matches!(c, b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'\x0b');
        if !blank && !in_word {
            n += 1;
        }
        in_word = !blank;
    }
    n
}

fn blanks(i: &str) -> IResult<&str, &str> {
    take_while(is_blank)(i)
}

fn word(i: &str) -> IResult<&str, &str> {
    alt((
        delimited(char('"'), take_till(|c| c == '"'), char('"')),
        take_till1(|c| is_blank(c) || c == '"'),
    ))
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<Vec<String>> {
        let d = decomment(s);
        split_braces(&d.line)
            .into_iter()
            .map(|(a, b)| {
                words_in(&d.line, a, b, |w| w)
                    .0
                    .into_iter()
                    .map(|w| w.text)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn comments_anywhere_outside_double_quotes() {
        assert_eq!(texts("  priority 100 # c"), vec![vec!["priority", "100"]]);
        assert_eq!(texts("priority 100! c"), vec![vec!["priority", "100"]]);
        assert_eq!(
            texts(r#"script "/a.sh '#x' !y""#),
            vec![vec!["script", "/a.sh '#x' !y"]]
        );
        assert_eq!(texts(r"router_id a\#b"), vec![vec!["router_id", "a#b"]]);
        assert_eq!(
            texts("notify /x.sh 'x#y'"),
            vec![vec!["notify", "/x.sh", "'x"]]
        );
        assert!(texts("# only").is_empty());
    }

    #[test]
    fn braces_are_their_own_lines() {
        assert_eq!(
            texts("virtual_ipaddress { 198.51.100.1 }"),
            vec![
                vec!["virtual_ipaddress"],
                vec!["{"],
                vec!["198.51.100.1"],
                vec!["}"]
            ]
        );
        assert_eq!(texts("} nopreempt"), vec![vec!["}"], vec!["nopreempt"]]);
        assert_eq!(
            texts(r#"router_id "a{b}""#),
            vec![vec!["router_id", "a{b}"]]
        );
    }

    #[test]
    fn non_ascii_comment_after_brace_and_value() {
        assert_eq!(
            texts("authentication { # 心跳检测需要的密码"),
            vec![vec!["authentication"], vec!["{"]]
        );
        assert_eq!(
            texts("smtp_server 198.51.100.129   # 当前主机ip"),
            vec![vec!["smtp_server", "198.51.100.129"]]
        );
    }

    #[test]
    fn columns_point_at_source_characters() {
        let d = decomment("\t  中 priority  100 # x");
        let (w, _) = words(&d.line);
        assert_eq!((w[0].col, w[0].len), (4, 1));
        assert_eq!((w[1].col, w[1].len), (6, 8));
        assert_eq!((w[2].col, w[2].len), (16, 3));
        let d = decomment(r#"a "b c" d"#);
        let (w, _) = words(&d.line);
        assert_eq!((w[1].text.as_str(), w[1].col, w[1].len), ("b c", 3, 5));
    }

    #[test]
    fn the_plain_path_maps_like_the_general_one() {
        for line in [
            "  priority 100 # c",
            "\tvirtual_ipaddress { 198.51.100.1/24 }  ",
            "a!b",
            "   ",
            "",
            "x\x0b",
            "\t\tstate  BACKUP\t",
            "# only",
            "198.51.100.1/32 dev eth0 ! x",
            "a # \"quoted\" comment",
            "b ! é",
        ] {
            assert_eq!(decomment(line), decomment_chars(line), "{line:?}");
        }
    }

    #[test]
    fn unmatched_quote_cuts_the_rest() {
        let d = decomment(r#"router_id "abc def"#);
        assert!(d.unterminated_quote);
        let (w, cut) = words(&d.line);
        assert!(cut);
        assert_eq!(w.len(), 1);
    }
}
