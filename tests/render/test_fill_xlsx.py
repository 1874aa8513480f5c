"""lexport fill with Excel templates written as Excel users write them:
ranges to the sheet's last row, loops without row tags, formulas made by
filling. Read back with openpyxl (an independent reader).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill_xlsx.py
"""
import os
import subprocess
import sys
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(SRC, "tests", "fill"))

openpyxl = pytest.importorskip("openpyxl")
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402

import make_templates as mt  # noqa: E402
import pkgcheck  # noqa: E402

DATA = os.path.join(SRC, "samples", "qinqu.json")


def lx(*args, timeout=30):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def fill(tpl, tmp_path, data=DATA, name="o.xlsx"):
    out = tmp_path / name
    r = lx("fill", tpl, data, "-o", out)
    assert r.returncode == 0, r.stderr
    assert not pkgcheck.check(out), pkgcheck.check(out)
    return out, r.stderr


# ---- issue 10 item 9: ranges that run to the last row ---------------------------

LAST = 1048576


def to_the_end(tmp_path, items):
    p = mt.simple_xlsx(str(tmp_path / "end.xlsx"), {
        "A1": "人次", "A2": "{%tr for a in " + items + " %}", "B3": "{{ a }}",
        "A4": "{%tr endfor %}",
        "C1": f"=SUM(B3:B{LAST})", "D1": "=SUM(B:B)", "E1": f"=SUM(B$3:B${LAST})",
        "F1": f"=COUNT(3:{LAST})", "G1": f"=SUM(B6:B{LAST})", "H1": "=B3"})
    wb = openpyxl.load_workbook(p)
    dv = DataValidation(type="whole", operator="greaterThan", formula1="0")
    dv.add(f"B3:B{LAST}")
    wb.active.add_data_validation(dv)
    wb.save(p)
    return p


@pytest.mark.parametrize("items,n", [("[1, 2, 3, 4, 5]", 5), ("[7]", 1), ("[]", 0)])
def test_ranges_to_the_last_row_keep_running_to_it(tmp_path, items, n):
    out, err = fill(to_the_end(tmp_path, items), tmp_path)
    assert "covers no rows" not in err and "warning" not in err, err
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(1 + i, 2).value for i in range(1, n + 1)] == \
        [int(x) for x in items.strip("[]").split(",") if x.strip()]
    first = 2  # the {%tr %} row went: the first copy stands at row 2
    assert ws["C1"].value == f"=SUM(B{first}:B{LAST})"
    assert ws["D1"].value == "=SUM(B:B)"
    assert ws["E1"].value == f"=SUM(B${first}:B${LAST})"
    assert ws["F1"].value == f"=COUNT({first}:{LAST})"
    # a range below the template's rows moves with them and still ends at the end
    assert ws["G1"].value == f"=SUM(B{6 - 3 + n}:B{LAST})"
    assert [str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges] == \
        [f"B{first}:B{LAST}"]


def test_whole_columns_and_rows_to_the_end_in_another_sheet(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "x.xlsx"), {
        "A1": "{%tr for a in [1, 2, 3] %}", "A2": "{{ a }}", "A3": "{%tr endfor %}"})
    wb = openpyxl.load_workbook(p)
    ws2 = wb.create_sheet("汇总")
    ws2["A1"] = f"=SUM(Sheet!A2:A{LAST})"
    ws2["A2"] = "=SUM(Sheet!A:A)"
    ws2["A3"] = f"=SUM('Sheet'!$A$2:$A${LAST})"
    wb.save(p)
    out, err = fill(p, tmp_path)
    assert "warning" not in err, err
    wb = openpyxl.load_workbook(out)
    assert [wb["Sheet"][f"A{r}"].value for r in (1, 2, 3)] == [1, 2, 3]
    assert [wb["汇总"][f"A{r}"].value for r in (1, 2, 3)] == [
        f"=SUM(Sheet!A1:A{LAST})", "=SUM(Sheet!A:A)", f"=SUM('Sheet'!$A$1:$A${LAST})"]


