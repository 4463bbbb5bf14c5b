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
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub text: String,
    /// `cols[i]` = source column of byte `i` of `text`; one extra entry for the end.
    pub cols: Vec<u32>,
}

impl Mapped {
    fn col_at(&self, byte: usize) -> u32 {
        self.cols[byte.min(self.cols.len() - 1)]
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> Mapped {
        let mut cols = self.cols[start..end].to_vec();
        cols.push(self.col_at(end));
        Mapped {
            text: self.text[start..end].to_string(),
            cols,
        }
    }
}

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
        line: Mapped { text, cols },
        unterminated_quote: in_quote,
    }
}

fn push_char(text: &mut String, cols: &mut Vec<u32>, c: char, col: u32) {
    text.push(c);
    cols.extend(std::iter::repeat_n(col, c.len_utf8()));
}

/// keepalived's brace splitting: every `{` or `}` outside double quotes becomes its own
/// logical line; the text around it becomes separate logical lines (left-trimmed).
pub(crate) fn split_braces(line: &Mapped) -> Vec<Mapped> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    for (i, c) in line.text.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '{' | '}' if !in_quote => {
                push_trimmed(&mut out, line, start, i);
                out.push(line.slice(i, i + 1));
                start = i + 1;
            }
            _ => {}
        }
    }
    push_trimmed(&mut out, line, start, line.text.len());
    out
}

fn push_trimmed(out: &mut Vec<Mapped>, line: &Mapped, start: usize, end: usize) {
    let seg = &line.text[start..end];
    let lead = seg.len() - seg.trim_start_matches(is_blank).len();
    let trail = seg.trim_end_matches(is_blank).len();
    if lead < trail {
        out.push(line.slice(start + lead, start + trail));
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
pub(crate) fn words(line: &Mapped) -> (Vec<Word>, bool) {
    let mut out = Vec::new();
    let mut rest = line.text.as_str();
    loop {
        let (r, _) = blanks(rest).expect("take_while never fails");
        rest = r;
        if rest.is_empty() {
            return (out, false);
        }
        let start = line.text.len() - rest.len();
        match word(rest) {
            Ok((r, text)) => {
                let end = line.text.len() - r.len();
                let col = line.col_at(start);
                let end_col = if end == line.text.len() {
                    line.col_at(end)
                } else {
                    line.col_at(end - 1) + 1
                };
                out.push(Word {
                    text: text.to_string(),
                    col,
                    len: end_col.saturating_sub(col),
                });
                rest = r;
            }
            // Only an opening quote without its partner gets here.
            Err(_) => return (out, true),
        }
    }
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
            .iter()
            .map(|l| words(l).0.into_iter().map(|w| w.text).collect())
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
    fn unmatched_quote_cuts_the_rest() {
        let d = decomment(r#"router_id "abc def"#);
        assert!(d.unterminated_quote);
        let (w, cut) = words(&d.line);
        assert!(cut);
        assert_eq!(w.len(), 1);
    }
}
