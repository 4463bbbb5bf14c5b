//! Text -> `model::Config`: source map, preprocessing, lexer, parser, validation, diagnostics.
