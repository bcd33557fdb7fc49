"""Golden NaiveBayes models from scikit-learn on datasets bundled with
Debian's python3-sklearn, set up to follow Spark ML's formulas.

Run:  /usr/bin/python3 classification/testdata/golden/naivebayes.py > classification/testdata/golden/naivebayes.json

- multinomial: Spark's theta is scikit-learn's MultinomialNB feature_log_prob_
  with alpha = smoothing; Spark smooths the priors too,
  pi_c = log((n_c + smoothing) / (N + K * smoothing)), so those priors are
  passed to scikit-learn as class_prior.
- bernoulli: BernoulliNB on 0/1 features (binarized here, so both read the
  same data), same smoothed class_prior.
- gaussian: GaussianNB with its default var_smoothing = 1e-9, which adds
  1e-9 times the largest population variance of any feature, as Spark does;
  priors are the class frequencies in both.
Probabilities are compared (raw scores differ by a constant per row: Spark
leaves out the -d/2 log(2 pi) term scikit-learn's gaussian keeps).
Datasets: digits (1797 x 64 pixel counts 0..16, 10 classes), iris, wine;
for bernoulli each feature is 1 when above its threshold (the median;
digits: 4), written out as "threshold".
"""
import json
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

warnings.filterwarnings("ignore")


def smoothed_prior(y, k, lam):
    n = np.bincount(y, minlength=k).astype(float)
    return (n + lam) / (n.sum() + k * lam)


def main():
    out = {"datasets": {}, "cases": []}
    for name, loader in [("digits", load_digits), ("iris", load_iris), ("wine", load_wine)]:
        d = loader()
        X, y = d.data.astype(float), d.target
        k = int(y.max()) + 1
        thr = 4.0 if name == "digits" else np.median(X, axis=0)
        Xb = (X > thr).astype(float)
        thr = np.broadcast_to(thr, X.shape[1]).astype(float)
        out["datasets"][name] = {"X": X.tolist(), "threshold": thr.tolist(), "y": y.tolist()}
        for mt, lam in [("multinomial", 1.0), ("multinomial", 0.5), ("bernoulli", 1.0), ("gaussian", 1.0)]:
            if mt == "multinomial":
                m = MultinomialNB(alpha=lam, class_prior=smoothed_prior(y, k, lam)).fit(X, y)
                theta, pi, sigma, data = m.feature_log_prob_, m.class_log_prior_, None, X
            elif mt == "bernoulli":
                m = BernoulliNB(alpha=lam, binarize=None, class_prior=smoothed_prior(y, k, lam)).fit(Xb, y)
                theta, pi, sigma, data = m.feature_log_prob_, m.class_log_prior_, None, Xb
            else:
                m = GaussianNB().fit(X, y)
                theta, pi, sigma, data = m.theta_, np.log(m.class_prior_), m.var_, X
            proba = m.predict_proba(data)
            out["cases"].append({
                "dataset": name, "modelType": mt, "smoothing": lam,
                "pi": pi.tolist(), "theta": theta.tolist(),
                "sigma": None if sigma is None else sigma.tolist(),
                "probability": proba[:100].tolist(),  # the first 100 rows
                "train_accuracy": float((m.predict(data) == y).mean()),
            })
    json.dump(out, sys.stdout)


main()
