"""lexport fill: Word and Excel templates filled with data, read back with
python-docx, openpyxl and lxml, checked as packages, opened by LibreOffice,
and fed hostile files. Templates are built at test time (tests/fill/).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill.py
"""
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "fill"))

docx = pytest.importorskip("docx")
openpyxl = pytest.importorskip("openpyxl")
from lxml import etree  # noqa: E402

import make_templates as mt  # noqa: E402
import pkgcheck  # noqa: E402

DATA = os.path.join(SRC, "samples", "qinqu.json")
SEPT = [a for a in json.load(open(DATA, encoding="utf-8"))["activities"]
        if a["date"].startswith("2024-09")]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def lx(*args, timeout=30):
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout)
    r.seconds = time.monotonic() - t0
    return r


def fill(tpl, out, *extra, data=DATA):
    r = lx("fill", tpl, data, "-o", out, "--month", "2024-09", *extra)
    assert r.returncode == 0, r.stderr
    assert not pkgcheck.check(out), pkgcheck.check(out)
    return out


def part(path, name):
    return etree.fromstring(zipfile.ZipFile(path).read(name))


def wtext(el):
    return "".join(t.text or "" for t in el.iter(W + "t"))


@pytest.fixture(scope="module")
def lo_profile(tmp_path_factory):
    """A LibreOffice profile of our own: no clash with a running instance."""
    return "file://" + str(tmp_path_factory.mktemp("lo-profile"))


@pytest.fixture(scope="module")
def tpl(tmp_path_factory):
    d = tmp_path_factory.mktemp("templates")
    return {name: fn(str(d / name)) for name, fn in mt.ALL.items()}


# ==================================================================== DOCX

