"""Rich text from JSON in Word templates: {{r x}} with runs, {{p x}} with
paragraphs, links (templates/README.md, "Rich text").

Templates are built the three ways test_fill_docxtpl.py builds them (python-docx's
Word layout, WPS's rewrite, LibreOffice's re-save) where the producer matters:
where the tag's run is and what formatting it carries. Results are read back with
python-docx and lxml, and one is converted by LibreOffice.

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill_rich.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
docx = pytest.importorskip("docx")
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_UNDERLINE  # noqa: E402
from docx.shared import Pt  # noqa: E402
from lxml import etree  # noqa: E402

from test_fill_docxtpl import LEXPORT, PRODUCERS, build, fill, lo_dir, lx  # noqa: E402,F401

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}


def q(tag):
    return "{%s}%s" % (W, tag)


def tpl_runs(*paras, header=None, footer=None):
    """Each paragraph is a list of (text, {bold, italic, size}) runs or a string."""
    def make(path):
        d = docx.Document()
        for p in paras:
            par = d.add_paragraph()
            for piece in ([p] if isinstance(p, str) else p):
                text, fmt = (piece, {}) if isinstance(piece, str) else piece
                r = par.add_run(text)
                r.bold = fmt.get("bold")
                r.italic = fmt.get("italic")
                if "size" in fmt:
                    r.font.size = Pt(fmt["size"])
        if header is not None:
            d.sections[0].header.paragraphs[0].text = header
        if footer is not None:
            d.sections[0].footer.paragraphs[0].text = footer
        d.save(path)
        return path
    return make


def body_runs(out):
    """(text, python-docx Run, w:r element) of each body run with text, links' too."""
    d = docx.Document(str(out))
    res = []
    for r in d.element.body.iter(q("r")):
        t = "".join(x.text or "" for x in r.iter(q("t")))
        if t:
            res.append((t, docx.text.run.Run(r, d.paragraphs[0])))
    return d, res


def the(runs, text):
    got = [r for t, r in runs if t == text]
    assert len(got) == 1, (text, [t for t, _ in runs])
    return got[0]


def rpr(run, child):
    return run._r.find("w:rPr/w:" + child, NS)


def attr(el, name):
    return el.get(q(name)) if el is not None else None


# ---- {{r x}} -------------------------------------------------------------------

@pytest.mark.parametrize("producer", PRODUCERS)
def test_runs_take_their_keys_over_the_tag_runs_formatting(producer, tmp_path, lo_dir):
    tpl = build(tpl_runs([("开头", {}), ("前{{r a}}后", {"bold": True, "size": 11})]),
                producer, tmp_path, lo_dir)
    a = ["纯文本", 42,
         {"text": "斜体", "italic": True},
         {"text": "不加粗", "bold": False},
         {"text": "双下划线", "underline": "double"},
         {"text": "删除线", "strike": True},
         {"text": "红色", "color": "#ff0000"},
         {"text": "自动色", "color": "auto", "italic": None},
         {"text": "黄底", "highlight": "yellow"},
         {"text": "灰底", "highlight": "D9D9D9"},
         {"text": "楷体", "font": "楷体"},
         {"text": "中文宋体", "east_asia_font": "宋体"},
         {"text": "三号", "size": 16},
         {"text": "小四", "size": "小四"},
         {"text": "五号", "size": 10.5},
         {"text": "上标", "superscript": True},
         {"text": "下标", "subscript": True},
         [{"text": "嵌套", "bold": True}, ["更深"]]]
    _, out = fill(tpl, {"a": a}, tmp_path)
    d, runs = body_runs(out)
    assert d.paragraphs[0].text == "开头前纯文本42斜体不加粗双下划线删除线红色自动色黄底灰底楷体中文宋体三号小四五号上标下标嵌套更深后"
    tag_bold = producer != "wps"   # WPS's rewrite gives every run its own rPr (a font hint)
    for t in ("纯文本", "42", "斜体", "更深"):
        assert the(runs, t).bold is (True if tag_bold else None), t
    assert the(runs, "斜体").italic is True
    assert the(runs, "不加粗").bold is False
    assert the(runs, "双下划线").underline == WD_UNDERLINE.DOUBLE
    assert the(runs, "删除线").font.strike is True
    assert str(the(runs, "红色").font.color.rgb) == "FF0000"
    assert attr(rpr(the(runs, "自动色"), "color"), "val") == "auto"
    assert rpr(the(runs, "自动色"), "i") is None      # null: as if absent
    assert attr(rpr(the(runs, "黄底"), "highlight"), "val") == "yellow"
    shd = rpr(the(runs, "灰底"), "shd")
    assert attr(shd, "fill") == "D9D9D9" and attr(shd, "val") == "clear"
    f = rpr(the(runs, "楷体"), "rFonts")
    assert [attr(f, k) for k in ("ascii", "hAnsi", "eastAsia", "cs")] == ["楷体"] * 4
    f = rpr(the(runs, "中文宋体"), "rFonts")
    assert attr(f, "eastAsia") == "宋体" and attr(f, "ascii") is None
    if producer == "wps":   # the tag run's script hint stays beside the names
        assert attr(f, "hint") == "default"
    assert the(runs, "三号").font.size == Pt(16)
    assert the(runs, "小四").font.size == Pt(12)
    assert attr(rpr(the(runs, "五号"), "sz"), "val") == "21"
    assert the(runs, "五号").font.size == Pt(10.5)
    if tag_bold:
        assert the(runs, "斜体").font.size == Pt(11)   # the template's size stays
    assert the(runs, "上标").font.superscript is True
    assert the(runs, "下标").font.subscript is True
    # rPr children in the schema's order (Word refuses others)
    order = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "strike", "color", "sz", "szCs",
             "highlight", "u", "shd", "vertAlign", "lang"]
    for _, r in runs:
        pr = r._r.find("w:rPr", NS)
        names = [etree.QName(c).localname for c in pr] if pr is not None else []
        known = [n for n in names if n in order]
        assert known == sorted(known, key=order.index), names


