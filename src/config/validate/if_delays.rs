//! `interface_up_down_delays { IF DOWN [UP] … }` (keepalived 2.2.7 `vrrp_parser.c`,
//! `check_debounce_timers()` in `vrrp.c`): per-interface debounce delays, and their reduction
//! so that a delayed link change is still seen before a peer's master-down timer could end.

use std::time::Duration;

use super::{Validator, interface_exists};
use crate::config::diag::{Level, Severity, Span};
use crate::config::tree::Stmt;
use crate::model::IfUpDownDelay;

/// keepalived's `TIMER_HZ_DIGITS`: delays are read in microseconds.
const US_DIGITS: u32 = 6;
/// The largest delay keepalived accepts: 255 s.
const MAX_DELAY_US: u64 = 255 * 1_000_000;

impl Validator<'_> {
    pub(super) fn if_up_down_delays(&mut self, stmt: &Stmt) {
        let lines = self.block(stmt);
        for line in lines {
            let w = &line.line.words;
            let name = &w[0];
            if self.check_ifs() && !interface_exists(&name.text) {
                self.rep.at(
                    Severity::Fatal,
                    Some(Level::Fatal),
                    &name.span,
                    format!(
                        "unknown interface {} specified for up/down delay",
                        name.text
                    ),
                );
                continue;
            }
            if w.len() < 2 {
                self.log_note(
                    &name.span,
                    format!("No timeouts specified for {} up/down delays", name.text),
                );
                continue;
            }
            if w.len() > 3 {
                self.log_note(
                    &w[3].span,
                    format!("Too many parameters for {} up/down delays", name.text),
                );
            }
            let Some(down) = self.decimal_lenient(&w[1], US_DIGITS, 0, MAX_DELAY_US) else {
                self.log_note(
                    &w[1].span,
                    format!("Invalid down delay {} for {}", w[1].text, name.text),
                );
                continue;
            };
            // keepalived 2.2.7 sets the up delay to 0, not to the down delay, when only one
            // value is written.
            let up = match w.get(2) {
                None => 0,
                Some(t) => match self.decimal_lenient(t, US_DIGITS, 0, MAX_DELAY_US) {
                    Some(v) => v,
                    None => {
                        self.log_note(
                            &t.span,
                            format!("Invalid up delay {} for {}", t.text, name.text),
                        );
                        continue;
                    }
                },
            };
            let delays = &mut self.config.interface_up_down_delays;
            let d = IfUpDownDelay {
                interface: name.text.clone(),
                down: Duration::from_micros(down),
                up: Duration::from_micros(up),
            };
            match delays.iter_mut().find(|d| d.interface == name.text) {
                Some(old) => *old = d,
                None => delays.push(d),
            }
        }
    }

    /// A line keepalived only logs (no configuration error, `-t` unaffected).
    fn log_note(&mut self, span: &Span, msg: String) {
        self.rep.at(Severity::Note, None, span, msg);
    }

    /// `vrrp_complete_instance()`: a delay must end before `down_timer_adverts - 1` adverts
    /// are missed, or a peer's master-down timer could expire first; one that does not is
    /// cut to just under that. With `down_timer_adverts 1` there is no room: delays are reset.
    pub(super) fn reduce_if_delays(&mut self) {
        let mut logs = Vec::new();
        for inst in &self.config.instances {
            let Some(ifname) = inst.interface.as_deref() else {
                continue;
            };
            let Some(d) = self
                .config
                .interface_up_down_delays
                .iter_mut()
                .find(|d| d.interface == ifname)
            else {
                continue;
            };
            if d.down.is_zero() && d.up.is_zero() {
                continue;
            }
            if inst.down_timer_adverts <= 1 {
                d.down = Duration::ZERO;
                d.up = Duration::ZERO;
                logs.push(format!(
                    "{}: cannot use debounce timers with down_timer_adverts = 1 - resetting",
                    inst.name
                ));
                continue;
            }
            // keepalived's integer microseconds: 1 s / 256 is 3906 µs, not 3906.25.
            let int_us = inst.advert_int.to_duration().as_micros() as u64;
            let room = Duration::from_micros(int_us * u64::from(inst.down_timer_adverts - 1));
            let cut = room - Duration::from_micros(int_us / 256);
            let mut changed = false;
            for v in [&mut d.up, &mut d.down] {
                if *v >= room {
                    *v = cut;
                    changed = true;
                }
            }
            if changed {
                logs.push(format!(
                    "{}: interface {} debounce timer(s) not less that {} * advert_int - resetting",
                    inst.name,
                    ifname,
                    inst.down_timer_adverts - 1
                ));
            }
        }
        for m in logs {
            self.rep.global(Severity::Note, None, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_test;
    use crate::model::IfUpDownDelay;
    use std::time::Duration;

    fn load(delays: &str, inst_extra: &str) -> (Vec<IfUpDownDelay>, Vec<String>) {
        let conf = format!(
            "interface_up_down_delays {{\n{delays}\n}}\n\
             vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 51\n priority 100\n\
             {inst_extra}\n virtual_ipaddress {{\n 198.51.100.50\n }}\n}}\n"
        );
        let l = load_test(&conf);
        let msgs = l.diagnostics.iter().map(|d| d.message.clone()).collect();
        let delays = l
            .config
            .map(|c| c.interface_up_down_delays)
            .unwrap_or_default();
        (delays, msgs)
    }

    fn delay(name: &str, down_ms: u64, up_ms: u64) -> IfUpDownDelay {
        IfUpDownDelay {
            interface: name.into(),
            down: Duration::from_millis(down_ms),
            up: Duration::from_millis(up_ms),
        }
    }

    #[test]
    fn lines_give_down_and_up_delays() {
        let (d, msgs) = load(" eth0 1.5 0.25\n eth1 2\n eth2", "");
        assert_eq!(d, [delay("eth0", 1500, 250), delay("eth1", 2000, 0)]);
        assert!(msgs.contains(&"No timeouts specified for eth2 up/down delays".to_string()));
    }

    #[test]
    fn bad_values_are_keepalived_s_errors_and_the_line_is_dropped() {
        let (d, msgs) = load(" eth0 x\n eth1 1 300\n eth2 1 2 3", "");
        // `x` is reported, then read as strtoull reads it: 0 (keepalived's ignore_error).
        assert_eq!(d, [delay("eth0", 0, 0), delay("eth2", 1000, 2000)]);
        assert!(msgs.contains(&"invalid number 'x'".to_string()), "{msgs:?}");
        assert!(!msgs.contains(&"Invalid down delay x for eth0".to_string()));
        assert!(msgs.contains(&"Invalid up delay 300 for eth1".to_string()));
        assert!(msgs.contains(&"Too many parameters for eth2 up/down delays".to_string()));
    }

    #[test]
    fn delays_are_cut_below_the_instance_s_down_timer() {
        // advert_int 1, 3 down-timer adverts: at most 2 s - 1/256 s.
        let (d, msgs) = load(" eth0 5 1", "");
        assert_eq!(
            d,
            [delay("eth0", 0, 1000)].map(|mut x| {
                x.down = Duration::from_micros(2_000_000 - 3_906);
                x
            })
        );
        assert!(
            msgs.contains(
                &"VI_1: interface eth0 debounce timer(s) not less that 2 * advert_int - resetting"
                    .to_string()
            )
        );
        // One down-timer advert leaves no room at all.
        let (d, msgs) = load(" eth0 1 1", "down_timer_adverts 1");
        assert_eq!(d, [delay("eth0", 0, 0)]);
        assert!(msgs.contains(
            &"VI_1: cannot use debounce timers with down_timer_adverts = 1 - resetting".to_string()
        ));
        // Delays on another interface are left alone.
        let (d, _) = load(" eth1 5", "");
        assert_eq!(d, [delay("eth1", 5000, 0)]);
    }
}
