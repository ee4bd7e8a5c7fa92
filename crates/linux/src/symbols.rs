//! Guest symbols: the function names of the program's and its shared
//! libraries' symbol tables (`.symtab`, else `.dynsym`), by guest address.
//!
//! The loader registers the program and its interpreter; `mmap` registers
//! every executable file mapping (how `ld.so` maps libraries), `munmap`
//! forgets them. A module's symbol table is read from its host file the
//! first time an address in it is looked up. Lookups never take the guest
//! address space's locks (threads running guest code make them), only this
//! table's own.
//!
//! ```
//! let symbols = ferrovm_linux::Symbols::default();
//! assert_eq!(ferrovm_engine::GuestSymbols::lookup(&symbols, 0x1000), None);
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};

/// One mapped ELF file.
#[derive(Debug)]
struct Module {
    /// Guest range it was mapped at.
    start: u64,
    end: u64,
    /// Host path of the file.
    path: PathBuf,
    /// Guest address = bias + ELF virtual address (unknown until read,
    /// for an `mmap` given by file offset).
    bias: Option<u64>,
    /// File offset mapped at `start` (for `mmap`ed modules).
    offset: u64,
    /// Function symbols by ELF address (address, size, name), sorted; read
    /// on first use (`None`: not yet; empty: none or unreadable).
    table: Option<Arc<Vec<(u64, u64, String)>>>,
}

/// The guest's symbols (see the module docs). One per process; share it
/// with the engine as its [`ferrovm_engine::GuestSymbols`].
#[derive(Debug, Default)]
pub struct Symbols {
    modules: Mutex<Vec<Module>>,
}

impl Symbols {
    /// Registers the ELF file at host `path`, loaded at `[start, end)` with
    /// load bias `bias`.
    pub fn add_loaded(&self, start: u64, end: u64, path: &Path, bias: u64) {
        self.push(Module { start, end, path: path.to_path_buf(), bias: Some(bias), offset: 0, table: None });
    }

    /// Registers an executable file mapping: `[start, end)` maps the file at
    /// host `path` from file offset `offset`.
    pub fn add_mapping(&self, start: u64, end: u64, path: &Path, offset: u64) {
        self.push(Module { start, end, path: path.to_path_buf(), bias: None, offset, table: None });
    }

    fn push(&self, m: Module) {
        let mut modules = self.lock();
        modules.retain(|o| o.end <= m.start || o.start >= m.end);
        modules.push(m);
    }

    /// Forgets modules mapped in `[start, end)`.
    pub fn remove(&self, start: u64, end: u64) {
        self.lock().retain(|m| m.end <= start || m.start >= end);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Module>> {
        self.modules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The module holding `pc`: its file name and `pc`'s offset from its
    /// start, for addresses no symbol covers.
    pub fn module_of(&self, pc: u64) -> Option<(String, u64)> {
        let modules = self.lock();
        let m = modules.iter().find(|m| (m.start..m.end).contains(&pc))?;
        let name = m.path.file_name().map_or_else(|| m.path.display().to_string(), |n| n.to_string_lossy().into());
        Some((name, pc - m.start))
    }
}

/// The host path of an open file (`/proc/self/fd/N`).
pub(crate) fn fd_path(fd: &impl std::os::fd::AsRawFd) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()
}

/// Reads `path`'s function symbols; with `offset`, also the bias that puts
/// file offset `offset` at `start`.
/// Reads only the ranges the parser asks for (headers, symbol and string
/// tables), not the whole file: reading all of libpython's 7 MB was a
/// tenth of a compile worker's time in a Python start-up.
fn read_table(path: &Path, start: u64, offset: u64) -> (Vec<(u64, u64, String)>, Option<u64>) {
    let Ok(f) = std::fs::File::open(path) else { return (Vec::new(), None) };
    let data = object::ReadCache::new(f);
    let Ok(file) = object::File::parse(&data) else { return (Vec::new(), None) };
    let bias = file.segments().find_map(|s| {
        let (off, size) = s.file_range();
        (off <= offset && offset < off + size.max(1)).then(|| start.wrapping_sub(s.address() + (offset - off)))
    });
    let mut table: Vec<(u64, u64, String)> = file
        .symbols()
        .chain(file.dynamic_symbols())
        .filter(|s| s.kind() == SymbolKind::Text && s.address() != 0)
        .filter_map(|s| Some((s.address(), s.size(), s.name().ok()?.to_string())))
        .filter(|(_, _, n)| !n.is_empty() && !n.starts_with('$'))
        .collect();
    table.sort();
    table.dedup_by_key(|(a, _, _)| *a);
    (table, bias)
}

impl ferrovm_engine::GuestSymbols for Symbols {
    fn lookup(&self, pc: u64) -> Option<(String, u64)> {
        let mut modules = self.lock();
        let m = modules.iter_mut().find(|m| (m.start..m.end).contains(&pc))?;
        if m.table.is_none() {
            let (table, bias) = read_table(&m.path, m.start, m.offset);
            m.table = Some(Arc::new(table));
            if m.bias.is_none() {
                m.bias = bias;
            }
        }
        let (table, bias) = (Arc::clone(m.table.as_ref()?), m.bias?);
        drop(modules);
        let addr = pc.wrapping_sub(bias);
        let i = table.partition_point(|(a, _, _)| *a <= addr).checked_sub(1)?;
        let (start, size, name) = &table[i];
        // A sized symbol covers its size; past it the address belongs to
        // no known function (a static one, stripped).
        if *size != 0 && addr >= start + size {
            return None;
        }
        Some((name.clone(), addr - start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_engine::GuestSymbols;

    #[test]
    fn names_addresses_of_a_static_program() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/guests/bin/min_hello");
        let data = std::fs::read(&path).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let main = file.symbols().find(|s| s.name() == Ok("main")).map(|s| s.address());
        let symbols = Symbols::default();
        symbols.add_loaded(0, u64::MAX, &path, 0);
        if let Some(main) = main {
            assert_eq!(symbols.lookup(main), Some(("main".into(), 0)));
            assert_eq!(symbols.lookup(main + 2).map(|s| s.0), Some("main".into()));
        }
        symbols.remove(0, u64::MAX);
        assert_eq!(symbols.lookup(0x1000), None);
    }
}
