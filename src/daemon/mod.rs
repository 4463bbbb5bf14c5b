//! The daemon: keepalived's command line, process setup (umask, daemonising, pid files,
//! logging) and the one event loop that routes values between the engine and the I/O modules.

mod cli;
pub mod dump;
mod event_loop;
mod garp_pacer;
mod io_worker;
mod logging;
mod namespace;
mod notify_events;
mod observe;
mod pidfile;
mod process_sched;
mod reload_check;
mod route_jobs;
mod sched;
mod start_stop;
mod timer;
mod trackers;

use std::io::Write;
use std::path::Path;

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
        // keepalived prints them on stdout, each followed by a space, and carries on.
        let words: String = opts.unexpected.iter().map(|a| format!("{a} ")).collect();
        println!("Unexpected argument(s): {words}");
    }
    let metrics_listen = match opts.metrics_listen.as_deref().map(cli::metrics_addr) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            eprintln!("{e}");
            return 1;
        }
    };
    if let Some(f) = opts.log_facility.as_deref() {
        if logging::parse_facility(f).is_none() {
            // keepalived says so while parsing and keeps LOG_DAEMON.
            eprintln!("Invalid log facility '{f}'");
        }
    }
    if let Some(flag) = unsupported_subsystem(&opts) {
        eprintln!(
            "{flag}: the health-checker (LVS) subsystem is not supported yet by keepalived-rs"
        );
        return EXIT_NO_SUBSYSTEM;
    }
    // `-u` takes effect at once, as in keepalived's parse_cmdline(); a bad mask is reported
    // (keepalived's words, without a newline) and keepalived's default 0177 stays.
    let umask_cmdline = opts.umask.as_deref().and_then(|s| {
        let m = parse_umask(s);
        if m.is_none() {
            eprint!("Invalid --umask option {s}");
        }
        m
    });
    set_umask(umask_cmdline.unwrap_or(DEFAULT_UMASK));
    if let Some(ns) = &opts.namespace {
        if !crate::config::runtime_name_ok(ns) {
            eprintln!("Invalid namespace name '{ns}'");
            return 1;
        }
    }
    let load_opts = crate::config::LoadOptions {
        config_id: config_id(&opts),
        check_interfaces: true,
        all_config: opts.all_config,
    };
    if opts.status {
        return status_query(&opts, &load_opts);
    }
    if let Some(log) = &opts.config_test {
        return config_test(&opts, &load_opts, log);
    }
    run_daemon(&opts, load_opts, umask_cmdline.is_some(), metrics_listen)
}

/// The namespace and instance names, and where the pid files (and the status socket beside
/// them) are: `-p`/`-r`, else keepalived's layout for `use_pid_dir`, `instance` and the
/// namespace (`-s` over `net_namespace`).
fn pid_layout(
    opts: &Options,
    global: &crate::model::Global,
) -> (namespace::Identity, pidfile::Layout) {
    let identity = namespace::Identity::new(opts.namespace.as_deref(), global);
    let layout = pidfile::layout(
        opts.pid_file.as_deref(),
        opts.vrrp_pid_file.as_deref(),
        identity.net_namespace.as_deref(),
        identity.instance.as_deref(),
        global.use_pid_dir,
    );
    (identity, layout)
}

/// `--status`: print what the daemon says on its status socket, which sits beside its pid
/// file: `-p`, else where the configuration (`instance`, `net_namespace`, `use_pid_dir`) and
/// `-s` put it, as for the daemon itself. Exit codes as LSB `status`: 3 when no daemon runs.
fn status_query(opts: &Options, load_opts: &crate::config::LoadOptions) -> i32 {
    let pre = crate::config::load(
        &opts.config_path(),
        &crate::config::LoadOptions {
            check_interfaces: false,
            ..load_opts.clone()
        },
    );
    let global = usable(&pre).map(|c| c.global.clone()).unwrap_or_default();
    let (_, layout) = pid_layout(opts, &global);
    let path = observe::status::socket_path(&layout.main);
    match observe::status::query(&path) {
        Ok(text) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Err(e) => {
            eprintln!("keepalived --status: {e}");
            e.exit_code()
        }
    }
}

