"""scikit-learn side of bench/logreg: LogisticRegression(lbfgs, C) on the
first 80% of logreg.bin, test AUC on the rest; prints the fit time."""
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

path, C = sys.argv[1], float(sys.argv[2])
data = np.fromfile(path, dtype="<f8").reshape(-1, 29)
n = data.shape[0] * 8 // 10
X, y = data[:, :28], data[:, 28]
start = time.perf_counter()
m = LogisticRegression(solver="lbfgs", C=C, max_iter=1000).fit(X[:n], y[:n])
fit = time.perf_counter() - start
auc = roc_auc_score(y[n:], m.decision_function(X[n:]))
print(f"fit_s={fit:.3f} iterations={int(m.n_iter_[0])} test_auc={auc:.6f}")