def test_split_tags_are_healed_into_the_run_where_they_start(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    d = docx.Document(str(out))
    paras = [p for p in d.paragraphs]
    p0 = paras[0]
    assert p0.text == "社区：秦渠社区"
    # "{" was a bold run: the value keeps that run's formatting; the pieces
    # in the italic and plain runs are gone with their runs
    assert [(r.text, r.bold, r.italic) for r in p0.runs] == [("社区：", None, None),
                                                             ("秦渠社区", True, None)]
    assert paras[1].text == "人口：12130人"
    xml = etree.tostring(part(out, "word/document.xml"), encoding="unicode")
    assert "{{" not in xml and "}}" not in xml and "{%" not in xml
    assert "proofErr" not in xml  # spelling marks go from filled paragraphs
    assert 'w:name="pop"' in xml  # the bookmark between the pieces stays


def test_curly_quotes_inside_tags_read_as_ascii(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    p = docx.Document(str(out)).paragraphs[2]
    assert p.text == f"九月活动{len(SEPT)}场"
    assert p.runs[1].bold  # the tag started in the bold run


def test_inline_loop_repeats_runs_with_their_formatting(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    p = docx.Document(str(out)).paragraphs[3]
    assert p.text == "活动：" + "、".join(a["title"] for a in SEPT) + "。"
    titles = [r.text for r in p.runs if r.bold]
    seps = [r.text for r in p.runs if r.italic]
    assert titles == [a["title"] for a in SEPT]
    assert seps == ["、"] * (len(SEPT) - 1)


def test_newlines_break_lines_and_text_is_escaped(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    body = part(out, "word/document.xml").find(W + "body")
    ps = body.findall(W + "p")
    problems = json.load(open(DATA, encoding="utf-8"))["problems"]
    assert len(list(ps[4].iter(W + "br"))) == len(problems) - 1
    assert wtext(ps[4]) == "问题：" + "".join(problems)
    assert wtext(ps[5]) == "转义：<a & b>"
    for t in ps[4].iter(W + "t"):
        assert t.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert docx.Document(str(out)).paragraphs[6].text == "大社区，人口一万二千一百三十"


def test_headers_and_footers_are_filled(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    s = docx.Document(str(out)).sections[0]
    assert s.header.paragraphs[0].text == "秦渠社区（页眉）"
    assert s.footer.paragraphs[0].text == "第9期"  # issue, from --month 2024-09


def test_tags_in_links_revisions_text_boxes_and_footnotes(tpl, tmp_path):
    out = fill(tpl["parts.docx"], tmp_path / "p.docx")
    body = part(out, "word/document.xml").find(W + "body")
    ps = body.findall(W + "p")
    link = ps[0].find(W + "hyperlink")
    assert wtext(link) == "秦渠社区" and len(link.findall(W + "r")) == 1
    assert link.find(f"{W}r/{W}rPr/{W}u") is not None  # the run where the tag started
    assert wtext(ps[1].find(W + "ins")) == "插入胜利镇"
    assert "".join(t.text for t in ps[1].iter(W + "delText")) == "删除{{ x }}"  # deleted text
    box = ps[2].find(f".//{W}txbxContent")
    assert wtext(box) == "框：吴忠市"
    assert wtext(ps[2]) == "外：利通区框：吴忠市"
    assert wtext(ps[3]) == "A7B"                 # {{- -}} took the spaces
    assert wtext(ps[4]) == "字面：{{ 不是标签 }}"  # \{ is a literal brace
    assert wtext(ps[5]) == "正文" and ps[5].find(f".//{W}footnoteReference") is not None
    notes = part(out, "word/footnotes.xml")
    assert "脚注：宁夏回族自治区" in wtext(notes)
    a, b = zipfile.ZipFile(tpl["parts.docx"]), zipfile.ZipFile(out)
    assert a.getinfo("word/footnotes.xml").date_time == b.getinfo("word/footnotes.xml").date_time


def test_paragraph_blocks_repeat_paragraphs_and_tables(tpl, tmp_path):
    out = fill(tpl["blocks.docx"], tmp_path / "b.docx")
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts[0] == "秦渠社区九月活动"
    expect = []
    for i, a in enumerate(SEPT, 1):
        expect += [f"{i}. {a['title']}", "（重点活动）" if a.get("highlight") else "（一般活动）",
                   ""]  # the picture's paragraph
    assert texts[1:1 + len(expect)] == expect
    assert texts[1 + len(expect):] == ["没有其他活动。", "户数3986"]
    assert len(d.tables) == len(SEPT)
    for t, a in zip(d.tables, SEPT):
        assert [c.text for c in t.rows[0].cells] == ["地点", a["location"]]
        assert t.rows[1].cells[1].text == str(a["participants"])
    body = part(out, "word/document.xml").find(W + "body")
    assert body[-1].tag == W + "sectPr"  # the section properties stay last
    wp = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
    ids = [e.get("id") for e in body.iter(wp + "docPr")]
    assert len(ids) == len(SEPT) == len(set(ids))  # one picture per item, ids unique


def test_row_loop_keeps_header_totals_and_removes_marker_rows(tpl, tmp_path):
    out = fill(tpl["table.docx"], tmp_path / "t.docx")
    t = docx.Document(str(out)).tables[0]
    rows = [[c.text for c in r.cells] for r in t.rows]
    assert rows[0] == ["序号", "日期", "活动", "人次"]
    for i, a in enumerate(SEPT, 1):
        m, d = int(a["date"][5:7]), int(a["date"][8:])
        assert rows[i] == [str(i), f"{m}月{d}日", a["title"], str(a["participants"])]
    assert rows[-1][0] == "合计" and rows[-1][3] == str(sum(a["participants"] for a in SEPT))
    assert len(rows) == len(SEPT) + 2
    tr = part(out, "word/document.xml").find(f".//{W}tbl").findall(W + "tr")
    assert tr[-1].find(f".//{W}gridSpan").get(W + "val") == "3"  # the merged totals label


def vmerge_rows(tbl):
    rows = []
    for tr in tbl.findall(W + "tr"):
        row = []
        for tc in tr.findall(W + "tc"):
            vm = tc.find(f"{W}tcPr/{W}vMerge")
            row.append((wtext(tc), None if vm is None else (vm.get(W + "val") or "continue")))
        rows.append(row)
    return rows


def test_vertical_merges_follow_the_groups(tpl, tmp_path):
    out = fill(tpl["table.docx"], tmp_path / "t.docx")
    tbl = part(out, "word/document.xml").findall(f".//{W}tbl")[1]
    rows = vmerge_rows(tbl)[1:]
    groups = {}
    for a in SEPT:
        groups.setdefault(a["category"], []).append(a)
    expect = []
    for key, items in sorted(groups.items()):  # groupby is Jinja's: sorted by key
        for k, a in enumerate(items):
            expect.append([(key if k == 0 else "", "restart" if k == 0 else "continue"),
                           (a["title"], None), (str(a["participants"]), None)])
    assert rows == expect
    assert any(len(v) > 1 for v in groups.values()), "the sample must have a group of two"


def merge_table_docx(path, rows_spec):
    """A table from a list of rows; each cell is text or (text, 'restart'|'continue')."""
    d = docx.Document()
    t = d.add_table(rows=len(rows_spec), cols=len(rows_spec[0]))
    for r, spec in enumerate(rows_spec):
        for c, cell in enumerate(spec):
            text, vm = (cell, None) if isinstance(cell, str) else cell
            mt.set_cell(t.cell(r, c), text) if text else None
            if vm:
                tcpr = t.cell(r, c)._tc.get_or_add_tcPr()
                e = docx.oxml.OxmlElement("w:vMerge")
                if vm == "restart":
                    e.set(docx.oxml.ns.qn("w:val"), "restart")
                tcpr.append(e)
    d.save(path)
    return path


def test_a_restart_row_repeated_never_merges_into_the_previous_iteration(tmp_path):
    # a two-row body: its merge belongs to each iteration
    p = merge_table_docx(str(tmp_path / "m.docx"), [
        ["h", "h"],
        ["{%tr for a in [1, 2, 3] %}", ""],
        [("{{ a }}", "restart"), "x"],
        [("", "continue"), "y"],
        ["{%tr endfor %}", ""],
    ])
    out = fill(p, tmp_path / "o.docx")
    rows = vmerge_rows(part(out, "word/document.xml").find(f".//{W}tbl"))
    assert [r[0][1] for r in rows] == [None] + ["restart", "continue"] * 3
    assert [r[0][0] for r in rows] == ["h", "1", "", "2", "", "3", ""]


def test_a_continue_row_in_a_loop_never_hangs_on_a_removed_row(tmp_path):
    # the merge starts in the {%tr for %} row (removed): the copies must not
    # merge into the header, and the first copy starts the region
    p = merge_table_docx(str(tmp_path / "m.docx"), [
        ["h", "h"],
        [("{%tr for a in [1, 2, 3] %}", "restart"), ""],
        [("", "continue"), "{{ a }}"],
        ["{%tr endfor %}", ""],
    ])
    out = fill(p, tmp_path / "o.docx")
    rows = vmerge_rows(part(out, "word/document.xml").find(f".//{W}tbl"))
    assert [r[0][1] for r in rows] == [None, "restart", "continue", "continue"]


def test_a_label_merged_down_over_a_loop_spans_every_copy(tmp_path):
    p = merge_table_docx(str(tmp_path / "m.docx"), [
        [("明细", "restart"), "表头"],
        [("", "continue"), "{%tr for a in [1, 2, 3] %}"],
        [("", "continue"), "{{ a }}"],
        [("", "continue"), "{%tr endfor %}"],
        ["合计", "6"],
    ])
    out = fill(p, tmp_path / "o.docx")
    rows = vmerge_rows(part(out, "word/document.xml").find(f".//{W}tbl"))
    assert rows == [[("明细", "restart"), ("表头", None)], [("", "continue"), ("1", None)],
                    [("", "continue"), ("2", None)], [("", "continue"), ("3", None)],
                    [("合计", None), ("6", None)]]


def test_row_and_paragraph_conditions(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=7, cols=2)
    for r, (a, b) in enumerate([("人口", "{{ community.population }}"),
                                ("{%tr if community.population > 100000 %}", ""),
                                ("大", "x"), ("{%tr elif community.population > 10000 %}", ""),
                                ("中", "{%tr set n = 1 %}"), ("{%tr else %}", ""), ("小", "")]):
        mt.set_cell(t.cell(r, 0), a)
        if b:
            mt.set_cell(t.cell(r, 1), b)
    mt.set_cell(t.cell(4, 1), "y")
    t.add_row()
    mt.set_cell(t.rows[7].cells[0], "{%tr endif %}")
    for text in ["{%p if false %}", "甲", "{%p elif community.grids == 7 %}", "乙",
                 "{%p else %}", "丙", "{%p endif %}"]:
        d.add_paragraph(text)
    d.save(str(tmp_path / "c.docx"))
    out = fill(str(tmp_path / "c.docx"), tmp_path / "o.docx")
    dd = docx.Document(str(out))
    assert [[c.text for c in r.cells] for r in dd.tables[0].rows] == [["人口", "12130"],
                                                                      ["中", "y"]]
    assert [p.text for p in dd.paragraphs] == ["乙"]


def test_empty_blocks_leave_a_valid_document(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=3, cols=1)
    mt.set_cell(t.cell(0, 0), "{%tr for x in nothing %}")
    mt.set_cell(t.cell(1, 0), "{{ x }}")
    mt.set_cell(t.cell(2, 0), "{%tr endfor %}")
    t2 = d.add_table(rows=1, cols=1)
    c = t2.cell(0, 0)
    c.paragraphs[0].text = "{%p if false %}"
    c.add_paragraph("hidden")
    c.add_paragraph("{%p endif %}")
    d.add_paragraph("end")
    d.save(str(tmp_path / "e.docx"))
    out = fill(str(tmp_path / "e.docx"), tmp_path / "o.docx")  # pkgcheck: rows, cells
    dd = docx.Document(str(out))
    assert len(dd.tables) == 1 and dd.tables[0].cell(0, 0).text == ""
    assert dd.paragraphs[-1].text == "end"


def test_repeated_paragraphs_get_unique_ids(tmp_path):
    d = docx.Document()
    d.add_paragraph("{%p for a in [1, 2, 3] %}")
    p = d.add_paragraph()
    r = p.add_run("{{ a }}")
    mt.bookmark(p, "mark", 7, before=r)
    p._p.set("{http://schemas.microsoft.com/office/word/2010/wordml}paraId", "1234ABCD")
    d.add_paragraph("{%p endfor %}")
    d.save(str(tmp_path / "r.docx"))
    out = fill(str(tmp_path / "r.docx"), tmp_path / "o.docx")  # pkgcheck: bookmark ids
    xml = zipfile.ZipFile(out).read("word/document.xml").decode()
    assert xml.count("1234ABCD") == 1 and xml.count("bookmarkStart") == 1
    assert [p.text for p in docx.Document(str(out)).paragraphs] == ["1", "2", "3"]


def test_unchanged_parts_are_kept_byte_for_byte(tpl, tmp_path):
    out = fill(tpl["form.docx"], tmp_path / "f.docx")
    a, b = zipfile.ZipFile(tpl["form.docx"]), zipfile.ZipFile(out)
    assert a.namelist() == b.namelist()  # the template's order
    changed = {"word/document.xml", "word/header1.xml", "word/footer1.xml"}
    for n in a.namelist():
        if n in changed:
            assert a.read(n) != b.read(n), n
        else:
            assert a.read(n) == b.read(n), n
            ia, ib = a.getinfo(n), b.getinfo(n)
            assert (ia.compress_type, ia.compress_size, ia.CRC) == \
                   (ib.compress_type, ib.compress_size, ib.CRC), n
            assert ia.date_time == ib.date_time, n


def test_a_template_without_tags_comes_back_unchanged(tmp_path):
    p = mt.simple_docx(str(tmp_path / "plain.docx"), "没有标签的文档", "第二段")
    out = fill(p, tmp_path / "o.docx")
    a, b = zipfile.ZipFile(p), zipfile.ZipFile(out)
    assert all(a.read(n) == b.read(n) for n in a.namelist())


@pytest.mark.parametrize("name", sorted(mt.ALL))
def test_same_input_same_bytes(tpl, tmp_path, name):
    a = fill(tpl[name], tmp_path / ("a." + name))
    b = fill(tpl[name], tmp_path / ("b." + name))
    assert open(a, "rb").read() == open(b, "rb").read()


def test_full_width_braces_get_a_warning(tmp_path):
    p = mt.simple_docx(str(tmp_path / "w.docx"), "正文", "社区：｛｛ community.name ｝｝")
    r = lx("fill", p, DATA, "-o", tmp_path / "o.docx")
    assert r.returncode == 0
    assert re.search(r"w\.docx: warning: word/document\.xml: paragraph 2: full-width braces",
                     r.stderr), r.stderr


def test_values_with_control_characters_stay_valid_xml(tmp_path):
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"community": {"name": "秦\u0001渠\u0008社区\uffff", "x": "a\tb"}}),
                    encoding="utf-8")
    p = mt.simple_docx(str(tmp_path / "c.docx"), "{{ community.name }}{{ community.x }}")
    out = fill(p, tmp_path / "o.docx", data=data)
    par = part(out, "word/document.xml").find(f"{W}body/{W}p")
    assert wtext(par) == "秦渠社区ab" and par.find(f".//{W}tab") is not None
    x = mt.simple_xlsx(str(tmp_path / "c.xlsx"), {"A1": "{{ community.name }}"})
    out = fill(x, tmp_path / "o.xlsx", data=data)
    assert openpyxl.load_workbook(out).active["A1"].value == "秦渠社区"


# ==================================================================== XLSX

def test_xlsx_row_loop_moves_everything_below(tpl, tmp_path):
    out = fill(tpl["stats.xlsx"], tmp_path / "s.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["台账"]
    n = len(SEPT)
    first, last = 3, 2 + n
    assert ws["A1"].value == "秦渠社区九月活动统计"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:E1"]
    assert [ws.cell(2, c).value for c in range(1, 6)] == ["日期", "活动", "人次", "折算", "累计"]
    for i, a in enumerate(SEPT):
        r = first + i
        assert ws[f"A{r}"].value == a["date"] and ws[f"B{r}"].value == a["title"]
        assert ws[f"C{r}"].value == a["participants"] and ws[f"C{r}"].data_type == "n"
        assert ws[f"D{r}"].value == f"=C{r}*2"             # same row, each copy
        assert ws[f"E{r}"].value == f"=SUM(C${first}:C{r})"  # a running total
        assert ws[f"C{r}"].number_format == "#,##0"        # the template cell's style
        assert ws[f"C{r}"].font.color.rgb.endswith("FF0000")
    tot = last + 1
    assert ws[f"A{tot}"].value == "合计"
    assert ws[f"C{tot}"].value == f"=SUM(C{first}:C{last})"  # grew over every copy
    assert ws[f"D{tot}"].value == f"=SUM(D{first}:D{last})"
    assert ws[f"A{tot + 2}"].value == "填表：秦渠社区居委会"
    assert ws[f"B{tot + 2}"].value == f"=C{tot}"
    assert ws.auto_filter.ref == f"A2:E{last}"
    assert ws.print_title_rows == "2:2"
    assert ws.dimensions == f"A1:E{tot + 2}"
    names = {d.get("name"): d.text for d in
             part(out, "xl/workbook.xml").iter(MAIN + "definedName")}
    assert names["合计人次"] == f"'台账'!$C${tot}"
    assert names["_xlnm.Print_Area"] == f"'台账'!$A$1:$E${tot + 2}"
    assert names["_xlnm._FilterDatabase"] == f"'台账'!$A$2:$E${last}"
    s2 = wb["汇总"]
    assert s2["B1"].value == f"='台账'!C{tot}"
    assert s2["B2"].value == f"=SUM('台账'!C{first}:C{last})"


def test_xlsx_shared_formulas_in_another_sheet_follow_the_rows(tpl, tmp_path):
    # Excel writes a formula dragged down as a shared one: its first cell
    # holds the text, the others only point at it
    src = zipfile.ZipFile(tpl["stats.xlsx"])
    sheet2 = src.read("xl/worksheets/sheet2.xml").decode()
    rows = "".join(f'<row r="{r}"><c r="B{r}"><f t="shared" si="0"' +
                   (' ref="B1:B3">\'台账\'!C4</f>' if r == 1 else "/>") + "<v>1</v></c></row>"
                   for r in (1, 2, 3))
    sheet2 = re.sub(r"<sheetData>.*</sheetData>", "<sheetData>" + rows + "</sheetData>", sheet2)
    p = str(tmp_path / "shared.xlsx")
    rezip(tpl["stats.xlsx"], p, replace={"xl/worksheets/sheet2.xml": sheet2.encode()})
    out = fill(p, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out)["汇总"]
    n = len(SEPT)
    # C4 is the block's row: its first copy; C5 was the {%tr endfor %} row, C6
    # the total: both now stand at the total's row
    assert [ws[f"B{r}"].value for r in (1, 2, 3)] == ["='台账'!C3", f"='台账'!C{3 + n}",
                                                      f"='台账'!C{3 + n}"]
    x = zipfile.ZipFile(out).read("xl/worksheets/sheet2.xml").decode()
    assert 't="shared"' not in x and "<v>" not in x


def test_xlsx_formulas_lose_cached_values_and_recalculate(tpl, tmp_path):
    out = fill(tpl["stats.xlsx"], tmp_path / "s.xlsx")
    z = zipfile.ZipFile(out)
    wbx = etree.fromstring(z.read("xl/workbook.xml"))
    assert wbx.find(MAIN + "calcPr").get("fullCalcOnLoad") == "1"
    sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    for c in sheet.iter(MAIN + "c"):
        if c.find(MAIN + "f") is not None:
            assert c.find(MAIN + "v") is None
    assert "xl/calcChain.xml" not in z.namelist()


def test_xlsx_values_keep_their_types(tpl, tmp_path):
    out = fill(tpl["typed.xlsx"], tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(out).active
    got = {k: (ws[k].value, ws[k].data_type) for k in
           ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"]}
    assert got == {"A1": (12130, "n"), "A2": ("人口12130人", "s"), "A3": ("秦渠社区", "s"),
                   "A4": (None, "n"), "A5": (0.7, "n"), "A6": (True, "b"),
                   "A7": ("2024年9月30日", "s"), "A8": ("回族、满族、蒙古族", "s"),
                   "A9": ("plain text, no tags", "s"), "A10": (42, "n")}


def test_xlsx_comments_escapes_and_trimming(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "c.xlsx"), {
        "A1": "{# 说明 #}正文", "A2": "\\{{ 字面 }}", "A3": "  {{- community.grids -}}  ",
        "A4": "{{ community.grids }} {# 个 #}"})
    ws = openpyxl.load_workbook(fill(p, tmp_path / "o.xlsx")).active
    assert [ws[f"A{i}"].value for i in range(1, 5)] == ["正文", "{{ 字面 }}", 7, 7]


def test_xlsx_merges_inside_a_block_repeat_per_row(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "m.xlsx"), {
        "A1": "{%tr for a in [1, 2, 3] %}", "A2": "{{ a }}", "B2": "x", "A3": "{%tr endfor %}",
        "A4": "end"})
    wb = openpyxl.load_workbook(p)
    wb.active.merge_cells("B2:C2")
    wb.active.merge_cells("A4:C4")
    wb.save(p)
    out = fill(p, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out).active
    assert sorted(str(r) for r in ws.merged_cells.ranges) == ["A4:C4", "B1:C1", "B2:C2", "B3:C3"]
    assert [ws[f"A{r}"].value for r in range(1, 5)] == [1, 2, 3, "end"]


def test_xlsx_empty_loop_warns_and_keeps_a_valid_sum(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "z.xlsx"), {
        "A1": "人次", "A2": "{%tr for a in nothing %}", "A3": "{{ a }}", "A4": "{%tr endfor %}",
        "A5": "=SUM(A3:A3)"})
    r = lx("fill", p, DATA, "-o", tmp_path / "o.xlsx")
    assert r.returncode == 0, r.stderr
    assert "warning" in r.stderr and "covers no rows" in r.stderr
    ws = openpyxl.load_workbook(tmp_path / "o.xlsx").active
    assert ws["A2"].value == "=SUM(A1:A1)"  # the row above: the header, which sums to 0


def test_xlsx_if_rows_and_nested_loops(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "n.xlsx"), {
        "A1": "{%tr for g in " + mt.SEPT + " | groupby(\"category\") %}",
        "A2": "{{ g.key }}", "B2": "{{ g.items | count }}",
        "A3": "{%tr for a in g.items %}",
        "B4": "{{ a.title }}", "C4": "=D4", "D4": "{{ a.participants }}",
        "A5": "{%tr endfor %}",
        "A6": "{%tr if g.items | count > 1 %}", "A7": "多项", "A8": "{%tr endif %}",
        "A9": "{%tr endfor %}", "A10": "=SUM(D1:D9)"})
    out = fill(p, tmp_path / "o.xlsx")
    ws = openpyxl.load_workbook(out).active
    groups = {}
    for a in SEPT:
        groups.setdefault(a["category"], []).append(a)
    r = 1
    for key, items in sorted(groups.items()):  # groupby is Jinja's: sorted by key
        assert (ws[f"A{r}"].value, ws[f"B{r}"].value) == (key, len(items))
        r += 1
        for a in items:
            assert ws[f"B{r}"].value == a["title"] and ws[f"C{r}"].value == f"=D{r}"
            r += 1
        if len(items) > 1:
            assert ws[f"A{r}"].value == "多项"
            r += 1
    assert ws[f"A{r}"].value == f"=SUM(D1:D{r - 1})"


def test_xlsx_tables_charts_formats_links_breaks_and_pictures_move(tpl, tmp_path):
    out = fill(tpl["objects.xlsx"], tmp_path / "o.xlsx")
    z = zipfile.ZipFile(out)
    n = 5
    last = 2 + n  # the five copies are rows 3..7
    table = etree.fromstring(z.read("xl/tables/table1.xml"))
    assert table.get("ref") == f"A2:B{last}"
    assert table.find(MAIN + "autoFilter").get("ref") == f"A2:B{last}"
    chart = z.read("xl/charts/chart1.xml").decode()
    assert f"'S'!$B$3:$B${last}" in chart  # the series grew with the rows
    assert "'S'!$A$3" in chart             # an absolute cell: the first copy
    sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cf = sheet.find(MAIN + "conditionalFormatting")
    assert cf.get("sqref") == f"B3:B{last}" and cf.find(f".//{MAIN}formula").text == "$B3>100"
    assert sheet.find(f".//{MAIN}dataValidation").get("sqref") == f"B3:B{last}"
    assert sheet.find(f".//{MAIN}hyperlink").get("ref") == f"A3:A{last}"
    assert sheet.find(f".//{MAIN}brk").get("id") == str(last + 1)  # under the total
    drawing = etree.fromstring(z.read("xl/drawings/drawing1.xml"))
    xdr = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
    assert drawing.find(f".//{xdr}from/{xdr}row").text == str(last + 3 - 1)  # 0-based
    ws = openpyxl.load_workbook(out).active
    assert ws[f"B{last + 1}"].value == f"=SUM(B3:B{last})" and ws[f"A{last + 3}"].value == "备注"


def test_xlsx_empty_rows_inside_a_block_repeat_with_it(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "g.xlsx"), {
        "A1": "{%tr for a in [1, 2] %}", "A2": "{{ a }}", "B4": "=A2",
        "A5": "{%tr endfor %}", "A7": "=COUNT(A1:A5)"})
    ws = openpyxl.load_workbook(fill(p, tmp_path / "o.xlsx")).active
    assert [ws[f"A{r}"].value for r in range(1, 8)] == [1, None, None, 2, None, None, None]
    assert ws["B3"].value == "=A1" and ws["B6"].value == "=A4"  # the same iteration's row
    assert ws["A8"].value == "=COUNT(A1:A6)"


