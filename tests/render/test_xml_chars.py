"""Every class of code point, in every place text can go, in every format
(issue 10 item 6).

XML 1.0 forbids C0 controls other than tab, LF and CR, U+FFFE and U+FFFF and
anything that is not UTF-8; the library drops the controls (and DEL and the
C1 controls U+007F–U+009F, which no document means to show) and writes
U+FFFD for the rest, in every part of every format. The test feeds each
class through the community name (masthead, title, document properties),
headings, paragraphs, lists, table cells and captions (XLSX sheet names),
chart labels and image captions, then parses every XML part of the DOCX and
XLSX with an XML parser, opens them with python-docx and openpyxl, checks
the PDF with qpdf --check and reads its text and info back.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the repository).
"""
import json
import os
import shutil
import subprocess
import xml.dom.minidom
import zipfile

import docx
import openpyxl
import pytest

SRC = os.environ.get("LEXP_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEXPORT = os.environ.get("LEXPORT") or os.path.join(SRC, "build", "lexport")
SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
MONTH = "2024-09"

# code point classes: (name, character, what a reader must find instead)
DROPPED = [("nul-ish U+0001", "\x01"), ("backspace", "\x08"), ("vertical tab", "\x0b"),
           ("form feed", "\x0c"), ("U+001F", "\x1f"), ("DEL", "\x7f"), ("U+0080", "\x80"),
           ("NEL U+0085", "\x85"), ("U+009F", "\x9f")]
REPLACED = [("U+FFFE", "\ufffe"), ("U+FFFF", "\uffff")]
KEPT = [("amp", "&"), ("lt", "<"), ("gt", ">"), ("quote", '"'), ("apos", "'"),
        ("U+00A0", "\u00a0"), ("U+2028", "\u2028"), ("U+FFFD", "\ufffd"),
        ("astral U+20BB7", "\U00020bb7"), ("emoji", "\U0001F600"), ("U+E000", "\ue000")]
ALL = DROPPED + REPLACED + KEPT


def mixed(tag):
    """A string holding every class between Han characters."""
    return "社" + tag + "".join(c + "区" for _, c in ALL) + "完"


def expected(tag):
    out = "社" + tag
    for _, c in ALL:
        if any(c == d for _, d in DROPPED):
            pass
        elif any(c == r for _, r in REPLACED):
            out += "\ufffd"
        else:
            out += c
        out += "区"
    return out + "完"


TEMPLATE = """---
preset: plain
title: "{{ community.name }}"
subtitle: "{{ community.street }}"
author: "{{ briefing.issuer }}"
subject: "{{ community.district }}"
keywords: "{{ community.city }}"
show_title: true
---
# {{ community.name }}
{{ community.street }}段落

- {{ community.city }}
1. {{ community.district }}

| {{ community.name }} | 数 |
|---|---:|
{% for a in activities %}
| {{ a.title }} | {{ a.participants }} |
{% endfor %}
| 合计 | {{ activities | sum("participants") }} |
Table: {{ community.name }}

::: chart bar data=activities | groupby("category") value="participants" title=community.name series=community.city
:::

![{{ community.name }}](photo.png)

::: signature
issuer: {{ briefing.issuer }}
:::
"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xmlchars")
    d = json.load(open(SAMPLE, encoding="utf-8"))
    d["community"]["name"] = mixed("名")
    d["community"]["street"] = mixed("街")
    d["community"]["district"] = mixed("区")
    d["community"]["city"] = mixed("市")
    d["briefing"]["issuer"] = mixed("编")
    d["briefing"]["title"] = mixed("题")
    d["briefing"]["report_to"] = [mixed("报")]
    d["problems"] = [mixed("问")]
    for i, a in enumerate(d["activities"]):
        a["title"] = mixed("活%d" % i)
        a["category"] = mixed("类%d" % (i % 3))
        a.pop("photos", None)
    data = tmp / "data.json"
    data.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    shutil.copy(os.path.join(SRC, "samples", "photos", "0920.png"), tmp / "photo.png")
    tpl = tmp / "t.lxt"
    tpl.write_text(TEMPLATE, encoding="utf-8")
    out = {}
    for fmt in ("pdf", "docx", "xlsx", "txt", "tree"):
        p = tmp / ("render." + fmt)
        r = subprocess.run([LEXPORT, "render", str(tpl), str(data), "-o", str(p), "-f", fmt,
                            "--month", MONTH], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        out["render", fmt] = p
    r = subprocess.run([LEXPORT, "brief", str(data), "--month", MONTH, "-o", str(tmp / "b")],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    for fmt in ("pdf", "docx", "xlsx"):
        out["brief", fmt] = tmp / "b" / ("briefing-%s.%s" % (MONTH, fmt))
    return out


def xml_parts(path):
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            if n.endswith(".xml") or n.endswith(".rels"):
                yield n, z.read(n)


@pytest.mark.parametrize("kind", ["render", "brief"])
@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_every_part_is_well_formed(outputs, kind, fmt):
    parts = list(xml_parts(outputs[kind, fmt]))
    assert any(n == "docProps/core.xml" for n, _ in parts)
    for name, raw in parts:
        try:
            xml.dom.minidom.parseString(raw)  # expat: XML 1.0, strict about characters
        except Exception as e:  # noqa: BLE001 - the message names the part
            pytest.fail("%s of %s is not well-formed: %s" % (name, fmt, e))
        text = raw.decode("utf-8")
        for what, c in DROPPED + REPLACED:
            assert c not in text, "%s left in %s" % (what, name)


def test_docx_text_and_properties(outputs):
    d = docx.Document(str(outputs["render", "docx"]))
    body = "\n".join(p.text for p in d.paragraphs)
    cells = "\n".join(c.text for t in d.tables for row in t.rows for c in row.cells)
    assert expected("街") + "段落" in body
    assert expected("名") in cells
    assert d.core_properties.title == expected("名")
    assert d.core_properties.author == expected("编")
    assert d.core_properties.keywords == expected("市")
    b = docx.Document(str(outputs["brief", "docx"]))
    assert any(expected("题") in p.text for p in b.paragraphs)


def test_xlsx_cells_sheets_and_properties(outputs):
    wb = openpyxl.load_workbook(str(outputs["render", "xlsx"]))
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert expected("名") in values
    assert expected("活0") in values
    assert wb.properties.title == expected("名")
    assert wb.properties.creator == expected("编")
    assert wb.properties.subject == expected("区")
    for ws in wb.worksheets:
        for what, c in DROPPED + REPLACED:
            assert c not in ws.title, what
    b = openpyxl.load_workbook(str(outputs["brief", "xlsx"]))
    assert b.properties.title and "\x01" not in b.properties.title


@pytest.mark.parametrize("kind", ["render", "brief"])
def test_pdf_is_valid_and_clean(outputs, kind):
    p = str(outputs[kind, "pdf"])
    r = subprocess.run(["qpdf", "--check", p], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", p], capture_output=True,
                          text=True).stdout
    title = [ln for ln in info.split("\n") if ln.startswith("Title:")]
    assert title, info
    for what, c in DROPPED + REPLACED:
        assert c not in info, "%s in the PDF info" % what
    if kind == "render":
        assert expected("名") in title[0]
    text = subprocess.run(["pdftotext", "-nopgbrk", "-enc", "UTF-8", p, "-"], capture_output=True,
                          text=True).stdout
    for what, c in DROPPED + REPLACED:
        assert c not in text, "%s in the PDF text" % what
    assert ("社街" if kind == "render" else "社编") in text


@pytest.mark.parametrize("fmt", ["txt", "tree"])
def test_text_formats_clean(outputs, fmt):
    text = outputs["render", fmt].read_bytes().decode("utf-8")
    for what, c in DROPPED + REPLACED:
        assert c not in text, what
    if fmt == "tree":
        xml.dom.minidom.parseString(text.encode("utf-8"))
