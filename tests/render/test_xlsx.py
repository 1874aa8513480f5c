"""XLSX renderer, checked with independent readers.

openpyxl reads the workbooks back: values against the document tree
(`-f tree`), formulas and their cached results, merges, number formats,
layout and print setup, charts and document properties; LibreOffice
converts them to PDF. Every built-in template that renders is covered, so
templates added later are checked too.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the repository).
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest

SRC = os.environ.get("LEXP_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEXPORT = os.environ.get("LEXPORT") or os.path.join(SRC, "build", "lexport")
SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
SHOWCASE = os.path.join(SRC, "tests", "render", "showcase.lxt")
MONTH = "2024-09"


def run(*args, env=None, ok=True):
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run([LEXPORT, *args], capture_output=True, env=e, timeout=300)
    if ok:
        assert r.returncode == 0, r.stderr.decode()
        # nothing may be printed: no back end's own warnings
        assert r.stderr == b"", r.stderr.decode()
    return r


def render(tmp, template, fmt, name, data=SAMPLE, month=MONTH):
    out = os.path.join(str(tmp), name)
    args = ["render", template, data, "-f", fmt, "-o", out]
    if month:
        args += ["--month", month]
    run(*args)
    return out


def write(tmp, name, text):
    p = os.path.join(str(tmp), name)
    with open(p, "w", encoding="utf-8") as f:
        f.write(text)
    return p


# ---- what a cell should hold, from the tree ------------------------------

NUMBER_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,9}|[1-9][0-9]{0,2}(,[0-9]{3})+)(\.[0-9]+)?%?$")


def looks_number(s):
    """A text a person reads as a number (and that a number shows the same
    way): no leading zeros, no '+', no exponent, not -0, at most 15
    significant digits; bare digit strings over 10 digits are identifiers
    (telephone, ID card numbers)."""
    if not isinstance(s, str) or not NUMBER_TEXT.match(s):
        return False
    digits = re.sub(r"[^0-9]", "", s).lstrip("0")
    if len(digits) > 15:
        return False
    return not re.match(r"^-0(\.0*)?%?$", s)


def text_number(s):
    x = float(s.replace(",", "").rstrip("%"))
    return x / 100 if s.endswith("%") else x


def excel_date(serial):
    return datetime.datetime(1899, 12, 30) + datetime.timedelta(days=float(serial))


def cell_text(c):
    return re.sub(r"[\n\t\r]", " ", "".join(c.itertext()))


def expected(c):
    """(kind, value) a tree cell should become."""
    if c.get("covered"):
        return ("none", None)
    kind = c.get("kind")
    if kind in ("number", "percent", "money"):
        return ("num", float(c.get("value")))
    if kind == "date":
        return ("date", excel_date(c.get("value")))
    t = cell_text(c)
    if looks_number(t):
        return ("num", text_number(t))
    return ("text", t if t else None)


def same(kind, want, got):
    if kind == "num":
        return isinstance(got, (int, float)) and not isinstance(got, bool) and \
            abs(got - want) <= 1e-9 * max(1.0, abs(want))
    return got == want


def tables(tree):
    return list(tree.iter("table"))


def load(path):
    return openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True)


def check_values(path, tree):
    """Every table cell of the tree is in the workbook, merges included."""
    wb, wv = load(path)
    tabs = tables(tree)
    assert len(wb.sheetnames) == len(tabs)
    for t, sname in zip(tabs, wb.sheetnames):
        ws, vs = wb[sname], wv[sname]
        merged = {str(r) for r in ws.merged_cells.ranges}
        for i, row in enumerate(t.findall("row")):
            r = i + 2  # below the title row
            for j, c in enumerate(row.findall("cell")):
                kind, want = expected(c)
                got = vs.cell(r, j + 1).value
                assert same(kind, want, got), (sname, r, j + 1, want, got)
                cs, rs = int(c.get("colspan", 1)), int(c.get("rowspan", 1))
                if cs > 1 or rs > 1:
                    rng = "%s:%s" % (ws.cell(r, j + 1).coordinate,
                                     ws.cell(r + rs - 1, j + cs).coordinate)
                    assert rng in merged, (sname, rng)
    return wb, wv


# ---- the workbooks under test ------------------------------------------------

FMT_LXT = """---
title: "格式测试"
author: "测试员"
---
| 项目 | 整数 | 千分位 | 小数 | 百分比 | 日期 | 中文日期 | 金额 | 星期 |
|---|--:|--:|--:|--:|---|---|---|---|
| 甲 | {{ 1234 }} | {{ 12130 | num }} | {{ 3.14159 | num(2) }} | {{ 0.35016 | pct(1) }} | {{ "2024-09-30" | date("YYYY年M月D日") }} | {{ "2024-09-30" | cn_date }} | {{ 1234.5 | cn_money }} | {{ "2024-09-30" | date("M月D日 星期W") }} |
| 乙 | 120 | 12,130 | 3.50 | 35.0% | 007 | 1e5 | -0 | +5 |
| 丙 | {{ 2.5 }} | {{ 1234567.891 | num(2) }} | -3.5 | {{ 1 | pct(0) }} | {{ "2024-09" | cn_date }} | 13800138000 | 1,23 | 0.5 |
Table: 格式
"""

MISC_LXT = r"""---
title: "杂项测试"
---
# 第一部分
| 甲 | 乙 |
|---|---|
| a | 1 |

