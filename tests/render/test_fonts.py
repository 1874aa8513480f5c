"""Fonts in our PDF and in LibreOffice's rendering of our DOCX.

- a 公文 (the summary template) is set in a FangSong face: FandolFang, a CFF
  font embedded as CIDFontType0C, when the Windows fonts are absent (the set-up
  of scripts/dev.sh installs Fandol);
- CFF programs, name-keyed ones (URW Nimbus Roman) as well as CID-keyed ones
  (Fandol), are read by Ghostscript and Poppler without complaint;
- widths are right: pdftotext's boxes of justified lines end at the type
  area's right edge; text extracts as written, including characters a font
  draws with one glyph (FandolSong's · and •);
- digits and Latin letters come from the Latin role (Liberation Serif by
  default, any file with --font latin=PATH);
- the same input gives the same bytes;
- the DOCX names the Windows 10/11 faces with the _GB2312 names as
  alternatives, and LibreOffice, with the fontconfig aliases shipped in
  fontconfig/, shows each role in its own face.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the source tree).
"""
import os
import re
import shutil
import subprocess
import zipfile
import xml.etree.ElementTree as ET

import pytest

LEXPORT = os.environ.get("LEXPORT")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "samples", "qinqu.json")
ALIASES = os.path.abspath(os.path.join(SRC, "fontconfig", "65-libexport-cjk.conf"))
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}

if not LEXPORT:
    pytest.skip("LEXPORT is not set", allow_module_level=True)


def run(args, check=True, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if check:
        assert r.returncode == 0, " ".join(args) + "\n" + r.stderr
    return r


def font_file(family):
    """The file fontconfig has for exactly this family (style Regular), or None."""
    out = run(["fc-list", f"{family}:style=Regular", "file"], check=False).stdout.split("\n")
    files = [l.strip().rstrip(":") for l in out if l.strip()]
    return sorted(files)[0] if files else None


def pdffonts(path):
    """name → type of every font of a PDF (subset tags dropped)."""
    out = run(["pdffonts", path]).stdout.splitlines()[2:]
    fonts = {}
    for line in out:
        name = line.split()[0]
        kind = line[37:55].strip()
        fonts[re.sub(r"^[A-Z]{6}\+", "", name)] = kind
    return fonts


need_fandol = pytest.mark.skipif(not font_file("FandolFang"),
                                 reason="the Fandol fonts are not installed (scripts/dev.sh)")


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


@need_fandol
def test_gongwen_body_is_fandol_fangsong(tmp_path):
    pdf = str(tmp_path / "summary.pdf")
    r = run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o", pdf])
    fonts = pdffonts(pdf)
    assert fonts.get("FandolFang-Regular") == "CID Type 0C", fonts
    # headings and the title in faces of their own
    assert "FandolHei-Regular" in fonts and "FandolKai-Regular" in fonts, fonts
    assert "FandolSong-Bold" in fonts, fonts  # the 小标宋 stand-in
    if font_file("Liberation Serif"):
        assert "LiberationSerif" in fonts, fonts
    assert "using FandolFang (a free substitute)" in r.stderr
    # every font embedded, subset, with a ToUnicode map
    for line in run(["pdffonts", pdf]).stdout.splitlines()[2:]:
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line


def ghostscript_errors(pdf):
    r = run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=nullpage", pdf], check=False,
            timeout=120)
    return r.returncode, (r.stdout + r.stderr).strip()


@need_fandol
def test_cff_programs_are_read_by_other_readers(tmp_path):
    nimbus = "/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf"
    args = []
    if os.path.exists(nimbus):  # a name-keyed CFF, made CID-keyed on the way
        args = ["--font", "latin=" + nimbus]
    pdf = str(tmp_path / "s.pdf")
    run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o", pdf] + args)
    fonts = pdffonts(pdf)
    if args:
        assert fonts.get("NimbusRoman-Regular") == "CID Type 0C", fonts
    if shutil.which("gs"):
        rc, msg = ghostscript_errors(pdf)
        assert rc == 0 and "rror" not in msg, msg
    r = run(["pdftoppm", "-r", "20", "-png", pdf, str(tmp_path / "p")])
    assert "rror" not in r.stderr, r.stderr
    assert run(["qpdf", "--check", pdf], check=False).returncode == 0


PARA = ("秦渠社区位于吴忠市利通区胜利镇，成立于2008年8月，辖区面积0.7平方公里，现有居民3986户、"
        "12130人。辖区内有回族、满族、蒙古族等三个少数民族，共2123户、6483人，占总人口的53.4%。"
        "社区开展“石榴籽”宣传（第一期）、Unity Day活动、阿依古丽·买买提事迹分享会等，"
        "组织文艺汇演。在重大节日开展走访慰问——共走访困难群众120户，发放慰问金3.6万元……")


