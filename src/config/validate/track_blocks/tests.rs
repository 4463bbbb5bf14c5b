//! `track_file` / `vrrp_track_process` blocks and instance lines through the public loader.

use std::time::Duration;

use crate::config::{Loaded, dump};
use crate::model::{ParamMatch, TrackFileInit, TrackRef};

fn load(text: &str) -> Loaded {
    crate::config::load_test(text)
}

/// `blocks` then an instance with `refs` as its body extras.
fn with_instance(blocks: &str, refs: &str) -> Loaded {
    load(&format!(
        "{blocks}\nvrrp_instance VI {{\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {{\n198.51.100.50\n}}\n{refs}\n}}\n"
    ))
}

fn r(name: &str, weight: i32, reverse: bool) -> TrackRef {
    TrackRef {
        name: name.into(),
        weight,
        reverse,
    }
}

#[test]
fn track_file_defaults_and_every_keyword() {
    let l = with_instance(
        "track_file maint {\nfile /run/maint\n}\nvrrp_track_file other {\nfile \"/run/other\"\nweight -20 reverse\ninit_file 7 overwrite\n}",
        "track_file {\nmaint\nother weight 5 noreverse\n}",
    );
    let c = l.config.as_ref().expect("loads");
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let m = &c.track_files[0];
    assert_eq!(
        (m.path.as_str(), m.weight, m.reverse, m.init),
        ("/run/maint", 1, false, None)
    );
    let o = &c.track_files[1];
    assert_eq!(
        (o.path.as_str(), o.weight, o.reverse),
        ("/run/other", -20, true)
    );
    assert_eq!(
        o.init,
        Some(TrackFileInit {
            value: 7,
            overwrite: true
        })
    );
    assert_eq!(
        c.instances[0].track_files,
        [r("maint", 1, false), r("other", 5, false)]
    );
    assert!(
        l.messages()
            .iter()
            .any(|m| m.contains("\"vrrp_track_file\" is deprecated"))
    );
    let d = dump(c);
    assert!(
        d.contains(
            "track_file other\n  file /run/other\n  weight -20 reverse\n  init_file 7 overwrite\n"
        ),
        "{d}"
    );
    assert!(
        d.contains("  track_file maint weight 1\n  track_file other weight 5\n"),
        "{d}"
    );
}

#[test]
fn track_file_errors_are_keepalived_s() {
    let l = with_instance(
        "track_file a {\nfile /a\nweight 300\ninit_file bogus -999\n}\ntrack_file nofile {\nweight 2\n}",
        "track_file {\na weight\na weight 2 sideways\nmissing\nnofile\na weight 999 reverse\na\n}",
    );
    let m = l.messages();
    for want in [
        "Weight (300) for track_file a must be between [-254..254] inclusive. Ignoring...",
        "Unknown track file init option bogus",
        "Track file a init value -999 is outside sensible range [-254, 254]",
        "No file set for track_file nofile - ignoring",
        "(VI) weight without value specified for track file a - ignoring",
        "(VI) unknown track file a weight option sideways - ignoring",
        "(VI) track file missing not found, ignoring...",
        "(VI) track file nofile not found, ignoring...",
        "(VI) weight for track file a must be in [-254..254] inclusive. Ignoring...",
        "(VI) duplicate track_file a - ignoring",
    ] {
        assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:?}");
    }
    let c = l.config.as_ref().expect("loads");
    // The out-of-range line keeps the block's weight (1) but takes `reverse`.
    assert_eq!(c.instances[0].track_files, [r("a", 1, true)]);
    assert_eq!(c.track_files[0].init.map(|i| i.value), Some(-999));
    assert_ne!(l.test_exit_code(), 0);
}

