"""gensim side of bench/word2vec: the same tokens (bench/spamtext.py), then
gensim's Word2Vec with Spindle's (Spark's) parameters: vector_size 250,
min_count 5, skip-gram (sg=1) with hierarchical softmax (hs=1,
negative=0), window 5, 1 epoch, alpha 0.025, no downsampling (sample=0;
Spark has none), 2 worker threads. Prints the fit time (vocabulary and
training), the vocabulary size and the nearest neighbours of a few words."""
import os
import sys
import time

import pandas as pd
from gensim.models import Word2Vec

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from spamtext import tokenizer  # noqa: E402

csv_path, stop_path = sys.argv[1], sys.argv[2]
tokens = tokenizer(stop_path)
docs = [tokens(t) for t in pd.read_csv(csv_path)["text"].fillna("")]
start = time.perf_counter()
m = Word2Vec(docs, vector_size=250, min_count=5, sg=1, hs=1, negative=0, window=5, epochs=1,
             alpha=0.025, sample=0, workers=2, seed=11)
fit = time.perf_counter() - start
near = []
for q in ["money", "free", "linux", "email"]:
    if q in m.wv:
        near.append(q + ":" + ",".join(w for w, _ in m.wv.most_similar(q, topn=5)))
print(f"fit_s={fit:.3f} vocabulary={len(m.wv)} near={';'.join(near)}")
