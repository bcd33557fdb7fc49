"""The text-featurization benchmark in scikit-learn: the same corpus, the
same cleanup (lowercase, split on \\W+, drop empty tokens, drop the same
English stop words Spindle uses), HashingVectorizer with 2^18 features and
raw counts, then TfidfTransformer with smooth idf and no normalization.

  /usr/bin/python3 bench/textfeatures/sklearn_features.py CORPUS.csv STOPWORDS.txt
"""
import re
import resource
import sys
import time

import pandas as pd
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

path, stop_path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
df = pd.read_csv(path, keep_default_na=False)
read = time.perf_counter() - start

stop = set(w.strip() for w in open(stop_path, encoding="utf-8") if w.strip())
split = re.compile(r"\W+", re.ASCII)


def analyzer(text):
    return [t for t in split.split(text.lower()) if t and t not in stop]


fstart = time.perf_counter()
hv = HashingVectorizer(n_features=2**18, analyzer=analyzer, alternate_sign=False, norm=None)
tf = hv.transform(df["text"])
tfidf = TfidfTransformer(norm=None, smooth_idf=True).fit_transform(tf)
feat = time.perf_counter() - fstart
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"docs={tfidf.shape[0]} nnz={tfidf.nnz} read_s={read:.3f} features_s={feat:.3f} peak_rss_MB={peak:.0f}")
