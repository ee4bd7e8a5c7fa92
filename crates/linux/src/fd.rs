//! The guest's file-descriptor table: guest fd numbers → host file
//! descriptors that ferrovm owns. Keeping a table (rather than passing host
//! numbers through) keeps ferrovm's own descriptors out of the guest's reach.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use rustix::io::Errno;

/// Largest number of descriptors (`RLIMIT_NOFILE`'s usual soft limit).
pub const MAX_FDS: usize = 1024;

/// One open descriptor.
#[derive(Debug, Clone)]
pub struct FdEntry {
    /// The host descriptor (shared by `dup`ed guest descriptors).
    pub file: Arc<OwnedFd>,
    /// `FD_CLOEXEC`.
    pub cloexec: bool,
}

/// Guest descriptors.
#[derive(Debug, Default)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

impl FdTable {
    /// A table with the host's stdin, stdout and stderr as 0, 1 and 2
    /// (duplicated, so closing them in the guest does not close ferrovm's).
    pub fn with_stdio() -> std::io::Result<Self> {
        let mut t = FdTable::default();
        for fd in [rustix::stdio::stdin(), rustix::stdio::stdout(), rustix::stdio::stderr()] {
            match rustix::io::fcntl_dupfd_cloexec(fd, 3) {
                Ok(owned) => t.slots.push(Some(FdEntry { file: Arc::new(owned), cloexec: false })),
                // A closed host std descriptor stays closed in the guest.
                Err(_) => t.slots.push(None),
            }
        }
        Ok(t)
    }

    /// The host descriptor for guest `fd`, or `EBADF`. It stays open while
    /// it is held, even if the guest closes `fd` meanwhile (another thread
    /// may: the table's lock is not held across system calls).
    pub fn get(&self, fd: u64) -> Result<Arc<OwnedFd>, Errno> {
        self.entry(fd).map(|e| Arc::clone(&e.file))
    }

    /// The entry for guest `fd`, or `EBADF`.
    pub fn entry(&self, fd: u64) -> Result<&FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(Option::as_ref).ok_or(Errno::BADF)
    }

    /// Installs `entry` at the lowest free number `>= min`.
    pub fn insert_from(&mut self, min: usize, entry: FdEntry) -> Result<u64, Errno> {
        let free = (min..MAX_FDS).find(|&i| self.slots.get(i).is_none_or(Option::is_none)).ok_or(Errno::MFILE)?;
        if free >= self.slots.len() {
            self.slots.resize(free + 1, None);
        }
        self.slots[free] = Some(entry);
        Ok(free as u64)
    }

    /// Installs a new host descriptor at the lowest free number.
    pub fn insert(&mut self, file: OwnedFd, cloexec: bool) -> Result<u64, Errno> {
        self.insert_from(0, FdEntry { file: Arc::new(file), cloexec })
    }

    /// Installs `entry` at exactly `fd` (closing what was there), for `dup3`.
    pub fn insert_at(&mut self, fd: u64, entry: FdEntry) -> Result<(), Errno> {
        let i = usize::try_from(fd).ok().filter(|&i| i < MAX_FDS).ok_or(Errno::BADF)?;
        if i >= self.slots.len() {
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = Some(entry);
        Ok(())
    }

    /// Closes guest `fd`.
    pub fn close(&mut self, fd: u64) -> Result<(), Errno> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).ok_or(Errno::BADF)?;
        slot.take().map(|_| ()).ok_or(Errno::BADF)
    }

    /// Open descriptors in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &FdEntry)> {
        self.slots.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i as u64, e)))
    }

    /// Sets or clears `FD_CLOEXEC`.
    pub fn set_cloexec(&mut self, fd: u64, on: bool) -> Result<(), Errno> {
        let e = usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(Option::as_mut);
        e.ok_or(Errno::BADF)?.cloexec = on;
        Ok(())
    }
}
