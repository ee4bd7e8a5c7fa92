//! The compile queue: requests for hot code, highest expected benefit
//! first, shared by every guest thread and drained by the compile workers.
//!
//! A translation is queued at most once at a time: its record's `queued`
//! flag merges a second request into the one waiting (or being compiled).
//! A request whose translation was dropped since (its code changed: the
//! record's `version` moved on) is stale and is dropped when it comes up.

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::table::Record;

/// Most requests waiting; more are refused (the translation stays
/// interpreted and asks again later).
pub(crate) const CAPACITY: usize = 1 << 14;

/// A request to compile the translation of `record` as hot code.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) record: Arc<Record>,
    /// Expected benefit (ns saved net of the compile's cost): the order.
    pub(crate) priority: f64,
    /// The record's version when asked (see the module docs).
    pub(crate) version: u64,
    /// When it was queued.
    pub(crate) queued_at: Instant,
    /// Re-form the region entered at this pc instead, because this
    /// translation, one of its side exits, turned hot.
    pub(crate) reform: Option<Arc<Record>>,
    /// What is asked for.
    pub(crate) ask: Ask,
    seq: u64,
}

/// What a [`Request`] asks a worker to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ask {
    /// The optimized region grown from the block (or the re-formed one).
    Region,
    /// Quick first-tier code for the block alone (no optimizer), served
    /// before every other kind; then its optimized region, queued as soon
    /// as the quick code is in.
    QuickThenRegion,
    /// Quick first-tier code alone: its region is weighed when that code
    /// has run `QUICK_TIER_UP` times, as baseline code's is.
    Quick,
}

impl Ask {
    /// Whether quick first-tier code is asked for.
    pub(crate) fn quick(self) -> bool {
        self != Ask::Region
    }
}

impl Request {
    pub(crate) fn new(record: Arc<Record>, priority: f64, reform: Option<Arc<Record>>) -> Self {
        let version = record.version.load(Ordering::Acquire);
        Request { record, priority, version, queued_at: Instant::now(), reform, ask: Ask::Region, seq: 0 }
    }

    /// A request for quick first-tier code, `ask` saying whether its
    /// optimized region follows ([`Ask::QuickThenRegion`]) or not.
    pub(crate) fn quick(record: Arc<Record>, priority: f64, ask: Ask) -> Self {
        debug_assert!(ask.quick());
        Request { ask, ..Request::new(record, priority, None) }
    }

    /// Whether the translation changed since it was asked for.
    pub(crate) fn stale(&self) -> bool {
        self.record.version.load(Ordering::Acquire) != self.version
    }
}

impl PartialEq for Request {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Request {}

impl PartialOrd for Request {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Request {
    /// Quick requests first; then higher priority first; among equals,
    /// the older first.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.ask
            .quick()
            .cmp(&other.ask.quick())
            .then_with(|| self.priority.total_cmp(&other.priority))
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// What [`CompileQueue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    Queued,
    /// The translation was already queued or being compiled.
    Merged,
    /// The queue is full.
    Refused,
}

/// The queue's locked part.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    heap: BinaryHeap<Request>,
    seq: u64,
    shutdown: bool,
}

/// The queue (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct CompileQueue {
    inner: Mutex<Inner>,
    ready: Condvar,
    shut: AtomicBool,
}

impl CompileQueue {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `req` unless its translation is queued already (or the queue
    /// is full).
    pub(crate) fn push(&self, mut req: Request) -> Pushed {
        if req.record.queued.swap(true, Ordering::AcqRel) {
            return Pushed::Merged;
        }
        let mut inner = self.lock();
        if inner.heap.len() >= CAPACITY || inner.shutdown {
            req.record.queued.store(false, Ordering::Release);
            return Pushed::Refused;
        }
        inner.seq += 1;
        req.seq = inner.seq;
        inner.heap.push(req);
        drop(inner);
        self.ready.notify_one();
        Pushed::Queued
    }

    /// The most beneficial request that is not stale, waiting up to
    /// `timeout` for one; stale ones met on the way are dropped (their
    /// count is returned too). The caller calls [`Request::done`] when it
    /// has finished with the request.
    pub(crate) fn pop(&self, timeout: Duration) -> (Option<Request>, u64) {
        let mut inner = self.lock();
        let mut stale = 0;
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(req) = inner.heap.pop() {
                if req.stale() {
                    req.done();
                    stale += 1;
                    continue;
                }
                return (Some(req), stale);
            }
            let now = Instant::now();
            if inner.shutdown || now >= deadline {
                return (None, stale);
            }
            inner = self.ready.wait_timeout(inner, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// Requests waiting.
    pub(crate) fn len(&self) -> usize {
        self.lock().heap.len()
    }

    /// Whether it was shut down (the VM is going away).
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut.load(Ordering::Acquire)
    }

    /// Wakes every waiting worker for good.
    pub(crate) fn shutdown(&self) {
        let mut inner = self.lock();
        inner.shutdown = true;
        self.shut.store(true, Ordering::Release);
        for req in inner.heap.drain() {
            req.done();
        }
        drop(inner);
        self.ready.notify_all();
    }

    /// Forgets every request (in a forked child, whose workers are gone:
    /// the translations they were compiling may ask again).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        for req in inner.heap.drain() {
            req.done();
        }
    }

