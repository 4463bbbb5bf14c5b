//! Notes on configurations keepalived accepts silently but that cannot do what they look meant
//! to do (issue 4 item 5): tracking weights too small to ever move the VIP.

use super::Validator;
use crate::config::diag::Severity;

/// A priority span up to this wide is reported: the usual gap between a master's and a
/// backup's priority is 10 or more (100/90 in the nginx tutorial, 150/100 in keepalived's
/// samples), and a check that moves the priority by less never hands the VIP over.
const NARROW_SPAN: u32 = 10;

impl Validator<'_> {
    /// Each instance tracked only by weighted scripts, interfaces or processes can move its
    /// priority within `[base + Σ negative, base + Σ positive]` (each tracker adds either 0 or
    /// its signed weight, `reverse` flipping the sign; inventory §3.2). When that span is
    /// narrow, a failing check hands the VIP over only if a peer's priority falls inside it:
    /// the nginx tutorial's `weight 2` on a 100/90 pair never moves anything.
    pub(super) fn narrow_weight_notes(&mut self) {
        let mut notes = Vec::new();
        for inst in &self.config.instances {
            if inst.priority == 255 || !inst.track_files.is_empty() {
                // The owner's priority never moves; a file's weight is multiplied by its value.
                continue;
            }
            let mut weights: Vec<(String, i32)> = Vec::new();
            for t in &inst.track_scripts {
                let Some(s) = self.config.scripts.iter().find(|s| s.name == t.name) else {
                    continue;
                };
                let w = t.weight.unwrap_or(s.weight);
                let reverse = t.reverse.unwrap_or(s.reverse);
                weights.push((t.name.clone(), if reverse { -w } else { w }));
            }
            if weights.is_empty() {
                continue;
            }
            let others = inst
                .track_interfaces
                .iter()
                .map(|t| (t.weight, t.reverse))
                .chain(inst.track_processes.iter().map(|t| (t.weight, t.reverse)))
                .map(|(w, r)| if r { -w } else { w });
            let all: Vec<i32> = weights.iter().map(|(_, w)| *w).chain(others).collect();
            if all.contains(&0) {
                // A fault tracker (weight 0) moves the VIP by itself.
                continue;
            }
            let base = i32::from(inst.priority);
            let lo = (base + all.iter().filter(|w| **w < 0).sum::<i32>()).clamp(1, 254);
            let hi = (base + all.iter().filter(|w| **w > 0).sum::<i32>()).clamp(1, 254);
            if (hi - lo) as u32 > NARROW_SPAN {
                continue;
            }
            let scripts: Vec<String> = weights
                .iter()
                .map(|(n, w)| format!("{n} weight {w}"))
                .collect();
            notes.push((inst.name.clone(), base, lo, hi, scripts.join(", ")));
        }
        for (name, base, lo, hi, scripts) in notes {
            let span = self.instance_spans.get(&name).cloned();
            let msg = format!(
                "({name}) tracking moves this node's priority only between {lo} and {hi} ({scripts}): a failing check hands the VIP over only if a peer's priority lies in that range"
            );
            let help = format!(
                "with the usual backup 10 or more below the master (the nginx tutorial's 100 and 90), a check failing on the master changes nothing; use a weight larger than the gap (`weight -20` drops this node to {} on failure) or weight 0 (FAULT on failure)",
                (base - 20).clamp(1, 254)
            );
            let d = match &span {
                Some(s) => self.rep.at(Severity::Note, None, s, msg),
                None => self.rep.global(Severity::Note, None, msg),
            };
            d.help = Some(help);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_test;

    fn notes(conf: &str) -> Vec<String> {
        load_test(conf)
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("tracking moves"))
            .map(|d| format!("{} | {}", d.message, d.help.clone().unwrap_or_default()))
            .collect()
    }

    fn conf(prio: u8, script_weight: &str, track_line: &str, extra: &str) -> String {
        format!(
            "vrrp_script chk {{\n script \"/bin/true\"\n interval 2\n {script_weight}\n}}\n\
             vrrp_instance VI_1 {{\n state MASTER\n interface eth0\n virtual_router_id 51\n\
             priority {prio}\n virtual_ipaddress {{\n 198.51.100.50\n }}\n\
             track_script {{\n {track_line}\n }}\n{extra}}}\n"
        )
    }

    #[test]
    fn the_tutorials_weight_2_is_noted() {
        let n = notes(&conf(100, "weight 2", "chk", ""));
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(
            n[0].starts_with(
                "(VI_1) tracking moves this node's priority only between 100 and 102 (chk weight 2)"
            ),
            "{}",
            n[0]
        );
        assert!(
            n[0].contains("`weight -20` drops this node to 80"),
            "{}",
            n[0]
        );
    }

    #[test]
    fn a_small_negative_or_reversed_weight_is_noted_with_its_range() {
        let n = notes(&conf(100, "weight -5", "chk", ""));
        assert_eq!(n.len(), 1);
        assert!(
            n[0].contains("between 95 and 100 (chk weight -5)"),
            "{}",
            n[0]
        );
        assert!(n[0].contains("drops this node to 80"), "{}", n[0]);
        // The track line's weight and reverse override the script's.
        let n = notes(&conf(100, "weight -50", "chk weight 3 reverse", ""));
        assert!(n[0].contains("between 97 and 100 (chk weight -3)"), "{n:?}");
        // Interfaces add to the span.
        let n = notes(&conf(
            100,
            "weight -5",
            "chk",
            " track_interface {\n eth1 weight -4\n }\n",
        ));
        assert!(n[0].contains("between 91 and 100"), "{n:?}");
    }

    #[test]
    fn weights_that_can_move_the_vip_are_not_noted() {
        assert!(notes(&conf(100, "weight -20", "chk", "")).is_empty());
        assert!(notes(&conf(100, "weight 0", "chk", "")).is_empty());
        assert!(notes(&conf(100, "weight 0", "chk", "")).is_empty());
        // Two small weights adding up to more than the usual gap.
        let two = conf(
            100,
            "weight -6",
            "chk",
            " track_interface {\n eth1 weight -6\n }\n",
        );
        assert!(notes(&two).is_empty());
        // A fault tracker beside a small weight moves the VIP by itself.
        let fault = conf(100, "weight 2", "chk", " track_interface {\n eth1\n }\n");
        assert!(notes(&fault).is_empty());
        // The address owner's priority never moves (its weighted trackers are dropped).
        assert!(notes(&conf(255, "weight 2", "chk", "")).is_empty());
    }
}
