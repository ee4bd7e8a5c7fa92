//! Executable memory that ferrovm owns: one region reserved up front, with
//! allocation and freeing per translation, W^X, and deferred reuse.
//!
//! * **One region.** [`CodeCache::new`] maps the whole byte budget at once,
//!   so every translation lies within one contiguous range (relative calls
//!   and jumps between translations always reach).
//! * **W^X.** No page is ever both writable and executable: the pages
//!   compiled code runs from are read-execute from the start and never
//!   writable. Code gets there one of three ways ([`WriteMethod`]):
//!   - **A writable alias** (the default where the kernel allows it): the
//!     region is a `memfd` mapped twice, read-execute where code runs and
//!     read-write at another address, and [`CodeCache::write`] is a
//!     `memcpy` into the second view, with no system call. The views are
//!     shared mappings: a host `fork` would share them with the child, and
//!     each side would write the other's code. So before the first fork
//!     ([`CodeCache::prepare_fork`], while nothing writes or runs code) the
//!     region becomes private memory holding the same code, written from
//!     then on through `/proc/self/mem`: one copy per process, and every
//!     later fork is copy-on-write, as before. (A copy for the child at
//!     every fork cost a shell 0.5 ms per subshell.)
//!   - **Through `/proc/self/mem`**: one `pwrite` per write (the kernel's
//!     forced write, as a debugger's), reopened in a forked child.
//!     (`python3 -c pass`, 40,800 blocks: that `pwrite` was 13% of all
//!     samples, which the alias saves.)
//!   - **Flipping protections** ([`Writes::Mprotect`], or where neither of
//!     the above works): `write` makes the pages it touches read-write and
//!     [`CodeCache::publish`] flips them to read-execute with `mprotect`; a
//!     page shared with published code is then made writable again only
//!     while no other thread is executing compiled code
//!     ([`Epochs::others_quiescent`]), otherwise allocation only uses pages
//!     that hold no published code. (bigprog, 8,500 blocks compiled: 329 ms
//!     with `mprotect`, 313 ms through `/proc/self/mem`.)
//! * **Freeing is deferred** ([`Epochs`]): a freed range goes to a limbo list
//!   tagged with the current epoch and is reused only once every thread has
//!   left native code since, so no thread can still be executing it.
//! * **Model-checked.** That protocol (a vCPU enters its epoch, loads a
//!   cell, runs the code, leaves; a writer unlinks, frees, reclaims and
//!   rewrites the bytes) is checked with [loom](https://docs.rs/loom) in
//!   `code_cache/loom_model.rs`, on the real [`Epochs`] and allocator, for
//!   one vCPU, two, a vCPU entering twice, and [`Epochs::others_quiescent`]:
//!   `RUSTFLAGS="--cfg loom" cargo test -p ferrovm-jit --release --lib
//!   --target-dir target/loom loom` (seconds, after a first build of a few
//!   minutes). `tests/all/stress.rs` runs the same with real threads and
//!   code in a tiny cache.
//! * **Budget.** When no free range is big enough, [`CodeCache::alloc`]
//!   returns `None`; the engine's policy then evicts translations or flushes
//!   and tries again, or runs the block in the interpreter.

use std::collections::BTreeMap;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, PoisonError};

use crate::sync::{AtomicU64, Mutex, fence};
use crate::{Error, Result};

/// How code should get into the region (the first that works).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writes {
    /// A writable alias of the region where the kernel allows it, else
    /// through `/proc/self/mem`, else [`Writes::Mprotect`].
    Auto,
    /// Through `/proc/self/mem` where the kernel allows it (one system
    /// call per write), else [`Writes::Mprotect`].
    ProcMem,
    /// Make pages read-write to write, read-execute to publish (two
    /// `mprotect` calls per translation).
    Mprotect,
}

/// How a cache writes code (what [`Writes`] came to on this kernel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMethod {
    /// A `memcpy` into a second, read-write mapping of the same memory;
    /// the pages code runs from are never writable.
    Alias,
    /// A `pwrite` to `/proc/self/mem`; the pages are never writable.
    ProcMem,
    /// Pages flip between read-write and read-execute.
    Mprotect,
}

/// The writer of a cache's code.
#[derive(Debug)]
enum Writer {
    /// The read-write view of the region's `memfd` (see the module docs),
    /// and the pages written through it since they were last dropped from
    /// it (see [`CodeCache::write`]).
    Alias {
        rw: NonNull<u8>,
        written: Written,
    },
    /// `/proc/self/mem`, open for writing, with the mark of the process
    /// that opened it (a forked child must not write its parent's memory:
    /// it reopens the file).
    ProcMem {
        file: std::fs::File,
        opener: ProcessMark,
    },
    Mprotect,
}

/// How much was written through the alias since its mappings were last
/// dropped, and how far both views are mapped ahead of the writes (see
/// [`ALIAS_POPULATE_PAGES`]).
#[derive(Debug, Default)]
struct Written {
    /// Pages written since the last drop (a page once per write to it).
    pages: usize,
    /// The end of the highest page written: below it lie every page
    /// written and every page patched ([`CodeCache::patch_rel32`]), which
    /// the alias maps again when it writes.
    high: usize,
    /// Pages below this were mapped in both views ahead of their first
    /// write.
    populated: usize,
}