    /// Held across a host `fork` (see [`crate::Vm::prepare_fork`]).
    pub(crate) fn lock_for_fork(&self) -> MutexGuard<'_, Inner> {
        self.lock()
    }
}

impl Request {
    /// The translation may be asked for again.
    pub(crate) fn done(&self) {
        self.record.queued.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrovm_jit::abi::Unlinked;

    fn record(pc: u64) -> Arc<Record> {
        Arc::new(Record::new(pc, Unlinked::default()))
    }

    const NOW: Duration = Duration::ZERO;

    #[test]
    fn highest_priority_first_then_oldest() {
        let q = CompileQueue::default();
        let (a, b, c, d) = (record(0xa), record(0xb), record(0xc), record(0xd));
        for (r, p) in [(&a, 1.0), (&b, 5.0), (&c, 3.0), (&d, 5.0)] {
            assert_eq!(q.push(Request::new(Arc::clone(r), p, None)), Pushed::Queued);
        }
        let order: Vec<u64> = std::iter::from_fn(|| q.pop(NOW).0.map(|r| r.record.pc())).collect();
        assert_eq!(order, [0xb, 0xd, 0xc, 0xa]);
        // Quick requests go first whatever their priority.
        q.push(Request::new(record(0x1), 9.0, None));
        q.push(Request::quick(record(0x2), 0.5, Ask::QuickThenRegion));
        assert_eq!(q.pop(NOW).0.map(|r| r.record.pc()), Some(0x2));
    }

    #[test]
    fn duplicates_merge_until_done() {
        let q = CompileQueue::default();
        let a = record(0xa);
        assert_eq!(q.push(Request::new(Arc::clone(&a), 1.0, None)), Pushed::Queued);
        assert_eq!(q.push(Request::new(Arc::clone(&a), 9.0, None)), Pushed::Merged);
        assert_eq!(q.len(), 1);
        let req = q.pop(NOW).0.expect("one request");
        // Being compiled: still merged.
        assert_eq!(q.push(Request::new(Arc::clone(&a), 1.0, None)), Pushed::Merged);
        req.done();
        assert_eq!(q.push(Request::new(Arc::clone(&a), 1.0, None)), Pushed::Queued);
    }

    #[test]
    fn stale_requests_are_dropped() {
        let q = CompileQueue::default();
        let (a, b) = (record(0xa), record(0xb));
        q.push(Request::new(Arc::clone(&a), 9.0, None));
        q.push(Request::new(Arc::clone(&b), 1.0, None));
        // a's code changed while it waited.
        a.version.fetch_add(1, Ordering::AcqRel);
        let (req, stale) = q.pop(NOW);
        assert_eq!((req.map(|r| r.record.pc()), stale), (Some(0xb), 1));
        // Dropped means done: it can be asked for again.
        assert_eq!(q.push(Request::new(a, 1.0, None)), Pushed::Queued);
    }

    #[test]
    fn pop_waits_for_a_push_and_shutdown_wakes_it() {
        let q = Arc::new(CompileQueue::default());
        let q2 = Arc::clone(&q);
        let t = std::thread::spawn(move || q2.pop(Duration::from_secs(30)).0.map(|r| r.record.pc()));
        std::thread::sleep(Duration::from_millis(20));
        q.push(Request::new(record(0x42), 1.0, None));
        assert_eq!(t.join().expect("no panic"), Some(0x42));
        let q2 = Arc::clone(&q);
        let t = std::thread::spawn(move || q2.pop(Duration::from_secs(30)).0.is_none());
        std::thread::sleep(Duration::from_millis(20));
        q.shutdown();
        assert!(t.join().expect("no panic"));
        assert_eq!(q.push(Request::new(record(0x43), 1.0, None)), Pushed::Refused);
    }

    #[test]
    fn a_full_queue_refuses_and_clear_releases() {
        let q = CompileQueue::default();
        let records: Vec<_> = (0..CAPACITY as u64 + 1).map(record).collect();
        for r in &records[..CAPACITY] {
            assert_eq!(q.push(Request::new(Arc::clone(r), 1.0, None)), Pushed::Queued);
        }
        let last = &records[CAPACITY];
        assert_eq!(q.push(Request::new(Arc::clone(last), 1.0, None)), Pushed::Refused);
        assert!(!last.queued.load(Ordering::Acquire));
        q.clear();
        assert_eq!(q.len(), 0);
        assert!(records.iter().all(|r| !r.queued.load(Ordering::Acquire)));
    }
}
