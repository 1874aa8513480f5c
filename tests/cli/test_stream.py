"""Long tables stream (issue #15): past LEXP_STREAM_ROWS body rows (default
1000) a table's rows leave the document tree for a spool as they are made,
and the evaluator gives each iteration's values back. LEXP_STREAM_ROWS=0
keeps every row in the tree (the path before streaming): both must give the
same bytes in every format, and the streamed path must keep memory flat.
"""
import json
import re
import os
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")

# Under AddressSanitizer memory is not comparable (redzones, quarantine).
SANITIZED = b"libasan" in subprocess.run(["ldd", LEXPORT], capture_output=True).stdout

# Spans across the rows where streaming moves rows out ('^' joins a row
# above, '<' a cell on the left), totals rows every 7 rows, numbers,
# percentages, dates, {r} and {row:LABEL} formulas, a chart over the table
# and text lines between tables.
TEMPLATE = """---
preset: plain
title: 长表
show_title: false
---
| 序号 | 类别 | 比例 | 日期 | 份额 |
|-----:|------|-----:|------|-----:|
{% for x in xs %}
{% if x % 7 == 6 %}
| 合计 | | | | {{ x }} |
{% elif x % 11 == 3 %}
| {{ x }} | 合并 | < | {{ "2024-09-01" | date("M月D日") }} | {{ (x / 1000) | pct(1) | formula("C{r}*2") }} |
| {{ x }}b | ^ | ^ | {{ "2024-09-02" | date("M月D日") }} | {{ x }} |
{% else %}
| {{ x }} | {{ cats[x % 3] }}{% if x % 50 == 0 %}*{% endif %} | {{ (x / 1000) | pct(1) }} | 9月{{ x % 28 + 1 }}日 | {{ (x * 7919) % 300 | formula("A{r}-A{row:合计}") }} |
{% endif %}
{% endfor %}
Table: 活动

::: chart bar data=groups label="name" value="n" title="分类"
:::

After the table.

| 项 | 值 |
|----|---:|
{% for x in xs | limit(50) %}
| {{ x }} | {{ x * 2 }} |
{% endfor %}
"""


def render(tmp_path, tpl, data, out, env=None, fmt=None):
    t = tmp_path / "t.lxt"
    t.write_text(tpl, encoding="utf-8")
    d = tmp_path / "d.json"
    d.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    e = dict(os.environ)
    e.update(env or {})
    args = [LEXPORT, "render", t, d, "-o", out] + (["-f", fmt] if fmt else [])
    return subprocess.run(list(map(str, args)), capture_output=True, text=True, env=e,
                          timeout=600)


def data(n):
    return {"xs": list(range(n)), "cats": ["宣传", "走访", "活动"],
            "groups": [{"name": "宣传", "n": 3}, {"name": "走访", "n": 5}]}


@pytest.mark.parametrize("ext", ["xlsx", "docx", "pdf", "txt", "tree"])
def test_streamed_table_same_bytes_as_the_tree(tmp_path, ext):
    n = 400
    outs = {}
    for k in ("0", "5"):  # 0: every row in the tree; 5: stream past 5 body rows
        out = tmp_path / f"out-{k}.{ext}"
        r = render(tmp_path, TEMPLATE, data(n), out, {"LEXP_STREAM_ROWS": k},
                   "tree" if ext == "tree" else None)
        assert r.returncode == 0, r.stderr
        outs[k] = out.read_bytes()
    assert outs["0"] == outs["5"]
    assert len(outs["0"]) > 1000


