"""numpy-only reference for disentangle's MIG and FactorVAE score.

Usage: reference.py DIR. DIR holds meta.json and little-endian arrays:
codes.f64 [n, d], factors.i64 [n, f] (MIG); global.f64 [g, d],
train.f64 [t, b, d] with train_k.i64 [t], eval.f64 [e, b, d] with
eval_k.i64 [e] (FactorVAE). Prints JSON: mi [d][f], entropy [f], mig,
fv_train, fv_eval, active. Written from disentanglement_lib's mig.py,
utils.py and factor_vae.py, with sklearn's mutual_info_score in numpy.
"""
import json
import os
import sys

import numpy as np


def load(d, name, dtype, shape):
    return np.fromfile(os.path.join(d, name), dtype=dtype).reshape(shape)


def discretize(x, bins):
    # utils._histogram_discretize on one row.
    return np.digitize(x, np.histogram(x, bins)[1][:-1])


def mutual_info(a, b):
    # sklearn.metrics.mutual_info_score: MI of two labelings, in nats.
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    c = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(c, (ia, ib), 1)
    p = c / c.sum()
    outer = p.sum(axis=1, keepdims=True) * p.sum(axis=0, keepdims=True)
    nz = p > 0
    return max(0.0, float(np.sum(p[nz] * np.log(p[nz] / outer[nz]))))


def mig(codes, factors, bins):
    disc = [discretize(codes[:, j], bins) for j in range(codes.shape[1])]
    m = np.array([[mutual_info(factors[:, k], disc[j]) for k in range(factors.shape[1])]
                  for j in range(codes.shape[1])])
    h = np.array([mutual_info(factors[:, k], factors[:, k]) for k in range(factors.shape[1])])
    s = np.sort(m, axis=0)[::-1]
    return m, h, float(np.mean((s[0] - s[1]) / h))


def factor_vae(glob, train, train_k, ev, ev_k, nf, threshold):
    gv = np.var(glob, axis=0, ddof=1)
    active = np.sqrt(gv) >= threshold

    def votes(batches, ks):
        v = np.zeros((nf, gv.shape[0]), dtype=np.int64)
        for b, k in zip(batches, ks):
            lv = np.var(b, axis=0, ddof=1)
            v[k, np.argmin(lv[active] / gv[active])] += 1
        return v

    tv, evv = votes(train, train_k), votes(ev, ev_k)
    cls = np.argmax(tv, axis=0)
    idx = np.arange(tv.shape[1])
    acc = lambda v: float(np.sum(v[cls, idx]) / np.sum(v))
    return acc(tv), acc(evv), [int(i) for i in np.flatnonzero(active)]


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "meta.json")) as f:
        m = json.load(f)
    n, dd, nf, b = m["n"], m["d"], m["f"], m["batch"]
    codes = load(d, "codes.f64", "<f8", (n, dd))
    factors = load(d, "factors.i64", "<i8", (n, nf))
    mi, h, score = mig(codes, factors, m["bins"])
    glob = load(d, "global.f64", "<f8", (m["global"], dd))
    tr = load(d, "train.f64", "<f8", (m["train"], b, dd))
    ev = load(d, "eval.f64", "<f8", (m["eval"], b, dd))
    tk = load(d, "train_k.i64", "<i8", (m["train"],))
    ek = load(d, "eval_k.i64", "<i8", (m["eval"],))
    fv_train, fv_eval, active = factor_vae(glob, tr, tk, ev, ek, nf, m["threshold"])
    json.dump({"mi": mi.tolist(), "entropy": h.tolist(), "mig": score,
               "fv_train": fv_train, "fv_eval": fv_eval, "active": active}, sys.stdout)


if __name__ == "__main__":
    main()
