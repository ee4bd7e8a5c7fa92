//! The Linux user-mode layer end to end: the libc-tier guest programs,
//! `--strace`, `/proc/self`, host signals, confined mode (`--root`) escape
//! attempts, the malformed-ELF corpus, and a syscall fuzz test.
//!
//! Small guests are assembled here (a few RV64I instructions in a
//! hand-built ELF), so these tests need no cross compiler.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Outcome, ferrovm, root, run};

const GUEST_ENV: &[(&str, &str)] = &[("FERROVM_GUEST_VAR", "guest-value")];

/// Tags the Linux layer handles (everything but guest threads and the
/// long benchmark loop).
const HANDLED: &[&str] = &["libc", "signals", "tmp", "stdin", "fatal", "process", "exec", "oracle-native", "dynamic"];

const SYSROOT: &str = "/usr/riscv64-linux-gnu";

#[test]
fn libc_tier_programs_match_expectations() {
    let manifest = std::fs::read_to_string(root().join("tests/guests/manifest.txt")).expect("manifest");
    let mut failures = Vec::new();
    let mut ran = 0;
    for line in manifest.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let (Some(name), Some(tags)) = (words.next(), words.next()) else { continue };
        let tags: Vec<&str> = tags.split(',').collect();
        if tags.contains(&"minimal") || !tags.iter().all(|t| HANDLED.contains(t)) {
            continue;
        }
        let mut cmd = Command::new(ferrovm());
        cmd.arg("run");
        if tags.contains(&"dynamic") {
            if !Path::new(SYSROOT).is_dir() {
                eprintln!("note: {SYSROOT} missing; skipping {name}");
                continue;
            }
            cmd.args(["-L", SYSROOT]);
        }
        cmd.arg(root().join("tests/guests/bin").join(name)).args(words);
        let stdin = tags.contains(&"stdin").then(|| root().join(format!("tests/guests/input/{name}.stdin")));
        let got = run(&mut cmd, GUEST_ENV, stdin.as_deref());
        let exp =
            |ext: &str| std::fs::read(root().join(format!("tests/guests/expected/{name}.{ext}"))).unwrap_or_default();
        let status: i32 = String::from_utf8_lossy(&exp("status")).trim().parse().expect("status file");
        let want = Outcome { stdout: exp("stdout"), stderr: exp("stderr"), status };
        ran += 1;
        if got != want {
            failures.push(format!(
                "{name}: status {} (want {}), stdout equal {}, stderr:\n{}",
                got.status,
                want.status,
                got.stdout == want.stdout,
                String::from_utf8_lossy(&got.stderr)
            ));
        }
    }
    assert!(ran >= 10, "only {ran} programs ran");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn strace_decodes_arguments() {
    let out = run(
        Command::new(ferrovm()).args(["run", "--strace"]).arg(root().join("tests/guests/bin/hello")),
        GUEST_ENV,
        None,
    );
    assert_eq!(out.status, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.lines().any(|l| l.contains(" write(1,\"") && !l.ends_with(')') && l.contains(" = ")), "{err}");
    assert!(err.lines().any(|l| l.contains(" exit_group(0)")), "{err}");
    assert!(err.lines().all(|l| l.split_whitespace().next().is_some_and(|pid| pid.parse::<u32>().is_ok())), "{err}");
}

// ---------------------------------------------------------------------------
// A tiny assembler and ELF writer for hand-made guests.

const ZERO: u32 = 0;
const SP: u32 = 2;
const S0: u32 = 8;
const S1: u32 = 9;
const A0: u32 = 10;
const A1: u32 = 11;
const A2: u32 = 12;
const A3: u32 = 13;
const A7: u32 = 17;

