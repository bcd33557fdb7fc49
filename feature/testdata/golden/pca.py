"""Golden figures for PCA, from numpy's SVD of the centred data.

Run from the repository root with Debian's Python:

    /usr/bin/python3 feature/testdata/golden/pca.py > feature/testdata/golden/pca.json

Data: 300 rows of 8 correlated features (numpy seed 3: normal draws times a
random mixing matrix, plus an offset), a tenth of the values set to 0. For
k = 3: the explained variance ratio s_i² / Σ s_j² of the singular values s
of the centred rows (scikit-learn's explained_variance_ratio_), and the
components, the rows of Vᵀ.
"""
import json

import numpy as np

rng = np.random.default_rng(3)
X = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8)) + rng.normal(0, 5, size=8)
X[rng.random(X.shape) < 0.1] = 0.0
Xc = X - X.mean(axis=0)
_, s, vt = np.linalg.svd(Xc, full_matrices=False)
ratio = s**2 / (s**2).sum()
print(json.dumps({"X": X.tolist(), "k": 3, "explainedVariance": ratio[:3].tolist(), "components": vt[:3].tolist()}))