@pytest.mark.parametrize("producer", PRODUCERS)
def test_breaks_tabs_new_paragraphs_and_page_breaks_in_runs(producer, tmp_path, lo_dir):
    tpl = build(tpl_runs("甲{{r a}}乙"), producer, tmp_path, lo_dir)
    a = [{"text": "一\n二\t三", "color": "0000FF"}, "\u0007新段", {"text": "\f分页后", "italic": True}]
    _, out = fill(tpl, {"a": a}, tmp_path)
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts == ["甲一\n二\t三", "新段", "\n", "分页后乙"]   # python-docx: w:br is \n
    assert d.paragraphs[2]._p.find(".//w:br", NS).get(q("type")) == "page"
    r = [r for r in d.paragraphs[3].runs if r.text == "分页后"][0]
    assert r.italic is True   # the run goes on in the new paragraph with its formatting


@pytest.mark.parametrize("producer", PRODUCERS)
def test_run_level_statements_with_rich_values(producer, tmp_path, lo_dir):
    tpl = build(tpl_runs("名单：{%r for p in people %}{{r p.name}}{%r if not loop.last %}、"
                         "{%r endif %}{%r endfor %}。{%r if boss %}负责人：{{r boss}}{%r endif %}"),
                producer, tmp_path, lo_dir)
    data = {"people": [{"name": {"text": "张三", "bold": True}}, {"name": "李四"},
                       {"name": [{"text": "王", "color": "FF0000"}, "五"]}],
            "boss": {"text": "赵六", "underline": True}}
    _, out = fill(tpl, data, tmp_path)
    d, runs = body_runs(out)
    assert d.paragraphs[0].text == "名单：张三、李四、王五。负责人：赵六"
    assert the(runs, "张三").bold is True
    assert str(the(runs, "王").font.color.rgb) == "FF0000"
    assert the(runs, "赵六").underline is True
    _, out = fill(tpl, {"people": [], "boss": None}, tmp_path)
    assert docx.Document(str(out)).paragraphs[0].text == "名单：。"


def test_a_paragraph_style_named_for_a_run_means_its_linked_character_style(tmp_path):
    tpl = tpl_runs("{{r a}}")(str(tmp_path / "t.docx"))
    _, out = fill(tpl, {"a": [{"text": "标题样", "style": "Heading 1"},
                              {"text": "强调", "style": "strong"}]}, tmp_path)
    _, runs = body_runs(out)
    assert the(runs, "标题样").style.style_id == "Heading1Char"
    assert the(runs, "强调").style.style_id == "Strong"   # names ignore ASCII case


def test_a_plain_tag_printing_rich_text_warns_once(tmp_path):
    tpl = tpl_runs("{{ a }}", "{{ a }}", "{{ b }}")(str(tmp_path / "t.docx"))
    r, out = fill(tpl, {"a": [{"text": "粗", "bold": True}], "b": {"k": 1}}, tmp_path)
    assert r.stderr.count("warning") == 1, r.stderr
    assert "paragraph 1: a rich-text value" in r.stderr and "write {{r x}}" in r.stderr
    # it prints as before (docxtpl's Python form)
    assert docx.Document(str(out)).paragraphs[0].text == "[{'text': '粗', 'bold': True}]"
    r, _ = fill(tpl, {"a": ["甲"], "b": {"k": 1}}, tmp_path)
    assert r.stderr == ""


