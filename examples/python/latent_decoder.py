#!/usr/bin/env python3
"""Decode latents, or codes drawn from an exported prior, with a latent VAE exported by `latent export`, in numpy only.

    latent export --run runs/mnist -o model.safetensors
    python3 latent_decoder.py model.safetensors latents.npy -o images.npy
    python3 latent_decoder.py model.safetensors latents.npy -o grid.png
    python3 latent_decoder.py model.safetensors --prior gmm -n 16 -o grid.png
    python3 latent_decoder.py model.safetensors --prior diffusion -n 16 --steps 50 -o grid.png

Latents are an [n, latent] array in a .npy file, or a JSON list of lists;
a vq model's are index grids [n, cells] (or [n, h, w]), each value a whole
number from 0 to K - 1.
With --prior KIND, the codes are drawn instead from that prior, fitted by
`latent prior fit` and written into the file by `latent export` (see
"Priors" below); --codes saves them as an [n, latent] .npy.
The output is an [n, height, width, channels] float32 array of images in
[0, 1] (NHWC), the decoder's mean image, as `latent sample` draws it; or,
for -o NAME.png, the images as one grid, as square as their number allows,
each pixel a --scale x --scale block, with 1-pixel mid-grey separators.

The file holds the model's configuration (the `model` metadata entry) and
its weights: convolution kernels are HWIO [kh, kw, in, out], and dense layers
are stored as 1x1 convolution kernels [1, 1, in, out]. It reads the six
models of latent's family (the config's "model"):

- conv: dense+relu (if hidden > 0), dense+relu to h0*w0*c0, a reshape to
  NHWC, then for each width from the last: upsample 2x (nearest, or
  depth-to-space) and a same-padded convolution, relu except after the last.
- mlp: dense+relu (if hidden > 0), dense+relu "decoder/dense{i}" for each
  width from the last, and a dense layer "decoder/out" to H*W*C' values,
  reshaped to NHWC.
- resnet: dense+relu (if hidden > 0), then the residual trunk: dense+relu
  "project" and a reshape as conv's, then for each level from the last,
  `blocks` residual blocks h + f(h), f being twice (layer normalisation over
  the channels if norm is "layer", relu, same-padded convolution), then relu,
  upsample 2x and a same-padded convolution.
- broadcast: dense+relu (if hidden > 0), then the spatial broadcast: at
  each pixel, relu of dense(h) plus its coordinates (x across, y down, each
  from -1 to 1) times decoder/broadcast/coords/dense/weights [2, units];
  then for each width from the last a same-padded convolution and relu, and
  a last same-padded convolution "decoder/out" to the output.
- ladder: the top-down path over `groups` stochastic layers, the top first,
  each taking its latent/groups slice of the code: below the top, the slice
  is whitened by the layer's prior given the state h (z = mu + exp(logvar/2)
  * code, mu and logvar from a dense layer on h, soft-clamped to (-10, 10)),
  then u = dense(z), and h = u at the top, else h + dense(relu(h + u)); relu
  of the final state goes through the resnet trunk above.
- vq: an h x w grid of indices (h, w the image's halved once per width, 7x7
  for 28x28), each cell's index looked up in the codebook, the tensor
  vq/codebook [K, D] (quantizer "vq"), or for quantizer "fsq" decoded from
  its digits: with levels L_i and basis b_i = L_0 ... L_{i-1}, channel i is
  (d_i - L_i//2) / (L_i//2), d_i = (index // b_i) mod L_i; then a same-padded
  convolution "project", `blocks` residual blocks as resnet's, relu, and
  conv's upsampling convolutions.

A conditional model's decoder input (the code, or the ladder's top z) gets
the label's one-hot row appended (a vq model's grid: as constant channels of
every cell). The mean image is the sigmoid of the
output for the bernoulli and gaussian likelihoods, and the logistic's
location channels mapped from [-1, 1] to [0, 1] (clipped) for logistic.

Priors: the tensors of the prior of kind KIND are named prior/KIND/NAME,
and the metadata entry prior/KIND describes it as JSON (its "sampler", its
"config" and, for DDIM, its "schedule"):

- sampler "mixture" (gmm, and gaussian as one component): weights [C, K],
  means [C, K, D] and lower Cholesky factors chols [C, K, D, D], C being the
  classes of a conditional prior (else 1). A code of class c takes the
  component k whose cumulative weight first exceeds a uniform u, and is
  means[c, k] + chols[c, k] @ (T * eps), eps ~ N(0, I), T the temperature.
- sampler "ddim" (diffusion): the denoiser predicts the noise eps in
  z_t = sqrt(a(t)) z_0 + sqrt(1 - a(t)) eps (schedule "prediction"
  "epsilon"), or v = sqrt(a) eps - sqrt(1 - a) z_0 ("v"), a(t) the cosine schedule
  f(t)/f(0), f(t) = cos^2((t + offset)/(1 + offset) pi/2), clipped to
  [min_alpha_bar, 1]. Its input: the time embedding (sin and cos of
  time_scale * t * f_i, f_i = max_period^(-i/(F/2 - 1)), in float32),
  dense "time0", swish, dense "time1", plus dense "label" of the one-hot
  label for a conditional prior; h = dense "in" of z_t, then per block
  h += dense "down"(swish(dense "up"(swish(layer_norm(h) + dense "time"(swish(temb)))))),
  then eps = dense "out"(swish(layer_norm "outnorm"(h))) (+ dense "skip"(z_t)
  when config.diffusion.skip). Sampling starts from T * eps at t = 1 and takes
  --steps deterministic DDIM steps t = s/steps -> (s-1)/steps (the estimate
  of z_0 clipped to +-clip_x0; a(0) is 1), then maps the standardised code
  back as z * config.std + config.mean, or, when config.basis (a D x D
  matrix A, row-major) is given, as A @ z + config.mean.

The noise comes from numpy's generator seeded by --seed, so codes differ
from latent's for the same seed; --noise FILE replays given noise instead,
a JSON object {"u": [n], "eps": [n, D] or flat} ("u" for a mixture only), as
latent's tests do to check that this sampler draws latent's own codes.
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


def layer_norm(weights, scope, x, epsilon=1e-3):
    """GoMLX's layers.LayerNormalization over the last axis: epsilon 1e-3,
    a learned gain and offset per channel."""
    scope += "/layer_normalization"
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + epsilon) * weights[scope + "/gain"] + weights[scope + "/offset"]


def up_conv(weights, scope, cfg, x):
    """Upsamples x 2x and convolves it (a 3x3 nearest model stores the same
    kernel for its phase convolution, which computes exactly this)."""
    return conv_same(weights, scope, upsample(x, cfg["upsample"]))


def project(weights, scope, cfg, h):
    """The dense+relu layer to the smallest feature map, reshaped to NHWC."""
    n = len(cfg["widths"])
    h0, w0, c0 = cfg["height"] >> n, cfg["width"] >> n, cfg["widths"][-1]
    return relu(dense(weights, scope + "/project", h)).reshape(-1, h0, w0, c0)


def up_convs(weights, cfg, h):
    """The conv decoder's upsampling convolutions, from the smallest map."""
    for i in reversed(range(len(cfg["widths"]))):
        h = up_conv(weights, f"decoder/conv{i}", cfg, h)
        if i > 0:
            h = relu(h)
    return h


