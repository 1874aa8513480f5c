"""PDF renderer: read back every PDF with independent tools (qpdf, pdffonts,
pdftotext, pdfinfo) and check the typesetting rules on pdftotext's word
boxes.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the source tree).
"""
import collections
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

LEXPORT = os.environ.get("LEXPORT", "lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.getcwd())
SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
SHOWCASE = os.path.join(SRC, "tests", "render", "showcase.lxt")

MM = 72.0 / 25.4
PAGE_H = 297 * MM
# GB/T 9704 type area: 37 mm from the top; 28 mm from the left on odd pages
# and 26 mm on even pages (mirrored margins); 156 × 225 mm.
AREA_TOP = 37 * MM
AREA_BOTTOM = (37 + 225) * MM
AREA_W = 156 * MM
TOL = 0.5 * MM

# clreq / GB/T 15834: marks that never start a line, and never end one
NO_START = set("，。、；：？！）》」』】〕〉’”％,.;:?!)]}")
NO_END = set("（《「『【〔〈‘“([{")

for tool in ("qpdf", "pdffonts", "pdftotext", "pdfinfo"):
    if not shutil.which(tool):
        pytest.skip(f"{tool} not installed (poppler-utils, qpdf)", allow_module_level=True)


def run(*args, env=None, check=True):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run([LEXPORT, *args], capture_output=True, text=True, env=e)
    if check and r.returncode != 0:
        raise AssertionError(f"lexport {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


@pytest.fixture(scope="module")
def tmp():
    d = tempfile.mkdtemp(prefix="lexp-pdf-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def brief(tmp):
    out = os.path.join(tmp, "brief")
    os.makedirs(out, exist_ok=True)
    r = run("brief", SAMPLE, "--month", "2024-09", "-f", "pdf,txt", "-o", out)
    return {"pdf": os.path.join(out, "briefing-2024-09.pdf"),
            "txt": os.path.join(out, "briefing-2024-09.txt"), "stderr": r.stderr}


@pytest.fixture(scope="module")
def showcase(tmp):
    pdf = os.path.join(tmp, "showcase.pdf")
    txt = os.path.join(tmp, "showcase.txt")
    r = run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", pdf)
    run("render", SHOWCASE, SAMPLE, "-f", "txt", "-o", txt)
    return {"pdf": pdf, "txt": txt, "stderr": r.stderr}


def pdftotext(path, *opts):
    r = subprocess.run(["pdftotext", *opts, path, "-"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", f"poppler complains: {r.stderr}"
    return r.stdout


def pdfinfo(path):
    r = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True)
    info = {}
    for line in r.stdout.splitlines():
        k, _, v = line.partition(":")
        info[k.strip()] = v.strip()
    return info


# ---- reading pdftotext's boxes -----------------------------------------------------

Word = collections.namedtuple("Word", "x0 y0 x1 y1 text")


def layout(path):
    """Pages of lines; a line is a list of words with their boxes."""
    html = pdftotext(path, "-bbox-layout")
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", html, re.S):
        lines = []
        for line in re.findall(r"<line [^>]*>(.*?)</line>", page, re.S):
            words = [Word(float(a), float(b), float(c), float(d), t)
                     for a, b, c, d, t in re.findall(
                         r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                         r'yMax="([\d.]+)">(.*?)</word>', line)]
            if words:
                lines.append(words)
        pages.append(lines)
    return pages


def line_text(words):
    return "".join(w.text for w in words)


PAGENUM = re.compile(r"^—\d+—$")


def check_layout(path, banji=False):
    """Typesetting rules on every line: returns a list of problems. With
    `banji` (a GB/T 9704 document with a 版记), the last page and blank
    pages carry no page number."""
    problems = []
    pages = layout(path)
    for p, lines in enumerate(pages, 1):
        left = (28 if p % 2 else 26) * MM
        right = left + AREA_W
        numbers = [l for l in lines if PAGENUM.match(line_text(l))]
        for words in lines:
            t = line_text(words)
            if PAGENUM.match(t):
                continue
            if t[0] in NO_START:
                problems.append(f"page {p}: line starts with {t[0]!r}: {t}")
            if t[-1] in NO_END:
                problems.append(f"page {p}: line ends with {t[-1]!r}: {t}")
            for w in words:
                if (w.x0 < left - TOL or w.x1 > right + TOL or w.y0 < AREA_TOP - TOL
                        or w.y1 > AREA_BOTTOM + TOL):
                    problems.append(f"page {p}: {w.text!r} outside the type area "
                                    f"({w.x0:.1f},{w.y0:.1f})-({w.x1:.1f},{w.y1:.1f})")
        # page numbers: "— N —", 4号 (14 pt), top 7 mm below the type area,
        # odd pages right and even pages left, one character in
        if banji and (p == len(pages) or not [l for l in lines if l not in numbers]):
            if numbers:
                problems.append(f"page {p}: a page number on the 版记 page or a blank one")
            continue
        if len(numbers) != 1:
            problems.append(f"page {p}: {len(numbers)} page numbers")
            continue
        nw = numbers[0]
        if line_text(nw) != f"—{p}—":
            problems.append(f"page {p}: page number reads {line_text(nw)!r}")
        top = min(w.y0 for w in nw)
        if abs(top - (AREA_BOTTOM + 7 * MM)) > TOL:
            problems.append(f"page {p}: page number top at {top / MM:.2f} mm, "
                            f"expected {(AREA_BOTTOM + 7 * MM) / MM:.2f} mm")
        x0, x1 = min(w.x0 for w in nw), max(w.x1 for w in nw)
        if p % 2 and abs(x1 - (right - 14)) > TOL:
            problems.append(f"page {p}: odd page number ends at {x1:.1f}, expected {right - 14:.1f}")
        if not p % 2 and abs(x0 - (left + 14)) > TOL:
            problems.append(f"page {p}: even page number starts at {x0:.1f}, expected {left + 14:.1f}")
    return problems


# ---- text comparison ------------------------------------------------------------------


def txt_normalised(txt):
    """The txt renderer's text without what only it has (table rules, the
    [图：…] markers), as (all characters, ordered body lines)."""
    out = []
    for line in txt.splitlines():
        if not line.strip():
            continue
        if re.fullmatch(r"[-\s]+", line):
            continue
        m = re.fullmatch(r"\[图(?:表)?：(.*)\]", line)
        if m:
            line = m.group(1)
        out.append(line)
    return "".join(re.sub(r"\s+", "", l) for l in out)


def body_lines(txt):
    """Paragraph lines of the txt output (not table rows, chart points or the
    masthead's two-sided line): pdftotext must carry each one in order."""
    lines = txt.splitlines()
    res, in_table = [], False
    for i, line in enumerate(lines):
        if line == "":
            in_table = not in_table
            continue
        if in_table or line.startswith("[图") or re.fullmatch(r"\S+ -?[\d.]+", line):
            continue
        if re.search(r"\S {2,}\S", line):
            continue
        res.append(re.sub(r"\s+", "", line))
    return res


def pdf_normalised(path):
    # physical layout: a table row reads as one line, cells in order
    text = pdftotext(path, "-layout")
    # without page numbers and the 续表 lines of continued tables (PDF only)
    lines = [l for l in text.splitlines() if not re.fullmatch(r"\s*—\s*\d+\s*—\s*", l)
             and not re.fullmatch(r"\s*续表\d*\s*", l)]
    return re.sub(r"\s+", "", "".join(lines))


def table_headers(txt):
    """Header rows of the txt tables (the lines above a "----" rule)."""
    lines = txt.splitlines()
    return [re.sub(r"\s+", "", lines[i - 1]) for i, l in enumerate(lines)
            if i and re.fullmatch(r"-[-\s]*", l)]


def drop_repeated(got, want, headers):
    """Remove the header rows a table repeats on its continuation pages."""
    for h in set(headers):
        keep = want.count(h)
        idx = [m.start() for m in re.finditer(re.escape(h), got)]
        for i in reversed(idx[keep:]):
            got = got[:i] + got[i + len(h):]
    return got


def compare_text(pdf, txt_path):
    with open(txt_path, encoding="utf-8") as f:
        txt = f.read()
    want, got = txt_normalised(txt), pdf_normalised(pdf)
    got = drop_repeated(got, want, table_headers(txt))
    cw, cg = collections.Counter(want), collections.Counter(got)
    missing, extra = cw - cg, cg - cw
    assert not missing and not extra, f"missing {dict(missing)}, extra {dict(extra)}"
    pos = 0
    for line in body_lines(txt):
        i = got.find(line, pos)
        assert i >= 0, f"body line not found in order: {line}"
        pos = i + len(line)


# ---- tests ------------------------------------------------------------------------------


def test_brief_is_valid_pdf(brief):
    r = subprocess.run(["qpdf", "--check", brief["pdf"]], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No syntax or stream encoding errors" in r.stdout
    with open(brief["pdf"], "rb") as f:
        assert f.read(5) == b"%PDF-"


def test_showcase_is_valid_pdf(showcase):
    r = subprocess.run(["qpdf", "--check", showcase["pdf"]], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("which", ["brief", "showcase"])
def test_fonts_embedded_and_subset(which, brief, showcase):
    path = {"brief": brief, "showcase": showcase}[which]["pdf"]
    r = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True)
    rows = r.stdout.splitlines()[2:]
    assert rows, "no fonts"
    for row in rows:
        cols = row.split()  # name type… encoding emb sub uni object ID
        name, emb, sub, uni = cols[0], cols[-5], cols[-4], cols[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
        assert re.match(r"^[A-Z]{6}\+", name), row


@pytest.mark.parametrize("which", ["brief", "showcase"])
def test_ghostscript_reads_it(which, brief, showcase):
    """A second, independent PDF interpreter renders every page silently."""
    if not shutil.which("gs"):
        pytest.skip("ghostscript not installed")
    path = {"brief": brief, "showcase": showcase}[which]["pdf"]
    r = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage",
                        path], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        r.stdout + r.stderr


def test_brief_text_matches_txt(brief):
    compare_text(brief["pdf"], brief["txt"])


def test_showcase_text_matches_txt(showcase):
    compare_text(showcase["pdf"], showcase["txt"])


def test_text_comparison_can_fail(brief, tmp):
    """The comparison notices one dropped or duplicated character."""
    with open(brief["txt"], encoding="utf-8") as f:
        txt = f.read()
    i = txt.index("共开展")
    for bad in (txt[:i] + txt[i + 1:], txt[:i] + txt[i] + txt[i:]):
        p = os.path.join(tmp, "bad.txt")
        with open(p, "w", encoding="utf-8") as f:
            f.write(bad)
        with pytest.raises(AssertionError):
            compare_text(brief["pdf"], p)


@pytest.mark.parametrize("which", ["brief", "showcase"])
def test_layout_rules(which, brief, showcase):
    path = {"brief": brief, "showcase": showcase}[which]["pdf"]
    problems = check_layout(path, banji=which == "showcase")
    assert not problems, "\n".join(problems)


def test_masthead_and_distribution(brief):
    pages = layout(brief["pdf"])
    first = [line_text(l) for l in pages[0]]
    assert first[0] == "民族团结工作简报"
    assert "第9期" in first[:3]
    last = [line_text(l) for l in pages[-1]]
    for want in ("报：利通区民宗局", "送：胜利镇党委、胜利镇政府", "发：社区各网格、辖区各单位",
                 "（共印30份）"):
        assert want in last, last
    # the distribution block ends at the foot of the type area
    dist = [l for l in pages[-1] if line_text(l).startswith("发：")][0]
    assert AREA_BOTTOM - dist[0].y1 < 2 * 24 + 10


def test_masthead_title_is_red(brief):
    """The 简报 name is drawn in red; the body in black."""
    r = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", brief["pdf"], "-"],
                       capture_output=True, check=True)
    content = r.stdout.decode("latin-1")
    assert re.search(r"0\.878 0 0 rg", content), "no red text colour"
    assert "0 0 0 rg" in content


def test_red_rule_and_table_borders_are_drawn(brief, showcase):
    """The rule under the masthead is a red horizontal line; table cells have borders."""
    def content(pdf):
        r = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, "-"],
                           capture_output=True, check=True)
        return r.stdout.decode("latin-1")
    rule = re.search(r"([\d.]+) w\n0\.87843 0 0 RG\n([\d.]+) ([\d.]+) m\n([\d.]+) \3 l\nS\n",
                     content(brief["pdf"]))
    assert rule, "no red rule"
    assert float(rule.group(1)) > 0.5 and float(rule.group(4)) - float(rule.group(2)) > 400
    cells = re.findall(r"[\d.]+ [\d.]+ [\d.]+ [\d.]+ re\n[SfB]\n", content(showcase["pdf"]))
    assert len(cells) >= 20, len(cells)


def test_document_info(brief):
    info = pdfinfo(brief["pdf"])
    tree = run("render", "briefing", SAMPLE, "--month", "2024-09", "-f", "tree", "-o", "-").stdout
    doc = re.search(r"<document ([^>]*)>", tree).group(1)
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', doc))
    assert info["Title"] == attrs["title"] and "2024年第9期" in info["Title"]
    assert info["Author"] == attrs.get("author", "秦渠社区居委会")
    # the briefing's front matter: subject "{{ community.name }}…工作情况"
    assert info["Subject"].startswith("秦渠社区") and info["Subject"].endswith("工作情况")
    assert info["CreationDate"].startswith("Mon Sep 30 00:00:00 2024")
    assert info["Page size"].startswith("595.276 x 841.89")


def test_outline_from_headings(showcase):
    r = subprocess.run(["qpdf", "--json", "--json-key=outlines", showcase["pdf"]],
                       capture_output=True, text=True, check=True)
    outlines = json.loads(r.stdout)["outlines"]

    def titles(items, depth=0):
        for o in items:
            yield depth, o["title"]
            yield from titles(o["kids"], depth + 1)

    got = list(titles(outlines))
    assert (0, "一、基本情况") in got
    assert (0, "二、主要做法") in got
    assert (1, "（一）加强领导，强化责任") in got
    assert (2, "1.建立制度") in got
    assert (3, "（1）落实责任") in got
    assert (0, "三、存在问题") in got


def test_deterministic(tmp):
    a = os.path.join(tmp, "d1.pdf")
    b = os.path.join(tmp, "d2.pdf")
    run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", a)
    time.sleep(1.1)  # a clock-derived date or ID would now differ
    run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", b, env={"TZ": "Asia/Shanghai",
                                                               "SOURCE_DATE_EPOCH": "1"})
    with open(a, "rb") as f1, open(b, "rb") as f2:
        assert f1.read() == f2.read()


