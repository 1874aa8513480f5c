"""lexport fill with templates written the way docxtpl (python-docx-template)
users write them: blocks over several paragraphs, cells and rows without
{%p %}, whitespace control, docxtpl's own tags, Jinja filters and tests.

Every template is built at test time three ways: as python-docx writes it
(Word's layout), rewritten the way WPS Office saves (every change of script
its own run with an eastAsia hint, a _GoBack bookmark, rsid attributes), and
re-saved by LibreOffice (its own run and XML layout; skipped without it).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill_docxtpl.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "fill"))

docx = pytest.importorskip("docx")
from lxml import etree  # noqa: E402

import pkgcheck  # noqa: E402

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def lx(*args, timeout=60):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


# ---- templates -------------------------------------------------------------------

def paras(*texts):
    """A template whose body paragraphs are `texts`; a list inside is a table
    (rows of cells)."""
    def make(path):
        d = docx.Document()
        for t in texts:
            if isinstance(t, list):
                tbl = d.add_table(rows=len(t), cols=len(t[0]))
                tbl.style = "Table Grid"
                for r, row in enumerate(t):
                    for c, cell in enumerate(row):
                        tbl.cell(r, c).paragraphs[0].text = cell
            else:
                d.add_paragraph(t)
        d.save(path)
        return path
    return make


CJK = re.compile(r"([\u3000-\u9fff\uff00-\uffef]+)")


def wps_style(src, dst):
    """Rewrite a python-docx template the way WPS Office writes: a run per
    change between CJK and other text with <w:rFonts w:hint="eastAsia"/>, rsid
    attributes on paragraphs and runs, a _GoBack bookmark in the last body
    paragraph."""
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            data = zin.read(i.filename)
            if i.filename == "word/document.xml":
                root = etree.fromstring(data)
                for r in list(root.iter("{%s}r" % W)):
                    t = r.find("w:t", NS)
                    if t is None or not t.text:
                        continue
                    pieces = [p for p in CJK.split(t.text) if p]
                    parent, at = r.getparent(), r.getparent().index(r)
                    parent.remove(r)
                    for k, piece in enumerate(pieces):
                        nr = etree.SubElement(parent, "{%s}r" % W)
                        parent.remove(nr)
                        parent.insert(at + k, nr)
                        nr.set("{%s}rsidR" % W, "00A1B2C3")
                        rpr = etree.SubElement(nr, "{%s}rPr" % W)
                        f = etree.SubElement(rpr, "{%s}rFonts" % W)
                        f.set("{%s}hint" % W, "eastAsia" if CJK.match(piece) else "default")
                        nt = etree.SubElement(nr, "{%s}t" % W)
                        nt.text = piece
                        if piece != piece.strip():
                            nt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                for p in root.iter("{%s}p" % W):
                    p.set("{%s}rsidR" % W, "00A1B2C3")
                body = root.find("w:body", NS)
                last = body.findall("w:p", NS)
                if last:
                    b = etree.SubElement(last[-1], "{%s}bookmarkStart" % W)
                    b.set("{%s}id" % W, "0")
                    b.set("{%s}name" % W, "_GoBack")
                    e = etree.SubElement(last[-1], "{%s}bookmarkEnd" % W)
                    e.set("{%s}id" % W, "0")
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            z.writestr(i, data)
    return dst


PRODUCERS = ["word", "wps", "libreoffice"]


@pytest.fixture(scope="module")
def lo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lo")


def build(make, producer, tmp_path, lo_dir, name="t.docx"):
    path = make(str(tmp_path / name))
    if producer == "wps":
        return wps_style(path, str(tmp_path / ("wps-" + name)))
    if producer == "libreoffice":
        if not shutil.which("soffice"):
            pytest.skip("LibreOffice is not installed")
        prof = "file://" + str(lo_dir / "profile")
        out = tmp_path / "lo"
        r = subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless",
                            "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), path],
                           capture_output=True, timeout=180)
        assert r.returncode == 0, r.stderr
        return str(out / name)
    return path


def fill(tpl, data, tmp_path, *extra, ok=True):
    dpath = tmp_path / "data.json"
    dpath.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.docx"
    if out.exists():
        out.unlink()
    r = lx("fill", tpl, dpath, "-o", out, *extra)
    if ok:
        assert r.returncode == 0, r.stderr
        assert not pkgcheck.check(str(out)), pkgcheck.check(str(out))
    return r, out


def body_texts(out):
    """The body's paragraphs (tables as '| a | b |' rows), empty ones kept."""
    d = docx.Document(str(out))
    lines = []
    for el in d.element.body:
        if el.tag == "{%s}p" % W:
            lines.append("".join(t.text or "" for t in el.iter("{%s}t" % W)))
        elif el.tag == "{%s}tbl" % W:
            for tr in el.findall("w:tr", NS):
                cells = ["".join(t.text or "" for t in tc.iter("{%s}t" % W))
                         for tc in tr.findall("w:tc", NS)]
                lines.append("| " + " | ".join(cells) + " |")
    return lines