/// keepalived's status when an option asks for a subsystem it was built without: getopt does
/// not know the option (`Unknown option -C`) and keepalived exits 1.
const EXIT_NO_SUBSYSTEM: i32 = 1;

/// The option that asks for the checker subsystem, which is not built: `-C` would run only
/// it, `-T` is its genhash utility. Options that only tune it (`-I`, `-c`) are accepted: a
/// keepalived built with LVS accepts them on a VRRP-only configuration too.
fn unsupported_subsystem(opts: &Options) -> Option<&'static str> {
    if opts.check_only {
        Some("-C/--check")
    } else if opts.genhash {
        Some("-T/--genhash")
    } else {
        None
    }
}

/// keepalived's file creation mask when neither `-u` nor `umask` says otherwise.
const DEFAULT_UMASK: u32 = 0o177;

/// `-u MASK` as keepalived's `set_umask()`: `strtoll` base 0 (`0177` octal, `0x7f` hex,
/// `127` decimal), only permission bits.
fn parse_umask(s: &str) -> Option<u32> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()?
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()?
    } else {
        s.parse::<u32>().ok()?
    };
    (v & !0o777 == 0).then_some(v)
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

/// `-t`: parse and validate, print the diagnostics, exit with keepalived's code. In a
/// network namespace (`net_namespace`, `-s`) interfaces are looked up inside it, as keepalived
/// enters it before validating.
fn config_test(opts: &Options, load_opts: &crate::config::LoadOptions, log: &str) -> i32 {
    // `--config-test=LOG`: keepalived sends its stderr to LOG (appended, created 0644) before
    // reading anything; one it cannot open ends the test with status 1.
    let mut out: Box<dyn Write> = if log.is_empty() {
        Box::new(std::io::stderr())
    } else {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(log)
        {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!(
                    "Unable to open config-test log file {log} {} - {e}",
                    e.raw_os_error().unwrap_or(0)
                );
                return 1;
            }
        }
    };
    let path = opts.config_path();
    let (first, ns) = first_reading(opts, &path, load_opts);
    let loaded = match ns {
        None => first,
        Some(ns) => {
            if let Err(e) = namespace::enter(&ns) {
                // keepalived gives up here without a verdict, and exits 0.
                let _ = writeln!(out, "{e}");
                let _ = writeln!(out, "Unable to set network namespace {ns} - exiting");
                return 0;
            }
            crate::config::load(&path, load_opts)
        }
    };
    if opts.json {
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
    let _ = out.write_all(text.as_bytes());
    loaded.test_exit_code()
}

/// The first reading of the configuration, and the network namespace to run in (`-s`, else
/// the configuration's `net_namespace`). Interface checks belong inside the namespace, so
/// with one the configuration is read again once there. Without one (the usual case) this
/// reading, with the checks, is the only one; only when it fails is the configuration read
/// without them, to learn whether a `net_namespace` explains the failure.
fn first_reading(
    opts: &Options,
    path: &Path,
    load_opts: &crate::config::LoadOptions,
) -> (crate::config::Loaded, Option<String>) {
    let unchecked = || {
        crate::config::load(
            path,
            &crate::config::LoadOptions {
                check_interfaces: false,
                ..load_opts.clone()
            },
        )
    };
    let namespace_of = |l: &crate::config::Loaded| {
        l.config
            .as_ref()
            .and_then(|c| c.global.net_namespace.clone())
    };
    if let Some(ns) = &opts.namespace {
        return (unchecked(), Some(ns.clone()));
    }
    let first = crate::config::load(path, load_opts);
    if first.config.is_some() {
        let ns = namespace_of(&first);
        return (first, ns);
    }
    let pre = unchecked();
    match namespace_of(&pre) {
        Some(ns) => (pre, Some(ns)),
        None => (first, None),
    }
}

/// The process's file creation mask; scripts inherit it.
fn set_umask(mask: u32) {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
        mask as libc::mode_t,
    ));
}