fn i_type(op: u32, f3: u32, rd: u32, rs1: u32, imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op
}
fn addi(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x13, 0, rd, rs1, imm)
}
fn ld(rd: u32, rs1: u32, imm: i32) -> u32 {
    i_type(0x03, 3, rd, rs1, imm)
}
fn lui(rd: u32, imm20: u32) -> u32 {
    (imm20 << 12) | (rd << 7) | 0x37
}
fn sd(rs2: u32, rs1: u32, imm: i32) -> u32 {
    let i = imm as u32 & 0xfff;
    ((i >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((i & 0x1f) << 7) | 0x23
}
fn sub(rd: u32, rs1: u32, rs2: u32) -> u32 {
    (0x20 << 25) | (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33
}
const ECALL: u32 = 0x73;

enum Insn {
    Word(u32),
    /// Branch (funct3) to a label.
    Branch(u32, u32, u32, &'static str),
    /// `jal x0, label`.
    Jump(&'static str),
    Label(&'static str),
}

fn assemble(prog: &[Insn]) -> Vec<u8> {
    let mut labels = std::collections::HashMap::new();
    let mut pc = 0i32;
    for i in prog {
        match i {
            Insn::Label(l) => {
                labels.insert(*l, pc);
            }
            _ => pc += 4,
        }
    }
    let mut out = Vec::new();
    let mut pc = 0i32;
    for i in prog {
        let word = match i {
            Insn::Label(_) => continue,
            Insn::Word(w) => *w,
            Insn::Branch(f3, rs1, rs2, l) => {
                let off = labels[l] - pc;
                let o = off as u32;
                (((o >> 12) & 1) << 31)
                    | (((o >> 5) & 0x3f) << 25)
                    | (rs2 << 20)
                    | (rs1 << 15)
                    | (f3 << 12)
                    | (((o >> 1) & 0xf) << 8)
                    | (((o >> 11) & 1) << 7)
                    | 0x63
            }
            Insn::Jump(l) => {
                let o = (labels[l] - pc) as u32;
                (((o >> 20) & 1) << 31)
                    | (((o >> 1) & 0x3ff) << 21)
                    | (((o >> 11) & 1) << 20)
                    | (((o >> 12) & 0xff) << 12)
                    | 0x6f
            }
        };
        out.extend_from_slice(&word.to_le_bytes());
        pc += 4;
    }
    out
}

/// A static riscv64 ELF: code at 0x10000 (R-X), `rodata` at 0x20000 (R--),
/// and 1 MiB of zeroed scratch at 0x40000 (RW-).
fn elf(code: &[u8], rodata: &[u8]) -> Vec<u8> {
    let phnum = 3u16;
    let hdr = 64 + 56 * u64::from(phnum);
    let code_off = hdr;
    let ro_off = (code_off + code.len() as u64).next_multiple_of(0x1000);
    assert!(ro_off < 0x10000, "code too large for the layout");
    let mut f = Vec::new();
    f.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0");
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&243u16.to_le_bytes()); // EM_RISCV
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(0x10000 + code_off).to_le_bytes()); // entry
    f.extend_from_slice(&64u64.to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&5u32.to_le_bytes()); // flags: RVC | double float ABI
    f.extend_from_slice(&64u16.to_le_bytes());
    f.extend_from_slice(&56u16.to_le_bytes());
    f.extend_from_slice(&phnum.to_le_bytes());
    f.extend_from_slice(&[0u8; 6]);
    let mut ph = |flags: u32, off: u64, vaddr: u64, filesz: u64, memsz: u64| {
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&flags.to_le_bytes());
        for v in [off, vaddr, vaddr, filesz, memsz, 0x1000] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    };
    ph(5, 0, 0x10000, code_off + code.len() as u64, code_off + code.len() as u64);
    ph(4, ro_off, 0x20000, rodata.len() as u64, rodata.len().max(1) as u64);
    ph(6, 0, 0x40000, 0, 1 << 20);
    f.extend_from_slice(code);
    f.resize(ro_off as usize, 0);
    f.extend_from_slice(rodata);
    f
}

/// `cat`: openat(DIRFD, argv[1], O_RDONLY), copy it to stdout, exit 0; if
/// the open fails, exit with the errno.
fn cat_elf(dirfd: i32) -> Vec<u8> {
    cat_with(dirfd, None)
}

/// `cat_elf` opening with `openat2(dirfd, argv[1], {0, 0, resolve}, 24)`
/// (the `struct open_how` is the read-only data, at 0x20000).
fn cat2_elf(resolve: u64) -> Vec<u8> {
    cat_with(-100, Some(resolve))
}

fn cat_with(dirfd: i32, openat2: Option<u64>) -> Vec<u8> {
    use Insn::*;
    let open: Vec<Insn> = match openat2 {
        None => vec![Word(addi(A2, ZERO, 0)), Word(addi(A3, ZERO, 0)), Word(addi(A7, ZERO, 56))],
        Some(_) => vec![Word(lui(A2, 0x20)), Word(addi(A3, ZERO, 24)), Word(addi(A7, ZERO, 437))],
    };
    let mut prog = vec![Word(ld(A1, SP, 16)), Word(addi(A0, ZERO, dirfd))];
    prog.extend(open);
    prog.extend([
        Word(ECALL),
        Branch(4, A0, ZERO, "fail"), // blt a0, zero
        Word(addi(S1, A0, 0)),
        Word(lui(S0, 0x40)), // buffer in scratch
        Label("loop"),
        Word(addi(A0, S1, 0)),
        Word(addi(A1, S0, 0)),
        Word(addi(A2, ZERO, 1024)),
        Word(addi(A7, ZERO, 63)),
        Word(ECALL),
        Branch(5, ZERO, A0, "done"), // bge zero, a0
        Word(addi(A2, A0, 0)),
        Word(addi(A1, S0, 0)),
        Word(addi(A0, ZERO, 1)),
        Word(addi(A7, ZERO, 64)),
        Word(ECALL),
        Jump("loop"),
        Label("done"),
        Word(addi(A0, ZERO, 0)),
        Word(addi(A7, ZERO, 94)),
        Word(ECALL),
        Label("fail"),
        Word(sub(A0, ZERO, A0)),
        Word(addi(A7, ZERO, 94)),
        Word(ECALL),
    ]);
    let how: Vec<u8> = [0u64, 0, openat2.unwrap_or(0)].iter().flat_map(|w| w.to_le_bytes()).collect();
    elf(&assemble(&prog), &how)
}

/// `execve(argv[1], &argv[1], NULL)`; exits with the errno if it fails.
fn exec_elf() -> Vec<u8> {
    use Insn::*;
    let code = assemble(&[
        Word(ld(A0, SP, 16)),
        Word(addi(A1, SP, 16)),
        Word(addi(A2, ZERO, 0)),
        Word(addi(A7, ZERO, 221)),
        Word(ECALL),
        Word(sub(A0, ZERO, A0)),
        Word(addi(A7, ZERO, 94)),
        Word(ECALL),
    ]);
    elf(&code, &[0])
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!("ferrovm-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write_exe(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, bytes).expect("write guest");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn proc_self_shows_the_guest() {
    let dir = TempDir::new("proc");
    let cat = dir.0.join("cat");
    write_exe(&cat, &cat_elf(-100));
    let maps = run(Command::new(ferrovm()).arg("run").arg(&cat).arg("/proc/self/maps"), &[], None);
    assert_eq!(maps.status, 0, "{}", String::from_utf8_lossy(&maps.stderr));
    let text = String::from_utf8_lossy(&maps.stdout);
    assert!(text.contains("[stack]") && text.contains(cat.to_str().expect("utf-8 path")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("00010000-00011000 r-xp")), "{text}");
    assert!(!text.contains("ferrovm\n") && !text.contains("/release/ferrovm"), "host mappings leaked:\n{text}");
    let exe = run(Command::new(ferrovm()).arg("run").arg(&cat).arg("/proc/self/exe"), &[], None);
    assert_eq!(exe.stdout, std::fs::read(&cat).expect("read"), "/proc/self/exe is not the guest program");
}

/// Sizes of the host mappings of process `pid` the kernel was advised to
/// back with transparent huge pages (`hg` in their `VmFlags`).
fn huge_advised_mappings(pid: u32) -> Vec<u64> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).expect("smaps");
    let mut sizes = Vec::new();
    let mut size = 0;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ')
            && let Some((a, b)) = range.split_once('-')
            && let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16))
        {
            size = b - a;
        } else if let Some(flags) = line.strip_prefix("VmFlags:")
            && flags.split_whitespace().any(|f| f == "hg")
        {
            sizes.push(size);
        }
    }
    sizes
}

