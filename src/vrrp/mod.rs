//! The VRRP protocol engine, sans-IO: wire codec, per-instance state machine, timers.