def test_streamed_xlsx_cells_merges_totals(tmp_path):
    import openpyxl
    n = 3000
    out = tmp_path / "s.xlsx"
    r = render(tmp_path, TEMPLATE, data(n), out, {"LEXP_STREAM_ROWS": "5"})
    assert r.returncode == 0, r.stderr
    out0 = tmp_path / "t.xlsx"
    r = render(tmp_path, TEMPLATE, data(n), out0, {"LEXP_STREAM_ROWS": "0"})
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == out0.read_bytes()
    wb = openpyxl.load_workbook(out)
    ws = wb["活动"]
    rows = list(ws.iter_rows(values_only=True))
    # a title row and the header, then per x: a totals row, two rows, or one row
    expect = sum(1 if x % 7 == 6 else 2 if x % 11 == 3 else 1 for x in range(n))
    assert rows[1][:2] == ("序号", "类别")
    body = rows[2:rows.index((None,) * 5)]  # the chart's data follows a blank row
    assert len(body) == expect
    assert body[-1][0] == n - 1
    # numbers stay numbers, totals are formulas
    assert isinstance(body[0][0], (int, float))
    totals = [row for row in body if row[0] == "合计"]
    assert [row[4] for row in totals] == [x for x in range(n) if x % 7 == 6]
    # {r} formulas name their own row, after the rows that were streamed too
    f = [(k, row[4]) for k, row in enumerate(body) if isinstance(row[4], str)]
    assert f and all(v == f"=C{k + 3}*2" for k, v in f), f[:3]
    # the '^' merges (two rows high, two columns wide) are all there, at the end too
    merged = [str(m) for m in ws.merged_cells.ranges if str(m) != "A1:E1"]  # the title's
    assert len(merged) == sum(1 for x in range(n) if x % 11 == 3 and x % 7 != 6)
    assert all(m.startswith("B") and ":C" in m for m in merged)
    last = [x for x in range(n) if x % 11 == 3 and x % 7 != 6][-1]
    assert any(m.startswith("B") for m in merged)
    assert ws.column_dimensions["B"].width > 0
    assert last > n - 20


# thousands × 1,000 rows of five columns from two nested loops: the peers' case
WIDE = """---
preset: plain
title: t
show_title: false
---
| 序号 | 日期 | 类别 | 名称 | 人次 |
|-----:|------|------|------|-----:|
{% for x in a %}
{% for y in b %}
{% set i = x * nb + y + 1 %}
| {{ i }} | 2024-09-{{ days[i % 30] }} | {{ cats[i % 5] }} | 活动{{ i }} | {{ (i * 7919) % 300 }} |
{% endfor %}
{% endfor %}
Table: data
"""