/// Whether this host takes `madvise(MADV_HUGEPAGE)` (a kernel without
/// transparent huge pages, or a CPU without them, refuses it).
fn host_takes_huge_page_advice() -> bool {
    let len = 4 << 20;
    // SAFETY: a fresh private anonymous mapping of our own, advised and
    // unmapped here; nothing else refers to it.
    unsafe {
        let Ok(p) = rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
            rustix::mm::MapFlags::PRIVATE,
        ) else {
            return false;
        };
        let taken = rustix::mm::madvise(p, len, rustix::mm::Advice::LinuxHugepage).is_ok();
        let _ = rustix::mm::munmap(p, len);
        taken
    }
}

#[test]
fn large_guest_memory_gets_host_huge_pages() {
    if !host_takes_huge_page_advice() {
        eprintln!("skipped: this host has no transparent huge pages (madvise(MADV_HUGEPAGE) is refused)");
        return;
    }
    const MIB: u64 = 1 << 20;
    // mem_huge maps 16 MiB of data, grows its heap by 4 MiB with sbrk and
    // maps an 8 MiB MAP_STACK region, touches them, prints "ready" and
    // waits for a byte; then it checks its memory (unmapping and
    // protecting parts of the huge pages) and prints what it found.
    for (flag, huge) in [(None, true), (Some("--no-huge-pages"), false)] {
        let mut cmd = Command::new(ferrovm());
        cmd.arg("run").args(flag).arg(root().join("tests/guests/bin/mem_huge")).arg("wait");
        let mut child =
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn ferrovm");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        std::io::BufRead::read_line(&mut out, &mut line).expect("read");
        assert_eq!(line, "ready\n");
        let mut sizes = huge_advised_mappings(child.id());
        sizes.sort_unstable();
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), b"x").expect("write");
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).expect("read");
        assert!(child.wait().expect("wait").success());
        let expected = std::fs::read_to_string(root().join("tests/guests/expected/mem_huge.stdout")).expect("expected");
        assert_eq!(rest, expected, "{flag:?}");
        if !huge {
            assert!(sizes.is_empty(), "advised with --no-huge-pages: {sizes:?}");
            continue;
        }
        // The 16 MiB mapping's whole huge pages (14 or 16 MiB of it), and
        // the heap's (1 or 2 of its 4 MiB); not the 8 MiB stack (6 MiB or
        // more).
        let (largest, others) = sizes.split_last().expect("nothing advised");
        assert!((14 * MIB..=16 * MIB).contains(largest), "{sizes:?}");
        let heap: u64 = others.iter().sum();
        assert!((2 * MIB..=4 * MIB).contains(&heap), "{sizes:?}");
    }
}

