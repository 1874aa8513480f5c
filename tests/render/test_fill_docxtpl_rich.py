"""docxtpl's rich-text test templates, filled with the JSON forms of their contexts.

The templates are docxtpl's own (../shared/compat/docxtpl/templates, or
$LEXP_DOCXTPL_DIR), read in place and never copied here. Their cases are n/a in
that suite because docxtpl's scripts pass Python RichText/RichTextParagraph
objects; tests/fill/docxtpl_extra/CASE.json carries each context in lexport's
JSON form (templates/README.md, "Rich text"), and CASE.txt is the text docxtpl
renders, in docx_text.py's form. The suite's check.py judges each output
(opens in python-docx, well-formed parts, no tag left, text equal), and the
formatting checks below read the runs with python-docx, since the text alone
says nothing about bold, colour, size, fonts or links.

How each expected text was derived (docxtpl cannot run here: no PyPI). Each was
written down from reading the template's word/document.xml (unzipped) and
docxtpl 0.20.1's template.py and richtext.py, then compared line by line, by
eye, with lexport's output before it was committed:

- docxtpl's patch_xml splits the run around a {{r x}} / {%r %} tag into a run
  of its own and removes that run, so the text before and after the tag in the
  same run stays, and the RichText's runs go in place of the tag. After
  rendering, resolve_listing turns \\n into w:br, \\t into a w:tab run, \\a into
  a new paragraph with the same paragraph and run properties, and \\f into a
  paragraph holding only a page break followed by such a new paragraph.
- richtext: docxtpl 0.20.1's tests/richtext.py (RichText "an example of "
  with the nested rt added). The Titre1 paragraph "Here is an {{r example}}."
  becomes "Here is an an example of … 3rd line"; "\\aA new paragraph :
  <cool>\\a" makes the next paragraph and starts another, which takes "--- A page
  break here (see next page) ---" up to \\f; then the page-break paragraph
  (\\f), then one paragraph with the eight underline lines, the fonts and the
  super/subscripts, ending with the template's ".". RichText sizes are
  half-points (size=14 is 7 pt, 60 is 30 pt): the JSON says 7 and 30.
- richtext_and_if: "{%r if foobar %} {{r foobar }}COUCOU{%r endif %}" in one
  paragraph: each tag's run goes, the space between the first two tags stays:
  " Foobar!COUCOU". foobar is a run object, which is true.
- richtext_eastAsia: each {{r }} is alone in its paragraph: "测试TEST" three times.
  docxtpl's font="eastAsia:X" is accepted as "font": "eastAsia:X" (all scripts).
- richtextparagraph: docxtpl 0.20.1's tests/richtextparagraph.py. The {{p example}}
  paragraphs (in the body and in the table's second row) become the 15
  paragraphs, and "custom bullet\\apoints" and the TightLineSpacing text split
  at \\a into two each: 17 paragraphs. docxtpl writes the parastyle names as
  given (myrichparastyle, normal …, which Word does not match to the ids
  Myrichparastyle, Normal); lexport resolves names to the document's style ids,
  which does not change the text.
- escape: tests/escape.py with R()/RichText as run objects and Listing as a
  plain string (a Listing is text with the same \\n/\\a/\\f handling). nlnp
  splits into "Here is a multiple\\nlines\\nstring", "and some", "other",
  "paragraphs". "{{r page_break }}--start of page--" gives an empty paragraph,
  the page-break paragraph and "--start of page--". new_listing is docxtpl's
  plain string: its \\a and \\f split it the same way (the suite README's
  derived check, now as docxtpl does).
- word2016: tests/word2016.py with the two RichText values as run objects: ten
  spaces, and five tabs (w:tab). One line is lexport's, not docxtpl's: the
  template's own {{'<5 tabs>'}} gives five tabs, where docxtpl drops the
  w:tab elements Word stores inside the tag (templates/README.md lists this
  quirk as not copied).

    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/render/test_fill_docxtpl_rich.py
"""
import glob
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SUITE = os.environ.get("LEXP_DOCXTPL_DIR",
                       os.path.join(os.path.dirname(os.path.abspath(SRC)), "shared", "compat",
                                    "docxtpl"))
CASES_DIR = os.path.join(SRC, "tests", "fill", "docxtpl_extra")

if not os.path.isfile(os.path.join(SUITE, "check.py")):
    pytest.skip("docxtpl's suite is not beside the source tree (%s)" % SUITE,
                allow_module_level=True)

docx = pytest.importorskip("docx")
from docx.shared import Pt  # noqa: E402
from lxml import etree  # noqa: E402

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS = {"w": W, "r": R}

CASES = {
    "richtext": "richtext_tpl.docx",
    "richtext_and_if": "richtext_and_if_tpl.docx",
    "richtext_eastAsia": "richtext_eastAsia_tpl.docx",
    "richtextparagraph": "richtext_paragraph_tpl.docx",
    "escape": "escape_tpl.docx",
    "word2016": "word2016_tpl.docx",
}


def test_every_case_has_its_files():
    names = {os.path.basename(p)[:-5] for p in glob.glob(os.path.join(CASES_DIR, "*.json"))}
    assert names == set(CASES)
    for c, tpl in CASES.items():
        assert os.path.isfile(os.path.join(CASES_DIR, c + ".txt"))
        assert os.path.isfile(os.path.join(SUITE, "templates", tpl))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("docxtpl_rich")
    out = {}
    for c, tpl in CASES.items():
        o = d / (c + ".docx")
        r = subprocess.run([LEXPORT, "fill", os.path.join(SUITE, "templates", tpl),
                            os.path.join(CASES_DIR, c + ".json"), "-o", str(o)],
                           capture_output=True, text=True, timeout=60)
        out[c] = (r, o)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_as_docxtpl_renders_it(case, outputs):
    r, o = outputs[case]
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    got = subprocess.run([sys.executable, os.path.join(SUITE, "check.py"), "text",
                          os.path.join(CASES_DIR, case + ".txt"), str(o)],
                         capture_output=True, text=True, timeout=60)
    assert got.stdout.strip() == "ok", got.stdout + got.stderr