def test_render_to_stdout_matches_file(tmp, brief):
    a = os.path.join(tmp, "s.pdf")
    run("render", "briefing", SAMPLE, "--month", "2024-09", "-f", "pdf", "-o", a)
    r = subprocess.run([LEXPORT, "render", "briefing", SAMPLE, "--month", "2024-09", "-f", "pdf",
                        "-o", "-"], capture_output=True, check=True)
    with open(a, "rb") as f:
        assert f.read() == r.stdout
    with open(brief["pdf"], "rb") as f:
        assert f.read() == r.stdout


def test_fallback_font_warning(showcase):
    # on a machine without the Windows fonts every role falls back, once each
    err = showcase["stderr"]
    lines = [l for l in err.splitlines() if "is not installed; using" in l]
    assert len(lines) <= 1, "substitutions are said in one warning"
    for role in ("fangsong", "hei", "kai", "xiaobiaosong"):
        assert len(re.findall(rf"role {role}: [^;]* is not installed; using ", err)) <= 1
    assert "warning" in err


# ---- documents made for a test ---------------------------------------------------------


def write(tmp, name, text):
    p = os.path.join(tmp, name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


def data_file(tmp, extra=None):
    with open(SAMPLE, encoding="utf-8") as f:
        data = json.load(f)
    if extra:
        data.update(extra)
    p = os.path.join(tmp, "data.json")
    with open(p, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
    for d in ("photos",):
        src = os.path.join(SRC, "samples", d)
        dst = os.path.join(tmp, d)
        if os.path.isdir(src) and not os.path.exists(dst):
            shutil.copytree(src, dst)
    return p


def test_long_table_repeats_header(tmp):
    rows = [{"date": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "category": "宣传",
             "title": f"第{i + 1}号活动", "location": "社区广场" if i % 3 else
             "社区党群服务中心会议室（二楼东侧）", "participants": 10 + i}
            for i in range(300)]
    data = data_file(tmp, {"rows": rows})
    tpl = write(tmp, "long.lxt", """---
preset: gbt9704
title: 长表
---
# 活动台账
| 序号 | 日期 | 活动名称 | 地点 | 参与人次 |
|---:|------|----------|------|---------:|
{% for a in rows %}
| {{ loop.index }} | {{ a.date }} | {{ a.title }} | {{ a.location }} | {{ a.participants }} |
{% endfor %}
| 合计 | < | < | < | {{ rows | sum("participants") }} |
Table: 表1 活动台账
""")
    pdf = os.path.join(tmp, "long.pdf")
    run("render", tpl, data, "-f", "pdf", "-o", pdf)
    pages = layout(pdf)
    assert len(pages) >= 8
    seen = []
    for p, lines in enumerate(pages, 1):
        texts = [line_text(l) for l in lines]
        assert "活动名称" in texts, f"page {p} has no header row: {texts[:5]}"
        seen += [int(n) for n in re.findall(r"第(\d+)号活动", "\n".join(texts))]
        # a continued table says so: 续表 at the right, above its header row
        # (the caption 表1 … gives 续表1); not on the table's first page
        cont = [l for l in lines if line_text(l) == "续表1"]
        if p == 1:
            assert not cont and "续表" not in "".join(texts), texts[:5]
            continue
        assert len(cont) == 1, f"page {p}: no 续表1 line: {texts[:3]}"
        head = next(l for l in lines if line_text(l) == "活动名称")
        right = ((28 if p % 2 else 26) + 156) * MM
        assert cont[0][-1].y1 <= head[0].y0 and abs(cont[0][-1].x1 - right) < 1, cont
    assert seen == list(range(1, 301)), "rows missing, repeated or out of order"
    problems = check_layout(pdf)
    assert not problems, "\n".join(problems[:20])


def test_rowspan_groups_stay_together(tmp):
    """Rows tied by a rowspan ("^") move to the next page together."""
    rows = []
    for g in range(40):
        for k in range(4):
            first = f"第{g + 1}组" if k == 0 else "^"
            rows.append(f"| {first} | 第{g + 1}组第{k + 1}项活动 | {g * 4 + k} |")
    tpl = write(tmp, "span.lxt", """---
preset: gbt9704
title: 跨页合并
---
| 组 | 活动 | 人次 |
|------|------|-----:|
""" + "\n".join(rows) + "\n")
    pdf = os.path.join(tmp, "span.pdf")
    run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    pages = layout(pdf)
    assert len(pages) >= 3
    where = {}
    for p, lines in enumerate(pages, 1):
        for g, k in re.findall(r"第(\d+)组第(\d+)项", "\n".join(line_text(l) for l in lines)):
            where.setdefault(int(g), set()).add(p)
    assert sorted(where) == list(range(1, 41))
    assert all(len(v) == 1 for v in where.values()), where
    assert not check_layout(pdf)


def test_tall_row_is_split(tmp):
    text = "很长的单元格内容，" * 400
    tpl = write(tmp, "tall.lxt", f"""---
preset: gbt9704
title: 高行
---
| 项目 | 说明 |
|------|------|
| 甲 | {text} |
| 乙 | 结束 |
""")
    pdf = os.path.join(tmp, "tall.pdf")
    run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    got = drop_repeated(pdf_normalised(pdf), "项目说明", ["项目说明"])
    assert got.count("很长的单元格内容") == 400
    assert got.endswith("乙结束") or "乙结束" in got
    pages = layout(pdf)
    assert len(pages) >= 3
    for lines in pages:
        assert "说明" in [line_text(l) for l in lines]
    assert not check_layout(pdf)


def test_unbreakable_words_stay_inside(tmp):
    """Words longer than a line or a column break between characters."""
    tpl = write(tmp, "words.lxt", "---\npreset: gbt9704\ntitle: 长词\n---\n" + "a" * 3000 +
                "\n\n| 甲 | 乙 |\n|---|---|\n| " + "x" * 2000 + " | " + "汉" * 800 + " |\n")
    pdf = os.path.join(tmp, "words.pdf")
    run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    problems = [p for p in check_layout(pdf) if "outside" in p]
    assert not problems, problems[:5]
    got = drop_repeated(pdf_normalised(pdf), "甲乙", ["甲乙"])
    assert got.count("a") == 3000 and got.count("x") == 2000 and got.count("汉") == 800


def test_missing_glyph_warning(tmp):
    # U+1F600 (an emoji) and U+10400: no installed Chinese font has them
    tpl = write(tmp, "missing.lxt", """---
preset: gbt9704
title: 缺字
---
正文里有😀和𐐀两个字符。
""")
    pdf = os.path.join(tmp, "missing.pdf")
    r = run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    assert "U+1F600" in r.stderr and "U+10400" in r.stderr, r.stderr
    assert "warning" in r.stderr
    # boxes on the page, the characters in the text layer
    assert "正文里有😀和𐐀两个字符" in pdf_normalised(pdf)
    # the placeholders are drawn (rectangles in the content stream)
    q = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, "-"],
                       capture_output=True, check=True).stdout.decode("latin-1")
    assert len(re.findall(r" re\n", q)) >= 2


