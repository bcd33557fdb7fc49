"""Reference side of bench/fmnist/pca.sh: on Fashion-MNIST's 60,000
training images (pixels / 255), times scikit-learn's PCA (k components,
its default solver and svd_solver="full"), then compares Spindle's
explained variance ratios (the file argv[2], one a line) with numpy's SVD
of the centred images (s_i² / Σ s_j², exact to rounding)."""
import sys
import time

import numpy as np
from sklearn.decomposition import PCA

from fmnist_data import load

X, _, _, _ = load()
k = int(sys.argv[1])
start = time.perf_counter()
PCA(n_components=k, random_state=0).fit(X)
auto = time.perf_counter() - start
start = time.perf_counter()
PCA(n_components=k, svd_solver="full").fit(X)
full = time.perf_counter() - start
s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
ratio = (s**2 / (s**2).sum())[:k]
ours = np.loadtxt(sys.argv[2])
rel = np.max(np.abs(ours - ratio) / ratio)
print(f"auto_s={auto:.3f} full_s={full:.3f} explained={ratio.sum():.12f} max_rel_diff={rel:.3g}")
