"""The reference workload in scikit-learn, as close to the Spindle spec
(bench/workload/hashing.yaml) as scikit-learn allows:

read the CSV (pandas), report and drop nulls, class balance, index the
label by frequency (ham 0, spam 1), the same regex cleanup and lower-casing,
split on \\W dropping empty tokens, remove the same English stop words, a
70/30 random split (seed 11), then two variants: hashed term counts with 250
features (HashingVectorizer, raw counts) and the same weighted by Spark's
idf = ln((m + 1) / (df + 1)) fitted on the training rows; each feeds a
logistic regression (no penalty, features scaled by their standard
deviation as Spark does internally) tuned by 2-fold cross-validation over
max_iter in {10, 15, 20} on weighted F1, refitted on the training rows, and
scored by accuracy on the test rows.

  /usr/bin/python3 bench/workload/sklearn_workload.py CORPUS.csv STOPWORDS.txt
"""
import json
import os
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
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
df = pd.read_csv(path, keep_default_na=False, na_values=[""])
nulls = df.isna().sum().to_dict()
df = df.dropna()
y, counts = label_index(df["label"])
tokens = tokenizer(stop_path)


docs = [tokens(t) for t in df["text"]]
hv = HashingVectorizer(n_features=250, analyzer=lambda d: d, alternate_sign=False, norm=None)
X = hv.transform(docs).tocsr()
Xtr, Xte, ytr, yte = train_test_split(X, y, train_size=0.7, random_state=11)


def tune_and_score(Xtr, Xte):
    grid = GridSearchCV(make_pipeline(StandardScaler(with_mean=False), LogisticRegression(penalty="none")),
                        {"logisticregression__max_iter": [10, 15, 20]},
                        cv=KFold(2, shuffle=True, random_state=11), scoring="f1_weighted")
    grid.fit(Xtr, ytr)
    return grid.best_params_["logisticregression__max_iter"], float((grid.predict(Xte) == yte).mean())


results = {}
results["tf"] = tune_and_score(Xtr, Xte)
df_ = np.asarray((Xtr > 0).sum(axis=0)).ravel()
idf = np.log((Xtr.shape[0] + 1) / (df_ + 1))
results["tfidf"] = tune_and_score(Xtr.multiply(idf).tocsr(), Xte.multiply(idf).tocsr())
elapsed = time.perf_counter() - start
print(json.dumps({"nulls": nulls, "rows": int(len(df)), "classes": {k: int(v) for k, v in counts.items()},
                  "variants": {k: {"maxIter": v[0], "accuracy": v[1]} for k, v in results.items()},
                  "seconds": round(elapsed, 3),
                  "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
