"""Golden LinearRegression coefficients from scikit-learn on datasets
bundled with Debian's python3-sklearn, mapped to Spark ML's objective.

Run:  /usr/bin/python3 regression/testdata/golden/linear.py > regression/testdata/golden/linear.json

Spark minimizes, on features scaled by their sample standard deviations
s_j and the label scaled by s_y (ddof=1), with the effective regParam
lambda / s_y; in the original units that is

    1/(2n) RSS + lambda * ((1-a) / (2 s_y) |g|^2 + a |g|_1)

where g_j = b_j * s_j with standardization=true and g_j = b_j without.
scikit-learn's ElasticNet minimizes 1/(2n) RSS + A*r |g|_1 + A*(1-r)/2 |g|^2,
so A*r = lambda*a and A*(1-r) = lambda*(1-a)/s_y; pure L2 is Ridge with
alpha = n*lambda/s_y (exact Cholesky solve) and lambda = 0 is ordinary least
squares. Features are divided by s_j before fitting when standardization is
true, and the coefficients divided by s_j after. The intercept is
unpenalized in both libraries.

Datasets: diabetes (442 x 10, its target); iris (150 x 3, petal width from
the other three measurements); wine (178 x 12, alcohol from the rest).
"""
import json
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.linear_model import ElasticNet, LinearRegression, Ridge
from sklearn.metrics import mean_squared_error, r2_score

warnings.filterwarnings("ignore")


def datasets():
    d = load_diabetes()
    yield "diabetes", d.data, d.target
    i = load_iris().data
    yield "iris", i[:, :3], i[:, 3]
    w = load_wine().data
    yield "wine", w[:, 1:], w[:, 0]


def fit(X, y, reg, alpha, standardize):
    n = X.shape[0]
    s = X.std(axis=0, ddof=1)
    sy = y.std(ddof=1)
    F = X / s if standardize else X
    if reg == 0:
        m = LinearRegression()
    elif alpha == 0:
        m = Ridge(alpha=n * reg / sy, solver="cholesky", tol=1e-14)
    else:
        A = reg * alpha + reg * (1 - alpha) / sy
        m = ElasticNet(alpha=A, l1_ratio=reg * alpha / A, tol=1e-15, max_iter=10_000_000)
    m.fit(F, y)
    coef = m.coef_ / s if standardize else m.coef_
    pred = X @ coef + m.intercept_
    return {
        "coef": coef.tolist(),
        "intercept": float(m.intercept_),
        "train_rmse": float(np.sqrt(mean_squared_error(y, pred))),
        "train_r2": float(r2_score(y, pred)),
    }


def main():
    out = {"datasets": {}, "cases": []}
    for name, X, y in datasets():
        out["datasets"][name] = {"X": X.tolist(), "y": y.tolist()}
        for reg, alpha, std in [(0, 0, True), (0.1, 0, True), (0.1, 0, False),
                                (0.05, 0.5, True), (0.05, 0.5, False), (0.02, 1.0, True)]:
            c = fit(X, y, reg, alpha, std)
            c.update({"dataset": name, "regParam": reg, "elasticNetParam": alpha, "standardization": std})
            out["cases"].append(c)
    json.dump(out, __import__("sys").stdout)


main()
