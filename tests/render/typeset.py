"""Reading a typeset page back: text lines from pdftotext -bbox-layout,
grouped by page, and the keep rules checked on them.

Used for our PDF and for LibreOffice's rendering of our DOCX alike, so it
knows nothing of either renderer: lines, their boxes, and the document tree
(-f tree) to tell headings, the signature and the 版记 apart.
"""
import re
import subprocess
import xml.etree.ElementTree as ET

MM = 72.0 / 25.4
PAGE_H = 297 * MM
AREA_TOP = 37 * MM
AREA_BOTTOM = (37 + 225) * MM
EM = 156 * MM / 28  # a character on the GB/T 9704 grid
PUNCT = set("，。、；：？！）》」』】〕〉’”％,.;:?!)]}（《「『【〔〈‘“([{—…·")


class Line:
    def __init__(self, page, x0, y0, x1, y1, text):
        self.page, self.x0, self.y0, self.x1, self.y1 = page, x0, y0, x1, y1
        self.text = text

    def __repr__(self):
        return "p%d y%.0f x%.0f-%.0f %r" % (self.page + 1, self.y0, self.x0, self.x1, self.text)


def flat(s):
    return re.sub(r"\s+", "", s)


def pages(pdf):
    """Lines of each page: [[Line]], top to bottom; words of one line joined."""
    r = subprocess.run(["pdftotext", "-bbox-layout", pdf, "-"], capture_output=True,
                       text=True, check=True)
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", r.stdout).replace(
        'xmlns="http://www.w3.org/1999/xhtml"', ""))
    out = []
    for pi, page in enumerate(root.iter("page")):
        rows = []
        for line in page.iter("line"):
            words = list(line.iter("word"))
            if not words:
                continue
            box = [float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
            rows.append(Line(pi, *box, "".join(w.text or "" for w in words)))
        # poppler may cut one visual line in two (a bold run, another font):
        # merge lines whose vertical centres agree
        rows.sort(key=lambda l: ((l.y0 + l.y1) / 2, l.x0))
        merged = []
        for l in rows:
            m = merged[-1] if merged else None
            if m and abs((m.y0 + m.y1) / 2 - (l.y0 + l.y1) / 2) < 4:
                m.x0, m.x1 = min(m.x0, l.x0), max(m.x1, l.x1)
                m.y0, m.y1 = min(m.y0, l.y0), max(m.y1, l.y1)
                m.text += l.text
            else:
                merged.append(l)
        out.append(merged)
    return out


def body_lines(pg):
    """The lines inside the type area (no page numbers)."""
    return [l for l in pg if l.y1 <= AREA_BOTTOM + 3 and not re.fullmatch(r"[—\-–]*\d+[—\-–]*",
                                                                             flat(l.text))]


def tree(lexport, template, data, month):
    r = subprocess.run([lexport, "render", template, data, "--month", month, "-f", "tree",
                        "-o", "-"], capture_output=True, text=True, check=True)
    return ET.fromstring(r.stdout)


def node_text(el):
    return flat((el.get("number") or "") + "".join(el.itertext()))


def find(pgs, text, start=None):
    """Where a text starts (page, index in body lines), the first at or after
    `start`; None when not found."""
    want = flat(text)
    sp, si = start or (0, 0)
    for p in range(sp, len(pgs)):
        lines = body_lines(pgs[p])
        for i in range(si if p == sp else 0, len(lines)):
            if want and (flat(lines[i].text).startswith(want[:12]) or
                         want.startswith(flat(lines[i].text)) and len(flat(lines[i].text)) >= 4):
                return p, i
    return None


def keep_problems(pgs, doc):
    """Breaches of the keep rules, as strings."""
    bad = []
    kinds = [el for el in doc if el.tag in ("heading", "signature", "paragraph", "title")]
    pos = (0, 0)
    located = []
    for el in kinds:
        text = el.get("issuer") if el.tag == "signature" else node_text(el)
        if not text:
            continue
        at = find(pgs, text, pos)
        if at is None:
            continue
        located.append((el, at))
        pos = at
    for el, (p, i) in located:
        lines = body_lines(pgs[p])
        if el.tag == "signature":
            # GB/T 9704 §7.3.5: at least two lines of text on its page
            if i < 2:
                bad.append("signature %r with %d line(s) above it on page %d" %
                           (el.get("issuer"), i, p + 1))
        elif el.tag == "heading":
            text = node_text(el)
            # the heading's own lines
            j, got = i, ""
            while j < len(lines) and len(flat(got)) < len(text):
                got += lines[j].text
                j += 1
            after = len(lines) - j
            nxt = body_lines(pgs[p + 1]) if p + 1 < len(pgs) else []
            if after < 2 and nxt and not heading_like(nxt[0], doc):
                # what follows goes on: fewer than two of its lines here
                if after == 0 or not para_end(lines[-1], lines):
                    bad.append("heading %r at the foot of page %d with %d line(s) after it" %
                               (text, p + 1, after))
    return bad


def heading_like(line, doc):
    t = flat(line.text)
    for el in doc:
        if el.tag in ("heading", "signature", "title") and t and \
                t.startswith(flat(el.get("issuer") or node_text(el))[:8]):
            return True
    return False


def right_edge(lines):
    return max(l.x1 for l in lines)


def para_end(line, lines):
    """A line that ends its paragraph: short of the right edge by a character."""
    return line.x1 < right_edge(lines) - EM * 0.9


def orphans_widows(pgs, doc):
    """Single lines of a paragraph left at a page's foot or top."""
    bad = []
    for p in range(len(pgs) - 1):
        a, b = body_lines(pgs[p]), body_lines(pgs[p + 1])
        if len(a) < 3 or len(b) < 1:
            continue
        left = min(l.x0 for l in a)
        last, first = a[-1], b[0]
        starts = last.x0 > left + EM * 1.5  # indented: a paragraph's first line
        if starts and not para_end(last, a) and not heading_like(last, doc) and \
                not heading_like(first, doc) and first.x0 < left + EM * 0.5:
            bad.append("first line alone at the foot of page %d: %r" % (p + 1, last.text))
        lb = min(l.x0 for l in b) if b else left
        cont = first.x0 < lb + EM * 0.5 and not heading_like(first, doc)
        if cont and len(b) >= 2 and para_end(first, b + a) and not heading_like(last, doc) \
                and (b[1].x0 > lb + EM * 1.5 or heading_like(b[1], doc)) and \
                not para_end(last, a):
            bad.append("last line alone at the top of page %d: %r" % (p + 2, first.text))
    return bad


def short_last_lines(pgs, most=2):
    """Paragraph last lines of `most` characters or fewer (plus punctuation)."""
    bad = []
    for p, pg in enumerate(pgs):
        lines = body_lines(pg)
        for k, l in enumerate(lines):
            t = flat(l.text)
            core = [c for c in t if c not in PUNCT]
            if 0 < len(core) <= most and k > 0 and not para_end(lines[k - 1], lines) and \
                    l.x0 < lines[k - 1].x0 + EM * 0.5 and len(flat(lines[k - 1].text)) >= 20:
                bad.append("page %d: last line %r" % (p + 1, t))
    return bad


def distribution_problems(pgs, doc):
    """The 版记 / 报尾: on the last page, whole, in its lower third."""
    dist = doc.find("distribution")
    if dist is None:
        return []
    bad = []
    last = len(pgs) - 1
    want = [lab for lab, key in (("报：", "report"), ("送：", "send"), ("发：", "distribute"))
            if dist.get(key)]
    copies = dist.get("copies")
    found = {}
    for p, pg in enumerate(pgs):
        for l in body_lines(pg):
            t = flat(l.text)
            for lab in want:
                if t.startswith(lab):
                    found[lab] = l
            if "共印" in t:
                found["copies"] = l
    for lab in want + (["copies"] if copies else []):
        l = found.get(lab)
        if l is None:
            bad.append("版记 line %s not found" % lab)
        elif l.page != last:
            bad.append("版记 line %s on page %d of %d" % (lab, l.page + 1, last + 1))
        elif l.y0 < PAGE_H * 2 / 3:
            bad.append("版记 line %s at y %.0f, above the lower third" % (lab, l.y0))
    return bad


def single_char_last_lines(pgs):
    """Paragraph last lines of a single character (plus punctuation)."""
    return [b for b in short_last_lines(pgs, 1)]


def masthead_problems(pgs, doc):
    """The 简报 name on one line of page 1."""
    m = doc.find("masthead")
    if m is None or not m.get("title") or not pgs:
        return []
    want = flat(m.get("title"))
    for l in pgs[0]:
        if flat(l.text) == want:
            return []
    return ["masthead %r is not one line of page 1: %r" %
            (want, [l.text for l in pgs[0][:4]])]


# ---- glyphs ------------------------------------------------------------------------

class Glyph:
    def __init__(self, page, x0, base, x1, ch, size):
        self.page, self.x0, self.base, self.x1, self.ch, self.size = page, x0, base, x1, ch, size

    def __repr__(self):
        return "p%d %r x%.2f-%.2f b%.2f %gpt" % (self.page + 1, self.ch, self.x0, self.x1,
                                                 self.base, self.size)


def glyphs(pdf, tmpdir):
    """Every glyph of every page: Ghostscript's txtwrite gives each one's box
    from the PDF's own positions and widths (pdftotext only has words, and a
    Chinese line is one word). [[Glyph]] per page, in drawing order."""
    tw = tmpdir + "/txtwrite.xml"
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=txtwrite",
                    "-r720", "-dTextFormat=0", "-sOutputFile=" + tw, pdf], check=True)
    with open(tw, encoding="utf-8") as f:
        doc = f.read()
    out = []
    for pi, page in enumerate(re.findall(r"<page>(.*?)</page>", doc, re.S)):
        gs = []
        for span in re.finditer(r'<span bbox="[^"]*" font="[^"]*" size="([\d.]+)">(.*?)</span>',
                                page, re.S):
            for m in re.finditer(r'<char bbox="(-?\d+) (-?\d+) (-?\d+) -?\d+" c="([^"]*)"/>',
                                 span.group(2)):
                c = m.group(4)
                c = chr(int(c[3:-1], 16)) if c.startswith("&#x") else c
                gs.append(Glyph(pi, int(m.group(1)) / 10, int(m.group(2)) / 10,
                                int(m.group(3)) / 10, c, float(span.group(1))))
        out.append(gs)
    return out


