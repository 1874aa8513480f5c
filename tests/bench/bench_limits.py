#!/usr/bin/env python3
"""Scaling of work that used to be quadratic in valid data (issue #10, item 5).

Times `lexport` on an input of size n and of size 4n and prints both and their
ratio: about 4 for linear work, 16 for quadratic. Prints figures only.

  limits_title_*      six activity titles of n letters (no break opportunity)
                      in `brief -f pdf`
  limits_disputes_*   n disputes with distinct summaries in `brief -f pdf`
                      (`unique` over them, `where` / `in` filters)
  limits_table_*      a PDF table of n ledger rows

LEXPORT names the program (default build/lexport); LEXP_BENCH_SCALE (default
1) multiplies every n; LEXP_BENCH_ONLY=title,table runs only those.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCALE = float(os.environ.get("LEXP_BENCH_SCALE", "1"))
ONLY = [w for w in os.environ.get("LEXP_BENCH_ONLY", "").split(",") if w]
MONTH = "2023-09"


def sample():
    return json.load(open(os.path.join(SRC, "samples", "haixing.json"), encoding="utf-8"))


def titles(n):
    d = sample()
    acts = [a for a in d["activities"] if a["date"].startswith(MONTH)]
    for k, a in enumerate(acts[:6]):
        a["title"] = chr(ord("a") + k) * n
        a.pop("summary", None)
    return d


def disputes(n):
    d = sample()
    d["disputes"] = [{"date": "%s-%02d" % (MONTH, 1 + i % 28), "found": 1, "resolved": i % 2,
                      "summary": "纠纷%d" % i} for i in range(n)]
    return d


TABLE = """---
preset: gbt9704
title: 活动台账
---
| 序号 | 日期 | 类别 | 活动名称 | 地点 | 参与人次 |
|---:|------|------|----------|------|---------:|
{% for a in rows %}
| {{ loop.index }} | {{ a.date }} | {{ a.category }} | {{ a.title }} | {{ a.location }} | {{ a.participants }} |
{% endfor %}
| 合计 | < | < | < | < | {{ rows | sum("participants") }} |
"""


def table(n):
    return {"community": {"name": "秦渠社区"},
            "rows": [{"date": "2024-%02d-%02d" % (1 + i % 12, 1 + i % 28),
                      "category": "宣传" if i % 3 else "走访慰问",
                      "title": "民族团结进步宣传活动第%d场" % (i + 1),
                      "location": "社区广场" if i % 4 else "社区党群服务中心",
                      "participants": 20 + i % 300} for i in range(n)]}


def run(tmp, name, data, args):
    p = os.path.join(tmp, name + ".json")
    with open(p, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    argv = [LEXPORT] + [a.replace("DATA", p).replace("TMP", tmp) for a in args]
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True)
    ms = (time.monotonic() - t0) * 1e3
    if r.returncode != 0:
        print("   %s failed (%d): %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        return None
    return ms


def scaling(tmp, name, make, n, args):
    if ONLY and name not in ONLY:
        return 0
    n = max(1, int(n * SCALE))
    a = run(tmp, name, make(n), args)
    b = run(tmp, name, make(4 * n), args)
    if a is None or b is None:
        return 1
    print("limits_%s_%d_ms: %.0f" % (name, n, a))
    print("limits_%s_%d_ms: %.0f" % (name, 4 * n, b))
    print("limits_%s_ratio: %.1f (4n/n: linear about 4, quadratic 16)" % (name, b / a),
          flush=True)
    return 0


def main():
    status = 0
    with tempfile.TemporaryDirectory(prefix="lexp-bench-") as tmp:
        brief = ["brief", "DATA", "--month", MONTH, "-f", "pdf", "-o", "TMP"]
        status |= scaling(tmp, "title", titles, 100_000, brief)
        status |= scaling(tmp, "disputes", disputes, 10_000, brief)
        tpl = os.path.join(tmp, "table.lxt")
        with open(tpl, "w", encoding="utf-8") as f:
            f.write(TABLE)
        status |= scaling(tmp, "table", table, 5_000,
                          ["render", tpl, "DATA", "-o", "TMP/table.pdf"])
    return status


if __name__ == "__main__":
    sys.exit(main())