#[test]
fn host_signals_end_the_guest_like_linux() {
    // `j .`: loops forever until a signal arrives.
    let dir = TempDir::new("sig");
    let spin = dir.0.join("spin");
    write_exe(&spin, &elf(&assemble(&[Insn::Label("l"), Insn::Jump("l")]), &[0]));
    for (sig, name) in [(15, "TERM"), (2, "INT")] {
        let mut child = Command::new(ferrovm()).arg("run").arg(&spin).spawn().expect("spawn");
        std::thread::sleep(Duration::from_millis(300));
        let status = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()));
        let st = child.wait().expect("wait");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(st.signal(), Some(sig), "{st:?}");
    }
}

// ---------------------------------------------------------------------------
// Confined mode.

/// A root with a secret outside it and every escape route inside it.
fn escape_fixture() -> (TempDir, PathBuf) {
    let top = TempDir::new("root");
    let jail = top.0.join("jail");
    std::fs::create_dir_all(jail.join("sub/deeper")).expect("mkdir");
    std::fs::write(top.0.join("secret.txt"), "SECRET OUTSIDE\n").expect("secret");
    std::fs::write(jail.join("secret.txt"), "inside\n").expect("inside");
    let secret = top.0.join("secret.txt");
    let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, jail.join(name)).expect("symlink");
    link(&secret, "abs-link");
    link(Path::new("../secret.txt"), "rel-link");
    link(Path::new("../../../../../../../../"), "sub/deeper/up");
    link(top.0.as_path(), "top-dir");
    write_exe(&jail.join("cat"), &cat_elf(-100));
    write_exe(&jail.join("cat3"), &cat_elf(3));
    (top, jail)
}

#[test]
fn confined_mode_cannot_escape() {
    let (top, jail) = escape_fixture();
    let secret = top.0.join("secret.txt");
    let attempts = [
        "../secret.txt".to_string(),
        "../../../../secret.txt".to_string(),
        "/../secret.txt".to_string(),
        secret.to_str().expect("utf-8").to_string(),
        "abs-link".to_string(),
        "rel-link".to_string(),
        "sub/deeper/up/secret.txt".to_string(),
        "top-dir/secret.txt".to_string(),
        "/proc/self/root/".to_string() + secret.to_str().expect("utf-8"),
        "/proc/1/root/etc/passwd".to_string(),
        "/etc/passwd".to_string(),
    ];
    for a in &attempts {
        let out = run(
            Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).arg("/cat").arg(a).current_dir(&jail),
            &[],
            None,
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("SECRET OUTSIDE") && !text.contains("root:"), "{a} escaped the root: {text}");
        // Either it stayed inside (and found the inner file) or it failed.
        assert!(out.status != 0 || text == "inside\n" || text.is_empty(), "{a}: {out:?}");
    }
    // An inherited directory descriptor (fd 3 on the host's /) is not the guest's.
    let out = run(
        Command::new("sh").arg("-c").arg(format!(
            "exec 3</ ; exec '{}' run --root '{}' /cat3 etc/passwd",
            ferrovm(),
            jail.display()
        )),
        &[],
        None,
    );
    assert_eq!(out.status, 9, "openat(3, ...) must be EBADF in the guest: {out:?}");
    // Inside the root, the same program works on the guest's own file.
    let ok = run(Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).args(["/cat", "/secret.txt"]), &[], None);
    assert_eq!((ok.status, ok.stdout.as_slice()), (0, &b"inside\n"[..]));
    // openat2 with each RESOLVE_* flag the guest may pick: the root holds.
    // RESOLVE_NO_XDEV 1, NO_MAGICLINKS 2, NO_SYMLINKS 4, BENEATH 8, IN_ROOT 16.
    for resolve in [0u64, 1, 2, 4, 8, 16, 16 | 8] {
        write_exe(&jail.join("cat2"), &cat2_elf(resolve));
        for a in &attempts {
            let out = run(
                Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).arg("/cat2").arg(a).current_dir(&jail),
                &[],
                None,
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(!text.contains("SECRET OUTSIDE") && !text.contains("root:"), "openat2 {resolve:#x} {a}: {text}");
            assert!(out.status != 0 || text == "inside\n" || text.is_empty(), "openat2 {resolve:#x} {a}: {out:?}");
        }
    }
    for resolve in [0u64, 8, 16] {
        write_exe(&jail.join("cat2"), &cat2_elf(resolve));
        let ok =
            run(Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).args(["/cat2", "secret.txt"]), &[], None);
        assert_eq!((ok.status, ok.stdout.as_slice()), (0, &b"inside\n"[..]), "openat2 {resolve:#x} inside the root");
    }
}

