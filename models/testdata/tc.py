"""β-TCVAE's terms in float64, an implementation independent of latent's.

Reads {"mean", "logvar", "z": [B][D], "n": N, "estimator": "mss"|"mws"}
as JSON on stdin and writes {"mi", "tc", "dwkl", "kl": [B]}: per code z_i,
with log q(z_i|x_j) summed over the dimensions for the joint and kept per
dimension for the marginals, log q(z) estimated as log sum_j w_ij q(z_i|x_j).
MWS (Chen et al. 2018, appendix C.1): w_ij = 1/(N B). MSS (appendix C.2,
with M = B - 1 other images): 1/N for the code's own image, (N - M)/(N M)
for one other (the next, cyclically), 1/M for the rest.
"""
import json
import sys

import numpy as np


def log_normal(z, mean, logvar):
    return -0.5 * (np.log(2 * np.pi) + logvar + (z - mean) ** 2 / np.exp(logvar))


def logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def weights(b, n, estimator):
    if estimator == "mws":
        return np.full((b, b), 1.0 / (n * b))
    m = b - 1
    w = np.full((b, b), 1.0 / m)
    rows = np.arange(b)
    w[rows, rows] = 1.0 / n
    w[rows, (rows + 1) % b] = (n - m) / (n * m)
    return w


def main():
    req = json.load(sys.stdin)
    mean = np.array(req["mean"], dtype=np.float64)
    logvar = np.array(req["logvar"], dtype=np.float64)
    z = np.array(req["z"], dtype=np.float64)
    b = z.shape[0]
    log_qzx = log_normal(z, mean, logvar).sum(1)
    log_pz = log_normal(z, 0.0, 0.0).sum(1)
    pairs = log_normal(z[:, None, :], mean[None, :, :], logvar[None, :, :])  # [i, j, d]
    log_w = np.log(weights(b, req["n"], req["estimator"]))
    log_qz = logsumexp(log_w + pairs.sum(2), 1)
    log_prod = logsumexp(log_w[:, :, None] + pairs, 1).sum(1)
    json.dump({"mi": (log_qzx - log_qz).tolist(), "tc": (log_qz - log_prod).tolist(),
               "dwkl": (log_prod - log_pz).tolist(), "kl": (log_qzx - log_pz).tolist()}, sys.stdout)


main()