def runs_of(path):
    """(text, run) of every run with text in the body, hyperlinks' runs too."""
    d = docx.Document(str(path))
    out = []
    for r in d.element.body.iter("{%s}r" % W):
        t = "".join(x.text or "" for x in r.iter("{%s}t" % W))
        if t:
            out.append((t, docx.text.run.Run(r, d.paragraphs[0])))
    return d, out


def run(runs, text):
    found = [r for t, r in runs if t == text]
    assert found, "no run %r in %r" % (text, [t for t, _ in runs])
    return found[0]


def test_richtext_formatting(outputs):
    d, runs = runs_of(outputs["richtext"][1])
    assert run(runs, "a rich text").style.style_id == "myrichtextstyle"
    assert run(runs, "some italic").italic is True
    assert str(run(runs, "some violet").font.color.rgb) == "FF00FF"
    assert run(runs, "some striked").font.strike is True
    shd = run(runs, "some Highlighted")._r.find("w:rPr/w:shd", NS)
    assert shd.get("{%s}fill" % W) == "FFFF00"
    assert run(runs, "some small").font.size == Pt(7)
    assert run(runs, "big").font.size == Pt(30)
    assert run(runs, "Underline : double ").font.underline == docx.enum.text.WD_UNDERLINE.DOUBLE
    assert run(runs, "Underline : wave ").font.underline == docx.enum.text.WD_UNDERLINE.WAVY
    assert run(runs, "Arial").font.name == "Arial"
    assert run(runs, "Courier New").font.name == "Courier New"
    assert run(runs, "superscript").font.superscript is True
    assert run(runs, "subscript").font.subscript is True
    # the template run's own properties stay under the JSON's
    lang = run(runs, "some italic")._r.find("w:rPr/w:lang", NS)
    assert lang is not None and lang.get("{%s}val" % W) == "en-US"
    # the link: a w:hyperlink whose relationship is external, to the URL
    links = d.element.body.findall(".//w:hyperlink", NS)
    assert len(links) == 1
    assert "".join(t.text for t in links[0].iter("{%s}t" % W)) == "google"
    rel = d.part.rels[links[0].get("{%s}id" % R)]
    assert rel.is_external and rel.target_ref == "http://google.com"


def test_richtext_and_if_colour(outputs):
    _, runs = runs_of(outputs["richtext_and_if"][1])
    assert str(run(runs, "Foobar!").font.color.rgb) == "FF0000"


def test_east_asian_fonts_replace_the_theme_fonts(outputs):
    _, runs = runs_of(outputs["richtext_eastAsia"][1])
    fonts = [r._r.find("w:rPr/w:rFonts", NS) for t, r in runs if t == "测试TEST"][-3:]
    names = [f.get("{%s}eastAsia" % W) for f in fonts]
    assert names == ["Microsoft YaHei", "微软雅黑", "SimSun"]
    for f in fonts:
        # the template's eastAsiaTheme would win over the name in Word
        assert f.get("{%s}eastAsiaTheme" % W) is None
        assert f.get("{%s}ascii" % W) == f.get("{%s}eastAsia" % W)


def test_paragraph_styles_resolve_to_the_documents_ids(outputs):
    d = docx.Document(str(outputs["richtextparagraph"][1]))
    styles = [p.style.style_id for p in d.paragraphs]
    i = [p.text for p in d.paragraphs].index("The rich text paragraph function allows "
                                            "paragraph styles to be added to text")
    assert styles[i:i + 4] == ["Myrichparastyle", "IntenseQuote", "CreatedStyle", "Normal"]
    last = d.paragraphs[[p.text for p in d.paragraphs].index("This works with Rich Text "
                                                             "Strings too.")]
    assert last.style.style_id == "SquareBullet"
    fmt = {r.text: r for r in last.runs}
    assert fmt["Rich "].bold is True and fmt["Text "].italic is True
    assert fmt["Strings"].underline is True
    # \a: both halves keep the paragraph's style
    j = [p.text for p in d.paragraphs].index("custom bullet")
    assert styles[j] == styles[j + 1] == "SquareBullet"


def test_escape_colour_over_the_template_run(outputs):
    _, runs = runs_of(outputs["escape"][1])
    for t in ("Here is a multiplelinesstring", "and some", "other", "paragraphs"):
        r = run(runs, t)
        assert str(r.font.color.rgb) == "FF00FF"
        # the template run is bold 14 pt: kept, where docxtpl drops it
        assert r.bold is True and r.font.size == Pt(14)


def test_word2016_richtext_tabs(outputs):
    d = docx.Document(str(outputs["word2016"][1]))
    p = [p for p in d.paragraphs if p.text.endswith("Test tabs with richtext")][0]
    assert len(p._p.findall(".//w:tab", NS)) == 5


def test_libreoffice_opens_them(outputs, tmp_path):
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice is not installed")
    files = [str(o) for r, o in outputs.values() if r.returncode == 0]
    prof = "file://" + str(tmp_path / "profile")
    subprocess.run(["soffice", f"-env:UserInstallation={prof}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), *files], capture_output=True, timeout=300)
    for f in files:
        pdf = tmp_path / (os.path.basename(f)[:-5] + ".pdf")
        assert pdf.exists() and pdf.stat().st_size > 1000, f
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True)
        pages = [l.split()[1] for l in info.stdout.splitlines() if l.startswith("Pages:")]
        assert pages and int(pages[0]) >= 1
