"""Golden tests of the built-in templates on every sample, in every format.

For each template × sample the text output must equal the reviewed file in
tests/golden/ (regenerate with LEXP_UPDATE_GOLDEN=1 and review the diff).
Every other format is read back by an independent reader (pdftotext,
python-docx, openpyxl) and must carry the same text, and the totals that
this test computes itself from the JSON must appear in it.
"""
import collections
import io
import json
import os
import re
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", ".")
GOLDEN = os.path.join(SRC, "tests", "golden")
UPDATE = os.environ.get("LEXP_UPDATE_GOLDEN") == "1"

# sample → the month its documents are rendered for
SAMPLES = {"qinqu": "2024-09", "hualinshan": "2011-03", "xiaobeigou": "2023-06",
           "jianlin": "2021-06", "haixing": "2023-09", "shanshan": "2024-03"}
TEMPLATES = ["briefing", "summary", "deeds", "plan", "report", "stats"]
FORMATS = {t: ["pdf", "docx"] for t in TEMPLATES}
FORMATS["briefing"] = ["pdf", "docx", "xlsx"]
FORMATS["stats"] = ["pdf", "docx", "xlsx"]
CASES = [(t, s) for t in TEMPLATES for s in SAMPLES]


def data_of(sample):
    return json.load(open(os.path.join(SRC, "samples", sample + ".json"), encoding="utf-8"))


