//! The gdbstub [`Target`]: registers, memory, threads, resuming,
//! breakpoints and watchpoints, over the [`Hub`] and the engine's debug
//! state; and the event loop that waits for gdb or for a stop.

use std::collections::HashMap;
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use ferrovm_engine::{Stop, Watch, WatchKind};
use ferrovm_linux::{ExitStatus, Signal};
use gdbstub::common::{Pid, Signal as GdbSignal, Tid};
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event as LoopEvent, WaitForStopReasonError};
use gdbstub::stub::{BaseStopReason, MultiThreadStopReason};
use gdbstub::target::ext::auxv::{Auxv, AuxvOps};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::base::multithread::{
    MultiThreadBase, MultiThreadResume, MultiThreadResumeOps, MultiThreadSchedulerLocking,
    MultiThreadSchedulerLockingOps, MultiThreadSingleStep, MultiThreadSingleStepOps,
};
use gdbstub::target::ext::base::single_register_access::{SingleRegisterAccess, SingleRegisterAccessOps};
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps,
};
use gdbstub::target::ext::extended_mode::{Args, AttachKind, ExtendedMode, ExtendedModeOps, ShouldTerminate};
use gdbstub::target::{Target, TargetError, TargetResult};

use crate::arch::{CoreRegs, Reg, Rv64gc};
use crate::hub::{Action, Event, Hub, Id};
use crate::signals::{from_gdb, to_gdb};

/// The debugged process as gdbstub sees it.
pub(crate) struct GuestTarget {
    hub: Arc<Hub>,
    /// What the next resume does, per thread.
    actions: Vec<(Id, Action, Option<Signal>)>,
    /// Threads not named stay stopped (`vCont` without a default action).
    locked: bool,
    /// Stop addresses set by gdb, with how many of its breakpoints (soft
    /// and hard) sit at each.
    stops: HashMap<u64, u32>,
    /// The auxiliary vector the program started with (gdb finds a PIE's
    /// load address and the dynamic linker in it).
    auxv: Vec<u8>,
}

impl GuestTarget {
    pub(crate) fn new(hub: Arc<Hub>, auxv: Vec<u8>) -> Self {
        GuestTarget { hub, actions: Vec::new(), locked: false, stops: HashMap::new(), auxv }
    }

    fn add_stop(&mut self, addr: u64) {
        *self.stops.entry(addr).or_default() += 1;
        self.hub.vm().add_stop(addr);
    }

    fn remove_stop(&mut self, addr: u64) -> bool {
        let Some(n) = self.stops.get_mut(&addr) else { return false };
        *n -= 1;
        if *n == 0 {
            self.stops.remove(&addr);
            self.hub.vm().remove_stop(addr);
        }
        true
    }
}

fn id(tid: Tid) -> Id {
    tid.get()
}

fn tid(id: Id) -> Tid {
    NonZeroUsize::new(id).unwrap_or(NonZeroUsize::MIN)
}

fn watch(addr: u64, len: u64, kind: gdbstub::target::ext::breakpoints::WatchKind) -> Watch {
    use gdbstub::target::ext::breakpoints::WatchKind as G;
    let kind = match kind {
        G::Write => WatchKind::Write,
        G::Read => WatchKind::Read,
        G::ReadWrite => WatchKind::Access,
    };
    Watch { addr, len, kind }
}

impl Target for GuestTarget {
    type Arch = Rv64gc;
    type Error = String;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    // For `kill`: only in extended mode does gdbstub answer `vKill` (gdb
    // waits for that `OK`). Starting or attaching to other programs is
    // not offered.
    fn support_extended_mode(&mut self) -> Option<ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    fn support_auxv(&mut self) -> Option<AuxvOps<'_, Self>> {
        Some(self)
    }

    // Breakpoints are the engine's stop addresses, never instructions
    // written into guest memory.
    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }
}

impl Auxv for GuestTarget {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.auxv.len());
        let part = &self.auxv[start..];
        let n = part.len().min(length).min(buf.len());
        buf[..n].copy_from_slice(&part[..n]);
        Ok(n)
    }
}

impl ExtendedMode for GuestTarget {
    fn run(&mut self, _filename: Option<&[u8]>, _args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        Err(TargetError::NonFatal)
    }