# ---- templates as Excel, WPS and LibreOffice save them ---------------------------
#
# Each template is built with openpyxl (shared strings, as Excel writes), then
# rewritten the way WPS Spreadsheets saves (every change between CJK and other
# text its own rich run with a font, rows with spans), with inline strings (as
# generators and streaming writers do), or re-saved by LibreOffice Calc.

import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402

from lxml import etree  # noqa: E402

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NSS = {"s": S}
CJK = re.compile(r"([\u3000-\u9fff\uff00-\uffef]+)")
PRODUCERS = ["excel", "wps", "inline", "libreoffice"]


def _rewrite(src, dst, fn):
    zin = zipfile.ZipFile(src)
    parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
    fn(parts)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            z.writestr(i, parts[i.filename])
    return dst


def wps_style(src, dst):
    def fn(parts):
        if "xl/sharedStrings.xml" in parts:
            root = etree.fromstring(parts["xl/sharedStrings.xml"])
            for si in root.findall("s:si", NSS):
                t = si.find("s:t", NSS)
                if t is None or not t.text:
                    continue
                text = t.text
                si.remove(t)
                for piece in [p for p in CJK.split(text) if p]:
                    r = etree.SubElement(si, "{%s}r" % S)
                    rpr = etree.SubElement(r, "{%s}rPr" % S)
                    etree.SubElement(rpr, "{%s}rFont" % S).set(
                        "val", "宋体" if CJK.match(piece) else "Calibri")
                    etree.SubElement(rpr, "{%s}charset" % S).set("val", "134")
                    nt = etree.SubElement(r, "{%s}t" % S)
                    nt.text = piece
                    if piece != piece.strip():
                        nt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            parts["xl/sharedStrings.xml"] = etree.tostring(root, xml_declaration=True,
                                                           encoding="UTF-8", standalone=True)
        for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
            root = etree.fromstring(parts[name])
            for row in root.iter("{%s}row" % S):
                row.set("spans", "1:8")
            parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                         standalone=True)
    return _rewrite(src, dst, fn)


def inline_style(src, dst):
    def fn(parts):
        sst = []
        if "xl/sharedStrings.xml" in parts:
            root = etree.fromstring(parts["xl/sharedStrings.xml"])
            sst = ["".join(si.itertext()) for si in root.findall("s:si", NSS)]
        for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
            root = etree.fromstring(parts[name])
            for c in root.iter("{%s}c" % S):
                if c.get("t") != "s":
                    continue
                v = c.find("s:v", NSS)
                c.remove(v)
                c.set("t", "inlineStr")
                t = etree.SubElement(etree.SubElement(c, "{%s}is" % S), "{%s}t" % S)
                t.text = sst[int(v.text)]
            parts[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                         standalone=True)
    return _rewrite(src, dst, fn)


@pytest.fixture(scope="module")
def lo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lo")


