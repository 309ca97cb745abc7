#!/usr/bin/env python3
"""Decode latents with a latent VAE exported by `latent export`, in numpy only.

    latent export --run runs/mnist -o model.safetensors
    python3 latent_decoder.py model.safetensors latents.npy -o images.npy

Latents are an [n, latent] array in a .npy file, or a JSON list of lists.
The output is an [n, height, width, channels] float32 array of images in
[0, 1] (NHWC), the decoder's mean image, as `latent sample` draws it.

The file holds the model's configuration (the `model` metadata entry) and
its weights: convolution kernels are HWIO [kh, kw, in, out], and dense layers
are stored as 1x1 convolution kernels [1, 1, in, out]. The decoder is
dense+relu (if hidden > 0), dense+relu to h0*w0*c0, a reshape to NHWC, then
for each width from the last: upsample 2x (nearest, or depth-to-space) and a
same-padded convolution, relu except after the last, and a sigmoid.
"""

import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
          "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def load_safetensors(path):
    """Returns ({name: array}, metadata) from a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    weights = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        weights[name] = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return weights, meta


def dense(weights, scope, x):
    """A dense layer stored as a 1x1 convolution kernel [1, 1, in, out]."""
    w = weights[scope + "/conv/weights"][0, 0].astype(np.float64)
    return x @ w + weights[scope + "/conv/biases"]


def conv_same(weights, scope, x):
    """A stride-1 convolution of x [B, H, W, C] with 'same' zero padding."""
    w = weights[scope + "/conv/weights"].astype(np.float64)  # [kh, kw, in, out]
    kh, kw = w.shape[:2]
    x = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # [B, H, W, C, kh, kw]
    return np.einsum("bhwcij,ijco->bhwo", windows, w) + weights[scope + "/conv/biases"]


def upsample(x, mode):
    """Doubles height and width of x [B, H, W, C]."""
    if mode == "nearest":
        return x.repeat(2, axis=1).repeat(2, axis=2)
    if mode == "depth-to-space":
        b, h, w, c = x.shape
        x = x.reshape(b, h, w, 2, 2, c // 4).transpose(0, 1, 3, 2, 4, 5)
        return x.reshape(b, 2 * h, 2 * w, c // 4)
    raise ValueError(f"unknown upsample mode {mode!r}")


def relu(x):
    return np.maximum(x, 0)


def decode(weights, cfg, z, labels=None):
    """Maps latents [n, latent] to mean images [n, H, W, C] in [0, 1].

    A conditional model (trained with --conditional) decodes latent i as the
    class labels[i]: its decoder takes the code and the label's one-hot row.
    """
    n = len(cfg["widths"])
    h0, w0, c0 = cfg["height"] >> n, cfg["width"] >> n, cfg["widths"][-1]
    h = np.asarray(z, dtype=np.float64)
    classes = cfg.get("classes", 0)
    if classes:
        if labels is None:
            raise ValueError(f"the model is conditional on {classes} classes: give each latent's label")
        labels = np.broadcast_to(np.asarray(labels), (len(h),))
        if labels.min() < 0 or labels.max() >= classes:
            raise ValueError(f"labels must be 0 to {classes - 1}")
        h = np.concatenate([h, np.eye(classes)[labels]], axis=1)
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    h = relu(dense(weights, "decoder/project", h)).reshape(-1, h0, w0, c0)
    for i in reversed(range(n)):
        h = conv_same(weights, f"decoder/conv{i}", upsample(h, cfg["upsample"]))
        if i > 0:
            h = relu(h)
    return (1 / (1 + np.exp(-h))).astype(np.float32)


def load_latents(path, size):
    if path.endswith(".npy"):
        z = np.load(path)
    else:
        with open(path) as f:
            z = np.array(json.load(f), dtype=np.float64)
    z = np.atleast_2d(z)
    if z.ndim != 2 or z.shape[1] != size:
        sys.exit(f"{path}: latents of shape {z.shape}, want [n, {size}]")
    return z


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="safetensors file written by latent export")
    p.add_argument("latents", help="latents [n, latent] as .npy or JSON")
    p.add_argument("-o", "--out", default="images.npy", help="output .npy of images [n, H, W, C]")
    p.add_argument("--label", type=int, help="class every latent is decoded as (conditional models)")
    args = p.parse_args()
    weights, meta = load_safetensors(args.model)
    cfg = json.loads(meta["model"])
    if cfg.get("classes", 0) and args.label is None:
        sys.exit(f"{args.model}: the model is conditional on {cfg['classes']} classes: give --label")
    try:
        images = decode(weights, cfg, load_latents(args.latents, cfg["latent"]), args.label)
    except ValueError as e:
        sys.exit(f"{args.model}: {e}")
    np.save(args.out, images)
    print(f"wrote {args.out}: {images.shape[0]} images of {images.shape[1:]} (NHWC)")


if __name__ == "__main__":
    main()