    fn attach(&mut self, _pid: Pid) -> TargetResult<(), Self> {
        Err(TargetError::NonFatal)
    }

    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        // The stub started the program: gdb's `quit` kills it.
        Ok(AttachKind::Run)
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        Ok(ShouldTerminate::Yes)
    }

    fn restart(&mut self) -> Result<(), Self::Error> {
        Err("restarting is not supported".into())
    }
}

impl MultiThreadBase for GuestTarget {
    fn read_registers(&mut self, regs: &mut CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let cpu = self.hub.cpu(id(tid)).ok_or(TargetError::NonFatal)?;
        regs.x.copy_from_slice(&cpu.regs[..32]);
        regs.pc = cpu.pc;
        Ok(())
    }

    fn write_registers(&mut self, regs: &CoreRegs, tid: Tid) -> TargetResult<(), Self> {
        let changed = self.hub.set_cpu(id(tid), |cpu| {
            cpu.regs[1..32].copy_from_slice(&regs.x[1..]);
            cpu.pc = regs.pc;
        });
        if changed { Ok(()) } else { Err(TargetError::NonFatal) }
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }

    fn read_addrs(&mut self, start: u64, data: &mut [u8], _tid: Tid) -> TargetResult<usize, Self> {
        // What gdb reads may run into an unmapped page: give what is there.
        let mem = self.hub.vm().memory();
        if mem.read_bytes_force(start, data).is_ok() {
            return Ok(data.len());
        }
        let mut n = 0;
        while n < data.len() && mem.read_bytes_force(start.wrapping_add(n as u64), &mut data[n..=n]).is_ok() {
            n += 1;
        }
        if n == 0 { Err(TargetError::NonFatal) } else { Ok(n) }
    }

    fn write_addrs(&mut self, start: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        // Like ptrace's POKEDATA: read-only (code) pages too; the write
        // drops translations of the code it changes.
        let vm = self.hub.vm();
        vm.memory().write_bytes_force(start, data).map_err(|_| TargetError::NonFatal)?;
        vm.invalidate(start, data.len() as u64);
        Ok(())
    }

    fn list_active_threads(&mut self, register: &mut dyn FnMut(Tid)) -> Result<(), Self::Error> {
        self.hub.threads().into_iter().for_each(|i| register(tid(i)));
        Ok(())
    }

    fn is_thread_alive(&mut self, t: Tid) -> Result<bool, Self::Error> {
        Ok(self.hub.threads().contains(&id(t)))
    }

    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<Tid> for GuestTarget {
    fn read_register(&mut self, tid: Tid, reg: Reg, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let cpu = self.hub.cpu(id(tid)).ok_or(TargetError::NonFatal)?;
        let v = match reg {
            Reg::X(i) => cpu.regs[usize::from(i & 31)],
            Reg::Pc => cpu.pc,
            Reg::F(i) => cpu.regs[32 + usize::from(i & 31)],
            Reg::Fflags => cpu.fflags,
            Reg::Frm => cpu.frm,
            Reg::Fcsr => (cpu.frm << 5) | cpu.fflags,
        };
        let bytes = v.to_le_bytes();
        let n = buf.len().min(8);
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, tid: Tid, reg: Reg, val: &[u8]) -> TargetResult<(), Self> {
        let mut bytes = [0u8; 8];
        let n = val.len().min(8);
        bytes[..n].copy_from_slice(&val[..n]);
        let v = u64::from_le_bytes(bytes);
        let changed = self.hub.set_cpu(id(tid), |cpu| match reg {
            Reg::X(0) => {}
            Reg::X(i) => cpu.regs[usize::from(i & 31)] = v,
            Reg::Pc => cpu.pc = v,
            Reg::F(i) => cpu.regs[32 + usize::from(i & 31)] = v,
            Reg::Fflags => cpu.fflags = v & 0x1f,
            Reg::Frm => cpu.frm = v & 7,
            Reg::Fcsr => {
                cpu.fflags = v & 0x1f;
                cpu.frm = (v >> 5) & 7;
            }
        });
        if changed { Ok(()) } else { Err(TargetError::NonFatal) }
    }
}

impl MultiThreadResume for GuestTarget {
    fn resume(&mut self) -> Result<(), Self::Error> {
        let mut actions = std::mem::take(&mut self.actions);
        if !self.locked {
            for i in self.hub.threads() {
                if !actions.iter().any(|a| a.0 == i) {
                    actions.push((i, Action::Continue, None));
                }
            }
        }
        self.locked = false;
        self.hub.resume(&actions);
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        self.actions.clear();
        self.locked = false;
        Ok(())
    }

