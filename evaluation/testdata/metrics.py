"""Golden metrics from scikit-learn (and numpy for Spark's PR area) on
fixed random predictions.

Run:  /usr/bin/python3 evaluation/testdata/metrics.py > evaluation/testdata/metrics.json

- areaUnderROC: sklearn.metrics.roc_auc_score (exact, ties as one step).
- areaUnderPR: Spark's definition, trapezoids over the PR curve from
  (recall 0, precision at the top score) through every distinct score,
  computed here with numpy (sklearn's average_precision is a step sum).
- f1, weightedPrecision, weightedRecall: sklearn with average="weighted";
  accuracy: accuracy_score; logLoss: log_loss.
- rmse, mse, mae, r2: sklearn.metrics.
"""
import json

import numpy as np
from sklearn import metrics

r = np.random.default_rng(11)
n = 500
y = (r.random(n) < 0.35).astype(int)
score = np.round(y * 0.8 + r.normal(0, 0.6, n), 1)  # rounded: many ties

order = np.argsort(-score, kind="stable")
thresholds = np.unique(score)[::-1]
P = y.sum()
pts = [(0.0, None)]
tp = fp = 0
prev_r, prev_p = 0.0, None
area = 0.0
for t in thresholds:
    sel = score == t
    tp += y[sel].sum()
    fp += (1 - y[sel]).sum()
    rec, prec = tp / P, tp / (tp + fp)
    if prev_p is None:
        prev_p = prec
    area += (rec - prev_r) * (prec + prev_p) / 2
    prev_r, prev_p = rec, prec

k = 4
labels = r.integers(0, k, n)
logits = r.normal(0, 1, (n, k)) + np.eye(k)[labels] * 1.5
prob = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
pred = prob.argmax(1)
pred[:7] = 3  # make class 3 over-predicted

yr = r.normal(0, 3, 200)
pr = yr + r.normal(0, 1, 200)

print(json.dumps({
    "binary": {"label": y.tolist(), "score": score.tolist(),
               "areaUnderROC": metrics.roc_auc_score(y, score), "areaUnderPR": area},
    "multiclass": {"label": labels.tolist(), "prediction": pred.tolist(), "probability": prob.tolist(),
                   "f1": metrics.f1_score(labels, pred, average="weighted"),
                   "accuracy": metrics.accuracy_score(labels, pred),
                   "hammingLoss": metrics.hamming_loss(labels, pred),
                   "weightedPrecision": metrics.precision_score(labels, pred, average="weighted"),
                   "weightedRecall": metrics.recall_score(labels, pred, average="weighted"),
                   "logLoss": metrics.log_loss(labels, prob),
                   "confusion": metrics.confusion_matrix(labels, pred).tolist()},
    "regression": {"label": yr.tolist(), "prediction": pr.tolist(),
                   "rmse": metrics.mean_squared_error(yr, pr) ** 0.5, "mse": metrics.mean_squared_error(yr, pr),
                   "mae": metrics.mean_absolute_error(yr, pr), "r2": metrics.r2_score(yr, pr)},
}))