| 甲 | 乙 |
|---|---|
| b | 2 |
Table: 统计[2024]:一/二*三?四\五

| 甲 | 乙 |
|---|---|
| c | 3 |
Table: 统计[2024]:一/二*三?四\五

| x | y |
|---|---|
| y | 1 |
Table: 这是一个非常非常非常非常非常非常非常非常非常非常非常长的表格标题超过三十一个字符

| x | y |
|---|---|
| z | 2 |
Table: 'history'

| 民族 | 户数 | 人口 | 占比 |
|---|--:|--:|--:|
{% for g in community.ethnic_groups %}
| {{ g.name }} | {{ g.households }} | {{ g.population }} | {{ (g.population / community.population) | pct(1) }} |
{% endfor %}
| 合计 | {{ community.ethnic_groups | sum("households") }} | {{ community.ethnic_groups | sum("population") }} | {{ (community.ethnic_groups | sum("population") / community.population) | pct(1) }} |
Table: 民族构成

| 类别 | 数量 | 均值 |
|---|--:|--:|
| 甲 | 1 | 1.5 |
| 乙 | 2 | 2.5 |
| 小计 | 3 | 2 |
| 丙 | 4 | 4 |
| 小计 | 4 | 4 |
| 总计 | 7 | 3 |
Table: 小计

