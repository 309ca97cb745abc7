"""numpy reference scores for score's tests, computed independently of the
Go code: FID through the eigenvalues of S1 S2 (not symmetric square roots),
KID per torchmetrics' formula on the given subsets, precision and recall
from directly computed distances.

Usage: reference.py DIR, where DIR holds gen.f64 [n, d], real.f64 [m, d]
(raw little-endian float64), shape.json {"gen": n, "real": m, "d": d, "k": k,
"subsets": s, "subset_size": z} and subsets.json {"gen": [[i...]...], "real":
[[i...]...]}. k, s and z are the test's own constants (the documented defaults
where the Go side was given none), not read from the Go code: the subsets'
count and size are checked against them (s subsets of min(z, n, m) distinct
indices each) and k sets the balls. Prints JSON.
"""
import json
import sys

import numpy as np

folder = sys.argv[1]
shape = json.load(open(folder + "/shape.json"))
d, k = shape["d"], shape["k"]
gen = np.fromfile(folder + "/gen.f64", dtype="<f8").reshape(shape["gen"], d)
real = np.fromfile(folder + "/real.f64", dtype="<f8").reshape(shape["real"], d)
subsets = json.load(open(folder + "/subsets.json"))

# the subsets Go drew: as many, as large and as distinct as the constants say
size = min(shape["subset_size"], shape["gen"], shape["real"])
for side, n in (("gen", shape["gen"]), ("real", shape["real"])):
    sets = subsets[side]
    assert len(sets) == shape["subsets"], f"{len(sets)} {side} subsets, want {shape['subsets']}"
    for s in sets:
        assert len(s) == size, f"a {side} subset of {len(s)}, want min({shape['subset_size']}, {shape['gen']}, {shape['real']}) = {size}"
        assert len(set(s)) == size and min(s) >= 0 and max(s) < n, f"a {side} subset repeats an index or leaves 0..{n - 1}"

# FID
mu1, mu2 = gen.mean(0), real.mean(0)
s1, s2 = np.cov(gen, rowvar=False), np.cov(real, rowvar=False)
ev = np.linalg.eigvals(s1 @ s2)
fid = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev.real, 0, None)).sum())

# KID
def poly(x, y):
    return (x @ y.T / d + 1) ** 3

kids = []
for gi, ri in zip(subsets["gen"], subsets["real"]):
    x, y = gen[gi], real[ri]
    m = len(gi)
    kxx, kyy, kxy = poly(x, x), poly(y, y), poly(x, y)
    v = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * kxy.sum() / (m * m)
    kids.append(v)
kids = np.array(kids)

# precision and recall
def dist(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))

def radii(a):
    return np.sort(dist(a, a), axis=1)[:, k]  # column 0 is the vector itself

rr, rg = radii(real), radii(gen)
dgr = dist(gen, real)
precision = float((dgr <= rr[None, :]).any(axis=1).mean())
recall = float((dgr <= rg[:, None]).any(axis=0).mean())

print(json.dumps({"fid": fid, "kid": float(kids.mean()), "kid_std": float(kids.std()),
                  "precision": precision, "recall": recall}))
