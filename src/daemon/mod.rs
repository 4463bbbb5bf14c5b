//! The event loop: command line, signals, reload, logging, and the routing of values between modules.

/// Entry point of the `keepalived` binary; returns the process exit code.
pub fn main_entry() -> i32 {
    0
}