def glyph_lines(page_glyphs):
    """Glyphs grouped by baseline, each line left to right."""
    rows = {}
    for g in page_glyphs:
        rows.setdefault(round(g.base, 1), []).append(g)
    return [sorted(v, key=lambda g: g.x0) for _, v in sorted(rows.items())]


def han(ch):
    return "\u4e00" <= ch <= "\u9fff"


def squeezed_lines(pgs, size=16, tol=0.15):
    """Lines of grid text (`size` pt, inside the type area) whose characters
    are set closer than the grid's pitch (GB/T 9704: 28 to the line): the
    distance between two adjacent Han characters is below EM. Wider is
    allowed (a justified line with Latin text or a pushed-down character
    must spread). txtwrite rounds positions to 0.1 pt: hence `tol`."""
    bad = []
    for page in pgs:
        for line in glyph_lines(page):
            if not line or abs(line[0].size - size) > 0.01 or line[0].base > AREA_BOTTOM + 3:
                continue
            steps = [b.x0 - a.x0 for a, b in zip(line, line[1:])
                     if han(a.ch) and han(b.ch) and abs(a.size - size) < 0.01]
            if steps and min(steps) < EM - tol:
                bad.append("page %d: %.2f pt between characters (grid %.2f): %s" % (
                    line[0].page + 1, min(steps), EM, "".join(g.ch for g in line)))
    return bad


