"""Golden figures for package clustering, from scikit-learn.

Run from the repository root with Debian's Python:

    /usr/bin/python3 clustering/testdata/golden.py > clustering/testdata/golden.json

Data: 4 Gaussian blobs in 6 dimensions (numpy seed 7), 400 rows, and the
same with a weight column. Figures: scikit-learn's KMeans (k-means++,
n_init=10, the best of ten) inertia, centers and labels; the silhouette
of those labels with metric="sqeuclidean" and metric="cosine"; a cosine
silhouette of 3 directions.
"""
import json

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

rng = np.random.default_rng(7)
means = rng.normal(0, 6, size=(4, 6))
X = np.vstack([m + rng.normal(0, 1, size=(100, 6)) for m in means])
X = X[rng.permutation(len(X))]
w = rng.integers(1, 4, size=len(X)).astype(float)

km = KMeans(n_clusters=4, init="k-means++", n_init=10, random_state=0, tol=0, max_iter=300).fit(X)
kmw = KMeans(n_clusters=4, init="k-means++", n_init=10, random_state=0, tol=0, max_iter=300).fit(X, sample_weight=w)
# Three clusters for the cosine silhouette: by the sign pattern of two
# features, a labelling that is not a k-means optimum.
lab3 = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)

out = {
    "features": X.tolist(),
    "weights": w.tolist(),
    "inertia": km.inertia_,
    "labels": km.labels_.tolist(),
    "weightedInertia": kmw.inertia_,
    "weightedLabels": kmw.labels_.tolist(),
    "silhouetteSqEuclidean": silhouette_score(X, km.labels_, metric="sqeuclidean"),
    "silhouetteCosine": silhouette_score(X, km.labels_, metric="cosine"),
    "labels3": lab3.tolist(),
    "silhouette3SqEuclidean": silhouette_score(X, lab3, metric="sqeuclidean"),
    "silhouette3Cosine": silhouette_score(X, lab3, metric="cosine"),
}
print(json.dumps(out))
