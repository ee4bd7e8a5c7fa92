//! The guest's view of the file system: how a path the guest names becomes
//! a host file.
//!
//! * **Host mode** (the default, like QEMU): paths are the host's. For a
//!   dynamically linked program, an absolute path that exists under the
//!   sysroot (`-L`) is taken from there, so the interpreter finds its
//!   libraries. This is *not* a security boundary.
//! * **Confined mode** (`--root DIR`): every path resolves inside DIR with
//!   Linux `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: `..`,
//!   absolute and relative symlinks are clamped at DIR, and `/proc/*/root`
//!   style magic links are refused. Relative paths are made absolute with
//!   the guest's working directory (kept by ferrovm) or with the guest path
//!   of the directory descriptor, so the kernel resolves everything from
//!   the root descriptor. The guest never sees a host descriptor it did not
//!   open through this module (only stdin/stdout/stderr are inherited).

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::fd::FdTable;

/// `AT_FDCWD` as the guest passes it (a 32-bit int, sign-extended or not).
pub const AT_FDCWD: u64 = -100i64 as u64;

/// A host directory to resolve a name against.
#[derive(Debug)]
pub enum Dir {
    /// The host's working directory.
    Cwd,
    /// A guest descriptor (held, so another thread closing it meanwhile
    /// does not matter).
    Guest(Arc<OwnedFd>),
    /// A directory opened for this one lookup.
    Owned(OwnedFd),
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Dir::Cwd => rustix::fs::CWD,
            Dir::Guest(f) => f.as_fd(),
            Dir::Owned(o) => o.as_fd(),
        }
    }
}

/// Confined-mode state.
#[derive(Debug)]
pub struct Root {
    /// The root directory.
    pub dir: OwnedFd,
    /// Its canonical host path (to translate host paths back to guest ones).
    pub host: PathBuf,
    /// The guest's working directory, absolute, inside the root.
    pub cwd: Vec<u8>,
}

/// Path resolution for one guest process.
#[derive(Debug, Default)]
pub struct Vfs {
    /// Prefix for absolute paths of a dynamically linked program.
    pub sysroot: Option<PathBuf>,
    /// Confined mode.
    pub root: Option<Root>,
}

fn is_dfd_cwd(dirfd: u64) -> bool {
    dirfd & 0xffff_ffff == AT_FDCWD & 0xffff_ffff
}