def test_xlsx_header_and_footer_are_filled(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "h.xlsx"), {"A1": "x"})
    wb = openpyxl.load_workbook(p)
    wb.active.oddHeader.center.text = "{{ community.name }} & 统计"
    wb.active.oddFooter.left.text = "{{ \"A&B\" }}"
    wb.save(p)
    out = fill(p, tmp_path / "o.xlsx")
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "秦渠社区 &amp;amp; 统计" not in sheet  # the template's own & stays single
    assert "A&amp;&amp;B" in sheet  # a value's & is doubled: '&' starts a code there
    assert "秦渠社区" in sheet


# ==================================================================== LibreOffice

@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_opens_and_computes_every_output(tpl, tmp_path, lo_profile):
    outs = [fill(tpl[n], tmp_path / ("out-" + n)) for n in mt.ALL]
    prof = lo_profile
    r = subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--convert-to",
                        "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, outs)],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    for o in outs:
        pdf = tmp_path / "pdf" / (os.path.splitext(os.path.basename(o))[0] + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, o
    txt = subprocess.run(["pdftotext", "-layout", str(tmp_path / "pdf" / "out-stats.pdf"), "-"],
                         capture_output=True, text=True).stdout
    total = sum(a["participants"] for a in SEPT)
    assert re.search(rf"合计\s+{total}\s+{2 * total}", txt), txt  # formulas computed
    txt = subprocess.run(["pdftotext", str(tmp_path / "pdf" / "out-table.pdf"), "-"],
                         capture_output=True, text=True).stdout
    assert all(a["title"][:6] in txt.replace("\n", "") for a in SEPT)


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_templates_saved_by_libreoffice_fill_the_same(tpl, tmp_path, lo_profile):
    # another producer: its own XML layout (whitespace between elements,
    # shared strings, its own run structure)
    prof = lo_profile
    lo = tmp_path / "lo"
    for name, filt in [("form.docx", "docx:MS Word 2007 XML"), ("table.docx", "docx:MS Word 2007 XML"),
                       ("stats.xlsx", "xlsx:Calc MS Excel 2007 XML")]:
        r = subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--convert-to",
                            filt, "--outdir", str(lo), tpl[name]], capture_output=True, timeout=180)
        assert r.returncode == 0, r.stderr
    d = docx.Document(str(fill(str(lo / "form.docx"), tmp_path / "f.docx")))
    assert [p.text for p in d.paragraphs[:3]] == ["社区：秦渠社区", "人口：12130人",
                                                  f"九月活动{len(SEPT)}场"]
    d = docx.Document(str(fill(str(lo / "table.docx"), tmp_path / "t.docx")))
    assert len(d.tables[0].rows) == len(SEPT) + 2
    assert vmerge_rows(d.tables[1]._tbl)[1:] == vmerge_rows(
        docx.Document(str(fill(tpl["table.docx"], tmp_path / "t0.docx"))).tables[1]._tbl)[1:]
    ws = openpyxl.load_workbook(fill(str(lo / "stats.xlsx"), tmp_path / "s.xlsx")).worksheets[0]
    n = len(SEPT)
    assert ws[f"C{3 + n}"].value == f"=SUM(C3:C{2 + n})" and ws["C3"].value == SEPT[0]["participants"]


