//! Host-side views of compiled code: the jitdump file `perf inject --jit`
//! reads, and the x86-64 disassembly `-d out_asm` prints (iced-x86).
//!
//! The jitdump format is Linux perf's `tools/perf/Documentation/jitdump-specification.txt`:
//! a file header, then one record per event; ferrovm writes
//! `JIT_CODE_LOAD` records (a function's name, address and machine code).
//! perf finds the file through an executable `mmap` of it that it sees in
//! the profile, so [`JitDump::create`] maps it once.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Write as _;
use std::path::Path;

/// `JITHEADER_MAGIC` ("JiTD" read as a little-endian u32).
const MAGIC: u32 = 0x4A69_5444;
/// `JITHEADER_VERSION`.
const VERSION: u32 = 1;
/// Size of the file header.
const HEADER_SIZE: u32 = 40;
/// `EM_X86_64` in the header's `elf_mach`.
const EM_X86_64: u32 = 62;
/// `JIT_CODE_LOAD` record id.
const JIT_CODE_LOAD: u32 = 0;
/// `JIT_CODE_CLOSE` record id.
const JIT_CODE_CLOSE: u32 = 3;

/// Nanoseconds of `CLOCK_MONOTONIC`, the clock `perf record -k mono` uses
/// (perf matches jitdump records to samples by it).
fn timestamp() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64).wrapping_mul(1_000_000_000).wrapping_add(t.tv_nsec as u64)
}

/// An open jitdump file (`DIR/jit-PID.dump`).
#[derive(Debug)]
pub(crate) struct JitDump {
    file: std::io::BufWriter<File>,
    index: u64,
    pid: u32,
}

impl JitDump {
    /// Creates `dir/jit-PID.dump`, writes the header and maps the file
    /// executable (the marker perf looks for).
    pub(crate) fn create(dir: &Path) -> std::io::Result<JitDump> {
        let pid = std::process::id();
        let path = dir.join(format!("jit-{pid}.dump"));
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
        let page = rustix::param::page_size();
        // SAFETY: a fresh private mapping of a file we own, at an address
        // the kernel chooses; nothing reads or writes through it (it only
        // has to exist for perf), and it is never unmapped.
        unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                page,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::EXEC,
                rustix::mm::MapFlags::PRIVATE,
                &file,
                0,
            )
        }
        .map_err(std::io::Error::from)?;
        let mut head = Vec::with_capacity(HEADER_SIZE as usize);
        for w in [MAGIC, VERSION, HEADER_SIZE, EM_X86_64, 0, pid] {
            head.extend_from_slice(&w.to_le_bytes());
        }
        head.extend_from_slice(&timestamp().to_le_bytes());
        head.extend_from_slice(&0u64.to_le_bytes()); // flags
        let mut file = std::io::BufWriter::new(file);
        file.write_all(&head)?;
        file.flush()?;
        Ok(JitDump { file, index: 0, pid })
    }

    /// A `JIT_CODE_LOAD` record: `code` now runs at `addr` under `name`.
    /// Best effort (a profiling aid): write errors are ignored.
    pub(crate) fn code_load(&mut self, name: &str, addr: u64, code: &[u8]) {
        let tid = rustix::thread::gettid().as_raw_nonzero().get() as u32;
        let size = 16 + 8 + 32 + name.len() + 1 + code.len();
        let mut rec = Vec::with_capacity(size);
        rec.extend_from_slice(&JIT_CODE_LOAD.to_le_bytes());
        rec.extend_from_slice(&(size as u32).to_le_bytes());
        rec.extend_from_slice(&timestamp().to_le_bytes());
        rec.extend_from_slice(&self.pid.to_le_bytes());
        rec.extend_from_slice(&tid.to_le_bytes());
        for w in [addr, addr, code.len() as u64, self.index] {
            rec.extend_from_slice(&w.to_le_bytes());
        }
        rec.extend_from_slice(name.as_bytes());
        rec.push(0);
        rec.extend_from_slice(code);
        self.index += 1;
        let _ = self.file.write_all(&rec).and_then(|()| self.file.flush());
    }
}

impl Drop for JitDump {
    fn drop(&mut self) {
        let mut rec = Vec::with_capacity(16);
        rec.extend_from_slice(&JIT_CODE_CLOSE.to_le_bytes());
        rec.extend_from_slice(&16u32.to_le_bytes());
        rec.extend_from_slice(&timestamp().to_le_bytes());
        let _ = self.file.write_all(&rec).and_then(|()| self.file.flush());
    }
}

/// x86-64 machine code at host address `ip`, one instruction a line
/// (`0xADDR:  insn`, AT&T syntax as QEMU's `-d out_asm` prints it).
pub fn disassemble(code: &[u8], ip: u64) -> String {
    use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction};
    let mut decoder = Decoder::with_ip(64, code, ip, DecoderOptions::NONE);
    let mut formatter = GasFormatter::new();
    let (mut insn, mut text, mut out) = (Instruction::default(), String::new(), String::new());
    while decoder.can_decode() {
        decoder.decode_out(&mut insn);
        text.clear();
        formatter.format(&insn, &mut text);
        let _ = writeln!(out, "{:#018x}:  {text}", insn.ip());
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_host_code() {
        // push %rbp; mov %rsp,%rbp; ret
        let text = disassemble(&[0x55, 0x48, 0x89, 0xe5, 0xc3], 0x1000);
        assert_eq!(
            text,
            "0x0000000000001000:  push %rbp\n0x0000000000001001:  mov %rsp,%rbp\n0x0000000000001004:  ret"
        );
    }

    #[test]
    fn jitdump_records_parse() {
        let dir = std::env::temp_dir().join(format!("ferrovm-jitdump-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut d = JitDump::create(&dir).unwrap();
        d.code_load("riscv64:main", 0x4000, &[0xc3]);
        drop(d);
        let bytes = std::fs::read(dir.join(format!("jit-{}.dump", std::process::id()))).unwrap();
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        assert_eq!(u32_at(0), MAGIC);
        assert_eq!(u32_at(8), HEADER_SIZE);
        let rec = HEADER_SIZE as usize;
        assert_eq!(u32_at(rec), JIT_CODE_LOAD);
        let size = u32_at(rec + 4) as usize;
        assert_eq!(&bytes[rec + 56..rec + 56 + 13], b"riscv64:main\0");
        assert_eq!(bytes[rec + size - 1], 0xc3);
        assert_eq!(u32_at(rec + size), JIT_CODE_CLOSE);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
