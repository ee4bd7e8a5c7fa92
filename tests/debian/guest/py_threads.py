# Guest program (python3.13 under the emulator): the threading module's
# primitives, with output that does not depend on scheduling.
#   python3 py_threads.py SCALE
import hashlib
import queue
import sys
import threading

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1

# 1. A Lock-protected counter bumped by several threads.
counter = 0
lock = threading.Lock()


def bump(n):
    global counter
    for _ in range(n):
        with lock:
            counter += 1


threads = [threading.Thread(target=bump, args=(2000 * SCALE,), name=f"bump{i}") for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("lock counter:", counter, "expected", 4 * 2000 * SCALE)

# 2. Producers and consumers over a Queue; consumers hash what they get.
work = queue.Queue(maxsize=16)
results = {}
results_lock = threading.Lock()
N_ITEMS = 200 * SCALE


def producer(base):
    for i in range(base, N_ITEMS, 2):
        work.put(i)


def consumer():
    while True:
        i = work.get()
        if i is None:
            work.task_done()
            return
        digest = hashlib.sha256(str(i).encode() * 64).hexdigest()
        with results_lock:
            results[i] = digest
        work.task_done()


consumers = [threading.Thread(target=consumer) for _ in range(3)]
producers = [threading.Thread(target=producer, args=(b,)) for b in range(2)]
for t in consumers + producers:
    t.start()
for t in producers:
    t.join()
work.join()
for _ in consumers:
    work.put(None)
for t in consumers:
    t.join()
h = hashlib.sha256()
for i in sorted(results):
    h.update(results[i].encode())
print("queue items:", len(results), "digest", h.hexdigest()[:32])

# 3. A Condition passing a turn between three threads in a fixed order.
cond = threading.Condition()
turn = 0
order = []
ROUNDS = 30 * SCALE


def player(me, count):
    global turn
    for _ in range(ROUNDS):
        with cond:
            cond.wait_for(lambda: turn % count == me)
            order.append(me)
            turn += 1
            cond.notify_all()


players = [threading.Thread(target=player, args=(i, 3)) for i in range(3)]
for t in players:
    t.start()
for t in players:
    t.join()
ok = order == [i % 3 for i in range(3 * ROUNDS)]
print("condition turns:", len(order), "in order" if ok else "OUT OF ORDER")

# 4. Barrier, Event, Semaphore and thread-local data.
barrier = threading.Barrier(4)
go = threading.Event()
sem = threading.Semaphore(2)
inside = 0
max_inside = 0
gauge = threading.Lock()
local = threading.local()
phase_log = []


def staged(i):
    global inside, max_inside
    local.name = f"t{i}"
    go.wait()
    with sem:
        with gauge:
            inside += 1
            max_inside = max(max_inside, inside)
        sum(range(1000))
        with gauge:
            inside -= 1
    idx = barrier.wait()
    with gauge:
        phase_log.append((local.name, idx >= 0))


staged_threads = [threading.Thread(target=staged, args=(i,)) for i in range(4)]
for t in staged_threads:
    t.start()
go.set()
for t in staged_threads:
    t.join()
print("barrier:", sorted(phase_log), "semaphore max", max_inside <= 2)
print("threads alive at end:", threading.active_count())