    fn set_resume_action_continue(&mut self, tid: Tid, signal: Option<GdbSignal>) -> Result<(), Self::Error> {
        self.actions.push((id(tid), Action::Continue, signal.and_then(from_gdb)));
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for GuestTarget {
    fn set_resume_action_step(&mut self, tid: Tid, signal: Option<GdbSignal>) -> Result<(), Self::Error> {
        self.actions.push((id(tid), Action::Step, signal.and_then(from_gdb)));
        Ok(())
    }
}

impl MultiThreadSchedulerLocking for GuestTarget {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        self.locked = true;
        Ok(())
    }
}

impl Breakpoints for GuestTarget {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for GuestTarget {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.add_stop(addr);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove_stop(addr))
    }
}

impl HwBreakpoint for GuestTarget {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.add_stop(addr);
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.remove_stop(addr))
    }
}

impl HwWatchpoint for GuestTarget {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        self.hub.vm().add_watch(watch(addr, len, kind));
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: gdbstub::target::ext::breakpoints::WatchKind,
    ) -> TargetResult<bool, Self> {
        Ok(self.hub.vm().remove_watch(watch(addr, len, kind)))
    }
}

/// The stop reason gdb is sent for a thread's event.
pub(crate) fn stop_reason(id: Id, event: Event) -> MultiThreadStopReason<u64> {
    use gdbstub::target::ext::breakpoints::WatchKind as G;
    let t = tid(id);
    match event {
        Event::Stop(Stop::Address) => BaseStopReason::SwBreak(t),
        Event::Stop(Stop::Watch { addr, kind }) => {
            let kind = match kind {
                WatchKind::Write => G::Write,
                WatchKind::Read => G::Read,
                WatchKind::Access => G::ReadWrite,
            };
            BaseStopReason::Watch { tid: t, kind, addr }
        }
        Event::Stop(Stop::Step | Stop::Budget | Stop::Block) => {
            BaseStopReason::SignalWithThread { tid: t, signal: GdbSignal::SIGTRAP }
        }
        Event::Signal(sig) => BaseStopReason::SignalWithThread { tid: t, signal: to_gdb(sig) },
        Event::Interrupted => BaseStopReason::SignalWithThread { tid: t, signal: GdbSignal::SIGINT },
    }
}

/// How the process ended, for gdb.
pub(crate) fn exit_reason(status: ExitStatus) -> MultiThreadStopReason<u64> {
    match status {
        ExitStatus::Exited(code) => BaseStopReason::Exited(code as u8),
        ExitStatus::Signaled(sig) => BaseStopReason::Terminated(to_gdb(sig)),
    }
}

/// Waits for gdb's next byte or the guest's next stop.
pub(crate) enum EventLoop {}

impl BlockingEventLoop for EventLoop {
    type Target = GuestTarget;
    type Connection = TcpStream;
    type StopReason = MultiThreadStopReason<u64>;

    fn wait_for_stop_reason(
        target: &mut GuestTarget,
        conn: &mut TcpStream,
    ) -> Result<LoopEvent<Self::StopReason>, WaitForStopReasonError<String, std::io::Error>> {
        loop {
            match target.hub.next_event(Duration::from_millis(10)) {
                Some(Ok((id, event))) => {
                    target.hub.stop_all();
                    return Ok(LoopEvent::TargetStopped(stop_reason(id, event)));
                }
                Some(Err(status)) => return Ok(LoopEvent::TargetStopped(exit_reason(status))),
                None => {}
            }
            if conn.peek().map_err(WaitForStopReasonError::Connection)?.is_some() {
                let byte = ConnectionExt::read(conn).map_err(WaitForStopReasonError::Connection)?;
                return Ok(LoopEvent::IncomingData(byte));
            }
        }
    }

    fn on_interrupt(target: &mut GuestTarget) -> Result<Option<Self::StopReason>, String> {
        target.hub.stop_all();
        if let Some(Ok((id, event))) = target.hub.next_event(Duration::ZERO) {
            return Ok(Some(stop_reason(id, event)));
        }
        let first = target.hub.threads().first().copied().unwrap_or(1);
        Ok(Some(stop_reason(first, Event::Interrupted)))
    }
}
