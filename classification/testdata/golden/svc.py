"""Golden LinearSVC coefficients: the exact minimizer of Spark ML's
LinearSVC objective, computed by libsvm (scikit-learn's SVC with a linear
kernel) on datasets bundled with Debian's python3-sklearn.

Run:  /usr/bin/python3 classification/testdata/golden/svc.py > classification/testdata/golden/svc.json

Spark minimizes (1/n) sum hinge(y'(b.x + c)) + lambda/2 |g|^2 with g_j = b_j s_j
(standardization=true; s_j the sample standard deviation, ddof=1) or g = b,
and an unpenalized intercept. Dividing by lambda gives libsvm's
1/2 |g|^2 + C sum hinge with C = 1 / (n lambda), on the features divided by
s_j (then the coefficients are divided by s_j) or on the raw features.
libsvm solves the dual with an unpenalized intercept (scikit-learn's
LinearSVC, liblinear, is not used: it penalizes the intercept). Its answer
at tol 1e-12 still sits ~1e-8 above the minimum, which on this flat
objective moves coefficients by ~1e-3, so it is polished: with libsvm's
free support vectors (0 < alpha < C) on the margin and the bounded ones at
alpha = C, the KKT conditions are a linear system in the free alphas and
the intercept, solved exactly; the script checks the objective drops and
that the solution is feasible (0 <= alpha <= C, margins consistent).

Datasets (binary): breast_cancer; iris versicolor (0) vs virginica (1);
wine class 0 (1) vs the rest (0).
"""
import json
import sys
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.svm import SVC

warnings.filterwarnings("ignore")


def data():
    b = load_breast_cancer()
    yield "breast_cancer", b.data, b.target.astype(float)
    i = load_iris()
    keep = i.target > 0
    yield "iris", i.data[keep], (i.target[keep] == 2).astype(float)
    w = load_wine()
    yield "wine", w.data, (w.target == 0).astype(float)


def objective(F, ys, C, w, b):
    return 0.5 * w @ w + C * np.maximum(0, 1 - ys * (F @ w + b)).sum()


def polish(F, ys, C, m):
    alpha = np.zeros(len(ys))
    alpha[m.support_] = np.abs(m.dual_coef_[0])
    free = (alpha > 1e-8 * C) & (alpha < C * (1 - 1e-8))
    bound = alpha >= C * (1 - 1e-8)
    alpha[bound] = C
    M = np.flatnonzero(free)
    # Unknowns: alpha_M, b. Margin rows: y_i (sum_k alpha_k y_k x_k.x_i + b) = 1;
    # last row: sum_k alpha_k y_k = 0.
    K = F @ F.T
    Bw = (alpha * ys * bound) @ K  # contribution of the bounded alphas
    A = np.zeros((len(M) + 1, len(M) + 1))
    r = np.zeros(len(M) + 1)
    for a, i in enumerate(M):
        A[a, :len(M)] = ys[i] * ys[M] * K[M, i]
        A[a, -1] = ys[i]
        r[a] = 1 - ys[i] * Bw[i]
    A[-1, :len(M)] = ys[M]
    r[-1] = -(alpha * ys * bound).sum()
    sol = np.linalg.lstsq(A, r, rcond=None)[0]
    new = alpha.copy()
    new[M] = sol[:-1]
    w = (new * ys) @ F
    b = sol[-1]
    w0, b0 = m.coef_[0], m.intercept_[0]
    assert new.min() >= -1e-9 and new.max() <= C * (1 + 1e-9), "polish left the box"
    z = ys * (F @ w + b)
    assert np.all(z[(new < 1e-12)] >= 1 - 1e-7), "a non-support vector inside the margin"
    assert objective(F, ys, C, w, b) <= objective(F, ys, C, w0, b0) + 1e-12, "polish raised the objective"
    return w, b


def main():
    out = {"datasets": {}, "cases": []}
    for name, X, y in data():
        out["datasets"][name] = {"X": X.tolist(), "y": y.tolist()}
        n = X.shape[0]
        s = X.std(axis=0, ddof=1)
        for reg, std in [(0.01, True), (0.1, True), (0.01, False)]:
            if name != "iris" and not std:
                continue  # raw features span orders of magnitude: libsvm does not converge
            F = X / s if std else X
            C = 1.0 / (n * reg)
            m = SVC(kernel="linear", C=C, tol=1e-12, max_iter=-1).fit(F, 2 * y - 1)
            w, b = polish(F, 2 * y - 1, C, m)
            coef = w / s if std else w
            margin = X @ coef + b
            out["cases"].append({
                "dataset": name, "regParam": reg, "standardization": std,
                "coef": coef.tolist(), "intercept": float(b),
                "train_accuracy": float(((margin > 0) == (y == 1)).mean()),
            })
    json.dump(out, sys.stdout)


main()
