"""Golden HashingTF indices, computed outside Spindle.

Spark 3's HashingTF maps a term to nonNegativeMod(murmur3_x86_32(utf8(term),
seed=42) as a signed int, numFeatures). scikit-learn's murmurhash3_32 is the
reference MurmurHash3 x86_32 (it hashes a str's UTF-8 bytes).

Run:  /usr/bin/python3 feature/testdata/golden/hashing.py > feature/testdata/golden/hashing.json
"""
import json
from sklearn.utils import murmurhash3_32

TERMS = [
    "", "a", "ab", "abc", "abcd", "abcde", "spark", "spindle", "hello", "world",
    "the", "free", "money", "click", "unsubscribe", "viagra", "meeting", "tomorrow",
    "http", "www", "com", "ham", "spam", "0", "42", "3.14", "with space", "UPPER",
    "naïve", "café", "résumé", "straße", "東京", "日本語", "привет", "مرحبا", "😀",
    "emoji😀mix", "a\u0301", "\t", "long-term-with-hyphens-and-more-than-sixteen-bytes",
]


def nonneg_mod(x, m):
    r = x % m  # Python's % is already non-negative for m > 0
    return r


out = []
for t in TERMS:
    h = murmurhash3_32(t, seed=42, positive=False)
    out.append({
        "term": t,
        "murmur3_signed": int(h),
        "index_262144": nonneg_mod(int(h), 1 << 18),
        "index_250": nonneg_mod(int(h), 250),
        "index_1000": nonneg_mod(int(h), 1000),
    })
print(json.dumps(out, ensure_ascii=False, indent=1))