| 一 | 二 | 三 | 四 | 五 | 六 | 七 | 八 | 九 | 十 | 十一 | 十二 |
|---|---|---|---|---|---|---|---|---|---|---|---|
| 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 | 民族团结进步宣传 |
Table: 宽表
"""

# rows merged down (^) every three rows, and across (<) in the totals row
SPAN_LXT = """---
title: "跨行测试"
---
{% set acts = activities | sort("date") %}
| 类别 | 日期 | 参与人次 |
|---|---|---:|
{% for a in acts %}
| {% if loop.index % 3 == 1 %}{{ a.category }}{% else %}^{% endif %} | {{ a.date | date("M月D日") }} | {{ a.participants }} |
{% endfor %}
| 合计 | < | {{ acts | sum("participants") }} |
Table: 跨行
"""

TEXT_LXT = """---
title: "社区工作总结"
author: "秦渠社区居委会"
---
# 基本情况
{{ community.name }}现有居民{{ community.households }}户、{{ community.population }}人。
# 主要做法
1. 民族工作例会制度；
2. 定期走访慰问制度。
::: chart pie data=activities | groupby("category") title="全年活动场次"
:::
::: signature
:::
"""


PRINT_ONLY = ("summary", "deeds", "plan", "report")


def builtin_templates():
    r = subprocess.run([LEXPORT, "templates"], capture_output=True, text=True)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("xlsx")


@pytest.fixture(scope="module")
def briefing(work):
    run("brief", SAMPLE, "--month", MONTH, "-f", "xlsx", "-o", str(work))
    path = os.path.join(str(work), "briefing-%s.xlsx" % MONTH)
    tree = ET.fromstring(run("render", "briefing", SAMPLE, "--month", MONTH, "-f", "tree",
                             "-o", "-").stdout)
    return path, tree


def samples():
    """Every sample data file with the last month it has activities in."""
    out = {}
    d = os.path.join(SRC, "samples")
    for f in sorted(os.listdir(d)):
        if not f.endswith(".json") or f == "schema.json":
            continue
        with open(os.path.join(d, f), encoding="utf-8") as fh:
            data = json.load(fh)
        months = [a["date"][:7] for a in data.get("activities", []) if "date" in a]
        out[f[:-5]] = (os.path.join(d, f), max(months) if months else MONTH)
    return out


SAMPLES = samples()


def corpus_items():
    """Name, template (path or built-in name), data, month for every workbook
    the generic checks run on: the test templates on the 秦渠 sample, every
    built-in template on every sample."""
    items = [("showcase", SHOWCASE, SAMPLE, MONTH), ("formats", "@fmt", SAMPLE, MONTH),
             ("misc", "@misc", SAMPLE, MONTH), ("spans", "@span", SAMPLE, MONTH),
             ("text", "@text", SAMPLE, MONTH)]
    for n in builtin_templates():
        if n in PRINT_ONLY:
            continue  # prose for print: refused as XLSX (test_prose_templates_refuse_xlsx)
        items.append(("builtin-" + n, n, SAMPLE, MONTH))
        for sname, (data, month) in SAMPLES.items():
            if sname != "qinqu":
                items.append(("builtin-%s-%s" % (n, sname), n, data, month))
    return items


CORPUS = corpus_items()


def test_prose_templates_refuse_xlsx(tmp_path):
    """总结/事迹/计划/汇报 are one column of prose: a workbook adds nothing, so
    -f xlsx is refused with a message that says which formats to use."""
    for n in PRINT_ONLY:
        out = tmp_path / (n + ".xlsx")
        r = subprocess.run([LEXPORT, "render", n, SAMPLE, "--month", MONTH, "-o", str(out)],
                           capture_output=True, text=True)
        assert r.returncode == 2, r.stderr
        assert "not made for xlsx" in r.stderr and "pdf, docx" in r.stderr
        assert not out.exists()


@pytest.fixture(scope="module")
def corpus(work):
    """name → (xlsx path, tree) for every workbook that renders."""
    sources = {"@fmt": FMT_LXT, "@misc": MISC_LXT, "@span": SPAN_LXT, "@text": TEXT_LXT}
    out = {}
    for name, tpl, data, month in CORPUS:
        if tpl in sources:
            tpl = write(work, name + ".lxt", sources[tpl])
        tr = subprocess.run([LEXPORT, "render", tpl, data, "--month", month, "-f", "tree",
                             "-o", "-"], capture_output=True)
        if tr.returncode != 0:
            out[name] = None  # the template does not render: nothing to check
            continue
        txt = run("render", tpl, data, "--month", month, "-f", "txt", "-o", "-").stdout
        out[name] = (render(work, tpl, "xlsx", name + ".xlsx", data=data, month=month),
                     ET.fromstring(tr.stdout), txt.decode().splitlines())
    return out


def get(corpus, name):
    item = corpus.get(name)
    if item is None:
        pytest.skip("%s does not render with the sample data" % name)
    return item[:2]


def squeeze(s):
    return re.sub(r"[\s\u3000]+", "", s)


def check_text_sheet(path, txt):
    """A document without tables: one sheet holding the text renderer's lines
    (chart data aside), one a row."""
    wb, wv = load(path)
    assert len(wb.sheetnames) == 1
    ws = wv[wb.sheetnames[0]]
    lines = {squeeze(r[0]) for r in ws.iter_rows(values_only=True) if isinstance(r[0], str)}
    chart = False
    for line in txt:
        if line.startswith("[图表"):
            chart = True  # its data lines follow, as "label value"
            continue
        if chart and re.match(r"^\S+ -?[0-9.]+$", line):
            continue
        chart = False
        if line.strip():
            assert squeeze(line) in lines, line
    return wb, wv


# ---- the briefing ----------------------------------------------------------------


def test_briefing_sheets_are_the_captioned_tables(briefing):
    path, tree = briefing
    wb, _ = load(path)
    assert wb.sheetnames == ["活动台账", "分类统计"]
    assert [t.get("caption") for t in tables(tree)] == wb.sheetnames


def test_briefing_title_header_and_borders(briefing):
    path, tree = briefing
    wb, _ = load(path)
    ws = wb["活动台账"]
    head = [cell_text(c) for c in tables(tree)[0].find("row").findall("cell")]
    last = openpyxl.utils.get_column_letter(len(head))
    assert ws["A1"].value == "活动台账"
    assert "A1:%s1" % last in [str(r) for r in ws.merged_cells.ranges]
    assert ws["A1"].font.b and ws["A1"].font.sz >= 14
    assert ws["A1"].alignment.horizontal == "center"
    assert [c.value for c in ws[2]] == head == ["日期", "类别", "活动名称", "地点", "参与人次"]
    for c in ws[2]:
        assert c.font.b, c.coordinate
        for side in (c.border.left, c.border.right, c.border.top, c.border.bottom):
            assert side.style == "thin", c.coordinate
    for row in ws.iter_rows(min_row=3, max_row=ws.max_row):
        for c in row:
            if type(c).__name__ == "MergedCell":  # openpyxl keeps no style there
                continue
            assert c.border.left.style == "thin" and c.border.bottom.style == "thin", c.coordinate
            assert not c.font.b or row[0].value == "合计"


def data_rows(table):
    """Sheet rows (1-based) of a table's body rows that are not totals."""
    return [i + 2 for i, r in enumerate(table.findall("row"))
            if not r.get("header") and not r.get("total")]


