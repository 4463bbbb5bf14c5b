//! keepalived's command line (inventory §5.1): the same short and long options, the same
//! messages for bad options, `-v`/`-h` on stderr. Parsed with clap, errors reworded as
//! keepalived words them because scripts and units grep for them.

use clap::error::ErrorKind;
use clap::{ArgAction, Parser};
use std::path::PathBuf;

/// Default configuration file, as Debian's keepalived.
pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

/// The parsed command line. Field docs name the keepalived option.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "keepalived",
    disable_help_flag = true,
    disable_version_flag = true,
    no_binary_name = true
)]
pub struct Options {
    /// `-f, --use-file=FILE`.
    #[arg(short = 'f', long = "use-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// `-P, --vrrp`: only the VRRP subsystem (ours has no other).
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp_only: bool,
    /// `-C, --check`: only the checker subsystem (not supported).
    #[arg(short = 'C', long = "check")]
    pub check_only: bool,
    /// `-B, --no_bfd`.
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// `--all`.
    #[arg(long = "all")]
    pub all: bool,
    /// `-l, --log-console`: log lines to stderr too.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// `-D, --log-detail` (repeatable).
    #[arg(short = 'D', long = "log-detail", action = ArgAction::Count)]
    pub log_detail: u8,
    /// `-S, --log-facility=([0-7]|local[0-7]|user|daemon)`.
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY")]
    pub log_facility: Option<String>,
    /// `-G, --no-syslog`.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// `-u, --umask=MASK`.
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,
    /// `-X, --release-vips`.
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// `-V, --dont-release-vrrp`: at stop, keep VIPs and send no priority 0.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// `-I, --dont-release-ipvs`.
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// `-R, --dont-respawn`.
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// `-n, --dont-fork`.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// `-d, --dump-conf`.
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// `-p, --pid=FILE`.
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// `-r, --vrrp_pid=FILE`.
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid_file: Option<PathBuf>,
    /// `-c, --checkers_pid=FILE` (accepted; no checker process here).
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid_file: Option<PathBuf>,
    /// `-b, --bfd_pid=FILE` (accepted; no BFD process here).
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid_file: Option<PathBuf>,
    /// `-a, --address-monitoring`.
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// `-x, --snmp`.
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// `-A, --snmp-agent-socket=FILE`.
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE")]
    pub snmp_agent_socket: Option<String>,
    /// `-s, --namespace=NAME`.
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// `-m, --core-dump`.
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// `-M, --core-dump-pattern[=PATN]`.
    #[arg(short = 'M', long = "core-dump-pattern", num_args = 0..=1, require_equals = true, default_missing_value = "core")]
    pub core_dump_pattern: Option<String>,
    /// `-e, --all-config`.
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// `-i, --config-id ID`.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// `--signum=SIGFUNC`.
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,
    /// `-t, --config-test[=LOG_FILE]`.
    #[arg(short = 't', long = "config-test", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,
    /// `--json` (our extension): with `-t`, print the diagnostics as JSON on stdout.
    #[arg(long = "json")]
    pub json: bool,
    /// `--metrics-listen=ADDR:PORT` (our extension): serve Prometheus/OpenMetrics metrics on
    /// `http://ADDR:PORT/metrics`. Off unless given.
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT")]
    pub metrics_listen: Option<String>,
    /// `--status` (our extension): print the running daemon's instances and exit.
    #[arg(long = "status")]
    pub status: bool,
    /// `-T, --genhash` (LVS utility, not supported).
    #[arg(short = 'T', long = "genhash")]
    pub genhash: bool,
    /// `-v, --version`.
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// `-h, --help`.
    #[arg(short = 'h', long = "help")]
    pub help: bool,
    /// Non-option arguments: keepalived prints them and carries on.
    #[arg(trailing_var_arg = false)]
    pub unexpected: Vec<String>,
}

impl Options {
    /// The configuration file to read.
    pub fn config_path(&self) -> PathBuf {
        self.config_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }
}