def conv_decode(weights, cfg, h):
    """The conv model's decoder: inputs [n, in] to its output [n, H, W, C']."""
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    return up_convs(weights, cfg, project(weights, "decoder", cfg, h))


def code_grid(cfg):
    """A vq model's grid (height, width) and its codes K."""
    n = len(cfg["widths"])
    if cfg.get("quantizer", "vq") == "fsq":
        k = int(np.prod(cfg["levels"]))
    else:
        k = cfg["codebook"]
    return (cfg["height"] >> n, cfg["width"] >> n), k


def code_size(cfg):
    """Values in one latent: a vq model's grid cells, else the latent's size."""
    if cfg.get("model") == "vq":
        (h, w), _ = code_grid(cfg)
        return h * w
    return cfg["latent"]


def grid_vectors(weights, cfg, idx):
    """The quantised vectors [n, h, w, D] of index grids idx [n, h, w]."""
    if cfg.get("quantizer", "vq") == "fsq":
        levels = np.asarray(cfg["levels"])
        basis = np.cumprod(np.concatenate([[1], levels[:-1]]))
        half = levels // 2
        return ((idx[..., None] // basis) % levels - half) / half
    return weights["vq/codebook"].astype(np.float64)[idx]


def vq_decode(weights, cfg, z, one_hot):
    """The vq model's decoder: index grids z [n, cells] to its output."""
    (gh, gw), k = code_grid(cfg)
    if z.ndim != 2 or z.shape[1] != gh * gw:
        raise ValueError(f"index grids of shape {z.shape}, want [n, {gh * gw}] ({gh}x{gw} cells)")
    if not np.all((z >= 0) & (z < k) & (z == np.floor(z))):
        raise ValueError(f"a grid's values must be whole numbers from 0 to {k - 1}, the codebook's indices")
    h = grid_vectors(weights, cfg, z.astype(np.int64).reshape(-1, gh, gw))
    if one_hot is not None:
        h = np.concatenate([h, np.broadcast_to(one_hot[:, None, None, :], h.shape[:3] + one_hot.shape[1:])], axis=-1)
    h = conv_same(weights, "decoder/project", h)
    for j in range(cfg.get("blocks") or 0):
        h = residual_block(weights, f"decoder/block{j}", cfg, h)
    return up_convs(weights, cfg, relu(h))


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


def broadcast_decode(weights, cfg, h):
    """The broadcast model's decoder: inputs [n, in] to its output [n, H, W, C']."""
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    height, width = cfg["height"], cfg["width"]

    def coords(n):
        return np.linspace(-1, 1, n) if n > 1 else np.zeros(1)

    y, x = np.meshgrid(coords(height), coords(width), indexing="ij")
    xy = np.stack([x, y], axis=-1)  # [H, W, 2]: x across, y down, in [-1, 1]
    grid = xy @ weights["decoder/broadcast/coords/dense/weights"].astype(np.float64)
    h = relu(dense(weights, "decoder/broadcast/code", h)[:, None, None, :] + grid[None])
    for i in reversed(range(len(cfg["widths"]))):
        h = relu(conv_same(weights, f"decoder/conv{i}", h))
    return conv_same(weights, "decoder/out", h)


def mlp_decode(weights, cfg, h):
    """The mlp model's decoder: inputs [n, in] to its output [n, H, W, C']."""
    if cfg["hidden"] > 0:
        h = relu(dense(weights, "decoder/hidden", h))
    for i in reversed(range(len(cfg["widths"]))):
        h = relu(dense(weights, f"decoder/dense{i}", h))
    return dense(weights, "decoder/out", h).reshape(len(h), cfg["height"], cfg["width"], -1)


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
    if model not in ("conv", "mlp", "resnet", "broadcast", "ladder", "vq"):
        raise ValueError(f"unknown model {model!r}: this decoder reads conv, mlp, resnet, broadcast, ladder and vq")
    kind = cfg.get("latent_kind") or "gaussian"
    if kind != ("grid" if model == "vq" else "gaussian"):
        raise ValueError(f"the {model} model's latent kind is {kind!r}: this decoder reads the gaussian kind's codes "
                         "(vectors of real numbers) and the vq model's grids")
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
    elif model == "vq":
        out = vq_decode(weights, cfg, z, one_hot)
    else:
        h = z if one_hot is None else np.concatenate([z, one_hot], axis=1)
        out = {"mlp": mlp_decode, "resnet": resnet_decode, "broadcast": broadcast_decode}.get(model, conv_decode)(weights, cfg, h)
    return mean_image(cfg, out).astype(np.float32)


PRIOR_PREFIX = "prior/"


def load_prior(weights, meta, kind):
    """Returns (tensors, spec) of the prior of kind exported in the file:
    its tensors by their names after prior/KIND/, and its JSON description."""
    key = PRIOR_PREFIX + kind
    if key not in meta:
        held = sorted(k[len(PRIOR_PREFIX):] for k in meta if k.startswith(PRIOR_PREFIX))
        have = ", ".join(held) if held else "none: fit one with `latent prior fit`, then export again"
        raise ValueError(f"no {kind} prior in the file (priors it holds: {have})")
    spec = json.loads(meta[key])
    tensors = {name[len(key) + 1:]: w for name, w in weights.items() if name.startswith(key + "/")}
    return tensors, spec


def prior_classes(cfg, labels, n):
    """The class of each of n codes: 0 for an unconditional prior."""
    classes = cfg.get("classes", 0)
    if not classes:
        return np.zeros(n, dtype=np.int64)
    if labels is None:
        raise ValueError(f"the prior is conditional on {classes} classes: give each code's label")
    labels = np.broadcast_to(np.asarray(labels), (n,))
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"labels must be 0 to {classes - 1}")
    return labels


def sample_mixture(tensors, spec, u, eps, temperature, labels=None):
    """Codes [n, D] of a mixture from uniforms u [n] (the component choice)
    and standard normal eps [n, D]: means[c, k] + chols[c, k] @ (T * eps)."""
    w, means, chols = tensors["weights"], tensors["means"], tensors["chols"]
    cls = prior_classes(spec["config"], labels, len(u))
    if w.shape[0] != max(spec["config"].get("classes", 0), 1):
        raise ValueError(f"the mixture has weights for {w.shape[0]} classes, its config {spec['config'].get('classes', 0)}")
    cum = np.cumsum(w, axis=1)[cls]  # [n, K]
    comp = (np.asarray(u)[:, None] >= cum).sum(axis=1)  # the first whose cumulative weight exceeds u
    last = w.shape[1] - 1 - np.argmax(w[:, ::-1] > 0, axis=1)  # u past the rounded total: the last used one
    comp = np.minimum(comp, last[cls])
    z = means[cls, comp] + np.einsum("nij,nj->ni", chols[cls, comp], temperature * np.asarray(eps, dtype=np.float64))
    return z.astype(np.float32)


def alpha_bar(sch, t):
    """The cosine schedule's a(t) = f(t)/f(0), clipped to [min_alpha_bar, 1]."""
    def f(t):
        return np.cos((t + sch["offset"]) / (1 + sch["offset"]) * math.pi / 2) ** 2
    return float(np.clip(f(t) / f(0.0), sch["min_alpha_bar"], 1))


def time_embedding(sch, t):
    """Sinusoidal features [B, F] of times t [B] (float32), as latent computes them."""
    half = sch["time_features"] // 2
    freqs = np.exp(-math.log(sch["max_period"]) * np.arange(half) / (half - 1)).astype(np.float32)
    arg = (np.asarray(t, dtype=np.float32) * np.float32(sch["time_scale"]))[:, None] * freqs[None, :]
    arg = arg.astype(np.float64)
    return np.concatenate([np.sin(arg), np.cos(arg)], axis=-1)


def swish(x):
    """x * sigmoid(x), without overflow."""
    return x * 0.5 * (1 + np.tanh(x / 2))


def denoise(t, spec, z, times, one_hot):
    """The denoiser's predicted noise [B, D] in codes z [B, D] at times [B]."""
    sch, dc = spec["schedule"], spec["config"]["diffusion"]
    eps_ln = sch["layer_norm_epsilon"]
    temb = dense(t, "denoiser/time0", time_embedding(sch, times))
    temb = dense(t, "denoiser/time1", swish(temb))
    if one_hot is not None:
        temb = temb + dense(t, "denoiser/label", one_hot)
    h = dense(t, "denoiser/in", z)
    for i in range(dc["blocks"]):
        b = f"denoiser/block{i}"
        u = layer_norm(t, b + "/norm", h, eps_ln) + dense(t, b + "/time", swish(temb))
        u = dense(t, b + "/up", swish(u))
        h = h + dense(t, b + "/down", swish(u))
    h = layer_norm(t, "denoiser/outnorm", h, eps_ln)
    out = dense(t, "denoiser/out", swish(h))
    if dc.get("skip"):
        out = out + dense(t, "denoiser/skip", z)
    return out


def check_schedule(spec):
    """Refuses a diffusion prior this sampler would draw wrongly."""
    sch = spec.get("schedule") or {}
    known = (sch.get("name"), sch.get("activation")) == ("cosine", "swish") and sch.get("prediction") in ("epsilon", "v")
    if not known:
        raise ValueError(f"a diffusion prior of schedule {sch.get('name')!r}, prediction {sch.get('prediction')!r} "
                         f"and activation {sch.get('activation')!r}: this sampler knows cosine, epsilon or v, and swish")


def sample_ddim(tensors, spec, eps, temperature, steps, labels=None):
    """Codes [n, D] of the diffusion prior: steps DDIM steps (eta 0) from
    T * eps (eps [n, D] standard normal, rounded to float32 as latent does)."""
    check_schedule(spec)
    cfg, sch = spec["config"], spec["schedule"]
    if steps < 1:
        raise ValueError(f"{steps} sampling steps: want at least 1")
    n = len(eps)
    cls = prior_classes(cfg, labels, n)
    one_hot = np.eye(cfg["classes"])[cls] if cfg.get("classes") else None
    z = (temperature * np.asarray(eps, dtype=np.float64)).astype(np.float32).astype(np.float64)
    for s in range(steps, 0, -1):
        t, t_prev = np.float32(s) / np.float32(steps), np.float32(s - 1) / np.float32(steps)
        out = denoise(tensors, spec, z, np.full(n, t, dtype=np.float32), one_hot)
        a = alpha_bar(sch, float(t))
        a_prev = 1.0 if t_prev <= 0 else alpha_bar(sch, float(t_prev))
        if sch["prediction"] == "v":
            x0 = np.clip(math.sqrt(a) * z - math.sqrt(1 - a) * out, -sch["clip_x0"], sch["clip_x0"])
            e = math.sqrt(1 - a) * z + math.sqrt(a) * out
        else:
            e = out
            x0 = np.clip((z - math.sqrt(1 - a) * e) / math.sqrt(a), -sch["clip_x0"], sch["clip_x0"])
        z = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * e
    if cfg.get("basis"):
        d = cfg["latent"]
        z = z @ np.asarray(cfg["basis"]).reshape(d, d).T + np.asarray(cfg["mean"])
    else:
        z = z * np.asarray(cfg["std"]) + np.asarray(cfg["mean"])
    return z.astype(np.float32)


def sample_prior(tensors, spec, n, seed, temperature, steps, labels=None, noise=None):
    """Draws n codes [n, D] from an exported prior, with numpy's generator
    seeded by seed, or from noise {"u": [n], "eps": [n, D]} when given."""
    d = spec["config"]["latent"]
    if noise is None:
        rng = np.random.default_rng(seed)
        noise = {"u": rng.random(n), "eps": rng.standard_normal((n, d))}
    eps = np.asarray(noise["eps"], dtype=np.float64)
    if eps.ndim == 1 and eps.size % d == 0:  # flat, as latent's prior.Noise writes it
        eps = eps.reshape(-1, d)
    if eps.ndim != 2 or eps.shape[1] != d:
        raise ValueError(f"noise eps of shape {eps.shape}, want [n, {d}]")
    if spec["sampler"] == "mixture":
        u = np.asarray(noise.get("u", []), dtype=np.float64)
        if u.shape != (len(eps),):
            raise ValueError(f"noise u of shape {u.shape}, want [{len(eps)}]: a mixture chooses components by it")
        return sample_mixture(tensors, spec, u, eps, temperature, labels)
    if spec["sampler"] == "ddim":
        return sample_ddim(tensors, spec, eps, temperature, steps, labels)
    raise ValueError(f"unknown prior sampler {spec['sampler']!r}: this example knows mixture and ddim")


def load_latents(path, size):
    if path.endswith(".npy"):
        z = np.load(path)
    else:
        with open(path) as f:
            z = np.array(json.load(f), dtype=np.float64)
    z = np.atleast_2d(z)
    if z.ndim == 3:  # a vq model's grids [n, h, w]
        z = z.reshape(len(z), -1)
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
    p.add_argument("latents", nargs="?", help="latents [n, latent] as .npy or JSON (or give --prior)")
    p.add_argument("-o", "--out", default="images.npy",
                   help="output: .npy of images [n, H, W, C], or .png of them as one grid")
    p.add_argument("--scale", type=int, default=3, help=".png: upscale every pixel to a scale x scale block (1 to 64)")
    p.add_argument("--label", type=int, help="class every latent is decoded as (conditional models)")
    p.add_argument("--prior", metavar="KIND", help="draw the codes from the file's prior of this kind (gmm, diffusion, ...)")
    p.add_argument("-n", type=int, default=16, help="--prior: codes to draw")
    p.add_argument("--seed", type=int, default=1, help="--prior: seed of numpy's generator")
    p.add_argument("--temperature", type=float,
                   help="--prior: scale of the noise (default: the temperature the prior's fit chose, as latent draws it; 1: the prior as fitted)")
    p.add_argument("--steps", type=int, default=50, help="--prior diffusion: DDIM steps (latent's --prior-steps default: 50)")
    p.add_argument("--noise", help="--prior: JSON noise to replay instead of numpy's (see the docstring)")
    p.add_argument("--codes", help="--prior: also write the drawn codes [n, latent] to this .npy")
    args = p.parse_args()
    if not args.out.endswith((".npy", ".png")):
        sys.exit(f"-o {args.out}: want a .npy or .png file")
    if not 1 <= args.scale <= 64:
        sys.exit(f"--scale {args.scale}: want 1 to 64")
    if (args.latents is None) == (args.prior is None):
        sys.exit("give latents or --prior KIND, not both")
    if args.prior is None and (args.noise or args.codes):
        sys.exit("--noise and --codes go with --prior")
    if not 1 <= args.n <= 100000:
        sys.exit(f"-n {args.n}: want 1 to 100000")
    if args.codes and not args.codes.endswith(".npy"):
        sys.exit(f"--codes {args.codes}: want a .npy file")
    weights, meta = load_safetensors(args.model)
    cfg = json.loads(meta["model"])
    if cfg.get("classes", 0) and args.label is None:
        sys.exit(f"{args.model}: the model is conditional on {cfg['classes']} classes: give --label")
    try:
        if args.prior is None:
            z = load_latents(args.latents, code_size(cfg))
        else:
            z = draw(weights, meta, args)
        images = decode(weights, cfg, z, args.label)
    except ValueError as e:
        sys.exit(f"{args.model}: {e}")
    write_images(args.out, images, args.scale)


def draw(weights, meta, args):
    """The codes --prior draws, saved to --codes when given."""
    tensors, spec = load_prior(weights, meta, args.prior)
    noise = None
    if args.noise:
        with open(args.noise) as f:
            noise = json.load(f)
    temperature = args.temperature if args.temperature is not None else spec.get("temperature", 1.0)
    z = sample_prior(tensors, spec, args.n, args.seed, temperature, args.steps, args.label, noise)
    if not np.all(np.isfinite(z)):
        raise ValueError(f"the {args.prior} prior drew codes that are not finite")
    if args.codes:
        np.save(args.codes, z)
    print(f"drew {len(z)} codes from the {args.prior} prior ({spec['sampler']})")
    return z


def write_images(out, images, scale):
    """Writes images [n, H, W, C] to out: a .png grid or a .npy array."""
    if out.endswith(".png"):
        img = grid(images, scale)
        with open(out, "wb") as f:
            f.write(png_bytes(img))
        print(f"wrote {out}: a grid of {images.shape[0]} images, {img.shape[1]}x{img.shape[0]} pixels")
        return
    np.save(out, images)
    print(f"wrote {out}: {images.shape[0]} images of {images.shape[1:]} (NHWC)")


if __name__ == "__main__":
    main()