def wide_rss(tmp_path, thousands, ext):
    """Max RSS (KB) of rendering WIDE with thousands × 1,000 rows, and the
    output's size in bytes."""
    d = {"a": list(range(thousands)), "b": list(range(1000)), "nb": 1000,
         "days": [f"{k:02d}" for k in range(1, 31)], "cats": list("ABCDE")}
    t = tmp_path / "t.lxt"
    t.write_text(WIDE, encoding="utf-8")
    p = tmp_path / f"d{thousands}.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    out = tmp_path / f"o{thousands}.{ext}"
    r = subprocess.run(["/usr/bin/time", "-f", "%M", LEXPORT, "render", str(t), str(p),
                        "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return int(r.stderr.strip().splitlines()[-1]), out.stat().st_size


@pytest.mark.parametrize("ext", ["xlsx", "docx"])
def test_memory_stays_flat(tmp_path, ext):
    if SANITIZED:
        pytest.skip("memory is not comparable under AddressSanitizer")
    rss = {}
    for rows in (20, 200):
        rss[rows], size = wide_rss(tmp_path, rows, ext)
        assert size > 100_000
    # 20,000 and 200,000 rows: within 4 MB of each other (the tree path took
    # ~1.4 KB a row: 250 MB more; a DOCX that held word/document.xml, 1.8 KB)
    assert rss[200] - rss[20] < 4096, rss


def body_rows(n):
    """TEMPLATE's rows for data(n): a totals row, two rows, or one row per x."""
    return sum(1 if x % 7 == 6 else 2 if x % 11 == 3 else 1 for x in range(n))


def test_long_docx_body_streams(tmp_path):
    """Past 4 MB, word/document.xml is deflated into a scratch file as it is
    written and the archive is zipped from there: the same bytes whether the
    rows were spooled or not and whether the archive goes to a file or to
    standard output, and a document Word's readers take whole."""
    import zipfile
    import docx
    from docx.oxml.ns import qn
    n = 6000
    outs = {}
    for k in ("0", "5"):
        out = tmp_path / f"long-{k}.docx"
        r = render(tmp_path, TEMPLATE, data(n), out, {"LEXP_STREAM_ROWS": k})
        assert r.returncode == 0, r.stderr
        outs[k] = out.read_bytes()
    assert outs["0"] == outs["5"]
    r = subprocess.run([LEXPORT, "render", str(tmp_path / "t.lxt"), str(tmp_path / "d.json"),
                        "-f", "docx", "-o", "-"], capture_output=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout == outs["5"]

    z = zipfile.ZipFile(out)
    assert z.testzip() is None  # every CRC and size right
    info = z.getinfo("word/document.xml")
    assert info.file_size > 4 << 20, info.file_size  # past the threshold
    assert info.compress_type == zipfile.ZIP_DEFLATED
    names = z.namelist()
    assert names.index("word/document.xml") < names.index("word/styles.xml")
    body = z.read("word/document.xml")
    assert body.endswith(b"</w:document>\n") and body.count(b"<w:document ") == 1

    tbl = docx.Document(out).tables[0]._tbl
    trs = tbl.findall(qn("w:tr"))
    assert len(trs) == 1 + body_rows(n)
    first = lambda tr: "".join(t.text for t in tr.find(qn("w:tc")).iter(qn("w:t")))
    assert first(trs[1]) == "0" and first(trs[-1]) == str(n - 1)
    # the '合并 | <' over '^ | ^' blocks: two columns wide, two rows high
    pairs = [x for x in range(n) if x % 11 == 3 and x % 7 != 6]
    restart = tbl.xpath(".//w:tc[w:tcPr/w:vMerge[@w:val='restart']]")
    cont = tbl.xpath(".//w:tc[w:tcPr/w:vMerge[not(@w:val)]]")
    assert len(restart) == len(cont) == len(pairs)
    span = lambda tc: tc.find(qn("w:tcPr")).find(qn("w:gridSpan")).get(qn("w:val"))
    assert {span(tc) for tc in restart + cont} == {"2"}
    # every row fills the grid's five columns
    for tr in trs[:50] + trs[-50:]:
        cols = 0
        for tc in tr.findall(qn("w:tc")):
            g = tc.find(qn("w:tcPr")).find(qn("w:gridSpan"))
            cols += int(g.get(qn("w:val"))) if g is not None else 1
        assert cols == 5


def test_long_docx_without_scratch_space(tmp_path):
    """The scratch file cannot be made: exit 3 (an I/O error), saying where it
    was wanted and why, and OUT left as it was. A short document needs no scratch file."""
    out = tmp_path / "x.docx"
    out.write_bytes(b"before")
    missing = tmp_path / "missing"
    env = {"TMPDIR": str(missing), "LEXP_STREAM_ROWS": "0"}  # rows stay in the tree
    r = render(tmp_path, TEMPLATE, data(6000), out, env)
    assert r.returncode == 3, r.stderr
    assert "docx: cannot create a temporary file in " + str(missing) in r.stderr, r.stderr
    assert out.read_bytes() == b"before"
    assert not missing.exists()
    r = render(tmp_path, TEMPLATE, data(50), out, env)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:2] == b"PK"


# Two header rows joined by '^', and nine-row '^' spans in the body: rows are
# held back while a span may still grow and spooled once a row without '^'
# ends it.
SPANS = """---
preset: plain
title: 长表
---
| 组 | 名 | 数 |
| ^ | 子 | 数 |
|---|----|---:|
{% for x in xs %}
{% if x % 9 == 0 %}
| 组{{ x }} | a{{ x }} | {{ x }} |
{% else %}
| ^ | b{{ x }} | {{ x * 1.5 }} |
{% endif %}
{% endfor %}
| 合计 | < | {{ 3 }} |
Table: 表1 长表
"""


@pytest.mark.parametrize("ext", ["xlsx", "docx", "pdf", "txt", "tree"])
def test_long_spans_while_streaming(tmp_path, ext):
    outs = {}
    for k in ("0", "3"):
        out = tmp_path / f"out-{k}.{ext}"
        r = render(tmp_path, SPANS, {"xs": list(range(500))}, out, {"LEXP_STREAM_ROWS": k},
                   ext)
        assert r.returncode == 0, r.stderr
        outs[k] = out.read_bytes()
    assert outs["0"] == outs["3"]
    if ext == "xlsx":
        import openpyxl
        ws = openpyxl.load_workbook(tmp_path / "out-3.xlsx").active
        merged = {str(m) for m in ws.merged_cells.ranges}
        assert "A2:A3" in merged  # the header's '^'
        import re
        body = {m for m in merged if re.fullmatch(r"A\d+:A\d+", m)} - {"A2:A3"}
        # groups of nine rows from sheet row 4; the last (x = 495..499) has five
        assert body == {f"A{4 + 9 * g}:A{min(4 + 9 * g + 8, 503)}" for g in range(56)}


# ---- PDF: a long table is laid out and drawn a page at a time ---------------------

# Page numbers (GB/T 9704: odd right, even left), headings for bookmarks (the
# keep rules keep each with the table below it, one without a caption), a
# long table with spans, 续表 and a totals row, a paragraph after it, the
# signature and the 版记 on an even page of its own: every part that is
# placed while pages are handed over.
OFFICIAL = """---
preset: gbt9704
title: 长表报告
page_numbers: true
---
# 情况

本季度共开展活动{{ xs | length }}次，详见下表。

## 活动明细

| 序号 | 类别 | 说明 | 人次 |
|-----:|------|------|-----:|
{% for x in xs %}
{% if x % 13 == 5 %}
| {{ x }} | 合并 | < | {{ x }} |
| {{ x }}b | ^ | ^ | {{ x * 2 }} |
{% else %}
| {{ x }} | {{ cats[x % 3] }} | {% if x % 9 == 0 %}说明一段较长的文字，在单元格里换成几行，看行高{% else %}短{% endif %} | {{ (x * 7919) % 300 }} |
{% endif %}
{% endfor %}
| 合计 | < | < | {{ xs | sum }} |
Table: 表1 活动台账

# 下步打算

| 月份 | 计划 |
|---:|------|
{% for x in xs | limit(60) %}
| {{ x }} | 走访{{ x }}户 |
{% endfor %}

继续做好民族团结进步创建工作。

::: signature
issuer: 秦渠社区居委会
date: 2024-09-30
:::

::: distribution
send: 街道办事处
copies: 5
:::
"""


@pytest.mark.parametrize("n", [30, 700])
def test_pdf_pages_drawn_as_laid_out_are_the_same_bytes(tmp_path, n):
    """A document with a spooled table is drawn page by page while it is
    laid out: its bytes are those of the whole layout (rows in the tree)."""
    outs = {}
    d = {"xs": list(range(n)), "cats": ["宣传", "走访", "活动"]}
    for k in ("0", "5"):
        out = tmp_path / f"o-{k}.pdf"
        r = render(tmp_path, OFFICIAL, d, out, {"LEXP_STREAM_ROWS": k})
        assert r.returncode == 0, r.stderr
        outs[k] = out.read_bytes()
    assert outs["0"] == outs["5"]
    out = tmp_path / "o-5.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) >= (2 if n == 30 else 20)
    # every page numbered but the 版记 page (the last, an even one) and a
    # blank page before it
    assert len(pages) % 2 == 0
    for i, p in enumerate(pages[:-1]):
        if not p.strip():
            assert i == len(pages) - 2
            continue
        assert re.search(r"—\s*%d\s*—\s*$" % (i + 1), p), (i, p[-300:])
    assert not re.search(r"—\s*\d+\s*—", pages[-1]) and "街道办事处" in pages[-1]
    if n == 700:
        assert "续表1" in pages[1] and "合计" in text and f"{n - 1}" in text
        outline = subprocess.run(["qpdf", "--json", "--json-key=outlines", str(out)],
                                 capture_output=True, text=True).stdout
        assert "二、下步打算" in json.loads(outline)["outlines"][1]["title"]


def test_pdf_many_pages_streamed(tmp_path):
    """1,200 numbered pages and a streamed table: the settled pass's page
    numbers (150 KB of glyphs, past the glyph arena's first chunk) are each
    handed over before the next is set, and the bytes match the tree's."""
    tpl = """---
preset: gbt9704
title: 多页
page_numbers: true
---
| 序号 | 名 |
|---:|---|
{% for x in xs | limit(20) %}
| {{ x }} | 甲{{ x }} |
{% endfor %}

{% for x in xs %}
第{{ x }}页。

\\pagebreak

{% endfor %}
"""
    outs = {}
    for k in ("0", "3"):
        out = tmp_path / f"m-{k}.pdf"
        r = render(tmp_path, tpl, {"xs": list(range(1199))}, out, {"LEXP_STREAM_ROWS": k})
        assert r.returncode == 0, r.stderr
        outs[k] = out.read_bytes()
    assert outs["0"] == outs["3"]
    text = subprocess.run(["pdftotext", str(tmp_path / "m-3.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert re.search(r"—\s*1199\s*—", text), text[-200:]


def test_pdf_scratch_files(tmp_path):
    """Written to standard output, a streamed PDF has the bytes it has in a
    file. Without scratch space it is an I/O error (exit 3) naming the
    directory, OUT left as it was; a PDF without a streamed table needs no
    scratch file."""
    d = {"xs": list(range(60)), "cats": ["宣传", "走访", "活动"]}
    out = tmp_path / "s.pdf"
    r = render(tmp_path, OFFICIAL, d, out, {"LEXP_STREAM_ROWS": "5"})
    assert r.returncode == 0, r.stderr
    r = subprocess.run([LEXPORT, "render", str(tmp_path / "t.lxt"), str(tmp_path / "d.json"),
                        "-f", "pdf", "-o", "-"], capture_output=True, timeout=600,
                       env=dict(os.environ, LEXP_STREAM_ROWS="5"))
    assert r.returncode == 0, r.stderr
    assert r.stdout == out.read_bytes()
    missing = tmp_path / "missing"
    out.write_bytes(b"before")
    for where in ("file", "stdout"):
        r = render(tmp_path, OFFICIAL, d, out if where == "file" else "-",
                   {"LEXP_STREAM_ROWS": "5", "TMPDIR": str(missing)}, "pdf")
        assert r.returncode == 3, r.stderr
        assert "pdf: cannot create a temporary file in " + str(missing) in r.stderr, r.stderr
    assert out.read_bytes() == b"before"
    r = render(tmp_path, OFFICIAL, d, out, {"LEXP_STREAM_ROWS": "0", "TMPDIR": str(missing)})
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    assert not missing.exists()


def test_pdf_memory_grows_with_the_file_only(tmp_path):
    """A streamed table's PDF keeps its deflated pages in a scratch file and
    is written to OUT from another: 60,000 more rows cost about twice the
    file they add, libharu's objects for the pages (the layout held whole
    took ~6 KB a row: 360 MB)."""
    if SANITIZED:
        pytest.skip("memory is not comparable under AddressSanitizer")
    rss, size = {}, {}
    for rows in (20, 80):
        rss[rows], size[rows] = wide_rss(tmp_path, rows, "pdf")
        size[rows] //= 1024
    grown = size[80] - size[20]
    assert grown > 3000, size  # ~80 bytes a row
    # 2.2x here: libharu's objects, ~5 KB a page; the pages held in memory
    # gave 3.1x, the layout held whole ~75x
    assert rss[80] - rss[20] < 2.6 * grown, (rss, size)


# ---- what a PDF takes: its size is bounded ------------------------------------------

PAGES = """---
preset: plain
title: t
---
{% for x in xs %}
第{{ x }}页。

\\pagebreak

{% endfor %}
"""


def test_pdf_page_limit(tmp_path):
    """LEXP_PDF_MAX_PAGES: 3,000 pages render, the 3,001st is refused where it
    would start (exit 1, the file left as it was)."""
    out = tmp_path / "p.pdf"
    r = render(tmp_path, PAGES, {"xs": list(range(2999))}, out)  # a break after each
    assert r.returncode == 0, r.stderr
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+3000$", info, re.M), info
    out.write_bytes(b"before")
    r = render(tmp_path, PAGES, {"xs": list(range(3000))}, out)
    assert r.returncode == 1, r.stderr
    assert "t.lxt:8:1: error: the PDF would have more than 3000 pages, the limit " \
        "(LEXP_PDF_MAX_PAGES)" in r.stderr, r.stderr
    assert out.read_bytes() == b"before"


def test_pdf_table_limits(tmp_path):
    """LEXP_PDF_MAX_TABLE_ROWS and LEXP_PDF_MAX_TABLE_CHARS refuse a table
    before it is laid out; the same tables stream to XLSX and DOCX."""
    rows = """---
preset: plain
title: t
---
| 序号 | 名 |
|---:|---|
{% for x in xs %}
| {{ x }} | {{ name }} |
{% endfor %}
"""
    out = tmp_path / "t.pdf"
    r = render(tmp_path, rows, {"xs": list(range(100_000)), "name": "甲"}, out)
    assert r.returncode == 1, r.stderr
    assert "t.lxt:5:1: error: this table has 100001 rows; a PDF takes at most 100000 " \
        "(LEXP_PDF_MAX_TABLE_ROWS)" in r.stderr, r.stderr
    assert not out.exists()
    for ext in ("xlsx", "docx"):
        r = render(tmp_path, rows, {"xs": list(range(100_000)), "name": "甲"},
                   tmp_path / f"t.{ext}")
        assert r.returncode == 0, r.stderr
    # 20,000 rows of 250 characters and a number: over 5,000,000
    r = render(tmp_path, rows, {"xs": list(range(20_000)), "name": "长" * 250}, out)
    assert r.returncode == 1, r.stderr
    assert "t.lxt:5:1: error: the cells of this table have more than 5000000 characters, " \
        "the limit for a PDF (LEXP_PDF_MAX_TABLE_CHARS)" in r.stderr, r.stderr
    assert not out.exists()