#[test]
fn confined_execve_stays_inside() {
    let (top, jail) = escape_fixture();
    write_exe(&jail.join("exec"), &exec_elf());
    let confined = |args: &[&str]| {
        run(Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).arg("/exec").args(args), &[], None)
    };
    // A script whose interpreter is inside the root runs (the interpreter,
    // /cat, prints the script it is given).
    std::fs::write(jail.join("script"), "#!/cat\n").expect("script");
    let mut perms = std::fs::metadata(jail.join("script")).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(jail.join("script"), perms.clone()).expect("chmod");
    let out = confined(&["/script"]);
    assert_eq!((out.status, out.stdout.as_slice()), (0, &b"#!/cat\n"[..]), "{out:?}");
    // An interpreter named by its host path outside the root is looked up
    // inside it: not found.
    let outside = top.0.join("outside-cat");
    write_exe(&outside, &cat_elf(-100));
    std::fs::write(jail.join("escape"), format!("#!{} /secret.txt\n", outside.display())).expect("script");
    std::fs::set_permissions(jail.join("escape"), perms.clone()).expect("chmod");
    let out = confined(&["/escape"]);
    assert_eq!(out.status, 2, "ENOENT expected: {out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("SECRET"), "{out:?}");
    // Symlinks and .. to the program outside stay inside too.
    std::os::unix::fs::symlink(&outside, jail.join("prog-link")).expect("symlink");
    for p in ["/prog-link", "/../outside-cat", "../../outside-cat"] {
        let out = confined(&[p, "/secret.txt"]);
        assert!(out.status != 0 && out.stdout.is_empty(), "{p}: {out:?}");
    }
    // A host (x86-64) binary inside the root is refused: ENOEXEC.
    if cfg!(target_arch = "x86_64") && Path::new("/bin/true").exists() {
        std::fs::copy("/bin/true", jail.join("host-true")).expect("copy");
        let out = confined(&["/host-true"]);
        assert_eq!(out.status, 8, "ENOEXEC expected: {out:?}");
        // In host mode the same binary runs natively.
        let out = run(Command::new(ferrovm()).arg("run").arg(jail.join("exec")).arg(jail.join("host-true")), &[], None);
        assert_eq!(out.status, 0, "{out:?}");
    }
    // execve does not search the sysroot (-L) for the program itself, as
    // qemu-riscv64's execve goes to the host kernel: with a riscv64 program
    // at SYSROOT/<the host binary's path>, the host binary still runs.
    if cfg!(target_arch = "x86_64") && Path::new("/bin/true").exists() {
        let sysroot = top.0.join("sysroot");
        let shadow = sysroot.join(jail.join("host-true").strip_prefix("/").expect("absolute"));
        std::fs::create_dir_all(shadow.parent().expect("parent")).expect("mkdir");
        write_exe(&shadow, &cat_elf(-100));
        let out = run(
            Command::new(ferrovm())
                .arg("run")
                .arg("-L")
                .arg(&sysroot)
                .arg(jail.join("exec"))
                .arg(jail.join("host-true")),
            &[],
            None,
        );
        assert_eq!((out.status, out.stdout.as_slice()), (0, &b""[..]), "the host's binary must run: {out:?}");
    }
}

