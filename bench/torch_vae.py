"""PyTorch twin of latent's convolutional VAE, for `make bench`.

The model, initialisation, loss, optimiser and data order match latent's
models.DefaultConfig() trained by train.Session (GoMLX v0.26), with --hidden 0
(the benchmark model, 191,265 parameters) or --hidden 256 (the default model,
1,659,169):

  encoder  conv 3x3 stride 2, 1->32, ReLU; conv 3x3 stride 2, 32->64, ReLU;
           flatten 7*7*64; [dense -> hidden, ReLU;] dense -> 32
           (mean = first 16, log-variance = last 16)
  sample   z = mean + exp(logvar/2) * eps
  decoder  [dense 16 -> hidden, ReLU;] dense -> 3136, ReLU, reshape 7x7x64;
           nearest upsample x2, conv 3x3 64->32, ReLU; nearest upsample x2,
           conv 3x3 32->1 -> logits

--form picks how PyTorch runs it: "eager" (NCHW, the default layout),
"channels_last" (model and input in torch.channels_last memory format, which
PyTorch recommends for convolutions on CPU), or "compile" (torch.compile of
the loss, whose backward AOTAutograd compiles too, and of the decoder; the
first step's time includes the compilation).

GoMLX's PadSame pads (k-1)//2 before and k//2 after each spatial axis whatever
the stride, so a 3x3 kernel gets (1, 1): padding=1 here, 28 -> 14 -> 7.
GoMLX's default initialiser is He normal, std = sqrt(2 / fan_in) with
fan_in = kh*kw*cin for a kernel and the input size for a dense layer, biases
zero. GoMLX's Adam uses eps = 1e-7 (PyTorch's default is 1e-8); PyTorch's
fused Adam is used in every form.

The benchmark trains on the first steps*128 MNIST training images in order,
one batch of 128 per step, times the steps after the warm-up, times a warm
64-sample decode (median), and evaluates the negative ELBO (sampled z) on the
first --eval test images. It writes one JSON object. With --init-from it
starts from the initial weights latentbench wrote, so that the parity check
compares the implementations rather than two random initialisations (which
alone moved the negative ELBO after 200 steps by up to ~9 nats).

The colour model (--images-from DIR, for bench/colour.sh): the same network
on 32x32 RGB images (8x8x64 after the encoder), trained on the images
latentbench --data shapes --images-out DIR wrote (train.npy, its batches
wrapping around them as latentbench's do; test.npy, the evaluated ones), with
--likelihood:

  gaussian  mean sigmoid(decoder output), one learned log sigma per channel
            (latent's decoder/log_sigma, starting at 0): the density of the
            values in [0, 1];
  logistic  PixelCNN++'s discretised logistic (Salimans et al. 2017, its
            discretized_logistic_mix_likelihood with one component): location
            the decoder output in [-1, 1] pixel units, 256 bins, the bottom
            and top bins taking the tails, the density at the bin centre
            times the bin width where a bin's mass underflows 1e-5; its
            log-scale is latent's parameterisation, one per channel:
            -7 + softplus(30 v + 7) of a variable v starting at 0 (latent's
            decoder/log_scale).
"""

import json
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchio import argument_parser, check_args, mnist, report

LATENT = 16
BATCH = 128
PARAMS = {0: 191_265, 256: 1_659_169}  # models.DefaultConfig() by hidden units
FORMS = ("eager", "channels_last", "compile")
ADAM_EPS = 1e-7  # optimizers.Adam() in GoMLX v0.26
DECODE_SAMPLES = 64


LIKELIHOODS = ("bernoulli", "gaussian", "logistic")
LOGISTIC_SCALE_RATE = 30  # models.LogisticScaleRate
LOGISTIC_MIN_LOG_SCALE = -7  # models' logisticMinLogScale