# ---- titles -----------------------------------------------------------------------

# (title, subtitle) sizes and the type area's left edge on odd pages and
# width, per preset (doc/style.c)
TITLE_SIZES = {"gbt9704": (22, 16), "briefing": (22, 16), "plain": (18, 14)}
AREAS = {"gbt9704": (28 * MM, 156 * MM), "briefing": (28 * MM, 156 * MM),
         "plain": (31.8 * MM, 146.4 * MM)}


def icu_words(text):
    """The places in flat(text) where ICU's word break iterator (PyICU,
    zh) starts a word, as indices into the text without white space."""
    import icu
    bi = icu.BreakIterator.createWordInstance(icu.Locale("zh"))
    bi.setText(text)
    units = [0]  # UTF-16 offset → index into text
    for ch in text:
        units += [units[-1] + (2 if ord(ch) > 0xFFFF else 1)]
    at = {u: i for i, u in enumerate(units)}
    flat_at, k = [], 0  # index into text → index into flat(text)
    for ch in text:
        flat_at.append(k)
        k += not ch.isspace()
    flat_at.append(k)
    return {flat_at[at[b]] for b in bi if b in at}


def title_lines(pgs, text):
    """The lines (consecutive, one page) that spell a title, or None."""
    want = flat(text)
    for pg in pgs:
        for i in range(len(pg)):
            acc, j = "", i
            while j < len(pg) and acc != want and want.startswith(acc + flat(pg[j].text)):
                acc += flat(pg[j].text)
                j += 1
            if acc == want and j > i:
                return pg[i:j]
    return None


