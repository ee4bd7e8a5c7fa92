//! The qemu-riscv64-compatible command line: arguments after PROGRAM,
//! QEMU's option spellings and `QEMU_*` variables, `ferrovm-riscv64`,
//! `ferrovm binfmt` (and a registration in a private binfmt_misc mount),
//! `--strace` decoding, and `--root` with a relative program path.
//!
//! Where qemu-riscv64 is installed, every case also runs under it and the
//! guest's output and status must be the same.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Outcome, ferrovm, ferrovm_riscv64, have_oracle, root, run};

fn guest(name: &str) -> PathBuf {
    root().join("tests/guests/bin").join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh scratch directory for one test.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrovm-cli-qemu-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The three ways to run `args` (options, PROGRAM, its arguments):
/// `ferrovm run`, `ferrovm-riscv64` and, if installed, `qemu-riscv64`.
fn runners(qemu: bool) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut r = vec![(ferrovm(), vec!["run"]), (ferrovm_riscv64(), vec![])];
    if qemu {
        r.push(("qemu-riscv64", vec![]));
    }
    r
}

fn under(runner: &str, pre: &[&str], args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(runner);
    cmd.args(pre).args(args.iter().map(|a| if *a == "@print_args" { guest("print_args") } else { PathBuf::from(a) }));
    run(&mut cmd, env, None)
}

/// One command line: the runner's options and program (`@print_args` is the
/// guest), its environment, and lines the guest's stdout must contain.
struct Case {
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    want: &'static [&'static str],
    not: &'static [&'static str],
}

const CASES: &[Case] = &[
    // Everything after PROGRAM is the guest's, options or not.
    Case {
        args: &["@print_args", "-E", "a|b", "-h", "--strace", "-L", "/", "-0", "x", "--", "run", "-cpu", "v"],
        env: &[],
        want: &[
            "argv[0]=.../print_args",
            "argv[1]=-E",
            "argv[2]=a|b",
            "argv[3]=-h",
            "argv[4]=--strace",
            "argv[5]=-L",
            "argv[6]=/",
            "argv[7]=-0",
            "argv[8]=x",
            "argv[9]=--",
            "argv[10]=run",
            "argv[11]=-cpu",
            "argv[12]=v",
        ],
        not: &["argv[13]"],
    },
    // -E comma lists, -U, in command-line order.
    Case {
        args: &["-E", "A=1,B=x=y", "-U", "GONE", "-E", "C=3", "-U", "C", "@print_args"],
        env: &[("GONE", "1"), ("KEPT", "2")],
        want: &["env A=1", "env B=x=y", "env KEPT=2"],
        not: &["env GONE=", "env C="],
    },
    // -0 (and QEMU's --0), -strace with one dash (stdout unchanged).
    Case { args: &["-0", "custom", "@print_args", "a"], env: &[], want: &["argv[0]=custom", "argv[1]=a"], not: &[] },
    Case { args: &["--0", "other", "@print_args"], env: &[], want: &["argv[0]=other"], not: &[] },
    Case { args: &["-strace", "@print_args", "z"], env: &[], want: &["argv[1]=z"], not: &[] },
    // -cpu that ferrovm runs.
    Case {
        args: &["-cpu", "rv64,v=false,zba=true", "@print_args"],
        env: &[],
        want: &["argv[0]=.../print_args"],
        not: &[],
    },
    Case { args: &["-cpu", "sifive-u54", "@print_args"], env: &[], want: &["argv[0]=.../print_args"], not: &[] },
    // QEMU_SET_ENV / QEMU_UNSET_ENV, and the options applied after them.
    Case {
        args: &["@print_args"],
        env: &[("QEMU_SET_ENV", "A=1,B=2"), ("QEMU_UNSET_ENV", "GONE"), ("GONE", "x")],
        want: &["env A=1", "env B=2", "env QEMU_SET_ENV=A=1,B=2"],
        not: &["env GONE="],
    },
    Case {
        args: &["-U", "A", "-E", "B=3", "@print_args"],
        env: &[("QEMU_SET_ENV", "A=1,B=2")],
        want: &["env B=3"],
        not: &["env A=", "env B=2"],
    },
    // QEMU_ARGV0, and -0 winning over it.
    Case { args: &["@print_args"], env: &[("QEMU_ARGV0", "fromenv")], want: &["argv[0]=fromenv"], not: &[] },
    Case { args: &["-0", "flag", "@print_args"], env: &[("QEMU_ARGV0", "fromenv")], want: &["argv[0]=flag"], not: &[] },
    // QEMU_CPU that ferrovm runs; QEMU_STRACE leaves stdout alone.
    Case {
        args: &["@print_args"],
        env: &[("QEMU_CPU", "rv64,Zfh=false")],
        want: &["env QEMU_CPU=rv64,Zfh=false"],
        not: &[],
    },
    Case { args: &["@print_args"], env: &[("QEMU_STRACE", "")], want: &["env QEMU_STRACE="], not: &[] },
];

