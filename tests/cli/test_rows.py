"""Rows read from a file (issue #15): `render --rows NAME=FILE` binds NAME to
the rows of an NDJSON or CSV file, read one by one by the template's
`{% for r in NAME %}`. The same rows must give the same bytes whether they
come in the JSON data, as NDJSON or as CSV; memory must stay flat for any
number of rows; every use that needs the whole list, and every bad row, is
an error with its place, exit status 1 and nothing written.
"""
import json
import os
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SANITIZED = b"libasan" in subprocess.run(["ldd", LEXPORT], capture_output=True).stdout

TEMPLATE = """---
preset: plain
title: 台账
show_title: false
---
本月台账如下。

| 序号 | 日期 | 类别 | 名称 | 人次 | 比例 |
|-----:|------|------|------|-----:|-----:|
{% for r in rows %}
| {{ loop.index }}{% if loop.first %}*{% endif %} | {{ r.date | date("M月D日") }} | {{ r.cat }} | {{ r.title }}{% if loop.last %}(末){% endif %} | {{ r.n }} | {{ (r.n / 300) | pct(1) }} |
{% else %}
| 无 | | | | | |
{% endfor %}
| 合计 | | | | 0 | |
Table: 活动
"""

CATS = ["宣传", "走访", "活动,含逗号", "培训", "其他"]


def rows(n):
    return [{"date": f"2024-09-{k % 30 + 1:02d}", "cat": CATS[k % 5],
             "title": f"活动{k}" if k % 7 else "", "n": (k * 7919) % 300 + (0.5 if k % 4 == 1 else 0)}
            for k in range(n)]


def write_ndjson(path, rs):
    with open(path, "w", encoding="utf-8") as f:
        for r in rs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def csv_field(v):
    s = str(v)
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s or "\n" in s) else s


def write_csv(path, rs, encoding="utf-8-sig"):
    keys = list(rs[0])
    lines = [",".join(keys)] + [",".join(csv_field(r[k]) for k in keys) for r in rs]
    with open(path, "w", encoding=encoding, newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


def run(args, env=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([LEXPORT] + list(map(str, args)), capture_output=True, text=True,
                          env=e, timeout=600)


def render(tmp_path, tpl, out, rows_file=None, data=None, env=None, fmt=None):
    t = tmp_path / "t.lxt"
    t.write_text(tpl, encoding="utf-8")
    args = ["render", t]
    if data is not None:
        d = tmp_path / "d.json"
        d.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        args.append(d)
    if rows_file:
        args += ["--rows", f"rows={rows_file}"]
    args += ["-o", out] + (["-f", fmt] if fmt else [])
    return run(args, env)


@pytest.mark.parametrize("ext", ["xlsx", "docx", "pdf", "txt", "tree"])
def test_json_ndjson_csv_same_bytes(tmp_path, ext):
    rs = rows(300)
    nd = tmp_path / "r.ndjson"
    cs = tmp_path / "r.csv"
    write_ndjson(nd, rs)
    write_csv(cs, rs)
    fmt = "tree" if ext == "tree" else None
    outs = {}
    for stream in ("0", "7"):  # in the tree, and streamed past 7 rows
        env = {"LEXP_STREAM_ROWS": stream}
        for how in ("json", "ndjson", "csv"):
            out = tmp_path / f"{how}-{stream}.{ext}"
            if how == "json":
                r = render(tmp_path, TEMPLATE, out, data={"rows": rs}, env=env, fmt=fmt)
            else:
                r = render(tmp_path, TEMPLATE, out, nd if how == "ndjson" else cs, env=env,
                           fmt=fmt)
            assert r.returncode == 0, r.stderr
            outs[how, stream] = out.read_bytes()
    first = outs["json", "0"]
    assert len(first) > 1000
    for k, v in outs.items():
        assert v == first, k


def test_values_with_independent_readers(tmp_path):
    import docx
    import openpyxl
    rs = rows(40)
    cs = tmp_path / "r.csv"
    write_csv(cs, rs)
    out = tmp_path / "o.xlsx"
    r = render(tmp_path, TEMPLATE, out, cs)
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out)["活动"]
    body = [row for row in ws.iter_rows(values_only=True)][2:]
    assert body[0][0] == "1*" and body[1][0] == 2  # loop.first; then a number
    assert body[39][3].endswith("(末)") and not body[38][3].endswith("(末)")  # loop.last
    assert body[1][4] == 7919 % 300 + 0.5 and isinstance(body[1][4], float)  # CSV numbers
    assert body[2][2] == "活动,含逗号"  # a quoted comma
    assert body[40][0] == "合计"
    out = tmp_path / "o.docx"
    r = render(tmp_path, TEMPLATE, out, cs)
    assert r.returncode == 0, r.stderr
    t = docx.Document(str(out)).tables[0]
    assert len(t.rows) == 1 + 40 + 1
    assert t.rows[40].cells[3].text.endswith("(末)")
    out = tmp_path / "o.pdf"
    r = render(tmp_path, TEMPLATE, out, cs)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", "-layout", out, "-"], capture_output=True,
                          text=True).stdout
    assert "活动39(末)" in text.replace(" ", "")


