"""Prints `make bench`'s table from the JSON results of latentbench and its twins.

Usage: report.py --out results/<stamp>.json [--max-diff 5] [--note TEXT …] result.json …

The results are runs of latentbench (systems named "latent …"), torch_vae.py
and jax_vae.py, each for one model (its "hidden" units) and possibly several
interleaved rounds. Per model and system the table gives the median training
images/s and 64-sample decode time over the rounds with their min–max (a busy
neighbour shows as spread), the first step's time, the held-out negative ELBO
after the steps and how many times faster latent is: images/s over the
system's for training, the system's milliseconds over latent's for decoding.
"latent" there is the first latent system that trained (XLA), whose rows come
first. Under the table, per model, the headline: latent against the best peer
form, which the line names.

A model is its hidden units and its likelihood: bench/colour.sh's runs (the
colour model on the shapes set, gaussian and logistic) are models of their
own beside the MNIST (bernoulli) ones.

The parity check: every peer run trained for as many steps as latent must
reach a held-out negative ELBO within --max-diff nats of latent's median, or
within --max-rel-diff (a fraction) of that median where that is larger. The
exit status is 1 when a check fails or none could be made, so that
`make bench` fails. Only the standard library is used, so that the GPU
machine's Python can run it too.
"""

import argparse
import datetime
import json
import os
import statistics
import sys

MODELS = {0: "benchmark (hidden 0)", 256: "default (hidden 256)"}


def cell(text, width=90):
    """A table cell: pipes escaped, newlines dropped, long text cut."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def model_name(key):
    """A model's name in the table, from its (hidden, likelihood)."""
    h, likelihood = key
    if likelihood == "bernoulli":
        return MODELS.get(h, f"hidden {h}")
    return f"colour, {likelihood} (hidden {h})"


def likelihood_of(res):
    if "likelihood" in res:
        return res["likelihood"]
    return res.get("config", {}).get("model", {}).get("likelihood", "bernoulli")


def hidden_of(res):
    if "hidden" in res:
        return res["hidden"]
    return res.get("config", {}).get("model", {}).get("hidden", 0)


class System:
    """The runs of one system on one model."""

    def __init__(self, name, key):
        self.name, self.key, self.hidden, self.runs = name, key, key[0], []

    @property
    def latent(self):
        return self.name.startswith("latent")

    def values(self, task, key):
        return [r[task][key] for r in self.runs if r.get(task, {}).get(key)]

    def train(self):
        return self.values("train", "images_per_sec")

    def decode(self):
        return self.values("decode", "median_ms")

    def error(self, task):
        errs = [r[task]["error"] for r in self.runs if r.get(task, {}).get("error")]
        return errs[0] if errs else None

    def neg_elbos(self):
        return [r["eval"]["neg_elbo"] for r in self.runs if r.get("eval")]

    def detail(self):
        return next((r["detail"] for r in self.runs if r.get("detail")), "")

    def params(self):
        return next((r["params"] for r in self.runs if r.get("params")), None)


def group(results):
    """{(hidden, likelihood): [System]} in the order first seen, latent systems first."""
    models = {}
    for res in results:
        key = (hidden_of(res), likelihood_of(res))
        systems = models.setdefault(key, {})
        systems.setdefault(res["system"], System(res["system"], key)).runs.append(res)
    return {h: sorted(s.values(), key=lambda s: not s.latent) for h, s in sorted(models.items())}


def spread(xs, fmt):
    """median (min–max) of xs, or the median alone for one value."""
    med = fmt(statistics.median(xs))
    return med if len(xs) == 1 else f"{med} ({fmt(min(xs))}–{fmt(max(xs))})"


def reference(systems):
    """The latent system the ratios are taken against: the first one that trained."""
    return next((s for s in systems if s.latent and s.train()), None)


def row(s, ref, steps):
    tr, de = s.train(), s.decode()
    train = spread(tr, lambda v: f"{v:,.0f}") if tr else cell(s.error("train") or "–", 60)
    decode = spread(de, lambda v: f"{v:,.2f}") if de else cell(s.error("decode") or "–", 40)
    firsts = s.values("train", "first_step_s")
    first = spread(firsts, lambda v: f"{v:.2f}") if firsts else "–"
    elbos = s.neg_elbos()
    elbo = f"{statistics.median(elbos):.2f}" if elbos else "–"
    if elbos and s.runs[0].get("eval", {}).get("after_steps") != steps:
        elbo += f" (after {s.runs[0]['eval']['after_steps']} steps)"
    tr_ratio = de_ratio = "–"
    if ref is not None and s is not ref:
        if tr:
            tr_ratio = f"{statistics.median(ref.train()) / statistics.median(tr):.2f}x"
        if de and ref.decode():
            de_ratio = f"{statistics.median(de) / statistics.median(ref.decode()):.2f}x"
    return (f"| {model_name(s.key)} | {s.name} | {len(s.runs)} | {train} | {first} | "
            f"{decode} | {elbo} | {tr_ratio} | {de_ratio} |")