/// keepalived's first log lines: the version, the kernel, the command line (each word quoted,
/// as keepalived's `log_command_line()`), the configuration file.
fn log_start(path: &Path) {
    tracing::info!(target: logging::PARENT, "Starting {}", cli::banner());
    if let Ok(u) = nix::sys::utsname::uname() {
        tracing::info!(
            target: logging::PARENT,
            "Running on {} {} {}",
            u.sysname().to_string_lossy(),
            u.release().to_string_lossy(),
            u.version().to_string_lossy()
        );
    }
    let words: Vec<String> = std::env::args().map(|a| format!("'{a}'")).collect();
    tracing::info!(target: logging::PARENT, "Command line: {}", words.join(" "));
    tracing::info!(target: logging::PARENT, "Configuration file {}", path.display());
}

/// With `-D`, keepalived's last line before `Stopped`: the CPU time used.
fn log_cpu_usage() {
    let usage = |who| {
        // SAFETY: getrusage fills the zeroed struct it is given and has no other effect.
        unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(who, &mut u);
            u
        }
    };
    let (me, kids) = (usage(libc::RUSAGE_SELF), usage(libc::RUSAGE_CHILDREN));
    let tv = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    tracing::info!(
        target: logging::PARENT,
        "CPU usage (self/children) user: {}/{} system: {}/{}",
        tv(me.ru_utime),
        tv(kids.ru_utime),
        tv(me.ru_stime),
        tv(kids.ru_stime)
    );
}

