"""FID of latent's samples in features latent did not make: a LeNet-5 trained with PyTorch.

`latent score` measures samples in the features of a classifier latent itself
trains (features/). This script is the check from outside: a LeNet-5 (LeCun et
al. 1998; ReLU, max pooling) trained here with PyTorch on MNIST's training
split, its 84-d penultimate layer as features, and the Fréchet distance
computed as pytorch-fid computes it (scipy.linalg.sqrtm of the covariance
product), not through latent's eigendecompositions. Each set of samples is a
numpy array [N, 28, 28, 1] (or [N, 28, 28]) of uint8 pixels, as `latent sample
-o FILE.npy` writes; the first --n of each are compared with the whole test
split. The training split's first --n images give the floor.

    python bench/calibrate.py --samples "N(0, I)=normal.npy" --samples gmm=gmm.npy

The network is trained once (seed 0, Adam, 6 epochs, the last at a tenth of the rate, 2 threads) and cached in
--cache under a name that hashes its recipe; its test accuracy is printed.
"""

import argparse
import hashlib
import json
import os
import sys
import warnings

import numpy as np
import scipy.linalg
import torch
from torch import nn

import benchio

RECIPE = {"net": "lenet5-relu-maxpool", "seed": 0, "epochs": 6, "batch": 128, "lr": 1e-3, "optimizer": "adam",
          "decay": "x0.1 for the last epoch"}


class LeNet(nn.Module):
    """LeNet-5 with ReLU and max pooling; features() is the 84-d layer before the classes."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU())
        self.head = nn.Linear(84, 10)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x))


def train_lenet(train_x, train_y, test_x, test_y):
    """A LeNet trained by RECIPE, and its test accuracy."""
    torch.manual_seed(RECIPE["seed"])
    net = LeNet()
    opt = torch.optim.Adam(net.parameters(), lr=RECIPE["lr"])
    x, y = torch.from_numpy(train_x[:, None]), torch.from_numpy(train_y)
    gen = torch.Generator().manual_seed(RECIPE["seed"])
    for epoch in range(RECIPE["epochs"]):
        if epoch == RECIPE["epochs"] - 1:
            for group in opt.param_groups:
                group["lr"] = RECIPE["lr"] / 10
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), RECIPE["batch"]):
            idx = order[i:i + RECIPE["batch"]]
            loss = nn.functional.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"calibrate: LeNet epoch {epoch + 1} of {RECIPE['epochs']}, last loss {loss.item():.4f}", file=sys.stderr)
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(torch.from_numpy(test_x[i:i + 1000, None])).argmax(1) for i in range(0, len(test_x), 1000)])
    return net, float((pred.numpy() == test_y).mean())


def load_or_train(cache, train_x, train_y, test_x, test_y):
    """The cached network of RECIPE, or one trained now and cached."""
    key = hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:16]
    path = os.path.join(cache, f"lenet-{key}.pt")
    if os.path.exists(path):
        saved = torch.load(path)
        net = LeNet()
        net.load_state_dict(saved["state"])
        net.eval()
        return net, saved["accuracy"], path
    net, acc = train_lenet(train_x, train_y, test_x, test_y)
    os.makedirs(cache, exist_ok=True)
    torch.save({"state": net.state_dict(), "accuracy": acc, "recipe": RECIPE}, path + ".tmp")
    os.replace(path + ".tmp", path)
    return net, acc, path


def features(net, images):
    """The 84-d features of images [N, 28, 28] in [0, 1], as float64."""
    with torch.no_grad():
        out = [net.features(torch.from_numpy(images[i:i + 1000, None])) for i in range(0, len(images), 1000)]
    return torch.cat(out).double().numpy()


def fid(a, b):
    """The Fréchet distance of two feature sets' Gaussians, as pytorch-fid computes it."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # A ReLU unit that never fires makes both covariances singular; like
    # pytorch-fid, an offset is added only when the square root fails.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():
            eps = np.eye(len(s1)) * 1e-6
            covmean = scipy.linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def load_samples(path, n):
    """The first n images of a uint8 .npy array [N, 28, 28(, 1)], in [0, 1]."""
    arr = np.load(path)
    if arr.dtype != np.uint8 or arr.shape[1:3] != (28, 28) or arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[3] != 1):
        raise SystemExit(f"calibrate: {path}: want uint8 [N, 28, 28, 1], got {arr.dtype} {arr.shape}")
    if len(arr) < n:
        raise SystemExit(f"calibrate: {path}: {len(arr)} images, --n asks for {n}")
    return arr[:n].reshape(n, 28, 28).astype(np.float32) / 255


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", default=os.path.expanduser("~/.local/share/latent/mnist"))
    p.add_argument("--cache", default="bench/.cache", help="where the trained LeNet is kept")
    p.add_argument("--samples", action="append", default=[], metavar="NAME=FILE.npy")
    p.add_argument("--n", type=int, default=5000, help="images of each set compared with the test split")
    p.add_argument("--json", help="also write the rows here")
    a = p.parse_args()
    if a.n < 2:
        p.error(f"--n {a.n}: want at least 2")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    train_x, test_x = benchio.mnist(a.data_dir, 60000, 10000)
    train_y, test_y = benchio.mnist_labels(a.data_dir)
    net, acc, path = load_or_train(a.cache, train_x, train_y, test_x, test_y)
    print(f"calibrate: LeNet-5 features ({path}), test accuracy {100 * acc:.2f}%", file=sys.stderr)
    ref = features(net, test_x)
    rows = []
    for spec in a.samples:
        name, sep, file = spec.partition("=")
        if not sep:
            p.error(f"--samples {spec}: want NAME=FILE.npy")
        rows.append((name, fid(features(net, load_samples(file, a.n)), ref)))
    rows.append(("training split", fid(features(net, train_x[:a.n]), ref)))
    print(f"| samples ({a.n} each, against the {len(test_x)} test images) | FID (LeNet-5, 84-d) |")
    print("| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    if a.json:
        benchio.write_json(a.json, {"features": "LeNet-5 84-d", "accuracy": acc, "n": a.n, "recipe": RECIPE,
                                    "rows": [{"name": n, "fid": v} for n, v in rows]})


if __name__ == "__main__":
    main()
