"""XGBoost side of bench/fmnist -model gbt: multi:softprob boosting (hist,
max_bin 256, depth, eta, rounds as given; 2 threads) on Fashion-MNIST's
training images (pixels / 255, as Spindle reads them), test accuracy on
the test images; prints the fit time (DMatrix construction included, as
Spindle's includes its binning).

  xgb_fmnist.py ROUNDS DEPTH ETA
"""
import sys
import time

import xgboost as xgb

from fmnist_data import load

X, y, Xt, yt = load()
rounds, depth, eta = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
start = time.perf_counter()
d = xgb.DMatrix(X, label=y, nthread=2)
params = {"tree_method": "hist", "max_bin": 256, "max_depth": depth, "eta": eta, "objective": "multi:softprob",
          "num_class": 10, "nthread": 2}
m = xgb.train(params, d, num_boost_round=rounds)
fit = time.perf_counter() - start
acc = float((m.predict(xgb.DMatrix(Xt, nthread=2)).argmax(axis=1) == yt).mean())
print(f"fit_s={fit:.3f} test_accuracy={acc:.4f}")