/// An `AF_UNIX` stream socket on `path` (in rodata): `bind` (then
/// `getsockname`, whose address it writes to stdout) or `connect`. Exits 0,
/// or with the errno of the call that failed.
fn unix_socket_elf(path: &str, bind: bool) -> Vec<u8> {
    use Insn::*;
    let mut addr = 1u16.to_le_bytes().to_vec();
    addr.extend_from_slice(path.as_bytes());
    addr.push(0);
    let mut prog = vec![
        Word(addi(A0, ZERO, 1)),
        Word(addi(A1, ZERO, 1)),
        Word(addi(A2, ZERO, 0)),
        Word(addi(A7, ZERO, 198)), // socket
        Word(ECALL),
        Branch(4, A0, ZERO, "fail"),
        Word(addi(S1, A0, 0)),
        Word(lui(A1, 0x20)),
        Word(addi(A2, ZERO, addr.len() as i32)),
        Word(addi(A7, ZERO, if bind { 200 } else { 203 })), // bind / connect
        Word(ECALL),
        Branch(4, A0, ZERO, "fail"),
    ];
    if bind {
        prog.extend([
            Word(lui(S0, 0x40)),
            Word(addi(A3, ZERO, 110)),
            Word(sd(A3, S0, 256)),
            Word(addi(A0, S1, 0)),
            Word(addi(A1, S0, 0)),
            Word(addi(A2, S0, 256)),
            Word(addi(A7, ZERO, 204)), // getsockname
            Word(ECALL),
            Branch(4, A0, ZERO, "fail"),
            Word(ld(A2, S0, 256)),
            Word(addi(A1, S0, 0)),
            Word(addi(A0, ZERO, 1)),
            Word(addi(A7, ZERO, 64)), // write
            Word(ECALL),
        ]);
    }
    prog.extend([
        Word(addi(A0, ZERO, 0)),
        Word(addi(A7, ZERO, 94)),
        Word(ECALL),
        Label("fail"),
        Word(sub(A0, ZERO, A0)),
        Word(addi(A7, ZERO, 94)),
        Word(ECALL),
    ]);
    elf(&assemble(&prog), &addr)
}

#[test]
fn confined_mode_unix_sockets_stay_inside() {
    let (top, jail) = escape_fixture();
    let outside = top.0.join("outside.sock");
    let listener = std::os::unix::net::UnixListener::bind(&outside).expect("bind outside");
    listener.set_nonblocking(true).expect("nonblocking");
    let link = |target: &Path, name: &str| std::os::unix::fs::symlink(target, jail.join(name)).expect("symlink");
    link(&outside, "sock-abs-link");
    link(Path::new("../outside.sock"), "sock-rel-link");
    let outside_str = outside.to_str().expect("utf-8").to_string();
    let guest = |name: &str, path: &str, bind: bool| {
        let exe = jail.join(name);
        write_exe(&exe, &unix_socket_elf(path, bind));
        run_with_timeout(
            Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).arg(format!("/{name}")).current_dir(&jail),
            Duration::from_secs(30),
        )
    };
    // connect: every route to the socket outside the root fails.
    for (i, a) in [
        outside_str.as_str(),
        "/../outside.sock",
        "../../outside.sock",
        "sock-abs-link",
        "sock-rel-link",
        "top-dir/outside.sock",
        "sub/deeper/up/outside.sock",
    ]
    .into_iter()
    .enumerate()
    {
        let out = guest(&format!("connect{i}"), a, false);
        assert_ne!(out.status, 0, "connect({a}) reached a socket: {out:?}");
        assert!(listener.accept().is_err(), "connect({a}) escaped the root");
    }
    // bind: whatever the name, the socket file is created inside the root,
    // and getsockname gives back the guest's name, not a host path.
    let host_top = top.0.to_str().expect("utf-8").to_string();
    for (i, a) in [
        "/../escaped0.sock".to_string(),
        "top-dir/escaped1.sock".to_string(),
        format!("{host_top}/escaped2.sock"),
        "sub/deeper/up/escaped3.sock".to_string(),
    ]
    .iter()
    .enumerate()
    {
        let out = guest(&format!("bind{i}"), a, true);
        assert!(!top.0.join(format!("escaped{i}.sock")).exists(), "bind({a}) created a socket outside the root");
        let name = String::from_utf8_lossy(&out.stdout);
        assert!(!name.contains(&host_top) || out.status != 0, "bind({a}): getsockname leaked {name:?}");
    }
    // Inside the root, bind and connect work, and the name is the guest's.
    let out = guest("bind-ok", "/sub/inside.sock", true);
    assert_eq!(out.status, 0, "{out:?}");
    assert_eq!(out.stdout, b"\x01\0/sub/inside.sock\0", "getsockname");
    assert!(jail.join("sub/inside.sock").exists());
    let server = std::os::unix::net::UnixListener::bind(jail.join("served.sock")).expect("bind inside");
    server.set_nonblocking(true).expect("nonblocking");
    let out = guest("connect-ok", "sub/../served.sock", false);
    assert_eq!(out.status, 0, "{out:?}");
    assert!(server.accept().is_ok(), "the guest did not connect inside the root");
}

// ---------------------------------------------------------------------------
// Malformed ELF files.

#[test]
fn malformed_elf_corpus_gives_one_line_errors() {
    let dir = root().join("tests/elf-corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/elf-corpus exists (make_corpus.py)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "elf"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} corpus files", files.len());
    for f in &files {
        let out = run(Command::new(ferrovm()).arg("run").arg(f), &[], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status != 0 && out.status < 128, "{}: status {}", f.display(), out.status);
        assert_eq!(err.lines().count(), 1, "{}: not one line:\n{err}", f.display());
        assert!(err.starts_with("ferrovm: ") && !err.contains("panicked"), "{}: {err}", f.display());
    }
}

