"""JAX twin of latent's convolutional VAE, for `make bench`: XLA from Python.

The same model as bench/torch_vae.py and latent's models.DefaultConfig()
(--hidden 0, the benchmark model, 191,265 parameters; --hidden 256, the
default model, 1,659,169), in latent's own layouts, so that latentbench's
--init-out weights load as they are:

  encoder  conv 3x3 stride 2, 1->32, ReLU; conv 3x3 stride 2, 32->64, ReLU;
           flatten 7x7x64 (HWC); [dense -> hidden, ReLU;] dense -> 32
           (mean = first 16, log-variance = last 16)
  sample   z = mean + exp(logvar/2) * eps
  decoder  [dense 16 -> hidden, ReLU;] dense -> 3136, ReLU, reshape 7x7x64;
           nearest upsample x2, conv 3x3 64->32, ReLU; nearest upsample x2,
           conv 3x3 32->1 -> Bernoulli logits

Images are NHWC and kernels HWIO, as in GoMLX. Padding is GoMLX's PadSame,
(k-1)//2 before and k//2 after, so (1, 1) for a 3x3 kernel even at stride 2
(XLA's "SAME" would pad (0, 1) there). latent writes its dense layers as 1x1
convolutions; mathematically they are ordinary dense layers, x @ W + b.
Adam comes from optax with GoMLX's hyperparameters (lr 1e-3, betas 0.9 and
0.999, eps 1e-7). The training step is one jitted function (loss, gradients
and the Adam update) whose parameters and optimiser state are donated; the
noise comes from a key folded with the step number inside it. The first
step's time includes the compilation.

Without --init-from the weights are He normal, std sqrt(2 / fan_in), from
--seed, as GoMLX initialises them.
"""

import json
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchio import argument_parser, check_args, mnist, report

LATENT = 16
BATCH = 128
PARAMS = {0: 191_265, 256: 1_659_169}  # models.DefaultConfig() by hidden units
ADAM_EPS = 1e-7  # optimizers.Adam() in GoMLX v0.26
DECODE_SAMPLES = 64
PAD = ((1, 1), (1, 1))  # GoMLX's PadSame for a 3x3 kernel


def shapes(hidden):
    """{layer: kernel shape} of the model, in latent's scopes and layouts (HWIO; dense [in, out])."""
    s = {"/encoder/conv0": (3, 3, 1, 32), "/encoder/conv1": (3, 3, 32, 64),
         "/encoder/posterior": (hidden or 7 * 7 * 64, 2 * LATENT),
         "/decoder/project": (hidden or LATENT, 7 * 7 * 64),
         "/decoder/conv1": (3, 3, 64, 32), "/decoder/conv0": (3, 3, 32, 1)}
    if hidden:
        s["/encoder/hidden"] = (7 * 7 * 64, hidden)
        s["/decoder/hidden"] = (LATENT, hidden)
    return s


def init_params(hidden, seed):
    """He normal kernels and zero biases, as GoMLX's default initialiser."""
    rng = np.random.default_rng(seed)
    params = {}
    for layer, shape in shapes(hidden).items():
        fan_in = int(np.prod(shape[:-1]))
        params[layer] = {"w": jnp.asarray(rng.normal(0, np.sqrt(2 / fan_in), shape), jnp.float32),
                         "b": jnp.zeros(shape[-1], jnp.float32)}
    return params


def load_latent_weights(path, hidden):
    """The initial weights latentbench --init-out wrote, checked against the model's shapes."""
    with open(path) as f:
        ws = json.load(f)
    params = {}
    for layer, shape in shapes(hidden).items():
        p = {}
        for key, name, want in (("w", "weights", shape), ("b", "biases", shape[-1:])):
            w = ws.pop(f"{layer}/conv/{name}", None) or ws.pop(f"{layer}/dense/{name}", None)
            if w is None:
                raise ValueError(f"{path}: no variable {layer}/conv/{name}")
            v = np.asarray(w["values"], np.float32)
            if v.size != int(np.prod(want)):
                raise ValueError(f"{path}: {layer}/{name} has shape {w['shape']}, want {want}")
            p[key] = jnp.asarray(v.reshape(want))  # a dense layer's [1, 1, in, out] is [in, out]
        params[layer] = p
    if ws:
        raise ValueError(f"{path}: unexpected variables {sorted(ws)}")
    return params