def layout_lines(pdf):
    out = run(["pdftotext", "-bbox-layout", pdf, "-"]).stdout
    lines = []
    for m in re.finditer(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</line>',
                         out, re.S):
        text = "".join(re.findall(r">([^<]*)</word>", m.group(3)))
        lines.append((float(m.group(1)), float(m.group(2)), text))
    return lines


@pytest.mark.parametrize("body", ["default", "truetype"])
def test_justified_lines_fill_the_measure(tmp_path, body):
    """pdftotext places each glyph by the /W widths: justified lines must end at
    the right edge of the 156 mm type area (GB/T 9704), the first indented two
    characters, whatever the face (CFF FandolFang or TrueType AR PL SungtiL)."""
    args = []
    if body == "truetype":
        gbsn = "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"
        if not os.path.exists(gbsn):
            pytest.skip("fonts-arphic-gbsn00lp not installed")
        args = ["--font", "fangsong=" + gbsn]
    tpl = write(tmp_path, "p.lxt", "---\npreset: gbt9704\ntitle: 宽度\n---\n" + PARA + "\n")
    pdf = str(tmp_path / "p.pdf")
    run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf] + args)
    lines = [l for l in layout_lines(pdf) if not re.fullmatch(r"[—\s\d]*", l[2])]
    body_lines = [l for l in lines if l[2] != "宽度"]
    assert len(body_lines) >= 5, lines
    left = 28 * 72 / 25.4
    right = left + 156 * 72 / 25.4
    em = 156 * 72 / 25.4 / 28
    first = body_lines[0]
    assert abs(first[0] - (left + 2 * em)) < 0.5, first
    for x0, x1, text in body_lines[1:]:
        assert abs(x0 - left) < 0.5, (x0, text)
    for x0, x1, text in body_lines[:-1]:
        # a glyph's box is its font width (1 em), the grid's advance 0.987 em:
        # the last full-width glyph sticks out by that much at most
        assert right - 0.6 < x1 < right + 0.5, (x1, right, text)
    got = re.sub(r"\s+", "", "".join(l[2] for l in body_lines))
    assert got == re.sub(r"\s+", "", PARA)


def test_text_extracts_as_written(tmp_path):
    """Characters a font draws with one glyph (FandolSong: · and •) keep
    their own codes in the text layer; Latin, digits and marks too."""
    tpl = write(tmp_path, "t.lxt", "---\npreset: gbt9704\ntitle: 文字\n---\n" + PARA +
                "\n\n- 要点·一\n- 要点二\n")
    pdf = str(tmp_path / "t.pdf")
    run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf])
    text = re.sub(r"\s+", "", run(["pdftotext", pdf, "-"]).stdout)
    assert re.sub(r"\s+", "", PARA) in text
    assert "•要点·一•要点二" in text, text


def test_same_input_same_bytes(tmp_path):
    a, b = str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf")
    for out in (a, b):
        run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o", out])
    assert open(a, "rb").read() == open(b, "rb").read()


def test_latin_role_in_pdf(tmp_path):
    lib = font_file("Liberation Serif")
    if not lib:
        pytest.skip("fonts-liberation2 not installed")
    tpl = write(tmp_path, "l.lxt", "---\npreset: gbt9704\ntitle: 西文\n---\n占总人口的53.4%，Unity Day。\n")
    pdf = str(tmp_path / "l.pdf")
    run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf])
    assert "LiberationSerif" in pdffonts(pdf)
    # --font latin=PATH: another Times-metric face, TrueType or CFF
    other = font_file("DejaVu Serif")
    if other:
        r = run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf, "--font",
                 "latin=" + other])
        fonts = pdffonts(pdf)
        assert "DejaVuSerif" in fonts and "LiberationSerif" not in fonts, fonts
        assert "53.4%，UnityDay。" in re.sub(r"\s+", "", run(["pdftotext", pdf, "-"]).stdout)
    # GB/T 9704 page numbers stay 半角宋体 digits: not in the Latin face
    pdf2 = str(tmp_path / "n.pdf")
    tpl2 = write(tmp_path, "n.lxt", "---\npreset: gbt9704\ntitle: 页码\n---\n全是汉字。\n")
    run([LEXPORT, "render", tpl2, DATA, "-f", "pdf", "-o", pdf2])
    assert not any(f.startswith("Liberation") for f in pdffonts(pdf2)), pdffonts(pdf2)


