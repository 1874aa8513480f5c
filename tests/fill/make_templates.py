"""Office templates for the fill tests, built with python-docx and openpyxl.

Each function writes one template and returns its path. They are built at
test time (nothing binary is committed); `python3 make_templates.py DIR`
writes all of them into DIR (tests/memcheck.sh does this).

The DOCX templates are deliberately awkward the way real ones are: tags
split over runs with different formatting, Word's curly quotes inside tags,
proofing marks and bookmarks between the pieces of a tag.
"""
import copy
import io
import os
import sys
import zipfile

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

SEPT = 'activities | where("date", "startswith", "2024-09")'


# ---- helpers -------------------------------------------------------------------

def runs(par, *pieces):
    """Add runs: each piece is text or (text, dict of bold/italic/size/color)."""
    for p in pieces:
        text, fmt = (p, {}) if isinstance(p, str) else p
        r = par.add_run(text)
        r.bold = fmt.get("bold")
        r.italic = fmt.get("italic")
        if "size" in fmt:
            r.font.size = Pt(fmt["size"])
    return par


def proof_err(par, kind="spellStart", before=None):
    """A w:proofErr mark, appended or inserted before a run."""
    e = OxmlElement("w:proofErr")
    e.set(qn("w:type"), kind)
    if before is not None:
        before._r.addprevious(e)
    else:
        par._p.append(e)
    return e


def bookmark(par, name, ident, before):
    s = OxmlElement("w:bookmarkStart")
    s.set(qn("w:id"), str(ident))
    s.set(qn("w:name"), name)
    e = OxmlElement("w:bookmarkEnd")
    e.set(qn("w:id"), str(ident))
    before._r.addprevious(s)
    before._r.addprevious(e)


def set_cell(cell, *pieces):
    par = cell.paragraphs[0]
    for r in list(par.runs):
        r._r.getparent().remove(r._r)
    runs(par, *pieces)
    return par


# ---- DOCX ----------------------------------------------------------------------------

def form_docx(path):
    """A one-page form: tags split across runs, curly quotes, proofing marks,
    bookmarks, an inline loop over runs, a header and a footer."""
    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "{{ community.name }}（页眉）"
    runs(doc.sections[0].footer.paragraphs[0], "第", ("{{ issue", {"bold": True}), " }}期")
    # 1: {{ community.name }} split into "{", "{ commu", "nity.name }}"
    p = doc.add_paragraph()
    runs(p, "社区：", ("{", {"bold": True}), ("{ commu", {"italic": True}), ("nity.name }}", {}))
    # 2: proofing marks and a bookmark between the pieces
    p = doc.add_paragraph()
    runs(p, "人口：")
    a = p.add_run("{{ community.pop")
    b = p.add_run("ulation }}")
    c = p.add_run("人")
    proof_err(p, "spellStart", before=b)
    proof_err(p, "spellEnd", before=c)
    bookmark(p, "pop", 1, before=b)
    # 3: Word's curly quotes inside a tag, split
    p = doc.add_paragraph()
    runs(p, "九月活动", ("{{ activities | where(“date”, “starts", {"bold": True}),
         ("with”, “2024-09”) | count }}", {}), "场")
    # 4: an inline loop over runs with their own formatting
    p = doc.add_paragraph()
    runs(p, "活动：", ("{% for a in " + SEPT + " %}{{ a.title }}", {"bold": True}),
         ("{% if not loop.last %}、{% endif %}{% endfor %}", {"italic": True}), "。")
    # 5: a value with a newline, text that needs escaping
    p = doc.add_paragraph()
    runs(p, "问题：{{ problems | join(\"\\n\") }}")
    p = doc.add_paragraph()
    runs(p, "转义：{{ \"<a & b>\" }}")
    # 6: inline if/else and a filter chain
    p = doc.add_paragraph()
    runs(p, "{% if community.population > 10000 %}大社区{% else %}小社区{% endif %}，",
         "人口{{ community.population | cn }}")
    doc.save(path)
    return path