def test_briefing_totals_are_live_sums_with_cached_values(briefing):
    path, tree = briefing
    wb, wv = load(path)
    for t, name in zip(tables(tree), ["活动台账", "分类统计"]):
        ws, vs = wb[name], wv[name]
        rows = data_rows(t)
        first, last = rows[0], rows[-1]
        assert first == 3 and rows == list(range(first, last + 1))
        total = t.findall("row")[-1]
        assert total.get("total") and cell_text(total.find("cell")) == "合计"
        r = last + 1
        assert ws.cell(r, 1).value == "合计"
        numeric = [j for j, c in enumerate(total.findall("cell")) if c.get("kind") == "number"]
        assert numeric
        for j in numeric:
            col = openpyxl.utils.get_column_letter(j + 1)
            assert ws.cell(r, j + 1).value == "=SUM(%s%d:%s%d)" % (col, first, col, last)
            want = float(total.findall("cell")[j].get("value"))
            assert vs.cell(r, j + 1).value == want
            assert sum(vs.cell(k, j + 1).value for k in rows) == want
    # the 合计 label spans the text columns of the ledger
    n = len(data_rows(tables(tree)[0]))
    assert "A%d:D%d" % (n + 3, n + 3) in [str(x) for x in wb["活动台账"].merged_cells.ranges]


def test_briefing_number_formats(briefing):
    path, tree = briefing
    wb, _ = load(path)
    ws = wb["活动台账"]
    first = tables(tree)[0].findall("row")[1].findall("cell")
    assert ws["A3"].value == excel_date(first[0].get("value"))
    assert ws["A3"].number_format == 'm"月"d"日"'
    assert ws["E3"].value == float(first[4].get("value")) and ws["E3"].number_format == "0"
    assert ws.cell(ws.max_row, 5).number_format == "0"


def display_width(s):
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def test_briefing_widths_count_han_double(briefing):
    path, tree = briefing
    wb, _ = load(path)
    ws = wb["活动台账"]
    w = {k: v.width for k, v in ws.column_dimensions.items()}
    rows = tables(tree)[0].findall("row")
    for j, col in enumerate("ABCDE"):
        texts = [cell_text(r.findall("cell")[j]) for r in rows
                 if not r.findall("cell")[j].get("covered") and
                 int(r.findall("cell")[j].get("colspan", 1)) == 1]
        widest = max(display_width(t) for t in texts)
        assert widest + 2 <= w[col] <= max(widest, 6) + 3, (col, widest, w[col])
    titles = [cell_text(r.findall("cell")[2]) for r in rows[1:-1]]
    han = max(sum(1 for ch in t if "\u4e00" <= ch <= "\u9fff") for t in titles)
    assert w["C"] >= 2 * han  # Han characters count double


def test_briefing_freeze_filter_and_print_setup(briefing):
    path, tree = briefing
    wb, _ = load(path)
    for t, name in zip(tables(tree), ["活动台账", "分类统计"]):
        ws = wb[name]
        last_col = openpyxl.utils.get_column_letter(int(t.get("cols")))
        assert ws.freeze_panes == "A3"
        assert ws.auto_filter.ref == "A2:%s%d" % (last_col, data_rows(t)[-1])
        assert ws.print_title_rows == "$2:$2"
        ps = ws.page_setup
        assert int(ps.paperSize) == 9  # A4
        assert ps.orientation == "portrait"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ps.fitToWidth in (None, 1, "1") and int(ps.fitToHeight) == 0
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def ref_cells(ws, ref):
    m = re.match(r"^'(.*)'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$", ref)
    assert m and m.group(2) == m.group(4), ref
    return m.group(1), [ws["%s%d" % (m.group(2), r)].value
                        for r in range(int(m.group(3)), int(m.group(5)) + 1)]


