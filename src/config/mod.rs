//! Text -> `model::Config`: source map, preprocessing, lexer, parser, validation, diagnostics.

mod diag;
mod lexer;
mod source;
