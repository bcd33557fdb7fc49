#!/usr/bin/python3
"""Golden numbers for clustering/lda_test.go (TestLDAGolden).

Regenerate with:  /usr/bin/python3 clustering/testdata/lda_golden.py
(scikit-learn 1.2.1, numpy, scipy; writes clustering/testdata/lda.json).

One online update of scikit-learn's LatentDirichletAllocation from a fixed
initial lambda, over a small count matrix taken as one mini-batch
(batch_size = total_samples = n), which is Spindle's LDA with
subsamplingRate 1, maxIter 1, optimizeDocConcentration false:

  * every document's gamma starts at 1 (scikit-learn does so when its
    random_state_ is None; Spindle's tests set the same hook), so both
    sides run the same E-step from the same start;
  * the variational bound and the log perplexity are scikit-learn's
    score(X) and -score(X)/X.sum() after the update (its transform also
    starts gamma at 1); Spark's logLikelihood/logPerplexity are the same
    formulas;
  * the normalized topic distributions are scikit-learn's transform(X);
  * a Spark Newton step on alpha is computed here with scipy's digamma and
    polygamma from the E[log theta] of those documents.
"""
import json
import os

import numpy as np
import scipy.special as sp
from sklearn.decomposition import LatentDirichletAllocation

k, V, n = 3, 12, 10
rng = np.random.RandomState(20261207)
X = rng.poisson(1.2, size=(n, V)).astype(float)
X[4, :] = 0  # an empty document: skipped by the fit, zero in the bound
lambda0 = rng.gamma(100.0, 0.01, size=(k, V))
prior = 1.0 / k

lda = LatentDirichletAllocation(
    n_components=k, learning_method="online", learning_offset=1024.0,
    learning_decay=0.51, doc_topic_prior=prior, topic_word_prior=prior,
    batch_size=n, total_samples=n, max_doc_update_iter=100,
    mean_change_tol=1e-3, evaluate_every=-1)
lda._init_latent_vars(V, np.float64)
lda.components_ = lambda0.copy()
lda.exp_dirichlet_component_ = np.exp(sp.psi(lambda0) - sp.psi(lambda0.sum(axis=1))[:, None])
lda.random_state_ = None  # gamma starts at 1
lda.partial_fit(X)
lambda1 = lda.components_.copy()

bound = lda.score(X)
logperp = -bound / X.sum()
dist = lda.transform(X)

# Spark's Newton step on alpha, from E[log theta] of the non-empty documents.
gamma = lda._unnormalized_transform(X)
nonempty = X.sum(axis=1) > 0
elog = sp.psi(gamma[nonempty]) - sp.psi(gamma[nonempty].sum(axis=1))[:, None]
N = float(nonempty.sum())
logphat = elog.mean(axis=0)
alpha = np.full(k, prior)
rho = (1024.0 + 1) ** -0.51
gradf = N * (-(sp.psi(alpha) - sp.psi(alpha.sum())) + logphat)
c = N * sp.polygamma(1, alpha.sum())
q = -N * sp.polygamma(1, alpha)
b = (gradf / q).sum() / (1.0 / c + (1.0 / q).sum())
alpha1 = alpha + rho * (-(gradf - b) / q)

out = {
    "k": k, "vocabSize": V, "prior": prior,
    "counts": X.tolist(), "lambda0": lambda0.tolist(), "lambda1": lambda1.tolist(),
    "logLikelihood": bound, "logPerplexity": logperp,
    "topicDistribution": dist.tolist(),
    "newton": {"alpha": alpha.tolist(), "logphat": logphat.tolist(), "n": N, "rho": rho, "alpha1": alpha1.tolist()},
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lda.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path, "logLikelihood", bound, "logPerplexity", logperp)
