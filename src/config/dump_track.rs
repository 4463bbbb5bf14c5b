//! The `-d` dump lines of `track_file` / `vrrp_track_process` blocks and of the instances'
//! `track_file` / `track_process` lines, in the format of [`super::dump`]. Nothing is printed
//! when none is configured, so dumps of other configurations are unchanged.

use std::fmt::Write;

use crate::model::{Config, Instance, ParamMatch};

/// The blocks, after the `vrrp_script`s.
pub(super) fn dump_blocks(s: &mut String, config: &Config) {
    for f in &config.track_files {
        let _ = writeln!(s, "track_file {}", f.name);
        let _ = writeln!(s, "  file {}", f.path);
        let _ = writeln!(s, "  weight {}{}", f.weight, rev(f.reverse));
        match f.init {
            None => {
                let _ = writeln!(s, "  init_file -");
            }
            Some(i) => {
                let o = if i.overwrite { " overwrite" } else { "" };
                let _ = writeln!(s, "  init_file {}{o}", i.value);
            }
        }
    }
    for p in &config.track_processes {
        let _ = writeln!(s, "vrrp_track_process {}", p.name);
        let mut proc_line = p.process.clone();
        for a in &p.params {
            proc_line.push(' ');
            proc_line.push_str(a);
        }
        let _ = writeln!(s, "  process {proc_line}");
        let m = match p.param_match {
            ParamMatch::None => "-",
            ParamMatch::Exact => "exact",
            ParamMatch::Partial => "partial",
            ParamMatch::Initial => "initial",
        };
        let _ = writeln!(s, "  param_match {m}");
        let _ = writeln!(s, "  full_command {}", p.full_command);
        let _ = writeln!(s, "  weight {}{}", p.weight, rev(p.reverse));
        let _ = writeln!(s, "  quorum {}", p.quorum);
        let qm = if p.quorum_max == u32::MAX {
            "unlimited".to_string()
        } else {
            p.quorum_max.to_string()
        };
        let _ = writeln!(s, "  quorum_max {qm}");
        let _ = writeln!(s, "  fork_delay {}us", p.fork_delay.as_micros());
        let _ = writeln!(s, "  terminate_delay {}us", p.terminate_delay.as_micros());
    }
}

/// An instance's lines, after its `track_interface` lines.
pub(super) fn dump_refs(s: &mut String, i: &Instance) {
    for t in &i.track_files {
        let _ = writeln!(
            s,
            "  track_file {} weight {}{}",
            t.name,
            t.weight,
            rev(t.reverse)
        );
    }
    for t in &i.track_processes {
        let _ = writeln!(
            s,
            "  track_process {} weight {}{}",
            t.name,
            t.weight,
            rev(t.reverse)
        );
    }
}

fn rev(r: bool) -> &'static str {
    if r { " reverse" } else { "" }
}
