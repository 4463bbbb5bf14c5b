//! `vrrp_sync_group NAME { … }` (inventory §3.7): the block is read into
//! [`Config::sync_groups`] as written, then [`Validator::finish_sync_groups`] resolves it once
//! every instance is known, as keepalived's `vrrp_sync_set_group()` and
//! `vrrp_complete_instance()` do: unknown members and members of an earlier group are dropped,
//! an empty group is removed, a one-member group is reported, and weighted trackers of members
//! are dropped unless the group allows them (`sync_group_tracking_weight`).

use super::{RawInstance, Validator};
use crate::config::diag::{Level, Severity};
use crate::config::tree::Stmt;
use crate::model::{SyncGroup, SyncGroupTrackFile};

impl Validator<'_> {
    /// Reads one `vrrp_sync_group` block (messages as keepalived's `vrrp_parser.c`).
    pub(super) fn sync_group(&mut self, stmt: &Stmt) {
        if stmt.line.words.len() != 2 {
            self.error(
                &stmt.line.span,
                "vrrp_sync_group must have a name - skipping",
            );
            return;
        }
        let name = stmt.line.words[1].text.clone();
        if self.config.sync_groups.iter().any(|g| g.name == name) {
            self.error(
                &stmt.line.span,
                format!("vrrp sync group {name} already defined"),
            );
            return;
        }
        let mut g = SyncGroup {
            name: name.clone(),
            members: Vec::new(),
            notify: Default::default(),
            smtp_alert: false,
            track_scripts: Vec::new(),
            track_interfaces: Vec::new(),
            track_files: Vec::new(),
            tracking_weight: false,
            notify_priority_changes: None,
        };
        let mut group_seen = false;
        let mut smtp_alert = None;
        // The group's trackers are read with the instance parsers (same syntax and checks).
        let mut tr = RawInstance {
            name: name.clone(),
            ..Default::default()
        };
        for st in self.block(stmt) {
            let kw = st.keyword();
            match kw {
                "group" => {
                    if group_seen {
                        self.error(
                            &st.line.span,
                            format!("Group list already specified for sync group {name}"),
                        );
                        continue;
                    }
                    group_seen = true;
                    // read_value_block(): every word of every line.
                    g.members = st
                        .block
                        .iter()
                        .flatten()
                        .flat_map(|i| i.line.words.iter().map(|t| t.text.clone()))
                        .collect();
                    if st.block.is_none() {
                        self.block(st);
                    }
                    if g.members.is_empty() {
                        self.error(
                            &st.line.span,
                            format!("Warning - sync group {name} has empty group block"),
                        );
                    }
                }
                "track_script" => {
                    for item in self.block(st) {
                        self.track_script(&mut tr, item);
                    }
                }
                "track_interface" => {
                    for item in self.block(st) {
                        self.track_interface(&mut tr, item);
                    }
                }
                "track_file" => {
                    for item in self.block(st) {
                        self.sync_track_file(&mut g, item);
                    }
                }
                "notify" | "notify_master" | "notify_backup" | "notify_fault" | "notify_stop" => {
                    self.no_block(st);
                    let slot = match kw {
                        "notify" => &g.notify.generic,
                        "notify_master" => &g.notify.master,
                        "notify_backup" => &g.notify.backup,
                        "notify_fault" => &g.notify.fault,
                        _ => &g.notify.stop,
                    };
                    if slot.is_some() {
                        let what = st.line.words.get(1).map_or("", |t| t.text.as_str());
                        self.error(
                            &st.line.span,
                            format!(
                                "vrrp group {name}: {kw} script already specified - ignoring {what}"
                            ),
                        );
                        continue;
                    }
                    let Some(c) = self.script_cmd(st, true) else {
                        continue;
                    };
                    let slot = match kw {
                        "notify" => &mut g.notify.generic,
                        "notify_master" => &mut g.notify.master,
                        "notify_backup" => &mut g.notify.backup,
                        "notify_fault" => &mut g.notify.fault,
                        _ => &mut g.notify.stop,
                    };
                    *slot = Some(Box::new(c));
                }
                "smtp_alert" => {
                    self.no_block(st);
                    match st.line.words.get(1).map(|t| t.text.as_str()) {
                        None => smtp_alert = Some(true),
                        Some("true" | "on" | "yes") => smtp_alert = Some(true),
                        Some("false" | "off" | "no") => smtp_alert = Some(false),
                        Some(other) => self.error(
                            &st.line.words[1].span,
                            format!("Invalid vrrp_group smtp_alert parameter {other}"),
                        ),
                    }
                }
                "global_tracking" => {
                    self.no_block(st);
                    // keepalived reports it as a CONFIG_GENERAL_ERROR, not a deprecation.
                    self.error(
                        &st.line.span,
                        format!("({name}) global_tracking is deprecated. Use track_interface/script/file on the sync group"),
                    );
                    g.tracking_weight = true;
                }
                "sync_group_tracking_weight" => {
                    self.no_block(st);
                    g.tracking_weight = true;
                }
                "notify_priority_changes" => {
                    self.no_block(st);
                    match st.line.words.get(1).map(|t| t.text.as_str()) {
                        None | Some("true" | "on" | "yes") => g.notify_priority_changes = Some(true),
                        Some("false" | "off" | "no") => g.notify_priority_changes = Some(false),
                        Some(other) => self.error(
                            &st.line.words[1].span,
                            format!("({name}) Invalid value '{other}' for sync group notify_priority_changes specified"),
                        ),
                    }
                }
                _ if self.not_supported("vrrp_sync_group", st) => {}
                _ => self.unknown("vrrp_sync_group", st),
            }
        }
        g.track_scripts = tr.track_scripts;
        g.track_interfaces = tr.track_interfaces;
        let gl = &self.config.global;
        g.smtp_alert = smtp_alert
            .or(gl.smtp_alert_vrrp)
            .or(gl.smtp_alert)
            .unwrap_or(false);
        self.config.sync_groups.push(g);
    }

    /// `track_file { NAME [weight N [reverse|noreverse]] }` inside a sync group: kept as
    /// written (the `track_file` blocks themselves are another block's business).
    fn sync_track_file(&mut self, g: &mut SyncGroup, item: &Stmt) {
        let w = &item.line.words;
        let name = g.name.clone();
        let mut tf = SyncGroupTrackFile {
            name: w[0].text.clone(),
            weight: None,
            reverse: None,
        };
        if g.track_files.iter().any(|t| t.name == tf.name) {
            self.error(
                &w[0].span,
                format!("({name}) duplicate track_file {} - ignoring", tf.name),
            );
            return;
        }
        if let Some(opt) = w.get(1) {
            if opt.text != "weight" {
                self.error(
                    &opt.span,
                    format!(
                        "({name}) unknown track file {} option {} - ignoring",
                        tf.name, opt.text
                    ),
                );
                return;
            }
            let Some(val) = w.get(2) else {
                self.error(
                    &opt.span,
                    format!(
                        "({name}) weight without value specified for track file {} - ignoring",
                        tf.name
                    ),
                );
                return;
            };
            match self.int(val, -254, 254) {
                Some(x) => tf.weight = Some(x as i32),
                None => {
                    self.error(
                        &val.span,
                        format!(
                            "({name}) weight for track file {} must be in [-254..254] inclusive. Ignoring...",
                            tf.name
                        ),
                    );
                    return;
                }
            }
            match w.get(3).map(|t| t.text.as_str()) {
                None => {}
                Some("reverse") => tf.reverse = Some(true),
                Some("noreverse") => tf.reverse = Some(false),
                Some(o) => self.error(
                    &w[3].span,
                    format!(
                        "({name}) unknown track file {} weight option {o} - ignoring",
                        tf.name
                    ),
                ),
            }
        }
        g.track_files.push(tf);
    }

    /// `vrrp_sync_set_group()` + the sync-group part of `vrrp_complete_instance()`, once every
    /// instance is known. Called first thing in `finish`, so the scripts a group tracks count
    /// as used.
    pub(super) fn finish_sync_groups(&mut self) {
        let groups = std::mem::take(&mut self.config.sync_groups);
        let mut taken: Vec<String> = Vec::new();
        for mut g in groups {
            let written = std::mem::take(&mut g.members);
            let had_list = !written.is_empty();
            let mut owner_master = None::<bool>;
            for m in written {
                let Some(inst) = self.config.instances.iter().find(|i| i.name == m) else {
                    self.rep.global(
                        Severity::Error,
                        Some(Level::GeneralError),
                        format!(
                            "Virtual router {m} specified in sync group {} doesn't exist - ignoring",
                            g.name
                        ),
                    );
                    continue;
                };
                if taken.contains(&m) || g.members.contains(&m) {
                    self.rep.global(
                        Severity::Error,
                        Some(Level::GeneralError),
                        format!(
                            "Virtual router {m} cannot exist in more than one sync group; ignoring {}",
                            g.name
                        ),
                    );
                    continue;
                }
                let owner =
                    inst.is_owner() && inst.initial_state == crate::model::InitialState::Master;
                if owner_master == Some(true) && !owner {
                    self.rep.global(
                        Severity::Error,
                        Some(Level::GeneralError),
                        format!("Sync group {} has some member(s) as address owner and some not as address owner. This won't work.", g.name),
                    );
                }
                if owner_master != Some(false) {
                    owner_master = Some(owner);
                }
                g.members.push(m);
            }
            if g.members.is_empty() {
                if had_list {
                    self.rep.global(
                        Severity::Error,
                        Some(Level::GeneralError),
                        format!(
                            "Sync group {}, no matching virtual router found in group declaration - removing",
                            g.name
                        ),
                    );
                }
                continue;
            }
            if g.members.len() == 1 {
                self.rep.global(
                    Severity::Error,
                    Some(Level::GeneralError),
                    format!(
                        "Sync group {} has only 1 virtual router(s) - this probably isn't what you want",
                        g.name
                    ),
                );
            }
            taken.extend(g.members.iter().cloned());
            self.sync_member_weights(&mut g);
            self.config.sync_groups.push(g);
        }
    }

    /// Members must not float unless `sync_group_tracking_weight`: their weighted track
    /// scripts are dropped and their tracked interfaces lose their weight. A group with an
    /// address owner cannot weigh its own trackers either.
    fn sync_member_weights(&mut self, g: &mut SyncGroup) {
        let has_owner = self
            .config
            .instances
            .iter()
            .any(|i| g.members.contains(&i.name) && i.is_owner());
        if has_owner {
            for t in &mut g.track_scripts {
                let w = t.weight.unwrap_or_else(|| {
                    self.config
                        .scripts
                        .iter()
                        .find(|s| s.name == t.name)
                        .map_or(0, |s| s.weight)
                });
                if w != 0 {
                    self.rep.global(
                        Severity::Error,
                        Some(Level::GeneralError),
                        format!("({}) Cannot have weighted track script '{}' with member having priority 255 - clearing weight", g.name, t.name),
                    );
                    t.weight = Some(0);
                }
            }
            for t in &mut g.track_interfaces {
                t.weight = 0;
            }
        }
        if g.tracking_weight {
            return;
        }
        let scripts = self.config.scripts.clone();
        let mut msgs = Vec::new();
        for inst in self
            .config
            .instances
            .iter_mut()
            .filter(|i| g.members.contains(&i.name))
        {
            for t in inst.track_interfaces.iter_mut().filter(|t| t.weight != 0) {
                msgs.push(format!(
                    "({}) ignoring {} tracked interface weight due to SYNC group",
                    inst.name, t.name
                ));
                t.weight = 0;
            }
            let weight = |t: &crate::model::TrackScript| {
                t.weight.unwrap_or_else(|| {
                    scripts
                        .iter()
                        .find(|s| s.name == t.name)
                        .map_or(0, |s| s.weight)
                })
            };
            for t in inst.track_scripts.iter().filter(|t| weight(t) != 0) {
                msgs.push(format!(
                    "({}) ignoring tracked script {} with weights due to SYNC group",
                    inst.name, t.name
                ));
            }
            inst.track_scripts.retain(|t| weight(t) == 0);
        }
        for m in msgs {
            self.rep
                .global(Severity::Error, Some(Level::GeneralError), m);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Loaded;

    fn load(text: &str) -> Loaded {
        crate::config::load_test(text)
    }

    const INSTANCES: &str = r#"
vrrp_script chk {
    script "/bin/true"
    weight 10
}
vrrp_script down {
    script "/bin/false"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    track_script {
        chk
    }
    track_interface {
        eth1 weight 5
    }
    virtual_ipaddress {
        198.51.100.10
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 2
    virtual_ipaddress {
        198.51.100.11
    }
}
vrrp_instance VI_3 {
    interface eth0
    virtual_router_id 3
    virtual_ipaddress {
        198.51.100.12
    }
}
"#;

    #[test]
    fn full_group_is_read_into_the_model() {
        let text = format!(
            r#"
global_defs {{
    smtp_alert_vrrp
}}
{INSTANCES}
vrrp_sync_group G1 {{
    group {{
        VI_1 VI_2
    }}
    notify_master "/usr/bin/g master"
    notify_backup /usr/bin/gb
    notify_fault /usr/bin/gf
    notify_stop /usr/bin/gs
    notify "/usr/bin/gn x"
    track_script {{
        down
    }}
    track_interface {{
        eth2
    }}
    track_file {{
        f1 weight -3 reverse
    }}
    notify_priority_changes off
}}
"#
        );
        let l = load(&text);
        let c = l.config.clone().expect("config");
        assert_eq!(c.sync_groups.len(), 1);
        let g = &c.sync_groups[0];
        assert_eq!(g.name, "G1");
        assert_eq!(g.members, ["VI_1", "VI_2"]);
        assert_eq!(
            g.notify.master.as_ref().unwrap().argv,
            ["/usr/bin/g", "master"]
        );
        assert_eq!(
            g.notify.generic.as_ref().unwrap().argv,
            ["/usr/bin/gn", "x"]
        );
        assert_eq!(g.notify.stop.as_ref().unwrap().argv, ["/usr/bin/gs"]);
        assert!(g.smtp_alert, "inherits smtp_alert_vrrp");
        assert_eq!(g.track_scripts.len(), 1);
        assert_eq!(g.track_scripts[0].name, "down");
        assert_eq!(g.track_interfaces[0].name, "eth2");
        assert_eq!(g.track_files[0].name, "f1");
        assert_eq!(g.track_files[0].weight, Some(-3));
        assert_eq!(g.track_files[0].reverse, Some(true));
        assert_eq!(g.notify_priority_changes, Some(false));
        assert!(!g.tracking_weight);
        // The group tracks `down`: it is used, so it stays.
        assert!(c.scripts.iter().any(|s| s.name == "down"));
        // Weighted trackers of a member are dropped / zeroed (no sync_group_tracking_weight).
        let vi1 = &c.instances[0];
        assert!(vi1.track_scripts.is_empty());
        assert_eq!(vi1.track_interfaces[0].weight, 0);
        let m = l.messages();
        assert!(
            m.contains(
                &"(VI_1) ignoring tracked script chk with weights due to SYNC group".to_string()
            ),
            "{m:?}"
        );
        assert!(
            m.contains(
                &"(VI_1) ignoring eth1 tracked interface weight due to SYNC group".to_string()
            ),
            "{m:?}"
        );
        let d = crate::config::dump::dump(&c);
        assert!(
            d.contains("vrrp_sync_group G1\n  group [VI_1, VI_2]\n"),
            "{d}"
        );
        assert!(
            d.contains("  notify [\"/usr/bin/gn\", \"x\"] user -\n"),
            "{d}"
        );
        assert!(d.contains("  sync_group_tracking_weight false\n"), "{d}");
    }

    #[test]
    fn tracking_weight_keeps_member_weights() {
        let text = format!(
            "vrrp_sync_group G1 {{\n group {{\n VI_1\n VI_2\n }}\n sync_group_tracking_weight\n}}\n{INSTANCES}"
        );
        let l = load(&text);
        let c = l.config.clone().expect("config");
        assert!(c.sync_groups[0].tracking_weight);
        assert_eq!(c.instances[0].track_scripts[0].name, "chk");
        assert_eq!(c.instances[0].track_interfaces[0].weight, 5);
    }

    #[test]
    fn keepalived_s_membership_checks() {
        let text = format!(
            r#"
vrrp_sync_group G1 {{
    group {{
        VI_1 VI_2
        VI_X
    }}
}}
vrrp_sync_group G2 {{
    group {{
        VI_2
    }}
}}
vrrp_sync_group G3 {{
    group {{
        VI_3
    }}
}}
vrrp_sync_group G1 {{
    group {{
        VI_3
    }}
}}
vrrp_sync_group {{
}}
vrrp_sync_group G4 {{
    group {{
    }}
    group {{
        VI_3
    }}
    bogus
}}
{INSTANCES}"#
        );
        let l = load(&text);
        let m = l.messages();
        for want in [
            "Virtual router VI_X specified in sync group G1 doesn't exist - ignoring",
            "Virtual router VI_2 cannot exist in more than one sync group; ignoring G2",
            "Sync group G2, no matching virtual router found in group declaration - removing",
            "Sync group G3 has only 1 virtual router(s) - this probably isn't what you want",
            "vrrp sync group G1 already defined",
            "vrrp_sync_group must have a name - skipping",
            "Warning - sync group G4 has empty group block",
            "Group list already specified for sync group G4",
            "Unknown keyword 'bogus'",
        ] {
            assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:?}");
        }
        let c = l.config.clone().expect("config");
        let names: Vec<&str> = c.sync_groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["G1", "G3"]);
        assert_eq!(c.sync_groups[0].members, ["VI_1", "VI_2"]);
    }

    #[test]
    fn group_keyword_errors() {
        let text = format!(
            r#"
vrrp_sync_group G1 {{
    group {{
        VI_1
        VI_2
    }}
    notify /bin/a
    notify /bin/b
    smtp_alert maybe
    global_tracking
    notify_priority_changes sometimes
}}
{INSTANCES}"#
        );
        let l = load(&text);
        let m = l.messages();
        for want in [
            "vrrp group G1: notify script already specified - ignoring /bin/b",
            "Invalid vrrp_group smtp_alert parameter maybe",
            "(G1) global_tracking is deprecated. Use track_interface/script/file on the sync group",
            "(G1) Invalid value 'sometimes' for sync group notify_priority_changes specified",
        ] {
            assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:?}");
        }
        let c = l.config.clone().expect("config");
        let g = &c.sync_groups[0];
        assert_eq!(g.notify.generic.as_ref().unwrap().argv, ["/bin/a"]);
        assert!(g.tracking_weight, "global_tracking is the old name");
        assert!(!g.smtp_alert);
    }
}