# ---- 1. blocks spanning paragraphs, cells and rows ------------------------------------

@pytest.mark.parametrize("producer", PRODUCERS)
def test_if_and_for_span_paragraphs_without_p(producer, tmp_path, lo_dir):
    tpl = build(paras("开始", "{% if show %}", "显示的段落", "{% endif %}",
                      "{% for a in items %}", "第{{ loop.index }}项：{{ a }}", "{% endfor %}", "结束"),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"show": True, "items": ["甲", "乙"]}, tmp_path)
    # docxtpl's meaning: the XML between the tags repeats, so each tag's
    # paragraph leaves an empty paragraph behind (as docxtpl's do)
    assert [t for t in body_texts(out) if t] == ["开始", "显示的段落", "第1项：甲", "第2项：乙", "结束"]
    _, out = fill(tpl, {"show": False, "items": []}, tmp_path)
    assert [t for t in body_texts(out) if t] == ["开始", "结束"]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_loop_from_the_middle_of_one_paragraph_to_another(producer, tmp_path, lo_dir):
    tpl = build(paras("名单：{% for p in people %}{{ p.name }}", "电话 {{ p.tel }}{% endfor %}完"),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"people": [{"name": "张三", "tel": "1"}, {"name": "李四", "tel": "2"}]},
                  tmp_path)
    # the seam paragraph holds the end of the second and the start of the first
    assert body_texts(out) == ["名单：张三", "电话 1李四", "电话 2完"]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_whitespace_control_joins_paragraphs_as_docxtpl(producer, tmp_path, lo_dir):
    tpl = build(paras("我家在", "{%- if town -%}", " 城区", "{%- else -%}", " 乡下", "{%- endif -%}",
                      " 。", "前{% if True -%}", "{%- endif %} 后"),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"town": True}, tmp_path)
    assert body_texts(out) == ["我家在 城区 。", "前 后"]
    _, out = fill(tpl, {"town": False}, tmp_path)
    assert body_texts(out)[0] == "我家在 乡下 。"


def test_whitespace_control_takes_line_breaks_within_a_paragraph(tmp_path):
    def make(path):
        d = docx.Document()
        p = d.add_paragraph()
        for piece in ["located", None, "{%- if town -%}", None, " in town", None,
                      "{%- else -%}", None, " outside", None, "{%- endif -%}", None, " ok"]:
            r = p.add_run()
            if piece is None:
                r.add_break()
            else:
                r.text = piece
        d.save(path)
        return path
    _, out = fill(make(str(tmp_path / "t.docx")), {"town": True}, tmp_path)
    p = docx.Document(str(out)).paragraphs[0]
    assert p.text == "located in town ok"
    assert not p._p.findall(".//w:br", NS)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_a_block_spanning_table_rows_and_cells(producer, tmp_path, lo_dir):
    tpl = build(paras([["{% for r in rows %}{{ r.a }}", "{{ r.b }}{% endfor %}"]], "尾"),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"rows": [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}, {"a": "3", "b": "z"}]},
                  tmp_path)
    # within one row the cells repeat: the row gets a pair of cells per item
    assert body_texts(out)[0] == "| 1 | x2 | y3 | z |"
    tpl = build(paras([["{% if show %}甲", "乙"], ["丙", "丁{% endif %}"]]), producer, tmp_path,
                lo_dir, name="t2.docx")
    _, out = fill(tpl, {"show": False}, tmp_path)
    assert body_texts(out)[0] == "|  |"


