//! The daemon's side of `track_file` and `vrrp_track_process`: starts their watchers, keeps
//! the last value of every tracker so that an instance added later (at startup, or by a
//! reload) starts from the current state as keepalived's `initialise_tracking_priorities()`
//! does, and restarts the watchers on a reload only when their blocks changed.

use tokio::sync::mpsc::UnboundedSender;

use crate::model::{self, TrackEvent, TrackFile, TrackProcess};
use crate::track::file::{FileWatcher, watch_files};
use crate::track::process::{ProcessStatus, ProcessWatcher, watch_processes};

/// The running file and process watchers and what they last reported.
#[derive(Debug, Default)]
pub(super) struct FileProcessTrackers {
    files: FileWatcher,
    processes: ProcessWatcher,
    /// One `File`/`Process` event per tracker name: its current value.
    last: Vec<TrackEvent>,
    running_files: Vec<TrackFile>,
    running_processes: Vec<TrackProcess>,
    started: bool,
}

impl FileProcessTrackers {
    /// Starts (or, after a reload that changed them, restarts) the watchers for `config`'s
    /// blocks. Reads every file and scans `/proc` synchronously, so [`Self::current`] is up to
    /// date on return. `reload` keeps `init_file … overwrite` from rewriting existing files.
    pub fn apply(
        &mut self,
        config: &model::Config,
        reload: bool,
        tx: &UnboundedSender<TrackEvent>,
    ) {
        if !self.started || self.running_files != config.track_files {
            // The old watch ends before the new one starts reading.
            self.files = FileWatcher::default();
            let (w, initial) = watch_files(&config.track_files, reload, tx.clone());
            self.files = w;
            self.last.retain(|e| !matches!(e, TrackEvent::File { .. }));
            self.last.extend(initial);
            self.running_files = config.track_files.clone();
        } else {
            // keepalived re-runs `init_file` at every reload: a deleted file is created again
            // (an existing one is never overwritten on reload). The watch reports the write.
            for f in &config.track_files {
                if let Err(e) = crate::track::file::init_file(f, true) {
                    tracing::error!("{e}");
                }
            }
        }
        if !self.started || self.running_processes != config.track_processes {
            self.processes = ProcessWatcher::default();
            let (w, initial) = watch_processes(&config.track_processes, tx.clone());
            self.processes = w;
            self.last
                .retain(|e| !matches!(e, TrackEvent::Process { .. }));
            self.last.extend(initial);
            self.running_processes = config.track_processes.clone();
        }
        self.started = true;
    }

    /// Records an event the loop is about to route to the instances.
    pub fn observe(&mut self, ev: &TrackEvent) {
        if let Some(s) = self.last.iter_mut().find(|e| same_tracker(e, ev)) {
            *s = ev.clone();
        }
    }

    /// Every `vrrp_track_process` being watched, with its state now, in configuration order.
    pub fn processes(&self) -> Vec<(&TrackProcess, ProcessStatus)> {
        self.running_processes
            .iter()
            .zip(self.processes.status())
            .collect()
    }

    /// The current value of every file and process tracker, to give a new engine before its
    /// `handle_startup` (or after its `handle_reload`).
    pub fn current(&self) -> &[TrackEvent] {
        &self.last
    }
}

fn same_tracker(a: &TrackEvent, b: &TrackEvent) -> bool {
    match (a, b) {
        (TrackEvent::File { name: x, .. }, TrackEvent::File { name: y, .. }) => x == y,
        (TrackEvent::Process { name: x, .. }, TrackEvent::Process { name: y, .. }) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TrackFileInit;
    use tokio::sync::mpsc;

    fn file_cfg(dir: &std::path::Path, value: i32) -> model::Config {
        model::Config {
            track_files: vec![TrackFile {
                name: "f".into(),
                path: dir.join("f").to_string_lossy().into_owned(),
                weight: 1,
                reverse: false,
                init: Some(TrackFileInit {
                    value,
                    overwrite: true,
                }),
            }],
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn current_values_follow_events_and_survive_an_unchanged_reload() {
        let dir = std::env::temp_dir().join(format!("ka-daemon-trackers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut t = FileProcessTrackers::default();
        let cfg = file_cfg(&dir, 3);
        t.apply(&cfg, false, &tx);
        let f = |value| TrackEvent::File {
            name: "f".into(),
            value,
        };
        assert_eq!(t.current(), [f(3)]);
        t.observe(&f(-1));
        t.observe(&TrackEvent::Script {
            name: "s".into(),
            ok: true,
        });
        assert_eq!(t.current(), [f(-1)]);
        // Same blocks: nothing restarted, nothing re-read; a deleted file is created again.
        std::fs::remove_file(dir.join("f")).unwrap();
        t.apply(&cfg, true, &tx);
        assert_eq!(t.current(), [f(-1)]);
        assert_eq!(std::fs::read_to_string(dir.join("f")).unwrap(), "3\n");
        // Changed blocks: re-read, and `overwrite` does not apply on a reload.
        let cfg2 = file_cfg(&dir, 9);
        t.apply(&cfg2, true, &tx);
        assert_eq!(t.current(), [f(3)]);
        t.apply(&model::Config::default(), true, &tx);
        assert!(t.current().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