# ==================================================================== errors

def err_case(tmp_path, make, pattern, code=1):
    tpl = make(tmp_path)
    ext = os.path.splitext(tpl)[1]
    out = tmp_path / ("keep" + ext)
    out.write_bytes(b"precious")
    r = lx("fill", tpl, DATA, "-o", out)
    assert r.returncode == code, r.stderr
    assert re.search(pattern, r.stderr), r.stderr
    assert out.read_bytes() == b"precious"  # never clobbered
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    return r


D = lambda *ps: (lambda tmp: mt.simple_docx(str(tmp / "t.docx"), *ps))  # noqa: E731
X = lambda cells: (lambda tmp: mt.simple_xlsx(str(tmp / "t.xlsx"), cells))  # noqa: E731


@pytest.mark.parametrize("make,pattern", [
    (D("第一段", "社区：{{ community.name | foo }}"),
     r"t\.docx:2:24: error: word/document\.xml: unknown filter 'foo'"),
    (D("{%p for a in activities %}", "{{ a.title }}"),
     r"t\.docx:1:1: error: word/document\.xml: '\{%p for %\}' is not closed"),
    (D("{%p if 1 %}", "x", "{%p endfor %}"),
     r":3:1: error: .*'\{%p endfor %\}' found where '\{%p endif %\}' was expected"),
    (D("x", "{%tr endfor %}"), r":2:1: error: .*outside a table row"),
    (D("社区：{{ community.name "), r":1:4: error: .*'\{\{' is not closed in this paragraph"),
    (D("社区：community.name }}"), r":1:19: error: .*'\}\}' without an opening"),
    (D("{% endfor %}"), r"without an open '\{% for %\}'"),
    (D("{%p if 1 %} and text"), r"stands alone in its paragraph"),
    (D("{%tc for x in y %}"), r":1:1: error: .*'\{%tc %\}' outside a table cell"),
    (D("{{ community.name + 1 }}"),
     r":1:19: error: word/document\.xml: '\+' needs numbers.*at community\.name"),
    (X({"A1": "x", "B3": "{{ community.name | foo }}"}),
     r"t\.xlsx:3:21: error: xl/worksheets/sheet1\.xml: cell B3 of sheet “Sheet”: unknown filter"),
    (X({"A1": "{%tr for a in activities %}", "A2": "{{ a.title }}"}), r"is not closed"),
    (X({"A1": "{%tr for a in activities %}", "B1": "oops", "A2": "{%tr endfor %}"}),
     r"stands alone in its row"),
    (X({"A1": "{%p if 1 %}"}), r"repeats Word paragraphs"),
    (X({"A1": "{%tr endfor %}"}), r"without an open '\{%tr for %\}'"),
])
def test_template_errors_name_part_paragraph_and_column(tmp_path, make, pattern):
    err_case(tmp_path, make, pattern)


