"""Golden figures for GaussianMixture, from scikit-learn.

Run from the repository root with Debian's Python:

    /usr/bin/python3 clustering/testdata/gmm.py > clustering/testdata/gmm.json

Data: 3 Gaussian blobs in 3 dimensions with different covariances (numpy
seed 5), 360 rows. scikit-learn's GaussianMixture (full covariances,
reg_covar 0, tol 1e-12, max_iter 1000) starts from the given weights, means
(rows 0, 1 and 2) and identity covariances; the figures are its final mean
log-likelihood per row (score), weights and means.
"""
import json

import numpy as np
from sklearn.mixture import GaussianMixture

rng = np.random.default_rng(5)
centers = np.array([[0, 0, 0], [6, 1, -2], [-3, 5, 4]], dtype=float)
scales = [np.diag([1.0, 0.5, 2.0]), np.array([[1, 0.6, 0], [0, 1, 0.3], [0, 0, 0.7]]), 1.5 * np.eye(3)]
X = np.vstack([c + rng.normal(size=(120, 3)) @ s for c, s in zip(centers, scales)])
X = X[rng.permutation(len(X))]
means0 = X[:3].copy()
weights0 = np.full(3, 1 / 3)
covs0 = np.stack([np.eye(3)] * 3)
gm = GaussianMixture(3, covariance_type="full", weights_init=weights0, means_init=means0,
                     precisions_init=np.linalg.inv(covs0), reg_covar=0, tol=1e-12, max_iter=1000).fit(X)
print(json.dumps({"X": X.tolist(), "weights0": weights0.tolist(), "means0": means0.tolist(), "covs0": covs0.tolist(),
                  "score": gm.score(X), "weights": gm.weights_.tolist(), "means": gm.means_.tolist(),
                  "converged": bool(gm.converged_), "iterations": int(gm.n_iter_)}))
