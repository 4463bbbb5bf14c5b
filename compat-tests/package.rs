//! The Debian package, built and installed as an administrator would: `cargo deb` makes the
//! .deb from `[package.metadata.deb]`, then the test reads it with `dpkg-deb` (control fields,
//! conffiles, maintainer scripts, the files and what they say), runs the packaged binary, renders
//! the man pages, and finally installs it with `dpkg --root` into a scratch root that holds a
//! stand-in for Debian's keepalived package, to see dpkg replace that package the way it would
//! on a real machine.
//!
//! It needs `cargo-deb` and `dpkg-deb`. Without them it says so and passes, unless
//! `KA_REQUIRE_PACKAGING=1` (set by `.ci/run`), which turns the skip into a failure.
//!
//! To keep CI fast the package is made from the debug binary cargo has already built for the
//! tests: it is put where a release build would be, in a scratch target directory, and
//! `cargo deb --no-build` packages it. What is checked (layout, metadata, scripts, stripping) is
//! the same for a release build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A scratch directory removed when the test ends, pass or fail.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("ka-package-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn required() -> bool {
    std::env::var("KA_REQUIRE_PACKAGING").is_ok_and(|v| v == "1")
}

/// Skip with a message, or fail when KA_REQUIRE_PACKAGING=1.
fn skip(reason: &str) {
    if required() {
        panic!("KA_REQUIRE_PACKAGING=1 but {reason}");
    }
    eprintln!("SKIP package test: {reason} (set KA_REQUIRE_PACKAGING=1 to make this an error)");
}

/// PATH with the sbin directories dpkg looks for (ldconfig, start-stop-daemon) added.
fn path_env() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{path}:/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

fn tool_works(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

fn have(tool: &str) -> bool {
    tool_works(Command::new(tool).arg("--version").env("PATH", path_env()))
}

/// Run, require success, return stdout.
fn run_ok(cmd: &mut Command) -> String {
    let o = cmd
        .stdin(Stdio::null())
        .env("PATH", path_env())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(o.status.success(), "{cmd:?} failed:\n{}", describe(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn describe(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `cargo deb --no-build` on the test binary placed where a release build would be.
/// Returns the .deb's path; the -dbgsym.ddeb is next to it.
fn build_deb(scratch: &Path) -> PathBuf {
    let target = scratch.join("target");
    let release = target.join("release");
    std::fs::create_dir_all(&release).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_keepalived"), release.join("keepalived"))
        .expect("copy the keepalived binary");
    let out = scratch.join("out");
    std::fs::create_dir_all(&out).unwrap();
    run_ok(
        Command::new(cargo())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", &target)
            .args(["deb", "--no-build", "--offline", "--fast", "-o"])
            .arg(format!("{}/", out.display())),
    );
    let arch = run_ok(Command::new("dpkg").arg("--print-architecture"))
        .trim()
        .to_string();
    let deb = out.join(format!("keepalived-rs_{VERSION}-1_{arch}.deb"));
    assert!(deb.is_file(), "no {} after cargo deb", deb.display());
    deb
}

/// `dpkg-deb -f DEB FIELD`, trimmed.
fn field(deb: &Path, name: &str) -> String {
    run_ok(Command::new("dpkg-deb").arg("-f").arg(deb).arg(name))
        .trim()
        .to_string()
}

#[test]
fn deb_installs_over_debian_keepalived() {
    if !tool_works(Command::new(cargo()).args(["deb", "--version"])) {
        return skip("`cargo deb` is not installed (cargo install cargo-deb --locked)");
    }
    if !have("dpkg-deb") {
        return skip("dpkg-deb is not installed");
    }
    let scratch = Scratch::new();
    let deb = build_deb(&scratch.0);

    check_control(&deb);
    let ctrl = scratch.0.join("control");
    run_ok(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&ctrl));
    check_conffiles_and_scripts(&ctrl);

    let root = scratch.0.join("extracted");
    run_ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root));
    check_binary(&root);
    check_unit_and_default(&root);
    check_man_pages(&root);
    check_sample_config(&root);
    check_docs(&root);
    check_dbgsym(&deb);

    if !is_root() {
        return skip("not root: cannot try `dpkg --root` installs");
    }
    check_dpkg_replaces_keepalived(&scratch.0, &deb);
}

fn is_root() -> bool {
    run_ok(Command::new("id").arg("-u")).trim() == "0"
}

fn check_control(deb: &Path) {
    assert_eq!(field(deb, "Package"), "keepalived-rs");
    assert_eq!(field(deb, "Version"), format!("{VERSION}-1"));
    for name in ["Provides", "Conflicts", "Replaces"] {
        assert_eq!(field(deb, name), "keepalived", "{name}");
    }
    assert_eq!(field(deb, "Section"), "admin");
    // $auto depends come from dpkg-shlibdeps (dpkg-dev); without it cargo-deb leaves them out.
    if have("dpkg-shlibdeps") {
        let depends = field(deb, "Depends");
        assert!(depends.contains("libc6"), "Depends: {depends}");
    }
    let description = field(deb, "Description");
    assert!(description.contains("drop-in replacement"), "{description}");
}

fn check_conffiles_and_scripts(ctrl: &Path) {
    let conffiles: Vec<String> = read(&ctrl.join("conffiles"))
        .lines()
        .map(str::to_string)
        .collect();
    let mut sorted = conffiles.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "/etc/default/keepalived",
            "/etc/keepalived/keepalived.conf.sample"
        ],
        "conffiles"
    );
    use std::os::unix::fs::PermissionsExt as _;
    for script in ["postinst", "prerm", "postrm"] {
        let path = ctrl.join(script);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{script}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{script} is not executable");
        run_ok(Command::new("sh").arg("-n").arg(&path));
        let text = read(&path);
        // Every script must leave the running system alone when dpkg installs elsewhere.
        assert!(text.contains("DPKG_ROOT"), "{script} ignores DPKG_ROOT");
    }
    let postinst = read(&ctrl.join("postinst"));
    assert!(postinst.contains("deb-systemd-helper enable keepalived.service"));
    assert!(postinst.contains("restart"));
    assert!(read(&ctrl.join("prerm")).contains("stop keepalived.service"));
}

