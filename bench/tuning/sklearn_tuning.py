"""The tuning-heavy job (bench/tuning/tuning.yaml) in scikit-learn, as close
to the Spindle spec as scikit-learn allows:

read the CSV (pandas), drop nulls, index the label by frequency, the same
regex cleanup, lower-casing, \\W tokens and English stop words, a 70/30
random split (seed 11), hashed term counts with 2^18 features
(HashingVectorizer, raw counts) weighted by Spark's idf = ln((m + 1) /
(df + 1)) fitted on the training rows, then GridSearchCV over 5 shuffled
folds (seed 11) of a pipeline StandardScaler(with_mean=False) + elastic-net
LogisticRegression (solver saga, the only one with elastic net) on weighted
F1, refitted on the training rows and scored by accuracy on the test rows.

Spark's objective (1/n) Σ loss + λ (α ‖w‖₁ + (1 − α)/2 ‖w‖²) on
standardized features is scikit-learn's with C = 1 / (n λ) and l1_ratio = α,
where n is the rows a fit sees (four fifths of the training rows in a
fold; C is set per fit). n_jobs=2: both cores, as Spindle uses them.

  /usr/bin/python3 bench/tuning/sklearn_tuning.py CORPUS.csv STOPWORDS.txt
"""
import json
import os
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from spamtext import label_index, tokenizer  # noqa: E402

warnings.filterwarnings("ignore")
start = time.perf_counter()
path, stop_path = sys.argv[1], sys.argv[2]
df = pd.read_csv(path, keep_default_na=False, na_values=[""]).dropna()
y, _ = label_index(df["label"])
tokens = tokenizer(stop_path)


X = HashingVectorizer(n_features=1 << 18, analyzer=lambda d: d, alternate_sign=False, norm=None).transform(
    [tokens(t) for t in df["text"]]).tocsr()
Xtr, Xte, ytr, yte = train_test_split(X, y, train_size=0.7, random_state=11)
df_ = np.asarray((Xtr > 0).sum(axis=0)).ravel()
idf = np.log((Xtr.shape[0] + 1) / (df_ + 1))
Xtr, Xte = Xtr.multiply(idf).tocsr(), Xte.multiply(idf).tocsr()


class SparkLR(BaseEstimator, ClassifierMixin):
    """Elastic-net logistic regression with Spark's regParam: C = 1/(n·λ)."""

    def __init__(self, regParam=0.0, elasticNetParam=0.0, max_iter=100):
        self.regParam, self.elasticNetParam, self.max_iter = regParam, elasticNetParam, max_iter

    def fit(self, X, y):
        self.model_ = make_pipeline(StandardScaler(with_mean=False), LogisticRegression(
            penalty="elasticnet", solver="saga", l1_ratio=self.elasticNetParam,
            C=1.0 / (X.shape[0] * self.regParam), max_iter=self.max_iter, tol=1e-6)).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


grid = GridSearchCV(SparkLR(), {"regParam": [0.001, 0.01, 0.1], "elasticNetParam": [0, 0.5, 1]},
                    cv=KFold(5, shuffle=True, random_state=11), scoring="f1_weighted", n_jobs=2)
grid.fit(Xtr, ytr)
acc = float((grid.predict(Xte) == yte).mean())
print(json.dumps({"best": grid.best_params_, "accuracy": acc,
                  "meanF1": [round(float(v), 4) for v in grid.cv_results_["mean_test_score"]],
                  "seconds": round(time.perf_counter() - start, 3),
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