def test_a_block_tag_never_takes_a_section_break_with_it(tmp_path):
    def make(tmp):
        d = docx.Document()
        d.add_paragraph("{%p for a in activities %}")
        d.add_paragraph("{{ a.title }}")
        p = d.add_paragraph("{%p endfor %}")
        p._p.get_or_add_pPr().append(docx.oxml.OxmlElement("w:sectPr"))
        d.add_paragraph("next section")
        path = str(tmp / "t.docx")
        d.save(path)
        return path
    err_case(tmp_path, make, r":3:1: error: word/document\.xml: this paragraph ends a section")


def test_paragraph_blocks_must_stay_in_one_container(tmp_path):
    def make(tmp):
        d = docx.Document()
        d.add_paragraph("{%p for a in activities %}")
        t = d.add_table(rows=1, cols=1)
        t.cell(0, 0).paragraphs[0].text = "{%p endfor %}"
        p = str(tmp / "t.docx")
        d.save(p)
        return p
    err_case(tmp_path, make, r":2:1: error: word/document\.xml: '\{%p endfor %\}' is in this table "
                             r"cell, but the '\{%p for %\}' it belongs to \(at 1:1\) is in the "
                             r"document body")


# ==================================================================== hostile files

def rezip(src, dst, replace=None, extra=None):
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            z.writestr(i, (replace or {}).get(i.filename, zin.read(i.filename)))
        for n, d in (extra or {}).items():
            z.writestr(n, d)
    return dst