fn check_binary(root: &Path) {
    let bin = root.join("usr/sbin/keepalived");
    let o = Command::new(&bin)
        .arg("-v")
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    let banner = String::from_utf8_lossy(&o.stderr);
    assert!(banner.starts_with("Keepalived v"), "-v said: {banner}");
    assert!(banner.contains(VERSION), "-v said: {banner}");
    // The debug info goes to the -dbgsym package, not into /usr/sbin.
    let sections = elf_section_names(&std::fs::read(&bin).unwrap());
    assert!(sections.iter().any(|s| s == ".text"), "{sections:?}");
    assert!(
        !sections
            .iter()
            .any(|s| s == ".debug_info" || s == ".debug_line"),
        "/usr/sbin/keepalived still has debug info: {sections:?}"
    );
    // … and the binary points at it (objcopy --add-gnu-debuglink).
    assert!(
        sections.iter().any(|s| s == ".gnu_debuglink"),
        "{sections:?}"
    );
}

/// Section names of a 64-bit little-endian ELF file (the section header table and its string
/// table), enough to tell a stripped binary from one with `.debug_*` sections. Searching the
/// bytes would not do: the standard library's backtrace code holds those names as strings.
fn elf_section_names(elf: &[u8]) -> Vec<String> {
    assert!(
        elf.starts_with(b"\x7fELF\x02\x01"),
        "not a 64-bit LE ELF file"
    );
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum, shstrndx) =
        (u64_at(0x28), u16_at(0x3a), u16_at(0x3c), u16_at(0x3e));
    let header = |i: usize| shoff + i * shentsize;
    let strtab = u64_at(header(shstrndx) + 0x18);
    (0..shnum)
        .map(|i| {
            let name = strtab
                + u32::from_le_bytes(elf[header(i)..header(i) + 4].try_into().unwrap()) as usize;
            let end = elf[name..].iter().position(|&b| b == 0).unwrap() + name;
            String::from_utf8_lossy(&elf[name..end]).into_owned()
        })
        .collect()
}

fn check_unit_and_default(root: &Path) {
    let unit = read(&root.join("lib/systemd/system/keepalived.service"));
    for line in [
        "Type=notify",
        "EnvironmentFile=-/etc/default/keepalived",
        "ExecStart=/usr/sbin/keepalived --dont-fork $DAEMON_ARGS",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "ConditionFileNotEmpty=/etc/keepalived/keepalived.conf",
        "WantedBy=multi-user.target",
    ] {
        assert!(unit.lines().any(|l| l == line), "unit lacks {line:?}");
    }
    let default = read(&root.join("etc/default/keepalived"));
    assert!(
        default.lines().any(|l| l.trim() == "DAEMON_ARGS=\"\""),
        "/etc/default/keepalived:\n{default}"
    );
    // The package must not ship keepalived.conf itself: that is the administrator's file, and
    // the unit starts nothing until it exists.
    assert!(!root.join("etc/keepalived/keepalived.conf").exists());
}