class VAE(nn.Module):
    """latent's conv VAE with hidden dense layers of that many units (0: none),
    on side x side images of channels channels, with a likelihood of LIKELIHOODS."""

    def __init__(self, hidden=0, channels=1, side=28, likelihood="bernoulli"):
        super().__init__()
        self.hidden, self.channels, self.likelihood = hidden, channels, likelihood
        self.s0 = side // 4  # the encoder's output side: two stride-2 convolutions
        flat = self.s0 * self.s0 * 64
        self.enc0 = nn.Conv2d(channels, 32, 3, stride=2, padding=1)
        self.enc1 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        if hidden:
            self.enc_hidden = nn.Linear(flat, hidden)
            self.dec_hidden = nn.Linear(LATENT, hidden)
        self.posterior = nn.Linear(hidden or flat, 2 * LATENT)
        self.project = nn.Linear(hidden or LATENT, flat)
        self.dec1 = nn.Conv2d(64, 32, 3, padding=1)
        self.dec0 = nn.Conv2d(32, channels, 3, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()  # cin*kh*kw, or in_features
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_in))
                nn.init.zeros_(m.bias)
        if likelihood == "gaussian":
            self.log_sigma = nn.Parameter(torch.zeros(channels))
        elif likelihood == "logistic":
            self.log_scale = nn.Parameter(torch.zeros(channels))

    def encode(self, x):
        h = F.relu(self.enc0(x))
        h = F.relu(self.enc1(h)).flatten(1)
        if self.hidden:
            h = F.relu(self.enc_hidden(h))
        out = self.posterior(h)
        return out[:, :LATENT], out[:, LATENT:]

    def decode(self, z):
        if self.hidden:
            z = F.relu(self.dec_hidden(z))
        h = F.relu(self.project(z)).view(-1, 64, self.s0, self.s0)
        h = F.relu(self.dec1(F.interpolate(h, scale_factor=2, mode="nearest")))
        return self.dec0(F.interpolate(h, scale_factor=2, mode="nearest"))

    def terms(self, x, generator=None):
        """Per-image reconstruction NLL (the likelihood's, from the decoder's output) and KL, in nats."""
        mean, logvar = self.encode(x)
        eps = torch.randn(mean.shape, device=mean.device, generator=generator)
        out = self.decode(mean + torch.exp(0.5 * logvar) * eps)
        recon = self.nll(x, out).sum((1, 2, 3))
        kl = 0.5 * (mean.square() + logvar.exp() - logvar - 1).sum(1)
        return recon, kl

    def nll(self, x, out):
        """-log p(x | out) per subpixel, x in [0, 1] (NCHW)."""
        if self.likelihood == "gaussian":
            log_sigma = self.log_sigma.view(1, -1, 1, 1)
            return 0.5 * ((x - torch.sigmoid(out)) / log_sigma.exp()).square() + log_sigma + 0.5 * math.log(2 * math.pi)
        if self.likelihood == "logistic":
            v = LOGISTIC_SCALE_RATE * self.log_scale.view(1, -1, 1, 1)
            log_scale = LOGISTIC_MIN_LOG_SCALE + F.softplus(v - LOGISTIC_MIN_LOG_SCALE)
            return -discretized_logistic_log_prob(2 * x - 1, out, log_scale)
        return F.softplus(out) - x * out


def discretized_logistic_log_prob(x, means, log_scales):
    """log P(x) of x in [-1, 1] on the 256-level grid, PixelCNN++'s discretised
    logistic with one component (pixel_cnn_pp/nn.py, discretized_logistic_mix_likelihood),
    written as there: the edge bins take the tails; where a bin's mass is below
    1e-5 its density at the centre times the bin width stands in."""
    centered = x - means
    inv_stdv = torch.exp(-log_scales)
    plus_in = inv_stdv * (centered + 1.0 / 255.0)
    cdf_plus = torch.sigmoid(plus_in)
    min_in = inv_stdv * (centered - 1.0 / 255.0)
    cdf_min = torch.sigmoid(min_in)
    log_cdf_plus = plus_in - F.softplus(plus_in)  # log probability for edge case of 0 (before scaling)
    log_one_minus_cdf_min = -F.softplus(min_in)  # log probability for edge case of 255 (before scaling)
    cdf_delta = cdf_plus - cdf_min  # probability for all other cases
    mid_in = inv_stdv * centered
    log_pdf_mid = mid_in - log_scales - 2.0 * F.softplus(mid_in)  # log probability in the center of the bin
    inner = torch.where(cdf_delta > 1e-5, torch.log(torch.clamp(cdf_delta, min=1e-12)), log_pdf_mid - math.log(127.5))
    return torch.where(x < -0.999, log_cdf_plus, torch.where(x > 0.999, log_one_minus_cdf_min, inner))