def test_a_block_from_the_body_into_a_cell_is_refused(tmp_path):
    tpl = paras("{% if x %}", [["a{% endif %}"]])(str(tmp_path / "t.docx"))
    r, out = fill(tpl, {"x": 1}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert re.search(r"t\.docx:2:2: error: word/document\.xml: '\{% endif %\}' is in this table "
                     r"cell, but the '\{% if %\}' it belongs to \(at 1:1\) is in the document body",
                     r.stderr), r.stderr


def test_unclosed_and_stray_blocks_name_the_paragraph(tmp_path):
    tpl = paras("a", "{% if x %}", "b")(str(tmp_path / "t.docx"))
    r, _ = fill(tpl, {"x": 1}, tmp_path, ok=False)
    assert re.search(r":2:1: error: .*'\{% if %\}' is not closed: expected '\{% endif %\}' before "
                     r"the end of the document", r.stderr), r.stderr
    tpl = paras("a", "b {% endfor %}")(str(tmp_path / "t2.docx"))
    r, _ = fill(tpl, {"x": 1}, tmp_path, ok=False)
    assert re.search(r":2:3: error: .*'\{% endfor %\}' without an open '\{% for %\}'", r.stderr)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_literal_braces(producer, tmp_path, lo_dir):
    tpl = build(paras("写 {_{ name }_} 或 {_% if %_}：{{ name }}"), producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"name": "值"}, tmp_path)
    assert body_texts(out) == ["写 {{ name }} 或 {% if %}：值"]


# ---- 3. docxtpl's own tags ----------------------------------------------------------------

def cell_props(out, table=0):
    """Per row: (text, gridSpan, vMerge, shading fill) of each cell."""
    d = docx.Document(str(out))
    tbl = d.element.body.findall("w:tbl", NS)[table]
    rows = []
    for tr in tbl.findall("w:tr", NS):
        row = []
        for tc in tr.findall("w:tc", NS):
            pr = tc.find("w:tcPr", NS)
            def val(name, attr="val"):
                e = pr.find("w:" + name, NS) if pr is not None else None
                return None if e is None else e.get("{%s}%s" % (W, attr))
            row.append(("".join(t.text or "" for t in tc.iter("{%s}t" % W)), val("gridSpan"),
                        val("vMerge"), val("shd", "fill")))
        rows.append(row)
    return rows


@pytest.mark.parametrize("producer", PRODUCERS)
def test_comment_tags_remove_paragraph_row_and_cell(producer, tmp_path, lo_dir):
    tpl = build(paras("行内{# 注释 #}文字", "{#p 这一段整段去掉 #}", "下一段",
                      [["{#tr 这一行去掉 #}", "x"], ["留下", "{#tc 这格去掉 #}"]]),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {}, tmp_path)
    assert body_texts(out) == ["行内文字", "下一段", "| 留下 |", ""]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_column_loops_hm_vm_colspan_and_cellbg(producer, tmp_path, lo_dir):
    tpl = build(paras([["{% colspan cols|count %}标题", "", ""],
                       ["{%tc for c in cols %}", "{% hm %}合并", "{%tc endfor %}"],
                       ["{%tc for c in cols %}", "{{ c.name }}{% cellbg c.bg %}", "{%tc endfor %}"],
                       ["{%tr for r in rows %}", "", ""],
                       ["{% vm %}组", "{{ r }}", ""],
                       ["{%tr endfor %}", "", ""]]),
                producer, tmp_path, lo_dir)
    cols = [{"name": "甲", "bg": "FF0000"}, {"name": "乙", "bg": "00ff00"}, {"name": "丙", "bg": "auto"}]
    _, out = fill(tpl, {"cols": cols, "rows": ["一", "二"]}, tmp_path)
    rows = cell_props(out)
    assert rows[0][0][:2] == ("标题", "3")
    assert [(t, s) for t, s, _, _ in rows[1]] == [("合并", "3")]
    assert [(t, bg) for t, _, _, bg in rows[2]] == [("甲", "FF0000"), ("乙", "00ff00"), ("丙", "auto")]
    assert [(r[0][0], r[0][2], r[1][0]) for r in rows[3:]] == [("组", "restart", "一"),
                                                                ("", "continue", "二")]


