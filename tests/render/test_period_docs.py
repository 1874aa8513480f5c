"""The documents of a period know nothing after their date (issue 11's check).

Take a sample, add activities, disputes and assistance dated after --month,
render all six templates as PDF and DOCX (and the stats as XLSX): none of
the later titles, nor any total that includes them, appears; the 总结 and
the 汇报 carry the to-date totals; the 统计表 names its unit, period,
填报单位 and 填报日期 in every format, and no rate in its workbook is a
constant.
"""
import io
import json
import os
import re
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", ".")
MONTH = "2024-09"
END = "2024-09-30"
TEMPLATES = ["briefing", "summary", "deeds", "plan", "report", "stats"]

LATER_ACTS = [
    {"date": "2024-10-08", "category": "宣传", "title": "十月迟到的宣讲甲", "participants": 777,
     "materials": 888, "highlight": True, "summary": "十月迟到的宣讲甲，777人次参与。"},
    {"date": "2024-12-20", "category": "文艺汇演", "title": "岁末迟到的汇演乙", "participants": 1999},
    {"date": "2025-01-03", "category": "帮扶", "title": "新年迟到的帮扶丙", "participants": 55},
]
LATER_DISPUTES = [{"date": "2024-10-15", "found": 13, "resolved": 11, "summary": "迟到的纠纷丁"}]
LATER_AID = [{"date": "2024-11-02", "kind": "迟到救助戊", "households": 97, "persons": 301,
              "amount_yuan": 45678}]
LATER_HONOR = {"year": 2025, "title": "迟到的荣誉己", "issuer": "某单位"}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = json.load(open(os.path.join(SRC, "samples", "qinqu.json"), encoding="utf-8"))
    d["activities"] += LATER_ACTS
    d["disputes"] += LATER_DISPUTES
    d["assistance"] += LATER_AID
    d["community"]["honors"].append(LATER_HONOR)
    tmp = tmp_path_factory.mktemp("period")
    p = tmp / "late.json"
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    # the photos of the sample, next to the data
    os.symlink(os.path.join(SRC, "samples", "photos"), tmp / "photos")
    return p, d


