"""'…'.format(…) in an office template against Python's own str.format: 600
random format specs (fill, alignment, sign, #, 0, width, grouping,
precision, type) over whole numbers, reals and text. Each spec Python
accepts is filled from one Word template and must give Python's text; each
one Python refuses must be an error of lexport fill too. The same for
printf-style '%…' % x (flags, width, precision, conversion).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_str_format.py
"""
import json
import os
import random
import subprocess

import pytest

docx = pytest.importorskip("docx")

LEXPORT = os.environ.get("LEXPORT", "build/lexport")

VALUES = [0, 1, -1, 42, -42, 1234567, 255, 3.0, -2.5, 0.5314, 1234567.891, 1e-5, 30.0,
          123.456, 100.0, 0.0, "ab", "民族团结"]
TYPES = ["", "d", "x", "X", "o", "b", "e", "E", "f", "F", "g", "G", "%", "n"]


def literal(v):
    return "'" + v + "'" if isinstance(v, str) else repr(v)


def cases(seed, n):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        v = rnd.choice(VALUES)
        text = isinstance(v, str)
        align = rnd.choice(["", "<", ">", "^", "="])
        spec = (rnd.choice(["", "*", "0", "民", " "]) if align else "") + align
        if not text:
            spec += rnd.choice(["", "+", "-", " "]) + rnd.choice(["", "#"]) + rnd.choice(["", "0"])
        spec += rnd.choice(["", "5", "10", "1"])
        if not text:
            spec += rnd.choice(["", ",", "_"])
        spec += rnd.choice(["", ".0", ".2", ".5"])
        spec += rnd.choice(["", "s"] if text else TYPES)
        fmt = "{:" + spec + "}"
        try:
            want = fmt.format(v)
        except (ValueError, TypeError):
            want = None
        out.append((fmt, literal(v), want))
    return out


def fill_one(tmp_path, tags, name):
    d = docx.Document()
    for t in tags:
        d.add_paragraph(t)
    src, out = tmp_path / f"{name}.docx", tmp_path / f"{name}-out.docx"
    d.save(src)
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    r = subprocess.run([LEXPORT, "fill", src, tmp_path / "d.json", "-o", out],
                       capture_output=True, text=True)
    return r, out


def test_format_specs_as_python_formats_them(tmp_path):
    all_cases = cases(20261207, 600)
    good = [c for c in all_cases if c[2] is not None]
    assert len(good) > 300  # the draw keeps most specs valid
    r, out = fill_one(tmp_path, ["{{ '%s'.format(%s) }}" % (f, v) for f, v, _ in good], "good")
    assert r.returncode == 0, r.stderr
    got = [p.text for p in docx.Document(str(out)).paragraphs]
    wrong = [(f, v, w, g) for (f, v, w), g in zip(good, got) if w != g]
    assert not wrong, json.dumps(wrong[:10], ensure_ascii=False)
    assert len(got) == len(good)


def test_format_specs_python_refuses_are_errors(tmp_path):
    bad = [c for c in cases(20261207, 600) if c[2] is None]
    assert len(bad) > 50
    for f, v, _ in bad[:40]:
        r, out = fill_one(tmp_path, ["{{ '%s'.format(%s) }}" % (f, v)], "bad")
        assert r.returncode == 1 and "error" in r.stderr, (f, v)
        assert not out.exists()


def percent_cases(seed, n):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        v = rnd.choice(VALUES + [True])
        fmt = ("%" + "".join(rnd.sample(["-", "+", " ", "#", "0"], rnd.randint(0, 2)))
               + rnd.choice(["", "5", "10", "1"]) + rnd.choice(["", ".0", ".2", ".5"])
               + rnd.choice(list("sdixXoeEfFgGcr")))
        try:
            want = fmt % v
        except (ValueError, TypeError, OverflowError):
            want = None
        if want is not None and any(ord(c) < 0x20 for c in want):
            continue  # %c of a control code: Word's XML cannot hold it
        out.append((fmt, "true" if v is True else literal(v), want))
    return out


def test_printf_style_as_python_formats_it(tmp_path):
    good = [c for c in percent_cases(7, 600) if c[2] is not None]
    assert len(good) > 300
    r, out = fill_one(tmp_path, ["{{ '%s' %% %s }}" % (f, v) for f, v, _ in good], "pct")
    assert r.returncode == 0, r.stderr
    got = [p.text for p in docx.Document(str(out)).paragraphs]
    wrong = [(f, v, w, g) for (f, v, w), g in zip(good, got) if w != g]
    assert not wrong, json.dumps(wrong[:10], ensure_ascii=False)
    assert len(got) == len(good)


def test_grouped_zero_padding_as_python(tmp_path):
    """Zeros before grouped digits are grouped too, by four for x X o b."""
    cases = []
    for v in [0, 7, 255, 19088743, -255]:
        specs = ([f"0{w}_{t}" for w in (5, 8, 10, 12) for t in "xXob"]
                 + [f"#0{w}_{t}" for w in (8, 11) for t in "xXob"]
                 + ["0=9_x", "0=9_b", "06,d", "09,d"])
        cases += [("{:" + sp + "}", repr(v), ("{:" + sp + "}").format(v)) for sp in specs]
    r, out = fill_one(tmp_path, ["{{ '%s'.format(%s) }}" % (f, v) for f, v, _ in cases], "zg")
    assert r.returncode == 0, r.stderr
    got = [p.text for p in docx.Document(str(out)).paragraphs]
    wrong = [(f, v, w, g) for (f, v, w), g in zip(cases, got) if w != g]
    assert not wrong, json.dumps(wrong[:10], ensure_ascii=False)