def test_table_tag_errors(tmp_path):
    for text, pattern in [("{% vm %}", r"'\{% vm %\}' outside a table cell"),
                          ("{%tc for x in y %}", r"'\{%tc %\}' outside a table cell"),
                          ("{#tr x #}", r"'\{#tr #\}' outside a table row")]:
        tpl = paras("a", text)(str(tmp_path / "t.docx"))
        r, out = fill(tpl, {}, tmp_path, ok=False)
        assert r.returncode == 1 and re.search(r":2:1: error: .*" + pattern, r.stderr), r.stderr
    tpl = paras([["{% cellbg c %}x"]])(str(tmp_path / "t.docx"))
    r, _ = fill(tpl, {"c": "red"}, tmp_path, ok=False)
    assert re.search(r"cellbg %\}' needs a colour as six hex digits", r.stderr), r.stderr


def test_r_prefixes_fill_plain_values(tmp_path):
    tpl = paras("{{r name }}：{%r if ok %}是{%r endif %}")(str(tmp_path / "t.docx"))
    _, out = fill(tpl, {"name": "张三", "ok": True}, tmp_path)
    assert body_texts(out) == ["张三：是"]


# ---- 4. document properties --------------------------------------------------------------

@pytest.mark.parametrize("producer", PRODUCERS)
def test_core_properties_are_filled(producer, tmp_path, lo_dir):
    def make(path):
        d = docx.Document()
        d.add_paragraph("正文 {{ title }}")
        cp = d.core_properties
        cp.title = "{{ title }}"
        cp.subject = "{{ community }}{% if year %} {{ year }}年{% endif %}"
        cp.keywords = "{{ tags | join(',') }}"
        cp.comments = "无标签"
        d.save(path)
        return path
    tpl = build(make, producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"title": "工作简报 <第3期> & 附件", "community": "秦渠社区", "year": 2024,
                        "tags": ["简报", "九月"]}, tmp_path)
    cp = docx.Document(str(out)).core_properties
    # LibreOffice keeps keywords as a list: its re-save turns the template's
    # join(',') into join(' ') (it splits and rejoins the text at commas)
    sep = " " if producer == "libreoffice" else ","
    assert (cp.title, cp.subject, cp.keywords, cp.comments) == (
        "工作简报 <第3期> & 附件", "秦渠社区 2024年", "简报" + sep + "九月", "无标签")
    assert body_texts(out) == ["正文 工作简报 <第3期> & 附件"]


