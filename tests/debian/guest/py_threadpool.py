# Guest program: concurrent.futures.ThreadPoolExecutor, results gathered in a
# deterministic order.
#   python3 py_threadpool.py SCALE
import hashlib
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor, as_completed

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1


def job(i):
    # hashing and zlib release the GIL on large buffers, so the workers do
    # run at the same time
    data = hashlib.sha512(str(i).encode()).digest() * (512 * SCALE)
    packed = zlib.compress(data, 6)
    return i, len(packed), hashlib.sha256(data).hexdigest()[:16]


with ThreadPoolExecutor(max_workers=4) as pool:
    mapped = list(pool.map(job, range(32)))
    futures = {pool.submit(job, 1000 + i): i for i in range(32)}
    completed = sorted(f.result() for f in as_completed(futures))
    total = pool.submit(sum, [n for _, n, _ in mapped]).result()

for row in mapped[:4]:
    print("map", *row)
print("map rows", len(mapped), "compressed total", total)
print("as_completed rows", len(completed), "first", completed[0], "last", completed[-1])
h = hashlib.sha256(repr((mapped, completed)).encode()).hexdigest()
print("digest", h)
