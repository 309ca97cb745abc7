"""Independent numpy references of latent's per-image reconstruction terms.

Reads JSON on stdin: {"likelihood", "x" [N, C] in [0, 1], "out" [N, C]
(decoder outputs), "var" [C] (the likelihood's per-channel variable:
decoder/log_scale for the logistic, decoder/log_sigma for the Gaussian),
"rate", "floor"}. Writes JSON: {"nll": [N]} summed over channels, and for
the logistic also "exact": [N] from the exact bin masses, and "mass_ok":
[N] (every subpixel's bin holds more than 1e-5 of the mass).

The logistic follows PixelCNN++'s discretized_mix_logistic_loss with one
component (Salimans et al., 2017; openai/pixel-cnn nn.py): 256 bins of
width 2/255 over [-1, 1], the edge bins taking the tails, a bin's mass
below 1e-5 replaced by its centre's density times the width. The exact
reference computes each bin's mass from the logistic CDF in log space.
"""
import json
import sys

import numpy as np


def softplus(v):
    return np.logaddexp(0.0, v)


def log_sigmoid(v):
    return -softplus(-v)


def pixelcnn_logprob(x, mu, log_s):
    xs = 2.0 * x - 1.0
    centred = xs - mu
    inv = np.exp(-log_s)
    plus_in = inv * (centred + 1.0 / 255)
    min_in = inv * (centred - 1.0 / 255)
    cdf_delta = 1.0 / (1.0 + np.exp(-plus_in)) - 1.0 / (1.0 + np.exp(-min_in))
    log_cdf_plus = plus_in - softplus(plus_in)
    log_one_minus_cdf_min = -softplus(min_in)
    mid_in = inv * centred
    log_pdf_mid = mid_in - log_s - 2.0 * softplus(mid_in)
    inner = np.where(cdf_delta > 1e-5, np.log(np.maximum(cdf_delta, 1e-12)), log_pdf_mid - np.log(127.5))
    return np.where(xs < -0.999, log_cdf_plus, np.where(xs > 0.999, log_one_minus_cdf_min, inner))


def exact_logprob(x, mu, log_s):
    """log(F(hi) - F(lo)) with F the logistic CDF, stable in the tails:
    sigma(a) - sigma(b) = e^b (e^(a-b) - 1) / ((1 + e^a)(1 + e^b))."""
    k = np.rint(x * 255)
    s = np.exp(log_s)
    a = ((2 * k + 1) / 255 - 1 - mu) / s
    b = ((2 * k - 1) / 255 - 1 - mu) / s
    inner = b + np.log(np.expm1(np.maximum(a - b, 1e-300))) - softplus(a) - softplus(b)
    return np.where(k == 0, log_sigmoid(a), np.where(k == 255, log_sigmoid(-b), inner))


def main():
    req = json.load(sys.stdin)
    x, out, var = (np.asarray(req[k], dtype=np.float64) for k in ("x", "out", "var"))
    res = {}
    if req["likelihood"] == "logistic":
        log_s = req["floor"] + softplus(var * req["rate"] - req["floor"])
        log_s = np.broadcast_to(log_s, x.shape)
        lp = pixelcnn_logprob(x, out, log_s)
        ex = exact_logprob(x, out, log_s)
        res["nll"] = (-lp.sum(axis=1)).tolist()
        res["exact"] = (-ex.sum(axis=1)).tolist()
        res["mass_ok"] = (ex > np.log(1e-5)).all(axis=1).tolist()
    elif req["likelihood"] == "gaussian":
        mean = 1.0 / (1.0 + np.exp(-out))
        sigma = np.exp(var)
        nll = 0.5 * ((x - mean) / sigma) ** 2 + np.log(sigma) + 0.5 * np.log(2 * np.pi)
        res["nll"] = nll.sum(axis=1).tolist()
    else:  # bernoulli from logits
        p = 1.0 / (1.0 + np.exp(-out))
        with np.errstate(divide="ignore"):
            nll = -(x * np.log(p) + (1 - x) * np.log1p(-p))
        res["nll"] = nll.sum(axis=1).tolist()
    json.dump(res, sys.stdout)


main()
