//! Integration tests of the engine: lifter golden files, and the run loop.

mod filetests;
mod run_loop;