impl Written {
    /// Before `pages` are written: maps pages past the highest written
    /// one in both `views` (the alias, then the code view), as many ahead
    /// as are written below, from 4 to [`ALIAS_POPULATE_PAGES`], within the
    /// region's `total` pages: a small program does not map pages it never
    /// writes (hello world writes 59 pages of code; 64 ahead from the start
    /// cost it 1.3 ms of its 7).
    fn populate(&mut self, pages: &std::ops::Range<usize>, views: [NonNull<u8>; 2], total: usize) {
        if pages.end <= self.populated {
            return;
        }
        let start = self.populated.max(pages.start);
        let end = (start + start.clamp(4, ALIAS_POPULATE_PAGES)).max(pages.end).min(total);
        for (view, advice) in views.into_iter().zip([libc::MADV_POPULATE_WRITE, libc::MADV_POPULATE_READ]) {
            // SAFETY: the pages lie in the view; populating maps them
            // (allocating the file's pages) and changes no byte. Refused by
            // kernels before 5.14: then the pages fault in as they are
            // touched.
            unsafe { libc::madvise(view.as_ptr().add(start * PAGE).cast(), (end - start) * PAGE, advice) };
        }
        self.populated = end;
    }

    /// After `pages` were written through the alias `rw`: once a quarter
    /// of the pages in use were (at least [`ALIAS_MIN_MAPPED_PAGES`], at
    /// most [`ALIAS_MAPPED_PAGES`]), drops the alias's mappings of every
    /// page below the highest written, patched ones included, in one call.
    fn note(&mut self, pages: std::ops::Range<usize>, rw: NonNull<u8>) {
        self.pages += pages.len();
        self.high = self.high.max(pages.end);
        if self.pages < (self.populated / 4).clamp(ALIAS_MIN_MAPPED_PAGES, ALIAS_MAPPED_PAGES) {
            return;
        }
        // SAFETY: the pages lie in the alias, a shared mapping only the
        // cache writes (under `&mut`): dropping its mappings keeps the
        // bytes in the file, and the next write or patch maps them again.
        unsafe { libc::madvise(rw.as_ptr().cast(), self.high * PAGE, libc::MADV_DONTNEED) };
        self.pages = 0;
    }
}

/// How many written pages the alias keeps mapped before it drops them.
/// Each page mapped in both views counts twice in the process's resident
/// set (python3 start-up: 95 MB against 84 MB with one view), though the
/// memory is the same; dropping the writable view's mappings in batches
/// of this many pages costs one `madvise` per batch (and a TLB shootdown
/// on the other CPUs running the process: batches of 64 pages made
/// Python's imports 10% slower) and a minor fault when a page is written
/// again.
const ALIAS_MAPPED_PAGES: usize = 512;

/// Fewer written pages than this stay mapped in the alias whatever the
/// code's size. A program with less code than 4 x [`ALIAS_MAPPED_PAGES`]
/// drops them in batches of a quarter of its code: the suite's `bigprog`
/// (2.8 MB of code, on one thread) kept 2 MB of alias mappings at its peak
/// (batches of 512, and the pages its chaining patched, which were not
/// dropped then) and stood 2.5 MB above `qemu-riscv64`'s resident set.
const ALIAS_MIN_MAPPED_PAGES: usize = 64;

/// Pages past the highest written one are mapped in both views in chunks
/// of up to this many before they are written (`MADV_POPULATE_WRITE` and
/// `_READ`): two system calls instead of a fault per page and view
/// (python3's imports: 23,281 page faults, about 15,000 so). More pages
/// ahead would count in a small program's resident set (512: 3 MB more
/// for the suite's hello world; 64: 0.4 MB more for `bigprog`, against 16).
const ALIAS_POPULATE_PAGES: usize = 16;

/// Alignment of every allocation (a cache-line half: good for branch targets).
pub const ALIGN: usize = 32;

const PAGE: usize = 4096;

/// An epoch value meaning "not executing compiled code".
const IDLE: u64 = u64::MAX;

/// An epoch value meaning "the participant is gone": out of compiled code
/// for good.
const GONE: u64 = u64::MAX - 1;

/// Epoch-based reclamation of code: who might still be running old code.
#[derive(Debug, Default)]
pub struct Epochs {
    global: AtomicU64,
    /// Each participant's slot. A slot outlives its participant, which
    /// stores [`GONE`] in it when dropped: a slot is forgotten only once
    /// that store is seen (with `Acquire`), so whatever the thread did in
    /// compiled code happens before any later reuse of the code.
    threads: Mutex<Vec<Arc<AtomicU64>>>,
}

/// One thread's registration with [`Epochs`]: it records the epoch it saw
/// when it entered compiled code, or idle; dropping it records that the
/// thread is gone.
#[derive(Debug)]
pub struct Participant {
    entered: Arc<AtomicU64>,
}

impl Participant {
    /// Marks the thread as (possibly) executing code reachable at the
    /// current epoch. Call before loading a code pointer to enter compiled
    /// code.
    #[inline]
    pub fn enter(&self, epochs: &Epochs) {
        // Release: a reclaimer that reads this epoch (newer than its tag)
        // also sees everything this thread did before, including reading
        // code it ran while entered earlier.
        self.entered.store(epochs.global.load(Ordering::SeqCst), Ordering::Release);
        // The store above must reach a reclaimer before this thread loads
        // a code pointer: a store-then-load order that only a SeqCst fence
        // gives. It pairs with the fence in `reclaimable`: either the
        // reclaimer sees this epoch, or this thread sees the cell's
        // unlink. (SeqCst accesses alone would not do: the cell's are
        // Release/Acquire.)
        fence(Ordering::SeqCst);
    }