def conv(p, x, stride=1):
    y = jax.lax.conv_general_dilated(x, p["w"], (stride, stride), PAD, dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + p["b"]


def dense(p, x):
    return x @ p["w"] + p["b"]


def upsample2(x):
    """Nearest-neighbour x2 of [B, H, W, C], as latent's Upsample2 writes it."""
    b, h, w, c = x.shape
    x = jnp.broadcast_to(x.reshape(b, h, 1, w, 1, c), (b, h, 2, w, 2, c))
    return x.reshape(b, 2 * h, 2 * w, c)


def encode(params, x):
    h = jax.nn.relu(conv(params["/encoder/conv0"], x, 2))
    h = jax.nn.relu(conv(params["/encoder/conv1"], h, 2)).reshape(x.shape[0], -1)
    if "/encoder/hidden" in params:
        h = jax.nn.relu(dense(params["/encoder/hidden"], h))
    out = dense(params["/encoder/posterior"], h)
    return out[:, :LATENT], out[:, LATENT:]


def decode(params, z):
    if "/decoder/hidden" in params:
        z = jax.nn.relu(dense(params["/decoder/hidden"], z))
    h = jax.nn.relu(dense(params["/decoder/project"], z)).reshape(z.shape[0], 7, 7, 64)
    h = jax.nn.relu(conv(params["/decoder/conv1"], upsample2(h)))
    return conv(params["/decoder/conv0"], upsample2(h))


def terms(params, x, key):
    """Per-image reconstruction NLL (Bernoulli, from logits) and KL, in nats."""
    mean, logvar = encode(params, x)
    z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape)
    logits = decode(params, z)
    recon = (jax.nn.softplus(logits) - x * logits).sum((1, 2, 3))
    kl = 0.5 * (jnp.square(mean) + jnp.exp(logvar) - logvar - 1).sum(1)
    return recon, kl


def make_step(opt, key):
    """The jitted training step (params, opt_state, x, step) -> (params, opt_state, loss)."""

    def loss_fn(params, x, step):
        recon, kl = terms(params, x, jax.random.fold_in(key, step))
        return (recon + kl).mean()

    def step_fn(params, opt_state, x, step):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, step)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return jax.jit(step_fn, donate_argnums=(0, 1))


def train(params, images, steps, warmup, seed):
    """Runs steps Adam steps; returns (params, images/s after warm-up, first step s, negative ELBO per step)."""
    opt = optax.adam(1e-3, b1=0.9, b2=0.999, eps=ADAM_EPS)
    opt_state = opt.init(params)
    step_fn = make_step(opt, jax.random.key(seed))
    first = start = None
    curve = []
    for step in range(steps):
        if step == warmup:
            start = time.perf_counter()
        t = time.perf_counter()
        x = jnp.asarray(images[step * BATCH:(step + 1) * BATCH])
        params, opt_state, loss = step_fn(params, opt_state, x, step)
        # latent's Session.Step returns its losses to the host every step too.
        curve.append(float(loss))
        if step == 0:
            first = time.perf_counter() - t
    return params, (steps - warmup) * BATCH / (time.perf_counter() - start), first, curve


def evaluate(params, images, seed):
    """Mean negative ELBO, reconstruction and KL per image, one sampled z each."""
    fn = jax.jit(lambda p, x, k: tuple(t.sum() for t in terms(p, x, k)))
    key = jax.random.key(seed + 1)
    recon_sum = kl_sum = 0.0
    for i in range(0, len(images), 500):
        recon, kl = fn(params, jnp.asarray(images[i:i + 500]), jax.random.fold_in(key, i))
        recon_sum += float(recon)
        kl_sum += float(kl)
    n = len(images)
    return (recon_sum + kl_sum) / n, recon_sum / n, kl_sum / n


def time_decode(params, repeats, seed):
    """Median milliseconds of decoding 64 latents to images, result on the host."""
    fn = jax.jit(lambda p, z: jax.nn.sigmoid(decode(p, z)))
    z = np.random.default_rng(seed).standard_normal((DECODE_SAMPLES, LATENT), np.float32)
    times = []
    for i in range(3 + repeats):
        t = time.perf_counter()
        np.asarray(fn(params, jnp.asarray(z)))
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def parse_args(argv):
    p = argument_parser(__doc__, PARAMS)
    a = p.parse_args(argv)
    check_args(p, a)
    return a


def main(argv):
    a = parse_args(argv)
    train_images, test_images = (i.reshape(-1, 28, 28, 1) for i in mnist(a.data_dir, a.steps * BATCH, a.eval))
    params = load_latent_weights(a.init_from, a.hidden) if a.init_from else init_params(a.hidden, a.seed)
    n = sum(int(np.prod(v.shape)) for v in jax.tree_util.tree_leaves(params))
    if n != PARAMS[a.hidden]:
        raise AssertionError(f"model has {n} parameters, latent's has {PARAMS[a.hidden]}")

    params, *trained = train(params, train_images, a.steps, a.warmup, a.seed)
    losses = evaluate(params, test_images, a.seed)
    decode_ms = time_decode(params, a.decode_repeats, a.seed)

    dev = jax.devices()[0]
    detail = (f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, optax {optax.__version__}, jit, "
              f"{dev.device_kind}")
    report(a, f"JAX {dev.platform} jit", detail, "jit", n, trained, decode_ms, losses, BATCH, DECODE_SAMPLES)


if __name__ == "__main__":
    main(sys.argv[1:])
