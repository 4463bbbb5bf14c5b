//! keepalived-rs: a drop-in replacement for the keepalived VRRP daemon.
//!
//! Data flows one way through values: `config` turns text into a `model::Config`; the `daemon`
//! loop owns one `vrrp::Instance` per `vrrp_instance`, feeds it packets (`net`), tracker results
//! (`track`) and time, and routes the `vrrp::Action`s it emits to `net` (adverts, VIPs, GARP)
//! and `notify` (scripts, SMTP). Dependency rule ("may use"):
//! `main -> daemon -> {config, vrrp, track, notify, net, exec} -> model`; `config` and `vrrp`
//! use only `model`; `net` may use `vrrp::wire`; nothing uses `daemon`. `exec_security` is a
//! leaf like `model` (std and nix only): `config` and `exec` both ask it whether a script may run.

pub mod config;
pub mod daemon;
pub mod exec;
pub mod exec_security;
pub mod model;
pub mod net;
pub mod notify;
pub mod track;
pub mod vrrp;
