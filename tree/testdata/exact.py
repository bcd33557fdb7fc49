"""Golden decision trees from scikit-learn's exact DecisionTreeClassifier and
DecisionTreeRegressor (Debian's python3-sklearn), on datasets bundled with
it where every feature has at most 256 distinct values, so that Spindle
with maxBins 256 considers every threshold scikit-learn does.

Run:  /usr/bin/python3 tree/testdata/exact.py > tree/testdata/exact.json

Settings follow Spark's defaults: max_depth 5 (2 or 3 for three shallow
trees), min_samples_leaf 1, min_samples_split 2. Each tree is written depth-first from the root:
feature, threshold (left when x <= threshold), impurity, n_node_samples
and the node value (class counts, or the mean target), and the
feature importances (Spark's definition is the same: each split's
impurity decrease times its node's weight, normalized). scikit-learn reads
X as float32; its thresholds are midpoints of float32 values, so the test
compares the rows each split sends left, not the threshold's digits.
"""
import json

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, load_iris, load_wine
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor


def dump(t):
    tr = t.tree_

    def node(i):
        d = {"impurity": float(tr.impurity[i]), "n": int(tr.n_node_samples[i]),
             "value": [float(v) for v in tr.value[i].ravel()]}
        if tr.children_left[i] >= 0:
            d["feature"] = int(tr.feature[i])
            d["threshold"] = float(tr.threshold[i])
            d["left"] = node(tr.children_left[i])
            d["right"] = node(tr.children_right[i])
        return d

    return node(0)


def few_values(X):
    keep = [j for j in range(X.shape[1]) if len(np.unique(X[:, j].astype(np.float32))) <= 256]
    return X[:, keep]


def main():
    out = {"datasets": {}, "cases": []}
    iris, wine = load_iris(), load_wine()
    data = {
        "iris": (iris.data, iris.target),
        "wine": (wine.data, wine.target),
        "digits": (load_digits().data, load_digits().target),
        "diabetes": (few_values(load_diabetes().data), load_diabetes().target),
        "iris_width": (iris.data[:, :3], iris.data[:, 3]),
        "wine_alcohol": (wine.data[:, 1:], wine.data[:, 0]),
        # two classes: a binary classifier's histograms have 4 values a
        # bin, as the regression kinds
        "iris_binary": (iris.data, (iris.target == 1).astype(int)),
        "digits_binary": (load_digits().data, (load_digits().target >= 5).astype(int)),
    }
    for name, (X, y) in data.items():
        out["datasets"][name] = {"X": X.tolist(), "y": y.tolist()}
    for name, crit, depth in [("iris", "gini", 5), ("iris", "entropy", 5), ("wine", "gini", 5), ("wine", "entropy", 5),
                              ("digits", "gini", 5), ("digits", "entropy", 5),
                              ("diabetes", "squared_error", 5), ("iris_width", "squared_error", 5),
                              ("wine_alcohol", "squared_error", 5),
                              ("iris_binary", "gini", 5), ("digits_binary", "entropy", 5), ("digits_binary", "gini", 4),
                              # shallow trees without ties, for the importances
                              ("diabetes", "squared_error", 3), ("wine", "gini", 2), ("digits", "entropy", 3)]:
        X, y = data[name]
        if crit == "squared_error":
            m = DecisionTreeRegressor(criterion=crit, max_depth=depth, random_state=0).fit(X, y)
        else:
            m = DecisionTreeClassifier(criterion=crit, max_depth=depth, random_state=0).fit(X, y)
        out["cases"].append({"dataset": name, "impurity": {"squared_error": "variance"}.get(crit, crit), "depth": depth,
                             "tree": dump(m), "importances": m.feature_importances_.tolist()})
    json.dump(out, __import__("sys").stdout)


main()