def test_core_property_errors_name_the_part(tmp_path):
    def make(path):
        d = docx.Document()
        d.add_paragraph("x")
        d.core_properties.title = "{{ title | nosuch }}"
        d.save(path)
        return path
    r, out = fill(make(str(tmp_path / "t.docx")), {"title": "x"}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert re.search(r"t\.docx:\d+:\d+: error: docProps/core\.xml: unknown filter 'nosuch'",
                     r.stderr), r.stderr


def test_word_table_tags_in_a_workbook_are_refused(tmp_path):
    import make_templates as mt
    for text, pattern in [("{% vm %}", r"'\{% vm %\}' is a tag of Word tables"),
                          ("{%tc for x in y %}", r"'\{%tc %\}' repeats Word table cells")]:
        tpl = mt.simple_xlsx(str(tmp_path / "t.xlsx"), {"A1": "x", "B2": text})
        dpath = tmp_path / "d.json"
        dpath.write_text("{}")
        r = lx("fill", tpl, dpath, "-o", tmp_path / "o.xlsx")
        assert r.returncode == 1 and re.search(r":2:1: error: .*cell B2.*" + pattern, r.stderr), \
            r.stderr


# ---- 2 and 5: Jinja's tests and printing; data before period values ----------------------------

@pytest.mark.parametrize("producer", PRODUCERS)
def test_is_tests_as_jinja(producer, tmp_path, lo_dir):
    checks = ["d is mapping", "l is sequence", "s is string", "i is integer", "f is float",
              "t is true", "n is false", "z is none", "i is odd", "i is not even",
              "i is divisibleby 3", "i is divisibleby(3)", "'a' is in(l)", "l is iterable",
              "f is not integer", "s is lower", "i is number", "t is boolean", "6 is gt(5)"]
    tpl = build(paras(*["{% if " + c + " %}yes{% else %}no{% endif %}" for c in checks]),
                producer, tmp_path, lo_dir)
    _, out = fill(tpl, {"d": {"k": 1}, "l": ["a", "b"], "s": "abc", "i": 3, "f": 1.5, "t": True,
                        "n": False, "z": None}, tmp_path)
    assert body_texts(out) == ["yes"] * len(checks)


@pytest.mark.parametrize("producer", PRODUCERS)
def test_values_print_as_docxtpl_prints_them(producer, tmp_path, lo_dir):
    tpl = build(paras("{{ r }}|{{ w }}|{{ f }}|{{ t }}|{{ n }}|{{ z }}|{{ l }}|{{ d }}|{{ big }}|"
                      "{{ tiny }}"), producer, tmp_path, lo_dir)
    r, out = fill(tpl, {"r": 3.0, "w": 3, "f": 1.234, "t": True, "n": False, "z": None,
                        "l": ["甲", 1, 2.5, None, "it's"], "d": {"k": "v", "n": [1]},
                        "big": 1e20, "tiny": 0.00001}, tmp_path)
    assert body_texts(out) == ["3.0|3|1.234|True|False||['甲', 1, 2.5, None, \"it's\"]|"
                               "{'k': 'v', 'n': [1]}|1e+20|1e-05"]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_data_wins_over_the_period_values(producer, tmp_path, lo_dir):
    tpl = build(paras("{{ date }} {{ month }} {{ period.month }} {{ issue }}"), producer, tmp_path,
                lo_dir)
    _, out = fill(tpl, {"date": "2016-03-17", "month": "三月"}, tmp_path, "--month", "2024-09")
    date, month, pmonth, issue = body_texts(out)[0].split(" ")
    assert (date, month) == ("2016-03-17", "三月")  # the data's own fields
    assert pmonth and pmonth != "三月" and issue   # the period's, by name and where the data has none


def test_unknown_test_names_the_tests(tmp_path):
    tpl = paras("{% if x is nosuch %}a{% endif %}")(str(tmp_path / "t.docx"))
    r, _ = fill(tpl, {"x": 1}, tmp_path, ok=False)
    assert re.search(r":1:12: error: .*expected a test after 'is' \(defined, .*mapping.*\), "
                     r"found 'nosuch'", r.stderr), r.stderr


# ---- issue 10 item 12: package hygiene ------------------------------------------------

@pytest.mark.parametrize("change,pattern", [
    ({"add": {"word/vbaProject.bin": b"\x00VBA"}}, r"the document holds macros \(word/vbaProject\.bin\)"),
    ({"ct": True}, r"the document is macro-enabled"),
    ({"add": {"/word/document.xml": b"<x/>"}}, r"entry /word/document\.xml is not a part name"),
    ({"add": {"word/../evil.xml": b"<x/>"}}, r"entry word/\.\./evil\.xml is not a part name"),
    ({"add": {"word\\evil.xml": b"<x/>"}}, r"is not a part name"),
])
def test_package_hygiene(tmp_path, change, pattern):
    src = paras("{{ x }}")(str(tmp_path / "a.docx"))
    dst = tmp_path / "t.docx"
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w") as z:
        for i in zin.infolist():
            data = zin.read(i.filename)
            if change.get("ct") and i.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml",
                                    b"ms-word.document.macroEnabled.main+xml")
            z.writestr(i, data)
        for n, d in change.get("add", {}).items():
            z.writestr(n, d)
    r, out = fill(str(dst), {"x": 1}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert re.search(pattern, r.stderr), r.stderr