def lie_about_size(path, name, size):
    b = bytearray(open(path, "rb").read())
    for sig, name_at, len_at, size_at in [(b"PK\x03\x04", 30, 26, 22), (b"PK\x01\x02", 46, 28, 24)]:
        pos = 0
        while (i := b.find(sig, pos)) >= 0:
            nl = struct.unpack_from("<H", b, i + len_at)[0]
            if b[i + name_at:i + name_at + nl] == name.encode():
                struct.pack_into("<I", b, i + size_at, size)
            pos = i + 4
    open(path, "wb").write(bytes(b))


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
          b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
          b'<w:document xmlns:w="' + W[1:-1].encode() + b'"><w:body><w:p><w:r><w:t>&c;{{ x }}'
          b'</w:t></w:r></w:p></w:body></w:document>')
DEEP = (b'<w:document xmlns:w="' + W[1:-1].encode() + b'"><w:body>' + b"<w:sdt>" * 300 +
        b"<w:p><w:r><w:t>{{ x }}</w:t></w:r></w:p>" + b"</w:sdt>" * 300 + b"</w:body></w:document>")


def hostile(kind, tmp, base):
    p = str(tmp / f"{kind}.docx")
    if kind == "bomb":
        rezip(base, p, extra={"word/media/zeros.bin": b"\0" * (100 << 20)})
    elif kind == "liar":  # declares 1 KB, inflates to 100 MB
        rezip(base, p, extra={"word/media/lie.bin": b"\0" * (100 << 20)})
        lie_about_size(p, "word/media/lie.bin", 1000)
    elif kind == "laughs":
        rezip(base, p, replace={"word/document.xml": LAUGHS})
    elif kind == "doctype":  # even in a part without tags
        rezip(base, p, replace={"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE s SYSTEM '
                                                  b'"http://example.invalid/s.dtd"><s/>'})
    elif kind == "truncated":
        open(p, "wb").write(open(base, "rb").read()[:5000])
    elif kind == "notzip":
        open(p, "wb").write(b"this is not a zip archive\n" * 40)
    elif kind == "olddoc":
        open(p, "wb").write(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1024)
    elif kind == "many":
        rezip(base, p, extra={f"x/{i}.txt": b"x" for i in range(2100)})
    elif kind == "deep":
        rezip(base, p, replace={"word/document.xml": DEEP})
    elif kind == "encrypted":
        b = bytearray(open(base, "rb").read())
        for sig, off in [(b"PK\x03\x04", 6), (b"PK\x01\x02", 8)]:
            pos = 0
            while (i := b.find(sig, pos)) >= 0:
                b[i + off] |= 1
                pos = i + 4
        open(p, "wb").write(bytes(b))
    elif kind == "badxml":
        rezip(base, p, replace={"word/document.xml": b"<w:document xmlns:w=\"" + W[1:-1].encode() +
                                b"\"><w:body><w:p>{{ x }}</w:body></w:document>"})
    elif kind == "xlsx-as-docx":
        shutil.copy(mt.typed_xlsx(str(tmp / "real.xlsx")), p)
    return p


