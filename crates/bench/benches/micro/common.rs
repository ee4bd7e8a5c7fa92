//! Shared set-up of the micro-benchmarks: real guest code from a committed
//! workload ELF (`benches/workloads/bin/`), decoded and lifted by ferrovm.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicU32;

use ferrovm_ir::Block;
use ferrovm_ir::passes::PassManager;
use ferrovm_jit::abi::{Cell, Unlinked};
use ferrovm_jit::{CodeStore, JitOptions, Linker};
use object::{Object, ObjectSection};

/// The `.text` section of workload `name`: (address, bytes).
pub fn guest_text(name: &str) -> (u64, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/workloads/bin").join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let file = object::File::parse(&*data).expect("an ELF file");
    let text = file.section_by_name(".text").expect("a .text section");
    (text.address(), text.data().expect(".text data").to_vec())
}

/// Little-endian 32-bit code words at every instruction boundary of `text`,
/// found by decoding from the start (RVC instructions take 2 bytes).
pub fn code_words(text: &[u8]) -> Vec<u32> {
    let mut words = Vec::new();
    let mut off = 0;
    while off + 2 <= text.len() {
        let mut b = [0u8; 4];
        let n = (text.len() - off).min(4);
        b[..n].copy_from_slice(&text[off..off + n]);
        let word = u32::from_le_bytes(b);
        words.push(word);
        off += if word & 3 == 3 { 4 } else { 2 };
    }
    words
}

/// Fetches 16-bit parcels from `text` loaded at `base`.
pub fn fetcher(base: u64, text: &[u8]) -> impl FnMut(u64) -> Option<u16> + '_ {
    move |pc| {
        let off = usize::try_from(pc.checked_sub(base)?).ok()?;
        let b = text.get(off..off + 2)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// Start addresses of the first `max` blocks of `text`, each block starting
/// where the previous one ended (a linear sweep, as a disassembler does).
pub fn block_starts(base: u64, text: &[u8], max: usize) -> Vec<u64> {
    let mut fetch = fetcher(base, text);
    let mut starts = Vec::new();
    let mut pc = base;
    while starts.len() < max {
        let Ok(block) = ferrovm_riscv::lift::lift_block(pc, &mut fetch) else { break };
        starts.push(pc);
        if block.end <= pc {
            break;
        }
        pc = block.end;
    }
    starts
}

/// The blocks at `starts`, lifted and run through the default pipeline.
pub fn optimized_blocks(base: u64, text: &[u8], starts: &[u64]) -> Vec<Block> {
    let mut fetch = fetcher(base, text);
    let pm = PassManager::default_pipeline();
    starts
        .iter()
        .map(|&pc| {
            let mut b = ferrovm_riscv::lift::lift_block(pc, &mut fetch).expect("lifts");
            pm.run(&mut b).expect("passes");
            b
        })
        .collect()
}

/// The blocks at `starts`, lifted (no passes: as cold blocks are compiled).
pub fn lifted_blocks(base: u64, text: &[u8], starts: &[u64]) -> Vec<Block> {
    let mut fetch = fetcher(base, text);
    starts.iter().map(|&pc| ferrovm_riscv::lift::lift_block(pc, &mut fetch).expect("lifts")).collect()
}

/// A code store with the default options over an empty address space, and
/// a linker for it.
pub fn code_store() -> (CodeStore, Links) {
    let mem = std::sync::Arc::new(ferrovm_mem::AddressSpace::new().expect("address space"));
    let store = CodeStore::new(&mem, JitOptions::default()).expect("jit");
    let links = Links::new(store.unlinked());
    (store, links)
}

/// Cells and counters by pc, as the engine's translation table keeps them.
pub struct Links {
    unlinked: Unlinked,
    cells: HashMap<u64, Box<(Cell, AtomicU32)>>,
}

impl Links {
    pub fn new(unlinked: Unlinked) -> Self {
        Links { unlinked, cells: HashMap::new() }
    }

    fn entry(&mut self, pc: u64) -> &(Cell, AtomicU32) {
        let unlinked = self.unlinked;
        self.cells.entry(pc).or_insert_with(|| Box::new((Cell::new(pc, unlinked), AtomicU32::new(0))))
    }
}

impl Linker for Links {
    fn cell(&mut self, pc: u64) -> *const Cell {
        &self.entry(pc).0
    }

    fn counter(&mut self, pc: u64) -> *const AtomicU32 {
        &self.entry(pc).1
    }
}