def test_briefing_chart_refers_to_the_category_table(briefing):
    path, tree = briefing
    wb, wv = load(path)
    assert len(wb["活动台账"]._charts) == 0
    charts = wb["分类统计"]._charts
    assert len(charts) == 1
    ch = charts[0]
    assert type(ch).__name__ == "BarChart" and ch.barDir == "col"
    node = list(tree.iter("chart"))[0]
    s = ch.series[0]
    sheet, labels = ref_cells(wv["分类统计"], s.cat.strRef.f)
    sheet2, values = ref_cells(wv["分类统计"], s.val.numRef.f)
    assert sheet == sheet2 == "分类统计"
    # the table's own cells, not a copy: rows 3.. of its columns
    assert s.cat.strRef.f.startswith("'分类统计'!$A$3:")
    assert labels == [p.get("label") for p in node.findall("point")]
    assert values == [float(p.get("value")) for p in node.findall("point")]
    assert s.tx.v == node.get("series")
    assert wv["分类统计"].max_row == len(tables(tree)[1].findall("row")) + 1  # no data copied


def test_briefing_document_properties(briefing):
    path, tree = briefing
    wb, _ = load(path)
    p = wb.properties
    assert p.title == tree.get("title") and "2024年第9期" in p.title
    assert p.creator == tree.get("author")
    assert p.subject.startswith("秦渠社区") and "2024年9月" in p.subject
    assert p.created == datetime.datetime(2024, 9, 30)


def test_briefing_bytes_are_reproducible(work, briefing):
    other = os.path.join(str(work), "again")
    os.makedirs(other, exist_ok=True)
    run("brief", SAMPLE, "--month", MONTH, "-f", "xlsx", "-o", other,
        env={"TZ": "America/New_York"})
    with open(briefing[0], "rb") as a, open(os.path.join(other, os.path.basename(briefing[0])),
                                          "rb") as b:
        assert a.read() == b.read()
    with zipfile.ZipFile(briefing[0]) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# ---- every workbook: values, formulas, merges, numbers -----------------------------


@pytest.mark.parametrize("name", [c[0] for c in CORPUS])
def test_values_match_the_tree(corpus, name):
    path, tree = get(corpus, name)
    if not tables(tree):
        check_text_sheet(path, corpus[name][2])
        return
    check_values(path, tree)


SUM_ARG = re.compile(r"([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?")


def sum_of(ws, formula):
    """Evaluate =SUM(A1:A3,B5,…) over the cached values of `ws`."""
    m = re.match(r"^=SUM\((.*)\)$", formula)
    assert m, formula
    total = 0
    for a in m.group(1).split(","):
        g = SUM_ARG.fullmatch(a)
        assert g, a
        col, r1 = g.group(1), int(g.group(2))
        r2 = int(g.group(4)) if g.group(3) else r1
        for r in range(r1, r2 + 1):
            v = ws[col + str(r)].value
            if isinstance(v, (int, float)):
                total += v
    return total


def ratio_of(ws, formula):
    """Evaluate =IF(D=0,0,N/D) (the rates of the stats template) over cached values."""
    m = re.fullmatch(r"=IF\(([A-Z]+[0-9]+)=0,0,([A-Z]+[0-9]+)/([A-Z]+[0-9]+)\)", formula)
    assert m and m.group(1) == m.group(3), formula
    d = ws[m.group(3)].value
    return 0 if not d else ws[m.group(2)].value / d


@pytest.mark.parametrize("name", [c[0] for c in CORPUS])
def test_totals_cache_the_computed_values(corpus, name):
    path, tree = get(corpus, name)
    wb, wv = load(path)
    for t, sname in zip(tables(tree), wb.sheetnames):
        ws, vs = wb[sname], wv[sname]
        for i, row in enumerate(t.findall("row")):
            if not row.get("total"):
                continue
            rows = t.findall("row")
            simple = i == len(rows) - 1 and sum(1 for r in rows if r.get("total")) == 1
            body = [k + 2 for k, r in enumerate(rows) if not r.get("header") and k < i]
            for j, c in enumerate(row.findall("cell")):
                kind, want = expected(c)
                f = ws.cell(i + 2, j + 1).value
                if isinstance(f, str) and f.startswith("="):
                    assert kind == "num"
                    assert same(kind, want, vs.cell(i + 2, j + 1).value)
                    if f.startswith("=SUM("):
                        assert same(kind, want, sum_of(vs, f)), (sname, f)
                    else:  # a rate of the totals: =IF(B9=0,0,C9/B9)
                        assert same(kind, want, ratio_of(vs, f)), (sname, f)
                if simple and kind == "num" and body:
                    # one totals row under the data: a SUM exactly when the
                    # template's number is the column's sum (not for a rate)
                    col = [vs.cell(k, j + 1).value for k in body]
                    nums = [x for x in col if isinstance(x, (int, float))]
                    is_sum = bool(nums) and same("num", want, sum(nums))
                    assert (isinstance(f, str) and f.startswith("=SUM(")) == is_sum, \
                        (sname, i + 2, j + 1, f, want)


