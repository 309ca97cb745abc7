"""An independent numpy implementation of latent probe's label spreading,
for probe's TestSpreadAgainstNumpy: the symmetric k-NN graph by brute
force, S = D^-1/2 W D^-1/2, F iterated as F <- a S F + (1 - a) Y until it
stops changing (not solved), labels by argmax, test images by a k-NN vote
over the spread labels (ties to the nearest tied neighbour's label), and
1-NN on the labelled codes alone. Reads DIR/meta.json, DIR/train.f64,
DIR/test.f64, DIR/labelled.i64, DIR/labels.i64; prints JSON."""

import json
import sys

import numpy as np

d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
n, nt, dim, k, alpha = meta["n"], meta["nt"], meta["dim"], meta["k"], meta["alpha"]
train = np.fromfile(f"{d}/train.f64", "<f8").reshape(n, dim)
test = np.fromfile(f"{d}/test.f64", "<f8").reshape(nt, dim)
labelled = np.fromfile(f"{d}/labelled.i64", "<i8")
labels = np.fromfile(f"{d}/labels.i64", "<i8")


def knn(q, p, k, self):
    dist = ((q[:, None, :] - p[None, :, :]) ** 2).sum(-1)
    if self:
        np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


nbrs = knn(train, train, k, True)
W = np.zeros((n, n))
for i in range(n):
    W[i, nbrs[i]] = 1
W = np.maximum(W, W.T)
deg = W.sum(1)
S = W / np.sqrt(np.outer(deg, deg))
classes = np.unique(labels)
Y = np.zeros((n, len(classes)))
Y[labelled, np.searchsorted(classes, labels)] = 1
F = (1 - alpha) * Y
for it in range(100000):
    G = alpha * S @ F + (1 - alpha) * Y
    if np.abs(G - F).max() <= 1e-15 * np.abs(G).max():
        F = G
        break
    F = G
spread = classes[F.argmax(1)]
lost = F.max(1) <= 0
if lost.any():
    near = knn(train[lost], train[labelled], 1, False)[:, 0]
    spread[lost] = labels[near]


def vote(nb, lab):
    votes = lab[nb]
    count = {c: (votes == c).sum() for c in votes}
    most = max(count.values())
    return next(c for c in votes if count[c] == most)


tn = knn(test, train, k, False)
pred = np.array([vote(tn[i], spread) for i in range(nt)])
one = labels[knn(test, train[labelled], 1, False)[:, 0]]
print(json.dumps({
    "neighbors": [sorted(np.flatnonzero(W[i]).tolist()) for i in range(n)],
    "scores": F.ravel().tolist(),
    "iterations": it + 1,
    "spread": spread.tolist(),
    "predictions": pred.tolist(),
    "one_nn": one.tolist(),
}))
