//! Integration tests of the JIT (one binary, see STYLE.md).

mod fp;
mod stress;