    /// Marks the thread as out of compiled code.
    #[inline]
    pub fn leave(&self) {
        self.entered.store(IDLE, Ordering::Release);
    }

    fn is(&self, other: &Arc<AtomicU64>) -> bool {
        Arc::ptr_eq(&self.entered, other)
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        self.entered.store(GONE, Ordering::Release);
    }
}

impl Epochs {
    /// Registers a thread.
    pub fn register(&self) -> Participant {
        let entered = Arc::new(AtomicU64::new(IDLE));
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads.retain(|e| e.load(Ordering::Acquire) != GONE);
        threads.push(Arc::clone(&entered));
        Participant { entered }
    }

    /// Ends the current epoch: code unlinked before this call is unreachable
    /// for threads that enter compiled code after it. Returns the tag for
    /// [`Epochs::reclaimable`].
    pub fn advance(&self) -> u64 {
        self.global.fetch_add(1, Ordering::SeqCst)
    }

    /// Whether code freed with `tag` can no longer be running anywhere.
    pub fn reclaimable(&self, tag: u64) -> bool {
        let threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        // Orders the caller's unlinks before the loads below (see `enter`).
        fence(Ordering::SeqCst);
        threads.iter().all(|e| {
            let v = e.load(Ordering::SeqCst);
            matches!(v, IDLE | GONE) || v > tag
        })
    }

    /// Forgets every participant but `keep` (in a forked child, where the
    /// other threads do not exist).
    pub fn retain_only(&self, keep: &Participant) {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads.retain(|e| keep.is(e));
    }

    /// Whether every thread other than `me` is out of compiled code.
    pub fn others_quiescent(&self, me: Option<&Participant>) -> bool {
        let threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        // As in `reclaimable`: a thread that entered before this point is
        // seen (one that enters after it is not: this is a snapshot).
        fence(Ordering::SeqCst);
        threads.iter().filter(|e| !me.is_some_and(|m| m.is(e))).all(|e| matches!(e.load(Ordering::SeqCst), IDLE | GONE))
    }
}

/// A range of the code cache owned by one translation.
#[derive(Debug, PartialEq, Eq)]
pub struct Allocation {
    offset: usize,
    len: usize,
}

impl Allocation {
    /// Size in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the allocation is empty (never: allocations are at least
    /// [`ALIGN`] bytes).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The code region (see the module docs).
#[derive(Debug)]
pub struct CodeCache {
    base: NonNull<u8>,
    size: usize,
    /// Free ranges: offset → length, coalesced.
    free: BTreeMap<usize, usize>,
    /// Freed ranges waiting for their epoch to pass.
    limbo: Vec<(u64, Allocation)>,
    /// Per page: currently read-execute.
    exec: Vec<bool>,
    /// Per page: allocations touching it.
    users: Vec<u32>,
    used: usize,
    epochs: Arc<Epochs>,
    writer: Writer,
    /// With `mprotect` writes: whether a page holding published code may
    /// take new code while no other thread runs compiled code. Off once
    /// several threads may run code (see [`CodeCache::set_shared_pages`]).
    shared_pages: bool,
}

// SAFETY: the region is owned by this value; all mutation goes through
// `&mut self`, and compiled code only executes published pages.
unsafe impl Send for CodeCache {}

impl Drop for CodeCache {
    fn drop(&mut self) {
        // SAFETY: `base..base + size` is the mapping made in `new` (and
        // `rw..rw + size` its alias), and no compiled code can run any
        // more: the JIT owning this cache is gone.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.size);
            if let Writer::Alias { rw, .. } = &self.writer {
                libc::munmap(rw.as_ptr().cast(), self.size);
            }
        }
    }
}

/// Tells whether this is still the process that set the mark, or a child
/// forked from it since, without a system call per question: one private
/// page advised `MADV_WIPEONFORK` (Linux 4.14) holds 1, and reads 0 in a
/// forked child. (`getpid` before every code write was a system call per
/// compiled block: 8,455 for bigprog.) Where the advice is refused, the
/// process id decides.
#[derive(Debug)]
struct ProcessMark {
    page: Option<NonNull<u8>>,
    pid: u32,
}

impl ProcessMark {
    /// A mark set for this process.
    fn new() -> Self {
        // SAFETY: an anonymous private mapping at a kernel-chosen address
        // touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        let page = (p != libc::MAP_FAILED).then(|| NonNull::new(p.cast::<u8>())).flatten().filter(|page| {
            // SAFETY: `page` is the page mapped above, owned here.
            let advised = unsafe { libc::madvise(page.as_ptr().cast(), PAGE, libc::MADV_WIPEONFORK) } == 0;
            if !advised {
                // SAFETY: as above; nothing refers to it.
                unsafe { libc::munmap(page.as_ptr().cast(), PAGE) };
            }
            advised
        });
        let mut mark = ProcessMark { page, pid: 0 };
        mark.set();
        mark
    }

    /// Marks the current process as the one.
    fn set(&mut self) {
        match self.page {
            // SAFETY: the mark's own readable and writable page.
            Some(page) => unsafe { page.as_ptr().write_volatile(1) },
            None => self.pid = std::process::id(),
        }
    }

    /// Whether this is a process other than the one marked.
    fn moved(&self) -> bool {
        match self.page {
            // SAFETY: the mark's own readable page (a forked child has its
            // own, zero-filled copy).
            Some(page) => (unsafe { page.as_ptr().read_volatile() }) != 1,
            None => self.pid != std::process::id(),
        }
    }
}