def render(data_path, template, fmt):
    r = subprocess.run([LEXPORT, "render", template, str(data_path), "--month", MONTH, "-f", fmt,
                        "-o", "-"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def pdf_text(blob):
    r = subprocess.run(["pdftotext", "-", "-"], input=blob, capture_output=True, check=True)
    return re.sub(r"\s+", "", r.stdout.decode("utf-8"))


def docx_text(blob):
    import docx
    doc = docx.Document(io.BytesIO(blob))
    return re.sub(r"\s+", "", "".join(t.text or "" for t in doc.element.body.iter()
                                      if t.tag.endswith("}t")))


@pytest.fixture(scope="module")
def texts(data):
    path, _ = data
    return {(t, f): (pdf_text if f == "pdf" else docx_text)(render(path, t, f))
            for t in TEMPLATES for f in ("pdf", "docx")}


def upto(items, field="date"):
    return [x for x in items if x[field] <= END]


def ytd(items):
    return [x for x in items if "2024-01-01" <= x["date"] <= END]


def test_nothing_after_the_date_is_named(data, texts):
    _, d = data
    early = {a["title"] for a in upto(d["activities"])}
    later = {a["title"] for a in d["activities"] if a["date"] > END} - early
    later |= ({x["summary"] for x in d["disputes"] if x["date"] > END and x.get("summary")} -
              {x.get("summary") for x in upto(d["disputes"])})
    later |= {x["kind"] for x in d["assistance"] if x["date"] > END} - {x["kind"] for x in upto(d["assistance"])}
    later.add(LATER_HONOR["title"])
    assert {"十月迟到的宣讲甲", "迟到的纠纷丁", "迟到救助戊"} <= later
    for (t, f), text in texts.items():
        named = [x for x in later if re.sub(r"\s+", "", x) in text]
        assert not named, (t, f, named)


def test_no_total_includes_later_records(data, texts):
    _, d = data
    acts, disp, aid = d["activities"], d["disputes"], d["assistance"]
    bad = set()
    for span in (acts, [a for a in acts if a["date"] >= "2024-01-01"],
                 [a for a in acts if a["date"] >= "2024-09-01"]):
        late = [a for a in span if a["date"] > END]
        if late:
            bad.add(f"{sum(a.get('sessions', 1) for a in span)}场次")
            bad.add(f"{sum(a.get('participants', 0) for a in span)}人次")
    for span in (disp, [x for x in disp if x["date"] >= "2024-01-01"]):
        bad.add(f"{sum(x['found'] for x in span)}起")
    for span in (aid, [x for x in aid if x["date"] >= "2024-01-01"]):
        bad.add(f"{sum(x['households'] for x in span)}户")
    # what the to-date figures are: none of the bad ones may equal them
    good = {f"{sum(a.get('sessions', 1) for a in ytd(acts))}场次",
            f"{sum(a.get('participants', 0) for a in ytd(acts))}人次",
            f"{sum(x['found'] for x in ytd(disp))}起", f"{sum(x['households'] for x in ytd(aid))}户"}
    bad -= good
    for (t, f), text in texts.items():
        found = [b for b in bad if re.search(r"(?<![0-9.])" + re.escape(b), text)]
        assert not found, (t, f, found)


@pytest.mark.parametrize("template", ["summary", "report"])
def test_summary_and_report_carry_the_to_date_totals(data, texts, template):
    _, d = data
    acts = ytd(d["activities"])
    n = sum(a.get("sessions", 1) for a in acts)
    people = sum(a.get("participants", 0) for a in acts)
    for f in ("pdf", "docx"):
        text = texts[(template, f)]
        assert f"共开展各类活动{n}场次" in text, (template, f)
        assert f"参与群众{people}人次" in text, (template, f)
    # the same figures in both documents of the same date
    assert f"排查各类矛盾纠纷{sum(x['found'] for x in ytd(d['disputes']))}起" in texts[("summary", "pdf")]
    assert f"排查各类矛盾纠纷{sum(x['found'] for x in ytd(d['disputes']))}起" in texts[("report", "pdf")]


def test_the_return_identifies_itself(data, texts):
    path, d = data
    unit = d["briefing"]["issuer"]
    for f in ("pdf", "docx"):
        text = texts[("stats", f)]
        for want in ("填报单位：" + unit, "2024年1—9月", "统计时段：2024年1月1日至9月30日",
                     "填报日期：2024年9月30日", "填报人：", "审核人：", d["community"]["name"]):
            assert want in text, (f, want)
    import openpyxl
    blob = render(path, "stats", "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(blob))
    info = wb[wb.sheetnames[0]]
    cells = {r[0]: r[1] for r in info.iter_rows(values_only=True) if r and r[0]}
    assert cells["填报单位"] == unit and "2024年1—9月" in cells["统计时段"]
    assert cells["填报日期"] is not None and "填报人" in cells and "审核人" in cells
    for name in wb.sheetnames[1:]:
        ws = wb[name]
        title = ws.cell(1, 1).value
        assert d["community"]["name"] in title and ("2024年1—9月" in title or "2024年9月30日" in title), title
    # every rate is a live formula, and a total's rate is computed from the totals
    rates = 0
    for ws in wb.worksheets:
        header = [c.value for c in ws[2]]
        for col, h in enumerate(header, start=1):
            if h in ("化解率", "占总人口"):
                for row in range(3, ws.max_row + 1):
                    v = ws.cell(row, col).value
                    if v is None or v == "—":
                        continue
                    assert isinstance(v, str) and v.startswith("="), (ws.title, row, v)
                    rates += 1
                    if ws.cell(row, 1).value == "合计":
                        assert f"B{row}" in v and f"C{row}" in v, v
    assert rates >= 5
