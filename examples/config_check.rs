//! `config_check [-t] [-d] [-i ID] [-f FILE]`: loads a keepalived.conf with the config
//! front-end, prints every diagnostic to stderr and exits with keepalived's `-t` exit code.
//! `-d` prints the normalised model dump. Used for the differential oracle and for fuzzing.

use std::path::PathBuf;
use std::process::ExitCode;

use keepalived::config::{LoadOptions, dump, load};

fn main() -> ExitCode {
    let mut file = PathBuf::from("/etc/keepalived/keepalived.conf");
    let mut opts = LoadOptions::default();
    let mut show_dump = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-t" | "--config-test" => {}
            "-d" | "--dump-conf" => show_dump = true,
            "-n" | "--no-host-checks" => opts.check_interfaces = false,
            "-f" | "--use-file" => match args.next() {
                Some(f) => file = PathBuf::from(f),
                None => return usage(),
            },
            "-i" | "--config-id" => match args.next() {
                Some(i) => opts.config_id = i,
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let loaded = load(&file, &opts);
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    if show_dump {
        if let Some(c) = &loaded.config {
            print!("{}", dump(c));
        }
    }
    ExitCode::from(loaded.test_exit_code() as u8)
}

fn usage() -> ExitCode {
    eprintln!("usage: config_check [-t] [-d] [-n] [-i ID] [-f FILE]");
    ExitCode::from(1)
}