def table_docx(path):
    """Row loops: a header row, a totals row, a merged title row, marker rows,
    and a grouped table whose first column merges vertically per group."""
    doc = Document()
    doc.add_paragraph("活动台账")
    t = doc.add_table(rows=5, cols=4)
    t.style = "Table Grid"
    for i, h in enumerate(["序号", "日期", "活动", "人次"]):
        set_cell(t.cell(0, i), (h, {"bold": True}))
    m = t.cell(1, 0).merge(t.cell(1, 3))  # marker row: one cell over all columns
    set_cell(m, "{%tr for a in " + SEPT + " %}")
    set_cell(t.cell(2, 0), "{{ loop.index }}")
    set_cell(t.cell(2, 1), "{{ a.date | date(\"M月D日\") }}")
    set_cell(t.cell(2, 2), ("{{ a.", {"bold": True}), "title }}")
    set_cell(t.cell(2, 3), "{{ a.participants }}")
    set_cell(t.cell(3, 0), "{%tr endfor %}")
    tot = t.cell(4, 0).merge(t.cell(4, 2))
    set_cell(tot, "合计")
    set_cell(t.cell(4, 3), "{{ " + SEPT + " | sum(\"participants\") }}")

    doc.add_paragraph("分类统计")
    g = doc.add_table(rows=5, cols=3)
    g.style = "Table Grid"
    for i, h in enumerate(["类别", "活动", "人次"]):
        set_cell(g.cell(0, i), h)
    set_cell(g.cell(1, 0), "{%tr for grp in " + SEPT + " | groupby(\"category\") %}")
    # the body row's first cell is merged down into the inner endfor row:
    # it spans every row the inner loop makes
    set_cell(g.cell(2, 1), "{{ i.title }}")
    set_cell(g.cell(2, 2), "{{ i.participants }}")
    set_cell(g.cell(3, 1), "{%tr endfor %}")
    set_cell(g.cell(4, 0), "{%tr endfor %}")
    merged = g.cell(2, 0).merge(g.cell(3, 0))
    set_cell(merged, "{{ grp.key }}")
    # the inner loop's for row goes before the body row
    inner = copy.deepcopy(g.rows[1]._tr)
    g.rows[1]._tr.addnext(inner)
    from docx.table import _Row
    r = _Row(inner, g)
    set_cell(r.cells[0], "{%tr for i in grp.items %}")
    doc.save(path)
    return path


def blocks_docx(path):
    """Paragraph blocks: a loop over paragraphs holding a table, with a
    nested if/else and an empty list's else."""
    doc = Document()
    doc.add_paragraph("{{ community.name }}九月活动")
    doc.add_paragraph("{%p for a in " + SEPT + " %}")
    runs(doc.add_paragraph(), ("{{ loop.index }}. ", {"bold": True}), "{{ a.title }}")
    doc.add_paragraph("{%p if a.highlight %}")
    doc.add_paragraph("（重点活动）")
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("（一般活动）")
    doc.add_paragraph("{%p endif %}")
    photo = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "samples", "photos", "0920.png")
    doc.add_picture(photo, width=Pt(60))  # repeated: its drawing id must not be
    t = doc.add_table(rows=2, cols=2)
    t.style = "Table Grid"
    set_cell(t.cell(0, 0), "地点")
    set_cell(t.cell(0, 1), "{{ a.location }}")
    set_cell(t.cell(1, 0), "人次")
    set_cell(t.cell(1, 1), "{{ a.participants }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p for x in nothing %}")
    doc.add_paragraph("不应出现")
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("没有其他活动。")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p set n = community.households %}")
    doc.add_paragraph("户数{{ n }}")
    doc.save(path)
    return path


WNS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
       'xmlns:v="urn:schemas-microsoft-com:vml"')


