"""Writes the seed corpus of fuzz_office (tests/fuzz/corpus/office/).

Seeds are small: a mode byte (see fuzz_office.c) and either the XML of a
main part or a whole minimal package, zipped with fixed timestamps so the
seeds are reproducible. Run: python3 tests/fuzz/make_office_corpus.py
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "office")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"


def p(*runs):
    return "<w:p>" + "".join(f'<w:r><w:t xml:space="preserve">{t}</w:t></w:r>' for t in runs) + "</w:p>"


def doc(body):
    return f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>{body}<w:sectPr/></w:body></w:document>'


def row(r, *cells):
    out = f'<row r="{r}">'
    for col, text in cells:
        if text.startswith("="):
            out += f'<c r="{col}{r}"><f>{text[1:]}</f><v>0</v></c>'
        else:
            out += f'<c r="{col}{r}" t="inlineStr"><is><t>{text}</t></is></c>'
    return out + "</row>"


def sheet(rows, after=""):
    return f'<?xml version="1.0"?><worksheet xmlns="{S}"><dimension ref="A1"/><sheetData>{rows}</sheetData>{after}</worksheet>'


def tc(text, vmerge=None):
    vm = "" if vmerge is None else (f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "<w:vMerge/>")
    return f"<w:tc><w:tcPr>{vm}</w:tcPr>{p(text)}</w:tc>"


DOCS = {
    "split": doc("<w:p><w:r><w:t>{</w:t></w:r><w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:b/>"
                 "</w:rPr><w:t>{ community.na</w:t></w:r><w:r><w:t>me }}</w:t></w:r></w:p>"),
    "inline": doc(p("{% for a in activities %}{{ a.title }}", "{% if not loop.last %}、{% endif %}{% endfor %}")),
    "pblocks": doc(p("{%p for a in activities %}") + p("{{ loop.index }} {{ a.title }}") + p("{%p if a.participants > 10 %}") +
                   p("多") + p("{%p else %}") + p("少") + p("{%p endif %}") + p("{%p endfor %}")),
    "rows": doc("<w:tbl><w:tr>" + tc("{%tr for g in activities | groupby(\"category\") %}") + "</w:tr><w:tr>" +
                tc("{%tr for a in g.items %}") + "</w:tr><w:tr>" + tc("{{ g.key }}", "restart") + tc("{{ a.title }}") +
                "</w:tr><w:tr>" + tc("", "") + tc("{%tr endfor %}") + "</w:tr><w:tr>" + tc("{%tr endfor %}") +
                "</w:tr></w:tbl>" + p("end")),
    "quotes": doc(p("{{ activities | where(“date”, “startswith”, “2024-09”) | count }}")),
    "errors": doc(p("{{ x | nope }}") + p("{%p endfor %}") + p("{{ unclosed")),
}
SHEETS = {
    "block": sheet(row(1, ("A", "{{ community.name }}")) + row(2, ("A", "{%tr for a in activities %}")) +
                   row(3, ("A", "{{ a.title }}"), ("B", "{{ a.participants }}"), ("C", "=B3*2"), ("D", "=SUM(B$3:B3)")) +
                   row(4, ("A", "{%tr endfor %}")) + row(6, ("B", "=SUM(B2:B4)"), ("C", "=Sheet1!B3+'S'!C3")),
                   '<mergeCells count="1"><mergeCell ref="A1:D1"/></mergeCells><autoFilter ref="A2:D4"/>'
                   '<conditionalFormatting sqref="B3"><cfRule type="expression" priority="1"><formula>$B3&gt;10</formula>'
                   '</cfRule></conditionalFormatting><rowBreaks count="1" manualBreakCount="1"><brk id="4" max="16383" man="1"/></rowBreaks>'),
    "typed": sheet(row(1, ("A", "{{ community.population }}"), ("B", "{{ community.tags }}"), ("C", "{{ 1 > 0 }}"))),
    "nested": sheet(row(1, ("A", "{%tr for a in activities %}")) + row(2, ("A", "{%tr if a.participants > 10 %}")) +
                    row(3, ("A", "{{ a.title }}")) + row(4, ("A", "{%tr endif %}")) + row(5, ("A", "{%tr endfor %}")) +
                    row(7, ("A", "=SUM(A1:A5)"))),
}


def pretty(xml):
    """Whitespace between elements, as LibreOffice and others write parts."""
    return xml.replace("><", ">\n  <")


def package(kind, main, indent=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name, data):
            if indent and not name.endswith("document.xml"):  # w:t text stays as it is
                data = pretty(data)
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        if kind == "docx":
            add("[Content_Types].xml", f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
            add("_rels/.rels", f'<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="{R}/officeDocument" Target="word/document.xml"/></Relationships>')
            add("word/document.xml", main)
        else:
            add("[Content_Types].xml", f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
            add("_rels/.rels", f'<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
            add("xl/workbook.xml", f'<workbook xmlns="{S}" xmlns:r="{R}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets><definedNames><definedName name="_xlnm.Print_Area" localSheetId="0">S!$A$1:$D$6</definedName></definedNames></workbook>')
            add("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PR}"><Relationship Id="rId1" Type="{R}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
            add("xl/worksheets/sheet1.xml", main)
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, xml in DOCS.items():
        open(os.path.join(OUT, f"docx_{name}"), "wb").write(b"\x02" + xml.encode())
    for name, xml in SHEETS.items():
        open(os.path.join(OUT, f"xlsx_{name}"), "wb").write(b"\x03" + xml.encode())
    open(os.path.join(OUT, "pkg_docx"), "wb").write(b"\x00" + package("docx", DOCS["rows"]))
    open(os.path.join(OUT, "pkg_xlsx"), "wb").write(b"\x01" + package("xlsx", SHEETS["block"]))
    open(os.path.join(OUT, "pkg_docx_indented"), "wb").write(
        b"\x00" + package("docx", DOCS["pblocks"], indent=True))
    open(os.path.join(OUT, "pkg_xlsx_indented"), "wb").write(
        b"\x01" + package("xlsx", SHEETS["nested"], indent=True))


if __name__ == "__main__":
    main()