@pytest.mark.parametrize("name", ["briefing"] + [c[0] for c in CORPUS])
def test_no_number_is_a_text_cell(corpus, briefing, name):
    path = briefing[0] if name == "briefing" else get(corpus, name)[0]
    wb, _ = load(path)
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert not looks_number(c.value), (ws.title, c.coordinate, c.value)


def test_every_builtin_template_renders(corpus):
    names = [c[0] for c in CORPUS if c[0].startswith("builtin-")]
    assert "builtin-briefing" in names
    assert corpus["builtin-briefing"] is not None


# ---- formats, text numbers, names, layout ----------------------------------------


def test_number_formats_follow_the_template(corpus):
    wb, _ = load(get(corpus, "formats")[0])
    ws = wb["格式"]
    row = [(c.value, c.number_format) for c in ws[3]]
    assert row[1] == (1234, "0")
    assert row[2] == (12130, "#,##0")
    assert row[3] == (3.14159, "#,##0.00")
    assert row[4] == (0.35016, "0.0%")
    assert row[5] == (datetime.datetime(2024, 9, 30), 'yyyy"年"m"月"d"日"')
    # 二〇二四年九月三十日, as the cn_date filter writes it
    assert row[6] == (datetime.datetime(2024, 9, 30), '[DBNum1][$-804]yyyy"年"m"月"d"日"')
    assert row[7] == (1234.5, "#,##0.00")  # yuan, whatever the template wrote
    assert row[8][1] == '[$-804]m"月"d"日 星期"aaa'
    assert ws["F5"].number_format == '[DBNum1][$-804]yyyy"年"m"月"'
    assert (ws["B5"].value, ws["B5"].number_format) == (2.5, "0.0")
    assert (ws["E5"].value, ws["E5"].number_format) == (1, "0%")


def test_text_that_is_a_number_becomes_a_number(corpus):
    wb, _ = load(get(corpus, "formats")[0])
    ws = wb["格式"]
    got = [(c.value, c.number_format) for c in ws[4]][1:]
    assert got[0] == (120, "0")
    assert got[1] == (12130, "#,##0")
    assert got[2] == (3.5, "0.00")
    assert got[3] == (0.35, "0.0%")
    # identifiers and things a number would show differently stay text
    assert [v for v, _ in got[4:]] == ["007", "1e5", "-0", "+5"]
    assert ws["G5"].value == "13800138000"  # a telephone number
    assert ws["H5"].value == "1,23"
    assert ws["I5"].value == 0.5
    assert (ws["D5"].value, ws["D5"].number_format) == (-3.5, "0.0")


def test_sheet_names_are_cleaned_and_unique(corpus):
    path = get(corpus, "misc")[0]
    wb, _ = load(path)
    names = wb.sheetnames
    assert names[0] == "第一部分"  # no caption: the heading before the table
    assert names[1] == "统计_2024__一_二_三_四_五"
    assert names[2] == "统计_2024__一_二_三_四_五(2)"
    assert names[3] == "这是一个非常非常非常非常非常非常非常非常非常非常非常长的表格标"
    assert len(names[3]) == 31
    assert names[4] == "history(2)"  # "History" is reserved by Excel
    assert len({n.lower() for n in names}) == len(names)


def test_subtotals_and_grand_totals(corpus):
    wb, wv = load(get(corpus, "misc")[0])
    ws, vs = wb["小计"], wv["小计"]
    assert ws["B5"].value == "=SUM(B3:B4)" and vs["B5"].value == 3
    assert ws["B7"].value == "=SUM(B6:B6)" and vs["B7"].value == 4
    assert ws["B8"].value == "=SUM(B5,B7)" and vs["B8"].value == 7
    # an average in a totals row is not a sum: the number stays as written
    assert ws["C5"].value == 2 and ws["C8"].value == 3


def test_statistics_table_gets_a_chart(corpus):
    wb, wv = load(get(corpus, "misc")[0])
    ws = wb["民族构成"]
    assert ws["B6"].value == "=SUM(B3:B5)"
    assert ws["D6"].value == "=SUM(D3:D5)"  # shares of the population add up
    assert len(ws._charts) == 1
    s = ws._charts[0].series[0]
    assert s.cat.strRef.f == "'民族构成'!$A$3:$A$5"
    assert s.val.numRef.f == "'民族构成'!$B$3:$B$5"
    # a list that is not a statistic (labels not unique / dates) gets none
    assert len(wb["小计"]._charts) == 0


