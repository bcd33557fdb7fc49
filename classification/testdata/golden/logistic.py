"""Golden LogisticRegression coefficients from scikit-learn on datasets
bundled with Debian's python3-sklearn, mapped to Spark ML's objective.

Run:  /usr/bin/python3 classification/testdata/golden/logistic.py > classification/testdata/golden/logistic.json

Spark minimizes (1/n) sum(loss) + regParam * ((1-a)/2 |b|^2 + a |b|_1);
dividing by regParam gives scikit-learn's form C * sum(loss) + (1-a)/2 |b|^2
+ a |b|_1 with C = 1 / (n * regParam), l1_ratio = a.
- standardization=true: Spark penalizes the coefficients of x_j / s_j (s_j
  the sample standard deviation, ddof=1); so scikit-learn is fitted on the
  scaled features and its coefficients divided by s_j.
- standardization=false: scikit-learn on the raw features.
Intercepts are never penalized (both libraries). The datasets are written
out too, so the Go test reads exactly these rows.

scikit-learn's lbfgs stops short of the optimum where the objective is flat
(the raw breast_cancer features span six orders of magnitude), so the L2
solutions are then polished with Newton's method on Spark's objective
(exact gradient and Hessian in numpy, in the scaled coordinates, to a
gradient norm below 1e-12); the reported objective drops, never rises.
"""
import json
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.linear_model import LogisticRegression

warnings.filterwarnings("ignore")


def spark_objective(Z, Y, theta, K, reg, pen):
    """Spark's L2 objective, gradient and Hessian over scaled features Z
    (n x d), one-hot labels Y (n x K, or n x 1 for binomial), parameters
    theta = [W (K x d) row-major, b (K)], penalty weights pen (d)."""
    n, d = Z.shape
    W = theta[: K * d].reshape(K, d)
    b = theta[K * d:]
    M = Z @ W.T + b
    if K == 1:
        p = 1 / (1 + np.exp(-M[:, 0]))
        y = Y[:, 0]
        f = np.mean(np.logaddexp(0, M[:, 0]) - y * M[:, 0])
        r = (p - y) / n
        gW = (r @ Z)[None, :]
        gb = np.array([r.sum()])
        w = p * (1 - p) / n
        A = np.hstack([Z, np.ones((n, 1))])
        H = A.T @ (A * w[:, None])
    else:
        M = M - M.max(axis=1, keepdims=True)
        P = np.exp(M)
        P /= P.sum(axis=1, keepdims=True)
        f = -np.mean(np.sum(Y * np.log(P), axis=1))
        R = (P - Y) / n
        gW = R.T @ Z
        gb = R.sum(axis=0)
        A = np.hstack([Z, np.ones((n, 1))])  # n x (d+1)
        H = np.zeros((K * (d + 1), K * (d + 1)))
        for a in range(K):
            for c in range(K):
                wac = P[:, a] * ((a == c) - P[:, c]) / n
                H[a * (d + 1):(a + 1) * (d + 1), c * (d + 1):(c + 1) * (d + 1)] = A.T @ (A * wac[:, None])
    f += reg / 2 * np.sum((W ** 2) * pen)
    gW = gW + reg * W * pen
    # Reorder the Hessian from per-class [w, b] blocks to [W..., b...].
    idx = [k * (d + 1) + j for k in range(K) for j in range(d)] + [k * (d + 1) + d for k in range(K)]
    H = H[np.ix_(idx, idx)]
    H[: K * d, : K * d] += reg * np.diag(np.tile(pen, K))
    return f, np.concatenate([gW.ravel(), gb]), H


def polish(X, y, coef, intercept, reg, standardize):
    s = X.std(axis=0, ddof=1)
    Z = X / s
    K = coef.shape[0]
    Y = (y[:, None] == np.arange(max(K, 2))[None, :]).astype(float)
    if K == 1:
        Y = Y[:, 1:2]
    pen = np.ones(X.shape[1]) if standardize else 1 / s ** 2
    theta = np.concatenate([(coef * s).ravel(), intercept])
    f0 = spark_objective(Z, Y, theta, K, reg, pen)[0]
    for _ in range(100):
        f, g, H = spark_objective(Z, Y, theta, K, reg, pen)
        if np.max(np.abs(g)) < 1e-12:
            break
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        t = 1.0
        while spark_objective(Z, Y, theta - t * step, K, reg, pen)[0] > f and t > 1e-10:
            t /= 2
        theta = theta - t * step
    f, g, _ = spark_objective(Z, Y, theta, K, reg, pen)
    assert f <= f0 + 1e-15, (f, f0)
    d = X.shape[1]
    return theta[: K * d].reshape(K, d) / s, theta[K * d:], f, float(np.max(np.abs(g)))


def fit(X, y, reg, alpha, standardize, multinomial):
    n = X.shape[0]
    s = X.std(axis=0, ddof=1)
    Xs = X / s if standardize else X
    C = 1.0 / (n * reg)
    if alpha == 0:
        m = LogisticRegression(C=C, solver="lbfgs", max_iter=100000, tol=1e-12,
                               multi_class="multinomial" if multinomial else "auto")
    else:
        m = LogisticRegression(C=C, penalty="elasticnet", l1_ratio=alpha, solver="saga",
                               max_iter=200000, tol=1e-12,
                               multi_class="multinomial" if multinomial else "auto")
    m.fit(Xs, y)
    coef = m.coef_ / s if standardize else m.coef_
    intercept = m.intercept_
    out = {}
    if alpha == 0:
        coef, intercept, f, gmax = polish(X, y, coef, intercept, reg, standardize)
        out.update({"objective": f, "gradient_max": gmax})
    M = X @ coef.T + intercept
    if coef.shape[0] == 1:
        p1 = 1 / (1 + np.exp(-M[:, 0]))
        P = np.stack([1 - p1, p1], axis=1)
    else:
        M = M - M.max(axis=1, keepdims=True)
        P = np.exp(M)
        P /= P.sum(axis=1, keepdims=True)
    logloss = float(-np.mean(np.log(P[np.arange(n), y])))
    out.update({"coef": coef.tolist(), "intercept": intercept.tolist(),
                "train_accuracy": float(np.mean(P.argmax(axis=1) == y)), "train_logloss": logloss})
    return out


cases = []
datasets = {}
bc = load_breast_cancer()
iris = load_iris()
wine = load_wine()
for name, d in (("breast_cancer", bc), ("iris", iris), ("wine", wine)):
    datasets[name] = {"X": d.data.tolist(), "y": d.target.tolist()}
for name, reg, alpha, std in (
    ("breast_cancer", 0.01, 0.0, True),
    ("breast_cancer", 0.01, 0.0, False),
    ("breast_cancer", 0.01, 0.5, True),
    ("breast_cancer", 0.05, 1.0, True),
    ("iris", 0.01, 0.0, True),
    ("wine", 0.05, 0.0, True),
    ("wine", 0.02, 0.3, True),
):
    d = {"breast_cancer": bc, "iris": iris, "wine": wine}[name]
    multinomial = len(set(d.target)) > 2
    r = fit(d.data, d.target, reg, alpha, std, multinomial)
    r.update({"dataset": name, "regParam": reg, "elasticNetParam": alpha, "standardization": std})
    cases.append(r)
print(json.dumps({"datasets": datasets, "cases": cases}))