def parts_docx(path):
    """Tags in a hyperlink (split), a tracked insertion, a text box, a
    footnote; trimming, an escaped brace and a comment."""
    from docx.oxml import parse_xml
    d = Document()
    p = d.add_paragraph("链接：")
    p._p.append(parse_xml(
        f'<w:hyperlink {WNS} w:anchor="x"><w:r><w:rPr><w:u w:val="single"/></w:rPr>'
        '<w:t>{{ commu</w:t></w:r><w:r><w:t>nity.name }}</w:t></w:r></w:hyperlink>'))
    p = d.add_paragraph()
    p._p.append(parse_xml(f'<w:ins {WNS} w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z">'
                          '<w:r><w:t>插入{{ community.street }}</w:t></w:r></w:ins>'))
    p._p.append(parse_xml(f'<w:del {WNS} w:id="2" w:author="a" w:date="2024-01-01T00:00:00Z">'
                          '<w:r><w:delText>删除{{ x }}</w:delText></w:r></w:del>'))
    p = d.add_paragraph("外：{{ community.district }}")
    p._p.append(parse_xml(
        f'<w:r {WNS}><w:pict><v:shape style="width:100pt;height:30pt"><v:textbox><w:txbxContent>'
        '<w:p><w:r><w:t>框：{{ community.city }}</w:t></w:r></w:p></w:txbxContent></v:textbox>'
        '</v:shape></w:pict></w:r>'))
    p = d.add_paragraph()
    p.add_run("A   {{- community.grids -}}   B")._r.find(qn("w:t")).set(
        "{http://www.w3.org/XML/1998/namespace}space", "preserve")
    d.add_paragraph("字面：\\{{ 不是标签 }}")
    p = d.add_paragraph("{# 注释 #}正文")
    p._p.append(parse_xml(f'<w:r {WNS}><w:footnoteReference w:id="1"/></w:r>'))
    d.save(path)
    # a footnotes part, its relationship and content type
    footnotes = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {WNS}>'
                 '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
                 '</w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>脚注：{{ community.province }}'
                 '</w:t></w:r></w:p></w:footnote></w:footnotes>')
    src = open(path, "rb").read()
    zin = zipfile.ZipFile(io.BytesIO(src))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            data = zin.read(i.filename)
            if i.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdFn" Type="http://'
                                    b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                    b'footnotes" Target="footnotes.xml"/></Relationships>')
            if i.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.'
                                    b'wordprocessingml.footnotes+xml"/></Types>')
            z.writestr(i, data)
        z.writestr(zipfile.ZipInfo("word/footnotes.xml", (2024, 9, 1, 0, 0, 0)), footnotes)
    return path


def simple_docx(path, *paragraphs):
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.save(path)
    return path


# ---- XLSX ------------------------------------------------------------------------------

