//! Value parsing as keepalived's `strtol(buf, NULL, 0)`, `init_file`, path resolution, and the
//! inotify watcher on a private temporary directory.

use super::*;
use crate::model::TrackFileInit;
use std::time::Duration;
use tokio::sync::mpsc;

#[test]
fn values_parse_like_strtol_base_0() {
    let cases: &[(&[u8], Option<i64>)] = &[
        (b"0", Some(0)),
        (b"1\n", Some(1)),
        (b"  -20\n", Some(-20)),
        (b"+7", Some(7)),
        (b"0x1f", Some(31)),
        (b"0X10 trailing", Some(16)),
        (b"010", Some(8)),
        (b"09", Some(0)),
        (b"0x", Some(0)),
        (b"12abc", Some(12)),
        (b"abc", Some(0)),
        (b"", Some(0)),
        (b"\n\t 5", Some(5)),
        (b"2147483648", Some(2_147_483_648)),
        (b"2147483649", None),
        (b"-2147483648", Some(-2_147_483_648)),
        (b"-2147483649", None),
        (b"99999999999999999999999", None),
    ];
    for (buf, want) in cases {
        assert_eq!(
            parse_value(buf),
            *want,
            "{:?}",
            String::from_utf8_lossy(buf)
        );
    }
    // Only the first 127 bytes are read.
    let mut long = vec![b' '; 126];
    long.extend_from_slice(b"42");
    assert_eq!(parse_value(&long), Some(4));
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p =
            std::env::temp_dir().join(format!("ka-track-file-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tf(name: &str, path: &Path, init: Option<TrackFileInit>) -> TrackFile {
    TrackFile {
        name: name.into(),
        path: path.to_string_lossy().into_owned(),
        weight: 1,
        reverse: false,
        init,
    }
}

#[test]
fn read_value_of_missing_empty_and_invalid_files() {
    let d = TempDir::new("read");
    assert_eq!(read_value(&d.0.join("none")), Some(0));
    std::fs::write(d.0.join("empty"), "").unwrap();
    assert_eq!(read_value(&d.0.join("empty")), Some(0));
    std::fs::write(d.0.join("big"), "99999999999").unwrap();
    assert_eq!(read_value(&d.0.join("big")), None);
    std::fs::write(d.0.join("ok"), "-3\n").unwrap();
    assert_eq!(read_value(&d.0.join("ok")), Some(-3));
}

#[test]
fn init_file_creates_overwrites_and_respects_reload() {
    let d = TempDir::new("init");
    let p = d.0.join("f");
    let create = tf(
        "f",
        &p,
        Some(TrackFileInit {
            value: 5,
            overwrite: false,
        }),
    );
    init_file(&create, false).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "5\n");
    std::fs::write(&p, "9\n").unwrap();
    init_file(&create, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "9\n",
        "exists: left alone"
    );
    let over = tf(
        "f",
        &p,
        Some(TrackFileInit {
            value: -2,
            overwrite: true,
        }),
    );
    init_file(&over, true).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "9\n", "not on reload");
    init_file(&over, false).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), "-2\n");
    let dir = tf(
        "d",
        &d.0,
        Some(TrackFileInit {
            value: 1,
            overwrite: true,
        }),
    );
    assert_eq!(
        init_file(&dir, false),
        Err("Cannot initialise track file d - it is not a regular file".into())
    );
    assert_eq!(init_file(&tf("n", &p, None), false), Ok(()));
}

#[test]
fn resolve_needs_the_directory() {
    let d = TempDir::new("resolve");
    let r = resolve(&tf("f", &d.0.join("later"), None)).unwrap();
    assert_eq!(r.file, OsString::from("later"));
    assert_eq!(r.dir, std::fs::canonicalize(&d.0).unwrap());
    assert_eq!(
        resolve(&tf("x", &d.0.join("no/such/file"), None)),
        Err("Track file directory for x does not exist - removing".into())
    );
}

async fn next(rx: &mut mpsc::UnboundedReceiver<TrackEvent>) -> TrackEvent {
    // Bounded: a missing event fails the test instead of hanging it.
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("watcher alive")
}

fn ev(name: &str, value: i64) -> TrackEvent {
    TrackEvent::File {
        name: name.into(),
        value,
    }
}

#[tokio::test]
async fn watcher_reports_writes_deletes_and_renames() {
    let d = TempDir::new("watch");
    let a = d.0.join("a");
    let b = d.0.join("b");
    std::fs::write(&a, "3\n").unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let files = [
        tf("a", &a, None),
        tf(
            "b",
            &b,
            Some(TrackFileInit {
                value: 4,
                overwrite: false,
            }),
        ),
        tf("gone", &d.0.join("no/dir/c"), None),
    ];
    let (_w, initial) = watch_files(&files, false, tx);
    assert_eq!(initial, [ev("a", 3), ev("b", 4)]);
    std::fs::write(&a, "-20\n").unwrap();
    assert_eq!(next(&mut rx).await, ev("a", -20));
    // Same value again: nothing; then a different file's change comes through.
    std::fs::write(&a, "-20\n").unwrap();
    std::fs::write(&b, "0x10").unwrap();
    assert_eq!(next(&mut rx).await, ev("b", 16));
    std::fs::remove_file(&a).unwrap();
    assert_eq!(next(&mut rx).await, ev("a", 0));
    // Written elsewhere and moved into place (the atomic way).
    let tmp = d.0.join(".a.tmp");
    std::fs::write(&tmp, "7").unwrap();
    std::fs::rename(&tmp, &a).unwrap();
    assert_eq!(next(&mut rx).await, ev("a", 7));
    std::fs::rename(&a, d.0.join("elsewhere")).unwrap();
    assert_eq!(next(&mut rx).await, ev("a", 0));
    // An invalid number leaves the last value in force.
    std::fs::write(&b, "99999999999").unwrap();
    std::fs::write(&b, "1").unwrap();
    assert_eq!(next(&mut rx).await, ev("b", 1));
}