def build(path, producer, tmp_path, lo_dir):
    if producer == "wps":
        return wps_style(path, str(tmp_path / "wps.xlsx"))
    if producer == "inline":
        return inline_style(path, str(tmp_path / "inline.xlsx"))
    if producer == "libreoffice":
        if not shutil.which("soffice"):
            pytest.skip("LibreOffice is not installed")
        out = tmp_path / "lo"
        r = subprocess.run(["soffice", f"-env:UserInstallation=file://{lo_dir}/profile",
                            "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                            "--outdir", str(out), path], capture_output=True, timeout=180)
        assert r.returncode == 0, r.stderr
        return str(out / os.path.basename(path))
    return path


def lo_values(path, tmp_path, lo_dir):
    """The workbook as LibreOffice computes it: converted to xlsx again and
    read with openpyxl's cached values (formulas recalculated on load)."""
    out = tmp_path / "lo-calc"
    r = subprocess.run(["soffice", f"-env:UserInstallation=file://{lo_dir}/profile",
                        "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                        "--outdir", str(out), str(path)], capture_output=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return openpyxl.load_workbook(out / os.path.basename(str(path)), data_only=True).active


def fill_data(tpl, data, tmp_path, ok=True):
    dpath = tmp_path / "data.json"
    dpath.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    if out.exists():
        out.unlink()
    r = lx("fill", tpl, dpath, "-o", out)
    if ok:
        assert r.returncode == 0, r.stderr
        assert not pkgcheck.check(str(out)), pkgcheck.check(str(out))
    return r, out


def values(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


ITEMS = {"items": [{"n": "甲", "v": 3}, {"n": "乙", "v": 5}, {"n": "丙", "v": 7}]}


def rows_template(path):
    """{% for %} and {% endfor %} alone in rows of their own (no {%tr %}),
    a formula per row, a SUM, a merged note, a row height, a conditional
    format, a validation, an autofilter and a print area around them."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台账"
    ws["A1"], ws["B1"], ws["C1"] = "名称", "数量", "两倍"
    ws["A2"] = "{% for a in items %}"
    ws["A3"], ws["B3"], ws["C3"] = "{{ a.n }}", "{{ a.v }}", "=B3*2"
    ws.row_dimensions[3].height = 30
    ws["A4"] = "{% endfor %}"
    ws["A5"], ws["B5"], ws["D1"] = "合计", "=SUM(B3:B3)", f"=SUM(C2:C{LAST})"
    ws["A6"] = "备注"
    ws.merge_cells("A6:C6")
    ws.conditional_formatting.add("B3", CellIsRule(operator="greaterThan", formula=["4"],
                                                   fill=PatternFill("solid", start_color="FFFF00")))
    dv = DataValidation(type="whole", operator="greaterThan", formula1="0")
    ws.add_data_validation(dv)
    dv.add("B3")
    ws.auto_filter.ref = "A1:C4"
    ws.print_area = "A1:C6"
    wb.save(path)
    return path


@pytest.mark.parametrize("producer", PRODUCERS)
def test_for_and_endfor_rows_without_tr_repeat_the_rows_between(producer, tmp_path, lo_dir):
    tpl = build(rows_template(str(tmp_path / "rows.xlsx")), producer, tmp_path, lo_dir)
    _, out = fill_data(tpl, ITEMS, tmp_path)
    wb = openpyxl.load_workbook(out)
    ws = wb.active
    # the tag rows held nothing else: they went, as {%tr %} rows do
    assert values(ws)[:6] == [["名称", "数量", "两倍", f"=SUM(C2:C{LAST})"],
                              ["甲", 3, "=B2*2", None], ["乙", 5, "=B3*2", None],
                              ["丙", 7, "=B4*2", None], ["合计", "=SUM(B2:B4)", None, None],
                              ["备注", None, None, None]]
    assert [str(m) for m in ws.merged_cells.ranges] == ["A6:C6"]
    assert [ws.row_dimensions[r].height for r in (2, 3, 4)] == [30, 30, 30]
    assert [str(r.sqref) for r in ws.conditional_formatting] == ["B2:B4"]
    assert [str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges] == \
        ["B2:B4"]
    assert ws.auto_filter.ref == "A1:C4"
    assert "$A$1:$C$6" in str(ws.print_area)
    if shutil.which("soffice"):
        lv = lo_values(out, tmp_path, lo_dir)
        assert [lv[f"C{r}"].value for r in (2, 3, 4)] == [6, 10, 14]
        assert lv["B5"].value == 15 and lv["D1"].value == 30


@pytest.mark.parametrize("producer", PRODUCERS)
def test_tag_rows_with_other_values_are_kept_inside_the_block(producer, tmp_path, lo_dir):
    p = mt.simple_xlsx(str(tmp_path / "keep.xlsx"), {
        "A1": "头", "A2": "{% for a in items %}", "B2": "{{ a.n }}", "A3": "{{ a.v }}",
        "A4": "小计{{ a.v }}", "B4": "{% endfor %}", "A5": "=SUM(A2:A4)"})
    _, out = fill_data(build(p, producer, tmp_path, lo_dir), ITEMS, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert values(ws) == [["头", None], [None, "甲"], [3, None], ["小计3", None],
                          [None, "乙"], [5, None], ["小计5", None],
                          [None, "丙"], [7, None], ["小计7", None], ["=SUM(A2:A10)", None]]


@pytest.mark.parametrize("producer", PRODUCERS)
def test_if_over_rows_without_tr(producer, tmp_path, lo_dir):
    p = mt.simple_xlsx(str(tmp_path / "if.xlsx"), {
        "A1": "{% if show %}", "A2": "显示", "A3": "{% else %}", "A4": "隐藏",
        "A5": "{% endif %}", "A6": "{% if show %}", "B6": "同行", "A7": "{% endif %}",
        "A8": "尾", "B8": "=ROW(A8)"})
    _, out = fill_data(build(p, producer, tmp_path, lo_dir), {"show": True}, tmp_path)
    assert values(openpyxl.load_workbook(out).active) == [
        ["显示", None], [None, "同行"], ["尾", "=ROW(A3)"]]
    _, out = fill_data(build(p, producer, tmp_path, lo_dir), {"show": False}, tmp_path)
    assert values(openpyxl.load_workbook(out).active) == [["隐藏", None], ["尾", "=ROW(A2)"]]


def test_nested_row_loops_and_tr_rows_mix(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "n.xlsx"), {
        "A1": "{% for g in groups %}", "A2": "{{ g.name }}", "A3": "{%tr for x in g.xs %}",
        "B4": "{{ x }}", "A5": "{%tr endfor %}", "A6": "{% endfor %}", "A7": "=SUM(B4:B4)"})
    _, out = fill_data(p, {"groups": [{"name": "一", "xs": [1, 2]}, {"name": "二", "xs": [3]}]},
                       tmp_path)
    assert values(openpyxl.load_workbook(out).active) == [
        ["一", None], [None, 1], [None, 2], ["二", None], [None, 3], ["=SUM(B2:B5)", None]]


@pytest.mark.parametrize("n", [0, 1, 4])
def test_ranges_to_the_last_row_under_a_loop_without_tr(tmp_path, n):
    p = mt.simple_xlsx(str(tmp_path / "e.xlsx"), {
        "A1": "数", "A2": "{% for a in xs %}", "B3": "{{ a }}", "A4": "{% endfor %}",
        "C1": f"=SUM(B3:B{LAST})", "D1": f"=SUM(B$3:B${LAST})", "E1": f"=SUM(B6:B{LAST})"})
    _, out = fill_data(p, {"xs": list(range(1, n + 1))}, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(1 + i, 2).value for i in range(1, n + 1)] == list(range(1, n + 1))
    assert ws["C1"].value == f"=SUM(B2:B{LAST})"
    assert ws["D1"].value == f"=SUM(B$2:B${LAST})"
    assert ws["E1"].value == f"=SUM(B{n + 3}:B{LAST})"


def text_cells(path, cells):
    """openpyxl writes a string starting with '=' as a formula; as text it is
    what Excel stores for '=… typed with an apostrophe or imported."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for k, v in cells.items():
        ws[k] = v
        if isinstance(v, str) and v.startswith("="):
            ws[k].data_type = "s"
    wb.save(path)
    return path


FORMULA_DATA = {"f": "SIN(1)", "r": 1, "r2": 3, "inj": '=HYPERLINK("http://x.invalid","点")',
                "items": [{"v": 3}, {"v": 5}]}


@pytest.mark.parametrize("producer", PRODUCERS)
def test_template_text_starting_with_equals_becomes_a_formula(producer, tmp_path, lo_dir):
    p = text_cells(str(tmp_path / "f.xlsx"), {
        "A1": "={{ f }}", "A2": '{{ "=1+2" }}', "A3": "=SUM(B{{ r }}:B{{ r2 }})",
        "A4": "{{ inj }}", "A5": "x{{ inj }}", "A6": " ={{ f }}",
        "B1": 1, "B2": 2, "B3": 3})
    _, out = fill_data(build(p, producer, tmp_path, lo_dir), FORMULA_DATA, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert [ws[f"A{r}"].value for r in range(1, 7)] == [
        "=SIN(1)", "=1+2", "=SUM(B1:B3)",
        # a value from the data is never a formula (formula injection)
        '=HYPERLINK("http://x.invalid","点")', 'x=HYPERLINK("http://x.invalid","点")',
        " =SIN(1)"]
    assert [ws[f"A{r}"].data_type for r in range(1, 7)] == ["f", "f", "f", "s", "s", "s"]
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>SIN(1)</f></c>" in sheet  # no cached value: computed on load
    assert 'fullCalcOnLoad="1"' in zipfile.ZipFile(out).read("xl/workbook.xml").decode()
    if shutil.which("soffice"):
        lv = lo_values(out, tmp_path, lo_dir)
        assert round(lv["A1"].value, 6) == 0.841471 and lv["A2"].value == 3
        assert lv["A3"].value == 6
        assert lv["A4"].value == '=HYPERLINK("http://x.invalid","点")'


def test_tags_inside_formulas_as_openpyxl_stores_them(tmp_path):
    # openpyxl (and importers) store "={{ f }}" as a formula <f>{{ f }}</f>
    p = mt.simple_xlsx(str(tmp_path / "f.xlsx"), {
        "A1": "={{ f }}", "A2": "=SUM(B{{ r }}:B{{ r2 }})", "A3": "=B1*2", "B1": 1})
    _, out = fill_data(p, FORMULA_DATA, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert [ws[f"A{r}"].value for r in (1, 2, 3)] == ["=SIN(1)", "=SUM(B1:B3)", "=B1*2"]


def test_filled_formulas_in_a_loop_are_written_in_the_filled_rows(tmp_path):
    p = text_cells(str(tmp_path / "f.xlsx"), {
        "A1": "{% for a in items %}", "B2": "{{ a.v }}", "C2": "=B{{ loop.index }}*10",
        "A3": "{% endfor %}"})
    _, out = fill_data(p, FORMULA_DATA, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert values(ws) == [[None, 3, "=B1*10"], [None, 5, "=B2*10"]]


def test_overlong_filled_formula_is_refused(tmp_path):
    p = text_cells(str(tmp_path / "f.xlsx"), {"B2": "={{ f }}"})
    r, _ = fill_data(p, {"f": "1+" * 5000 + "1"}, tmp_path, ok=False)
    assert r.returncode == 1
    assert "formula filled into cell B2 has 10001 characters; Excel's limit is 8192" in r.stderr


@pytest.mark.parametrize("producer", PRODUCERS)
def test_bell_and_form_feed_are_line_breaks_in_a_cell(producer, tmp_path, lo_dir):
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "{{ t }}"
    ws["A1"].font = Font(bold=True)
    ws["A2"] = "前{{ t }}"
    ws["A3"] = "{{ u }}"
    ws["B1"] = "同式"
    ws["B1"].font = Font(bold=True)
    p = str(tmp_path / "bell.xlsx")
    wb.save(p)
    _, out = fill_data(build(p, producer, tmp_path, lo_dir),
                       {"t": "第一段\a第二段\f第三页", "u": "一\n二"}, tmp_path)
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "第一段\n第二段\n第三页"
    assert ws["A2"].value == "前第一段\n第二段\n第三页"
    assert ws["A3"].value == "一\n二"
    for ref in ("A1", "A2", "A3"):
        assert ws[ref].alignment.wrap_text, ref
    assert ws["A1"].font.b  # the cell's own style, with wrapping added
    assert not ws["B1"].alignment.wrap_text  # a cell that shared the style keeps it


def test_a_block_crossing_sheets_and_half_blocks_in_a_cell_name_the_alternative(tmp_path):
    cases = [
        ({"A1": "{% for a in items %}", "A2": "{{ a.v }}"},
         r"'\{% for %\}' is not closed in sheet “Sheet”.*one sheet.*'\{% endfor %\}' alone in "
         r"a cell of a later row"),
        ({"A1": "{% for a in items %}{{ a.v }}", "A2": "{% endfor %}"},
         r"does not close in this cell.*'\{% for … %\}' alone in a cell and '\{% endfor %\}' "
         r"alone in a cell of a later row"),
        ({"A1": "{{ 1 }}{% endif %}"}, r"closes no '\{% if %\}' of this cell.*alone in its cell"),
        ({"A1": "{% for a in items %}", "A2": "x", "B2": "{% else %}", "A3": "{% endfor %}"},
         r"'\{% else %\}' between rows stands in a row of its own"),
        ({"A1": "{%tr for a in items %}", "B1": "{% if x %}", "A2": "{%tr endfor %}"},
         r"row 1 holds a '\{%tr %\}' tag and a '\{% if %\}'"),
        ({"A1": "{%tr for a in items %}", "B1": "x", "A2": "{%tr endfor %}"},
         r"stands alone in its row.*without 'tr' keeps its row"),
        ({"A1": "{%tc for a in items %}"},
         r"'\{%tc %\}' repeats Word table cells; in a workbook, put '\{% for … %\}' and "
         r"'\{% endfor %\}' each alone in a cell of one row"),
    ]
    for cells, pattern in cases:
        p = mt.simple_xlsx(str(tmp_path / "bad.xlsx"), cells)
        r, _ = fill_data(p, FORMULA_DATA, tmp_path, ok=False)
        assert r.returncode == 1, cells
        assert re.search(pattern, r.stderr), (cells, r.stderr)


def test_row_loops_past_the_last_row_are_refused(tmp_path):
    # the empty row 3 repeats with the block: 1,100,000 rows are asked for
    p = mt.simple_xlsx(str(tmp_path / "big.xlsx"), {
        "A1": "{% for i in range(1100) %}", "A2": "{% for j in range(1000) %}",
        "A4": "{% endfor %}", "A5": "{% endfor %}"})
    r, out = fill_data(p, {}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert "the filled sheet would have more than 1048576 rows, Excel's limit" in r.stderr


# ---- blocks over columns: {% for %} … {% endfor %} in cells of one row -----------

MONTHS = {"months": ["一月", "二月", "三月"],
          "people": [{"name": "甲", "vs": [1, 2, 3]}, {"name": "乙", "vs": [4, 5, 6]}]}


def columns_template(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"], ws["D1"] = "名称", "{% for m in months %}", "{{ m }}", \
        "{% endfor %}"
    ws["E1"], ws["F1"] = "合计", "尾"
    ws["A2"] = "{% for p in people %}"
    ws["A3"], ws["B3"], ws["C3"], ws["D3"] = "{{ p.name }}", "{% for v in p.vs %}", "{{ v }}", \
        "{% endfor %}"
    ws["E3"], ws["F3"] = "=SUM(C3:C3)", "=E3*2"
    ws["A4"] = "{% endfor %}"
    ws["A5"], ws["B5"], ws["C5"], ws["D5"] = "=SUM(E3:E3)", "=C1", "=F3", f"=SUM(C3:XFD3)"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["C"].width = 20
    ws.column_dimensions["E"].width = 30
    ws.column_dimensions["F"].width = 9
    wb.save(path)
    return path


@pytest.mark.parametrize("producer", PRODUCERS)
def test_a_loop_over_columns_repeats_cells_to_the_right(producer, tmp_path, lo_dir):
    tpl = build(columns_template(str(tmp_path / "cols.xlsx")), producer, tmp_path, lo_dir)
    _, out = fill_data(tpl, MONTHS, tmp_path)
    ws = openpyxl.load_workbook(out).active
    # the tag cells take no column; cells to their right move over
    assert values(ws) == [
        ["名称", "一月", "二月", "三月", "合计", "尾"],
        ["甲", 1, 2, 3, "=SUM(B2:D2)", "=E2*2"],
        ["乙", 4, 5, 6, "=SUM(B3:D3)", "=E3*2"],
        # from outside the loop a cell means the first copy, a range every copy
        # (here of the rows too: row 3 made rows 2 and 3)
        ["=SUM(E2:E3)", "=B1", "=F2", f"=SUM(B2:XFD3)", None, None]]
    from openpyxl.utils import get_column_letter
    widths = {get_column_letter(i): d.width for d in ws.column_dimensions.values()
              if d.customWidth for i in range(d.min, d.max + 1)}
    assert {k: widths.get(k) for k in "ABCDEF"} == \
        {"A": 12, "B": 20, "C": 20, "D": 20, "E": 30, "F": 9}
    if shutil.which("soffice"):
        lv = lo_values(out, tmp_path, lo_dir)
        assert [lv["E2"].value, lv["E3"].value, lv["F3"].value, lv["A4"].value] == [6, 15, 30, 21]


def test_a_loop_over_columns_with_empty_columns_and_an_if(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "c.xlsx"), {
        "A1": "{% for x in xs %}", "B1": "{{ x }}", "D1": "{% endfor %}",
        "E1": "{% if flag %}", "F1": "是", "G1": "{% else %}", "H1": "否", "I1": "{% endif %}",
        "J1": "=B1", "K1": "=SUM(B1:C1)"})
    _, out = fill_data(p, {"xs": [1, 2], "flag": False}, tmp_path)
    ws = openpyxl.load_workbook(out).active
    # the body is B:C (C empty): two copies make B:E; the else branch stays
    assert values(ws) == [[1, None, 2, None, "否", "=A1", "=SUM(A1:D1)"]]
    _, out = fill_data(p, {"xs": [], "flag": True}, tmp_path)
    assert values(openpyxl.load_workbook(out).active) == [["是", "=A1", "=SUM(A1:A1)"]]


def test_relative_references_in_a_column_loop_mean_the_same_iteration(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "c.xlsx"), {
        "A1": "{% for m in ms %}", "B1": "{{ m }}", "C1": "{% endfor %}",
        "A2": "{% for m in ms %}", "B2": "=B1*10", "C2": "{% endfor %}",
        "A3": "{% for m in ms %}", "B3": "=$B$1", "C3": "{% endfor %}"})
    _, out = fill_data(p, {"ms": [1, 2, 3]}, tmp_path)
    assert values(openpyxl.load_workbook(out).active) == [
        [1, 2, 3], ["=A1*10", "=B1*10", "=C1*10"], ["=$A$1", "=$A$1", "=$A$1"]]


def test_a_loop_over_100000_columns_is_refused_naming_the_cell(tmp_path):
    p = mt.simple_xlsx(str(tmp_path / "c.xlsx"), {
        "A1": "x", "B2": "{% for i in range(100000) %}", "C2": "{{ i }}", "D2": "{% endfor %}"})
    r, out = fill_data(p, {}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert "the filled row 2 would have more than 16384 columns, Excel's limit (XFD): the " \
        "loop over columns in B2 repeats 100000 times" in r.stderr
    assert "cell B2" in r.stderr


def test_column_block_errors_name_the_supported_form(tmp_path):
    cases = [
        ({"B1": "{% for m in ms %}", "C1": "{{ m }}", "D1": "{% if m %}", "D2": "{% endfor %}"},
         r"'\{% for %\}' in B1 has no '\{% endfor %\}' in row 1: a block over columns opens "
         r"and closes in one row"),
        ({"A1": "{% for m in ms %}", "A2": "{% endfor %}", "B2": "{% for m in ms %}",
          "C2": "{% endfor %}"},
         r"'\{% endfor %\}' in A2 closes no block of row 2.*in a row with no other block tag"),
        ({"A1": "{% for m in ms %}", "B1": "{% for n in ms %}", "C1": "{% endfor %}",
          "D1": "{% endfor %}"}, r"a loop over columns inside another one \(B1\)"),
    ]
    for cells, pattern in cases:
        p = mt.simple_xlsx(str(tmp_path / "bad.xlsx"), cells)
        r, _ = fill_data(p, {"ms": [1]}, tmp_path, ok=False)
        assert r.returncode == 1, cells
        assert re.search(pattern, r.stderr), (cells, r.stderr)