/// What the command line asks for, after keepalived's error handling.
#[derive(Debug)]
pub enum Parsed {
    /// Run (or test) with these options.
    Run(Box<Options>),
    /// Print this on stderr and exit with the code (bad options, `-v`, `-h`, `--signum`).
    Exit {
        stderr: String,
        stdout: String,
        code: i32,
    },
}

/// Parse `args` (without argv[0]) as keepalived's `parse_cmdline()` does.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Parsed {
    let args: Vec<String> = args.into_iter().collect();
    let opts = match Options::try_parse_from(&args) {
        Ok(o) => o,
        Err(e) => {
            return Parsed::Exit {
                stderr: keepalived_error(&e, &args),
                stdout: String::new(),
                code: 1,
            };
        }
    };
    if let Some(name) = &opts.signum {
        return match signum(name) {
            Some(n) => Parsed::Exit {
                stderr: String::new(),
                stdout: format!("{n}\n"),
                code: 0,
            },
            None => Parsed::Exit {
                stderr: format!("Unknown sigfunc {name}\n"),
                stdout: String::new(),
                code: 1,
            },
        };
    }
    if opts.version {
        return Parsed::Exit {
            stderr: version_text(),
            stdout: String::new(),
            code: 0,
        };
    }
    if opts.help {
        return Parsed::Exit {
            stderr: usage_text(),
            stdout: String::new(),
            code: 0,
        };
    }
    Parsed::Run(Box::new(opts))
}

/// `--metrics-listen`'s value as a socket address (numeric: the daemon must not wait on DNS).
pub fn metrics_addr(arg: &str) -> Result<std::net::SocketAddr, String> {
    arg.parse().map_err(|_| {
        format!(
            "invalid --metrics-listen address '{arg}': expected ADDR:PORT such as 127.0.0.1:9650 or [::1]:9650"
        )
    })
}

/// `--signum=NAME`: the signal keepalived uses for each function (Linux numbering).
pub fn signum(name: &str) -> Option<i32> {
    Some(match name {
        "STOP" => libc::SIGTERM,
        "RELOAD" => libc::SIGHUP,
        "DATA" => libc::SIGUSR1,
        "STATS" => libc::SIGUSR2,
        "STATS_CLEAR" => libc::SIGRTMAX() - 1,
        "JSON" => libc::SIGRTMIN() + 2,
        _ => return None,
    })
}

fn keepalived_error(e: &clap::Error, args: &[String]) -> String {
    // clap does not expose the offending token uniformly; find it in argv the way getopt would.
    let offending = || {
        args.iter()
            .find(|a| a.starts_with('-') && Options::try_parse_from([a.as_str()]).is_err())
            .cloned()
            .unwrap_or_default()
    };
    match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            format!("Missing parameter for option {}\n", offending())
        }
        _ if e.to_string().contains("a value is required") => {
            format!("Missing parameter for option {}\n", offending())
        }
        _ => format!("Unknown option {}\n", offending()),
    }
}

/// The version banner printed by `-v` (on stderr, like keepalived).
///
/// Line 1 names the keepalived version whose behaviour we reproduce: exporters parse token 2
/// (`v2.2.7`) to pick their signal and file handling (peers.md §3), and grep the output for
/// `--enable-json` before they use the JSON dump, which we write.
pub fn version_text() -> String {
    format!(
        "{}\n\nA Rust drop-in replacement for keepalived's VRRP daemon.\nLicence: MIT OR Apache-2.0\n\nconfigure options: --enable-json\n",
        banner()
    )
}

