//! The VRRP protocol engine, sans-IO: wire codec, per-instance state machine, timers.
//!
//! Nothing here opens a socket, reads a clock or spawns a task. The daemon feeds each
//! [`Instance`] packets, tracker events and the current time through `handle_*` calls, and
//! drains what it must do through [`Instance::poll_action`] and [`Instance::poll_timeout`].

pub mod instance;
pub mod sync;
pub mod timer;
pub mod wire;

pub use instance::{Action, FaultCause, Instance, Reason, State, Stats};

/// The `tracing` target of lines about received packets (validation errors, lower-priority
/// and conflicting adverts): anyone on the LAN can make them repeat, so the daemon's logger
/// bounds how many it writes.
pub const RX_LOG: &str = "keepalived::rx";