#[test]
fn a_block_written_after_the_instance_is_not_found_and_unused_blocks_are_dropped() {
    let l = load(
        "vrrp_instance VI {\ninterface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n198.51.100.50\n}\ntrack_file {\nlate\n}\n}\ntrack_file late {\nfile /late\n}\nvrrp_track_process unused {\nprocess x\n}\n",
    );
    assert!(
        l.messages()
            .contains(&"(VI) track file late not found, ignoring...".to_string())
    );
    let c = l.config.as_ref().expect("loads");
    assert!(c.instances[0].track_files.is_empty());
    assert!(c.track_files.is_empty() && c.track_processes.is_empty());
}

#[test]
fn address_owner_file_weights() {
    let l = load(
        "track_file one {\nfile /1\n}\ntrack_file five {\nfile /5\nweight 5\n}\ntrack_file zero {\nfile /0\nweight 0\n}\nvrrp_instance VI {\nstate MASTER\ninterface eth0\nvirtual_router_id 51\npriority 255\nvirtual_ipaddress {\n198.51.100.50\n}\ntrack_file {\none\nfive\nzero\n}\n}\n",
    );
    let m = l.messages();
    assert!(
        m.contains(
            &"(VI) ignoring weight from tracked file one due to address_owner. specify weight 0"
                .to_string()
        ),
        "{m:?}"
    );
    assert!(m.contains(
        &"(VI) ignoring tracked file five with weight 5 due to address_owner".to_string()
    ));
    let c = l.config.as_ref().expect("loads");
    assert_eq!(
        c.instances[0].track_files,
        [r("one", 0, false), r("zero", 0, false)]
    );
}

#[test]
fn track_process_defaults_and_every_keyword() {
    let l = with_instance(
        "vrrp_track_process nginx {\nprocess nginx\n}\nvrrp_track_process full {\nprocess /usr/bin/python3 -m http.server\nparam_match partial\nweight -30 reverse\nquorum 2\nquorum_max 4\nfork_delay 1.5\nterminate_delay 0.000002\n}\nvrrp_track_process bare {\nprocess sleep\nparam_match\ndelay 3\nfull_command\n}\nvrrp_track_process never {\nprocess telnetd\nquorum_max 0\n}",
        "track_process {\nnginx\nfull weight 10\nbare weight -5 reverse\nnever\n}",
    );
    assert_eq!(l.test_exit_code(), 0, "{:?}", l.messages());
    let c = l.config.as_ref().expect("loads");
    let [n, f, b, nv] = &c.track_processes[..] else {
        panic!("{:?}", c.track_processes)
    };
    assert_eq!(
        (n.process.as_str(), n.param_match, n.full_command, n.weight),
        ("nginx", ParamMatch::None, false, 0)
    );
    assert_eq!((n.quorum, n.quorum_max), (1, u32::MAX));
    assert_eq!(
        (n.fork_delay, n.terminate_delay),
        (Duration::ZERO, Duration::ZERO)
    );
    assert_eq!(f.params, ["-m", "http.server"]);
    assert_eq!(
        (f.param_match, f.full_command, f.weight, f.reverse),
        (ParamMatch::Partial, true, -30, true)
    );
    assert_eq!((f.quorum, f.quorum_max), (2, 4));
    assert_eq!(f.fork_delay, Duration::from_millis(1500));
    assert_eq!(f.terminate_delay, Duration::from_micros(2));
    assert_eq!((b.param_match, b.full_command), (ParamMatch::Exact, true));
    assert_eq!(
        (b.fork_delay, b.terminate_delay),
        (Duration::from_secs(3), Duration::from_secs(3))
    );
    assert_eq!((nv.quorum, nv.quorum_max), (0, 0));
    assert_eq!(
        c.instances[0].track_processes,
        [
            r("nginx", 0, false),
            r("full", 10, true),
            r("bare", -5, true),
            r("never", 0, false)
        ]
    );
    let d = dump(c);
    assert!(d.contains("vrrp_track_process full\n  process /usr/bin/python3 -m http.server\n  param_match partial\n  full_command true\n  weight -30 reverse\n  quorum 2\n  quorum_max 4\n  fork_delay 1500000us\n  terminate_delay 2us\n"), "{d}");
    assert!(d.contains("  track_process never weight 0\n"), "{d}");
}