fn check_man_pages(root: &Path) {
    for (page, th) in [
        ("usr/share/man/man8/keepalived.8.gz", ".TH KEEPALIVED 8"),
        (
            "usr/share/man/man5/keepalived.conf.5.gz",
            ".TH KEEPALIVED.CONF 5",
        ),
    ] {
        let gz = root.join(page);
        let source = run_ok(Command::new("gzip").arg("-dc").arg(&gz));
        assert!(source.contains(th), "{page} is not {th}");
        // The footer names the version: bump it with Cargo.toml's.
        let th_line = source.lines().find(|l| l.starts_with(".TH ")).unwrap();
        assert!(
            th_line.contains(&format!("keepalived-rs {VERSION}")),
            "{page}: {th_line:?} does not name keepalived-rs {VERSION}"
        );
        if have("groff") {
            // -ww: every warning; -z: no output. groff must accept the page silently.
            let o = Command::new("sh")
                .arg("-c")
                .arg("gzip -dc \"$1\" | groff -man -Tutf8 -ww -z")
                .arg("sh")
                .arg(&gz)
                .output()
                .unwrap();
            assert!(o.status.success(), "groff {page}: {}", describe(&o));
            assert!(o.stderr.is_empty(), "groff {page}: {}", describe(&o));
        } else {
            eprintln!("groff not installed: {page} not rendered");
        }
        if have("man") {
            let text = run_ok(
                Command::new("man")
                    .env("MANWIDTH", "80")
                    .env("MAN_DISABLE_SECCOMP", "1")
                    .arg("-l")
                    .arg(&gz),
            );
            // Strip overstrike (bold/underline) in case the formatter kept it.
            let plain: String = {
                let mut out: Vec<char> = Vec::new();
                for c in text.chars() {
                    if c == '\u{8}' {
                        out.pop();
                    } else {
                        out.push(c);
                    }
                }
                out.into_iter().collect()
            };
            for heading in ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"] {
                assert!(
                    plain.lines().any(|l| l == heading),
                    "man -l {page} has no {heading}:\n{plain}"
                );
            }
        } else {
            eprintln!("man not installed: {page} not shown");
        }
    }
    let conf5 = run_ok(
        Command::new("gzip")
            .arg("-dc")
            .arg(root.join("usr/share/man/man5/keepalived.conf.5.gz")),
    );
    // The page documents the keywords the daemon acts on.
    for keyword in [
        "vrrp_instance",
        "vrrp_script",
        "virtual_ipaddress",
        "track_script",
        "unicast_peer",
        "notify_master",
        "smtp_server",
    ] {
        assert!(
            conf5.contains(keyword),
            "keepalived.conf(5) lacks {keyword}"
        );
    }
    let ka8 = run_ok(
        Command::new("gzip")
            .arg("-dc")
            .arg(root.join("usr/share/man/man8/keepalived.8.gz")),
    );
    for option in [
        "use\\-file",
        "config\\-test",
        "dont\\-fork",
        "SIGHUP",
        "SIGUSR2",
    ] {
        assert!(ka8.contains(option), "keepalived(8) lacks {option}");
    }
}

/// The shipped sample passes `keepalived -t` on this host. It names eth0 and /usr/bin/curl; a
/// host without them gets an existing interface and an existing program instead, because `-t`
/// checks both exist.
fn check_sample_config(root: &Path) {
    let sample = read(&root.join("etc/keepalived/keepalived.conf.sample"));
    let mut text = sample.clone();
    if !Path::new("/sys/class/net/eth0").exists() {
        let other = std::fs::read_dir("/sys/class/net")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n != "lo");
        match other {
            Some(name) => text = text.replace("eth0", &name),
            None => {
                eprintln!("no non-loopback interface: sample config not checked with -t");
                return;
            }
        }
    }
    if !Path::new("/usr/bin/curl").exists() {
        text = text.replace("/usr/bin/curl", "/bin/true");
    }
    let path = root.join("sample-under-test.conf");
    std::fs::write(&path, text).unwrap();
    let o = Command::new(root.join("usr/sbin/keepalived"))
        .arg("-t")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "sample: {}", describe(&o));
    assert!(o.stderr.is_empty(), "sample: {}", describe(&o));
}

fn check_docs(root: &Path) {
    let doc = root.join("usr/share/doc/keepalived-rs");
    assert!(read(&doc.join("LICENSE-MIT")).contains("MIT License"));
    assert!(read(&doc.join("LICENSE-APACHE")).contains("Apache License"));
    let copyright = read(&doc.join("copyright"));
    assert!(copyright.starts_with("Format: "), "copyright:\n{copyright}");
    assert!(copyright.contains("MIT or Apache-2.0"));
}

