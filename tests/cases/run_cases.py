#!/usr/bin/env python3
"""Template case directories.

  valid/NAME/template.lxt    rendered with data.json (the case's own, else ../../data.json)
             expected.txt    the exact -f txt output
             expected.xml    optional: the exact -f tree output (positions included)
             args            optional: extra command-line arguments, one per line
  invalid/NAME/template.lxt
             error           first line "LINE COL", second line a substring of the message;
                             the run must exit 1, print FILE:LINE:COL: error: …, write nothing

Usage: run_cases.py PATH/TO/lexport CASES_DIR [NAME…]
"""
import os
import subprocess
import sys
import tempfile

lexport, root = sys.argv[1], sys.argv[2]
only = set(sys.argv[3:])
default_data = os.path.join(root, "data.json")
fails = total = 0


def run(case, fmt, out):
    data = os.path.join(case, "data.json")
    if not os.path.exists(data):
        data = default_data
    args = []
    if os.path.exists(os.path.join(case, "args")):
        args = [a for a in open(os.path.join(case, "args"), encoding="utf-8").read().split("\n") if a]
    cmd = [lexport, "render", os.path.join(case, "template.lxt"), data, "-f", fmt, "-o", out] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20)


def fail(name, why):
    global fails
    fails += 1
    print(f"FAIL {name}: {why}")


with tempfile.TemporaryDirectory() as tmp:
    for kind in ("valid", "invalid"):
        base = os.path.join(root, kind)
        for name in sorted(os.listdir(base)):
            if only and name not in only:
                continue
            case = os.path.join(base, name)
            total += 1
            label = f"{kind}/{name}"
            if kind == "valid":
                out = os.path.join(tmp, name + ".txt")
                r = run(case, "txt", out)
                if r.returncode != 0:
                    fail(label, f"exit {r.returncode}: {r.stderr.strip()}")
                    continue
                got = open(out, encoding="utf-8").read()
                want = open(os.path.join(case, "expected.txt"), encoding="utf-8").read()
                if got != want:
                    fail(label, "text differs:\n--- want\n" + want + "--- got\n" + got)
                    continue
                xml = os.path.join(case, "expected.xml")
                if os.path.exists(xml):
                    out = os.path.join(tmp, name + ".xml")
                    r = run(case, "tree", out)
                    got = open(out, encoding="utf-8").read() if r.returncode == 0 else r.stderr
                    if got != open(xml, encoding="utf-8").read():
                        fail(label, "tree differs:\n" + got)
                        continue
                print(f"ok   {label}")
            else:
                out = os.path.join(tmp, name + ".txt")
                r = run(case, "txt", out)
                line, col = open(os.path.join(case, "error"), encoding="utf-8").readline().split()
                msg = open(os.path.join(case, "error"), encoding="utf-8").read().split("\n", 1)[1].strip()
                where = f"template.lxt:{line}:{col}: error: "
                if r.returncode != 1:
                    fail(label, f"exit {r.returncode}, want 1: {r.stderr.strip()}")
                elif where not in r.stderr:
                    fail(label, f"want '{where}' in: {r.stderr.strip()}")
                elif msg not in r.stderr:
                    fail(label, f"want '{msg}' in: {r.stderr.strip()}")
                elif os.path.exists(out):
                    fail(label, "an output file was written")
                else:
                    print(f"ok   {label}")
print(f"{total - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
