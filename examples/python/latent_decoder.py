#!/usr/bin/env python3
"""Decode latents with a latent VAE exported by `latent export`, in numpy only.

    latent export --run runs/mnist -o model.safetensors
    python3 latent_decoder.py model.safetensors latents.npy -o images.npy
    python3 latent_decoder.py model.safetensors latents.npy -o grid.png

Latents are an [n, latent] array in a .npy file, or a JSON list of lists.
The output is an [n, height, width, channels] float32 array of images in
[0, 1] (NHWC), the decoder's mean image, as `latent sample` draws it; or,
for -o NAME.png, the images as one grid, as square as their number allows,
each pixel a --scale x --scale block, with 1-pixel mid-grey separators.

The file holds the model's configuration (the `model` metadata entry) and
its weights: convolution kernels are HWIO [kh, kw, in, out], and dense layers
are stored as 1x1 convolution kernels [1, 1, in, out]. It reads the three
models of latent's family (the config's "model"):

- conv: dense+relu (if hidden > 0), dense+relu to h0*w0*c0, a reshape to
  NHWC, then for each width from the last: upsample 2x (nearest, or
  depth-to-space) and a same-padded convolution, relu except after the last.
- resnet: dense+relu (if hidden > 0), then the residual trunk: dense+relu
  "project" and a reshape as conv's, then for each level from the last,
  `blocks` residual blocks h + f(h), f being twice (layer normalisation over
  the channels if norm is "layer", relu, same-padded convolution), then relu,
  upsample 2x and a same-padded convolution.
- ladder: the top-down path over `groups` stochastic layers, the top first,
  each taking its latent/groups slice of the code: below the top, the slice
  is whitened by the layer's prior given the state h (z = mu + exp(logvar/2)
  * code, mu and logvar from a dense layer on h, soft-clamped to (-10, 10)),
  then u = dense(z), and h = u at the top, else h + dense(relu(h + u)); relu
  of the final state goes through the resnet trunk above.

A conditional model's decoder input (the code, or the ladder's top z) gets
the label's one-hot row appended. The mean image is the sigmoid of the
output for the bernoulli and gaussian likelihoods, and the logistic's
location channels mapped from [-1, 1] to [0, 1] (clipped) for logistic.
"""

import argparse
import json
import math
import struct
import sys
import zlib

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


def layer_norm(weights, scope, x):
    """GoMLX's layers.LayerNormalization over the last axis: epsilon 1e-3,
    a learned gain and offset per channel."""
    scope += "/layer_normalization"
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-3) * weights[scope + "/gain"] + weights[scope + "/offset"]


def up_conv(weights, scope, cfg, x):
    """Upsamples x 2x and convolves it (a 3x3 nearest model stores the same
    kernel for its phase convolution, which computes exactly this)."""
    return conv_same(weights, scope, upsample(x, cfg["upsample"]))


def project(weights, scope, cfg, h):
    """The dense+relu layer to the smallest feature map, reshaped to NHWC."""
    n = len(cfg["widths"])
    h0, w0, c0 = cfg["height"] >> n, cfg["width"] >> n, cfg["widths"][-1]
    return relu(dense(weights, scope + "/project", h)).reshape(-1, h0, w0, c0)


def conv_decode(weights, cfg, h):
    """The conv model's decoder: inputs [n, in] to its output [n, H, W, C']."""
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    h = project(weights, "decoder", cfg, h)
    for i in reversed(range(len(cfg["widths"]))):
        h = up_conv(weights, f"decoder/conv{i}", cfg, h)
        if i > 0:
            h = relu(h)
    return h


def residual_block(weights, scope, cfg, h):
    """h + f(h), f being twice (optional layer norm, relu, convolution)."""
    r = h
    for i in range(2):
        if cfg.get("norm") == "layer":
            r = layer_norm(weights, f"{scope}/norm{i}", r)
        r = conv_same(weights, f"{scope}/conv{i}", relu(r))
    return h + r


def resnet_up(weights, scope, cfg, h):
    """The residual trunk of resnet and ladder: features [n, units] to the output."""
    h = project(weights, scope, cfg, h)
    for i in reversed(range(len(cfg["widths"]))):
        level = f"{scope}/level{i}"
        for j in range(cfg.get("blocks") or 1):
            h = residual_block(weights, f"{level}/block{j}", cfg, h)
        h = up_conv(weights, f"{level}/up", cfg, relu(h))
    return h


def resnet_decode(weights, cfg, h):
    """The resnet model's decoder: inputs [n, in] to its output [n, H, W, C']."""
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    return resnet_up(weights, "decoder", cfg, h)


def soft_clamp(x, bound=10):
    """Maps x smoothly into (-bound, bound), as latent's ladder does."""
    return x / np.sqrt(1 + (x / bound) ** 2)


