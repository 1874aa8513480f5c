"""Expressions of an office template against Jinja itself (Debian's
python3-jinja2, the engine docxtpl runs): random arithmetic over ints and
reals with + - * / // % ** and unary minus, nested and bracketed, and a
fixed list of slices, indexes, repetitions and str.format calls, the
methods of text and objects (strip, split, join, replace, startswith, get …)
and 100 filters and tests over data (sum, sort, map, selectattr, groupby, round,
truncate, filesizeformat, tojson …). What Jinja prints, lexport fill must
print; what Jinja refuses (division by zero, 0 to
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

from test_str_format import fill_one

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
    return fill_one(tmp_path, ["{{ " + e + " }}" for e in exprs], name)


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


DATA = {"l": [3, 1, 2, 4, 5], "s": "Hello wORLD  ", "n": 3.14159, "i": 7, "f": -3.0,
        "cn": "中文😀", "e": "", "nums": [1, 2.5, 3], "words": ["b", "A", "c", "a"],
        "xs": [{"a": "x", "v": 1, "on": True}, {"a": "y", "v": 2, "on": False},
               {"a": "X", "v": 3, "on": True}],
        "d": {"b": 2, "a": 1}, "h": "<p>a &amp; b</p>"}

# Left out, as templates/README says: tuples print as lists here
# (d|dictsort, d|items), default also replaces null, random is refused
# (a filled document comes out the same each time), and |e, whose escaped
# text Word would show unescaped anyway.
FILTERS = [
    # methods of text and objects, as Python runs them
    "s.strip()", "s.lstrip()", "s.rstrip()", "'\u3000民族\u3000'.strip()", "'xx民族xx'.strip('x')",
    "s.strip(' H')", "s.upper()", "s.lower()", "s.capitalize()", "s.replace('l', 'L')",
    "s.replace('l', 'L', 1)", "s.startswith('He')", "s.endswith('  ')", "s.startswith(('x', 'H'))",
    "s.split()", "s.split(' ')", "s.split('l', 1)", "s.split(None, 1)", "s.split(maxsplit=1)",
    "' a  b '.split()", "' a  b '.split(None, 1)", "'a,b,,c'.split(',')", "'a\u3000b'.split()",
    "'民族、团结、进步'.split('、')", "'、'.join(words)", "', '.join(['a', 'b'])", "'-'.join('abc')",
    "'-'.join(cn)", "s.count('l')", "s.count('')", "l.count(3)", "[1, 1, 2].count(1)", "s.find('W')",
    "cn.find('😀')", "cn.find('x')", "d.get('a')", "d.get('zz', '无')", "s.strip().upper()",
    "'民族团结'.replace('团结', '进步').startswith('民族')",
    # whole characters: ideographic and no-break spaces are whitespace, a CJK
    # character given to trim is stripped whole, '' is replaced between characters
    "'\u3000民族团结\u3000'|trim", "' \u00a0a\u00a0 '|trim", "'族民族团结族'|trim('族')",
    "cn|trim('😀')", "cn|replace('', '|')", "'民族'|replace('', '-', 2)",
    "'a\u3000b'|replace('\u3000', ' ')",
    'l|sum',
    'l|max',
    'l|min',
    'l|sort',
    'l|sort(reverse=true)',
    'l|reverse|list',
    'l|first',
    'l|last',
    'l|length',
    "l|join(',')",
    'l|batch(2)|list',
    'l|slice(2)|list',
    'nums|sum',
    'nums|sum / nums|length',
    '(nums|sum) / (nums|length)',
    "nums|map('int')|list",
    "nums|map('string')|join('/')",
    'n|round(2)',
    "n|round(2, 'floor')",
    "n|round(2, 'ceil')",
    'n|int',
    'f|abs',
    'i|float',
    'i / 2',
    'i|string|length',
    's|upper',
    's|lower',
    's|title',
    's|capitalize',
    's|trim',
    's|length',
    's|wordcount',
    "s|replace('l', 'L')",
    "s|replace('l', 'L', 1)",
    's|truncate(5)',
    's|truncate(8, true)',
    's|center(20)',
    's|indent(2)',
    'cn|length',
    'cn|reverse',
    'cn|upper',
    'words|sort',
    'words|sort(case_sensitive=true)',
    'words|unique|list',
    'words|min',
    'words|max',
    "words|join('、')",
    "xs|map(attribute='a')|join",
    "xs|selectattr('on')|map(attribute='v')|list",
    "xs|rejectattr('on')|map(attribute='a')|list",
    "xs|selectattr('v', 'gt', 1)|list|length",
    "xs|sum(attribute='v')",
    "xs|max(attribute='v')",
    "xs|min(attribute='v')",
    "xs|sort(attribute='v', reverse=true)|map(attribute='a')|join",
    "xs|groupby('on')|map(attribute='grouper')|list",
    "xs|groupby('a')|length",
    "xs|unique(attribute='a')|map(attribute='v')|list",
    'd|length',
    'd.a + d.b',
    'h|striptags',
    "e|default('无')",
    "e|default('无', true)",
    "undefined_name|default('y')",
    "l|select('odd')|list",
    "l|reject('even')|list",
    "l|map('abs')|sum",
    'range(5)|sum',
    'range(2, 10, 3)|list',
    'l|tojson',
    'd|tojson',
    "'%.2f'|format(n)",
    "'%s-%s'|format(1, 2)",
    "'a,b'|list",
    "'abc'|first",
    "'abc'|last",
    '42|filesizeformat',
    '1500000|filesizeformat',
    '1500000|filesizeformat(true)',
    "'a b'|urlencode",
    "'  x  '|trim('x ')",
    'l|count',
    's|count',
    "xs|map(attribute='missing', default=0)|list",
    'i is divisibleby 7',
    'i is odd',
    'n is number',
    's is string',
    'l is sequence',
    'd is mapping',
    'none is none',
    'i is even',
    'l|string',
    "[1, 'a', none]|string",
    '[]|first is undefined',
    'l[10] is undefined',
    'i in l',
    "'x' in xs|map(attribute='a')|list",
    "l|map('string')|map('int')|sum"
]


def test_filters_print_as_jinja_prints_them(tmp_path):
    want = [ENV.from_string("{{ " + e + " }}").render(**DATA) for e in FILTERS]
    d = docx.Document()
    for e in FILTERS:
        d.add_paragraph("{{ " + e + " }}")
    d.save(tmp_path / "f.docx")
    (tmp_path / "f.json").write_text(json.dumps(DATA, ensure_ascii=False), encoding="utf-8")
    r = subprocess.run([LEXPORT, "fill", tmp_path / "f.docx", tmp_path / "f.json", "-o",
                        tmp_path / "fo.docx"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = [p.text for p in docx.Document(str(tmp_path / "fo.docx")).paragraphs]
    wrong = [(e, w, g) for e, w, g in zip(FILTERS, want, got) if w != g]
    assert not wrong, json.dumps(wrong[:10], ensure_ascii=False)
    assert len(got) == len(FILTERS)
