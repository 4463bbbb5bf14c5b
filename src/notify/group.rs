//! Sync-group notifications (inventory §6.1, §6.4, §7.2): keepalived's
//! `send_group_notifies()` — the group's `notify_<state>` script, its generic `notify` with
//! `GROUP NAME STATE 0` appended (a group has no priority), the FIFO line
//! `GROUP "NAME" STATE 0`, and the group mail. Scripts run in order on the group's own queue,
//! like an instance's (see the parent module).

use super::smtp::spawn_mail;
use super::{Notifier, NotifyState, Work, spawn_queue, state_script};
use crate::model::{Global, NotifyScripts, ScriptCommand};

/// One sync-group state notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNotification {
    /// `vrrp_sync_group` name.
    pub group: String,
    /// The state the group entered (`Stop` when the daemon stops).
    pub state: NotifyState,
}

impl GroupNotification {
    /// The generic `notify` script's argv: configured words + `GROUP NAME STATE 0`.
    pub fn generic_argv(&self, cmd: &ScriptCommand) -> Vec<String> {
        generic_argv(cmd, &self.group, self.state)
    }

    /// The notify FIFO line: `GROUP "NAME" STATE 0\n`.
    pub fn fifo_line(&self) -> String {
        format!("GROUP \"{}\" {} 0\n", self.group, self.state)
    }
}

pub(super) fn generic_argv(cmd: &ScriptCommand, group: &str, state: NotifyState) -> Vec<String> {
    let mut argv = cmd.argv.clone();
    argv.extend([
        "GROUP".to_owned(),
        group.to_owned(),
        state.to_string(),
        "0".to_owned(),
    ]);
    argv
}

/// Subject and body of a group mail (`vrrp_sync_smtp_notifier()`).
/// `None` for the events that are not states (groups have none; no mail in keepalived either).
pub fn group_subject_body(
    router_id: &str,
    n: &GroupNotification,
) -> Option<(String, &'static str)> {
    let (what, body) = match n.state {
        NotifyState::Master => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        NotifyState::Backup => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        NotifyState::Fault => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        NotifyState::Stop => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        NotifyState::Deleted
        | NotifyState::MasterRxLowerPri
        | NotifyState::MasterPriority
        | NotifyState::BackupPriority => return None,
    };
    Some((
        format!("[{router_id}] VRRP Group {} - {what}", n.group),
        body,
    ))
}

/// The group mail, sent as [`super::spawn_smtp_alert`] sends an instance's (same server,
/// dialogue and conditions; whether the group alerts at all is the caller's decision).
pub fn spawn_group_smtp_alert(global: &Global, local_name: &str, n: &GroupNotification) {
    spawn_mail(global, local_name, |router_id| {
        group_subject_body(router_id, n)
    });
}

impl Notifier {
    /// keepalived's order for a group (`send_group_notifies()`): `notify_<state>` then the
    /// generic `notify` queued on the group's own queue, then the FIFO line. Returns at once.
    pub fn notify_group(&mut self, scripts: &NotifyScripts, n: &GroupNotification) {
        // The name as an instance notification, so the queue runs it like one.
        let as_instance = super::Notification {
            instance: n.group.clone(),
            state: n.state,
            priority: 0,
        };
        if state_script(scripts, n.state).is_some() || scripts.generic.is_some() {
            let timeout = self.script_timeout;
            // Instance names are single words: a space keeps group queues apart from them.
            let queue = self
                .queues
                .entry(format!("group {}", n.group))
                .or_insert_with(|| spawn_queue(timeout));
            let _ = queue.tx.send(Work {
                scripts: scripts.clone(),
                notification: as_instance,
                default_user: self.default_user.clone(),
                group: true,
                timing: None,
            });
        }
        self.fifos.write_line(&n.fifo_line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::tests::{Scratch, wait_for_file};

    fn cmd(argv: &[&str]) -> ScriptCommand {
        ScriptCommand {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            user: None,
        }
    }

    fn note(state: NotifyState) -> GroupNotification {
        GroupNotification {
            group: "G1".into(),
            state,
        }
    }

    #[test]
    fn argv_fifo_line_and_mail_text_are_keepalived_s() {
        let n = note(NotifyState::Master);
        assert_eq!(
            n.generic_argv(&cmd(&["/x.sh", "a"])),
            ["/x.sh", "a", "GROUP", "G1", "MASTER", "0"]
        );
        assert_eq!(n.fifo_line(), "GROUP \"G1\" MASTER 0\n");
        assert_eq!(note(NotifyState::Stop).fifo_line(), "GROUP \"G1\" STOP 0\n");
        let cases = [
            (
                NotifyState::Master,
                "Entering MASTER state",
                "=> All VRRP group instances are now in MASTER state <=",
            ),
            (
                NotifyState::Backup,
                "Entering BACKUP state",
                "=> All VRRP group instances are now in BACKUP state <=",
            ),
            (
                NotifyState::Fault,
                "Entering FAULT state",
                "=> All VRRP group instances are now in FAULT state <=",
            ),
            (
                NotifyState::Stop,
                "Stopping",
                "=> All VRRP group instances are now stopping <=",
            ),
        ];
        for (state, what, body) in cases {
            let (s, b) = group_subject_body("node1", &note(state)).expect("a state has a mail");
            assert_eq!(s, format!("[node1] VRRP Group G1 - {what}"));
            assert_eq!(b, body);
        }
    }

    /// A script that appends its arguments, `|`-separated, to `<dir>/<name>.out`.
    fn appender(d: &Scratch, name: &str) -> String {
        let out = d.path(&format!("{name}.out"));
        d.script(
            name,
            &format!("#!/bin/sh\nprintf '%s|' \"$@\" >> {out}\necho >> {out}\n"),
        )
    }

    #[tokio::test]
    async fn group_scripts_run_in_order_with_group_argv() {
        let d = Scratch::new("gnotify");
        let master = appender(&d, "master");
        let generic = appender(&d, "generic");
        let scripts = NotifyScripts {
            master: Some(Box::new(cmd(&[&master, "m"]))),
            generic: Some(Box::new(cmd(&[&generic]))),
            ..Default::default()
        };
        let mut notifier = Notifier::new(&Global::default(), None);
        notifier.notify_group(&scripts, &note(NotifyState::Backup));
        notifier.notify_group(&scripts, &note(NotifyState::Master));
        // An instance with the group's name has a queue of its own.
        notifier.notify(
            &NotifyScripts::default(),
            &super::super::Notification {
                instance: "G1".into(),
                state: NotifyState::Master,
                priority: 100,
            },
        );
        notifier.shutdown().await;
        assert_eq!(wait_for_file(&d.path("master.out")).await, "m|\n");
        assert_eq!(
            wait_for_file(&d.path("generic.out")).await,
            "GROUP|G1|BACKUP|0|\nGROUP|G1|MASTER|0|\n"
        );
    }
}
