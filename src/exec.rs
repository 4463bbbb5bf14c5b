//! The only place that spawns processes: argv exec, uid/gid, stdio on /dev/null, process group, timeouts.
