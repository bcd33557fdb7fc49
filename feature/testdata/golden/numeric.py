"""Golden outputs for Imputer, QuantileDiscretizer and CountVectorizer,
computed outside Spindle with numpy and scikit-learn.

Run:  /usr/bin/python3 feature/testdata/golden/numeric.py > feature/testdata/golden/numeric.json

- Imputer mean/median/mode as Spark defines them: the mean of non-missing
  values; the median as Spark's approxQuantile(0.5) with zero error, the
  ceil(0.5 n)-th smallest value; the mode, the most frequent value, the
  smallest on ties (numpy's unique + argmax).
- QuantileDiscretizer splits: -inf, the ceil(q n)-th smallest for
  q = i/numBuckets, +inf; bucket = index of the split interval
  (numpy.searchsorted with side='right' - 1).
- CountVectorizer: scikit-learn's CountVectorizer gives the document-term
  counts; the vocabulary order (count desc, term asc) is checked separately.
"""
import json
import math

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

x = np.array([3.0, np.nan, 1.0, 7.0, 1.0, -2.0, np.nan, 5.0, 7.0, 7.0, 0.5])
present = x[~np.isnan(x)]
n = len(present)
s = np.sort(present)
median = s[max(math.ceil(0.5 * n), 1) - 1]
vals, counts = np.unique(present, return_counts=True)
mode = vals[np.argmax(counts)]  # unique sorts ascending: ties go to the smallest

rng = np.random.default_rng(7)
y = np.round(rng.normal(10, 3, 200), 2)
ys = np.sort(y)
splits = {}
buckets = {}
for nb in (2, 4, 5):
    qs = [ys[max(math.ceil(i / nb * len(y)), 1) - 1] for i in range(1, nb)]
    sp = [-math.inf]
    for q in qs:
        if q > sp[-1]:
            sp.append(float(q))
    sp.append(math.inf)
    splits[str(nb)] = sp
    buckets[str(nb)] = (np.searchsorted(np.array(sp), y, side="right") - 1).astype(float).tolist()

docs = [["a", "b", "c", "a"], ["a", "b", "b"], ["c", "d"], ["a"]]
cv = CountVectorizer(analyzer=lambda d: d).fit(docs)
counts_matrix = cv.transform(docs).toarray()

out = {
    "x": [None if np.isnan(v) else v for v in x],
    "mean": float(present.mean()),
    "median": float(median),
    "mode": float(mode),
    "y": y.tolist(),
    "splits": {k: [("-inf" if math.isinf(v) and v < 0 else "inf" if math.isinf(v) else v) for v in sp] for k, sp in splits.items()},
    "buckets": buckets,
    "docs": docs,
    "sklearn_vocabulary": sorted(cv.vocabulary_, key=cv.vocabulary_.get),
    "sklearn_counts": counts_matrix.tolist(),
}
print(json.dumps(out, indent=1))
