#!/usr/bin/env python3
"""Run every benchmark program built from tests/bench/*.c and print its figures.

Each benchmark prints lines of the form "name: value unit" (and may print
more); nothing here compares against a threshold: targets are read by people.
"""
import os
import subprocess
import sys

# runs beyond the default one (no arguments)
EXTRA = {"bench_stream": [["1000000", "docx"]]}

bindir = sys.argv[1]
src = os.path.dirname(os.path.abspath(__file__))
status = 0
for f in sorted(os.listdir(src)):
    if not f.endswith(".c"):
        continue
    exe = os.path.join(bindir, f[:-2])
    if not os.path.exists(exe):  # bench_xlsx_baseline without libxlsxwriter-dev
        print(f"== {f[:-2]}: not built", flush=True)
        continue
    for args in [[]] + EXTRA.get(f[:-2], []):
        print(f"== {' '.join([f[:-2]] + args)}", flush=True)
        r = subprocess.run([exe] + args, cwd=os.environ.get("LEXP_SOURCE_DIR", "."))
        if r.returncode != 0:
            print(f"   {f[:-2]} exited with {r.returncode}")
            status = 1
for f in sorted(os.listdir(src)):
    if f.startswith("bench_") and f.endswith(".py"):
        print(f"== {f[:-3]}", flush=True)
        r = subprocess.run([sys.executable, os.path.join(src, f)])
        status |= r.returncode != 0
sys.exit(status)
