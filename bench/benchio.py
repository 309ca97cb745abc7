"""What bench/torch_vae.py and bench/jax_vae.py share: MNIST's IDX files and the result JSON.

Only the standard library and numpy are used.
"""

import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np

HEIGHT = WIDTH = 28


def argument_parser(doc, hidden_choices):
    """Returns a parser with the options every peer script takes; the script
    adds its own, then calls check_args on what the parser returns."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--data-dir", default=os.path.expanduser("~/.local/share/latent/mnist"),
                   help="folder with the gzipped MNIST IDX files")
    p.add_argument("--hidden", type=int, default=0, choices=sorted(hidden_choices),
                   help="hidden dense units: 0, the benchmark model; 256, the default model")
    p.add_argument("--steps", type=int, default=200, help="training steps (batches of 128, in order)")
    p.add_argument("--warmup", type=int, default=20, help="steps left out of the timing")
    p.add_argument("--eval", type=int, default=1000, help="test images for the negative ELBO")
    p.add_argument("--decode-repeats", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--init-from", help="start from latent's initial weights (latentbench --init-out)")
    p.add_argument("--json", required=True, help="where to write the result")
    return p


def check_args(p, a):
    """Stops with a usage error when the shared options of a disagree."""
    if not 0 <= a.warmup < a.steps:
        p.error(f"--warmup {a.warmup} must be in [0, --steps {a.steps})")
    if a.eval <= 0 or a.decode_repeats <= 0:
        p.error("--eval and --decode-repeats must be positive")


def read_idx_images(path, limit):
    """The first limit images of a gzipped IDX3 file, as float32 [N, 28, 28] in [0, 1].

    With one channel, NCHW's and NHWC's memory layouts are the same: the
    callers reshape to [N, 1, 28, 28] or [N, 28, 28, 1].
    """
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 0x803 or (rows, cols) != (HEIGHT, WIDTH):
            raise ValueError(f"{path}: not a 28x28 IDX image file (magic {magic:#x}, {rows}x{cols})")
        if limit > n:
            raise ValueError(f"{path}: {limit} images wanted, the file has {n}")
        pixels = np.frombuffer(f.read(limit * rows * cols), dtype=np.uint8)
    if pixels.size != limit * rows * cols:
        raise ValueError(f"{path}: truncated")
    return (pixels.astype(np.float32) / 255).reshape(limit, rows, cols)


def mnist(data_dir, train, test):
    """The first train training and first test test images, each [N, 28, 28]."""
    return (read_idx_images(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), train),
            read_idx_images(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), test))


def read_idx_labels(path):
    """The labels of a gzipped IDX1 file, as int64."""
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        if magic != 0x801:
            raise ValueError(f"{path}: not an IDX label file (magic {magic:#x})")
        labels = np.frombuffer(f.read(n), dtype=np.uint8)
    if labels.size != n:
        raise ValueError(f"{path}: truncated")
    return labels.astype(np.int64)


def mnist_labels(data_dir):
    """The training and test labels."""
    return (read_idx_labels(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")),
            read_idx_labels(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")))


def write_json(path, obj):
    """Writes obj to path through a temporary file and a rename."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def report(a, system, detail, form, params, train, decode_ms, losses, batch, decode_samples):
    """Writes a twin's result to a.json in the format report.py reads, and
    prints its summary line on stderr. train is (images/s, first step s,
    loss curve); losses is (neg ELBO, recon, KL) on a.eval test images."""
    ips, first, curve = train
    neg_elbo, recon, kl = losses
    out = {
        "system": system,
        "detail": detail,
        "form": form,
        "hidden": a.hidden,
        "likelihood": getattr(a, "likelihood", "bernoulli"),
        "params": params,
        "init": "latent's initial weights" if a.init_from else f"its own He normal init (seed {a.seed})",
        "train": {"steps": a.steps, "warmup": a.warmup, "batch": batch, "images_per_sec": ips,
                  "first_step_s": first, "neg_elbo_per_step": curve},
        "decode": {"samples": decode_samples, "repeats": a.decode_repeats, "median_ms": decode_ms},
        "eval": {"images": a.eval, "after_steps": a.steps, "neg_elbo": neg_elbo, "recon": recon, "kl": kl},
    }
    write_json(a.json, out)
    print(summary(out), file=sys.stderr)


def summary(out):
    """The one line a twin prints on stderr when done."""
    tr, de, ev = out["train"], out["decode"], out["eval"]
    return (f"{out['system']}: {tr['images_per_sec']:,.0f} img/s (first step {tr['first_step_s']:.2f} s), "
            f"decode {de['median_ms']:.2f} ms, test neg ELBO {ev['neg_elbo']:.2f} after {ev['after_steps']} steps")
