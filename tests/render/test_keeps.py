"""Keep rules, the 版记 at the foot, the one-line masthead and the title
lines, measured on every built-in template × sample: on our PDF
(pdftotext -bbox-layout) and on LibreOffice's rendering of our DOCX
(converted once per session).

GB/T 9704 §7.3.5 (the signature shares its page with the text), headings
kept with what follows, no single line of a paragraph at a page's top or
foot, no last line of a single character, the 报尾 whole on the last page
in its lower third (domain conventions §2), the masthead on one line, and
titles of several lines broken between words (ICU, read here with PyICU)
into lines of about equal length (GB/T 9704 §7.3.3: 梯形或菱形).

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the source tree).
"""
import glob
import os
import shutil
import subprocess
import tempfile

import pytest

import typeset as T

LEXPORT = os.environ.get("LEXPORT", "lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.getcwd())
MONTH = "2024-09"
TEMPLATES = ["briefing", "summary", "deeds", "plan", "report", "stats"]
SAMPLES = sorted(os.path.splitext(os.path.basename(p))[0]
                 for p in glob.glob(os.path.join(SRC, "samples", "*.json"))
                 if os.path.basename(p) != "schema.json")
# each sample's busiest month too: briefings whose text runs onto a second
# or third page, so the 报尾 has to find its place after real text
BUSY = {"haixing": "2023-09", "hualinshan": "2011-08", "jianlin": "2021-09",
        "qinqu": "2024-04", "shanshan": "2024-03", "xiaobeigou": "2023-06"}
CASES = [(t, s, MONTH) for s in SAMPLES for t in TEMPLATES] + \
    [("briefing", s, BUSY[s]) for s in SAMPLES if s in BUSY]
IDS = ["%s-%s" % c[:2] if c[2] == MONTH else "%s-%s-%s" % c for c in CASES]

for tool in ("pdftotext",):
    if not shutil.which(tool):
        pytest.skip(tool + " not installed (poppler-utils)", allow_module_level=True)


class Outputs:
    """Each case rendered once; every DOCX converted by one LibreOffice run."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.trees = {}
        self.lo = None

    def data(self, sample):
        return os.path.join(SRC, "samples", sample + ".json")

    def render(self, case, fmt):
        t, s, month = case
        out = os.path.join(self.tmp, "%s-%s-%s.%s" % (s, t, month, fmt))
        if not os.path.exists(out):
            r = subprocess.run([LEXPORT, "render", t, self.data(s), "--month", month, "-f", fmt,
                                "-o", out], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
        return out

    def tree(self, case):
        if case not in self.trees:
            t, s, month = case
            self.trees[case] = T.tree(LEXPORT, t, self.data(s), month)
        return self.trees[case]

    def libreoffice(self, case):
        # required, not skipped: the test set-up installs LibreOffice
        exe = shutil.which("soffice")
        assert exe, "LibreOffice (soffice) is not installed"
        lo_dir = os.path.join(self.tmp, "lo")
        if self.lo is None:
            docs = [self.render(c, "docx") for c in CASES]
            os.makedirs(lo_dir, exist_ok=True)
            profile = "file://" + os.path.join(self.tmp, "lo-profile")
            r = subprocess.run([exe, "-env:UserInstallation=" + profile, "--headless",
                                "--convert-to", "pdf", "--outdir", lo_dir, *docs],
                               capture_output=True, text=True, timeout=1800)
            self.lo = r.stdout + r.stderr
        pdf = os.path.join(lo_dir, "%s-%s-%s.pdf" % (case[1], case[0], case[2]))
        assert os.path.exists(pdf), "LibreOffice did not convert: " + self.lo
        return pdf


@pytest.fixture(scope="module")
def outs():
    d = tempfile.mkdtemp(prefix="lexp-keeps-")
    yield Outputs(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(params=CASES, ids=IDS)
def case(request):
    return request.param


def problems(pdf, doc):
    pgs = T.pages(pdf)
    return (T.keep_problems(pgs, doc) + T.orphans_widows(pgs, doc) +
            T.single_char_last_lines(pgs) + T.distribution_problems(pgs, doc) +
            T.masthead_problems(pgs, doc))


def test_pdf_keeps(outs, case):
    bad = problems(outs.render(case, "pdf"), outs.tree(case))
    assert not bad, "\n".join(bad)


def test_docx_keeps(outs, case):
    """The same rules on LibreOffice's pages of our DOCX, but for the short
    last lines, which neither Word nor LibreOffice can be told to avoid."""
    pdf = outs.libreoffice(case)
    pgs, doc = T.pages(pdf), outs.tree(case)
    bad = T.keep_problems(pgs, doc) + T.orphans_widows(pgs, doc) + \
        T.distribution_problems(pgs, doc) + T.masthead_problems(pgs, doc)
    assert not bad, "\n".join(bad)


def test_pdf_titles(outs, case):
    bad = T.title_problems(T.pages(outs.render(case, "pdf")), outs.tree(case))
    assert not bad, "\n".join(bad)


def test_docx_titles(outs, case):
    """The DOCX carries the breaks (w:br), so LibreOffice shows the same lines."""
    bad = T.title_problems(T.pages(outs.libreoffice(case)), outs.tree(case))
    assert not bad, "\n".join(bad)


def test_titles_that_wrap_are_measured(outs):
    """The samples have titles of two lines for the checks above to see."""
    wraps = [c for c in CASES if c[1] in ("jianlin", "shanshan") and c[2] == MONTH and
             c[0] in ("briefing", "summary", "plan")]
    for c in wraps:
        doc = outs.tree(c)
        text = "".join(doc.find("title").itertext())
        lines = T.title_lines(T.pages(outs.render(c, "pdf")), text)
        assert lines and len(lines) == 2, (c, lines)


LONG = "吐鲁番市鄯善县民族团结进步模范创建工作领导小组办公室工作简报"


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_long_masthead_stays_on_one_line(outs, fmt):
    """A 30-character name, whatever the sample says: set smaller (and
    tighter) on one line, in our PDF and in LibreOffice's view of our DOCX;
    a title of 40 characters in three balanced lines under it."""
    import json
    assert len(LONG) == 30
    d = json.load(open(outs.data("qinqu"), encoding="utf-8"))
    d["briefing"]["title"] = LONG
    d["community"]["name"] = "新疆维吾尔自治区吐鲁番市鄯善县鄯善镇团结路社区"
    data = os.path.join(outs.tmp, "long.json")
    with open(data, "w", encoding="utf-8") as f:
        json.dump(d, f, ensure_ascii=False)
    out = os.path.join(outs.tmp, "long." + fmt)
    r = subprocess.run([LEXPORT, "render", "briefing", data, "--month", MONTH, "-o", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    if fmt == "docx":
        lo = os.path.join(outs.tmp, "long-lo")
        r = subprocess.run([shutil.which("soffice"), "-env:UserInstallation=file://" +
                            os.path.join(outs.tmp, "lo-profile-long"), "--headless",
                            "--convert-to", "pdf", "--outdir", lo, out],
                           capture_output=True, text=True, timeout=300)
        out = os.path.join(lo, "long.pdf")
        assert os.path.exists(out), r.stdout + r.stderr
    doc = T.tree(LEXPORT, "briefing", data, MONTH)
    pgs = T.pages(out)
    bad = T.masthead_problems(pgs, doc) + T.title_problems(pgs, doc)
    assert not bad, "\n".join(bad)
    title = T.title_lines(pgs, "".join(doc.find("title").itertext()))
    assert len(title) >= 2, title
    head = [l for l in pgs[0] if T.flat(l.text) == LONG][0]
    assert head.x1 - head.x0 <= 156 * T.MM and head.y1 - head.y0 < 30, head


def test_docx_keep_properties(outs):
    """What Word reads, as written: widow control on in Normal, headings
    keepNext and keepLines, the paragraphs before the signature keepNext
    (qinqu's 汇报 ends on a one-line paragraph: two are kept)."""
    import xml.etree.ElementTree as ET
    import zipfile
    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(outs.render(("report", "qinqu", MONTH), "docx")) as z:
        styles = ET.fromstring(z.read("word/styles.xml"))
        body = ET.fromstring(z.read("word/document.xml")).find(W + "body")
    by_id = {st.get(W + "styleId"): st for st in styles.iter(W + "style")}
    wc = by_id["Normal"].find(W + "pPr/" + W + "widowControl")
    assert wc is not None and wc.get(W + "val") in ("1", "true", "on"), "widow control off"
    for h in ("Heading1", "Heading2"):
        ppr = by_id[h].find(W + "pPr")
        assert ppr.find(W + "keepNext") is not None and ppr.find(W + "keepLines") is not None
    paras = body.findall(W + "p")
    sig = [i for i, p in enumerate(paras)
           if "秦渠社区居委会" in "".join(t.text or "" for t in p.iter(W + "t"))][-1]
    for p in paras[sig - 2:sig + 1]:
        assert p.find(W + "pPr/" + W + "keepNext") is not None, ET.tostring(p)[:200]
    assert paras[sig - 3].find(W + "pPr/" + W + "keepNext") is None


# ---- the checks can fail -----------------------------------------------------------

def lines_of(page, rows):
    """Fake body lines: (x0, x1, text) top to bottom on one page."""
    return [T.Line(page, x0, T.AREA_TOP + 29 * i, x1, T.AREA_TOP + 29 * i + 16, text)
            for i, (x0, x1, text) in enumerate(rows)]


def fake_doc(xml):
    import xml.etree.ElementTree as ET
    return ET.fromstring(xml)


L, R = 79.4, 521.8  # type area edges on an odd page


def test_checks_see_a_lonely_signature_and_a_stranded_heading():
    full = [(L + 31.6, R, "第一段第一行" * 4)] + [(L, R, "字" * 28)] * 20
    doc = fake_doc('<document><heading number="一、">基本情况</heading>'
                   '<signature issuer="某某社区居委会"/></document>')
    pgs = [lines_of(0, full + [(L + 31.6, 200, "一、基本情况")]),
           lines_of(1, [(L, R, "字" * 28), (L, 300, "末行。"), (400, 500, "某某社区居委会")])]
    bad = T.keep_problems(pgs, doc)
    assert any("heading" in b for b in bad), bad
    pgs = [lines_of(0, full), lines_of(1, [(400, 500, "某某社区居委会")])]
    bad = T.keep_problems(pgs, doc)
    assert any("signature" in b for b in bad), bad


def test_checks_see_orphans_widows_and_single_characters():
    doc = fake_doc("<document/>")
    body = [(L, R, "字" * 28)] * 20
    pgs = [lines_of(0, body + [(L + 31.6, R, "新段首行" * 6)]),
           lines_of(1, [(L, R, "字" * 28), (L, 300, "段末。")])]
    assert any("foot" in b for b in T.orphans_widows(pgs, doc))
    pgs = [lines_of(0, body + [(L, R, "字" * 28)]),
           lines_of(1, [(L, 300, "段末。"), (L + 31.6, R, "新段" * 13)])]
    assert any("top" in b for b in T.orphans_widows(pgs, doc))
    pgs = [lines_of(0, [(L + 31.6, R, "字" * 26), (L, 110, "了。")])]
    assert T.single_char_last_lines(pgs)


def test_checks_see_a_distribution_off_the_foot():
    doc = fake_doc('<document><distribution report="甲" send="乙" copies="40"/></document>')
    pgs = [lines_of(0, [(L, R, "报：甲"), (L, R, "送：乙"), (L, R, "（共印40份）")])]
    bad = T.distribution_problems(pgs, doc)
    assert any("lower third" in b for b in bad), bad
    doc = fake_doc('<document><masthead title="某某社区民族团结进步创建工作简报"/></document>')
    pgs = [lines_of(0, [(L, R, "某某社区民族团结进步创建工作简"), (L, 120, "报")])]
    assert T.masthead_problems(pgs, doc)


# ---- the character grid -------------------------------------------------------------

need_gs = pytest.mark.skipif(not shutil.which("gs"), reason="Ghostscript is not installed")


@need_gs
def test_pdf_lines_keep_the_grid(outs, case):
    """Every line of body text keeps the 28-character grid (GB/T 9704): no
    two Han characters closer than 156 mm / 28 = 15.79 pt, whatever their
    weight (#12 item 8: bold lead-ins such as 计划's 开展民族团结进步宣传月活动。
    sat at 15.49 pt, squeezed to take one more character; so did plain lines)."""
    pdf = outs.render(case, "pdf")
    bad = T.squeezed_lines(T.glyphs(pdf, outs.tmp))
    assert not bad, "\n".join(bad[:10])


def test_grid_check_can_fail():
    line = [T.Glyph(0, 80 + 15.49 * i, 300, 80 + 15.49 * (i + 1), "字", 16) for i in range(5)]
    assert T.squeezed_lines([line])
    line = [T.Glyph(0, 80 + T.EM * i, 300, 80 + T.EM * (i + 1), "字", 16) for i in range(5)]
    assert not T.squeezed_lines([line])


def test_checks_see_titles_broken_badly():
    doc = fake_doc('<document preset="briefing"><title>建林社区2022年民族团结进步创建工作计划'
                   '</title></document>')
    em = 22

    def at(*rows):  # centred lines of n characters each
        return [lines_of(0, [((L + R - n * em) / 2, (L + R + n * em) / 2, t) for n, t in rows])]
    good = at((11, "建林社区2022年民族团结"), (8, "进步创建工作计划"))
    assert not T.title_problems(good, doc)
    inside = at((12, "建林社区2022年民族团结进"), (7, "步创建工作计划"))
    assert any("inside a word" in b for b in T.title_problems(inside, doc))
    uneven = at((17, "建林社区2022年民族团结进步创建"), (4, "工作计划"))
    assert any("balanced" in b for b in T.title_problems(uneven, doc))
    short = at((18, "建林社区2022年民族团结进步创建工作计"), (1, "划"))
    assert any("last line" in b for b in T.title_problems(short, doc))
    edge = [lines_of(0, [(L, R, "建林社区2022年民族团结进步创建工作计划")])]
    assert any("edge" in b for b in T.title_problems(edge, doc))


# ---- below the title ----------------------------------------------------------------

TITLED = [c for c in CASES if c[0] != "briefing"]  # the gbt9704 documents


@need_gs
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("tcase", TITLED, ids=["%s-%s" % c[:2] for c in TITLED])
def test_one_blank_line_below_the_title(outs, tcase, fmt):
    """GB/T 9704 §7.3.1: the title, one blank line, then the text — the
    first baseline of the text 1.5 to 2.5 grid lines below the title's last
    (two blank lines put it 2.8 below), in our PDF and in LibreOffice's
    pages of our DOCX."""
    doc = outs.tree(tcase)
    assert doc.get("preset") == "gbt9704"
    pdf = outs.render(tcase, "pdf") if fmt == "pdf" else outs.libreoffice(tcase)
    gap = T.title_gap(T.glyphs(pdf, outs.tmp), doc)
    assert gap is not None, "no title found"
    assert 1.5 <= gap <= 2.5, "%.2f grid lines from the title to the text" % gap


@need_gs
def test_pdf_compressed_marks_keep_their_ink(outs, case):
    """#12 item 5, measured on every template × sample: a mark set at half
    width (、。，；：！？ at a line end or next to another mark) has at most
    1 pt of empty advance between the character before it and its ink
    (Ghostscript's glyph boxes, pdftoppm's raster). tests/unit/test_punct_ink.c
    checks the same on the layout engine's positions and the fonts' boxes."""
    pdf = outs.render(case, "pdf")
    gaps = T.mark_gaps(pdf, T.glyphs(pdf, outs.tmp), outs.tmp)
    bad = ["%r: %s pt" % (g, "no ink" if d is None else "%.2f" % d) for g, d in gaps
           if d is None or d > 1.0]
    assert not bad, "\n".join(bad[:10])