def test_supplementary_character_from_fallback_font(tmp):
    """U+20B9F (𠮟) is beyond U+FFFF: it comes from the next font of the
    chain that has it and extracts as itself."""
    if subprocess.run(["fc-list", ":charset=20b9f", "family"], capture_output=True,
                      text=True).stdout.strip() == "":
        pytest.skip("no installed font has U+20B9F")
    tpl = write(tmp, "supp.lxt", """---
preset: gbt9704
title: 扩展字
---
他被𠮟责了一顿。
""")
    pdf = os.path.join(tmp, "supp.pdf")
    r = run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    assert "他被𠮟责了一顿。" in pdf_normalised(pdf)
    assert "U+20B9F" in r.stderr  # taken from a fallback font: reported


def test_font_override_per_call(tmp):
    zen = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    if not os.path.exists(zen):
        pytest.skip("fonts-wqy-zenhei not installed")
    pdf = os.path.join(tmp, "zen.pdf")
    r = run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", pdf, "--font",
            f"fangsong={zen}:0")
    assert "role fangsong" not in r.stderr
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    assert "WenQuanYiZenHei" in fonts


def test_font_override_in_front_matter(tmp):
    kai = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"
    if not os.path.exists(kai):
        pytest.skip("fonts-arphic-gkai00mp not installed")
    tpl = write(tmp, "fm.lxt", f"""---
preset: gbt9704
title: 字体
fonts:
  fangsong: {kai}
---
正文用楷体。
""")
    pdf = os.path.join(tmp, "fm.pdf")
    r = run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    assert "role fangsong" not in r.stderr
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout
    assert "GBZenKai" in fonts


