# Guest program: pure-Python work for the interpreter loop (integers, big
# integers, strings, dicts, sorting, floats), single-threaded.
#   python3 py_compute.py SCALE
import hashlib
import math
import sys

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1

# primes by sieve
n = 20000 * SCALE
sieve = bytearray([1]) * (n + 1)
sieve[0:2] = b"\0\0"
for i in range(2, int(n ** 0.5) + 1):
    if sieve[i]:
        sieve[i * i :: i] = bytes(len(range(i * i, n + 1, i)))
primes = [i for i in range(n + 1) if sieve[i]]
print("primes", len(primes), primes[-1])

# digits of pi by Machin's formula with big integers
def arccot(x, unity):
    total = term = unity // x
    k, sign = 3, -1
    x2 = x * x
    while term:
        term //= x2
        total += sign * (term // k)
        sign, k = -sign, k + 2
    return total

digits = 300 * SCALE
unity = 10 ** (digits + 10)
pi = 4 * (4 * arccot(5, unity) - arccot(239, unity)) // 10 ** 10
print("pi", str(pi)[:20], "...", str(pi)[-10:])

# collatz lengths with a dict cache
cache = {1: 1}
def collatz(k):
    path = []
    while k not in cache:
        path.append(k)
        k = k // 2 if k % 2 == 0 else 3 * k + 1
    length = cache[k]
    for v in reversed(path):
        length += 1
        cache[v] = length
    return length
best = max(range(1, 30000 * SCALE), key=collatz)
print("collatz", best, cache[best])

# strings and sorting
words = ["".join(chr(97 + (i * j * 7 + j) % 26) for j in range(1 + i % 9)) for i in range(20000 * SCALE)]
words.sort(key=lambda w: (len(w), w[::-1]))
print("words", words[:3], words[-1], hashlib.md5(" ".join(words).encode()).hexdigest())

# floats: a small n-body integration
bodies = [[0.0, 0.0, 0.0, 0.0, 39.47841760435743],
          [4.84, -1.16, 0.606, 2.81, 0.037],
          [8.34, 4.12, -1.01, 1.82, 0.011],
          [12.89, -15.11, 1.08, 0.868, 0.0017],
          [15.37, -25.91, 0.979, 0.594, 0.002]]
dt = 0.01
for _ in range(2000 * SCALE):
    for i, a in enumerate(bodies):
        for b in bodies[i + 1 :]:
            dx, dy = a[0] - b[0], a[1] - b[1]
            d2 = dx * dx + dy * dy + 0.01
            mag = dt / (d2 * math.sqrt(d2))
            a[2] -= dx * b[4] * mag
            a[3] -= dy * b[4] * mag
            b[2] += dx * a[4] * mag
            b[3] += dy * a[4] * mag
    for body in bodies:
        body[0] += dt * body[2]
        body[1] += dt * body[3]
print("nbody", [round(c, 9) for c in bodies[1][:4]])
print("float repr", repr(sum(b[0] * b[1] for b in bodies)))