def test_plain_values_in_r_and_p_fill_as_before(tmp_path):
    tpl = tpl_runs([("值：{{r a}}；", {"bold": True})], "段：{{p b}}")(str(tmp_path / "t.docx"))
    _, out = fill(tpl, {"a": 3.5, "b": "文字"}, tmp_path)
    d = docx.Document(str(out))
    assert [p.text for p in d.paragraphs] == ["值：3.5；", "段：文字"]
    assert all(r.bold for r in d.paragraphs[0].runs)


# ---- links ---------------------------------------------------------------------

def rels_of(out, part):
    z = zipfile.ZipFile(str(out))
    d, f = part.rsplit("/", 1)
    root = etree.fromstring(z.read("%s/_rels/%s.rels" % (d, f)))
    return {r.get("Id"): r for r in root}


@pytest.mark.parametrize("producer", ["word", "wps"])
def test_links_in_body_header_and_footer(producer, tmp_path, lo_dir):
    tpl = build(tpl_runs("见{{r a}}与{{r b}}", header="页眉{{r a}}", footer="页脚{{r c}}"),
                producer, tmp_path, lo_dir)
    data = {"a": {"text": "官网", "link": "https://example.org/a?x=1&y=2"},
            "b": [{"text": "同一网址", "link": "https://example.org/a?x=1&y=2", "color": "00AA00"},
                  {"text": "书签", "link": "#_Toc1"}],
            "c": {"text": "邮件", "link": "mailto:a@example.org", "underline": False}}
    _, out = fill(tpl, data, tmp_path)
    d = docx.Document(str(out))   # python-docx resolves every r:id
    z = zipfile.ZipFile(str(out))
    parts = {"word/document.xml": 2, "word/header1.xml": 1, "word/footer1.xml": 1}
    for part, nlinks in parts.items():
        root = etree.fromstring(z.read(part))
        links = root.findall(".//w:hyperlink", NS)
        ext = [h for h in links if h.get("{%s}id" % R)]
        rels = rels_of(out, part)
        ids = [h.get("{%s}id" % R) for h in ext]
        # one relationship per distinct URL, its id unique in the part's .rels
        assert len(set(ids)) == 1 and len(ext) == nlinks, part
        assert len(rels) == len(set(rels))
        rel = rels[ids[0]]
        assert rel.get("TargetMode") == "External"
        assert rel.get("Type") == R + "/hyperlink"
    body = etree.fromstring(z.read("word/document.xml"))
    assert rels_of(out, "word/document.xml")[
        body.find(".//w:hyperlink", NS).get("{%s}id" % R)].get("Target") == \
        "https://example.org/a?x=1&y=2"
    anchor = [h for h in body.findall(".//w:hyperlink", NS) if h.get(q("anchor"))]
    assert [h.get(q("anchor")) for h in anchor] == ["_Toc1"]
    _, runs = body_runs(out)
    # a link looks like one (Word's Hyperlink colours) unless the run says otherwise
    assert str(the(runs, "官网").font.color.rgb) == "0563C1"
    assert the(runs, "官网").underline is True
    assert str(the(runs, "同一网址").font.color.rgb) == "00AA00"
    assert the(runs, "同一网址").underline is True     # its own colour, the default underline
    foot = etree.fromstring(z.read("word/footer1.xml"))
    u = foot.find(".//w:hyperlink/w:r/w:rPr/w:u", NS)
    assert u.get(q("val")) == "none"
    assert d.sections[0].footer.paragraphs[0].text.startswith("页脚")


def test_same_input_same_bytes(tmp_path):
    tpl = tpl_runs("{{r a}}", "{{p b}}", header="{{r a}}")(str(tmp_path / "t.docx"))
    data = {"a": [{"text": "甲", "link": "https://a.example"}, {"text": "乙", "link": "https://b.example"}],
            "b": [{"runs": [{"text": "丙", "link": "https://b.example"}], "align": "center"}]}
    _, o1 = fill(tpl, data, tmp_path)
    b1 = o1.read_bytes()
    _, o2 = fill(tpl, data, tmp_path)
    assert o2.read_bytes() == b1