def table(models):
    lines = ["| model | system | runs | train img/s, median (min–max) | first step s | decode 64 ms, median (min–max) "
             "| test neg ELBO | latent's train speed-up | latent's decode speed-up |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for systems in models.values():
        ref = reference(systems)
        steps = ref.runs[0]["train"]["steps"] if ref else None
        lines += [row(s, ref, steps) for s in systems]
    return "\n".join(lines)


def best(peers, values, better):
    """The peer whose median of values is best, with that median."""
    scored = [(statistics.median(values(p)), p) for p in peers if values(p)]
    return better(scored, key=lambda t: t[0]) if scored else (None, None)


def headlines(models):
    lines = []
    for h, systems in models.items():
        ref = reference(systems)
        name = model_name(h)
        if ref is None:
            lines.append(f"{name}: latent did not train, no headline")
            continue
        params = ref.params()
        peers = [s for s in systems if not s.latent]
        lt, ld = statistics.median(ref.train()), ref.decode() and statistics.median(ref.decode())
        bt, bt_sys = best(peers, System.train, max)
        bd, bd_sys = best(peers, System.decode, min)
        head = f"{name}{f', {params:,} parameters' if params else ''}: {ref.name} trains {lt:,.0f} img/s"
        if bt_sys:
            head += f", {lt / bt:.2f}x the best peer form ({bt_sys.name}, {bt:,.0f} img/s)"
        if ld and bd_sys:
            head += f"; decodes 64 in {ld:.2f} ms, {bd / ld:.2f}x the best peer form ({bd_sys.name}, {bd:.2f} ms)"
        lines.append(head)
    return lines


def parity(models, max_diff, max_rel=0.0):
    """Parity lines, the checks made, and whether all passed (False when none was made)."""
    rel = f" or ±{100 * max_rel:g} % of latent's median, the larger" if max_rel else ""
    lines = [f"Parity: negative ELBO (nats/image, one sampled z) on the held-out images after the same steps "
             f"on the same batches from latent's initial weights, each run against latent's median (limit ±{max_diff:g}{rel}):"]
    checks = []
    for h, systems in models.items():
        ref = reference(systems)
        name = model_name(h)
        if ref is None or not ref.neg_elbos():
            lines.append(f"  {name}: latent has no negative ELBO, nothing compared")
            continue
        base, bev = statistics.median(ref.neg_elbos()), ref.runs[0]["eval"]
        limit = max(max_diff, max_rel * abs(base))
        lines.append(f"  {name}: {ref.name} {base:.2f} after {bev['after_steps']} steps on {bev['images']} images")
        for s in systems:
            if s.latent:
                continue
            runs = [r for r in s.runs if r.get("eval")]
            same = [r for r in runs if (r["eval"]["after_steps"], r["eval"]["images"]) == (bev["after_steps"], bev["images"])]
            if not same:
                why = "no evaluation" if not runs else f"trained {runs[0]['eval']['after_steps']} steps"
                lines.append(f"    {s.name}: not compared ({why})")
                continue
            diffs = [r["eval"]["neg_elbo"] - base for r in same]
            worst = max(diffs, key=abs)
            ok = abs(worst) <= limit
            checks.append({"hidden": h[0], "likelihood": h[1], "system": s.name, "baseline": base, "limit": limit,
                           "diffs": diffs, "ok": ok})
            lines.append(f"    {s.name}: {statistics.median([r['eval']['neg_elbo'] for r in same]):.2f}, "
                         f"largest difference {worst:+.2f} ({100 * worst / abs(base):+.2f} % of its size) over {len(same)} run(s), "
                         f"limit ±{limit:.2f} ({'OK' if ok else 'FAIL'})")
    if not checks:
        lines.append("  FAIL: no peer result could be compared")
    return lines, checks, bool(checks) and all(c["ok"] for c in checks)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"report.py: reading {path}: {e}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="where to write every raw number as JSON")
    p.add_argument("--max-diff", type=float, default=5.0, help="parity limit, nats")
    p.add_argument("--max-rel-diff", type=float, default=0.0,
                   help="parity limit as a fraction of latent's median negative ELBO (the larger limit counts)")
    p.add_argument("--note", action="append", default=[], help="a line printed under the table (repeatable)")
    p.add_argument("results", nargs="+", help="latentbench's, torch_vae.py's and jax_vae.py's JSON files")
    a = p.parse_args(argv)
    results = [load(r) for r in a.results]
    models = group(results)

    text = table(models)
    heads = headlines(models)
    plines, checks, ok = parity(models, a.max_diff, a.max_rel_diff)
    print(text)
    print()
    print("\n".join(heads))
    print()
    for systems in models.values():
        for s in systems:
            print(f"{s.name} (hidden {s.hidden}): {s.detail()}")
    print()
    print("\n".join(plines))
    for n in a.note:
        print(n)

    out = {"time": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "host": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
           "notes": a.note, "table": text, "headlines": heads,
           "parity": {"max_diff": a.max_diff, "max_rel_diff": a.max_rel_diff, "checks": checks, "ok": ok},
           "results": results}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, a.out)
    print(f"raw numbers: {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
