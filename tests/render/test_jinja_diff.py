"""Expressions of an office template against Jinja itself (Debian's
python3-jinja2, the engine docxtpl runs): random arithmetic over ints and
reals with + - * / // % ** and unary minus, nested and bracketed, and a
fixed list of slices, indexes, repetitions and str.format calls. What Jinja
prints, lexport fill must print; what Jinja refuses (division by zero, 0 to
a negative power) must be an error. Results Jinja gives as complex numbers,
or beyond 1e15 (floats there lose the exactness of Python's big ints), or
below 1e-6, are left out.

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_jinja_diff.py
"""
import json
import os
import random
import subprocess

import pytest

docx = pytest.importorskip("docx")
jinja2 = pytest.importorskip("jinja2")

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
ENV = jinja2.Environment()

LITS = ["0", "1", "2", "3", "7", "10", "2.5", "0.5", "3.0", "1.5", "4"]
OPS = ["+", "-", "*", "/", "//", "%", "**"]

FIXED = [
    "'2024-09-30'[:7]", "'民族团结'[::-1]", "[3, 1, 2][1:]", "[1, 2, 3, 4, 5][4:0:-2]",
    "'abc'[-1]", "'-' * 5", "[0] * 3", "3 * 'ab'", "'{:,}'.format(1234567)",
    "'{:>8.2f}|'.format(3.14159)", "'{}年{}月'.format(2024, 9)", "'%05.1f' % 2.25",
    "'%s|%r' % ('a', 'b')", "-2 ** 2", "2 ** 3 ** 2", "2 ** -1", "7 // -2", "-7.5 % 2",
    "(6 / 2) is integer", "1.5 * 2 == 3", "10 / 4", "1e3", "0.1 + 0.2",
]


def arith(rnd, d):
    if d == 0 or rnd.random() < 0.3:
        t = rnd.choice(LITS)
        return "-" + t if rnd.random() < 0.15 else t
    op = rnd.choice(OPS)
    a, b = arith(rnd, d - 1), arith(rnd, d - 1)
    if op == "**":
        b = rnd.choice(["0", "1", "2", "3", "-1", "0.5", "2.0"])
    s = f"{a} {op} {b}"
    return f"({s})" if rnd.random() < 0.6 else s


def jinja(e):
    """What Jinja prints for {{ e }}, None when it raises; False to leave out."""
    try:
        r = ENV.compile_expression(e)()
        if isinstance(r, complex) or (isinstance(r, (int, float)) and not isinstance(r, bool)
                                      and (abs(r) > 1e15 or (r != 0 and abs(r) < 1e-6))):
            return False
        return ENV.from_string("{{ " + e + " }}").render()
    except (ZeroDivisionError, OverflowError, TypeError, ValueError):
        return None


def fill(tmp_path, exprs, name):
    d = docx.Document()
    for e in exprs:
        d.add_paragraph("{{ " + e + " }}")
    src, out = tmp_path / f"{name}.docx", tmp_path / f"{name}-out.docx"
    d.save(src)
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    r = subprocess.run([LEXPORT, "fill", src, tmp_path / "d.json", "-o", out],
                       capture_output=True, text=True)
    return r, out


def test_expressions_print_as_jinja_prints_them(tmp_path):
    rnd = random.Random(20261207)
    exprs = FIXED + [arith(rnd, 3) for _ in range(500)]
    cases = [(e, jinja(e)) for e in exprs]
    good = [(e, w) for e, w in cases if w]
    assert len(good) > 400
    r, out = fill(tmp_path, [e for e, _ in good], "good")
    assert r.returncode == 0, r.stderr
    got = [p.text for p in docx.Document(str(out)).paragraphs]
    wrong = [(e, w, g) for (e, w), g in zip(good, got) if w != g]
    assert not wrong, json.dumps(wrong[:10], ensure_ascii=False)
    assert len(got) == len(good)
    refused = [e for e, w in cases if w is None]
    assert len(refused) > 20
    for e in refused[:25]:
        r, out = fill(tmp_path, [e], "bad")
        assert r.returncode == 1 and "error" in r.stderr, e
        assert not out.exists()
