"""scikit-learn side of bench/fmnist/kmeans.sh: KMeans (k-means++, n_init
1, Lloyd, max_iter from argv) on Fashion-MNIST's 60,000 training images
(pixels / 255); prints the fit time, the within-cluster sum of squares
(inertia_) and the iterations run."""
import sys
import time

from sklearn.cluster import KMeans

from fmnist_data import load

X, _, _, _ = load()
iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
start = time.perf_counter()
m = KMeans(n_clusters=10, init="k-means++", n_init=1, max_iter=iters, algorithm="lloyd", random_state=seed).fit(X)
fit = time.perf_counter() - start
print(f"fit_s={fit:.3f} wcss={m.inertia_:.6f} iterations={m.n_iter_}")