def test_unknown_role_names_latin(tmp_path):
    r = run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o",
             str(tmp_path / "x.pdf"), "--font", "roman=/x.ttf"], check=False)
    assert r.returncode == 2 and "latin" in r.stderr, r.stderr


# ---- DOCX -------------------------------------------------------------------------------


def docx_parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_docx_font_names(tmp_path):
    out = str(tmp_path / "s.docx")
    run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o", out])
    p = docx_parts(out)
    table = ET.fromstring(p["word/fontTable.xml"])
    alt = {f.get("{%s}name" % W): (f.find("w:altName", NS).get("{%s}val" % W)
                                   if f.find("w:altName", NS) is not None else None)
           for f in table.findall("w:font", NS)}
    assert alt.get("仿宋") == "仿宋_GB2312" and alt.get("楷体") == "楷体_GB2312", alt
    assert alt.get("黑体") == "SimHei" and alt.get("宋体") == "SimSun", alt
    assert "Times New Roman" in alt
    styles = ET.fromstring(p["word/styles.xml"])
    fonts = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert fonts.get("{%s}ascii" % W) == "Times New Roman"
    assert fonts.get("{%s}hAnsi" % W) == "Times New Roman"
    # CJK–Latin spacing: none added, as in our PDF (the decision is one for both)
    ppr = styles.find("w:docDefaults/w:pPrDefault/w:pPr", NS)
    for tag in ("autoSpaceDE", "autoSpaceDN"):
        el = ppr.find("w:" + tag, NS)
        assert el is not None and el.get("{%s}val" % W) == "0", tag


def fontconfig_with_aliases(tmp_path):
    """A fontconfig setup: the system's rules and fonts, our aliases, a cache
    of its own (the aliases fix Fandol's bold weights when fonts are scanned)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>/usr/share/fonts</dir>
  <dir>/usr/local/share/fonts</dir>
  <cachedir>{tmp_path / "fccache"}</cachedir>
  <include ignore_missing="yes">/etc/fonts/conf.d</include>
  <include>{ALIASES}</include>
</fontconfig>
""", encoding="utf-8")
    return str(conf)


@need_fandol
def test_aliases_map_the_windows_names(tmp_path):
    env = dict(os.environ, FONTCONFIG_FILE=fontconfig_with_aliases(tmp_path))
    want = {"仿宋_GB2312": "FandolFang", "仿宋": "FandolFang", "FangSong": "FandolFang",
            "楷体_GB2312": "FandolKai", "楷体": "FandolKai", "KaiTi": "FandolKai",
            "SimSun": "FandolSong", "宋体": "FandolSong", "SimHei": "FandolHei",
            "黑体": "FandolHei", "方正小标宋简体": "FandolSong"}
    for name, family in want.items():
        got = run(["fc-match", "-f", "%{family[0]} %{style[0]}", name], env=env).stdout
        assert got.startswith(family), (name, got)
    got = run(["fc-match", "-f", "%{style[0]}", "方正小标宋简体"], env=env).stdout
    assert got == "Bold", got


@need_fandol
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_shows_each_role_in_its_face(tmp_path):
    docx = str(tmp_path / "summary.docx")
    run([LEXPORT, "render", "summary", DATA, "--month", "2024-09", "-o", docx])
    env = dict(os.environ, FONTCONFIG_FILE=fontconfig_with_aliases(tmp_path))
    prof = "file://" + str(tmp_path / "lo-profile")
    r = run(["soffice", "-env:UserInstallation=" + prof, "--headless", "--convert-to", "pdf",
             "--outdir", str(tmp_path), docx], check=False, env=env, timeout=240)
    pdf = str(tmp_path / "summary.pdf")
    assert os.path.exists(pdf), r.stdout + r.stderr
    fonts = pdffonts(pdf)
    for face in ("FandolFang", "FandolHei", "FandolKai", "FandolSong-Bold"):
        assert any(f.startswith(face) for f in fonts), (face, fonts)
    if font_file("Liberation Serif"):
        assert any(f.startswith("LiberationSerif") for f in fonts), fonts


