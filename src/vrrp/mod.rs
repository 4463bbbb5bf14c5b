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