impl Drop for ProcessMark {
    fn drop(&mut self) {
        if let Some(page) = self.page {
            // SAFETY: the page mapped in `new`; nothing else refers to it.
            unsafe { libc::munmap(page.as_ptr().cast(), PAGE) };
        }
    }
}

fn round_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}

impl CodeCache {
    /// Reserves a region of `budget` bytes (rounded up to whole pages, at
    /// least one page), writing code the best way the kernel allows
    /// ([`Writes::Auto`]).
    pub fn new(budget: usize, epochs: Arc<Epochs>) -> Result<Self> {
        Self::with_writes(budget, epochs, Writes::Auto)
    }

    /// [`CodeCache::new`] with an explicit way of writing code.
    pub fn with_writes(budget: usize, epochs: Arc<Epochs>, writes: Writes) -> Result<Self> {
        let size = round_up(budget.max(PAGE), PAGE);
        let pages = size / PAGE;
        let cache = |base, writer, exec| CodeCache {
            base,
            size,
            free: BTreeMap::from([(0, size)]),
            limbo: Vec::new(),
            exec: vec![exec; pages],
            users: vec![0; pages],
            used: 0,
            epochs: Arc::clone(&epochs),
            writer,
            shared_pages: true,
        };
        if writes == Writes::Auto
            && let Some((base, rw)) = Self::map_alias(size)
        {
            return Ok(cache(base, Writer::Alias { rw, written: Written::default() }, true));
        }
        // SAFETY: an anonymous private mapping at a kernel-chosen address
        // touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::Mmap(std::io::Error::last_os_error()));
        }
        let base = NonNull::new(p.cast::<u8>()).ok_or(Error::Mmap(std::io::Error::other("null mapping")))?;
        let mut cache = cache(base, Writer::Mprotect, false);
        if writes != Writes::Mprotect {
            // Every page read-execute from now on, written only through
            // /proc/self/mem, if the kernel allows that.
            cache.protect(0..pages, true)?;
            match cache.open_mem_writes() {
                Some(file) => cache.writer = Writer::ProcMem { file, opener: ProcessMark::new() },
                None => cache.protect(0..pages, false)?,
            }
        }
        Ok(cache)
    }

    /// A new `memfd` of `size` bytes.
    fn memfd(size: usize) -> std::io::Result<std::fs::File> {
        let fd = rustix::fs::memfd_create("ferrovm-code", rustix::fs::MemfdFlags::CLOEXEC)?;
        let file = std::fs::File::from(fd);
        file.set_len(size as u64)?;
        Ok(file)
    }

    /// Maps `size` bytes of `fd` shared with protection `prot`, at `at`
    /// (replacing what is there) or where the kernel chooses.
    ///
    /// # Safety
    ///
    /// With `at`, `at..at + size` must be a mapping owned by the caller
    /// that nothing executes or accesses while it is replaced.
    unsafe fn map_view(
        fd: &impl std::os::fd::AsRawFd,
        size: usize,
        prot: i32,
        at: Option<NonNull<u8>>,
    ) -> std::io::Result<NonNull<u8>> {
        let (addr, fixed) = match at {
            Some(p) => (p.as_ptr().cast(), libc::MAP_FIXED),
            None => (std::ptr::null_mut(), 0),
        };
        // SAFETY: a shared mapping of the caller's file, at a
        // kernel-chosen address or over a mapping the caller owns and
        // nothing uses meanwhile (the function's contract).
        let p = unsafe { libc::mmap(addr, size, prot, libc::MAP_SHARED | fixed, fd.as_raw_fd(), 0) };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        NonNull::new(p.cast::<u8>()).ok_or_else(|| std::io::Error::other("null mapping"))
    }

    /// The region as a `memfd` mapped twice: read-execute (returned first)
    /// and read-write (the mappings keep the file alive). `None` where the
    /// kernel refuses (no `memfd`, or no executable mapping of one:
    /// `vm.memfd_noexec`, a security module).
    fn map_alias(size: usize) -> Option<(NonNull<u8>, NonNull<u8>)> {
        let file = Self::memfd(size).ok()?;
        // SAFETY: new mappings at kernel-chosen addresses.
        let rx = unsafe { Self::map_view(&file, size, libc::PROT_READ | libc::PROT_EXEC, None) }.ok()?;
        // SAFETY: as above.
        match unsafe { Self::map_view(&file, size, libc::PROT_READ | libc::PROT_WRITE, None) } {
            Ok(rw) => Some((rx, rw)),
            Err(_) => {
                // SAFETY: the mapping made above; nothing refers to it.
                unsafe { libc::munmap(rx.as_ptr().cast(), size) };
                None
            }
        }
    }

    /// `/proc/self/mem`, open for writing, if the kernel lets it write the
    /// region's read-execute pages (tried on the last page, rewriting the
    /// byte there; some kernels refuse: `proc_mem.force_override`).
    fn open_mem_writes(&self) -> Option<std::fs::File> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::OpenOptions::new().write(true).open("/proc/self/mem").ok()?;
        let at = self.size - 1;
        // SAFETY: the region is mapped readable; nothing writes it meanwhile.
        let byte = unsafe { self.base.as_ptr().add(at).read_volatile() };
        file.write_all_at(&[byte], self.base.as_ptr() as u64 + at as u64).is_ok().then_some(file)
    }

    /// How this cache writes code.
    pub fn write_method(&self) -> WriteMethod {
        match self.writer {
            Writer::Alias { .. } => WriteMethod::Alias,
            Writer::ProcMem { .. } => WriteMethod::ProcMem,
            Writer::Mprotect => WriteMethod::Mprotect,
        }
    }

    /// Before a host `fork`, while nothing writes or runs code (the caller
    /// has stopped every thread that could): with a writable alias, the
    /// region becomes private memory with the same code at the same
    /// addresses, written through `/proc/self/mem` from now on (or, where
    /// the kernel refuses that, by flipping protections). The alias's
    /// shared views would stay shared with the child. On an error nothing
    /// changed (the fork should fail).
    pub fn prepare_fork(&mut self) -> Result<()> {
        let Writer::Alias { rw, .. } = &self.writer else { return Ok(()) };
        let rw = *rw;
        // SAFETY: an anonymous private mapping at a kernel-chosen address
        // touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                self.size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::Mmap(std::io::Error::last_os_error()));
        }
        let fresh = p.cast::<u8>();
        let mut at = 0;
        for (&start, &len) in self.free.iter().chain([(&self.size, &0)]) {
            if start > at {
                // SAFETY: `at..start` lies in both the alias (readable) and
                // the fresh mapping (writable), which do not overlap.
                unsafe { std::ptr::copy_nonoverlapping(rw.as_ptr().add(at), fresh.add(at), start - at) };
            }
            at = start + len;
        }
        // SAFETY: `fresh` is the mapping made above. It becomes read-execute
        // and then takes the region's place (`mremap` replaces the shared
        // view at `base` with it in one step); nothing runs code meanwhile.
        let moved = unsafe {
            libc::mprotect(p, self.size, libc::PROT_READ | libc::PROT_EXEC) == 0
                && libc::mremap(
                    p,
                    self.size,
                    self.size,
                    libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                    self.base.as_ptr().cast::<libc::c_void>(),
                ) != libc::MAP_FAILED
        };
        if !moved {
            let e = std::io::Error::last_os_error();
            // SAFETY: the mapping made above, still where it was made.
            unsafe { libc::munmap(p, self.size) };
            return Err(Error::Mmap(e));
        }
        // SAFETY: the alias; nothing writes through it any more.
        unsafe { libc::munmap(rw.as_ptr().cast(), self.size) };
        self.writer = match self.open_mem_writes() {
            Some(file) => Writer::ProcMem { file, opener: ProcessMark::new() },
            None => Writer::Mprotect,
        };
        Ok(())
    }

    /// With `mprotect` writes, whether a page that holds published code
    /// may take new code once no other thread is executing compiled code
    /// (the default). Turn it off when other threads may *start* running
    /// code on such a page between that check and the write (several
    /// vCPUs): pages holding published code then never become writable
    /// again. The other methods never make a page writable, so they share
    /// pages either way.
    pub fn set_shared_pages(&mut self, shared: bool) {
        self.shared_pages = shared;
    }

    /// The epochs that guard reuse.
    pub fn epochs(&self) -> &Arc<Epochs> {
        &self.epochs
    }

    /// Total bytes of the region.
    pub fn capacity(&self) -> usize {
        self.size
    }

    /// Bytes allocated (including those in limbo).
    pub fn used(&self) -> usize {
        self.used
    }

    /// Host address of the first byte of `a`.
    pub fn addr(&self, a: &Allocation) -> usize {
        self.base.as_ptr() as usize + a.offset
    }

    /// The region's host start address and size.
    pub fn region(&self) -> (usize, usize) {
        (self.base.as_ptr() as usize, self.size)
    }

    /// Whether host address `addr` lies in the region.
    pub fn contains(&self, addr: usize) -> bool {
        let base = self.base.as_ptr() as usize;
        (base..base + self.size).contains(&addr)
    }

    fn pages(offset: usize, len: usize) -> std::ops::Range<usize> {
        offset / PAGE..(offset + len).div_ceil(PAGE)
    }

    /// Reuses limbo ranges whose epoch has passed.
    fn reclaim(&mut self) {
        let mut i = 0;
        while i < self.limbo.len() {
            if self.epochs.reclaimable(self.limbo[i].0) {
                let (_, a) = self.limbo.swap_remove(i);
                self.release(a);
            } else {
                i += 1;
            }
        }
    }

    fn release(&mut self, a: Allocation) {
        for p in Self::pages(a.offset, a.len) {
            self.users[p] -= 1;
        }
        self.used -= a.len;
        let (mut start, mut len) = (a.offset, a.len);
        if let Some((&prev, &plen)) = self.free.range(..start).next_back()
            && prev + plen == start
        {
            self.free.remove(&prev);
            start = prev;
            len += plen;
        }
        if let Some(&nlen) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            len += nlen;
        }
        self.free.insert(start, len);
    }

    /// Allocates `len` bytes (rounded up to [`ALIGN`]), first fit. `None`
    /// when nothing big enough is free (the caller evicts or gives up).
    /// `me` is the calling thread's participant, if it has one.
    pub fn alloc(&mut self, len: usize, me: Option<&Participant>) -> Option<Allocation> {
        let len = round_up(len.max(1), ALIGN);
        if !self.limbo.is_empty() {
            self.reclaim();
        }
        // The other methods never change a page's protection, so pages
        // other threads execute can take new code too.
        let shared_ok =
            !matches!(self.writer, Writer::Mprotect) || self.shared_pages && self.epochs.others_quiescent(me);
        let mut found = None;
        for (&start, &flen) in &self.free {
            let end = start + flen;
            let mut at = start;
            if !shared_ok {
                // Skip pages that hold published code. A page whose code
                // has all been freed and reclaimed holds none: no thread
                // can be running there any more.
                while at + len <= end && Self::pages(at, len).any(|p| self.exec[p] && self.users[p] > 0) {
                    at = round_up(at + 1, PAGE);
                }
            }
            if at + len <= end {
                found = Some((start, flen, at));
                break;
            }
        }
        let (start, flen, at) = found?;
        self.free.remove(&start);
        if at > start {
            self.free.insert(start, at - start);
        }
        if at + len < start + flen {
            self.free.insert(at + len, start + flen - at - len);
        }
        for p in Self::pages(at, len) {
            self.users[p] += 1;
        }
        self.used += len;
        Some(Allocation { offset: at, len })
    }

    fn protect(&mut self, pages: std::ops::Range<usize>, exec: bool) -> Result<()> {
        let prot = if exec { libc::PROT_READ | libc::PROT_EXEC } else { libc::PROT_READ | libc::PROT_WRITE };
        // SAFETY: the pages lie inside the region owned by `self`. Making a
        // page writable removes execute permission first (never RWX), and
        // callers only do so while no other thread executes it.
        let r = unsafe {
            libc::mprotect(self.base.as_ptr().add(pages.start * PAGE).cast(), (pages.end - pages.start) * PAGE, prot)
        };
        if r != 0 {
            return Err(Error::Mprotect(std::io::Error::last_os_error()));
        }
        for p in pages {
            self.exec[p] = exec;
        }
        Ok(())
    }

    /// Copies `code` to the start of `a` (which must be at least as long)
    /// the cache's way ([`WriteMethod`]). Where `/proc/self/mem` refuses
    /// after all, from now on by flipping protections.
    pub fn write(&mut self, a: &Allocation, code: &[u8]) -> Result<()> {
        use std::os::unix::fs::FileExt;
        if code.len() > a.len {
            return Err(Error::TooLarge { len: code.len() });
        }
        match &mut self.writer {
            Writer::Alias { rw, written, .. } => {
                let pages = Self::pages(a.offset, code.len());
                written.populate(&pages, [*rw, self.base], self.size / PAGE);
                // SAFETY: `a` lies inside the region, whose read-write alias
                // starts at `rw`; no other allocation overlaps it, and `code`
                // is host memory outside the region.
                unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), rw.as_ptr().add(a.offset), code.len()) };
                written.note(pages, *rw);
                return Ok(());
            }
            Writer::ProcMem { file, opener } => {
                let mut open = true;
                if opener.moved() {
                    // A forked child: its own /proc/self/mem.
                    match std::fs::OpenOptions::new().write(true).open("/proc/self/mem") {
                        Ok(f) => {
                            *file = f;
                            opener.set();
                        }
                        Err(_) => open = false,
                    }
                }
                let at = self.base.as_ptr() as u64 + a.offset as u64;
                if open && file.write_all_at(code, at).is_ok() {
                    return Ok(());
                }
                self.writer = Writer::Mprotect;
            }
            Writer::Mprotect => {}
        }
        let pages = Self::pages(a.offset, a.len);
        if pages.clone().any(|p| self.exec[p]) {
            self.protect(pages, false)?;
        }
        // SAFETY: `a` lies inside the region, its pages are now read-write,
        // and no other allocation overlaps it; `code` is host memory outside
        // the region.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.as_ptr().add(a.offset), code.len()) };
        Ok(())
    }

    /// Whether published code can be patched ([`CodeCache::patch_rel32`]):
    /// only through the writable alias, where a patch is one aligned store.
    pub fn can_patch(&self) -> bool {
        matches!(self.writer, Writer::Alias { .. })
    }

    /// Sets the 4-byte aligned rel32 field at host address `at` (a `jmp
    /// rel32` in published code) to `disp`, with one atomic store, so that
    /// a thread running the jump meanwhile takes either the old or the new
    /// displacement (x86-64 keeps instruction fetch coherent with stores,
    /// as QEMU relies on when it chains its blocks). Whether it could
    /// ([`CodeCache::can_patch`]; `at` in the region and aligned).
    pub fn patch_rel32(&mut self, at: usize, disp: i32) -> bool {
        let Some(field) = self.alias_of(at, 4).filter(|p| p.as_ptr().addr() % 4 == 0) else { return false };
        // SAFETY: `alias_of` checked the 4 bytes lie in the region's
        // read-write alias, 4-byte aligned; only the cache writes the alias
        // (under `&mut`), and an `AtomicU32` store is a plain aligned 4-byte
        // store, what the code view's instruction fetch may observe at any
        // time.
        unsafe { field.cast::<AtomicU32>().as_ref().store(disp as u32, Ordering::Release) };
        // Not counted as written (counting each patch would drop the
        // alias's mappings, and fault them in again, several times as
        // often); the next drop takes the page's mapping too, as it lies
        // below the highest page written (`Written::note`).
        true
    }

    /// Sets the 8 bytes at host address `at` in published code to `value`
    /// (a word of data there, which no code executes or reads, only the
    /// cache's user under its lock). Whether it could
    /// ([`CodeCache::can_patch`]; `at` in the region).
    pub fn patch_word(&mut self, at: usize, value: u64) -> bool {
        let Some(word) = self.alias_of(at, 8) else { return false };
        // SAFETY: `alias_of` checked the 8 bytes lie in the region's
        // read-write alias; only the cache writes the alias (under `&mut`),
        // and no code executes these bytes.
        unsafe { word.cast::<u64>().write_unaligned(value) };
        true
    }

    /// Where the `len` bytes at host address `at` of the region are in the
    /// writable alias, if the cache has one and they lie in the region.
    fn alias_of(&self, at: usize, len: usize) -> Option<NonNull<u8>> {
        let Writer::Alias { rw, .. } = &self.writer else { return None };
        let offset = at.checked_sub(self.base.as_ptr() as usize).filter(|&o| o + len <= self.size)?;
        // SAFETY: `offset` lies in the region, whose alias is as large.
        Some(unsafe { rw.add(offset) })
    }

    /// Makes `a` executable (read-execute, no longer writable). x86-64 keeps
    /// instruction fetch coherent with stores, so no cache flush is needed.
    pub fn publish(&mut self, a: &Allocation) -> Result<()> {
        std::sync::atomic::fence(Ordering::SeqCst);
        let pages = Self::pages(a.offset, a.len);
        // Written through the alias or /proc/self/mem, they never stopped
        // being so.
        if pages.clone().any(|p| !self.exec[p]) {
            self.protect(pages, true)?;
        }
        Ok(())
    }

    /// Frees `a`. The caller must have made it unreachable (unlinked every
    /// cell pointing into it); the bytes are reused only once every thread
    /// has left compiled code since this call.
    pub fn free(&mut self, a: Allocation) {
        let tag = self.epochs.advance();
        self.limbo.push((tag, a));
    }
}