def test_link_ids_avoid_the_parts_own(tmp_path):
    """A part whose .rels already uses rIdL1 gets ids that do not clash."""
    src = tpl_runs("{{r a}}")(str(tmp_path / "t0.docx"))
    tpl = str(tmp_path / "t.docx")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tpl, "w", zipfile.ZIP_DEFLATED) as z:
        for i in zin.infolist():
            data = zin.read(i.filename)
            if i.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>",
                                    b'<Relationship Id="rIdL1" Type="%s/hyperlink" '
                                    b'Target="https://old.example" TargetMode="External"/>'
                                    b"</Relationships>" % R.encode())
            z.writestr(i, data)
    _, out = fill(tpl, {"a": {"text": "新", "link": "https://new.example"}}, tmp_path)
    rels = rels_of(out, "word/document.xml")
    assert rels["rIdL1"].get("Target") == "https://old.example"
    body = etree.fromstring(zipfile.ZipFile(str(out)).read("word/document.xml"))
    rid = body.find(".//w:hyperlink", NS).get("{%s}id" % R)
    assert rid != "rIdL1" and rels[rid].get("Target") == "https://new.example"


# ---- {{p x}} ---------------------------------------------------------------------

@pytest.mark.parametrize("producer", PRODUCERS)
def test_paragraphs_replace_the_tag_paragraph(producer, tmp_path, lo_dir):
    def make(path):
        d = docx.Document()
        d.add_paragraph("前言")
        p = d.add_paragraph()
        p.paragraph_format.left_indent = Pt(24)
        r = p.add_run("{{p body}}")
        r.italic = True
        t = d.add_table(rows=1, cols=1)
        t.cell(0, 0).paragraphs[0].text = "{{p cell}}"
        d.add_paragraph("结尾")
        d.save(path)
        return path
    tpl = build(make, producer, tmp_path, lo_dir)
    body = ["第一段",
            [{"text": "粗", "bold": True}, "体"],
            {"runs": ["标题"], "style": "Heading 1", "align": "center"},
            {"runs": "两端", "align": "justify", "style": None},
            {"runs": "二级", "style": "标题 2"},
            {"text": "一个 run 也是一段", "color": "FF0000"},
            None]
    _, out = fill(tpl, {"body": body, "cell": [], }, tmp_path)
    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    assert texts == ["前言", "第一段", "粗体", "标题", "两端", "二级", "一个 run 也是一段", "结尾"]
    ps = d.paragraphs
    # no style given: the template paragraph's properties and the tag run's formatting
    assert ps[1].paragraph_format.left_indent == Pt(24)
    if producer != "wps":
        assert ps[1].runs[0].italic is True
    assert ps[2].runs[0].bold is True
    assert ps[3].style.style_id == "Heading1"        # a style by its name
    assert ps[3].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert ps[4].alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert ps[5].style.style_id == "Heading2"        # Word's Chinese name of a built-in
    assert str(ps[6].runs[0].font.color.rgb) == "FF0000"
    # an empty list leaves the cell with an empty paragraph, as Word needs
    cell = d.tables[0].cell(0, 0)
    assert [p.text for p in cell.paragraphs] == [""]


def test_paragraphs_keep_the_section_break(tmp_path):
    """A {{p }} paragraph that ends a section hands its page setup to the last
    paragraph it becomes."""
    def make(path):
        d = docx.Document()
        p = d.add_paragraph("{{p a}}")
        d.add_section()
        d.add_paragraph("后一节")
        # python-docx ends the section in a paragraph of its own: move its
        # sectPr into the tag's paragraph
        holder = p._p.getnext()
        p._p.get_or_add_pPr().append(holder.find("w:pPr/w:sectPr", NS))
        holder.getparent().remove(holder)
        d.save(path)
        return path
    tpl = make(str(tmp_path / "t.docx"))
    _, out = fill(tpl, {"a": ["一", "二"]}, tmp_path)
    d = docx.Document(str(out))
    assert [p.text for p in d.paragraphs] == ["一", "二", "后一节"]
    assert len(d.sections) == 2
    assert d.paragraphs[1]._p.find("w:pPr/w:sectPr", NS) is not None
    assert d.paragraphs[0]._p.find("w:pPr/w:sectPr", NS) is None


def test_libreoffice_converts_a_filled_rich_document(tmp_path):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed")
    tpl = tpl_runs("说明：{{r a}}", "{{p b}}", header="{{r a}}")(str(tmp_path / "t.docx"))
    data = {"a": [{"text": "红字", "color": "FF0000"}, {"text": "链接", "link": "https://example.org"},
                  {"text": "\f第二页", "size": 16}],
            "b": [{"runs": "居中标题", "style": "Title", "align": "center"}, "正文段落"]}
    _, out = fill(tpl, data, tmp_path)
    prof = "file://" + str(tmp_path / "profile")
    subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(out)], capture_output=True, timeout=180)
    pdf = tmp_path / "out.pdf"
    assert pdf.exists()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    for t in ("说明：红字链接", "第二页", "居中标题", "正文段落"):
        assert t in text, text
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+2", info), info