fn run_daemon(
    opts: &Options,
    load_opts: crate::config::LoadOptions,
    umask_cmdline: bool,
    metrics_listen: Option<std::net::SocketAddr>,
) -> i32 {
    let path = opts.config_path();
    // The namespace, instance name and pid directory must be known first.
    let (first, ns) = first_reading(opts, &path, &load_opts);
    let in_ns = ns.is_some();
    let global = if in_ns {
        first.config.as_ref()
    } else {
        usable(&first)
    }
    .map(|c| c.global.clone());
    let Some(global) = global else {
        return unusable_status(&first, &path);
    };
    let (identity, layout) = pid_layout(opts, &global);
    // Before the pid files, removed after them (locals drop in reverse order).
    let _pid_dirs = match pidfile::PidDirs::create(&layout.dirs) {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("Unable to create directory for pid files: {e}");
            None
        }
    };
    if let Some(ns) = &identity.net_namespace {
        if let Err(e) = namespace::enter(ns) {
            // keepalived logs these two lines and stops with status 0.
            eprintln!("{e}");
            eprintln!("Unable to set network namespace {ns} - exiting");
            return 0;
        }
    }
    let loaded = if in_ns {
        crate::config::load(&path, &load_opts)
    } else {
        first
    };
    let Some(config) = usable(&loaded).cloned() else {
        return unusable_status(&loaded, &path);
    };
    // keepalived's VRRP child stops with a CONFIG error when `reload_check_config` is set and
    // the configuration is not clean.
    if config.global.io.reload_check_config.is_some() && loaded.test_exit_code() != 0 {
        for d in &loaded.diagnostics {
            eprintln!("{d}");
        }
        eprintln!(
            "Stopping: reload_check_config is set and the configuration {} has errors",
            path.display()
        );
        return EXIT_CONFIG;
    }
    // `umask` in global_defs, unless `-u` gave one.
    if let (false, Some(m)) = (umask_cmdline, config.global.umask) {
        set_umask(m);
    }
    if let Some(pid) = [&layout.main, &layout.vrrp]
        .into_iter()
        .find_map(|p| pidfile::running_pid(p))
    {
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
        ident_suffix: identity.ident_suffix(),
    });
    log_start(&path);
    if !identity.ident_suffix().is_empty() {
        tracing::info!(
            target: logging::PARENT,
            "Changing syslog ident to Keepalived{}",
            identity.ident_suffix()
        );
    }
    if let (Some(cmd), Some(file)) = (&opts.namespace, &global.net_namespace) {
        tracing::info!(
            target: logging::PARENT,
            "Overriding config net_namespace '{file}' with command line namespace '{cmd}'"
        );
    }
    if umask_cmdline && config.global.umask.is_some() {
        tracing::info!("umask command line option specified, ignoring config option");
    }
    if opts.snmp || opts.snmp_agent_socket.is_some() {
        tracing::info!(
            target: logging::PARENT,
            "-x/-A: SNMP is not supported yet by keepalived-rs, no AgentX sub-agent is started"
        );
    }
    if opts.dont_release_ipvs {
        tracing::info!(
            target: logging::PARENT,
            "--dont-release-ipvs: no IPVS topology to keep (the LVS subsystem is not supported yet)"
        );
    }
    for d in &loaded.diagnostics {
        tracing::warn!("{}", d.to_string().lines().next().unwrap_or_default());
    }
    if opts.dump_conf {
        for line in crate::config::dump(&config).lines() {
            tracing::info!("{line}");
        }
    }
    // One process does the parent's and the VRRP child's work: both pid files name it.
    let _pid = match pidfile::PidFile::create(&layout.main) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("Unable to write pid file {}: {e}", layout.main.display());
            return 1;
        }
    };
    let mut vrrp_pid = pidfile::VrrpPid::new(layout.vrrp.clone(), opts.all);
    vrrp_pid.update(&config);
    if !vrrp_pid.written() {
        tracing::info!(
            target: logging::PARENT,
            "Warning - keepalived has no configuration to run"
        );
    }
    // keepalived's parent renames itself with `process_name`; `vrrp_process_name` names a
    // child we do not have.
    if config.global.process.max_auto_priority == 0 {
        tracing::info!(
            target: logging::PARENT,
            "NOTICE: setting config option max_auto_priority should result in better keepalived performance"
        );
    }
    if let Some(name) = &config.global.process.process_name {
        process_sched::set_process_name(Some(name));
    }
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
    let (tmp_dir, tmp_why) = dump::tmp_dir(std::env::var_os("TMPDIR").as_deref());
    if let Some(why) = tmp_why {
        tracing::info!(target: logging::PARENT, "{why}");
    }
    let settings = event_loop::Settings {
        tmp_dir,
        process_sched: process_sched::ProcessSched::default(),
        config_path: path,
        load_opts,
        dont_release_vrrp: opts.dont_release_vrrp,
        local_name: local_name(),
        vrrp_pid,
        identity,
        address_monitoring: opts.address_monitoring,
        metrics_listen,
        status_socket: Some(observe::status::socket_path(&layout.main)),
    };
    let startup = config.global.startup_script.clone();
    let startup_user = crate::exec::default_script_user(config.global.script_user.as_ref());
    let code = runtime.block_on(async move {
        // VRRP starts once the startup script has ended (or been killed at its timeout), which
        // keepalived's parent runs before it forks the VRRP child.
        if let Some(s) = &startup {
            start_stop::run(start_stop::Kind::Startup, s, startup_user.as_ref()).await;
        }
        // Then what keepalived's VRRP child sets for itself. The runtime runs on this thread
        // and has started no other yet: those started later (blocking jobs, signals) inherit.
        let mut settings = settings;
        settings.process_sched.apply(&config.global.process);
        event_loop::run(config, settings).await
    });
    if opts.log_detail > 0 {
        log_cpu_usage();
    }
    tracing::info!(target: logging::PARENT, "Stopped {}", cli::banner());
    code
}

/// The configuration in `loaded` if keepalived would run with it.
fn usable(loaded: &crate::config::Loaded) -> Option<&crate::model::Config> {
    loaded.config.as_ref().filter(|_| !loaded.is_fatal())
}

/// Why the configuration cannot be used, on stderr, and keepalived's status for it: a missing
/// file stops the parent (6); anything fatal inside it makes the VRRP child exit with its
/// permanent CONFIG error (2), which the parent returns.
fn unusable_status(loaded: &crate::config::Loaded, path: &Path) -> i32 {
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    if !path.is_file() {
        eprintln!("Config files missing '{}'.", path.display());
        return EXIT_NOTCONFIGURED;
    }
    eprintln!(
        "Stopping: the configuration {} cannot be used",
        path.display()
    );
    EXIT_CONFIG
}