#[test]
fn track_process_errors_are_keepalived_s() {
    let l = with_instance(
        "vrrp_track_process tp {\nprocess a\nprocess b\nparam_match exact\nweight 3\nweight 4\nquorum 0\nquorum_max 70000\ndelay 0\nfork_delay 4000\n}\nvrrp_track_process q {\nprocess x\nquorum_max 3\nquorum 5\n}\nvrrp_track_process q2 {\nprocess x\nquorum 3\nquorum_max 2\n}\nvrrp_track_process none {\nweight 1\n}",
        "track_process {\ntp foo\ntp weight 2 sideways\ntp\nnone\n}",
    );
    let m = l.messages();
    for want in [
        "Process already set for track process tp - ignoring b",
        "Invalid param_match type exact - ignoring",
        "Weight already set for track process tp - ignoring 4",
        "Quorum (0) for vrrp_track_process tp must be between [1..65535] inclusive. Ignoring...",
        "quorum_max (70000) for vrrp_track_process tp must be between [0..65535] inclusive. Ignoring...",
        "delay (0) for vrrp_track_process tp must be between [0.000001..3600] inclusive. Ignoring...",
        "fork_delay (4000) for vrrp_track_process tp must be between [0.000001..3600] inclusive. Ignoring...",
        "Quorum is greater than quorum_max - ignoring",
        "quorum_max is less than quorum - ignoring",
        "track process 'none' process name not specified",
        "(VI) unknown track process option foo - ignoring",
        "(VI) unknown track_process tp weight option sideways - ignoring",
        "(VI) duplicate track_process tp - ignoring",
        "(VI) track process none not found, ignoring...",
    ] {
        assert!(m.iter().any(|x| x == want), "missing {want:?} in {m:?}");
    }
    let c = l.config.as_ref().expect("loads");
    // An unknown weight option still tracks the process, unlike for files.
    assert_eq!(c.instances[0].track_processes, [r("tp", 2, false)]);
    assert_eq!(c.track_processes[0].process, "a");
    assert_eq!(c.track_processes[0].weight, 3);
}

#[test]
fn misspelt_keyword_inside_the_blocks_gets_a_suggestion() {
    let l = with_instance(
        "track_file f {\nfile /f\nwieght 3\n}\nvrrp_track_process p {\nprocess x\nquorom 2\n}",
        "track_file {\nf\n}\ntrack_process {\np\n}",
    );
    let ds: Vec<_> = l
        .diagnostics
        .iter()
        .map(|d| (d.message.clone(), d.help.clone()))
        .collect();
    assert!(
        ds.contains(&(
            "Unknown keyword 'wieght'".into(),
            Some("did you mean `weight`?".into())
        )),
        "{ds:?}"
    );
    assert!(
        ds.contains(&(
            "Unknown keyword 'quorom'".into(),
            Some("did you mean `quorum`?".into())
        )),
        "{ds:?}"
    );
}

#[test]
fn nameless_blocks_and_missing_values_are_keepalived_s_fatal_missing_parameter() {
    for text in [
        "track_file {\nfile /x\n}\n",
        "vrrp_track_process {\nprocess x\n}\n",
        "vrrp_track_process p {\nprocess\n}\n",
        "vrrp_track_process p {\nprocess x\nquorum\n}\n",
        "vrrp_track_process p {\nprocess x\nfork_delay\n}\n",
    ] {
        let l = load(text);
        assert_eq!(l.test_exit_code(), 2, "{text:?}: {:?}", l.messages());
        assert!(
            l.messages()
                .iter()
                .any(|m| m.contains("is missing a parameter")),
            "{text:?}"
        );
    }
    // `file` and `weight` check their own argument: an error, not the fatal one.
    let l = load("track_file f {\nfile\nweight\n}\n");
    assert_eq!(
        l.messages(),
        [
            "track file file name missing",
            "No weight specified for track file f - ignoring",
            "No file set for track_file f - ignoring"
        ]
    );
}