def test_stats_workbook(corpus):
    path, tree = get(corpus, "builtin-stats")
    wb, wv = load(path)
    names = wb.sheetnames
    # what the issue asks for; a sheet's name carries the unit and the period
    found = {}
    for want in ("民族构成", "分类活动", "矛盾纠纷"):
        found[want] = [n for n in names if want in n and n.startswith("秦渠社区")]
        assert found[want], (want, names)
    assert names[0] == "填报说明"
    # the by-category sheet charts its own cells
    cat = found["分类活动"][0]
    charts = wb[cat]._charts
    assert len(charts) >= 1
    s = charts[0].series[0]
    assert s.cat.strRef.f.startswith("'%s'!$A$3:" % cat)
    # a time series is not charted by itself: its dates would show as serials
    for name in names:
        ws = wb[name]
        if isinstance(wv[name]["A3"].value, datetime.datetime):
            for ch in ws._charts:
                assert "$A$" not in (ch.series[0].cat.numRef or ch.series[0].cat.strRef).f


def test_wide_tables_print_landscape(corpus):
    wb, _ = load(get(corpus, "misc")[0])
    assert wb["宽表"].page_setup.orientation == "landscape"
    assert wb["民族构成"].page_setup.orientation == "portrait"


def test_charts_with_their_own_data(corpus):
    path, tree = get(corpus, "showcase")
    wb, wv = load(path)
    ws, vs = wb[wb.sheetnames[0]], wv[wb.sheetnames[0]]
    charts = ws._charts
    assert [type(c).__name__ for c in charts] == ["BarChart", "PieChart"]
    for ch, node in zip(charts, tree.iter("chart")):
        s = ch.series[0]
        cat = (s.cat.strRef or s.cat.numRef).f
        val = s.val.numRef.f
        m1 = re.match(r"^'.*'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$", cat)
        m2 = re.match(r"^'.*'!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$", val)
        labels = [vs["%s%d" % (m1.group(1), r)].value for r in range(int(m1.group(2)),
                                                                       int(m1.group(4)) + 1)]
        values = [vs["%s%d" % (m2.group(1), r)].value for r in range(int(m2.group(2)),
                                                                       int(m2.group(4)) + 1)]
        assert labels == [p.get("label") for p in node.findall("point")]
        assert values == [float(p.get("value")) for p in node.findall("point")]


