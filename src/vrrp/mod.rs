//! The VRRP protocol engine, sans-IO: wire codec, per-instance state machine, timers.
//!
//! Nothing here opens a socket, reads a clock or spawns a task. The daemon feeds each
//! instance packets, tracker events and the current time through `handle_*` calls, and
//! drains what it must do through `poll_action` and `poll_timeout`.

pub mod wire;