@pytest.mark.parametrize("kind,pattern", [
    ("bomb", r"declares 100 MB; the limit for one part is 64 MB"),
    ("liar", r"expands more than 200 times.*zip bomb"),
    ("laughs", r"DOCTYPE or ENTITY"),
    ("doctype", r"entry word/styles\.xml has a '<!' declaration"),
    ("truncated", r"truncated|damaged"),
    ("notzip", r"not a zip archive"),
    ("olddoc", r"old binary Word/Excel file"),
    ("many", r"2\d{3} entries; the limit is 2000"),
    ("deep", r"nest more than 128 deep"),
    ("encrypted", r"encrypted"),
    ("badxml", r"word/document\.xml: not well-formed XML"),
    ("xlsx-as-docx", r"not a Word document.*it is an Excel workbook"),
])
def test_hostile_files_are_refused_quickly_and_write_nothing(tpl, tmp_path, kind, pattern):
    r = err_case(tmp_path, lambda tmp: hostile(kind, tmp, tpl["form.docx"]), pattern)
    assert r.seconds < 10


def test_month_and_date_set_the_period_variables(tmp_path):
    p = mt.simple_docx(str(tmp_path / "d.docx"), "{{ date | cn_date }}，{{ month }}，第{{ issue }}期")
    r = lx("fill", p, DATA, "-o", tmp_path / "o.docx", "--month", "2024-09", "--date", "2024-10-08")
    assert r.returncode == 0, r.stderr
    assert docx.Document(str(tmp_path / "o.docx")).paragraphs[0].text == \
        "二〇二四年十月八日，2024-09，第9期"
    assert lx("fill", p, DATA, "-o", tmp_path / "o.docx", "--month", "2024-13").returncode == 2