def title_problems(pgs, doc):
    """Each title and subtitle: clear of the type area's edges by half a
    character; when it takes several lines, broken only where ICU starts a
    word, lines within three characters of one another and the last not
    longer than the first by more than two, the last line two characters
    or more that are not all punctuation."""
    bad = []
    sizes = TITLE_SIZES.get(doc.get("preset"), (22, 16))
    left, width = AREAS.get(doc.get("preset"), AREAS["gbt9704"])
    for el in doc:
        if el.tag not in ("title", "subtitle"):
            continue
        text = "".join(el.itertext())
        size = sizes[el.tag == "subtitle"]
        lines = title_lines(pgs, text)
        if lines is None:
            bad.append("%s %r not found as lines" % (el.tag, text))
            continue
        lo = left if lines[0].page % 2 == 0 else 26 * MM
        for l in lines:
            if l.x0 < lo + size / 2 - 1 or l.x1 > lo + width - size / 2 + 1:
                bad.append("%s line %r runs to the edge (x %.1f–%.1f)" % (el.tag, l.text, l.x0,
                                                                          l.x1))
        if len(lines) < 2:
            continue
        words, k = icu_words(text), 0
        for l in lines[:-1]:
            k += len(flat(l.text))
            if k not in words:
                bad.append("%s %r broken inside a word after %r" % (el.tag, text, l.text))
        ws = [l.x1 - l.x0 for l in lines]
        if max(ws) - min(ws) > 3 * size + 1 or ws[-1] > ws[0] + 2 * size:
            bad.append("%s lines of %s pt: not balanced: %r" %
                       (el.tag, [round(w) for w in ws], [l.text for l in lines]))
        core = [c for c in flat(lines[-1].text) if c not in PUNCT]
        if len(core) < 2:
            bad.append("%s %r: last line %r" % (el.tag, text, lines[-1].text))
    return bad


def title_gap(pgs, doc, pitch=225 * MM / 22):
    """Baseline to baseline from the last line of the title (and subtitle)
    to the first line of text after it on page 1, in grid lines; None when
    the document has no title. GB/T 9704 §7.3.1: one blank line below the
    title, so about two grid lines."""
    heads = [flat("".join(el.itertext())) for el in doc if el.tag in ("title", "subtitle")]
    if not heads or not pgs:
        return None
    want = "".join(heads)
    last = None
    for line in glyph_lines(pgs[0]):
        t = flat("".join(g.ch for g in line))
        if t and t in want:
            last = line[0].base
        elif last is not None and line[0].base > last:
            return (line[0].base - last) / pitch
    return None


MARKS = "、。，；：！？"


def mark_gaps(pdf, pgs, tmpdir, dpi=216):
    """For every full-width mark set at half width (its box narrower than
    0.9 em, after a character on its line): the empty advance between the
    end of the character before it and the mark's first ink, in pt, from
    pdftoppm's raster. [(glyph, gap)]; a mark without ink gives None."""
    from PIL import Image
    out = []
    k = dpi / 72
    for pi, page in enumerate(pgs):
        todo = []
        for line in glyph_lines(page):
            for prev, g in zip(line, line[1:]):
                if g.ch in MARKS and g.x1 - g.x0 < 0.9 * g.size and g.base <= AREA_BOTTOM + 3:
                    todo.append((prev, g))
        if not todo:
            continue
        stem = "%s/ink-%d" % (tmpdir, pi)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(pi + 1), "-l",
                        str(pi + 1), "-singlefile", "-png", pdf, stem], check=True)
        img = Image.open(stem + ".png").convert("L")
        px = img.load()
        for prev, g in todo:
            start, ink = prev.x1, None
            rows = range(int((g.base - 0.8 * g.size) * k), int((g.base + 0.3 * g.size) * k))
            for col in range(int(start * k), int(g.x1 * k) + 1):
                if any(px[col, row] < 160 for row in rows):
                    ink = col / k
                    break
            out.append((g, None if ink is None else ink - start))
    return out
