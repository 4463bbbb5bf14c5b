//! The files keepalived writes on signals (inventory §5.2, §5.4): SIGUSR2 -> `keepalived.stats`
//! in keepalived's exact layout (exporters parse it), SIGUSR1 -> `keepalived.data` (our config
//! dump plus each instance's state). Written atomically (temp file + rename), off the loop.

use crate::vrrp::{State, Stats};
use std::path::PathBuf;

/// keepalived's temp dir rule: `$TMPDIR`, else `/tmp`.
pub fn tmp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(name)
}

/// One instance's block of `keepalived.stats`, as keepalived's `vrrp_print_stats()` lays it out.
pub fn stats_block(name: &str, st: &Stats) -> String {
    format!(
        "VRRP Instance: {name}\n  Advertisements:\n    Received: {}\n    Sent: {}\n  Became master: {}\n  Released master: {}\n  Packet Errors:\n    Length: {}\n    TTL: {}\n    Invalid Type: {}\n    Advertisement Interval: {}\n    Address List: {}\n  Authentication Errors:\n    Invalid Type: {}\n    Type Mismatch: {}\n    Failure: {}\n  Priority Zero:\n    Received: {}\n    Sent: {}\n",
        st.advert_rcvd,
        st.advert_sent,
        st.become_master,
        st.release_master,
        st.packet_len_err,
        st.ip_ttl_err,
        st.invalid_type_rcvd,
        st.advert_interval_err,
        st.addr_list_err,
        st.invalid_authtype,
        st.authtype_mismatch,
        st.auth_failure,
        st.pri_zero_rcvd,
        st.pri_zero_sent
    )
}

/// One instance's run-time lines of `keepalived.data`.
pub fn state_block(name: &str, state: State, effective_priority: u8) -> String {
    format!(
        " VRRP Instance = {name}\n   State = {state}\n   Effective priority = {effective_priority}\n"
    )
}

/// Write `text` to `path` atomically on a blocking thread, so the event loop never waits on
/// the filesystem. Mode 0600 as keepalived's dump files.
pub fn write_atomically(path: PathBuf, text: String) {
    let write = move || {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let tmp = path.with_extension("tmp");
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            tracing::error!("Can't open {} ({e})", path.display());
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn_blocking(write);
        }
        Err(_) => write(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_block_has_keepalived_layout() {
        let st = Stats {
            advert_rcvd: 7,
            advert_sent: 3,
            pri_zero_sent: 1,
            auth_failure: 2,
            ..Stats::default()
        };
        let text = stats_block("VI_1", &st);
        let want = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 7\n    Sent: 3\n  Became master: 0\n  Released master: 0\n  Packet Errors:\n    Length: 0\n    TTL: 0\n    Invalid Type: 0\n    Advertisement Interval: 0\n    Address List: 0\n  Authentication Errors:\n    Invalid Type: 0\n    Type Mismatch: 0\n    Failure: 2\n  Priority Zero:\n    Received: 0\n    Sent: 1\n";
        assert_eq!(text, want);
    }

    #[test]
    fn files_are_replaced_whole_with_mode_0600() {
        let path = std::env::temp_dir().join(format!("ka-dump-{}.stats", std::process::id()));
        std::fs::write(&path, "old contents that are longer than the new ones").unwrap();
        write_atomically(path.clone(), "new\n".into());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::remove_file(&path).unwrap();
    }
}