/// `Keepalived v2.2.7 (keepalived-rs 0.1.0)`: the version line of `-v` and of the start and
/// stop log lines.
pub fn banner() -> String {
    format!(
        "Keepalived v{KEEPALIVED_COMPAT} (keepalived-rs {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// The keepalived release whose behaviour this one reproduces (the reference peer).
pub const KEEPALIVED_COMPAT: &str = "2.2.7";

/// The usage text printed by `-h`, in keepalived's layout.
pub fn usage_text() -> String {
    let lines = [
        (
            "-f, --use-file=FILE",
            "Use the specified configuration file\n                                default '/etc/keepalived/keepalived.conf'",
        ),
        ("-P, --vrrp", "Only run with VRRP subsystem"),
        (
            "-C, --check",
            "Only run with Health-checker subsystem (not supported)",
        ),
        ("-B, --no_bfd", "Don't run BFD subsystem"),
        (
            "    --all",
            "Force all child processes to run, even if have no configuration",
        ),
        ("-l, --log-console", "Log messages to local console"),
        ("-D, --log-detail", "Detailed log messages"),
        (
            "-S, --log-facility=([0-7]|local[0-7]|user|daemon)",
            "\n                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)",
        ),
        ("-G, --no-syslog", "Don't log via syslog"),
        (
            "-u, --umask=MASK",
            "umask for file creation (in numeric form)",
        ),
        ("-X, --release-vips", "Drop VIP on transition from signal."),
        (
            "-V, --dont-release-vrrp",
            "Don't remove VRRP VIPs and VROUTEs on daemon stop",
        ),
        (
            "-I, --dont-release-ipvs",
            "Don't remove IPVS topology on daemon stop",
        ),
        ("-R, --dont-respawn", "Don't respawn child processes"),
        ("-n, --dont-fork", "Don't fork the daemon process"),
        ("-d, --dump-conf", "Dump the configuration data"),
        ("-p, --pid=FILE", "Use specified pidfile for parent process"),
        (
            "-r, --vrrp_pid=FILE",
            "Use specified pidfile for VRRP child process",
        ),
        (
            "-c, --checkers_pid=FILE",
            "Use specified pidfile for checkers child process",
        ),
        (
            "-b, --bfd_pid=FILE",
            "Use specified pidfile for BFD child process",
        ),
        (
            "-s, --namespace=NAME",
            "Run in network namespace NAME (overrides config)",
        ),
        (
            "-e, --all-config",
            "Error if any configuration file missing (same as includet)",
        ),
        (
            "-i, --config-id id",
            "Skip any configuration lines beginning '@' that don't match id\n                                or any lines beginning @^ that do match.\n                                The config-id defaults to the node name if option not used",
        ),
        (
            "    --signum=SIGFUNC",
            "Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON",
        ),
        (
            "-t, --config-test[=LOG_FILE]",
            "Check the configuration for obvious errors, output to\n                                stderr by default",
        ),
        (
            "    --metrics-listen=ADDR:PORT",
            "\n                                Serve Prometheus metrics on http://ADDR:PORT/metrics\n                                (keepalived-rs extension)",
        ),
        (
            "    --status",
            "Print the running daemon's instances (keepalived-rs extension)",
        ),
        ("-v, --version", "Display the version number"),
        ("-h, --help", "Display this help message"),
    ];
    let mut s = String::from("Usage: keepalived [OPTION...]\n");
    for (opt, text) in lines {
        if text.starts_with('\n') {
            s.push_str(&format!("  {opt}{text}\n"));
        } else {
            s.push_str(&format!("  {opt:<29}{text}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn run(s: &str) -> Options {
        match parse(args(s)) {
            Parsed::Run(o) => *o,
            Parsed::Exit { stderr, .. } => panic!("unexpected exit: {stderr}"),
        }
    }

    #[test]
    fn short_options_cluster_and_take_values_like_getopt() {
        let o = run("-nlDD -f /tmp/k.conf -p/tmp/p.pid --vrrp_pid=/tmp/v.pid -P");
        assert!(o.dont_fork && o.log_console && o.vrrp_only);
        assert_eq!(o.log_detail, 2);
        assert_eq!(o.config_path(), PathBuf::from("/tmp/k.conf"));
        assert_eq!(o.pid_file, Some(PathBuf::from("/tmp/p.pid")));
        assert_eq!(o.vrrp_pid_file, Some(PathBuf::from("/tmp/v.pid")));
    }

    #[test]
    fn config_test_takes_an_optional_log_file() {
        assert_eq!(run("-t").config_test.as_deref(), Some(""));
        assert_eq!(
            run("--config-test=/tmp/log").config_test.as_deref(),
            Some("/tmp/log")
        );
        // `-t -f FILE`: the file belongs to -f, not to -t.
        let o = run("-t -f x.conf");
        assert_eq!(o.config_test.as_deref(), Some(""));
        assert_eq!(o.config_path(), PathBuf::from("x.conf"));
        assert_eq!(run("-n").config_path(), PathBuf::from(DEFAULT_CONFIG));
    }

    #[test]
    fn extensions_metrics_listen_and_status() {
        let o = run("--metrics-listen=127.0.0.1:9650 -n");
        assert_eq!(o.metrics_listen.as_deref(), Some("127.0.0.1:9650"));
        assert!(!o.status);
        let o = run("--metrics-listen [::1]:9650");
        assert_eq!(o.metrics_listen.as_deref(), Some("[::1]:9650"));
        let o = run("--status -p /run/ka2.pid");
        assert!(o.status && o.metrics_listen.is_none());
        assert_eq!(o.pid_file, Some(PathBuf::from("/run/ka2.pid")));
        assert_eq!(
            metrics_addr("127.0.0.1:9650").unwrap(),
            "127.0.0.1:9650".parse().unwrap()
        );
        assert_eq!(
            metrics_addr("localhost").unwrap_err(),
            "invalid --metrics-listen address 'localhost': expected ADDR:PORT such as 127.0.0.1:9650 or [::1]:9650"
        );
    }

    #[test]
    fn bad_options_exit_1_with_keepalived_messages() {
        match parse(args("-Z")) {
            Parsed::Exit { stderr, code, .. } => {
                assert_eq!(code, 1);
                assert_eq!(stderr, "Unknown option -Z\n");
            }
            Parsed::Run(_) => panic!("accepted -Z"),
        }
        match parse(args("-f")) {
            Parsed::Exit { stderr, code, .. } => {
                assert_eq!(code, 1);
                assert_eq!(stderr, "Missing parameter for option -f\n");
            }
            Parsed::Run(_) => panic!("accepted -f without a file"),
        }
    }

    #[test]
    fn signum_prints_linux_numbers() {
        for (name, want) in [
            ("STOP", "15\n"),
            ("RELOAD", "1\n"),
            ("DATA", "10\n"),
            ("STATS", "12\n"),
            ("STATS_CLEAR", "63\n"),
            ("JSON", "36\n"),
        ] {
            match parse(vec![format!("--signum={name}")]) {
                Parsed::Exit { stdout, code, .. } => {
                    assert_eq!((stdout.as_str(), code), (want, 0), "{name}");
                }
                Parsed::Run(_) => panic!("--signum ran"),
            }
        }
        match parse(args("--signum=FOO")) {
            Parsed::Exit { stderr, code, .. } => {
                assert_eq!((stderr.as_str(), code), ("Unknown sigfunc FOO\n", 1))
            }
            Parsed::Run(_) => panic!("--signum=FOO ran"),
        }
    }

    #[test]
    fn version_and_help_go_to_stderr_with_status_0() {
        for a in ["-v", "--version", "-h", "--help"] {
            match parse(args(a)) {
                Parsed::Exit {
                    stderr,
                    stdout,
                    code,
                } => {
                    assert_eq!(code, 0);
                    assert!(stdout.is_empty());
                    assert!(
                        stderr.starts_with("Keepalived v")
                            || stderr.starts_with("Usage: keepalived"),
                        "{a}: {stderr}"
                    );
                }
                Parsed::Run(_) => panic!("{a} ran"),
            }
        }
    }
}
