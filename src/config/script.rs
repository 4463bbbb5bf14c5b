//! Script-command strings (inventory §1.3): the two-pass splitting keepalived applies to
//! `script`, `notify*` and other quoted-script keywords.

/// First pass (`alloc_strvec_quoted()`): blanks split, `"…"` and `'…'` group (quotes removed,
/// adjacent pieces join like a shell word), backslashes kept. `None` on an unterminated quote.
pub(crate) fn split_quoted(s: &str) -> Option<Vec<String>> {
    split(s, false)
}

/// Second pass (`alloc_strvec_quoted_escaped()`): as [`split_quoted`] plus C-style escapes
/// `\a \b \E \f \n \r \t \v \nnn \xHH \cC` and `\<other>` = the character itself.
pub(crate) fn split_escaped(s: &str) -> Option<Vec<String>> {
    split(s, true)
}

fn split(s: &str, escapes: bool) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if super::lexer::is_blank(c) => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, '\\') if escapes => {
                in_word = true;
                let Some(n) = chars.next() else {
                    cur.push('\\');
                    break;
                };
                match n {
                    'a' => cur.push('\x07'),
                    'b' => cur.push('\x08'),
                    'E' => cur.push('\x1b'),
                    'f' => cur.push('\x0c'),
                    'n' => cur.push('\n'),
                    'r' => cur.push('\r'),
                    't' => cur.push('\t'),
                    'v' => cur.push('\x0b'),
                    '0'..='7' => {
                        let mut v = n.to_digit(8).expect("octal digit");
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    v = v * 8 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        cur.push(char::from_u32(v & 0xff).unwrap_or('?'));
                    }
                    'x' => {
                        let mut v = 0;
                        let mut n_digits = 0;
                        while n_digits < 2 {
                            match chars.peek().and_then(|c| c.to_digit(16)) {
                                Some(d) => {
                                    v = v * 16 + d;
                                    chars.next();
                                    n_digits += 1;
                                }
                                None => break,
                            }
                        }
                        if n_digits == 0 {
                            cur.push('x');
                        } else {
                            cur.push(char::from_u32(v).unwrap_or('?'));
                        }
                    }
                    'c' => match chars.next() {
                        Some(ctl) => cur.push(char::from_u32(ctl as u32 & 0x1f).unwrap_or('?')),
                        None => cur.push('c'),
                    },
                    other => cur.push(other),
                }
            }
            (_, c) => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_command_then_argv() {
        let first = split_quoted(r#"notify_master "/x.sh master-arg 'two words'" alice"#).unwrap();
        assert_eq!(
            first,
            vec!["notify_master", "/x.sh master-arg 'two words'", "alice"]
        );
        let argv = split_escaped(&first[1]).unwrap();
        assert_eq!(argv, vec!["/x.sh", "master-arg", "two words"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            split_escaped(r"/bin/echo a\x41 \101\t\q").unwrap(),
            vec!["/bin/echo", "aA", "A\tq"]
        );
        assert_eq!(split_escaped(r"a\cA").unwrap(), vec!["a\x01"]);
    }

    #[test]
    fn unterminated_quote() {
        assert_eq!(split_quoted("notify /x.sh 'x"), None);
        assert_eq!(split_quoted("''").unwrap(), vec![""]);
    }
}
