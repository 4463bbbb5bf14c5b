//! The `keepalived` binary: keepalived's command line in front of `daemon::run`.

fn main() {
    std::process::exit(keepalived::daemon::main_entry());
}
