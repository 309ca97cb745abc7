"""Prints `make bench`'s table from the JSON results of torch_vae.py and latentbench.

Usage: report.py --baseline torch.json --out results/<stamp>.json latent1.json [latent2.json ...]

One markdown row per system and task; the last column says how many times
faster than the baseline (PyTorch) each system is: images/s over PyTorch's for
training, PyTorch's milliseconds over the system's for decoding. Under the
table, the parity check: each latent result trained for as many steps as the
baseline must reach a held-out negative ELBO within --max-diff nats of
PyTorch's. The exit status is 1 when a check fails or none could be made, so
that `make bench` fails. Only the standard library is used, so that the GPU
machine's Python can run it too.
"""

import argparse
import datetime
import json
import os
import sys


def cell(text, width=90):
    """A table cell: pipes escaped, newlines dropped, long text cut."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def rows(res, base):
    """(system, task, result, ratio) rows of one result against the baseline."""
    out = []
    tr, btr = res.get("train", {}), base.get("train", {})
    if tr.get("error"):
        out.append((res["system"], "train", cell(tr["error"]), "–"))
    elif tr.get("images_per_sec"):
        ratio = tr["images_per_sec"] / btr["images_per_sec"] if btr.get("images_per_sec") else None
        out.append((res["system"], "train", f"{tr['images_per_sec']:,.0f} img/s", fmt_ratio(ratio)))
    de, bde = res.get("decode", {}), base.get("decode", {})
    task = f"decode {de.get('samples', 64)}"
    if de.get("error"):
        out.append((res["system"], task, cell(de["error"]), "–"))
    elif de.get("median_ms"):
        ratio = bde["median_ms"] / de["median_ms"] if bde.get("median_ms") else None
        out.append((res["system"], task, f"{de['median_ms']:,.2f} ms", fmt_ratio(ratio)))
    return out


def fmt_ratio(r):
    return "–" if r is None else f"{r:.2f}x"


def table(results, base):
    lines = ["| system | task | result | vs PyTorch |", "| --- | --- | --- | --- |"]
    for res in results:
        lines += [f"| {s} | {t} | {v} | {r} |" for s, t, v, r in rows(res, base)]
    return "\n".join(lines)


def parity(results, base, max_diff):
    """Parity lines and whether every check passed (False when none was made)."""
    bev = base.get("eval")
    if not bev:
        return [f"parity: {base['system']} has no negative ELBO"], [], False
    lines = [f"Parity: negative ELBO (nats/image, one sampled z) on the first {bev['images']} test images "
             f"after {bev['after_steps']} steps on the same batches, from {base.get('init', 'its own init')}:",
             f"  {base['system']}: {bev['neg_elbo']:.2f}"]
    checks, ok = [], True
    for res in results:
        ev = res.get("eval")
        if not ev:
            lines.append(f"  {res['system']}: not compared (no evaluation: training did not run)")
            continue
        if ev["after_steps"] != bev["after_steps"] or ev["images"] != bev["images"]:
            lines.append(f"  {res['system']}: {ev['neg_elbo']:.2f} after {ev['after_steps']} steps "
                         f"(not compared: the baseline trained {bev['after_steps']})")
            continue
        diff = ev["neg_elbo"] - bev["neg_elbo"]
        good = abs(diff) <= max_diff
        ok = ok and good
        checks.append({"system": res["system"], "neg_elbo": ev["neg_elbo"], "baseline": bev["neg_elbo"],
                       "diff": diff, "ok": good})
        lines.append(f"  {res['system']}: {ev['neg_elbo']:.2f}, difference {diff:+.2f} "
                     f"({'OK' if good else 'FAIL'}: limit ±{max_diff:g})")
    if not checks:
        lines.append("  FAIL: no latent result could be compared")
    return lines, checks, ok and bool(checks)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"report.py: reading {path}: {e}")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="torch_vae.py's JSON")
    p.add_argument("--out", required=True, help="where to write every raw number as JSON")
    p.add_argument("--max-diff", type=float, default=5.0, help="parity limit, nats")
    p.add_argument("--note", action="append", default=[], help="a line printed under the table (repeatable)")
    p.add_argument("results", nargs="+", help="latentbench's JSON files")
    a = p.parse_args(argv)
    base = load(a.baseline)
    results = [load(r) for r in a.results]

    text = table([base] + results, base)
    plines, checks, ok = parity(results, base, a.max_diff)
    print(text)
    print()
    for res in [base] + results:
        first = res.get("train", {}).get("first_step_s")
        extra = f"; first step {first:.2f} s" if first else ""
        print(f"{res['system']}: {res.get('detail', '')}{extra}")
    print()
    print("\n".join(plines))
    for n in a.note:
        print(n)

    out = {"time": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "host": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
           "notes": a.note, "table": text, "parity": {"max_diff": a.max_diff, "checks": checks, "ok": ok},
           "baseline": base, "results": results}
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
    os.replace(tmp, a.out)
    print(f"raw numbers: {a.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