def render(template, sample, fmt):
    r = subprocess.run([LEXPORT, "render", template, os.path.join(SRC, "samples", sample + ".json"),
                        "--month", SAMPLES[sample], "-f", fmt, "-o", "-"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def squash(s):
    """Text without white space, for comparing across layouts."""
    return re.sub(r"\s+", "", s)


def sessions(acts):
    return sum(a.get("sessions", 1) for a in acts)


def expected_figures(template, sample):
    """Figures the document must show, computed here from the JSON."""
    d = data_of(sample)
    month = SAMPLES[sample]
    acts = d.get("activities", [])
    figs = []
    if template == "briefing":
        m = [a for a in acts if a["date"].startswith(month)]
        figs.append(f"共开展各类活动{sessions(m)}场次")
        people = sum(a.get("participants", 0) for a in m)
        if people:
            # as prose writes it: exact below 100万 (as the data's own summaries are),
            # else in 万 with one decimal
            big = str(people) if people < 1000000 else f"{people / 10000:.1f}".removesuffix(".0") + "万"
            figs.append(f"参与群众{big}人次")
        disp = [x for x in d.get("disputes", []) if x["date"].startswith(month)]
        if disp:
            figs.append(f"排查各类矛盾纠纷{sum(x['found'] for x in disp)}起")
        # 期号 restarts each January (counted from the first issue in its own year)
        first = d["briefing"]["first_issue_month"]
        issue = int(month[5:]) - int(first[5:]) + 1 if first[:4] == month[:4] else int(month[5:])
        figs.append(f"第{issue}期")
        if d["briefing"].get("copies"):
            figs.append(f"共印{d['briefing']['copies']}份")
    elif template in ("summary", "stats"):
        y = month[:4]
        ytd = [a for a in acts if a["date"][:7] >= y + "-01" and a["date"][:7] <= month]
        if template == "summary":
            figs.append(f"共开展各类活动{sessions(ytd)}场次")
        else:
            figs.append(str(sum(a.get("participants", 0) for a in ytd)))
            by = collections.Counter(a["category"] for a in ytd)
            for cat, n in by.items():
                if cat in ("宣传", "培训", "座谈会", "文艺汇演", "走访慰问", "矛盾纠纷排查调处", "帮扶", "志愿服务", "节日活动"):
                    figs.append(cat)
    elif template == "deeds":
        # everything up to the document date, nothing after it
        figs.append(f"共开展各类民族团结活动{sessions([a for a in acts if a['date'][:7] <= month])}场次")
    elif template == "plan":
        for p in d.get("plans", []):
            if p["month"] > month:
                figs.append(p["title"])
    elif template == "report":
        for p in d.get("problems", []):
            figs.append(p)
    c = d["community"]
    if c.get("population") and template in ("summary", "deeds", "report"):
        figs.append(f"{c['population']}人")
    return figs


@pytest.mark.parametrize("template,sample", CASES)
def test_text_golden(template, sample):
    got = render(template, sample, "txt").decode("utf-8")
    path = os.path.join(GOLDEN, f"{template}-{sample}.txt")
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(got)
    want = open(path, encoding="utf-8").read()
    assert got == want
    for fig in expected_figures(template, sample):
        assert squash(fig) in squash(got), fig
    # the rules of the prose: no 0人次, no empty section heading
    assert not re.search(r"(?<![0-9.])0(人次|场次|户|份|条|起)", got), "a zero figure was written"
    lines = [l for l in got.splitlines() if l.strip()]
    for i, line in enumerate(lines):
        if re.match(r"^[一二三四五六七八九十]+、", line):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            assert nxt and not re.match(r"^[一二三四五六七八九十]+、", nxt), f"empty section: {line}"


def pdf_text(pdf):
    r = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    # page numbers ("— 2 —") fall inside paragraphs that cross a page
    return re.sub(r"(?m)^\s*—\s*\d+\s*—\s*$", "", r.stdout.decode("utf-8"))


def docx_text(blob):
    import docx
    doc = docx.Document(io.BytesIO(blob))
    body = doc.element.body
    out = []
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            out.append("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            out.append("".join(t.text or "" for t in el.iter() if t.tag.endswith("}t")))
    return "\n".join(out)


def xlsx_cells(blob):
    import openpyxl
    wb = openpyxl.load_workbook(io.BytesIO(blob), data_only=True)
    return wb, [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]


FORMAT_CASES = [(t, s, f) for t in TEMPLATES for s in SAMPLES for f in FORMATS[t]]


@pytest.mark.parametrize("template,sample,fmt", FORMAT_CASES)
def test_formats_carry_the_text(template, sample, fmt):
    txt = render(template, sample, "txt").decode("utf-8")
    blob = render(template, sample, fmt)
    if fmt == "xlsx":
        wb, cells = xlsx_cells(blob)
        # every table of the document is a sheet with its rows
        tree = render(template, sample, "tree").decode("utf-8")
        captions = re.findall(r'<table [^>]*caption="([^"]+)"', tree)
        for cap in captions:
            assert cap[:31] in wb.sheetnames, (cap, wb.sheetnames)
        numbers = {c for c in cells if isinstance(c, (int, float))}
        if template == "briefing":
            m = [a for a in data_of(sample)["activities"] if a["date"].startswith(SAMPLES[sample])]
            if m:  # the ledger's 合计 and the number of activities
                assert sum(a.get("participants", 0) for a in m) in numbers
                assert sessions(m) in numbers
        text_cells = [c for c in cells if isinstance(c, str)]
        assert not [c for c in text_cells if re.fullmatch(r"-?\d+(\.\d+)?", c)], "a number stored as text"
        return
    got = squash(pdf_text(blob) if fmt == "pdf" else docx_text(blob))
    # every line of the text rendering appears (tables compared cell by cell)
    missing = []
    in_chart = False
    for line in txt.splitlines():
        if re.fullmatch(r"[- ]+", line):
            continue  # the text rendering's rule under a table header
        # a chart's data lines ("label value") are a picture in PDF and DOCX
        if line.startswith("[图表"):
            in_chart = True
            continue
        if in_chart and re.fullmatch(r".+ -?[0-9.]+", line):
            continue
        in_chart = False
        for piece in line.split("  "):
            p = squash(piece)
            if p and p not in got and not p.startswith("[图"):
                missing.append(p)
    assert not missing, missing[:5]
    for fig in expected_figures(template, sample):
        assert squash(fig) in got, fig


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_briefing_table_rows(sample):
    """The 活动台账 has one row per activity of the month, in every format."""
    d = data_of(sample)
    n = len([a for a in d["activities"] if a["date"].startswith(SAMPLES[sample])])
    tree = render("briefing", sample, "tree").decode("utf-8")
    m = re.search(r'<table [^>]*caption="活动台账".*?</table>', tree, re.S)
    if n == 0:
        assert m is None
        return
    assert m and m.group(0).count("<row") == n + 2  # header and 合计
    assert 'only="xlsx"' in m.group(0)  # the ledger is for the workbook
    import docx
    doc = docx.Document(io.BytesIO(render("briefing", sample, "docx")))
    assert not doc.tables, "the printed briefing carries no ledger"
    wb, _ = xlsx_cells(render("briefing", sample, "xlsx"))
    ws = wb["活动台账"]
    dates = [c.value for c in ws["A"] if c.value is not None]
    assert len([v for v in dates if not isinstance(v, str)]) == n  # real dates, one per activity


# Figures that the 总结, 汇报 and 事迹 of one date all state: a reader who
# lays them side by side must find each told with one number (issue 11).
SHARED_FIGURES = ["发放宣传资料", "开展宣传活动", "发放资金", "化解率", "召开座谈会"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_documents_of_one_date_agree(sample):
    seen = collections.defaultdict(set)
    for template in ("summary", "report", "deeds"):
        text = render(template, sample, "txt").decode()
        for label in SHARED_FIGURES:
            for m in re.finditer(re.escape(label) + r"([0-9][0-9.]*万?)", text):
                seen[label].add((m.group(1), template))
    for label, found in seen.items():
        assert len({v for v, _ in found}) == 1, (label, sorted(found))