def test_gb18030_and_tabs_and_codes(tmp_path):
    rs = rows(20)
    utf = tmp_path / "u.csv"
    gb = tmp_path / "g.csv"
    write_csv(utf, rs)
    write_csv(gb, rs, "gb18030")
    a = render(tmp_path, TEMPLATE, tmp_path / "u.txt", utf)
    b = render(tmp_path, TEMPLATE, tmp_path / "g.txt", gb)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert (tmp_path / "u.txt").read_bytes() == (tmp_path / "g.txt").read_bytes()
    # tab-separated; codes with leading zeros and long IDs stay text, and a
    # quoted line break belongs to its record
    tab = tmp_path / "t.csv"
    tab.write_bytes("code\tid\tnote\n007\t110101199003070012\t\"两\n行\"\n12\t-3.5\tx\n".encode())
    tpl = ("{% for r in rows %}\n{{ r.code }}|{{ r.id }}|{{ r.note }}|"
           "{% if r.code == 12 %}number{% endif %}\n\n{% endfor %}\n")
    r = render(tmp_path, tpl, "-", tab)
    assert r.returncode == 0, r.stderr
    assert "007|110101199003070012|两\n行|\n" in r.stdout, r.stdout
    assert "12|-3.5|x|number" in r.stdout


def test_empty_file_takes_else_and_needs_is_met(tmp_path):
    e = tmp_path / "e.ndjson"
    e.write_text("\n\n", encoding="utf-8")
    r = render(tmp_path, TEMPLATE.replace("show_title: false", "show_title: false\nneeds: rows"),
               "-", e)
    assert r.returncode == 0, r.stderr
    assert "无" in r.stdout


def test_data_and_rows_together(tmp_path):
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rows(3))
    tpl = "{{ community.name }}\n\n{% for r in rows %}\n{{ loop.index }}. {{ r.cat }}\n\n{% endfor %}\n"
    r = render(tmp_path, tpl, "-", nd, data={"community": {"name": "秦渠社区"}})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["秦渠社区", "1.", "宣传", "2.", "走访", "3.", "活动,含逗号"]


