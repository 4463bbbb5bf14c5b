//! `vrrp_sync_group NAME { … }` after validation (inventory §3.7): which instances move
//! together, what the group tracks and what it notifies.

use super::{NotifyScripts, TrackInterface, TrackScript};

/// A `vrrp_sync_group` whose members all exist (keepalived's `vrrp_sync_set_group()` has run:
/// unknown instances and instances already in another group are dropped, a group left empty
/// is removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroup {
    /// The block's name: log prefix `VRRP_Group(NAME)`, group notify argv, mails.
    pub name: String,
    /// `group { … }`: member instance names in the order written, each in no other group.
    pub members: Vec<String>,
    /// Group `notify_master/backup/fault/stop` and `notify` (the generic one gets
    /// `GROUP NAME STATE 0` appended).
    pub notify: NotifyScripts,
    /// Effective `smtp_alert` (group, else `smtp_alert_vrrp`, else `smtp_alert`, else false).
    pub smtp_alert: bool,
    /// `track_script { … }` of the group: applied to every member.
    pub track_scripts: Vec<TrackScript>,
    /// `track_interface { … }` of the group: applied to every member.
    pub track_interfaces: Vec<TrackInterface>,
    /// `track_file { … }` of the group: parsed and kept; not acted on yet.
    pub track_files: Vec<SyncGroupTrackFile>,
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep their
    /// weighted trackers. Default false: keepalived drops them (sync groups must not float).
    pub tracking_weight: bool,
    /// `notify_priority_changes [BOOL]`; `None` = unset (members use their own setting).
    pub notify_priority_changes: Option<bool>,
}

/// One line of a sync group's `track_file { NAME [weight N [reverse|noreverse]] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupTrackFile {
    /// The `track_file` block's name.
    pub name: String,
    /// Weight override (−254..=254); `None` = the file's own weight.
    pub weight: Option<i32>,
    /// `reverse`/`noreverse`; `None` = the file's own.
    pub reverse: Option<bool>,
}