def load_latent_weights(model, path):
    """Copies the initial weights latentbench --init-out wrote (GoMLX layouts) into model.

    Kernels are [kh, kw, cin, cout] in GoMLX and [cout, cin, kh, kw] here; dense
    weights are [in, out] there (or [1, 1, in, out] where latent writes a dense
    layer as a 1x1 convolution) and [out, in] here; and latent flattens the
    7x7x64 feature map in HWC order where this model flattens CHW, so the
    input rows of the first dense layer after the convolutions (the hidden
    one, or the posterior) and the projection's output columns are permuted.
    """
    with open(path) as f:
        ws = json.load(f)

    def get(scope, name):
        for layer in ("conv", "dense"):
            w = ws.pop(f"{scope}/{layer}/{name}", None)
            if w is not None:
                return torch.tensor(w["values"], dtype=torch.float32).reshape(w["shape"])
        raise ValueError(f"{path}: no variable {scope}/conv/{name} or {scope}/dense/{name}")

    def dense(scope):  # weights [in, out] (any leading 1x1) and biases
        w = get(scope, "weights")
        return w.reshape(-1, w.shape[-1]), get(scope, "biases")

    s0 = model.s0

    def hwc_to_chw(t):  # [..., s0*s0*64] in HWC order -> CHW order
        lead = t.shape[:-1]
        return t.reshape(*lead, s0, s0, 64).movedim(-1, -3).reshape(*lead, s0 * s0 * 64)

    convs = {"enc0": "/encoder/conv0", "enc1": "/encoder/conv1", "dec1": "/decoder/conv1", "dec0": "/decoder/conv0"}
    new = {}
    for mod, scope in convs.items():
        new[f"{mod}.weight"] = get(scope, "weights").permute(3, 2, 0, 1)
        new[f"{mod}.bias"] = get(scope, "biases")
    first = "enc_hidden" if model.hidden else "posterior"
    w, new[f"{first}.bias"] = dense("/encoder/hidden" if model.hidden else "/encoder/posterior")
    new[f"{first}.weight"] = hwc_to_chw(w.T)
    if model.hidden:
        w, new["posterior.bias"] = dense("/encoder/posterior")
        new["posterior.weight"] = w.T
        w, new["dec_hidden.bias"] = dense("/decoder/hidden")
        new["dec_hidden.weight"] = w.T
    w, b = dense("/decoder/project")
    new["project.weight"], new["project.bias"] = hwc_to_chw(w).T, hwc_to_chw(b)
    for name in ("log_sigma", "log_scale"):
        if hasattr(model, name):
            w = ws.pop(f"/decoder/{name}", None)
            if w is None:
                raise ValueError(f"{path}: no variable /decoder/{name}")
            new[name] = torch.tensor(w["values"], dtype=torch.float32).reshape(w["shape"])
    if ws:
        raise ValueError(f"{path}: unexpected variables {sorted(ws)}")
    with torch.no_grad():
        for name, p in model.named_parameters():
            if tuple(new[name].shape) != tuple(p.shape):
                raise ValueError(f"{path}: {name} has shape {tuple(new[name].shape)}, want {tuple(p.shape)}")
            p.copy_(new[name])


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def batch_loss(model, x):
    """The training objective: mean negative ELBO of the batch (beta 1, no KL warm-up)."""
    recon, kl = model.terms(x)
    return (recon + kl).mean()


def take(images, start, n):
    """Images start … start+n-1 of images, wrapping around, as float32 in [0, 1]:
    uint8 images (the colour model's, from latentbench) are divided by 255."""
    idx = np.arange(start, start + n) % len(images)
    x = images[idx]
    return x.astype(np.float32) / 255 if x.dtype == np.uint8 else x


def load_images(folder):
    """latentbench --images-out's train.npy and test.npy, uint8 NHWC, as uint8 NCHW."""
    return tuple(np.ascontiguousarray(np.load(os.path.join(folder, f)).transpose(0, 3, 1, 2))
                 for f in ("train.npy", "test.npy"))


