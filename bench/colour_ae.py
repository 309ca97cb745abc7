"""How fast a PyTorch autoencoder learns the shapes set (issue 40).

Not a parity check (bench/colour.sh is that): an independent answer to
whether another framework, or a decoder made for two-colour images, reaches
the issue's 1 bit per dimension in the minutes latent is given. It trains
for --secs seconds of wall time on latentbench --data shapes --images-out
DIR's images and prints, every 30 s, the training batch's loss and the 300
test images' negative ELBO (one sampled z) in nats and bits per dimension,
the code's KL and the mean absolute error of the decoded means in levels of
255.

The encoder is latent's default conv model's (two stride-2 4x4
convolutions of 32 and 64 channels, a dense layer of 256, a 16-d Gaussian
code). Decoders (--arch):
  conv  latent's: dense 256, dense to 8x8x64, upsample, 3x3 conv of 32,
        upsample, 3x3 conv to the outputs;
  mlp   dense 512, dense 512, dense to every output;
  comp  made for these images: a shape colour and a background colour from
        the code (dense 256), mixed by a sigmoid mask from the conv decoder.
The likelihood is PixelCNN++'s discretised logistic on 8-bit bins, with a
log-scale per channel (--scale channel, latent's) or per subpixel from the
decoder (--scale pixel). --deterministic trains an autoencoder on the
posterior mean with no KL term, and its test number is the reconstruction
cost alone at the mean: less than any bound a VAE of these networks gives.

  bench/.venv/bin/python bench/colour_ae.py --images-from DIR --arch comp --scale pixel
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_block(ci, co):
    return nn.Sequential(nn.Conv2d(ci, co, 3, padding=1), nn.SiLU())


class Encoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.SiLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.SiLU(),
                                 nn.Flatten(), nn.Linear(64 * 64, 256), nn.SiLU(), nn.Linear(256, 2 * latent))

    def forward(self, x):
        return self.net(x).chunk(2, 1)


class ConvDecoder(nn.Module):
    def __init__(self, latent, outputs):
        super().__init__()
        self.dense = nn.Sequential(nn.Linear(latent, 256), nn.SiLU(), nn.Linear(256, 64 * 64), nn.SiLU())
        self.conv = nn.Sequential(nn.Upsample(scale_factor=2), conv_block(64, 32), nn.Upsample(scale_factor=2),
                                  nn.Conv2d(32, outputs, 3, padding=1))

    def forward(self, z):
        return self.conv(self.dense(z).view(-1, 64, 8, 8))


class MLPDecoder(nn.Module):
    def __init__(self, latent, outputs):
        super().__init__()
        self.outputs = outputs
        self.net = nn.Sequential(nn.Linear(latent, 512), nn.SiLU(), nn.Linear(512, 512), nn.SiLU(),
                                 nn.Linear(512, outputs * 1024))

    def forward(self, z):
        return self.net(z).view(-1, self.outputs, 32, 32)


class TwoColourDecoder(nn.Module):
    """Two colours from the code, mixed per pixel by a mask the conv decoder draws."""

    def __init__(self, latent, outputs):
        super().__init__()
        self.pixel_scale = outputs == 6
        self.colours = nn.Sequential(nn.Linear(latent, 256), nn.SiLU(), nn.Linear(256, 9))
        self.mask = ConvDecoder(latent, 2)

    def forward(self, z):
        c = self.colours(z)[:, :, None, None]
        shape, background, log_scale = c[:, :3], c[:, 3:6], c[:, 6:9]
        m = self.mask(z)
        alpha = torch.sigmoid(m[:, :1])
        mean = alpha * shape + (1 - alpha) * background
        return torch.cat([mean, log_scale + m[:, 1:2]], 1) if self.pixel_scale else mean


def discretized_logistic(x, mean, log_scale):
    """PixelCNN++'s log-likelihood of 8-bit x in [-1, 1], edges 0 and 255 included."""
    log_scale = log_scale.clamp(min=-7)
    c = x - mean
    inv = torch.exp(-log_scale)
    plus, minus = inv * (c + 1 / 255), inv * (c - 1 / 255)
    mid = inv * c
    delta = torch.sigmoid(plus) - torch.sigmoid(minus)
    inner = torch.where(delta > 1e-5, torch.log(delta.clamp(min=1e-12)),
                        mid - log_scale - 2 * F.softplus(mid) - math.log(127.5))
    return torch.where(x < -0.999, plus - F.softplus(plus),
                       torch.where(x > 0.999, -F.softplus(minus), inner))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images-from", required=True, help="latentbench --images-out's folder (train.npy, test.npy)")
    p.add_argument("--arch", default="conv", choices=["conv", "mlp", "comp"])
    p.add_argument("--scale", default="channel", choices=["channel", "pixel"])
    p.add_argument("--deterministic", action="store_true")
    p.add_argument("--secs", type=float, default=240)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train, test = (torch.tensor(np.load(os.path.join(a.images_from, f))).permute(0, 3, 1, 2).float() / 127.5 - 1
                   for f in ("train.npy", "test.npy"))
    outputs = 6 if a.scale == "pixel" else 3
    enc = Encoder(a.latent)
    dec = {"conv": ConvDecoder, "mlp": MLPDecoder, "comp": TwoColourDecoder}[a.arch](a.latent, outputs)
    params = list(enc.parameters()) + list(dec.parameters())
    channel_log_scale = nn.Parameter(torch.zeros(1, 3, 1, 1))
    if a.scale == "channel":
        params.append(channel_log_scale)
    opt = torch.optim.Adam(params, lr=a.lr)

    def neg_elbo(x, sample):
        mu, log_var = enc(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu) if sample else mu
        out = dec(z)
        mean = out[:, :3]
        log_scale = out[:, 3:] if a.scale == "pixel" else channel_log_scale.expand_as(mean)
        rec = -discretized_logistic(x, mean, log_scale).sum((1, 2, 3))
        kl = 0.5 * (mu ** 2 + log_var.exp() - 1 - log_var).sum(1)
        return rec, kl, mean

    gen = torch.Generator().manual_seed(a.seed + 1)
    start, step, report = time.time(), 0, 30
    while True:
        x = train[torch.randint(0, len(train), (a.batch_size,), generator=gen)]
        rec, kl, _ = neg_elbo(x, sample=not a.deterministic)
        loss = rec.mean() if a.deterministic else (rec + kl).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        elapsed = time.time() - start
        if elapsed >= report or elapsed >= a.secs:
            with torch.no_grad():
                rec, kl, mean = neg_elbo(test, sample=not a.deterministic)
                nelbo = rec.mean().item() if a.deterministic else (rec + kl).mean().item()
                mae = ((mean.clamp(-1, 1) - test).abs().mean() * 127.5).item()
            print(f"{elapsed:4.0f} s  step {step:6d}  train {loss.item():8.1f}  test {nelbo:8.1f} nats"
                  f" = {nelbo / (3072 * math.log(2)):.3f} bits/dim  KL {kl.mean().item():5.1f}  error {mae:5.2f} levels",
                  flush=True)
            report += 30
            if elapsed >= a.secs:
                break


if __name__ == "__main__":
    main()