@pytest.mark.parametrize("font", ["default", "gkai00mp"])
def test_double_dash_is_unbroken(tmp_path, font):
    """"——" in a 楷体 subtitle: AR PL KaitiM GB's dash stops 0.07 em short of
    each side of its em box; the two must still read as one line, in it and
    in the default 楷体 (FandolKai where the Windows face is missing)."""
    args = []
    if font == "gkai00mp":
        kai = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"
        if not os.path.exists(kai):
            pytest.skip("fonts-arphic-gkai00mp not installed")
        args = ["--font", "kai=" + kai]
    from PIL import Image
    tpl = write(tmp_path, "d.lxt", "---\npreset: gbt9704\ntitle: 标题\n"
                "subtitle: ——秦渠社区\n---\n正文。\n")
    pdf = str(tmp_path / "d.pdf")
    run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf] + args)
    line = [l for l in re.finditer(
        r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</line>',
        run(["pdftotext", "-bbox-layout", pdf, "-"]).stdout, re.S) if "——" in l.group(5)]
    assert line, "no subtitle line"
    x0, y0, x1, y1 = (float(line[0].group(i)) for i in range(1, 5))
    em = y1 - y0
    dpi = 400
    run(["pdftoppm", "-r", str(dpi), "-gray", "-f", "1", "-l", "1", "-png", pdf,
         str(tmp_path / "pg")])
    img = Image.open(next(str(p) for p in tmp_path.iterdir() if p.name.startswith("pg"))).convert("L")
    k = dpi / 72
    px0, px1 = int(x0 * k), int((x0 + 2 * em) * k)
    best = 0
    for y in range(int(y0 * k), int(y1 * k)):
        run_len = longest = 0
        for x in range(px0, px1):
            if img.getpixel((x, y)) < 128:
                run_len += 1
                longest = max(longest, run_len)
            else:
                run_len = 0
        best = max(best, longest)
    # one dark run over the two dashes' ink (0.07 to 1.93 em)
    assert best >= 0.9 * 1.86 * em * k, (best, 1.86 * em * k)


MARKS = "、。，；：！？"


@pytest.mark.parametrize("font", ["default", "gbsn00lp"])
def test_compressed_marks_keep_their_ink_in_the_pdf(tmp_path, font):
    """Measured from the PDF: Ghostscript's txtwrite gives each glyph's box
    (from the PDF's own positions and widths), pdftoppm's raster gives the
    ink. A mark set at half width has at most 1 pt of empty advance between
    the end of the character before it and its ink (issue 12 item 5: AR PL
    SungtiL GB's 、 used to leave 3.9 pt)."""
    if not shutil.which("gs"):
        pytest.skip("Ghostscript is not installed")
    from PIL import Image
    args = []
    if font == "gbsn00lp":
        gbsn = "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf"
        if not os.path.exists(gbsn):
            pytest.skip("fonts-arphic-gbsn00lp not installed")
        args = ["--font", "fangsong=" + gbsn]
    tpl = write(tmp_path, "m.lxt", "---\npreset: gbt9704\ntitle: 标点\n---\n" + PARA + "\n\n" +
                PARA[::-1] + "\n")
    pdf = str(tmp_path / "m.pdf")
    run([LEXPORT, "render", tpl, DATA, "-f", "pdf", "-o", pdf] + args)
    tw = str(tmp_path / "tw.xml")
    run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=txtwrite", "-r720", "-dTextFormat=0",
         "-dFirstPage=1", "-dLastPage=1", "-sOutputFile=" + tw, pdf])
    chars = []  # (x0, baseline, x1, character, size) in points
    for span in re.finditer(r'<span bbox="[^"]*" font="[^"]*" size="([\d.]+)">(.*?)</span>',
                            open(tw, encoding="utf-8").read(), re.S):
        for m in re.finditer(r'<char bbox="(-?\d+) (-?\d+) (-?\d+) -?\d+" c="([^"]*)"/>',
                             span.group(2)):
            c = m.group(4)
            c = chr(int(c[3:-1], 16)) if c.startswith("&#x") else c
            chars.append((int(m.group(1)) / 10, int(m.group(2)) / 10, int(m.group(3)) / 10, c,
                          float(span.group(1))))
    dpi = 288
    run(["pdftoppm", "-r", str(dpi), "-gray", "-f", "1", "-l", "1", "-png", pdf,
         str(tmp_path / "pg")])
    img = Image.open(next(str(p) for p in tmp_path.iterdir() if p.name.startswith("pg")))
    img = img.convert("L")
    k = dpi / 72
    seen = 0
    for prev, c in zip(chars, chars[1:]):
        x0, base, x1, ch, size = c
        if ch not in MARKS or abs(prev[1] - base) > 0.5 or x1 - x0 > 0.9 * size:
            continue  # not a compressed mark, or the first on its line
        start = prev[2]  # where the character before it ends
        ink = None
        for col in range(int(start * k), int(x1 * k) + 1):
            if any(img.getpixel((col, row)) < 160
                   for row in range(int((base - 0.8 * size) * k), int((base + 0.3 * size) * k))):
                ink = col / k
                break
        assert ink is not None, (ch, c)
        seen += 1
        assert ink - start <= 1.0, "%s after %s: %.2f pt of empty advance before its ink" % (
            ch, prev[3], ink - start)
    assert seen >= 10, seen