fn check_dbgsym(deb: &Path) {
    let ddeb = deb.with_file_name(
        deb.file_name()
            .unwrap()
            .to_string_lossy()
            .replace("keepalived-rs_", "keepalived-rs-dbgsym_")
            .replace(".deb", ".ddeb"),
    );
    assert!(ddeb.is_file(), "no {}", ddeb.display());
    assert_eq!(field(&ddeb, "Package"), "keepalived-rs-dbgsym");
    let listing = run_ok(Command::new("dpkg-deb").arg("-c").arg(&ddeb));
    assert!(
        listing.contains("./usr/lib/debug/.build-id/"),
        "dbgsym:\n{listing}"
    );
}

/// A stand-in for Debian's keepalived 2.2.7 package with the same paths and conffiles.
fn fake_keepalived_deb(dir: &Path) -> PathBuf {
    let tree = dir.join("fake-keepalived");
    let files: [(&str, &str, u32); 5] = [
        (
            "usr/sbin/keepalived",
            "#!/bin/sh\necho 'Keepalived v2.2.7 (stand-in)' >&2\n",
            0o755,
        ),
        (
            "etc/default/keepalived",
            "# stand-in defaults\nDAEMON_ARGS=\"\"\n",
            0o644,
        ),
        (
            "etc/keepalived/keepalived.conf.sample",
            "# stand-in sample\n",
            0o644,
        ),
        (
            "lib/systemd/system/keepalived.service",
            "[Service]\nExecStart=/usr/sbin/keepalived\n",
            0o644,
        ),
        (
            "DEBIAN/conffiles",
            "/etc/default/keepalived\n/etc/keepalived/keepalived.conf.sample\n",
            0o644,
        ),
    ];
    use std::os::unix::fs::PermissionsExt as _;
    for (path, text, mode) in files {
        let p = tree.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    std::fs::write(
        tree.join("DEBIAN/control"),
        "Package: keepalived\nVersion: 1:2.2.7-1\nArchitecture: all\n\
         Maintainer: test <test@localhost>\nDescription: stand-in for Debian's keepalived\n",
    )
    .unwrap();
    let deb = dir.join("keepalived_2.2.7-1_all.deb");
    run_ok(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-b"])
            .arg(&tree)
            .arg(&deb),
    );
    deb
}

/// `dpkg --root=ROOT ARGS…`, maintainer scripts run outside a chroot with DPKG_ROOT set (ours
/// then do nothing), the log kept inside the scratch dir, no terminal to prompt on.
fn dpkg(root: &Path, args: &[&str], extra: &[&Path]) -> Output {
    Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .arg(format!("--log={}/dpkg.log", root.display()))
        .args(["--force-script-chrootless", "--force-depends"])
        .args(args)
        .args(extra)
        .stdin(Stdio::null())
        .env("PATH", path_env())
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .expect("run dpkg")
}

fn status(root: &Path, package: &str) -> String {
    let o = dpkg(root, &["-s", package], &[]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Status: "))
        .unwrap_or("not known")
        .to_string()
}

fn check_dpkg_replaces_keepalived(scratch: &Path, deb: &Path) {
    if !have("dpkg") {
        return skip("dpkg is not installed");
    }
    let root = scratch.join("root");
    for dir in [
        "var/lib/dpkg/updates",
        "var/lib/dpkg/info",
        "etc/keepalived",
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for file in ["var/lib/dpkg/status", "var/lib/dpkg/available"] {
        std::fs::write(root.join(file), "").unwrap();
    }
    let fake = fake_keepalived_deb(scratch);
    let o = dpkg(&root, &["-i"], &[&fake]);
    assert!(
        o.status.success(),
        "installing the stand-in: {}",
        describe(&o)
    );

    // The administrator's configuration, owned by no package.
    let conf = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 7\n}\n";
    std::fs::write(root.join("etc/keepalived/keepalived.conf"), conf).unwrap();

    // Replace it: dpkg must remove keepalived by itself (Conflicts + Replaces) and take over
    // its unmodified conffiles without asking (stdin is /dev/null: a prompt would fail).
    let o = dpkg(&root, &["-i"], &[deb]);
    assert!(
        o.status.success(),
        "installing over keepalived: {}",
        describe(&o)
    );
    assert_eq!(status(&root, "keepalived-rs"), "install ok installed");
    // Removed, its conffile records kept (the want flag stays "install": dpkg -i set it).
    assert!(
        status(&root, "keepalived").ends_with(" ok config-files"),
        "keepalived: {}",
        status(&root, "keepalived")
    );
    let owner = dpkg(&root, &["-S", "/usr/sbin/keepalived"], &[]);
    assert!(
        String::from_utf8_lossy(&owner.stdout).starts_with("keepalived-rs: "),
        "{}",
        describe(&owner)
    );
    let v = Command::new(root.join("usr/sbin/keepalived"))
        .arg("-v")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stderr).contains("keepalived-rs"));
    assert_eq!(read(&root.join("etc/keepalived/keepalived.conf")), conf);
    assert!(read(&root.join("etc/default/keepalived")).contains("DAEMON_ARGS"));
    assert!(
        read(&root.join("etc/keepalived/keepalived.conf.sample")).contains("keepalived-rs"),
        "the sample was not taken over"
    );
    assert!(root.join("usr/share/man/man8/keepalived.8.gz").is_file());
    // Same path as the replaced package's unit: dpkg hands it over instead of deleting it with
    // the old package.
    assert!(
        read(&root.join("lib/systemd/system/keepalived.service")).contains("keepalived-rs"),
        "the unit was not taken over"
    );

    // An administrator's DAEMON_ARGS survive an upgrade (reinstall) of our package.
    std::fs::write(root.join("etc/default/keepalived"), "DAEMON_ARGS=\"-D\"\n").unwrap();
    let o = dpkg(&root, &["--force-confold", "-i"], &[deb]);
    assert!(o.status.success(), "reinstall: {}", describe(&o));
    assert_eq!(
        read(&root.join("etc/default/keepalived")),
        "DAEMON_ARGS=\"-D\"\n"
    );

    // Rollback: remove ours, reinstall keepalived; the administrator's files stay throughout.
    let o = dpkg(&root, &["-r", "keepalived-rs"], &[]);
    assert!(o.status.success(), "remove: {}", describe(&o));
    assert_eq!(status(&root, "keepalived-rs"), "deinstall ok config-files");
    assert!(!root.join("usr/sbin/keepalived").exists());
    assert!(!root.join("lib/systemd/system/keepalived.service").exists());
    assert_eq!(read(&root.join("etc/keepalived/keepalived.conf")), conf);
    let o = dpkg(&root, &["--force-confold", "-i"], &[&fake]);
    assert!(o.status.success(), "rollback: {}", describe(&o));
    assert_eq!(status(&root, "keepalived"), "install ok installed");
    let v = Command::new(root.join("usr/sbin/keepalived"))
        .arg("-v")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stderr).contains("stand-in"));
    assert_eq!(read(&root.join("etc/keepalived/keepalived.conf")), conf);
}

