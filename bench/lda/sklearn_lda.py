#!/usr/bin/python3
"""scikit-learn's side of bench/lda/run.sh.

  sklearn_lda.py COUNTS.libsvm SEED [SPINDLE_INSPECT.json]

Fits LatentDirichletAllocation (online, learning_offset 1024,
learning_decay 0.51, doc_topic_prior = topic_word_prior = 1/k, k = 10,
mini-batches of round(0.05 * n) documents, max_iter 5 passes: the
mini-batches and documents Spindle's LDA sees with subsamplingRate 0.05
and maxIter 100) on the counts and prints its fit time and its log
perplexity -bound/tokens on the same documents (scikit-learn's score(X)
is the variational bound Spark's logLikelihood computes). Given
`spindle inspect --json` of Spindle's saved model, it also scores that
model's topics with scikit-learn's code on the same documents, so both
numbers come from one formula.
"""
import json
import sys
import time

import numpy as np
import scipy.special as sp
from sklearn.datasets import load_svmlight_file
from sklearn.decomposition import LatentDirichletAllocation

K, PASSES, RATE = 10, 5, 0.05


def main():
    path, seed = sys.argv[1], int(sys.argv[2])
    X, _ = load_svmlight_file(path, zero_based=False)
    X = X.tocsr()
    n, v = X.shape
    tokens = X.sum()
    lda = LatentDirichletAllocation(
        n_components=K, learning_method="online", learning_offset=1024.0,
        learning_decay=0.51, doc_topic_prior=1.0 / K, topic_word_prior=1.0 / K,
        batch_size=int(round(RATE * n)), max_iter=PASSES, evaluate_every=-1,
        mean_change_tol=1e-3, max_doc_update_iter=100, random_state=seed)
    t0 = time.perf_counter()
    lda.fit(X)
    fit_s = time.perf_counter() - t0
    out = {"fit_s": round(fit_s, 3), "docs": n, "vocab": v, "tokens": int(tokens),
           "batch_size": lda.batch_size, "updates": int(lda.n_batch_iter_ - 1),
           "sklearn_logperp": -lda.score(X) / tokens}
    if len(sys.argv) > 3:
        out["spindle_topics_logperp"] = score_spindle(sys.argv[3], X, v) / -tokens
    print(" ".join(f"{k}={v}" for k, v in out.items()))


def score_spindle(inspect_path, X, v):
    """The bound of Spindle's saved LDAModel, by scikit-learn's score."""
    with open(inspect_path) as f:
        doc = json.load(f)
    st = [s for s in doc["stages"] if s["class"].endswith("LDAModel")][0]
    data = st["values"]
    k, vocab = data["k"], data["vocabSize"]
    lam = np.asarray(data["topicsMatrix"], dtype=float).reshape(vocab, k).T
    alpha = data["estimatedDocConcentration"]
    if not np.allclose(alpha, alpha[0]):
        raise SystemExit("the Spindle model learned alpha; scikit-learn's bound takes one prior")
    m = LatentDirichletAllocation(n_components=k, doc_topic_prior=alpha[0], topic_word_prior=data["topicConcentration"])
    m._init_latent_vars(vocab, np.float64)
    m.components_ = lam
    m.exp_dirichlet_component_ = np.exp(sp.psi(lam) - sp.psi(lam.sum(axis=1))[:, None])
    return m.score(X)


main()
