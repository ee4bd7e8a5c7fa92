//! `vfork` (`clone(CLONE_VM | CLONE_VFORK)`) with memory shared until the
//! child's `execve` or exit, as glibc's `posix_spawn` needs: its child
//! writes the `execve` error into the parent's memory before `_exit(127)`,
//! and the parent reads it once `clone` returns.
//!
//! ferrovm forks the host process for the child (guest memory is then a
//! copy-on-write copy) and the parent's calling thread waits, as on Linux,
//! until the child calls `execve` or exits. At that point the child sends
//! every guest page it wrote back to the parent through the vfork pipe, and
//! the parent writes them into its own memory before `clone` returns: what
//! the parent's thread sees afterwards is what it would have seen with one
//! shared memory.
//!
//! The pages the child wrote are the host's soft-dirty pages
//! (`/proc/self/clear_refs` right after the fork, bit 55 of
//! `/proc/self/pagemap` at the end). A kernel without soft-dirty tracking
//! falls back to the pages the child maps exclusively (bit 56): those are
//! the ones it wrote, plus any that other parent threads wrote meanwhile.
//! Shared mappings (`MAP_SHARED`, System V segments) are shared already
//! and are skipped.
//!
//! Wire format, child to parent: records of an 8-byte little-endian guest
//! page address followed by the page's 4096 bytes; end of file (the pipe's
//! write end closes on `execve` or exit) ends the wait.

use std::io::{Read, Write};
use std::ops::Range;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;

use ferrovm_mem::{AddressSpace, PAGE_SIZE};

use crate::process::Proc;

/// `/proc/self/pagemap` bits.
const PM_SOFT_DIRTY: u64 = 1 << 55;
const PM_EXCLUSIVE: u64 = 1 << 56;

/// Starts tracking the child's writes (in the child, right after the
/// fork). Returns whether soft-dirty tracking works: clearing must succeed
/// and a page written afterwards must show the bit (kernels without
/// `CONFIG_MEM_SOFT_DIRTY` accept the clear and never set it).
pub(crate) fn start_tracking() -> bool {
    let cleared =
        std::fs::OpenOptions::new().write(true).open("/proc/self/clear_refs").and_then(|mut f| f.write_all(b"4"));
    if cleared.is_err() {
        return false;
    }
    let mut probe = vec![0u8; 2 * PAGE_SIZE as usize];
    let at = probe.as_ptr() as u64;
    let page = (at + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    if let Some(b) = probe.get_mut((page - at) as usize) {
        // Volatile-free is fine: the read below happens after the write
        // through `probe`, which stays alive.
        *b = 1;
    }
    let Ok(pagemap) = std::fs::File::open("/proc/self/pagemap") else { return false };
    let mut e = [0u8; 8];
    let ok = pagemap.read_exact_at(&mut e, page / PAGE_SIZE * 8).is_ok() && u64::from_le_bytes(e) & PM_SOFT_DIRTY != 0;
    drop(std::hint::black_box(probe));
    ok
}

/// The guest ranges the child may have written and the parent should get
/// back: every mapping, minus the shared ones.
fn private_ranges(proc: &Proc) -> Vec<Range<u64>> {
    let shared: Vec<Range<u64>> = proc.shared_ranges();
    let mut out = Vec::new();
    for m in proc.mem.mappings() {
        let mut pieces: Vec<Range<u64>> = std::iter::once(m.start..m.end).collect();
        for s in &shared {
            pieces = pieces
                .into_iter()
                .flat_map(|r| {
                    if s.end <= r.start || s.start >= r.end {
                        vec![r]
                    } else {
                        [r.start..s.start.max(r.start), s.end.min(r.end)..r.end]
                            .into_iter()
                            .filter(|x| !x.is_empty())
                            .collect()
                    }
                })
                .collect();
        }
        out.extend(pieces);
    }
    out
}

/// In the child, at `execve` or exit: sends the pages it wrote to the
/// parent through `pipe`.
pub(crate) fn send_written(proc: &Proc, soft_dirty: bool, pipe: &OwnedFd) {
    let Ok(pagemap) = std::fs::File::open("/proc/self/pagemap") else { return };
    let mut out = std::fs::File::from(match pipe.try_clone() {
        Ok(f) => f,
        Err(_) => return,
    });
    let bit = if soft_dirty { PM_SOFT_DIRTY } else { PM_EXCLUSIVE };
    let base = proc.mem.host_base() as u64;
    let mut page = vec![0u8; PAGE_SIZE as usize];
    let mut entries = vec![0u8; 8 * 512];
    for r in private_ranges(proc) {
        let mut at = r.start;
        while at < r.end {
            let n = ((r.end - at) / PAGE_SIZE).min(512) as usize;
            let buf = &mut entries[..8 * n];
            if pagemap.read_exact_at(buf, (base + at) / PAGE_SIZE * 8).is_err() {
                return;
            }
            for (i, e) in buf.chunks_exact(8).enumerate() {
                let mut w = [0u8; 8];
                w.copy_from_slice(e);
                if u64::from_le_bytes(w) & bit == 0 {
                    continue;
                }
                let addr = at + i as u64 * PAGE_SIZE;
                if proc.mem.read_bytes_force(addr, &mut page).is_err() {
                    continue;
                }
                if out.write_all(&addr.to_le_bytes()).and_then(|()| out.write_all(&page)).is_err() {
                    return;
                }
            }
            at += n as u64 * PAGE_SIZE;
        }
    }
}

/// In the parent: waits until the child's end of `pipe` closes, writing
/// every page it sends into guest memory (only pages still mapped here
/// and not shared).
pub(crate) fn receive_written(mem: &AddressSpace, shared: &[Range<u64>], pipe: OwnedFd) {
    let mut input = std::fs::File::from(pipe);
    let mut addr = [0u8; 8];
    let mut page = vec![0u8; PAGE_SIZE as usize];
    loop {
        if input.read_exact(&mut addr).is_err() || input.read_exact(&mut page).is_err() {
            // End of file (or a torn record from a child that died): done.
            let mut rest = [0u8; 4096];
            while matches!(rustix::io::read(input.as_fd(), &mut rest), Ok(n) if n > 0) {}
            return;
        }
        let a = u64::from_le_bytes(addr);
        if !a.is_multiple_of(PAGE_SIZE) || !mem.page_mapped(a) || shared.iter().any(|s| s.contains(&a)) {
            continue;
        }
        let _ = mem.write_bytes_force(a, &page);
    }
}