def test_period_holds_the_period_object_and_the_monthly_names(tmp_path):
    """In an office template `period` is the period object (kind, label,
    ytd …) with the monthly names (month, issue …): it used to be the monthly
    names only, so {{ period.label }} printed nothing."""
    p = mt.simple_docx(str(tmp_path / "p.docx"),
                       "{{ period.kind }}|{{ period.label }}|{{ period.ytd.short }}|"
                       "{{ period.month }}|{{ period.issue }}|{{ period.date }}")
    r = lx("fill", p, DATA, "-o", tmp_path / "o.docx", "--period", "2024-Q3")
    assert r.returncode == 0, r.stderr
    assert docx.Document(str(tmp_path / "o.docx")).paragraphs[0].text == \
        "quarter|2024年第三季度|前三季度|2024-09|3|2024-09-30"
    r = lx("fill", p, DATA, "-o", tmp_path / "o.docx", "--date", "2024-05-02")
    assert r.returncode == 0, r.stderr
    assert docx.Document(str(tmp_path / "o.docx")).paragraphs[0].text == "|||||2024-05-02"


def test_io_and_usage_errors(tpl, tmp_path):
    r = lx("fill", tmp_path / "missing.docx", DATA, "-o", tmp_path / "o.docx")
    assert r.returncode == 3 and "missing.docx" in r.stderr
    r = lx("fill", tpl["form.docx"], DATA, "-o", tmp_path / "o.xlsx")
    assert r.returncode == 2 and ".docx" in r.stderr
    r = lx("fill", tpl["form.docx"], DATA, "-o", tmp_path / "o.docx", "-f", "pdf")
    assert r.returncode == 2
    r = lx("fill", DATA, DATA, "-o", tmp_path / "o.docx")
    assert r.returncode == 2 and "OFFICE_TEMPLATE" in r.stderr
    r = lx("fill", tpl["form.docx"], DATA)
    assert r.returncode == 2 and "-o" in r.stderr
    r = lx("fill", tpl["form.docx"], tmp_path / "nodata.json", "-o", tmp_path / "o.docx")
    assert r.returncode == 3
    r = lx("fill", tpl["form.docx"], DATA, "-o", tmp_path / "no" / "dir" / "o.docx")
    assert r.returncode == 3
    r = subprocess.run([LEXPORT, "fill", tpl["form.docx"], DATA, "-o", "-"], capture_output=True)
    assert r.returncode == 0 and r.stdout[:2] == b"PK"
    assert "fill OFFICE_TEMPLATE DATA -o OUT" in lx("--help").stdout
