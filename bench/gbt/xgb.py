"""Reference side of bench/gbt: XGBoost (tree_method hist) or
scikit-learn's RandomForestClassifier on the same rows as Spindle (the
first 70% of a `logreg gen` file for training, the rest for the test AUC),
2 threads. Prints the fit time and test AUC.

  xgb.py FILE xgb ROUNDS DEPTH BINS STEP
  xgb.py FILE rf TREES DEPTH
"""
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score

path, algo = sys.argv[1], sys.argv[2]
data = np.fromfile(path, dtype="<f8").reshape(-1, 29)
n = data.shape[0] * 7 // 10
X, y = data[:, :28], data[:, 28]
if algo == "xgb":
    import xgboost as xgb

    rounds, depth, bins, step = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    start = time.perf_counter()
    dtrain = xgb.DMatrix(X[:n], label=y[:n], nthread=2)
    params = {"tree_method": "hist", "max_depth": depth, "max_bin": bins, "eta": step,
              "objective": "binary:logistic", "nthread": 2}
    m = xgb.train(params, dtrain, num_boost_round=rounds)
    fit = time.perf_counter() - start
    auc = roc_auc_score(y[n:], m.predict(xgb.DMatrix(X[n:], nthread=2)))
else:
    from sklearn.ensemble import RandomForestClassifier

    trees, depth = int(sys.argv[3]), int(sys.argv[4])
    start = time.perf_counter()
    m = RandomForestClassifier(n_estimators=trees, max_depth=depth, n_jobs=2, random_state=0).fit(X[:n], y[:n])
    fit = time.perf_counter() - start
    auc = roc_auc_score(y[n:], m.predict_proba(X[n:])[:, 1])
print(f"fit_s={fit:.3f} test_auc={auc:.6f}")
