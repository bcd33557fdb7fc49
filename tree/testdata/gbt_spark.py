"""Reference predictions of Spark's gradient-boosted trees, for
tree.TestGBTSameAsSparkAlgorithm: Spark's algorithm (GradientBoostedTrees
with Spark ML's defaults: 20 rounds, depth 5, step 0.1, variance trees on
the pseudo-residuals, the first tree fitted to the label) written out with exact regression
trees: scikit-learn's (Debian's python3-sklearn) for the regression, and,
for the classifier, whose residuals take few values and whose splits tie
often (scikit-learn breaks ties at random), a tree grown by Spark's rule
(spark_tree). The data
are 250 rows of 4 continuous features, so every feature has fewer
distinct values than maxBins 256 and Spindle's binned trees split the rows
as the exact trees do: the margins of the training rows must agree both
ways, not within a score range. (Rows outside the training set are not
compared: scikit-learn puts a threshold midway between the node's own
neighbouring values, Spark and Spindle midway between the feature's, and a
new value between the two goes different ways.)

Binary labels (0/1) use Spark's LogLoss: labels y' = 2y − 1, the first
tree fits y', later ones the negative gradient 4y'/(1 + e^{2y'F}),
rawPrediction = [−F, F], probability σ(2F). Regression uses SquaredError:
the first tree fits y, later ones 2(y − F).

Run:  /usr/bin/python3 tree/testdata/gbt_spark.py > tree/testdata/gbt_spark.json
"""
import json

import numpy as np
from sklearn.tree import DecisionTreeRegressor


def spark_tree(X, y, depth):
    """A regression tree grown as Spark grows one over features with at
    most maxBins distinct values: thresholds midway between consecutive
    distinct values of the whole training set, at each node the split of
    largest variance gain (the first feature, then the first threshold, on
    a tie: Spark's maxBy), at least one row a side, a leaf at gain 0 or at
    maxDepth; leaves predict their mean. Returns the training rows'
    predictions."""
    cuts = []
    for j in range(X.shape[1]):
        v = np.unique(X[:, j])
        cuts.append((v[:-1] + v[1:]) / 2)
    pred = np.empty(len(y))

    def grow(rows, level):
        ys = y[rows]
        n, s = len(ys), ys.sum()
        if level < depth:
            parent = (ys * ys).sum() / n - (s / n) ** 2
            best, split = 0.0, None
            for j in range(X.shape[1]):
                for c in cuts[j]:
                    left = X[rows, j] <= c
                    nl = left.sum()
                    if nl == 0 or nl == n:
                        continue
                    yl, yr = ys[left], ys[~left]
                    il = (yl * yl).sum() / nl - (yl.sum() / nl) ** 2
                    ir = (yr * yr).sum() / (n - nl) - (yr.sum() / (n - nl)) ** 2
                    gain = parent - nl / n * il - (n - nl) / n * ir
                    if gain > best:
                        best, split = gain, (j, c)
            if split is not None:
                j, c = split
                grow(rows[X[rows, j] <= c], level + 1)
                grow(rows[X[rows, j] > c], level + 1)
                return
        pred[rows] = s / n

    grow(np.arange(len(y)), 0)
    return pred


def spark_gbt(Xtr, ytr, classify, rounds=20, step=0.1, depth=5):
    """The margins F of the training rows after each round's tree."""
    def tree(target):
        if classify:
            # Its residuals take few values: splits tie often, and
            # scikit-learn breaks ties at random; Spark's own tree rule.
            return spark_tree(Xtr, target, depth)
        return DecisionTreeRegressor(max_depth=depth, random_state=0).fit(Xtr, target).predict(Xtr)

    y = 2 * ytr - 1 if classify else ytr
    F = tree(y)
    for _ in range(rounds - 1):
        r = 4 * y / (1 + np.exp(2 * y * F)) if classify else 2 * (y - F)
        F = F + step * tree(r)
    return F


def main():
    rng = np.random.RandomState(7)
    # Multiples of 1/1024: exact in float32, which scikit-learn's trees
    # compute in, and in float64, which Spindle's do.
    X = np.round(rng.normal(size=(250, 4)) * 1024) / 1024
    score = X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3]
    ybin = (score + 0.3 * rng.normal(size=250) > 0).astype(float)
    yreg = (3 * score + 0.2 * rng.normal(size=250)).round(6)
    out = {"X": X.tolist(), "binary": ybin.tolist(), "regression": yreg.tolist()}
    out["binaryMargins"] = spark_gbt(X, ybin, True).tolist()
    out["regressionPredictions"] = spark_gbt(X, yreg, False).tolist()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
