//! `vfork` (`clone(CLONE_VM | CLONE_VFORK)`) with memory shared until the
//! child's `execve` or exit, as glibc's `posix_spawn` needs: its child
//! writes the `execve` error into the parent's memory before `_exit(127)`,
//! and the parent reads it once `clone` returns.
//!
//! ferrovm forks the host process for the child (guest memory is then a
//! copy-on-write copy) and the parent's calling thread waits, as on Linux,
//! until the child calls `execve` or exits. The child records its guest
//! writes from the fork on ([`AddressSpace::record_writes`]: the first
//! store to each page keeps the page as it was); at `execve` or exit it
//! sends the parent every run of bytes it changed, and the parent writes
//! them into its own memory before `clone` returns: what the parent's
//! threads see afterwards is what they would have seen with one shared
//! memory. Only the changed bytes go back, never whole pages: the parent's
//! other threads keep running meanwhile, and what they wrote next to the
//! child's bytes (a heap page, a lock word) stays theirs.
//!
//! Shared mappings (`MAP_SHARED`, System V segments) are shared already
//! and are skipped.
//!
//! Wire format, child to parent: records of an 8-byte little-endian guest
//! address, a 2-byte little-endian length (1 to 4096, within one page) and
//! that many bytes; end of file (the pipe's write end closes on `execve` or
//! exit) ends the wait.

use std::io::{Read, Write};
use std::ops::Range;
use std::os::fd::{AsFd, OwnedFd};

use ferrovm_mem::{AddressSpace, PAGE_SIZE};

use crate::process::Proc;

/// In the child, right after the fork: starts recording its writes.
pub(crate) fn start_tracking(mem: &AddressSpace) {
    mem.record_writes();
}

/// The runs of bytes where `now` differs from `before`, as (offset,
/// length).
fn changed_runs(before: &[u8], now: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    let n = before.len().min(now.len());
    while i < n {
        if before[i] == now[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && before[i] != now[i] {
            i += 1;
        }
        runs.push((start, i - start));
    }
    runs
}

/// In the child, at `execve` or exit: sends the bytes it changed to the
/// parent through `pipe`.
pub(crate) fn send_written(proc: &Proc, pipe: &OwnedFd) {
    let written = proc.mem.take_recorded_writes();
    let Ok(f) = pipe.try_clone() else { return };
    let mut out = std::io::BufWriter::new(std::fs::File::from(f));
    let shared: Vec<Range<u64>> = proc.shared_ranges();
    let mut now = vec![0u8; PAGE_SIZE as usize];
    for (page, before) in written {
        if shared.iter().any(|s| s.contains(&page)) || proc.mem.read_bytes_force(page, &mut now).is_err() {
            continue;
        }
        for (off, len) in changed_runs(&before, &now) {
            let record = out
                .write_all(&(page + off as u64).to_le_bytes())
                .and_then(|()| out.write_all(&(len as u16).to_le_bytes()))
                .and_then(|()| out.write_all(&now[off..off + len]));
            if record.is_err() {
                return;
            }
        }
    }
    let _ = out.flush();
}

/// In the parent: waits until the child's end of `pipe` closes, writing
/// every run of bytes it sends into guest memory (only where still mapped
/// here and not shared).
pub(crate) fn receive_written(mem: &AddressSpace, shared: &[Range<u64>], pipe: OwnedFd) {
    let mut input = std::io::BufReader::new(std::fs::File::from(pipe));
    let mut addr = [0u8; 8];
    let mut len = [0u8; 2];
    let mut data = vec![0u8; PAGE_SIZE as usize];
    loop {
        if input.read_exact(&mut addr).is_err() || input.read_exact(&mut len).is_err() {
            break;
        }
        let (a, n) = (u64::from_le_bytes(addr), usize::from(u16::from_le_bytes(len)));
        let page = a & !(PAGE_SIZE - 1);
        let Some(bytes) = data.get_mut(..n) else { break };
        if n == 0 || (a - page) as usize + n > PAGE_SIZE as usize || input.read_exact(bytes).is_err() {
            break;
        }
        if !mem.page_mapped(page) || shared.iter().any(|s| s.contains(&page)) {
            continue;
        }
        let _ = mem.write_bytes_force(a, bytes);
    }
    // End of file, or a torn or malformed record from a child that died:
    // wait for the end.
    let input = input.into_inner();
    let mut rest = [0u8; 4096];
    while matches!(rustix::io::read(input.as_fd(), &mut rest), Ok(n) if n > 0) {}
}

#[cfg(test)]
mod tests {
    use super::changed_runs;

    #[test]
    fn runs_of_changed_bytes() {
        assert_eq!(changed_runs(&[0; 8], &[0; 8]), vec![]);
        assert_eq!(changed_runs(&[0, 0, 0, 0, 0, 0], &[1, 1, 0, 2, 0, 3]), vec![(0, 2), (3, 1), (5, 1)]);
    }
}
