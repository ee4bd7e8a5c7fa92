//! Stand-in for the `c99` crate (0.1.1), used only by `softfloat-sys`.
//!
//! The real crate runs CMake at build time to print the sizes of the
//! `<stdint.h>` "fast" types. ferrovm only builds for x86_64 Linux (glibc and
//! musl agree there), so the sizes are fixed and written down here; this keeps
//! `cargo test` free of a CMake dependency. The root `Cargo.toml` swaps it in
//! with `[patch.crates-io]`.

#![allow(non_camel_case_types)]

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
compile_error!("the c99 stand-in only knows x86_64 Linux's <stdint.h> sizes");

pub type int8_t = i8;
pub type int16_t = i16;
pub type int32_t = i32;
pub type int64_t = i64;
pub type uint8_t = u8;
pub type uint16_t = u16;
pub type uint32_t = u32;
pub type uint64_t = u64;

// x86_64 Linux: int_fast8_t is 1 byte, the wider fast types are 8 bytes.
pub type int_fast8_t = i8;
pub type int_fast16_t = i64;
pub type int_fast32_t = i64;
pub type int_fast64_t = i64;
pub type uint_fast8_t = u8;
pub type uint_fast16_t = u64;
pub type uint_fast32_t = u64;
pub type uint_fast64_t = u64;
