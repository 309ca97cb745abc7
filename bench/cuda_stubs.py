"""Lets PyPI's CUDA build of torch import and run on CPU without the CUDA libraries.

PyPI has no CPU-only torch for Linux x86_64: its wheel links libtorch_cuda.so
and friends against libcudart, libcublas, libcudnn, … (the nvidia-* and
cuda-toolkit wheels, about 4 GB), so `pip install --no-deps torch` alone fails
at `import torch` with "libcudart.so.13: cannot open shared object file".
This script writes, into torch/lib, one small stub library per CUDA library
that torch's own libraries name but the venv lacks. Each stub carries the
soname and the symbol versions torch was linked against, and defines every
symbol torch takes from it as a function that returns an error code (100:
cudaErrorNoDevice, or "no device" for the driver and library APIs); no CPU
code path calls them, and torch.cuda.is_available() is False.

Usage: python cuda_stubs.py SITE_PACKAGES   (needs readelf and cc on PATH)

It is for the CPU benchmark's venv only (bench/run.sh); bench/gpu.sh uses a
full install. Running it again rewrites the same stubs.
"""

import os
import re
import subprocess
import sys
import tempfile

# Versioned undefined symbols as readelf --dyn-syms prints them.
UND = re.compile(r"\sUND\s+([^@\s]+)@([^\s(]+)")
# A stubbed function that returns a pointer (to a message) rather than an error code.
STRING_FUNCS = re.compile(r"(GetErrorString|GetErrorName|GetStatusString|GetErrorString_v2|GetStatusName|geterrorstring)$", re.I)


def readelf(args, path):
    return subprocess.run(["readelf", "-W", *args, path], check=True, capture_output=True, text=True).stdout


def torch_libs(torch_dir):
    libdir = os.path.join(torch_dir, "lib")
    libs = [os.path.join(libdir, f) for f in sorted(os.listdir(libdir)) if ".so" in f]
    libs += [os.path.join(torch_dir, f) for f in os.listdir(torch_dir) if f.startswith("_C") and f.endswith(".so")]
    return libdir, libs


def system_has(soname):
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    return f"{soname} (" in out


def missing_libs(libdir, libs):
    """The sonames torch's libraries need that neither torch/lib nor the system has."""
    needed = set()
    for lib in libs:
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf(["-d"], lib)))
    ours = set(os.listdir(libdir))
    return {n for n in needed if n not in ours and not system_has(n)}


def wanted_symbols(libs, missing):
    """{soname: {version: {symbol}}} for the symbols torch binds to each missing library.

    Libraries without symbol versions (NCCL, cuSPARSELt, cuFile, the driver)
    get every C symbol torch leaves undefined and unversioned (not Python's,
    not C++'s, which libstdc++ defines) under their soname: which of them
    provides which does not matter to a stub.
    """
    want = {m: {} for m in missing}
    defined, loose = set(), set()
    for lib in libs:
        for line in readelf(["--dyn-syms"], lib).splitlines():
            p = line.split()
            if len(p) < 8:
                continue
            if p[6] != "UND":
                defined.add(p[7].split("@")[0])
            elif "@" not in p[7] and p[4] != "WEAK" and not p[7].startswith(("Py", "_Py", "_Z", "__")):
                loose.add(p[7])
    for m in missing:
        want[m][m] = loose - defined
    for lib in libs:
        text = readelf(["-V"], lib)
        # "File: libcudart.so.13" then "Name: libcudart.so.13 … Version: N" lines.
        file_of = {}
        current = None
        for line in text.splitlines():
            if m := re.search(r"File: (\S+)", line):
                current = m.group(1)
            elif (m := re.search(r"Name: (\S+)", line)) and current:
                file_of[m.group(1)] = current
        for sym, ver in UND.findall(readelf(["--dyn-syms"], lib)):
            f = file_of.get(ver)
            if f in want:
                want[f].setdefault(ver, set()).add(sym)
    return want


def build(soname, versions, libdir, cc):
    """Compiles the stub for soname into libdir."""
    syms = sorted({s for ss in versions.values() for s in ss})
    c = ['static const char stub_msg[] = "CUDA is not installed (CPU-only torch)";']
    for i, s in enumerate(syms):
        if STRING_FUNCS.search(s):
            c.append(f'const char *stub{i}(void) __asm__("{s}"); const char *stub{i}(void) {{ return stub_msg; }}')
        else:
            c.append(f'int stub{i}(void) __asm__("{s}"); int stub{i}(void) {{ return 100; }}')
    script = [f"{ver} {{ global: {' '.join(s + ';' for s in sorted(ss))} }};" for ver, ss in sorted(versions.items())]
    script.append("STUB_LOCAL { local: *; };")
    with tempfile.TemporaryDirectory() as tmp:
        src, vs = os.path.join(tmp, "stub.c"), os.path.join(tmp, "stub.map")
        with open(src, "w") as f:
            f.write("\n".join(c) + "\n")
        with open(vs, "w") as f:
            f.write("\n".join(script) + "\n")
        out = os.path.join(libdir, soname)
        subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out + ".tmp", src, f"-Wl,-soname,{soname}",
                        f"-Wl,--version-script={vs}"], check=True)
        os.replace(out + ".tmp", out)
    return len(syms)


def main(argv):
    if len(argv) != 1:
        sys.exit("usage: cuda_stubs.py SITE_PACKAGES")
    torch_dir = os.path.join(argv[0], "torch")
    libdir, libs = torch_libs(torch_dir)
    missing = missing_libs(libdir, libs)
    # Stubs written by an earlier run are in libdir: rebuild those too.
    stamp = os.path.join(libdir, "CUDA_STUBS")
    if os.path.exists(stamp):
        with open(stamp) as f:
            missing |= set(f.read().split())
    want = wanted_symbols([l for l in libs if os.path.basename(l) not in missing], missing)
    cc = os.environ.get("CC", "cc")
    for soname in sorted(missing):
        n = build(soname, want[soname], libdir, cc)
        print(f"cuda_stubs: {soname}: {n} symbols", file=sys.stderr)
    with open(stamp, "w") as f:
        f.write("\n".join(sorted(missing)) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
