# Guest program: a tour of the standard library's C extensions (json, hashlib
# through OpenSSL, zlib, bz2, lzma, sqlite3, decimal, re, struct, random...),
# single-threaded.
#   python3 py_stdlib.py INPUT_FILE
import base64
import bz2
import collections
import datetime
import decimal
import hashlib
import itertools
import json
import lzma
import math
import random
import re
import sqlite3
import statistics
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
print("input bytes", len(data))

for name in ("md5", "sha1", "sha256", "sha512", "sha3_256", "blake2b"):
    print(name, hashlib.new(name, data).hexdigest()[:32])

print("zlib", len(zlib.compress(data, 9)), zlib.crc32(data), zlib.adler32(data))
print("bz2", len(bz2.compress(data[:200000], 9)))
print("lzma", len(lzma.compress(data[:200000], preset=6)))
print("base64", base64.b64encode(data[:60]).decode())

words = re.findall(rb"[a-z]+", data)
counts = collections.Counter(words)
print("words", len(words), "distinct", len(counts))
print("top", [(w.decode(), n) for w, n in counts.most_common(5)])
print("sentences", len(re.findall(rb"\.\n", data)))

doc = {"words": {w.decode(): n for w, n in counts.most_common(200)},
       "pairs": [[i, i * i, str(i)] for i in range(500)],
       "float": [math.sin(i) * 1e6 for i in range(100)]}
text = json.dumps(doc, sort_keys=True, indent=1)
back = json.loads(text)
print("json", len(text), back == doc, hashlib.sha256(text.encode()).hexdigest()[:16])

rng = random.Random(12345)
sample = [rng.random() for _ in range(1000)]
print("random", sample[0], rng.randrange(10**9), rng.choice("abcdef"))
print("statistics", statistics.mean(sample), statistics.pstdev(sample))
print("math", math.fsum(math.log1p(i) for i in range(1, 5000)), math.factorial(60) % 1000003)

decimal.getcontext().prec = 50
print("decimal", decimal.Decimal(2).sqrt(), decimal.Decimal(1) / decimal.Decimal(7))
print("struct", struct.pack("<qdI", -5, 2.5, 7).hex())
print("datetime", datetime.datetime(2024, 2, 29, 12, 0, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=400))
print("itertools", list(itertools.islice(itertools.permutations("abcd"), 3)))

db = sqlite3.connect(":memory:")
db.execute("create table w (word text, n integer)")
db.executemany("insert into w values (?, ?)", ((w.decode(), n) for w, n in counts.items()))
print("sqlite3", db.execute("select count(*), sum(n), max(length(word)) from w").fetchone(),
      sqlite3.sqlite_version)
