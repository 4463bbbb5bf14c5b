//! The `-d` dump lines of the process-wide `global_defs` keywords (dump files, JSON layout,
//! …), in the format of [`super::dump`]. Each line is printed only when its keyword was
//! configured, so dumps of other configurations are unchanged.

use std::fmt::Write;

use crate::model::{Global, JsonVersion};

/// The lines under `global_defs`, after the firewall's.
pub(super) fn dump_globals(s: &mut String, g: &Global) {
    let d = &g.dumps;
    for (k, v) in [
        ("state_dump_file", &d.state),
        ("stats_dump_file", &d.stats),
        ("json_dump_file", &d.json),
        ("tmp_config_directory", &g.tmp_config_directory),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "  {k} {v}");
        }
    }
    if d.data_use_instance {
        let _ = writeln!(s, "  data_use_instance true");
    }
    if d.json_version == JsonVersion::V2 {
        let _ = writeln!(s, "  json_version 2");
    }
}