/// The RPM spec is not built here, but it must not drift from the crate and the .deb: same
/// version, same claims on keepalived, the same files. rpmspec, when installed, parses it.
#[test]
fn rpm_spec_follows_the_crate() {
    let spec_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/keepalived-rs.spec");
    let spec = read(&spec_path);
    let tag = |name: &str| -> Vec<String> {
        spec.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_string())
            .collect()
    };
    assert_eq!(tag("Name"), ["keepalived-rs"]);
    assert_eq!(tag("Version"), [VERSION]);
    assert_eq!(tag("License"), [env!("CARGO_PKG_LICENSE")]);
    assert!(tag("Provides").iter().any(|p| p.starts_with("keepalived")));
    assert_eq!(tag("Conflicts"), ["keepalived"]);
    for installed in [
        "%{_sbindir}/keepalived",
        "%{_unitdir}/keepalived.service",
        "%{_sysconfdir}/keepalived/keepalived.conf.sample",
        "%{_mandir}/man8/keepalived.8",
        "%{_mandir}/man5/keepalived.conf.5",
    ] {
        let in_files = spec
            .split("%files")
            .nth(1)
            .is_some_and(|files| files.contains(installed));
        assert!(in_files, "%files lacks {installed}");
    }
    // Every file the %install section copies from the source tree exists.
    for source in [
        "packaging/keepalived.service",
        "packaging/keepalived.conf.sample",
        "packaging/man/keepalived.8",
        "packaging/man/keepalived.conf.5",
    ] {
        assert!(spec.contains(source), "spec does not install {source}");
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(source).is_file(),
            "{source} missing"
        );
    }
    if have("rpmspec") {
        let provides = run_ok(
            Command::new("rpmspec")
                .args(["-q", "--provides"])
                .arg(&spec_path),
        );
        assert!(
            provides.lines().any(|l| l.starts_with("keepalived ")),
            "{provides}"
        );
    } else {
        eprintln!("rpmspec not installed: the spec was only read, not parsed by rpm");
    }
}
