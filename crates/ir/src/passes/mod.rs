//! Optimization passes and the pass manager.
//!
//! Each pass is one file with one entry point taking a [`Block`]. The
//! [`PassManager`] owns the order, accepts user passes, and in debug builds
//! (or when asked) runs the verifier after every pass, naming the pass that
//! broke an invariant.

pub mod const_fold;
pub mod copy_prop;
pub mod cse;
pub mod dce;
pub mod reg_cache;

use crate::block::Block;
use crate::verify::{VerifyError, verify};

/// A transformation of a block that keeps its guest-visible behaviour.
pub trait Pass: Send + Sync {
    /// Short name, for errors and statistics.
    fn name(&self) -> &str;
    /// Rewrites the block in place.
    fn run(&self, block: &mut Block);
}

/// A pass that broke an IR invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("after pass `{pass}`: {error}")]
pub struct PassError {
    /// The pass that ran last.
    pub pass: String,
    /// What the verifier found.
    pub error: VerifyError,
}

macro_rules! builtin_pass {
    ($ty:ident, $name:literal, $module:ident) => {
        #[doc = concat!("The `", $name, "` pass as a [`Pass`] (see [`", stringify!($module), "`]).")]
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $ty;

        impl Pass for $ty {
            fn name(&self) -> &str {
                $name
            }
            fn run(&self, block: &mut Block) {
                $module::run(block)
            }
        }
    };
}

builtin_pass!(RegCache, "reg-cache", reg_cache);
builtin_pass!(ConstFold, "const-fold", const_fold);
builtin_pass!(CopyProp, "copy-prop", copy_prop);
builtin_pass!(Cse, "cse", cse);
builtin_pass!(Dce, "dce", dce);

/// Runs passes in order.
///
/// ```
/// use ferrovm_ir::passes::PassManager;
/// use ferrovm_ir::text::parse_blocks;
/// let mut block = parse_blocks(
///     "block 0x0..0x8 {\n mark 0x0 4\n t0 = get x5\n set x6, t0\n mark 0x4 4\n t1 = get x6\n set x7, t1\n jump 0x8\n}\n",
/// ).unwrap().remove(0);
/// PassManager::default_pipeline().run(&mut block).unwrap();
/// // The second read of x6 now reuses t0.
/// assert!(block.to_string().contains("set x7, t0"));
/// ```
pub struct PassManager {
    passes: Vec<Box<dyn Pass>>,
    verify: bool,
}

impl Default for PassManager {
    fn default() -> Self {
        Self::default_pipeline()
    }
}

impl std::fmt::Debug for PassManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.passes.iter().map(|p| p.name())).finish()
    }
}

impl PassManager {
    /// No passes.
    pub fn empty() -> Self {
        PassManager { passes: Vec::new(), verify: cfg!(debug_assertions) }
    }

    /// The standard pipeline: register caching, constant folding, copy
    /// propagation, CSE, copy propagation again, register caching again (to
    /// drop write-backs that simplification exposed as redundant), dead-code
    /// elimination.
    pub fn default_pipeline() -> Self {
        let mut pm = Self::empty();
        pm.add(RegCache).add(ConstFold).add(CopyProp).add(Cse).add(CopyProp).add(RegCache).add(Dce);
        pm
    }

    /// Appends a pass (built-in or user-defined).
    pub fn add(&mut self, pass: impl Pass + 'static) -> &mut Self {
        self.passes.push(Box::new(pass));
        self
    }

    /// Turns verification after every pass on or off (on by default in debug
    /// builds).
    pub fn set_verify(&mut self, on: bool) -> &mut Self {
        self.verify = on;
        self
    }

    /// Names of the passes, in order.
    pub fn names(&self) -> Vec<&str> {
        self.passes.iter().map(|p| p.name()).collect()
    }

    /// Runs every pass over `block`.
    pub fn run(&self, block: &mut Block) -> Result<(), PassError> {
        for pass in &self.passes {
            pass.run(block);
            if self.verify {
                verify(block).map_err(|error| PassError { pass: pass.name().to_string(), error })?;
            }
        }
        Ok(())
    }
}
