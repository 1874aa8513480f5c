"""Hostile templates (issue 10, items 2–4): long expression chains, values
that double in size, and includes that fan out must end in exit 1 with a
positioned message, quickly and in bounded memory — never a crash, a hang or
gigabytes of memory. Limits: templates/README.md, "Limits".
"""
import os
import re
import resource
import subprocess
import time

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SAMPLE = os.path.join(SRC, "tests", "cases", "data.json")

# 1 GB of address space: far more than a bounded render needs, far less
# than the blow-ups reached (4 GB and more).
ADDRESS_LIMIT = 1024 * 1024 * 1024


def run(tpl, *extra, timeout=30):
    """Render `tpl` to text with a 1 GB address-space limit; returns the
    result with .seconds."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    out = os.path.join(os.path.dirname(str(tpl)), "o.txt")
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, "render", str(tpl), SAMPLE, "-o", out, *extra],
                       capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    r.seconds = time.monotonic() - t0
    r.out_exists = os.path.exists(out)
    return r


def refused(r, pattern):
    assert r.returncode == 1, f"exit {r.returncode}: {r.stderr[-2000:]}"
    assert r.seconds < 5, f"took {r.seconds:.1f} s"
    assert re.search(pattern, r.stderr), r.stderr[-2000:]
    assert not r.out_exists
    assert "Segmentation" not in r.stderr and "Sanitizer" not in r.stderr


# ---- item 2: chains -------------------------------------------------------------

CHAIN = r"t\.lxt:1:\d+: error: expression chained or nested more than 256 deep"

CHAINS = {
    "attr": "{{ community" + ".a" * 50000 + " }}\n",
    "filter": "{{ 1" + " | abs" * 50000 + " }}\n",
    "index": "{% set x = [0] %}{{ x" + "[0]" * 50000 + " }}\n",
    "plus": "{{ 1" + " + 1" * 100000 + " }}\n",
    "cat": "{{ 1" + " ~ 1" * 100000 + " }}\n",
    "and": "{{ 1" + " and 1" * 50000 + " }}\n",
    "compare": "{{ 1" + " == 1" * 50000 + " }}\n",
    "test": "{{ 1" + " is number" * 50000 + " }}\n",
}


@pytest.mark.parametrize("form", sorted(CHAINS))
def test_long_chain_is_refused_at_its_position(tmp_path, form):
    tpl = tmp_path / "t.lxt"
    tpl.write_text(CHAINS[form])
    refused(run(tpl), CHAIN)


def test_chain_in_a_statement_and_a_field(tmp_path):
    tpl = tmp_path / "t.lxt"
    tpl.write_text("{% if 1" + " + 1" * 1000 + " %}x{% endif %}\n")
    refused(run(tpl), CHAIN)


def test_chain_within_the_limit_renders(tmp_path):
    tpl = tmp_path / "t.lxt"
    # 255 additions, 200 field links and 100 filters: long, but real
    tpl.write_text("{{ 1" + " + 1" * 255 + " }}\n{{ community" + ".a" * 200 + " }}\n"
                   "{{ -1" + " | abs" * 100 + " }}\n")
    r = run(tpl)
    assert r.returncode == 0, r.stderr
    assert open(tmp_path / "o.txt", encoding="utf-8").read().split() == ["256", "1"]