def test_bad_font_file_is_an_error(tmp):
    bad = write(tmp, "bad.ttf", "not a font")
    pdf = os.path.join(tmp, "bad.pdf")
    r = run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", pdf, "--font", f"song={bad}",
            check=False)
    assert r.returncode != 0
    assert "not a TrueType/OpenType font" in r.stderr, r.stderr
    assert not os.path.exists(pdf)


def test_no_usable_font_names_a_package(tmp):
    # a fontconfig setup that only knows DejaVu (no Han at all)
    conf = write(tmp, "fonts.conf", """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>
<cachedir>%s</cachedir></fontconfig>
""" % os.path.join(tmp, "fccache"))
    pdf = os.path.join(tmp, "nofont.pdf")
    r = run("render", SHOWCASE, SAMPLE, "-f", "pdf", "-o", pdf, check=False,
            env={"FONTCONFIG_FILE": conf})
    assert r.returncode != 0
    assert "fonts-arphic-gbsn00lp" in r.stderr and "--font" in r.stderr, r.stderr


def test_missing_image_is_a_warning(tmp):
    tpl = write(tmp, "img.lxt", """---
preset: gbt9704
title: 图片
---
前文。
![不存在的照片](photos/none.png){width=0.5}
后文。
""")
    pdf = os.path.join(tmp, "img.pdf")
    r = run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    assert "photos/none.png" in r.stderr and "placeholder" in r.stderr
    assert "前文。不存在的照片后文。" in pdf_normalised(pdf)