# ---- errors ------------------------------------------------------------------------

ERRORS = [
    ({"a": [{"bold": True}]}, r'a run object needs "text" \(at a\[0\] in \S*data\.json\)'),
    ({"a": [{"text": "x", "colour": "FF0000"}]}, r"unknown key 'colour' in a run; a run has text, bold"),
    ({"a": {"text": "x", "color": "red"}}, r"'color' is a hex colour .* \(at a\.color in"),
    ({"a": [{"text": "x", "size": 0}]}, r"'size' is in points, from 1 to 1638 .*\(at a\[0\]\.size"),
    ({"a": [{"text": "x", "size": 2000}]}, r"'size' is in points"),
    ({"a": [{"text": "x", "size": "大号"}]}, r"Chinese size name"),
    ({"a": [{"text": "x", "link": 5}]}, r"'link' is a URL .*\(at a\[0\]\.link"),
    ({"a": [{"text": "x", "link": "https://a b"}]}, r"write spaces as %20"),
    ({"a": [{"text": "x", "bold": "yes"}]}, r"'bold' of a run is true or false"),
    ({"a": [{"text": "x", "underline": "zigzag"}]}, r"'underline' is true, false or one of single"),
    ({"a": [{"text": "x", "highlight": "pink"}]}, r"'highlight' is a hex colour"),
    ({"a": [{"text": "x", "superscript": True, "subscript": True}]}, r"superscript or subscript"),
    ({"a": [{"text": "x", "style": "NoSuchStyle"}]}, r"no style 'NoSuchStyle' in this document; "
                                                     r"its character styles include"),
    ({"a": [{"text": "x", "style": "Normal"}]}, r"not a character style"),
    ({"a": [{"text": ["x"]}]}, r'"text" is a string or a number'),
    ({"a": [{"text": "x", "url_id": "rId9"}]}, r'"link": "https://…" \(docxtpl\'s url_id'),
    ({"a": {"runs": ["x"]}}, r"use \{\{p \}\}"),
    ({"a": [[[[[[[[[["x"]]]]]]]]]]}, r"nest at most 8 deep"),
    ({"b": [{"runs": "x", "parastyle": "Title"}]}, r'"style" \(docxtpl\'s parastyle\)'),
    ({"b": [{"runs": "x", "align": "middle"}]}, r"'align' is one of left, center, right, justify"),
    ({"b": [{"runs": "x", "style": "NoSuch"}]}, r"no style 'NoSuch' in this document; its paragraph"),
    ({"b": [{"runs": [{"text": "x", "color": "12345"}]}]}, r"\(at b\[0\]\.runs\[0\]\.color"),
]


@pytest.mark.parametrize("data,msg", ERRORS)
def test_bad_shapes_are_errors_with_the_data_path(data, msg, tmp_path):
    tpl = tpl_runs("前文 {{r a}}", "{{p b}}")(str(tmp_path / "t.docx"))
    r, out = fill(tpl, data, tmp_path, ok=False)
    assert r.returncode == 1, r.stderr
    assert not out.exists()
    assert re.search(r"t\.docx:[12]:\d+: error: word/document\.xml: ", r.stderr), r.stderr
    assert re.search(msg, r.stderr), r.stderr


def test_p_with_paragraphs_needs_its_own_paragraph(tmp_path):
    tpl = tpl_runs("说明：{{p b}}")(str(tmp_path / "t.docx"))
    r, out = fill(tpl, {"b": ["一", "二"]}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert "t.docx:1:4: error" in r.stderr and "give {{p }} a paragraph of its own" in r.stderr
    # text around it is fine when the value is plain, as before
    _, out = fill(tpl, {"b": "一"}, tmp_path)
    assert docx.Document(str(out)).paragraphs[0].text == "说明：一"


def test_hostile_sizes_are_bounded(tmp_path):
    """A small template and data asking for millions of runs stop at the node limit."""
    tpl = tpl_runs("{%r for i in range(100000) %}{{r a}}{%r endfor %}")(str(tmp_path / "t.docx"))
    r, out = fill(tpl, {"a": [{"text": "x", "bold": True}] * 50}, tmp_path, ok=False)
    assert r.returncode == 1 and not out.exists()
    assert "more than 5000000 XML nodes" in r.stderr, r.stderr
