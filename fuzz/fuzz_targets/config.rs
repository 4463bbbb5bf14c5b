//! Fuzzes the whole configuration pipeline: bytes → lossy UTF-8 → `config::load_str`
//! (reader, lexer, tree, keywords, validation) → `config::dump` of any accepted config.
//! Bad input must give diagnostics, never a panic or a hang.
#![no_main]

use keepalived::config::{self, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = LoadOptions {
        config_id: "fuzz".to_string(),
        // Host checks read /sys and stat script paths: not part of the parser under test.
        check_interfaces: false,
        all_config: false,
    };
    let loaded = config::load_str("fuzz.conf", &text, &opts);
    // Exit-code mapping walks every diagnostic; keep it in the path under test.
    let _ = loaded.test_exit_code();
    if let Some(cfg) = &loaded.config {
        let _ = config::dump(cfg);
    }
});