def test_jpeg_image(tmp, showcase):
    """A JPEG goes in as it is (DCT); pdftoppm makes one from a page."""
    data = data_file(tmp)
    os.makedirs(os.path.join(tmp, "photos"), exist_ok=True)
    subprocess.run(["pdftoppm", "-jpeg", "-r", "20", "-f", "1", "-l", "1", "-singlefile",
                    showcase["pdf"], os.path.join(tmp, "photos", "page")], check=True)
    tpl = write(tmp, "jpeg.lxt", """---
preset: gbt9704
title: 照片
---
![一页的缩影](photos/page.jpg){width=0.4}
""")
    pdf = os.path.join(tmp, "jpeg.pdf")
    r = run("render", tpl, data, "-f", "pdf", "-o", pdf)
    assert "placeholder" not in r.stderr
    lst = subprocess.run(["pdfimages", "-list", pdf], capture_output=True, text=True).stdout
    assert " jpeg " in lst, lst
    assert "一页的缩影" in pdf_normalised(pdf)


def png_bytes(w, h, ctype, depth, rows, palette=None):
    """A minimal PNG: IHDR, optional PLTE, one IDAT of unfiltered rows."""
    import struct
    import zlib

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    raw = b"".join(b"\0" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if palette:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def rendered_colours(pdf):
    """Pixel colours of page 1 rendered at 36 dpi, with their counts."""
    r = subprocess.run(["pdftoppm", "-r", "36", "-f", "1", "-l", "1", "-singlefile", pdf],
                       capture_output=True, check=True)
    data = r.stdout
    # binary PPM: P6 w h maxval, then RGB bytes
    parts = data.split(b"\n", 3)
    w, h = map(int, parts[1].split())
    px = parts[3]
    return collections.Counter(px[i:i + 3] for i in range(0, w * h * 3, 3))


@pytest.mark.parametrize("kind", ["rgb", "gray", "palette4", "rgba", "rgb16"])
def test_png_kinds(kind, tmp):
    """PNGs go in directly (opaque, ≤ 8 bits) or through libharu (alpha,
    16 bits) and show their colour."""
    w, h = 48, 24
    want = (200, 30, 40)
    if kind == "rgb":
        png = png_bytes(w, h, 2, 8, [bytes(want) * w] * h)
    elif kind == "gray":
        want = (128, 128, 128)
        png = png_bytes(w, h, 0, 8, [b"\x80" * w] * h)
    elif kind == "palette4":
        png = png_bytes(w, h, 3, 4, [b"\x11" * (w // 2)] * h, palette=[(0, 0, 0), want])
    elif kind == "rgba":
        png = png_bytes(w, h, 6, 8, [(bytes(want) + b"\xff") * w] * h)
    else:
        png = png_bytes(w, h, 2, 16, [bytes(c for v in want for c in (v, 0)) * w] * h)
    os.makedirs(os.path.join(tmp, "photos"), exist_ok=True)
    with open(os.path.join(tmp, "photos", f"{kind}.png"), "wb") as f:
        f.write(png)
    tpl = write(tmp, f"png-{kind}.lxt", f"""---
preset: gbt9704
title: 图
---
![{kind}](photos/{kind}.png){{width=0.5}}
""")
    pdf = os.path.join(tmp, f"png-{kind}.pdf")
    r = run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    assert "placeholder" not in r.stderr, r.stderr
    colours = rendered_colours(pdf)
    near = sum(n for c, n in colours.items() if all(abs(a - b) <= 3 for a, b in zip(c, want)))
    assert near > 500, (kind, colours.most_common(4))
    if shutil.which("gs"):
        g = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage",
                            pdf], capture_output=True, text=True)
        assert g.returncode == 0 and not (g.stdout + g.stderr).strip(), g.stdout + g.stderr


def test_image_is_embedded(showcase):
    r = subprocess.run(["pdfimages", "-list", showcase["pdf"]], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("pdfimages not available")
    assert len(r.stdout.splitlines()) >= 3


def test_plain_preset(tmp):
    tpl = write(tmp, "plain.lxt", """---
preset: plain
title: 普通报告
---
# 情况
""" + "这是一段普通的正文，用来检查页码居中。" * 80 + "\n")
    pdf = os.path.join(tmp, "plain.pdf")
    run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
    pages = layout(pdf)
    assert len(pages) >= 2
    for p, lines in enumerate(pages, 1):
        nums = [l for l in lines if PAGENUM.match(line_text(l))]
        assert len(nums) == 1
        mid = (nums[0][0].x0 + nums[0][-1].x1) / 2
        assert abs(mid - 595.2756 / 2) < 1, mid


def test_grid_28_characters_per_line(brief):
    """Body lines of a full paragraph fill the 156 mm measure (GB/T 9704
    grid): justified lines end at the right edge."""
    pages = layout(brief["pdf"])
    ends = []
    for p, lines in enumerate(pages, 1):
        left = (28 if p % 2 else 26) * MM
        for words in lines:
            t = line_text(words)
            # a full line of a paragraph, not its last
            if len(t) >= 26 and words[0].x0 < left + 1 and t[-1] not in "。！？":
                ends.append(words[-1].x1 - (left + AREA_W))
    assert ends, "no full lines found"
    assert max(abs(e) for e in ends) < TOL, ends


@pytest.mark.parametrize("preset,zen", [("gbt9704", False), ("plain", True)],
                         ids=["gbt9704-default-fonts", "plain-wqy"])
def test_justified_spacing_set_once(tmp, preset, zen):
    """A justified line's common extra spacing is one Tc operator, not an
    adjustment after every glyph (page contents about a third smaller);
    the glyphs stay where the layout put them: the full lines of a
    paragraph end together at the right edge, numbers are spaced alike in
    every line, and a line set without extra spacing (the last of a
    paragraph, off the GB/T 9704 grid and in a font whose advances are
    whole ems) does not inherit the spacing of the lines before."""
    fonts = []
    if zen:
        path = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
        if not os.path.exists(path):
            pytest.skip("fonts-wqy-zenhei not installed")
        for role in ("song", "fangsong", "hei", "kai", "xiaobiaosong"):
            fonts += ["--font", f"{role}={path}:0"]
    head = f"---\npreset: {preset}\ntitle: 关于宣传活动的报告\n---\n"
    text = "2024年社区开展了民族团结进步宣传活动，共有 356 名居民参加。" * 12
    tpl = write(tmp, "tc.lxt", head + text + "\n\n以上报告 356 请审阅\n")
    alone = write(tmp, "tc-alone.lxt", head + "以上报告 356 请审阅\n")
    pdf, pdf_alone = os.path.join(tmp, "tc.pdf"), os.path.join(tmp, "tc-alone.pdf")
    qdf = os.path.join(tmp, "tc-qdf.pdf")
    run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf, *fonts)
    run("render", alone, data_file(tmp), "-f", "pdf", "-o", pdf_alone, *fonts)
    q = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", pdf, qdf],
                       capture_output=True, text=True)
    assert q.returncode == 0, q.stderr
    with open(qdf, "rb") as f:
        content = f.read().decode("latin-1")
    arrays = re.findall(r"\[(<[^\]]*)\] TJ", content)
    glyphs = sum(len(h) // 4 for a in arrays for h in re.findall(r"<([0-9A-Fa-f]*)>", a))
    adjust = sum(len(re.findall(r">(-?[\d.]+)<", a)) for a in arrays)
    spacing = [float(v) for v in re.findall(r"(-?[\d.]+) Tc\n", content)]
    assert glyphs > 300 and any(abs(v) >= 0.05 for v in spacing), spacing
    assert adjust * 3 < glyphs, (adjust, glyphs)

    lines = layout(pdf)[0]
    body = [l for l in lines if "社区" in line_text(l) or "居民" in line_text(l)]
    left = min(l[0].x0 for l in body)
    full = [l for l in body[:-1] if l[0].x0 < left + 1]
    assert len(full) >= 5, [line_text(l) for l in body]
    # poppler's box of a line's last glyph depends on the glyph: compare the
    # lines that end in a Chinese character
    ends = [l[-1].x1 for l in full if "\u4e00" <= line_text(l)[-1] <= "\u9fff"]
    assert len(ends) >= 4 and max(ends) - min(ends) < 0.02, ends
    if preset == "gbt9704":
        assert max(abs(e - 28 * MM - AREA_W) for e in ends) < TOL, ends
    numbers = [w.x1 - w.x0 for l in lines for w in l if w.text == "356"]
    assert len(numbers) == 13 and max(numbers) - min(numbers) < 0.01, numbers

    def closing(path):
        found = [l for l in layout(path)[0] if line_text(l) == "以上报告356请审阅"]
        assert len(found) == 1, [line_text(l) for l in layout(path)[0]]
        return found[0][-1].x1 - found[0][0].x0

    assert abs(closing(pdf) - closing(pdf_alone)) < 0.01


def test_banji_on_an_even_page_without_number(tmp):
    """GB/T 9704 (domain conventions §1): the 版记 is on the last page, which
    is an even one; blank pages before it and the 版记 page carry no page
    number; the pages before are numbered as usual. Text of several lengths:
    the 版记 shares an even page with the text's end, moves from an odd page
    to the next, or leaves a blank page behind."""
    seen = collections.Counter()
    for k in (1, 20, 22, 28, 32, 34, 54):
        tpl = write(tmp, "banji.lxt", "---\npreset: gbt9704\ntitle: 关于开展民族团结宣传月活动的通知\n"
                    "---\n" + ("各网格、各成员单位要充分认识民族团结工作的重要性，把各项工作落到实处。" * 3
                               + "\n\n") * k +
                    "::: distribution\nreport: 利通区民宗局\ncopies: 50\nprinter: 秦渠社区居委会\n"
                    "date: 2024年9月30日\n:::\n")
        pdf = os.path.join(tmp, "banji.pdf")
        run("render", tpl, data_file(tmp), "-f", "pdf", "-o", pdf)
        pages = layout(pdf)
        n = len(pages)
        texts = [[line_text(l) for l in lines] for lines in pages]
        where = [p for p in range(n) if any(t.startswith("报：") for t in texts[p])]
        assert where == [n - 1], (k, where, n)
        assert n % 2 == 0, f"{k}: the 版记 is on page {n}, an odd page"
        last_text = max(p for p in range(n) if any("落到实处" in t for t in texts[p]))
        for p in range(n):
            nums = [t for t in texts[p] if PAGENUM.match(t)]
            if p <= last_text and p != n - 1:
                assert nums == [f"—{p + 1}—"], (k, p + 1, nums)
            else:
                assert nums == [], f"{k}: page {p + 1} (blank or 版记) has number {nums}"
                if p < n - 1:
                    assert texts[p] == [], f"{k}: page {p + 1} should be blank: {texts[p][:3]}"
        seen["shared" if last_text == n - 1 else "blank" if n - 1 - last_text > 1 else "moved"] += 1
    assert seen["shared"] and seen["moved"] and seen["blank"], seen
