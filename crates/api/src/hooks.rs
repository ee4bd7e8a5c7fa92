//! Hooks: callbacks the machine calls while it runs, in Unicorn's shapes
//! (`uc_hook_add`). Each gets the [`Machine`] itself, so it can read and
//! write registers and memory, map memory, install or remove hooks, and
//! ask the run to stop.
//!
//! | hook | called | runs guest code in |
//! |---|---|---|
//! | [`Machine::hook_block`] | before every block | compiled code with [`EngineConfig::block_exits`], else the interpreter |
//! | [`Machine::hook_code`] | before every instruction in a range | the interpreter |
//! | [`Machine::hook_mem_read`], [`Machine::hook_mem_write`] | after an instruction that read / wrote a range | the interpreter |
//! | [`Machine::hook_invalid`] | on a fault (unmapped, protection, misaligned) | any engine |
//! | [`Machine::hook_ecall`] | on `ecall` | any engine |
//! | [`Machine::hook_illegal`] | on an illegal instruction | any engine |
//!
//! A hook that is not installed costs nothing: the machine then runs
//! exactly the engine's normal loop. Code and memory hooks make the engine
//! interpret (every instruction is checked against the ranges): the
//! simplest design that is right under every engine, at the interpreter's
//! speed while they are installed. Invalid-access, `ecall` and
//! illegal-instruction hooks cost nothing until their event happens.
//!
//! [`Machine`]: crate::Machine
//! [`Machine::hook_block`]: crate::Machine::hook_block
//! [`Machine::hook_code`]: crate::Machine::hook_code
//! [`Machine::hook_mem_read`]: crate::Machine::hook_mem_read
//! [`Machine::hook_mem_write`]: crate::Machine::hook_mem_write
//! [`Machine::hook_invalid`]: crate::Machine::hook_invalid
//! [`Machine::hook_ecall`]: crate::Machine::hook_ecall
//! [`Machine::hook_illegal`]: crate::Machine::hook_illegal
//! [`EngineConfig::block_exits`]: ferrovm_engine::EngineConfig::block_exits

use ferrovm_mem::Fault;

use crate::Machine;

/// Names an installed hook (to remove it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HookId(pub(crate) u64);

/// What the run does after an observing hook (block, code, memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// End the run: it returns [`crate::Outcome::Stopped`].
    Stop,
}

/// A memory access a memory hook sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    /// The address accessed.
    pub addr: u64,
    /// Bytes accessed (1, 2, 4 or 8).
    pub size: u8,
    /// The value in memory after the instruction: what a store wrote,
    /// what a load read (unless the same instruction changed it since: an
    /// AMO shows its new value).
    pub value: u64,
    /// A store (or an AMO), rather than a load.
    pub write: bool,
}

/// What an `ecall` hook did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ecall {
    /// Handled: `a0` = this value and the run continues after the
    /// `ecall`.
    Return(u64),
    /// Handled, and the hook set `pc` (and whatever else) itself: the run
    /// continues at `pc`.
    Resume,
    /// Not handled here: the next `ecall` hook, then the default (the
    /// Linux layer on a [`Machine::linux`](crate::Machine::linux) machine,
    /// else the run returns [`crate::Outcome::Ecall`]).
    Pass,
    /// End the run: it returns [`crate::Outcome::Ecall`] with `pc` at the
    /// `ecall`.
    Stop,
}

/// What a fault or illegal-instruction hook did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolve {
    /// Fixed (memory mapped, `pc` moved, the instruction replaced): run
    /// again from `pc`; a faulting access is retried.
    Retry,
    /// Not handled here: the next hook, then the default (the Linux layer
    /// sends the signal Linux would; a bare machine's run returns the
    /// event).
    Pass,
    /// End the run, returning the event.
    Stop,
}

pub(crate) type BlockFn = dyn FnMut(&mut Machine, u64) -> Flow + Send;
pub(crate) type CodeFn = dyn FnMut(&mut Machine, u64) -> Flow + Send;
pub(crate) type MemFn = dyn FnMut(&mut Machine, MemAccess) -> Flow + Send;
pub(crate) type InvalidFn = dyn FnMut(&mut Machine, Fault) -> Resolve + Send;
pub(crate) type EcallFn = dyn FnMut(&mut Machine) -> Ecall + Send;
pub(crate) type IllegalFn = dyn FnMut(&mut Machine, u32) -> Resolve + Send;

/// One installed hook's callback.
pub(crate) enum Callback {
    Block(Box<BlockFn>),
    Code { start: u64, end: u64, f: Box<CodeFn> },
    Mem { start: u64, end: u64, write: bool, f: Box<MemFn> },
    Invalid(Box<InvalidFn>),
    Ecall(Box<EcallFn>),
    Illegal(Box<IllegalFn>),
}

/// The kinds, to find the hooks of one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Block,
    Code,
    Mem,
    Invalid,
    Ecall,
    Illegal,
}

impl Callback {
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Callback::Block(_) => Kind::Block,
            Callback::Code { .. } => Kind::Code,
            Callback::Mem { .. } => Kind::Mem,
            Callback::Invalid(_) => Kind::Invalid,
            Callback::Ecall(_) => Kind::Ecall,
            Callback::Illegal(_) => Kind::Illegal,
        }
    }
}

/// An installed hook. Its callback is taken out while it runs (the hook
/// gets `&mut Machine`, which owns the list), and put back unless the
/// hook was removed meanwhile.
pub(crate) struct Entry {
    pub(crate) id: HookId,
    pub(crate) kind: Kind,
    pub(crate) callback: Option<Callback>,
    pub(crate) removed: bool,
}

/// The installed hooks, in the order they were added (they are called in
/// that order). Removed entries stay, marked, until no hook is running.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) entries: Vec<Entry>,
    next: u64,
    /// Hooks were added or removed since the engine was last told.
    pub(crate) changed: bool,
    /// Hook calls in progress (a hook may run the machine itself).
    pub(crate) depth: u32,
}

impl Hooks {
    pub(crate) fn add(&mut self, callback: Callback) -> HookId {
        self.next += 1;
        let id = HookId(self.next);
        self.entries.push(Entry { id, kind: callback.kind(), callback: Some(callback), removed: false });
        self.changed = true;
        id
    }

    pub(crate) fn any(&self, kind: Kind) -> bool {
        self.entries.iter().any(|e| e.kind == kind && !e.removed)
    }

    /// Takes the callback of entry `i` out to call it, if it is a live
    /// hook of `kind` that is not running.
    pub(crate) fn take(&mut self, i: usize, kind: Kind) -> Option<Callback> {
        let e = self.entries.get_mut(i)?;
        if e.kind != kind || e.removed {
            return None;
        }
        e.callback.take()
    }

    /// Puts entry `i`'s callback back after its call (dropped if it was
    /// removed meanwhile).
    pub(crate) fn put(&mut self, i: usize, callback: Callback) {
        if let Some(e) = self.entries.get_mut(i)
            && !e.removed
        {
            e.callback = Some(callback);
        }
    }

    /// Removes hook `id`; whether it was installed.
    pub(crate) fn remove(&mut self, id: HookId) -> bool {
        let Some(e) = self.entries.iter_mut().find(|e| e.id == id && !e.removed) else { return false };
        e.removed = true;
        e.callback = None;
        self.changed = true;
        true
    }

    /// Drops removed entries (no hook may be running).
    pub(crate) fn compact(&mut self) {
        if self.depth == 0 {
            self.entries.retain(|e| !e.removed);
        }
    }
}
