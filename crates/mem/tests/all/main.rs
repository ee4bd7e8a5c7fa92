//! Integration tests of ferrovm-mem: one binary, one module per topic.

mod atomics;
mod bytes;
mod code;
mod faults;
mod mapping;
mod model;

use ferrovm_mem::AddressSpace;

/// A fresh address space; a test cannot go on without one.
pub fn space() -> AddressSpace {
    AddressSpace::new().expect("reserve guest address space")
}