def train(model, opt, images, device, steps, warmup, form):
    """Runs steps Adam steps; returns (images/s after warm-up, first step s, negative ELBO per step)."""
    first = start = None
    curve = []
    loss_fn = torch.compile(batch_loss) if form == "compile" else batch_loss
    layout = torch.channels_last if form == "channels_last" else torch.contiguous_format
    for step in range(steps):
        if step == warmup:
            sync(device)
            start = time.perf_counter()
        t = time.perf_counter()
        x = torch.from_numpy(take(images, step * BATCH, BATCH)).to(device, memory_format=layout)
        loss = loss_fn(model, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        # latent's Session.Step returns its losses to the host every step too.
        curve.append(loss.item())
        if step == 0:
            first = time.perf_counter() - t
    sync(device)
    timed = steps - warmup
    return timed * BATCH / (time.perf_counter() - start), first, curve


@torch.inference_mode()
def evaluate(model, images, device, seed):
    """Mean negative ELBO, reconstruction and KL per image, one sampled z each."""
    gen = torch.Generator(device=device).manual_seed(seed)
    recon_sum = kl_sum = 0.0
    for i in range(0, len(images), 500):
        recon, kl = model.terms(torch.from_numpy(take(images, i, min(500, len(images) - i))).to(device), gen)
        recon_sum += recon.sum().item()
        kl_sum += kl.sum().item()
    n = len(images)
    return (recon_sum + kl_sum) / n, recon_sum / n, kl_sum / n


@torch.inference_mode()
def time_decode(model, device, repeats, seed, form):
    """Median milliseconds of decoding 64 latents to images, result on the host."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(DECODE_SAMPLES, LATENT, generator=gen)
    decode = torch.compile(model.decode) if form == "compile" else model.decode
    times = []
    for i in range(3 + repeats):
        t = time.perf_counter()
        torch.sigmoid(decode(z.to(device))).cpu()
        if i >= 3:
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def parse_args(argv):
    p = argument_parser(__doc__, PARAMS)
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--form", default="eager", choices=FORMS, help="how PyTorch runs the model")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads (default: the cores)")
    p.add_argument("--images-from", help="the colour model: train and evaluate on latentbench --images-out's images")
    p.add_argument("--likelihood", default="bernoulli", choices=LIKELIHOODS,
                   help="the likelihood (gaussian and logistic need --images-from)")
    a = p.parse_args(argv)
    check_args(p, a)
    if (a.likelihood == "bernoulli") != (a.images_from is None):
        p.error("--images-from (colour images) goes with --likelihood gaussian or logistic, MNIST with bernoulli")
    if a.threads <= 0:
        p.error("--threads must be positive")
    return a


def main(argv):
    a = parse_args(argv)
    device = torch.device(a.device)
    if device.type == "cpu":
        torch.set_num_threads(a.threads)
    if a.images_from:
        train_images, test_images = load_images(a.images_from)
        if len(test_images) != a.eval:
            p_error = f"--eval {a.eval}: {a.images_from}/test.npy holds {len(test_images)} images"
            raise SystemExit(f"torch_vae.py: {p_error}")
        channels, side = train_images.shape[1], train_images.shape[2]
    else:
        train_images, test_images = (i.reshape(-1, 1, 28, 28) for i in mnist(a.data_dir, a.steps * BATCH, a.eval))
        channels, side = 1, 28

    torch.manual_seed(a.seed)
    model = VAE(a.hidden, channels, side, a.likelihood)
    if a.init_from:
        load_latent_weights(model, a.init_from)
    model = model.to(device)
    if a.form == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    if not a.images_from and params != PARAMS[a.hidden]:
        raise AssertionError(f"model has {params} parameters, latent's has {PARAMS[a.hidden]}")
    # fused: one kernel for the whole update, on CPU too since torch 2.4; the
    # same numbers as the default for-loop implementation, and faster.
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=ADAM_EPS, fused=True)

    trained = train(model, opt, train_images, device, a.steps, a.warmup, a.form)
    losses = evaluate(model, test_images, device, a.seed)
    decode_ms = time_decode(model, device, a.decode_repeats, a.seed, a.form)

    name = "cuda" if device.type == "cuda" else "cpu"
    detail = torch.cuda.get_device_name(device) if device.type == "cuda" else f"threads: {torch.get_num_threads()}"
    if os.environ.get("OMP_WAIT_POLICY"):
        detail += f", OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
    report(a, f"PyTorch {name} {a.form}", f"torch {torch.__version__}, {a.form}, {detail}", a.form, params,
           trained, decode_ms, losses, BATCH, DECODE_SAMPLES)


if __name__ == "__main__":
    main(sys.argv[1:])
