//! `track_file` / `vrrp_track_file` and `vrrp_track_process` blocks, and the instance's
//! `track_file { … }` / `track_process { … }` lines (inventory §3.4, §3.5), with keepalived
//! 2.2.7's ranges, defaults and messages (`track_file.c`, `vrrp_parser.c`, `vrrp_track.c`).
//!
//! As in keepalived, an instance line is resolved against the blocks read *before* the
//! instance: a block written after it is "not found".

use std::collections::HashSet;
use std::time::Duration;

use super::{RawInstance, TIMER_HZ, Validator};
use crate::config::diag::{Severity, Span};
use crate::config::tree::Stmt;
use crate::model::{ParamMatch, TrackFile, TrackFileInit, TrackProcess, TrackRef};

/// keepalived's `read_int_strvec(…, false)` for `init_file`: the whole word an integer.
fn parse_c_int(s: &str) -> Option<i32> {
    let t = s.trim_start();
    t.strip_prefix('+').unwrap_or(t).parse::<i32>().ok()
}

impl Validator<'_> {
    /// `track_file NAME { … }` and its deprecated alias `vrrp_track_file`.
    pub(super) fn track_file_block(&mut self, stmt: &Stmt) {
        let kw = stmt.keyword().to_string();
        if kw == "vrrp_track_file" {
            self.rep.at(
                Severity::Note,
                None,
                &stmt.line.span,
                "\"vrrp_track_file\" is deprecated, please use \"track_file\"",
            );
        }
        // keepalived reads the name unchecked: a missing one is its fatal "missing parameter".
        let Some(name) = self.arg(stmt, 1).map(|t| t.text.clone()) else {
            return;
        };
        let body = self.block(stmt);
        let mut f = TrackFile {
            name: name.clone(),
            path: String::new(),
            weight: 1,
            reverse: false,
            init: None,
        };
        let mut weight_set = false;
        for st in body {
            self.no_block(st);
            let w = &st.line.words;
            match st.keyword() {
                "file" => {
                    let Some(p) = w.get(1) else {
                        self.error(&st.line.span, "track file file name missing");
                        continue;
                    };
                    if !f.path.is_empty() {
                        self.error(
                            &p.span,
                            format!(
                                "File already set for track file {name} - ignoring {}",
                                p.text
                            ),
                        );
                        continue;
                    }
                    f.path = p.text.clone();
                }
                "weight" => {
                    let Some(t) = w.get(1) else {
                        self.error(
                            &st.line.span,
                            format!("No weight specified for track file {name} - ignoring"),
                        );
                        continue;
                    };
                    if weight_set && f.weight != 1 {
                        self.error(
                            &t.span,
                            format!(
                                "Weight already set for track file {name} - ignoring {}",
                                t.text
                            ),
                        );
                        continue;
                    }
                    weight_set = true;
                    f.weight = match self.int(t, -254, 254) {
                        Some(v) => v as i32,
                        None => {
                            self.error(&t.span, format!("Weight ({}) for track_file {name} must be between [-254..254] inclusive. Ignoring...", t.text));
                            1
                        }
                    };
                    if let Some(r) = w.get(2) {
                        if r.text == "reverse" {
                            f.reverse = true;
                        } else {
                            self.error(
                                &r.span,
                                format!("track_file {name} unknown weight option {}", r.text),
                            );
                        }
                    }
                }
                "init_file" => {
                    let mut init = TrackFileInit {
                        value: 0,
                        overwrite: false,
                    };
                    for t in &w[1..] {
                        let word = t.text.trim_start();
                        if word.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
                            match parse_c_int(word) {
                                None => {
                                    self.error(
                                        &t.span,
                                        format!("Track file {name} init value {word} is invalid"),
                                    );
                                    init.value = 0;
                                }
                                Some(v) => {
                                    if !(-254..=254).contains(&v) {
                                        self.error(&t.span, format!("Track file {name} init value {v} is outside sensible range [-254, 254]"));
                                    }
                                    init.value = v;
                                }
                            }
                        } else if word == "overwrite" {
                            init.overwrite = true;
                        } else {
                            self.error(&t.span, format!("Unknown track file init option {word}"));
                        }
                    }
                    f.init = Some(init);
                }
                _ if self.not_supported("track_file", st) => {}
                _ => self.unknown("track_file", st),
            }
        }
        if f.path.is_empty() {
            self.error(
                &stmt.line.span,
                format!("No file set for track_file {name} - ignoring"),
            );
            return;
        }
        if self.config.track_files.iter().any(|x| x.name == name) {
            // keepalived keeps both and always finds the first one.
            self.rep.at(
                Severity::Note,
                None,
                &stmt.line.span,
                format!("track_file {name} already defined: the first definition is used"),
            );
            return;
        }
        self.config.track_files.push(f);
    }

    /// `vrrp_track_process NAME { … }`.
    pub(super) fn track_process_block(&mut self, stmt: &Stmt) {
        let Some(name) = self.arg(stmt, 1).map(|t| t.text.clone()) else {
            return;
        };
        let body = self.block(stmt);
        let mut p = TrackProcess {
            name: name.clone(),
            process: String::new(),
            params: Vec::new(),
            param_match: ParamMatch::None,
            full_command: false,
            weight: 0,
            reverse: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        };
        for st in body {
            self.no_block(st);
            let w = &st.line.words;
            let kw = st.keyword();
            match kw {
                "process" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    if !p.process.is_empty() {
                        self.error(
                            &t.span,
                            format!(
                                "Process already set for track process {name} - ignoring {}",
                                t.text
                            ),
                        );
                        continue;
                    }
                    p.process = t.text.clone();
                    if w.len() > 2 {
                        p.params = w[2..].iter().map(|t| t.text.clone()).collect();
                        if p.param_match == ParamMatch::None {
                            p.param_match = ParamMatch::Exact;
                        }
                        p.full_command = true;
                    }
                }
                "param_match" => match w.get(1).map(|t| t.text.as_str()) {
                    None => {
                        p.param_match = ParamMatch::Exact;
                        p.full_command = true;
                    }
                    Some("initial") => {
                        p.param_match = ParamMatch::Initial;
                        p.full_command = true;
                    }
                    Some("partial") => {
                        p.param_match = ParamMatch::Partial;
                        p.full_command = true;
                    }
                    Some(other) => self.error(
                        &w[1].span,
                        format!("Invalid param_match type {other} - ignoring"),
                    ),
                },
                "weight" => {
                    let Some(t) = w.get(1) else {
                        self.error(
                            &st.line.span,
                            format!("No weight specified for track process {name} - ignoring"),
                        );
                        continue;
                    };
                    if p.weight != 0 {
                        self.error(
                            &t.span,
                            format!(
                                "Weight already set for track process {name} - ignoring {}",
                                t.text
                            ),
                        );
                        continue;
                    }
                    let Some(v) = self.int(t, -254, 254) else {
                        self.error(&t.span, format!("Weight ({}) for vrrp_track_process {name} must be between [-254..254] inclusive. Ignoring...", t.text));
                        continue;
                    };
                    if let Some(r) = w.get(2) {
                        if r.text == "reverse" {
                            p.reverse = true;
                        } else {
                            self.error(
                                &r.span,
                                format!(
                                    "vrrp_track_process {name} unknown weight option {}",
                                    r.text
                                ),
                            );
                        }
                    }
                    p.weight = v as i32;
                }
                "quorum" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    let Some(q) = self.uint(t, 1, 65535) else {
                        self.error(&t.span, format!("Quorum ({}) for vrrp_track_process {name} must be between [1..65535] inclusive. Ignoring...", t.text));
                        continue;
                    };
                    if q as u32 > p.quorum_max {
                        self.error(&t.span, "Quorum is greater than quorum_max - ignoring");
                        continue;
                    }
                    p.quorum = q as u32;
                }
                "quorum_max" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    let Some(q) = self.uint(t, 0, 65535) else {
                        self.error(&t.span, format!("quorum_max ({}) for vrrp_track_process {name} must be between [0..65535] inclusive. Ignoring...", t.text));
                        continue;
                    };
                    let q = q as u32;
                    // `quorum_max 0` (must not run) is allowed while `quorum` is the default.
                    if (q != 0 || p.quorum > 1) && q < p.quorum {
                        self.error(&t.span, "quorum_max is less than quorum - ignoring");
                        continue;
                    }
                    p.quorum_max = q;
                    if q == 0 {
                        p.quorum = 0;
                    } else if p.quorum == 0 {
                        p.quorum = 1;
                    }
                }
                "delay" | "terminate_delay" | "fork_delay" => {
                    let Some(t) = self.arg(st, 1) else { continue };
                    let Some(us) = self.decimal(t, 6, 1, 3600 * TIMER_HZ) else {
                        let pre = kw.strip_suffix("delay").unwrap_or("");
                        self.error(&t.span, format!("{pre}delay ({}) for vrrp_track_process {name} must be between [0.000001..3600] inclusive. Ignoring...", t.text));
                        continue;
                    };
                    let d = Duration::from_micros(us);
                    if kw != "fork_delay" {
                        p.terminate_delay = d;
                    }
                    if kw != "terminate_delay" {
                        p.fork_delay = d;
                    }
                }
                "full_command" => p.full_command = true,
                _ if self.not_supported("vrrp_track_process", st) => {}
                _ => self.unknown("vrrp_track_process", st),
            }
        }
        if p.process.is_empty() {
            self.error(
                &stmt.line.span,
                format!("track process '{name}' process name not specified"),
            );
            return;
        }
        if self.config.track_processes.iter().any(|x| x.name == name) {
            self.rep.at(
                Severity::Note,
                None,
                &stmt.line.span,
                format!("vrrp_track_process {name} already defined: the first definition is used"),
            );
            return;
        }
        self.config.track_processes.push(p);
    }

    /// One line of an instance's `track_file { … }` (`vrrp_alloc_track_file()`).
    pub(super) fn instance_track_file(&mut self, r: &mut RawInstance, item: &Stmt) {
        let defaults = {
            let tracked = &item.line.words[0].text;
            self.config
                .track_files
                .iter()
                .find(|f| &f.name == tracked)
                .map(|f| (f.weight, f.reverse))
        };
        if let Some(t) = self.track_ref(&r.name, item, defaults, "track file", "track file", true) {
            if r.track_files.iter().any(|x| x.name == t.name) {
                self.error(
                    &item.line.words[0].span,
                    format!("({}) duplicate track_file {} - ignoring", r.name, t.name),
                );
            } else {
                r.track_files.push(t);
            }
        }
    }

    /// One line of an instance's `track_process { … }` (`alloc_track_process()`).
    pub(super) fn instance_track_process(&mut self, r: &mut RawInstance, item: &Stmt) {
        let defaults = {
            let tracked = &item.line.words[0].text;
            self.config
                .track_processes
                .iter()
                .find(|p| &p.name == tracked)
                .map(|p| (p.weight, p.reverse))
        };
        if let Some(t) = self.track_ref(
            &r.name,
            item,
            defaults,
            "track process",
            "track_process",
            false,
        ) {
            if r.track_processes.iter().any(|x| x.name == t.name) {
                self.error(
                    &item.line.words[0].span,
                    format!("({}) duplicate track_process {} - ignoring", r.name, t.name),
                );
            } else {
                r.track_processes.push(t);
            }
        }
    }

    /// `NAME [weight N [reverse|noreverse]]`; `what`/`what_opt` are keepalived's wordings,
    /// `strict_opt` whether an unknown weight option drops the line (files) or not (processes).
    fn track_ref(
        &mut self,
        inst: &str,
        item: &Stmt,
        defaults: Option<(i32, bool)>,
        what: &str,
        what_opt: &str,
        strict_opt: bool,
    ) -> Option<TrackRef> {
        let w = &item.line.words;
        let tracked = &w[0];
        let Some((mut weight, mut reverse)) = defaults else {
            self.error(
                &tracked.span,
                format!("({inst}) {what} {} not found, ignoring...", tracked.text),
            );
            return None;
        };
        if let Some(opt) = w.get(1) {
            if opt.text != "weight" {
                self.error(
                    &opt.span,
                    format!("({inst}) unknown {what} option {} - ignoring", opt.text),
                );
                return None;
            }
            let Some(val) = w.get(2) else {
                self.error(
                    &opt.span,
                    format!(
                        "({inst}) weight without value specified for {what} {} - ignoring",
                        tracked.text
                    ),
                );
                return None;
            };
            match self.int(val, -254, 254) {
                Some(v) => weight = v as i32,
                None => self.error(
                    &val.span,
                    format!(
                        "({inst}) weight for {what} {} must be in [-254..254] inclusive. Ignoring...",
                        tracked.text
                    ),
                ),
            }
            if let Some(rv) = w.get(3) {
                match rv.text.as_str() {
                    "reverse" => reverse = true,
                    "noreverse" => reverse = false,
                    o => {
                        self.error(
                            &rv.span,
                            format!(
                                "({inst}) unknown {what_opt} {} weight option {o} - ignoring",
                                tracked.text
                            ),
                        );
                        if strict_opt {
                            return None;
                        }
                    }
                }
            }
        }
        Some(TrackRef {
            name: tracked.text.clone(),
            weight,
            reverse,
        })
    }

    /// `vrrp_complete_instance()` for an address owner: a tracked file keeping the default
    /// weight 1 becomes a fault tracker, one with another weight is dropped. Processes keep
    /// their weight, which cannot move an owner's priority anyway.
    pub(super) fn owner_track_files(&mut self, inst: &str, span: &Span, files: &mut Vec<TrackRef>) {
        let mut kept = Vec::new();
        for mut f in files.drain(..) {
            if f.weight == 1 {
                self.error(
                    span,
                    format!(
                        "({inst}) ignoring weight from tracked file {} due to address_owner. specify weight 0",
                        f.name
                    ),
                );
                f.weight = 0;
                kept.push(f);
            } else if f.weight != 0 {
                self.error(
                    span,
                    format!(
                        "({inst}) ignoring tracked file {} with weight {} due to address_owner",
                        f.name, f.weight
                    ),
                );
            } else {
                kept.push(f);
            }
        }
        *files = kept;
    }

    /// keepalived forgets files and processes nothing tracks (`init_track_files()`).
    pub(super) fn drop_untracked(&mut self) {
        let files: HashSet<String> = self
            .config
            .instances
            .iter()
            .flat_map(|i| i.track_files.iter().map(|t| t.name.clone()))
            .collect();
        self.config.track_files.retain(|f| files.contains(&f.name));
        let procs: HashSet<String> = self
            .config
            .instances
            .iter()
            .flat_map(|i| i.track_processes.iter().map(|t| t.name.clone()))
            .collect();
        self.config
            .track_processes
            .retain(|p| procs.contains(&p.name));
    }
}

#[cfg(test)]
mod tests;
