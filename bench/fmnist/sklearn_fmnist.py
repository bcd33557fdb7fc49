"""scikit-learn side of bench/fmnist: multinomial LogisticRegression
(lbfgs, C, 100 iterations) on Fashion-MNIST's training images (pixels /
255), test accuracy on the test images; prints the fit time and the BLAS
numpy uses."""
import sys
import time
import warnings

from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info

from fmnist_data import load

X, y, Xt, yt = load()
C = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
warnings.simplefilter("ignore")
start = time.perf_counter()
m = LogisticRegression(solver="lbfgs", C=C, max_iter=100).fit(X, y)
fit = time.perf_counter() - start
acc = (m.predict(Xt) == yt).mean()
blas = ",".join(f"{i['internal_api']}-{i.get('version')}-{i.get('architecture')}x{i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas")
print(f"fit_s={fit:.3f} iterations={int(m.n_iter_[0])} test_accuracy={acc:.4f} blas={blas}")
