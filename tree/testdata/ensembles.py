"""Reference figures for Spindle's forests and boosted trees, from
scikit-learn and XGBoost (Debian's python3-sklearn, python3-xgboost) on
three datasets bundled with scikit-learn: breast_cancer (binary), wine
(3 classes), diabetes (regression). Every fourth row (i % 4 == 0) is the
test set.

Run:  /usr/bin/python3 tree/testdata/ensembles.py > tree/testdata/ensembles.json

Cases (the test asserts Spindle's test metric against the range):
- rf: RandomForest, 50 trees, max_depth 5, sqrt (classification) or a
  third (regression) of the features per split, bootstrap; the range is
  over seeds 0-4 (Spindle: numTrees 50, Spark's other defaults).
- gbt: Spark's boosting (Spindle's defaults, maxIter 20, stepSize 0.1,
  maxDepth 5), written out here with scikit-learn's exact regression
  trees (spark_gbt): the first tree fits the label (±1 for a classifier),
  each later one the negative gradient (2(y − F), or 4y/(1 + e^{2yF})),
  added with weight 0.1; for 3 classes, one tree per class fits
  y_k − softmax(F)_k. Spindle's trees are binned (maxBins 32), hence a
  tolerance.
- newton: XGBoost (hist, 256 bins, 50 rounds, depth 4, eta 0.3, lambda 1,
  min_child_weight 1) against Spindle's newtonLeaves with the same.
Metrics: accuracy (wine), AUC (breast_cancer), RMSE (diabetes).
"""
import json
import sys

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, mean_squared_error, roc_auc_score
from sklearn.tree import DecisionTreeRegressor


def metric(kind, y, pred):
    if kind == "auc":
        return roc_auc_score(y, pred[:, 1])
    if kind == "accuracy":
        return accuracy_score(y, pred.argmax(axis=1))
    return float(np.sqrt(mean_squared_error(y, pred)))


def spark_gbt(Xtr, ytr, Xte, kind, rounds=20, step=0.1, depth=5):
    def tree(target):
        t = DecisionTreeRegressor(max_depth=depth, random_state=0).fit(Xtr, target)
        return t.predict(Xtr), t.predict(Xte)

    if kind == "accuracy":
        k = int(ytr.max()) + 1
        F, Ft = np.zeros((len(ytr), k)), np.zeros((len(Xte), k))
        Y = np.eye(k)[ytr.astype(int)]
        for _ in range(rounds):
            P = np.exp(F - F.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            for c in range(k):
                a, b = tree(Y[:, c] - P[:, c])
                F[:, c] += step * a
                Ft[:, c] += step * b
        return Ft
    y = 2 * ytr - 1 if kind == "auc" else ytr
    F, Ft = tree(y)
    for _ in range(rounds - 1):
        r = 4 * y / (1 + np.exp(2 * y * F)) if kind == "auc" else 2 * (y - F)
        a, b = tree(r)
        F, Ft = F + step * a, Ft + step * b
    if kind == "auc":
        p = 1 / (1 + np.exp(-2 * Ft))
        return np.stack([1 - p, p], axis=1)
    return Ft


def main():
    out = {"datasets": {}, "cases": []}
    for name, loader, kind in [("breast_cancer", load_breast_cancer, "auc"), ("wine", load_wine, "accuracy"),
                               ("diabetes", load_diabetes, "rmse")]:
        d = loader()
        X, y = d.data, d.target.astype(float)
        test = np.arange(len(y)) % 4 == 0
        out["datasets"][name] = {"X": X.tolist(), "y": y.tolist(), "metric": kind}
        Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
        reg = kind == "rmse"

        def predict(m):
            return m.predict(Xte) if reg else m.predict_proba(Xte)

        vals = []
        for seed in range(5):
            if reg:
                m = RandomForestRegressor(n_estimators=50, max_depth=5, max_features=1 / 3, random_state=seed)
            else:
                m = RandomForestClassifier(n_estimators=50, max_depth=5, max_features="sqrt", random_state=seed)
            vals.append(metric(kind, yte, predict(m.fit(Xtr, ytr))))
        out["cases"].append({"dataset": name, "algo": "rf", "lo": min(vals), "hi": max(vals)})
        v = metric(kind, yte, spark_gbt(Xtr, ytr, Xte, kind))
        out["cases"].append({"dataset": name, "algo": "gbt", "lo": v, "hi": v})
        params = {"tree_method": "hist", "max_bin": 256, "max_depth": 4, "eta": 0.3, "lambda": 1,
                  "min_child_weight": 1, "nthread": 2}
        if reg:
            params["objective"] = "reg:squarederror"
        elif kind == "auc":
            params["objective"] = "binary:logistic"
        else:
            params.update(objective="multi:softprob", num_class=3)
        b = xgb.train(params, xgb.DMatrix(Xtr, label=ytr), num_boost_round=50)
        p = b.predict(xgb.DMatrix(Xte))
        if kind == "auc":
            p = np.stack([1 - p, p], axis=1)
        v = metric(kind, yte, p)
        out["cases"].append({"dataset": name, "algo": "newton", "lo": v, "hi": v})
    json.dump(out, sys.stdout)


main()