def test_million_rows_memory_flat(tmp_path):
    if SANITIZED:
        pytest.skip("memory is not comparable under AddressSanitizer")
    n = 1_000_000
    nd = tmp_path / "big.ndjson"
    cats = ["宣传", "走访", "活动", "培训", "其他"]
    with open(nd, "w", encoding="utf-8") as f:
        f.writelines(f'{{"i": {i}, "date": "2024-09-{i % 30 + 1:02d}", "cat": "{cats[i % 5]}", '
                     f'"title": "活动{i}", "n": {(i * 7919) % 300}}}\n' for i in range(1, n + 1))
    assert nd.stat().st_size > 70_000_000  # over twice LEXP_DATA_MAX_BYTES
    tpl = """---
preset: plain
title: t
show_title: false
---
| 序号 | 日期 | 类别 | 名称 | 人次 |
|-----:|------|------|------|-----:|
{% for r in rows %}
| {{ r.i }} | {{ r.date }} | {{ r.cat }} | {{ r.title }} | {{ r.n }} |
{% endfor %}
Table: data
"""
    t = tmp_path / "t.lxt"
    t.write_text(tpl, encoding="utf-8")
    out = tmp_path / "big.xlsx"
    r = subprocess.run(["/usr/bin/time", "-f", "%M", LEXPORT, "render", str(t), "--rows",
                        f"rows={nd}", "-o", str(out)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    rss_kb = int(r.stderr.strip().splitlines()[-1])
    assert rss_kb < 50 * 1024, rss_kb
    # the last row is there: read the end of the sheet without loading it all
    import zipfile
    with zipfile.ZipFile(out) as z:
        name = [x for x in z.namelist() if x.startswith("xl/worksheets/sheet")][0]
        with z.open(name) as f:
            head = f.read(4096).decode()
            tail = b""
            while True:
                b = f.read(1 << 20)
                if not b:
                    break
                tail = (tail + b)[-8192:]
    assert 'ref="A1:E1000002"' in head, head[:600]
    assert f"<v>{n}</v>".encode() in tail and "活动1000000".encode() in tail


def test_memory_does_not_grow_with_rows_csv(tmp_path):
    if SANITIZED:
        pytest.skip("memory is not comparable under AddressSanitizer")
    rss = {}
    t = tmp_path / "t.lxt"
    t.write_text(TEMPLATE, encoding="utf-8")
    for n in (20_000, 200_000):
        cs = tmp_path / f"r{n}.csv"
        write_csv(cs, rows(n))
        out = tmp_path / f"o{n}.xlsx"
        r = subprocess.run(["/usr/bin/time", "-f", "%M", LEXPORT, "render", str(t), "--rows",
                            f"rows={cs}", "-o", str(out)], capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, r.stderr
        rss[n] = int(r.stderr.strip().splitlines()[-1])
    assert rss[200_000] - rss[20_000] < 4096, rss


# ---- errors: each with its place, exit 1, nothing written --------------------------

WHOLE = [
    ("{{ rows | length }}\n", 1, 4),
    ("{{ rows[0].n }}\n", 1, 4),
    ("{% for r in rows | sort('n') %}\n{{ r.n }}\n{% endfor %}\n", 1, 13),
    ("{% set xs = rows %}\n", 1, 13),
    ("{% if rows %}\nx\n{% endif %}\n", 1, 7),
]


@pytest.mark.parametrize("tpl,line,col", WHOLE)
def test_whole_list_uses_are_errors(tmp_path, tpl, line, col):
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rows(3))
    out = tmp_path / "o.xlsx"
    r = render(tmp_path, tpl, out, nd)
    assert r.returncode == 1, r.stderr
    msg = r.stderr.strip().splitlines()[-1]
    assert msg.startswith(f"{tmp_path / 't.lxt'}:{line}:{col}: error: rows: this list is read "
                          f"from {nd} row by row, so only one `for` loop can go over it"), msg
    assert "|length, [i], sort" in msg
    assert not out.exists()


def test_second_loop_and_loop_length_are_errors(tmp_path):
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rows(3))
    out = tmp_path / "o.docx"
    tpl = "{% for r in rows %}\n{{ r.n }}\n{% endfor %}\n\n{% for r in rows %}\n{{ r.n }}\n{% endfor %}\n"
    r = render(tmp_path, tpl, out, nd)
    assert r.returncode == 1 and not out.exists()
    assert f"t.lxt:5:13: error: rows: this list is read from {nd} row by row, and the `for` loop at " \
           f"{tmp_path / 't.lxt'}:1 has gone over it already; only one loop can" in r.stderr
    tpl = "{% for r in rows %}\n{{ loop.revindex }}\n{% endfor %}\n"
    r = render(tmp_path, tpl, out, nd)
    assert r.returncode == 1 and not out.exists()
    assert "t.lxt:2:9: error: loop.revindex needs the whole list, and rows is read from" in r.stderr
    assert "loop.index, loop.index0, loop.first and loop.last work" in r.stderr


def test_value_errors_name_the_rows_file_and_line(tmp_path):
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rows(5))
    r = render(tmp_path, "{% for r in rows %}\n{{ r.n + r.cat }}\n{% endfor %}\n", "-", nd)
    assert r.returncode == 1
    assert f"(at rows[0].cat in {nd} line 1)" in r.stderr, r.stderr