def stats_xlsx(path):
    """A title merged over the columns, a header, a {%tr for %} block, a SUM
    below it, an autofilter, a print area and print titles, a formula per
    row, a running total and a note below the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.workbook.defined_name import DefinedName

    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws["A1"] = "{{ community.name }}九月活动统计"
    ws["A1"].font = Font(bold=True, size=16)
    ws.merge_cells("A1:E1")
    for col, h in zip("ABCDE", ["日期", "活动", "人次", "折算", "累计"]):
        ws[f"{col}2"] = h
        ws[f"{col}2"].font = Font(bold=True)
    ws["A3"] = "{%tr for a in " + SEPT + " %}"
    ws["A4"] = "{{ a.date }}"
    ws["B4"] = "{{ a.title }}"
    ws["C4"] = "{{ a.participants }}"
    ws["C4"].number_format = "#,##0"
    ws["C4"].font = Font(color="FF0000")
    ws["D4"] = "=C4*2"
    ws["E4"] = "=SUM(C$4:C4)"
    ws["A5"] = "{%tr endfor %}"
    ws["A6"] = "合计"
    ws["C6"] = "=SUM(C3:C5)"
    ws["D6"] = "=SUM(D4:D4)"
    ws["A8"] = "填表：{{ briefing.issuer }}"
    ws["B8"] = "=C6"
    ws.auto_filter.ref = "A2:E5"
    ws.print_area = "A1:E8"
    ws.print_title_rows = "2:2"
    ws2 = wb.create_sheet("汇总")
    ws2["A1"] = "总人次"
    ws2["B1"] = "='台账'!C6"
    ws2["A2"] = "明细"
    ws2["B2"] = "=SUM('台账'!C4:C4)"
    wb.defined_names.append(DefinedName("合计人次", attr_text="'台账'!$C$6"))
    wb.save(path)
    return path


def typed_xlsx(path):
    """Cells that are exactly one value keep its type; mixed text is text."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = "{{ community.population }}"
    ws["A2"] = "人口{{ community.population }}人"
    ws["A3"] = "{{ community.name }}"
    ws["A4"] = "{{ community.missing }}"
    ws["A5"] = "{{ community.area_km2 }}"
    ws["A6"] = "{{ 1 > 0 }}"
    ws["A7"] = "{{ \"2024-09-30\" | date(\"YYYY年M月D日\") }}"
    ws["A8"] = "{% for g in community.ethnic_groups %}{{ g.name }}{% if not loop.last %}、{% endif %}{% endfor %}"
    ws["A9"] = "plain text, no tags"
    ws["A10"] = 42
    wb.save(path)
    return path


def objects_xlsx(path):
    """A block under a table (ListObject), a chart over its column, a
    conditional format, a data validation, a hyperlink, a page break and a
    note row below: everything that refers to rows."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.pagebreak import Break
    from openpyxl.worksheet.table import Table

    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "标题"
    ws["A2"], ws["B2"] = "活动", "人次"
    ws["A3"] = "{%tr for a in activities | limit(5) %}"
    ws["A4"], ws["B4"] = "{{ a.title }}", "{{ a.participants }}"
    ws["A5"] = "{%tr endfor %}"
    ws["A6"], ws["B6"] = "合计", "=SUM(B4:B4)"
    ws["A8"] = "备注"
    ws.add_table(Table(displayName="T1", ref="A2:B5"))
    ch = BarChart()
    ch.add_data(Reference(ws, min_col=2, min_row=2, max_row=5), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=4, max_row=4))
    ws.add_chart(ch, "D8")
    ws.conditional_formatting.add("B4", FormulaRule(formula=["$B4>100"],
                                                    fill=PatternFill("solid", start_color="FFFF00")))
    dv = DataValidation(type="whole", operator="greaterThan", formula1="0")
    ws.add_data_validation(dv)
    dv.add("B4")
    ws["A4"].hyperlink = "https://example.com"
    ws.row_breaks.append(Break(id=6))
    wb.save(path)
    return path


def simple_xlsx(path, cells):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    for k, v in cells.items():
        ws[k] = v
    wb.save(path)
    return path


ALL = {
    "form.docx": form_docx,
    "table.docx": table_docx,
    "blocks.docx": blocks_docx,
    "parts.docx": parts_docx,
    "stats.xlsx": stats_xlsx,
    "typed.xlsx": typed_xlsx,
    "objects.xlsx": objects_xlsx,
}


# templates that must fail (tests/memcheck.sh runs them too)
BAD = {
    "bad-filter.docx": lambda p: simple_docx(p, "x", "{{ community.name | nope }}"),
    "bad-block.docx": lambda p: simple_docx(p, "{%p for a in activities %}", "{{ a.title }}"),
    "bad-eval.xlsx": lambda p: simple_xlsx(p, {"A1": "{%tr for a in activities %}",
                                               "A2": "{{ a.title - 2 }}", "A3": "{%tr endfor %}"}),
}


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for name, fn in list(ALL.items()) + list(BAD.items()):
        print(fn(os.path.join(outdir, name)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
