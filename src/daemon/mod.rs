//! The daemon: keepalived's command line, process setup (umask, daemonising, pid files,
//! logging) and the one event loop that routes values between the engine and the I/O modules.

mod cli;
pub mod dump;
mod event_loop;
mod garp_pacer;
mod io_worker;
mod logging;
mod notify_events;
mod pidfile;
mod route_jobs;
mod sched;
mod timer;
mod trackers;

use std::io::Write as _;
use std::path::{Path, PathBuf};

pub use cli::{Options, Parsed};

/// keepalived's exit status when the configuration file is missing (EXIT_NOTCONFIGURED).
const EXIT_NOTCONFIGURED: i32 = 6;
/// keepalived's status for a permanent configuration error of its VRRP child (KEEPALIVED_EXIT_CONFIG).
const EXIT_CONFIG: i32 = 2;

/// Entry point of the `keepalived` binary; returns the process exit code.
pub fn main_entry() -> i32 {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Parsed::Run(o) => o,
        Parsed::Exit {
            stderr,
            stdout,
            code,
        } => {
            let _ = std::io::stderr().write_all(stderr.as_bytes());
            let _ = std::io::stdout().write_all(stdout.as_bytes());
            return code;
        }
    };
    if !opts.unexpected.is_empty() {
        eprintln!("Unexpected argument(s): {}", opts.unexpected.join(" "));
    }
    if opts.check_only || opts.genhash {
        eprintln!("keepalived-rs: the health-checker (LVS) subsystem is not supported yet");
        return 1;
    }
    let load_opts = crate::config::LoadOptions {
        config_id: config_id(&opts),
        check_interfaces: true,
        all_config: opts.all_config,
    };
    if let Some(log) = &opts.config_test {
        return config_test(&opts.config_path(), &load_opts, log, opts.json);
    }
    set_umask(opts.umask.as_deref());
    run_daemon(&opts, load_opts)
}

/// `-i ID`, else the host name up to its first dot (keepalived's default config-id).
fn config_id(opts: &Options) -> String {
    opts.config_id.clone().unwrap_or_else(|| {
        node_name()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string()
    })
}

/// The node name keepalived uses for `router_id`, HELO and `From` defaults: the canonical name
/// of the host name (`getaddrinfo` with `AI_CANONNAME`, as keepalived's `get_local_name()`), or
/// an empty string when it does not resolve (keepalived's `[unknown]`: HELO then says
/// `localhost`).
pub(crate) fn local_name() -> String {
    let Some(node) = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
    else {
        return String::new();
    };
    let hints = dns_lookup::AddrInfoHints {
        flags: libc::AI_CANONNAME,
        ..Default::default()
    };
    dns_lookup::getaddrinfo(Some(&node), None, Some(hints))
        .ok()
        .and_then(|mut it| it.find_map(|a| a.ok().and_then(|a| a.canonname)))
        .unwrap_or_default()
}

/// The host name up to its first dot: keepalived's default config-id.
fn node_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default()
}

/// `-t`: parse and validate, print the diagnostics, exit with keepalived's code.
fn config_test(path: &Path, load_opts: &crate::config::LoadOptions, log: &str, json: bool) -> i32 {
    let loaded = crate::config::load(path, load_opts);
    if json {
        println!("{}", crate::config::diagnostics_json(&loaded));
        return loaded.test_exit_code();
    }
    let mut text = String::new();
    for d in &loaded.diagnostics {
        text.push_str(&d.to_string());
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    if log.is_empty() {
        let _ = std::io::stderr().write_all(text.as_bytes());
    } else {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            eprintln!("Unable to open config-test log file {log}: {e}");
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
    loaded.test_exit_code()
}

/// keepalived runs with umask 0177 unless `-u` says otherwise; scripts inherit it.
fn set_umask(arg: Option<&str>) {
    let mask = arg
        .and_then(|s| u32::from_str_radix(s.trim_start_matches("0o"), 8).ok())
        .unwrap_or(0o177);
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        mask as libc::mode_t,
    ));
}

fn run_daemon(opts: &Options, load_opts: crate::config::LoadOptions) -> i32 {
    let path = opts.config_path();
    let loaded = crate::config::load(&path, &load_opts);
    let config = match loaded.config.as_ref() {
        Some(c) if !loaded.is_fatal() => c.clone(),
        _ => {
            for d in &loaded.diagnostics {
                eprintln!("{d}");
            }
            // keepalived: a missing file stops the parent (6); anything fatal inside it makes
            // the VRRP child exit with its permanent CONFIG error (2), which the parent returns.
            if !path.is_file() {
                eprintln!("Config files missing '{}'.", path.display());
                return EXIT_NOTCONFIGURED;
            }
            eprintln!(
                "Stopping: the configuration {} cannot be used",
                path.display()
            );
            return EXIT_CONFIG;
        }
    };
    // `umask` in global_defs, unless `-u` gave one (keepalived: "umask command line option
    // specified, ignoring config option").
    if let (None, Some(m)) = (opts.umask.as_deref(), config.global.umask) {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(m as libc::mode_t));
    }
    let pid_path = opts
        .pid_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_PID));
    let vrrp_pid_path = opts
        .vrrp_pid_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_VRRP_PID));
    if let Some(pid) = pidfile::running_pid(&pid_path) {
        eprintln!("daemon is already running (pid {pid})");
        return 0;
    }
    if !opts.dont_fork {
        if let Err(e) = nix::unistd::daemon(false, false) {
            eprintln!("Unable to daemonise: {e}");
            return 1;
        }
    }
    let facility = opts
        .log_facility
        .as_deref()
        .and_then(logging::parse_facility)
        .unwrap_or(3);
    logging::init(&logging::LogOptions {
        console: opts.log_console,
        syslog: !opts.no_syslog,
        facility,
        detail: opts.log_detail,
        ident: "Keepalived_vrrp".to_string(),
    });
    tracing::info!("Starting {}", cli::banner());
    tracing::info!(
        "Command line: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    for d in &loaded.diagnostics {
        tracing::warn!("{}", d.to_string().lines().next().unwrap_or_default());
    }
    if opts.dump_conf {
        for line in crate::config::dump(&config).lines() {
            tracing::info!("{line}");
        }
    }
    // One process does the parent's and the VRRP child's work: both pid files name it.
    let _pid = match pidfile::PidFile::create(&pid_path) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("Unable to write pid file {}: {e}", pid_path.display());
            return 1;
        }
    };
    let _vrrp_pid = pidfile::PidFile::create(&vrrp_pid_path).ok();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("Unable to start the event loop: {e}");
            return 1;
        }
    };
    let settings = event_loop::Settings {
        config_path: path,
        load_opts,
        dont_release_vrrp: opts.dont_release_vrrp,
        local_name: local_name(),
    };
    let code = runtime.block_on(event_loop::run(config, settings));
    tracing::info!("Stopped {}", cli::banner());
    code
}