def ladder_decode(weights, cfg, z, one_hot):
    """The ladder's top-down path with codes z [n, latent], then the trunk."""
    groups = cfg.get("groups") or 2
    lg = cfg["latent"] // groups
    h = None
    for t in range(groups):
        scope = f"topdown/layer{t}"
        zt = z[:, t * lg:(t + 1) * lg]
        if h is not None:
            prior = soft_clamp(dense(weights, scope + "/prior", h))
            zt = prior[:, :lg] + np.exp(prior[:, lg:] / 2) * zt
        if t == 0 and one_hot is not None:
            zt = np.concatenate([zt, one_hot], axis=1)
        u = dense(weights, scope + "/latent", zt)
        h = u if h is None else h + dense(weights, scope + "/cell", relu(h + u))
    return resnet_up(weights, "decoder", cfg, relu(h))


def mean_image(cfg, out):
    """The likelihood's mean image in [0, 1] from the decoder's output."""
    if cfg["likelihood"] == "logistic":
        mu = out[..., :cfg["channels"]]
        return np.clip((mu + 1) / 2, 0, 1)
    return 1 / (1 + np.exp(-out))


def decode(weights, cfg, z, labels=None):
    """Maps latents [n, latent] to mean images [n, H, W, C] in [0, 1].

    A conditional model (trained with --conditional) decodes latent i as the
    class labels[i]: its decoder takes the code and the label's one-hot row.
    """
    model = cfg.get("model") or "conv"
    if model not in ("conv", "resnet", "ladder"):
        raise ValueError(f"unknown model {model!r}: this decoder reads conv, resnet and ladder")
    if cfg.get("pixel_width"):
        raise ValueError("the model has a pixel head (trained with --pixel-width): it generates one pixel "
                         "after another, which this decoder does not do: decode it with latent (sample, interpolate, serve)")
    z = np.asarray(z, dtype=np.float64)
    one_hot = None
    classes = cfg.get("classes", 0)
    if classes:
        if labels is None:
            raise ValueError(f"the model is conditional on {classes} classes: give each latent's label")
        labels = np.broadcast_to(np.asarray(labels), (len(z),))
        if labels.min() < 0 or labels.max() >= classes:
            raise ValueError(f"labels must be 0 to {classes - 1}")
        one_hot = np.eye(classes)[labels]
    if model == "ladder":
        out = ladder_decode(weights, cfg, z, one_hot)
    else:
        h = z if one_hot is None else np.concatenate([z, one_hot], axis=1)
        out = (resnet_decode if model == "resnet" else conv_decode)(weights, cfg, h)
    return mean_image(cfg, out).astype(np.float32)


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


def grid(images, scale):
    """Lays out images [n, h, w, c] in [0, 1] as one uint8 image [H, W, c]:
    ceil(sqrt(n)) columns, 1-pixel mid-grey separators and empty cells."""
    n, h, w, c = images.shape
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, -(-n // cols))
    ch, cw = h * scale, w * scale
    out = np.full((rows * ch + rows - 1, cols * cw + cols - 1, c), 128, np.uint8)
    pixels = np.round(np.clip(np.nan_to_num(images), 0, 1) * 255).astype(np.uint8)
    pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
    for i in range(n):
        y, x = (i // cols) * (ch + 1), (i % cols) * (cw + 1)
        out[y:y + ch, x:x + cw] = pixels[i]
    return out


def png_bytes(img):
    """Encodes a uint8 image [H, W, 1 or 3] as an 8-bit grey or RGB PNG."""
    h, w, c = img.shape
    color = {1: 0, 3: 2}[c]
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))  # filter 0 per row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="safetensors file written by latent export")
    p.add_argument("latents", help="latents [n, latent] as .npy or JSON")
    p.add_argument("-o", "--out", default="images.npy",
                   help="output: .npy of images [n, H, W, C], or .png of them as one grid")
    p.add_argument("--scale", type=int, default=3, help=".png: upscale every pixel to a scale x scale block (1 to 64)")
    p.add_argument("--label", type=int, help="class every latent is decoded as (conditional models)")
    args = p.parse_args()
    if not args.out.endswith((".npy", ".png")):
        sys.exit(f"-o {args.out}: want a .npy or .png file")
    if not 1 <= args.scale <= 64:
        sys.exit(f"--scale {args.scale}: want 1 to 64")
    weights, meta = load_safetensors(args.model)
    cfg = json.loads(meta["model"])
    if cfg.get("classes", 0) and args.label is None:
        sys.exit(f"{args.model}: the model is conditional on {cfg['classes']} classes: give --label")
    try:
        images = decode(weights, cfg, load_latents(args.latents, cfg["latent"]), args.label)
    except ValueError as e:
        sys.exit(f"{args.model}: {e}")
    if args.out.endswith(".png"):
        img = grid(images, args.scale)
        with open(args.out, "wb") as f:
            f.write(png_bytes(img))
        print(f"wrote {args.out}: a grid of {images.shape[0]} images, {img.shape[1]}x{img.shape[0]} pixels")
        return
    np.save(args.out, images)
    print(f"wrote {args.out}: {images.shape[0]} images of {images.shape[1:]} (NHWC)")


if __name__ == "__main__":
    main()