/// Arguments after PROGRAM reach the guest unchanged; -E/-U/-0/-cpu/-strace
/// and the QEMU_* variables do what they do under qemu-riscv64, under both
/// `ferrovm run` and `ferrovm-riscv64`.
#[test]
fn qemu_command_line_cases() {
    let qemu = have_oracle("qemu-riscv64");
    let mut failures = Vec::new();
    for case in CASES {
        let mut outcomes = Vec::new();
        for (runner, pre) in runners(qemu) {
            let out = under(runner, &pre, case.args, case.env);
            let stdout = text(&out.stdout);
            let what = format!("{runner} {} {:?} (env {:?})", pre.join(" "), case.args, case.env);
            if out.status != 0 {
                failures.push(format!("{what}: status {}: {}", out.status, text(&out.stderr)));
            }
            for w in case.want {
                if !stdout.lines().any(|l| l == *w) {
                    failures.push(format!("{what}: no line `{w}` in\n{stdout}"));
                }
            }
            for n in case.not {
                if stdout.lines().any(|l| l.starts_with(n)) {
                    failures.push(format!("{what}: a line starts with `{n}` in\n{stdout}"));
                }
            }
            outcomes.push((what, out.stdout, out.status));
        }
        if let Some((first, rest)) = outcomes.split_first() {
            for other in rest {
                if (&other.1, other.2) != (&first.1, first.2) {
                    failures.push(format!(
                        "{} and {} differ:\n{}\n---\n{}",
                        first.0,
                        other.0,
                        text(&first.1),
                        text(&other.1)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `-strace`, `--strace` and QEMU_STRACE print the trace on stderr; without
/// them stderr is empty.
#[test]
fn strace_flag_spellings_and_variable() {
    let hello = guest("min_hello");
    let hello = hello.to_str().expect("utf-8 path");
    for (runner, pre) in runners(false) {
        let quiet = under(runner, &pre, &[hello], &[]);
        assert_eq!((quiet.status, text(&quiet.stderr)), (0, String::new()), "{runner}");
        for (args, env) in [
            (vec!["-strace", hello], vec![]),
            (vec!["--strace", hello], vec![]),
            (vec![hello], vec![("QEMU_STRACE", "1")]),
        ] {
            let out = under(runner, &pre, &args, &env);
            let err = text(&out.stderr);
            assert_eq!(out.status, 0, "{runner} {args:?} {env:?}: {err}");
            assert!(
                err.lines().any(|l| l.split_once(' ').is_some_and(|(pid, rest)| {
                    pid.parse::<u32>().is_ok() && rest.starts_with("write(1,\"hello from riscv64\\n\",19) = 19")
                })),
                "{runner} {args:?} {env:?}: no write line in\n{err}"
            );
        }
    }
}

/// `-s`, `--stack-size` and QEMU_STACK_SIZE set the stack size (QEMU's
/// syntax); the option wins over the variable.
#[test]
fn stack_size_option_and_variable() {
    let probe = guest("stack_probe");
    let probe = probe.to_str().expect("utf-8 path");
    let qemu = have_oracle("qemu-riscv64");
    // Arguments, environment, expected status.
    type StackCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], i32);
    let cases: &[StackCase] = &[
        (&["-s", "8M", probe, "12288"], &[], 139),
        (&["-s", "16M", probe, "12288"], &[], 0),
        (&["-s", "16384k", probe, "12288"], &[], 0),
        (&["-s", "0x1000000", probe, "12288"], &[], 0),
        (&[probe, "12288"], &[("QEMU_STACK_SIZE", "8M")], 139),
        (&[probe, "12288"], &[("QEMU_STACK_SIZE", "16M")], 0),
        (&["-s", "16M", probe, "12288"], &[("QEMU_STACK_SIZE", "8M")], 0),
    ];
    for &(args, env, want) in cases {
        for (runner, pre) in runners(qemu) {
            let out = under(runner, &pre, args, env);
            assert_eq!(out.status, want, "{runner} {args:?} {env:?}: {}", text(&out.stderr));
            if want == 0 {
                assert_eq!(text(&out.stdout), "touched 12288 KiB of stack\n", "{runner} {args:?}");
            }
        }
    }
    let long = run(Command::new(ferrovm()).args(["run", "--stack-size=16M", probe, "12288"]), &[], None);
    assert_eq!(long.status, 0, "{}", text(&long.stderr));
    for bad in ["8G", "0", "x"] {
        let out = run(Command::new(ferrovm_riscv64()).args(["-s", bad, probe]), &[], None);
        assert_eq!(out.status, 125, "-s {bad}");
        assert!(text(&out.stderr).contains("stack size"), "-s {bad}: {}", text(&out.stderr));
    }
}

/// `-cpu` and QEMU_CPU: models and extension strings ferrovm runs are
/// accepted, extensions it lacks refused with a message that says which.
#[test]
fn cpu_accepts_and_rejects() {
    let hello = guest("min_hello");
    let hello = hello.to_str().expect("utf-8 path");
    for (cpu, ok, says) in [
        ("rv64", true, ""),
        ("any", true, ""),
        ("rv64,v=false", true, ""),
        ("rv64,zba=on,zbb=yes,zbc=true,zbs=y,c=on", true, ""),
        ("rv64,Zfh=on", true, ""),
        // The program's .riscv.attributes say it was built with C:
        // ferrovm refuses to run it on a machine without (QEMU 7.2 does
        // not look).
        ("rv64,c=off", false, "needs c"),
        ("rv64,v=true", true, ""),
        ("rv64,zkne=true", false, "Zkne"),
        ("rv64,Zve64f=true", false, "Zve64f"),
        ("x-rv128", false, "RV64"),
        ("cortex-a53", false, "unknown CPU model"),
        ("rv64,nosuch=true", false, "no property"),
        // QEMU 10's models and extension-named properties.
        ("max", true, ""),
        ("rva23u64", true, ""),
        ("rv64,zicond=on,zvkned=true", true, ""),
        ("max,zkne=on", false, "Zkne"),
    ] {
        for (args, env) in [(vec!["-cpu", cpu, hello], vec![]), (vec![hello], vec![("QEMU_CPU", cpu)])] {
            for (runner, pre) in runners(false) {
                let out = under(runner, &pre, &args, &env);
                let err = text(&out.stderr);
                if ok {
                    assert_eq!((out.status, text(&out.stdout)), (0, "hello from riscv64\n".into()), "{cpu}: {err}");
                } else {
                    assert_eq!(out.status, 125, "{runner} {args:?} {env:?} must fail");
                    assert_eq!(err.lines().count(), 1, "{err}");
                    assert!(err.contains(says), "{cpu}: `{says}` not in {err}");
                    assert!(out.stdout.is_empty(), "the guest must not run");
                }
            }
        }
    }
    let list = run(Command::new(ferrovm_riscv64()).args(["-cpu", "help"]), &[], None);
    assert!(text(&list.stdout).lines().any(|l| l == "rv64"), "{}", text(&list.stdout));
    assert!(text(&list.stdout).lines().any(|l| l == "rva23u64"), "{}", text(&list.stdout));
}

/// QEMU_LD_PREFIX is the sysroot of a dynamically linked program; -L wins.
#[test]
fn qemu_ld_prefix_variable() {
    let sysroot = crate::guests::SYSROOT;
    if !Path::new(sysroot).is_dir() {
        assert!(!crate::support::oracles_required(), "{sysroot} is missing but FERROVM_REQUIRE_ORACLES=1");
        eprintln!("note: {sysroot} missing; skipping the QEMU_LD_PREFIX test");
        return;
    }
    let dyn_hello = guest("dyn_hello");
    let dyn_hello = dyn_hello.to_str().expect("utf-8 path");
    for (runner, pre) in runners(false) {
        let bad = under(runner, &pre, &[dyn_hello], &[("QEMU_LD_PREFIX", "/nonexistent-sysroot")]);
        assert_ne!(bad.status, 0, "{runner}: the interpreter must be looked for in QEMU_LD_PREFIX");
        assert!(text(&bad.stderr).contains("interpreter"), "{}", text(&bad.stderr));
        let good = under(runner, &pre, &[dyn_hello], &[("QEMU_LD_PREFIX", sysroot)]);
        assert_eq!(good.status, 0, "{runner}: {}", text(&good.stderr));
        let flag = under(runner, &pre, &["-L", sysroot, dyn_hello], &[("QEMU_LD_PREFIX", "/nonexistent-sysroot")]);
        assert_eq!(flag.status, 0, "{runner}: -L wins over QEMU_LD_PREFIX: {}", text(&flag.stderr));
        assert_eq!(flag.stdout, good.stdout);
    }
}

/// `ferrovm-riscv64` takes no subcommand; its help explains the QEMU
/// spellings and variables; `ferrovm run --help` too.
#[test]
fn help_explains_the_qemu_command_line() {
    let q = run(Command::new(ferrovm_riscv64()).arg("--help"), &[], None);
    assert_eq!(q.status, 0);
    let r = run(Command::new(ferrovm()).args(["run", "--help"]), &[], None);
    for help in [text(&q.stdout), text(&r.stdout)] {
        for needle in [
            "QEMU_LD_PREFIX",
            "QEMU_SET_ENV",
            "QEMU_UNSET_ENV",
            "QEMU_STRACE",
            "QEMU_STACK_SIZE",
            "QEMU_CPU",
            "QEMU_ARGV0",
            "-strace",
            "--cpu",
            "-0, --argv0",
            "-s, --stack-size",
            "Everything after PROGRAM",
        ] {
            assert!(help.contains(needle), "help lacks {needle}:\n{help}");
        }
    }
    assert!(text(&q.stdout).starts_with("ferrovm-riscv64"), "{}", text(&q.stdout));
    let b = run(Command::new(ferrovm()).args(["binfmt", "--help"]), &[], None);
    let b = text(&b.stdout);
    for needle in ["fix-binary", "preserve-argv0", "--register", "--output"] {
        assert!(b.contains(needle), "binfmt --help lacks {needle}:\n{b}");
    }
}

/// `ferrovm` started through a link named `ferrovm-riscv64` takes QEMU's
/// command line too (no `run`).
#[test]
fn a_link_named_ferrovm_riscv64_takes_qemus_command_line() {
    let dir = scratch("link");
    let link = dir.join("ferrovm-riscv64");
    std::os::unix::fs::symlink(ferrovm(), &link).expect("symlink");
    let out = run(Command::new(&link).args(["-0", "linked"]).arg(guest("print_args")).arg("-h"), &[], None);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("argv[0]=linked\nargv[1]=-h\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

const MAGIC: &str = r"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00";
const MASK: &str = r"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff";

/// `ferrovm binfmt` prints (or writes) the registration line with the magic
/// and mask of QEMU's qemu-binfmt-conf.sh for riscv64.
#[test]
fn binfmt_line_is_qemus() {
    let out = run(Command::new(ferrovm()).args(["binfmt", "--interpreter", "/opt/ferrovm-riscv64"]), &[], None);
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!(":ferrovm-riscv64:M::{MAGIC}:{MASK}:/opt/ferrovm-riscv64:FP\n"));
    // The magic and mask match a riscv64 ELF (static and PIE) and not this
    // x86-64 test binary: check them byte by byte as the kernel does.
    let unescape = |s: &str| -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(hex) = rest.strip_prefix("\\x") {
                out.push(u8::from_str_radix(&hex[..2], 16).expect("hex"));
                rest = &hex[2..];
            } else {
                out.push(rest.as_bytes()[0]);
                rest = &rest[1..];
            }
        }
        out
    };
    let (magic, mask) = (unescape(MAGIC), unescape(MASK));
    assert_eq!((magic.len(), mask.len()), (20, 20));
    let matches = |file: &Path| {
        let head = std::fs::read(file).expect("readable");
        head.iter().zip(&magic).zip(&mask).all(|((b, m), k)| b & k == m & k)
    };
    assert!(matches(&guest("hello")) && matches(&guest("min_hello")));
    let me = std::env::current_exe().expect("test binary");
    assert!(!matches(&me), "an x86-64 ELF must not match");

    let dir = scratch("binfmt-file");
    let file = dir.join("ferrovm-riscv64.conf");
    let out = run(
        Command::new(ferrovm())
            .args(["binfmt", "--interpreter", "/opt/x", "--flags", "F", "--name", "fv", "--output"])
            .arg(&file),
        &[],
        None,
    );
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&file).expect("written");
    let lines: Vec<&str> = written.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines, [format!(":fv:M::{MAGIC}:{MASK}:/opt/x:F")]);
    let bad = run(Command::new(ferrovm()).args(["binfmt", "--interpreter", "/x", "--flags", "OC"]), &[], None);
    assert_eq!(bad.status, 125);
    assert!(text(&bad.stderr).contains("not supported"), "{}", text(&bad.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Registers ferrovm-riscv64 in a private binfmt_misc mount of a new user
/// and mount namespace (binfmt_misc is per user namespace since Linux 6.7;
/// the host's own registrations are not touched) and runs riscv64 programs
/// directly by name: with the P flag the guest sees its own argv[0], as
/// under qemu-riscv64 registered with P.
#[test]
fn binfmt_registration_in_a_namespace() {
    let probe = Command::new("unshare")
        .args(["-Urm", "sh", "-c", "mount -t binfmt_misc none /proc/sys/fs/binfmt_misc"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            eprintln!(
                "note: this kernel does not let a user namespace mount its own binfmt_misc (Linux >= 6.7 does): {}; \
                 skipping the registration test",
                text(&o.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("note: unshare not available ({e}); skipping the registration test");
            return;
        }
    }
    let dir = scratch("binfmt-ns");
    for name in ["min_hello", "print_args"] {
        std::fs::copy(guest(name), dir.join(name)).expect("copy guest");
    }
    let script = r#"
        set -e
        mount -t binfmt_misc none /proc/sys/fs/binfmt_misc
        "$FERROVM" binfmt --register --flags "$FLAGS" --interpreter "$FERROVM_RISCV64"
        cat /proc/sys/fs/binfmt_misc/ferrovm-riscv64
        ./min_hello
        ./print_args -x --strace
        exec -a custom-argv0 ./print_args
    "#;
    for (flags, argv0) in [("FP", "argv[0]=custom-argv0"), ("F", "argv[0]=.../print_args")] {
        let out = run(
            Command::new("unshare").args(["-Urm", "bash", "-c", script]).current_dir(&dir),
            &[
                ("FERROVM", ferrovm()),
                ("FERROVM_RISCV64", ferrovm_riscv64()),
                ("FLAGS", flags),
                ("PATH", "/usr/bin:/bin:/usr/sbin:/sbin"),
            ],
            None,
        );
        let stdout = text(&out.stdout);
        assert_eq!(out.status, 0, "flags {flags}: {stdout}\n{}", text(&out.stderr));
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(lines.contains(&"enabled"), "{stdout}");
        assert!(lines.contains(&format!("interpreter {}", ferrovm_riscv64()).as_str()), "{stdout}");
        assert!(lines.contains(&"magic 7f454c460201010000000000000000000200f300"), "{stdout}");
        assert!(lines.contains(&"mask ffffffffffffff00fffffffffffffffffeffffff"), "{stdout}");
        assert!(lines.contains(&"hello from riscv64"), "{stdout}");
        let first = lines.iter().position(|l| l.starts_with("argv[0]=")).expect("print_args ran");
        assert_eq!(&lines[first..first + 3], ["argv[0]=.../print_args", "argv[1]=-x", "argv[2]=--strace"], "{stdout}");
        assert_eq!(lines.iter().filter(|l| l.starts_with("argv[0]=")).nth(1), Some(&argv0), "flags {flags}: {stdout}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--strace` decodes as QEMU's -strace does: open flags and modes, errno
/// text, `struct stat`, mmap protections and flags, signal names and
/// `sigprocmask` hows, socket addresses. Lines that qemu-riscv64 7.2
/// decodes the same way are compared with it.
#[test]
fn strace_decodes_arguments() {
    let dir = scratch("strace");
    let out =
        run(Command::new(ferrovm()).args(["run", "--strace"]).arg(guest("strace_probe")).current_dir(&dir), &[], None);
    assert_eq!((out.status, text(&out.stdout)), (0, "done\n".into()), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    // Each line is "PID call"; the PID is the same throughout.
    let calls: Vec<&str> = err.lines().filter_map(|l| l.split_once(' ').map(|(_, c)| c)).collect();
    let has =
        |prefix: &str, then: &str| calls.iter().any(|c| c.strip_prefix(prefix).is_some_and(|rest| rest.contains(then)));
    for (prefix, then) in [
        ("umask(022)", " = 18"),
        ("openat(AT_FDCWD,\"/nonexistent/strace_probe\",O_RDONLY)", " = -1 errno=2 (No such file or directory)"),
        ("openat(AT_FDCWD,\"strace_probe.tmp\",O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC,0640)", " = 3"),
        ("newfstatat(3,\"\",{st_dev=", ",st_mode=S_IFREG|0640,st_nlink=1,"),
        ("mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0) = 0x", ""),
        ("mprotect(0x", ",4096,PROT_READ) = 0"),
        ("rt_sigaction(SIGUSR1,0x", ") = 0"),
        ("rt_sigprocmask(SIG_BLOCK,0x", ",NULL) = 0"),
        ("kill(", ",SIGUSR1) = 0"),
        ("connect(-1,{sin_family=AF_INET,sin_port=htons(9),sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 errno=", ")"),
        ("bind(-1,{sun_family=AF_UNIX,sun_path=\"/tmp/strace_probe.sock\"}, 110) = -1 errno=", ")"),
    ] {
        assert!(has(prefix, then), "no line `{prefix}...{then}` in\n{err}");
    }
    let stat = calls.iter().find(|c| c.starts_with("newfstatat(3,")).expect("checked above");
    assert!(stat.contains(",st_size=5,") && stat.ends_with(",...},AT_EMPTY_PATH) = 0"), "{stat}");
    let mmap = calls.iter().find(|c| c.starts_with("mmap(NULL,8192,")).expect("checked above");
    let addr = mmap.rsplit(" = 0x").next().unwrap_or("");
    assert_eq!(addr.len(), 16, "mmap's result is printed with 16 hex digits: {mmap}");

    if have_oracle("qemu-riscv64") {
        let q =
            run(Command::new("qemu-riscv64").arg("-strace").arg(guest("strace_probe")).current_dir(&dir), &[], None);
        let qerr = text(&q.stderr);
        let same = |c: &&str| {
            ["umask(", "openat(", "unlinkat(", "bind(", "close(3)", "rt_sigprocmask(SIG_", "exit_group("]
                .iter()
                .any(|p| c.starts_with(p))
        };
        let strip = |c: &str| {
            // Results of calls that are implemented differently today
            // (sockets) and addresses are not compared.
            let c = c.split(" = -1 errno=38").next().unwrap_or(c);
            let c = c.split(" = -1 errno=9").next().unwrap_or(c);
            c.split(",0x").next().unwrap_or(c).to_string()
        };
        let ours: Vec<String> = calls.iter().copied().filter(same).map(strip).collect();
        let theirs: Vec<String> =
            qerr.lines().filter_map(|l| l.split_once(' ').map(|(_, c)| c)).filter(same).map(strip).collect();
        assert_eq!(ours, theirs, "ferrovm:\n{err}\nqemu:\n{qerr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--root DIR` with a relative program path: `/proc/self/exe` is the
/// absolute guest path (static glibc asserts it; it used to abort).
#[test]
fn root_with_a_relative_program_path() {
    let dir = scratch("root-rel");
    std::fs::create_dir_all(dir.join("sub")).expect("sub dir");
    std::fs::copy(guest("hello"), dir.join("sub/hello")).expect("copy");
    let want = run(Command::new(ferrovm()).arg("run").arg(guest("hello")), &[], None);
    for program in ["sub/hello", "./sub/hello", "sub/../sub/hello"] {
        let out = run(Command::new(ferrovm()).args(["run", "--root", ".", program]).current_dir(&dir), &[], None);
        assert_eq!(out.status, 0, "{program}: {}", text(&out.stderr));
        assert_eq!(out.stdout, want.stdout, "{program}");
    }
    // The guest reads /proc/self/exe (the strace shows the link's length:
    // "/sub/hello" is 10 bytes).
    let out = run(
        Command::new(ferrovm()).args(["run", "--strace", "--root", ".", "./sub/hello"]).current_dir(&dir),
        &[],
        None,
    );
    let err = text(&out.stderr);
    assert!(
        err.lines().any(|l| l.contains("readlinkat(AT_FDCWD,\"/proc/self/exe\",") && l.ends_with(",4096) = 10")),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
