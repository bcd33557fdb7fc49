"""scikit-learn side of bench/fmnist/kmeans-run.sh: what a user's script
does with the CSV — read it with pandas, take the raw pixels, and fit
KMeans (k 10, k-means++, n_init 1, lloyd, max_iter 20) on a 70% sample
(the rows 'spindle run' trains on after its 70/30 split). Prints the
whole time and the within-cluster sum of squares."""
import sys
import time

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

start = time.perf_counter()
df = pd.read_csv(sys.argv[1])
X = df[[f"p{j}" for j in range(784)]].to_numpy(dtype=np.float64)
X = X[np.random.default_rng(11).random(len(X)) < 0.7]
m = KMeans(n_clusters=10, init="k-means++", n_init=1, max_iter=20, algorithm="lloyd", random_state=0).fit(X)
print(f"total_s={time.perf_counter() - start:.3f} rows={len(X)} wcss={m.inertia_:.6f}")
