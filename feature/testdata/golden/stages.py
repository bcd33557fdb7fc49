"""Golden outputs of Spark ML's formulas for IDF, StandardScaler,
MinMaxScaler, MaxAbsScaler and Normalizer on small tables, computed with
numpy and scikit-learn (Debian's python3-sklearn), outside Spindle.

Run:  /usr/bin/python3 feature/testdata/golden/stages.py > feature/testdata/golden/stages.json

- IDF: Spark's idf = ln((m+1)/(df+1)); scikit-learn's TfidfTransformer with
  smooth_idf=True has idf_ = ln((1+m)/(1+df)) + 1, so Spark's is idf_ - 1.
- StandardScaler: Spark divides by the corrected (ddof=1) sample standard
  deviation; scikit-learn's scale_ is the ddof=0 one, so the expected output
  is x / (scale_ * sqrt(m/(m-1))), checked against numpy's std(ddof=1).
- MinMaxScaler: scikit-learn's MinMaxScaler, except that Spark maps a
  constant column to 0.5 (scikit-learn to 0).
- MaxAbsScaler: scikit-learn's MaxAbsScaler.
- Normalizer: scikit-learn's normalize (l2, l1, max).
"""
import json

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler, normalize

X = np.array([
    [1.0, 0.0, 5.0, 2.0],
    [2.0, 0.0, 5.0, -1.0],
    [0.0, 3.0, 5.0, 0.5],
    [4.0, 1.0, 5.0, 0.0],
    [-3.0, 0.0, 5.0, 10.0],
    [0.5, 2.0, 5.0, 0.0],
])
TF = np.array([
    [1.0, 0.0, 2.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 1.0, 0.0],
    [3.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 4.0, 0.0, 0.0],
])

m = X.shape[0]
tt = TfidfTransformer(smooth_idf=True, norm=None, sublinear_tf=False).fit(TF)
idf = tt.idf_ - 1.0
assert np.allclose(idf, np.log((TF.shape[0] + 1) / ((TF > 0).sum(0) + 1)))

ss = StandardScaler(with_mean=False).fit(X)
std1 = ss.scale_ * np.sqrt(m / (m - 1))
std1[np.std(X, axis=0) == 0] = 0
assert np.allclose(std1, np.std(X, axis=0, ddof=1))
with_std = np.where(std1 == 0, 0, X / np.where(std1 == 0, 1, std1))
with_mean_std = np.where(std1 == 0, 0, (X - X.mean(0)) / np.where(std1 == 0, 1, std1))

mm = MinMaxScaler().fit_transform(X)
const = X.max(0) == X.min(0)
mm[:, const] = 0.5
mm2 = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X)
mm2[:, const] = 0.0  # (min+max)/2 for [-1, 1]

out = {
    "X": X.tolist(),
    "TF": TF.tolist(),
    "idf": idf.tolist(),
    "tfidf": (TF * idf).tolist(),
    "idf_min_doc_freq_2": np.where((TF > 0).sum(0) >= 2, idf, 0.0).tolist(),
    "std": std1.tolist(),
    "standard_with_std": with_std.tolist(),
    "standard_with_mean_with_std": with_mean_std.tolist(),
    "minmax_0_1": mm.tolist(),
    "minmax_-1_1": mm2.tolist(),
    "maxabs": MaxAbsScaler().fit_transform(X).tolist(),
    "normalize_l2": normalize(X, norm="l2").tolist(),
    "normalize_l1": normalize(X, norm="l1").tolist(),
    "normalize_max": normalize(X, norm="max").tolist(),
}
print(json.dumps(out, indent=1))