#[test]
fn mutated_elf_files_never_panic() {
    // A stable-Rust stand-in for the cargo-fuzz target: random byte flips of
    // a real program, each run must end (any status) without a panic.
    let base = std::fs::read(root().join("tests/guests/bin/min_hello")).expect("min_hello");
    let dir = TempDir::new("mut");
    let mut rng = XorShift(seed() ^ 0x5eed);
    let cases = iterations(40);
    for i in 0..cases {
        let mut data = base.clone();
        for _ in 0..1 + rng.below(8) {
            let at = if rng.below(2) == 0 { rng.below(128) } else { rng.below(data.len() as u64) } as usize;
            data[at] = rng.next() as u8;
        }
        if rng.below(4) == 0 {
            data.truncate(rng.below(data.len() as u64) as usize);
        }
        let path = dir.0.join(format!("m{i}"));
        write_exe(&path, &data);
        let out = run_with_timeout(Command::new(ferrovm()).arg("run").arg(&path), Duration::from_secs(20));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && out.status != 101, "case {i}: {err}");
    }
}

// ---------------------------------------------------------------------------
// Syscall fuzzing.

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

fn seed() -> u64 {
    std::env::var("FERROVM_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15)
}

fn iterations(default: u64) -> u64 {
    std::env::var("FERROVM_FUZZ_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Outcome {
    let mut child = cmd
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ferrovm");
    let start = Instant::now();
    let out_pipe = child.stdout.take();
    let err_pipe = child.stderr.take();
    let reader = |p: Option<std::process::ChildStdout>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut p) = p {
                let _ = std::io::Read::read_to_end(&mut p, &mut v);
            }
            v
        })
    };
    let out_t = reader(out_pipe);
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut p) = err_pipe {
            let _ = std::io::Read::read_to_end(&mut p, &mut v);
        }
        v
    });
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            use std::os::unix::process::ExitStatusExt;
            let status = st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
            return Outcome {
                stdout: out_t.join().unwrap_or_default(),
                stderr: err_t.join().unwrap_or_default(),
                status,
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ferrovm did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Syscalls the fuzzer never makes: they end or fork the process, sleep or
/// block by design, signal other processes, install handlers at random
/// addresses, or change host limits. (`accept` is `accept4` without flags:
/// the socket it returns would block; `accept4` is made with
/// `SOCK_NONBLOCK`, see [`nonblocking`].)
const NEVER: &[u64] = &[
    93, 94, 220, 435, 221, 129, 130, 131, 139, 101, 115, 73, 72, 98, 133, 103, 261, 164, 134, 157, 154, 59, 33, 260,
    95, 137, 441, 202,
    // pidfd_send_signal signals other processes; System V objects are
    // host-wide: creating them outlives the test, the ctl calls could
    // remove another process's and shmat could map another process's
    // segment for the next random call to write; semop/msgsnd/msgrcv block
    // by design. (Bad pointers in them are covered by tests/guests.)
    424, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196,
    // clock_settime goes to the host: as root it would set the host's clock.
    112,
    // execveat replaces the process like execve; sched_setparam,
    // sched_setscheduler and setpriority go to the host: with random ids
    // they would change other host processes, and a real-time policy could
    // starve the machine.
    281, 118, 119, 140,
];
/// Memory syscalls: only in the second round, and never aimed at the code
/// or the call table (`shmdt` unmaps too).
const MEMORY: &[u64] = &[222, 215, 226, 216, 233, 227, 214, 197];

/// The socket and event-API calls (and the descriptor calls they meet).
const NET_EVENTS: &[u64] = &[
    198, 199, 200, 201, 242, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 243, 269, 19, 20, 21, 22, 26, 27, 28,
    74, 85, 86, 87, 63, 64, 25, 29, 57, 24,
];

/// `O_NONBLOCK`, which is also `SOCK_NONBLOCK`, `EFD_NONBLOCK`,
/// `TFD_NONBLOCK`, `IN_NONBLOCK` and `SFD_NONBLOCK`.
const O_NONBLOCK: u64 = 0o4000;

/// Keeps the socket and event calls from blocking by design: every
/// descriptor they create is non-blocking (and stays so: `F_SETFL` keeps
/// `O_NONBLOCK`, `FIONBIO` is not made), `epoll_pwait` waits at most 2 ms
/// (`epoll_pwait2`, whose timeout is a pointer, is in [`NEVER`]). Sockets
/// are `AF_UNIX` only, so random addresses never send packets to a network
/// and random netlink messages never reach the host's configuration.
fn nonblocking(rng: &mut XorShift, nr: u64, a: &mut [u64; 6]) {
    match nr {
        198 | 199 => {
            a[0] = 1;
            a[1] |= O_NONBLOCK;
        }
        242 => a[3] |= O_NONBLOCK,                      // accept4
        19 | 85 => a[1] |= O_NONBLOCK,                  // eventfd2, timerfd_create
        26 => a[0] |= O_NONBLOCK,                       // inotify_init1
        74 => a[3] |= O_NONBLOCK,                       // signalfd4
        22 => a[3] = rng.below(3),                      // epoll_pwait
        25 if a[1] == 4 => a[2] |= O_NONBLOCK,          // fcntl(F_SETFL)
        29 if a[1] & 0xffff_ffff == 0x5421 => a[1] = 0, // ioctl(FIONBIO)
        _ => {}
    }
}

fn fuzz_program(rng: &mut XorShift, calls: usize, memory: bool) -> Vec<u8> {
    const SCRATCH: u64 = 0x40000;
    let mut table = Vec::new();
    let known: Vec<u64> = (0..460).filter(|n| ferrovm_linux::nr::name(*n).is_some()).collect();
    let mut n_calls = 0;
    while n_calls < calls {
        let nr = match rng.below(10) {
            0 => rng.below(1000),
            1 => rng.next(),
            // A fifth of the calls are socket and event calls, so that they
            // meet the descriptors they create.
            2 | 3 => NET_EVENTS[rng.below(NET_EVENTS.len() as u64) as usize],
            _ => known[rng.below(known.len() as u64) as usize],
        };
        if NEVER.contains(&nr) || MEMORY.contains(&nr) && !memory {
            continue;
        }
        let mut args = [0u64; 6];
        for a in &mut args {
            *a = match rng.below(12) {
                0 => 0,
                1 => rng.below(8),
                2 => -100i64 as u64,
                3 => SCRATCH + rng.below(1 << 20),
                4 => SCRATCH + (1 << 20) - rng.below(64),
                5 => rng.next(),
                6 => 1 << rng.below(64),
                7 => u64::MAX - rng.below(4096),
                8 => (1 << 38) - rng.below(8192),
                9 => rng.below(1 << 16),
                10 => 0x8000_0000_0000_0000 | rng.below(64),
                _ => 0x1000 * rng.below(0x100),
            };
            // Keep memory calls away from the code, the table and the stack.
            if MEMORY.contains(&nr) && (*a < 0x40000 || *a >= (1 << 38) - (64 << 20) && *a < (1 << 38)) {
                *a = SCRATCH + 0x1000 * rng.below(0x100);
            }
        }
        nonblocking(rng, nr, &mut args);
        table.extend_from_slice(&nr.to_le_bytes());
        for a in args {
            table.extend_from_slice(&a.to_le_bytes());
        }
        n_calls += 1;
    }
    let mut code = vec![Insn::Word(lui(S0, 0x20))];
    for _ in 0..n_calls {
        code.push(Insn::Word(ld(A7, S0, 0)));
        for r in 0..6 {
            code.push(Insn::Word(ld(A0 + r, S0, 8 + 8 * r as i32)));
        }
        code.push(Insn::Word(ECALL));
        code.push(Insn::Word(addi(S0, S0, 56)));
    }
    code.extend([Insn::Word(addi(A0, ZERO, 0)), Insn::Word(addi(A7, ZERO, 94)), Insn::Word(ECALL)]);
    elf(&assemble(&code), &table)
}

#[test]
fn random_syscalls_never_crash_or_hang() {
    let dir = TempDir::new("sysfuzz");
    let jail = dir.0.join("root");
    std::fs::create_dir_all(&jail).expect("mkdir");
    let mut rng = XorShift(seed());
    let programs = iterations(12);
    for round in 0..programs {
        let memory = round % 2 == 1;
        let prog = dir.0.join(format!("fuzz{round}"));
        write_exe(&prog, &fuzz_program(&mut rng, 150, memory));
        let out = run_with_timeout(
            Command::new(ferrovm())
                .arg("run")
                .arg("--root")
                .arg(&jail)
                .arg(format!("/../fuzz{round}"))
                .current_dir(&jail),
            Duration::from_secs(30),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        // The program lives outside the root: --root must refuse it cleanly.
        assert_eq!(out.status, 125, "{err}");
        std::fs::copy(&prog, jail.join("fuzz")).expect("copy");
        let out = run_with_timeout(
            Command::new(ferrovm()).arg("run").arg("--root").arg(&jail).arg("/fuzz").current_dir(&jail),
            Duration::from_secs(30),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked") && out.status != 101 && out.status != 134, "round {round}: {err}");
        if !memory {
            // Without memory calls nothing can take the code away: every
            // call returns and the program exits 0.
            assert_eq!(out.status, 0, "round {round} (seed {:#x}): {err}", seed());
        }
    }
}