impl Vfs {
    /// Confined mode rooted at `dir`.
    pub fn confined(dir: &Path) -> std::io::Result<Vfs> {
        let host = std::fs::canonicalize(dir)?;
        let fd = rustix::fs::open(&host, OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(Vfs { sysroot: None, root: Some(Root { dir: fd, host, cwd: b"/".to_vec() }) })
    }

    /// The guest-absolute path of host path `host` in confined mode.
    fn guest_of_host(root: &Root, host: &[u8]) -> Option<Vec<u8>> {
        let prefix = root.host.as_os_str().as_encoded_bytes();
        let rest = host.strip_prefix(prefix)?;
        if rest.is_empty() {
            return Some(b"/".to_vec());
        }
        rest.starts_with(b"/").then(|| rest.to_vec())
    }

    /// The guest path a host descriptor refers to (confined mode).
    fn guest_path_of_fd(root: &Root, fd: BorrowedFd<'_>) -> Result<Vec<u8>, Errno> {
        let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
        let host = rustix::fs::readlink(link.as_str(), Vec::new())?;
        Self::guest_of_host(root, host.as_bytes()).ok_or(Errno::NOENT)
    }

    /// The absolute guest path for `(dirfd, path)` in confined mode.
    fn absolute(&self, root: &Root, fds: &FdTable, dirfd: u64, path: &[u8]) -> Result<Vec<u8>, Errno> {
        if path.starts_with(b"/") {
            return Ok(path.to_vec());
        }
        let mut base = if is_dfd_cwd(dirfd) {
            root.cwd.clone()
        } else {
            Self::guest_path_of_fd(root, fds.get(dirfd & 0xffff_ffff)?.as_fd())?
        };
        if !base.ends_with(b"/") {
            base.push(b'/');
        }
        base.extend_from_slice(path);
        Ok(base)
    }

    fn open_in_root(root: &Root, abs: &[u8], flags: OFlags, mode: Mode) -> Result<OwnedFd, Errno> {
        Self::open_in_root_with(root, abs, flags, mode, ResolveFlags::empty())
    }

    fn open_in_root_with(
        root: &Root,
        abs: &[u8],
        flags: OFlags,
        mode: Mode,
        resolve: ResolveFlags,
    ) -> Result<OwnedFd, Errno> {
        let rel = abs.trim_start_matches(b"/");
        let rel = if rel.is_empty() { &b"."[..] } else { rel };
        let rel = CString::new(rel).map_err(|_| Errno::INVAL)?;
        let mode = if flags.intersects(OFlags::CREATE | OFlags::TMPFILE) { mode } else { Mode::empty() };
        rustix::fs::openat2(
            &root.dir,
            rel.as_c_str(),
            flags | OFlags::CLOEXEC,
            mode,
            resolve | ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
        )
    }

    /// The sysroot version of an absolute path, if it exists there.
    fn redirect(&self, path: &[u8]) -> Option<CString> {
        let sysroot = self.sysroot.as_ref()?;
        if !path.starts_with(b"/") {
            return None;
        }
        let mut full = sysroot.as_os_str().as_encoded_bytes().to_vec();
        full.extend_from_slice(path);
        let full = CString::new(full).ok()?;
        rustix::fs::lstat(full.as_c_str()).ok()?;
        Some(full)
    }

    /// The host directory and final name for an operation that does not
    /// follow a symlink in the last component (`unlinkat`, `mkdirat`,
    /// `readlinkat`, `lstat`, ...).
    pub fn at(&self, fds: &FdTable, dirfd: u64, path: &CStr) -> Result<(Dir, CString), Errno> {
        let bytes = path.to_bytes();
        let Some(root) = &self.root else {
            if let Some(redirected) = self.redirect(bytes) {
                return Ok((Dir::Cwd, redirected));
            }
            let dir = if is_dfd_cwd(dirfd) { Dir::Cwd } else { Dir::Guest(fds.get(dirfd & 0xffff_ffff)?) };
            return Ok((dir, path.to_owned()));
        };
        if bytes.is_empty() {
            return Err(Errno::NOENT);
        }
        let abs = self.absolute(root, fds, dirfd, bytes)?;
        let trimmed = abs.trim_end_matches(b"/");
        let (parent, name) = match trimmed.iter().rposition(|&b| b == b'/') {
            Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
            None => (&b""[..], trimmed),
        };
        if name.is_empty() || name == b"." || name == b".." {
            let dir = Self::open_in_root(root, &abs, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
            return Ok((Dir::Owned(dir), c".".to_owned()));
        }
        let dir = Self::open_in_root(root, parent, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?;
        let mut name = name.to_vec();
        if abs.ends_with(b"/") {
            name.push(b'/');
        }
        Ok((Dir::Owned(dir), CString::new(name).map_err(|_| Errno::INVAL)?))
    }

    /// Opens `(dirfd, path)` like `openat`.
    pub fn open(&self, fds: &FdTable, dirfd: u64, path: &CStr, flags: OFlags, mode: Mode) -> Result<OwnedFd, Errno> {
        if let Some(root) = &self.root {
            if path.is_empty() {
                return Err(Errno::NOENT);
            }
            let abs = self.absolute(root, fds, dirfd, path.to_bytes())?;
            return Self::open_in_root(root, &abs, flags, mode);
        }
        let (dir, name) = self.at(fds, dirfd, path)?;
        rustix::fs::openat(dir, name.as_c_str(), flags | OFlags::CLOEXEC, mode)
    }

    /// Opens `(dirfd, path)` like `openat2` with the guest's `resolve`
    /// flags. In confined mode a lookup the guest confines to its directory
    /// (`RESOLVE_BENEATH`, `RESOLVE_IN_ROOT`) runs from that directory,
    /// which is inside the root, without magic links; any other resolves
    /// inside the root like every path.
    pub fn open2(
        &self,
        fds: &FdTable,
        dirfd: u64,
        path: &CStr,
        flags: OFlags,
        mode: Mode,
        resolve: ResolveFlags,
    ) -> Result<OwnedFd, Errno> {
        let beneath = resolve.intersects(ResolveFlags::BENEATH | ResolveFlags::IN_ROOT);
        let Some(root) = &self.root else {
            if !beneath && let Some(r) = self.redirect(path.to_bytes()) {
                return rustix::fs::openat2(rustix::fs::CWD, r.as_c_str(), flags | OFlags::CLOEXEC, mode, resolve);
            }
            let dir = if is_dfd_cwd(dirfd) { Dir::Cwd } else { Dir::Guest(fds.get(dirfd & 0xffff_ffff)?) };
            return rustix::fs::openat2(dir, path, flags | OFlags::CLOEXEC, mode, resolve);
        };
        if beneath {
            let dir = if is_dfd_cwd(dirfd) {
                Dir::Owned(Self::open_in_root(root, &root.cwd, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())?)
            } else {
                Dir::Guest(fds.get(dirfd & 0xffff_ffff)?)
            };
            return rustix::fs::openat2(
                dir,
                path,
                flags | OFlags::CLOEXEC,
                mode,
                resolve | ResolveFlags::NO_MAGICLINKS,
            );
        }
        if path.is_empty() {
            return Err(Errno::NOENT);
        }
        let abs = self.absolute(root, fds, dirfd, path.to_bytes())?;
        Self::open_in_root_with(root, &abs, flags, mode, resolve)
    }

    /// Opens a program or interpreter to load: in confined mode inside the
    /// root; otherwise the host path (`sysroot` first for an interpreter).
    pub fn open_program(&self, path: &[u8], interp: bool) -> Result<OwnedFd, Errno> {
        let c = CString::new(path).map_err(|_| Errno::INVAL)?;
        if let Some(root) = &self.root {
            let fds = FdTable::default();
            let abs = self.absolute(root, &fds, AT_FDCWD, path)?;
            return Self::open_in_root(root, &abs, OFlags::RDONLY, Mode::empty());
        }
        if interp && let Some(r) = self.redirect(path) {
            return rustix::fs::open(r.as_c_str(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty());
        }
        rustix::fs::open(c.as_c_str(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
    }

    /// The canonical absolute guest path of the program at `path` (what
    /// `/proc/self/exe` shows): in confined mode the guest path of the file
    /// [`Vfs::open_program`] opens; otherwise the host's canonical path.
    pub fn program_guest_path(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let fd = self.open_program(path, false)?;
        match &self.root {
            Some(root) => Self::guest_path_of_fd(root, fd.as_fd()),
            None => {
                let link = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&fd));
                Ok(rustix::fs::readlink(link.as_str(), Vec::new())?.into_bytes())
            }
        }
    }

    /// `chdir` to an opened directory.
    pub fn chdir(&mut self, dir: BorrowedFd<'_>) -> Result<(), Errno> {
        if let Some(root) = &mut self.root {
            let guest = Self::guest_path_of_fd(root, dir)?;
            root.cwd = guest;
            return Ok(());
        }
        rustix::process::fchdir(dir)
    }

    /// The guest's working directory.
    pub fn getcwd(&self) -> Result<Vec<u8>, Errno> {
        match &self.root {
            Some(root) => Ok(root.cwd.clone()),
            None => Ok(rustix::process::getcwd(Vec::new())?.into_bytes()),
        }
    }

    /// The guest-visible path of a host path (identity in host mode).
    pub fn guest_path(&self, host: &[u8]) -> Vec<u8> {
        match &self.root {
            Some(root) => Self::guest_of_host(root, host).unwrap_or_else(|| host.to_vec()),
            None => host.to_vec(),
        }
    }
}

trait TrimSlashes {
    fn trim_start_matches(&self, pat: &[u8]) -> &[u8];
    fn trim_end_matches(&self, pat: &[u8]) -> &[u8];
}

impl TrimSlashes for [u8] {
    fn trim_start_matches(&self, pat: &[u8]) -> &[u8] {
        let mut s = self;
        while !pat.is_empty() && s.starts_with(pat) {
            s = &s[pat.len()..];
        }
        s
    }

    fn trim_end_matches(&self, pat: &[u8]) -> &[u8] {
        let mut s = self;
        while !pat.is_empty() && s.ends_with(pat) && s.len() > pat.len() {
            s = &s[..s.len() - pat.len()];
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_paths_stay_inside() {
        let dir = std::env::temp_dir().join(format!("ferrovm-vfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("inside.txt"), b"in").unwrap();
        std::os::unix::fs::symlink("/", dir.join("sub/abs")).unwrap();
        std::os::unix::fs::symlink("../../../..", dir.join("sub/rel")).unwrap();
        let vfs = Vfs::confined(&dir).unwrap();
        let fds = FdTable::default();
        let open = |p: &CStr| vfs.open(&fds, AT_FDCWD, p, OFlags::RDONLY, Mode::empty());
        // Every escape lands at the root, where inside.txt is.
        for p in [c"/../../inside.txt", c"sub/abs/inside.txt", c"sub/rel/inside.txt", c"../inside.txt"] {
            assert!(open(p).is_ok(), "{p:?}");
        }
        assert!(open(c"/etc/passwd").is_err() || dir.join("etc/passwd").exists());
        let (d, name) = vfs.at(&fds, AT_FDCWD, c"sub/abs").unwrap();
        assert_eq!(name.as_bytes(), b"abs");
        assert!(rustix::fs::readlinkat(&d, name.as_c_str(), Vec::new()).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