#[cfg(all(test, loom))]
mod loom_model;

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(size: usize) -> CodeCache {
        CodeCache::new(size, Arc::new(Epochs::default())).expect("cache")
    }

    #[test]
    fn alloc_free_coalesce() {
        let mut c = cache(2 * PAGE);
        let a = c.alloc(100, None).expect("a");
        let b = c.alloc(PAGE, None).expect("b");
        assert_eq!(a.len(), 128);
        assert_eq!(c.used(), 128 + PAGE);
        assert!(c.alloc(PAGE, None).is_none(), "only 2 pages minus 128+4096 left");
        c.free(a);
        c.free(b);
        // Nobody is in compiled code: the limbo is reclaimed at once.
        let big = c.alloc(2 * PAGE, None).expect("everything is free again");
        assert_eq!(big.len(), 2 * PAGE);
    }

    #[test]
    fn freed_code_waits_for_threads_in_native_code() {
        let epochs = Arc::new(Epochs::default());
        let mut c = CodeCache::new(PAGE, Arc::clone(&epochs)).expect("cache");
        let other = epochs.register();
        let a = c.alloc(PAGE, None).expect("a");
        other.enter(&epochs);
        c.free(a);
        assert!(c.alloc(64, None).is_none(), "the other thread may still run the freed code");
        other.leave();
        assert!(c.alloc(64, None).is_some(), "reclaimed once it left");
    }

    /// The method each [`Writes`] comes to, or `None` where this kernel
    /// refuses it (a message says so).
    fn cache_writing(size: usize, epochs: &Arc<Epochs>, method: WriteMethod) -> Option<CodeCache> {
        let writes = match method {
            WriteMethod::Alias => Writes::Auto,
            WriteMethod::ProcMem => Writes::ProcMem,
            WriteMethod::Mprotect => Writes::Mprotect,
        };
        let c = CodeCache::with_writes(size, Arc::clone(epochs), writes).expect("cache");
        if c.write_method() != method {
            eprintln!("this kernel refuses {method:?} code writes (got {:?}); nothing to check", c.write_method());
            return None;
        }
        Some(c)
    }

    const METHODS: [WriteMethod; 3] = [WriteMethod::Alias, WriteMethod::ProcMem, WriteMethod::Mprotect];

    /// While another thread runs compiled code, a page holding published
    /// code takes new code only if writing never makes it writable: with
    /// `mprotect` allocation skips to a fresh page (and shares once nobody
    /// runs code); through the alias or `/proc/self/mem` (where this kernel
    /// allows them) every page stays read-execute and is shared at once.
    #[test]
    fn pages_running_code_take_new_code_only_if_never_made_writable() {
        for method in METHODS {
            let shared_at = if method == WriteMethod::Mprotect { PAGE } else { 64 };
            let epochs = Arc::new(Epochs::default());
            let Some(mut c) = cache_writing(2 * PAGE, &epochs, method) else { continue };
            let a = c.alloc(64, None).expect("a");
            c.write(&a, &[0xc3]).expect("write");
            c.publish(&a).expect("publish");
            let other = epochs.register();
            other.enter(&epochs);
            let b = c.alloc(64, None).expect("b");
            assert_eq!(b.offset, shared_at, "{method:?}");
            c.write(&b, &[0xc3]).expect("write");
            c.publish(&b).expect("publish");
            if method != WriteMethod::Mprotect {
                assert!(c.exec.iter().all(|&x| x), "every page read-execute, always");
            }
            other.leave();
            let d = c.alloc(64, None).expect("d");
            assert!(d.offset < PAGE, "{method:?}: shares the first page once nobody runs code");
        }
    }

    /// With `mprotect` writes and page sharing off (several vCPUs), a page
    /// whose code has all been freed and reclaimed is no longer a page
    /// holding published code: it takes new code again (else a full cache
    /// stays full whatever is evicted).
    #[test]
    fn pages_whose_code_was_all_reclaimed_take_new_code_without_sharing() {
        let epochs = Arc::new(Epochs::default());
        let mut c = CodeCache::with_writes(2 * PAGE, Arc::clone(&epochs), Writes::Mprotect).expect("cache");
        c.set_shared_pages(false);
        let other = epochs.register();
        for round in 0..3 {
            let a = c.alloc(PAGE, None).unwrap_or_else(|| panic!("round {round}: a"));
            let b = c.alloc(64, None).unwrap_or_else(|| panic!("round {round}: b"));
            for x in [&a, &b] {
                c.write(x, &[0xc3]).expect("write");
                c.publish(x).expect("publish");
            }
            other.enter(&epochs);
            assert!(c.alloc(64, None).is_none(), "round {round}: both pages hold published code");
            c.free(a);
            assert!(c.alloc(64, None).is_none(), "round {round}: the other thread may still run a");
            other.leave();
            let d = c.alloc(64, None).unwrap_or_else(|| panic!("round {round}: a's page, reclaimed"));
            assert_eq!(d.offset, 0, "round {round}");
            c.free(b);
            c.free(d);
        }
    }

    #[test]
    fn write_then_publish_runs() {
        for writes in METHODS {
            let Some(mut c) = cache_writing(PAGE, &Arc::new(Epochs::default()), writes) else { continue };
            for (i, k) in [42u8, 43].into_iter().enumerate() {
                let a = c.alloc(16, None).expect("a");
                // mov eax, k ; ret
                c.write(&a, &[0xb8, k, 0, 0, 0, 0xc3]).expect("write");
                c.publish(&a).expect("publish");
                // SAFETY: the bytes are a complete x86-64 function with the
                // C ABI, published read-execute.
                let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(c.addr(&a)) };
                assert_eq!(f(), u32::from(k), "{writes:?}, function {i}");
            }
        }
    }

    /// The mark that tells a forked child from its parent (whether
    /// `/proc/self/mem` must be reopened) reads as moved in the child only,
    /// until the child sets it.
    #[test]
    fn a_process_mark_moves_in_a_forked_child_only() {
        let mut mark = ProcessMark::new();
        assert!(!mark.moved());
        // SAFETY: the child only reads and sets the mark and leaves with
        // _exit (no unwinding, no destructors, no locks).
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            let moved = mark.moved();
            mark.set();
            let ok = moved && !mark.moved();
            // SAFETY: ends the child without running anything of the parent's.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child saw the mark move");
        assert!(!mark.moved(), "the parent's mark stays");
        mark.set();
        assert!(!mark.moved());
    }

    /// A forked child writes code into its own copy of the cache, and its
    /// parent's writes stay out of it, whatever the method: the alias's
    /// shared views become private memory before the fork
    /// ([`CodeCache::prepare_fork`]), with the code in place, and
    /// `/proc/self/mem` is reopened in the child.
    #[test]
    fn a_forked_child_and_its_parent_write_their_own_code() {
        for method in METHODS {
            let Some(mut c) = cache_writing(PAGE, &Arc::new(Epochs::default()), method) else { continue };
            let a = c.alloc(16, None).expect("a");
            // mov eax, 1 ; ret
            c.write(&a, &[0xb8, 1, 0, 0, 0, 0xc3]).expect("write");
            c.publish(&a).expect("publish");
            // SAFETY: a complete x86-64 function with the C ABI, published.
            let f: extern "C" fn() -> u32 = unsafe { std::mem::transmute(c.addr(&a)) };
            c.prepare_fork().expect("ready for a fork");
            assert_ne!(c.write_method(), WriteMethod::Alias, "{method:?}: no shared views left");
            assert_eq!(f(), 1, "{method:?}: the code is where it was");
            let (from_parent, to_child) = rustix::pipe::pipe().expect("pipe");
            // SAFETY: the child only maps its copy, runs and rewrites its
            // code, reads a pipe and leaves with _exit (no unwinding, no
            // destructors, no locks taken that another thread of the test
            // harness could hold).
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork");
            if pid == 0 {
                let mut ok = f() == 1;
                // mov eax, 2 ; ret
                ok &= c.write(&a, &[0xb8, 2, 0, 0, 0, 0xc3]).is_ok() && c.publish(&a).is_ok() && f() == 2;
                // Wait for the parent's rewrite: the child must not see it.
                let mut byte = [0u8];
                ok &= rustix::io::read(&from_parent, &mut byte).is_ok() && f() == 2;
                // SAFETY: ends the child without running anything of the parent's.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) };
            }
            let mut status = 0;
            let waited = std::thread::spawn(move || {
                // SAFETY: waits for the child forked above.
                let r = unsafe { libc::waitpid(pid, &mut status, 0) };
                (r, status)
            });
            // Let the child rewrite its code first: then rewrite ours.
            std::thread::sleep(std::time::Duration::from_millis(50));
            assert_eq!(f(), 1, "{method:?}: the child's write stays in the child");
            // mov eax, 3 ; ret
            c.write(&a, &[0xb8, 3, 0, 0, 0, 0xc3]).expect("write");
            c.publish(&a).expect("publish");
            rustix::io::write(&to_child, &[1]).expect("tell the child");
            let (r, status) = waited.join().expect("waiter");
            assert_eq!(r, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "{method:?}: the child ran its own code, and only its own"
            );
            assert_eq!(f(), 3, "{method:?}: the parent runs its own new code");
        }
    }
}