BAD_ROWS = [
    # (file name, bytes, expected "LINE:COL: error: MESSAGE" start)
    ("r.ndjson", b'{"a": 1}\n{"a": 2,}\n', '2:9: error: string or \'}\' expected near \'}\''),
    ("r.ndjson", b'{"a": 1}\n\n  [1, 2]\n', "3:3: error: an array; each line of an NDJSON file "
                                          "must be one JSON object { … }"),
    ("r.ndjson", b'{"a": 1}\n{"a": 1, "a": 2}\n', "2:"),
    ("r.ndjson", b'{"a": "ok"}\n{"a": "\xff"}\n', "2:8: error: invalid UTF-8 (byte 0xFF); save "
                                                    "the file as UTF-8"),
    ("r.ndjson", b'{"a": ' + b'[' * 70 + b']' * 70 + b'}\n', "1:1: error: data nested more than 64 levels deep"),
    ("r.ndjson", b'{"a": "' + b'x' * (1024 * 1024 + 10) + b'"}\n', "1:1: error: the line starting here is longer than 1024 KB"),
    ("r.csv", b"a,b\n1,2\n1,2,3\n", "3:5: error: this record has more fields than the 2 the header "
                                   "names; a value holding a comma needs quotes"),
    ("r.csv", b'a,b\n1,"2\n3,4\n', '2:1: error: a quoted field is not closed before the end of the file'),
    ("r.csv", b"\xef\xbb\xbfa,b\n1,\xff\n", "2:3: error: invalid UTF-8 (byte 0xFF); save the file as CSV UTF-8"),
    ("r.csv", b"a,b\n1,\x00\n", "2:3: error: a NUL byte: the file is not CSV text"),
    ("r.csv", b"a,,b\n", "1:3: error: column 2 of the header has no name"),
    ("r.csv", b"a,b,a\n", '1:5: error: columns 1 and 3 of the header are both named "a"'),
    ("r.csv", b"", "1:1: error: the file is empty; expected a header line naming the fields"),
    ("r.csv", b"a\n" + b"x" * (1024 * 1024 + 1) + b"\n", "2:1: error: the record starting here is longer than 1024 KB"),
    ("r.csv", b"\xff\xfea\x00,\x00b\x00\n\x00", "1:1: error: a UTF-16 file; save it as CSV UTF-8"),
]


# a long parameter would go into PYTEST_CURRENT_TEST (and overflow exec's limit)
@pytest.mark.parametrize("name,data,expect", BAD_ROWS, ids=[str(k) for k in range(len(BAD_ROWS))])
def test_bad_rows(tmp_path, name, data, expect):
    f = tmp_path / name
    f.write_bytes(data)
    out = tmp_path / "o.xlsx"
    r = render(tmp_path, "{% for r in rows %}\n{{ loop.index }}\n\n{% endfor %}\n", out, f)
    assert r.returncode == 1, r.stderr
    msg = r.stderr.strip().splitlines()[-1]
    assert msg.startswith(f"{f}:{expect}"), msg
    assert not out.exists()


def test_bad_row_deep_in_a_streaming_table_writes_nothing(tmp_path):
    rs = rows(5000)
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rs)
    with open(nd, "a", encoding="utf-8") as f:
        f.write('{"date": "2024-09-01", oops}\n')
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"before")
    r = render(tmp_path, TEMPLATE, out, nd)
    assert r.returncode == 1
    assert f"{nd}:5001:27: error: string or" in r.stderr, r.stderr
    assert out.read_bytes() == b"before"  # an existing file is left as it was


def test_usage_errors(tmp_path):
    nd = tmp_path / "r.ndjson"
    write_ndjson(nd, rows(2))
    t = tmp_path / "t.lxt"
    t.write_text(TEMPLATE, encoding="utf-8")
    d = tmp_path / "d.json"
    d.write_text('{"rows": []}', encoding="utf-8")
    cases = [
        (["--rows", "rows"], 2, "--rows expects NAME=FILE"),
        (["--rows", "1x=" + str(nd)], 2, '"1x" is not a name a template can use'),
        (["--rows", f"rows={tmp_path / 'r.txt'}"], 2, "a rows file is .ndjson or .jsonl"),
        (["--rows", f"rows={tmp_path / 'none.ndjson'}"], 3, "cannot open"),
        ([d, "--rows", f"rows={nd}"], 2, "already has a field 'rows'"),
        (["--rows", f"rows={nd}", "--rows", f"rows={nd}"], 2, "are given twice"),
    ]
    for extra, code, text in cases:
        out = tmp_path / "o.xlsx"
        r = run(["render", t] + extra + ["-o", out])
        assert r.returncode == code, (extra, r.stderr)
        assert text in r.stderr, (extra, r.stderr)
        assert not out.exists()
    r = run(["check", d, "--rows", f"rows={nd}"])
    assert r.returncode == 2 and "check takes no --rows" in r.stderr
    assert "--rows NAME=FILE" in run(["--help"]).stdout