def test_spans_merge(corpus):
    path, tree = get(corpus, "spans")
    wb, _ = load(path)
    ws = wb["跨行"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A3:A5" in merged and "A6:A8" in merged
    rows = tables(tree)[0].findall("row")
    assert "A%d:B%d" % (len(rows) + 1, len(rows) + 1) in merged


def test_document_without_tables(corpus):
    path, tree = get(corpus, "text")
    wb, wv = check_text_sheet(path, corpus["text"][2])
    assert wb.sheetnames == ["社区工作总结"]
    ws = wv["社区工作总结"]
    lines = [r[0] for r in ws.iter_rows(values_only=True) if r[0] is not None]
    assert lines[0] == "社区工作总结"
    assert "一、基本情况" in lines and "1. 民族工作例会制度；" in lines
    assert len(wb["社区工作总结"]._charts) == 1
    assert wb.properties.creator == "秦渠社区居委会"


# ---- large tables stream ------------------------------------------------------------


def test_large_table_streams_in_constant_memory(work):
    with open(SAMPLE, encoding="utf-8") as f:
        d = json.load(f)
    cats = ["宣传", "培训", "帮扶", "志愿服务"]
    d["activities"] = [{"date": "2024-%02d-%02d" % (1 + i % 12, 1 + i % 28),
                        "category": cats[i % 4], "title": "活动%d" % i, "location": "社区广场",
                        "participants": i % 500 + 1} for i in range(12001)]
    data = write(work, "big.json", json.dumps(d, ensure_ascii=False))
    # rows merged down in pairs: each merge is registered one row after its anchor
    tpl = write(work, "big.lxt", SPAN_LXT.replace("% 3", "% 2"))
    path = render(work, tpl, "xlsx", "big.xlsx", data=data, month=None)
    tree = ET.fromstring(run("render", tpl, data, "-f", "tree", "-o", "-").stdout)
    with zipfile.ZipFile(path) as z:
        # constant-memory mode writes strings inline: no shared strings table
        assert "xl/sharedStrings.xml" not in z.namelist()
    wb, wv = check_values(path, tree)
    ws, vs = wb["跨行"], wv["跨行"]
    n = 12001
    assert ws.max_row == n + 3
    merged = {str(r) for r in ws.merged_cells.ranges}
    # the title, 6000 pairs of rows (the last row is alone), the totals label
    assert len(merged) == 1 + 6000 + 1
    assert "A3:A4" in merged and "A12001:A12002" in merged
    assert "A%d:B%d" % (n + 3, n + 3) in merged
    total = sum(i % 500 + 1 for i in range(n))
    assert ws.cell(n + 3, 3).value == "=SUM(C3:C%d)" % (n + 2)
    assert vs.cell(n + 3, 3).value == total
    assert ws.auto_filter.ref == "A2:C%d" % (n + 2)
    assert all(vs.cell(r, 1).value for r in range(3, n + 3, 2))  # every anchor kept its text


def test_overlong_text_is_cut_with_a_warning(work):
    with open(SAMPLE, encoding="utf-8") as f:
        d = json.load(f)
    d["problems"] = ["民" * 40000]
    data = write(work, "long.json", json.dumps(d, ensure_ascii=False))
    tpl = write(work, "long.lxt", """---
title: "长文本"
---
| 项目 | 内容 |
|---|---|
| 甲 | {{ problems[0] }} |
| 乙 | {{ 1 / 3 }} |
""")
    out = os.path.join(str(work), "long.xlsx")
    r = run("render", tpl, data, "-f", "xlsx", "-o", out, ok=False)
    assert r.returncode == 0, r.stderr
    assert "32767" in r.stderr.decode() and "warning" in r.stderr.decode()
    wb, _ = load(out)
    ws = wb[wb.sheetnames[0]]
    assert ws["B3"].value == "民" * 32767
    assert ws.row_dimensions[3].height <= 409  # Excel's tallest row
    # a computed number printed in full is shown in General format
    assert ws["B4"].value == 1 / 3 and ws["B4"].number_format == "General"


# ---- failures and LibreOffice ----------------------------------------------------------


def test_temporary_directory_only_for_streamed_tables(work):
    # an ordinary workbook is made in memory: no scratch file, whatever TMPDIR says
    env = {"TMPDIR": os.path.join(str(work), "no-such-dir")}
    out = os.path.join(str(work), "small.xlsx")
    r = run("render", SHOWCASE, SAMPLE, "-f", "xlsx", "-o", out, env=env, ok=False)
    assert r.returncode == 0, r.stderr
    assert zipfile.ZipFile(out).testzip() is None
    # a streamed table deflates its rows into TMPDIR: unusable, it is an error
    with open(SAMPLE, encoding="utf-8") as f:
        d = json.load(f)
    d["activities"] = [{"date": "2024-09-%02d" % (1 + i % 28), "category": "宣传",
                        "title": "活动%d" % i, "location": "社区", "participants": 1}
                       for i in range(10001)]
    data = write(work, "big-tmp.json", json.dumps(d, ensure_ascii=False))
    tpl = write(work, "big-tmp.lxt", SPAN_LXT)
    out = os.path.join(str(work), "never.xlsx")
    r = run("render", tpl, data, "-f", "xlsx", "-o", out, env=env, ok=False)
    assert r.returncode == 3, r.stderr
    assert b"temporary" in r.stderr
    assert not os.path.exists(out)


@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"),
                    reason="LibreOffice or pdftotext not installed")
def test_libreoffice_converts_to_pdf(work, briefing, corpus):
    outdir = os.path.join(str(work), "pdf")
    files = [briefing[0], get(corpus, "misc")[0]]
    r = subprocess.run(["soffice", "-env:UserInstallation=file://" + os.path.join(str(work), "lo"),
                        "--headless", "--convert-to", "pdf", "--outdir", outdir, *files],
                       capture_output=True, timeout=240)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["pdftotext", os.path.join(outdir, "briefing-%s.pdf" % MONTH), "-"],
                          capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    totals = [c.get("value") for t in tables(briefing[1]) for c in t.findall("row")[-1]
              if c.get("kind")]
    for want in ["活动台账", "分类统计", "民族团结进步宣传月文艺汇演", "9月20日",
                 "第1页共2页", "第2页共2页"] + totals:
        assert want in flat, want
    misc = subprocess.run(["pdftotext", os.path.join(outdir, "misc.pdf"), "-"],
                          capture_output=True, text=True).stdout
    assert "6483" in re.sub(r"\s+", "", misc)  # a cached SUM shows in the PDF
