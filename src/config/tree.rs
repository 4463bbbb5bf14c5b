//! Logical lines -> statements with nested blocks, reproducing keepalived's brace accounting
//! (inventory §1.1 step 10, §1.2).

use super::diag::{Level, Severity};
use super::source::{Line, Reporter};

/// One statement and, when a `{` followed it, its block.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub line: Line,
    pub block: Option<Vec<Stmt>>,
}

impl Stmt {
    /// The keyword (first word).
    pub fn keyword(&self) -> &str {
        &self.line.words[0].text
    }
}

struct Open {
    /// The statement owning the block being filled.
    owner: Stmt,
    /// Where its body starts in the shared `pending` stack.
    start: usize,
}

/// Builds the statement tree. A `{` opens a block for the statement just before it; `}`
/// closes the innermost block; extra or missing braces are reported as keepalived does.
///
/// Statements wait on one shared stack until their block closes, then move into a vector of
/// exactly their number: a configuration of 10,000 one-line blocks would otherwise keep room
/// for twice its statements.
pub(crate) fn build(lines: Vec<Line>, rep: &mut Reporter) -> Vec<Stmt> {
    let mut pending: Vec<Stmt> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut prev_was_stmt = false;
    for line in lines {
        let is_brace = line.words.len() == 1
            && matches!(line.words[0].text.as_str(), "{" | "}")
            && line.text().len() == 1;
        if !is_brace {
            pending.push(Stmt { line, block: None });
            prev_was_stmt = true;
            continue;
        }
        let level_start = stack.last().map_or(0, |o| o.start);
        if line.text() == "{" {
            let opens = prev_was_stmt
                && pending.len() > level_start
                && pending.last().is_some_and(|s| s.block.is_none());
            if opens {
                let owner = pending.pop().expect("checked");
                stack.push(Open {
                    owner,
                    start: pending.len(),
                });
            } else {
                rep.at(
                    Severity::Error,
                    Some(Level::UnexpectedBob),
                    &line.span,
                    "Unexpected '{' - ignoring",
                );
            }
        } else {
            match stack.pop() {
                Some(Open { mut owner, start }) => {
                    owner.block = Some(pending.drain(start..).collect());
                    pending.push(owner);
                }
                None => {
                    rep.at(
                        Severity::Error,
                        Some(Level::UnexpectedEob),
                        &line.span,
                        "Extra '}' found",
                    );
                    rep.at(
                        Severity::Warning,
                        Some(Level::UnknownKeyword),
                        &line.span,
                        "Unknown keyword '}'",
                    );
                }
            }
        }
        prev_was_stmt = false;
    }
    if !stack.is_empty() {
        let n = stack.len();
        let span = stack[0].owner.line.span.clone();
        rep.at(
            Severity::Error,
            Some(Level::MissingEob),
            &span,
            format!("There are {n} missing '}}'s or extra '{{'s"),
        );
        while let Some(Open { mut owner, start }) = stack.pop() {
            owner.block = Some(pending.drain(start..).collect());
            pending.push(owner);
        }
    }
    pending
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::Reader;

    fn tree(text: &str) -> (Vec<Stmt>, Reporter) {
        let mut rep = Reporter::default();
        let mut r = Reader::new(&mut rep, "x");
        r.read_text("t.conf", text, None);
        let lines = std::mem::take(&mut r.lines);
        let t = build(lines, &mut rep);
        (t, rep)
    }

    #[test]
    fn nested_blocks_brace_on_next_line() {
        let (t, rep) = tree("a x\n{\n b {\n c\n }\n d 1\n}\ne\n");
        assert!(rep.diags.is_empty());
        assert_eq!(t.len(), 2);
        let body = t[0].block.as_ref().unwrap();
        assert_eq!(body.len(), 2);
        assert_eq!(body[0].block.as_ref().unwrap()[0].keyword(), "c");
        assert_eq!(t[1].keyword(), "e");
    }

    #[test]
    fn one_line_block_and_trailing_keyword() {
        let (t, _) = tree("v { 1 }\n} x\n");
        assert_eq!(t[0].block.as_ref().unwrap()[0].keyword(), "1");
        assert_eq!(t[1].keyword(), "x");
    }

    #[test]
    fn extra_and_missing_braces() {
        let (_, rep) = tree("}\n");
        assert_eq!(rep.diags[0].level, Some(Level::UnexpectedEob));
        let (t, rep) = tree("a {\n b {\n");
        assert_eq!(
            rep.diags[0].message,
            "There are 2 missing '}'s or extra '{'s"
        );
        assert_eq!(t.len(), 1);
        let (_, rep) = tree("a {\n}\n{\n");
        assert_eq!(rep.diags[0].level, Some(Level::UnexpectedBob));
    }

    #[test]
    fn quoted_brace_is_not_a_block() {
        let (t, rep) = tree("a \"{\"\n");
        assert!(rep.diags.is_empty());
        assert!(t[0].block.is_none());
    }
}
