#!/usr/bin/env python3
"""Write each sample community (samples/NAME.json) as the workbook its office
would keep (samples/NAME.xlsx): a merged title row above each header, units
in the headers, 序号 columns, dates typed in the forms people type them
(Excel dates shown as 2021年1月3日, 2021/1/3, 2021.1.3 …), counts with their
unit now and then (260人), 合计 rows with formulas, a 填表人 line under the
table, WPS-like formatting (宋体, bold headers on grey, thin borders, frozen
header rows). `lexport brief NAME.xlsx` gives the same documents as
`lexport brief NAME.json`; tests/cli/test_ledger.py checks it.

Also writes the 街道 folder samples/钢城街道/ (several communities of one
street, for `lexport batch … --rollup`), see samples/README.md.

Deterministic: fixed document properties and zip timestamps.
Run: /usr/bin/python3 samples/tools/gen_ledgers.py
"""
import datetime
import io
import json
import os
import sys
import zipfile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.dirname(HERE)

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
TITLE_FONT = Font(name="宋体", size=16, bold=True)
HEAD_FONT = Font(name="宋体", size=11, bold=True)
BODY_FONT = Font(name="宋体", size=11)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)

# (JSON key, header as offices write it, column width)
ACTIVITY_COLS = [
    ("date", "日期", 14), ("category", "类别", 10), ("title", "活动名称", 28),
    ("location", "活动地点", 16), ("organizer", "组织单位", 16), ("sessions", "场次", 7),
    ("participants", "参与人数（人）", 9), ("visits", "走访（户）", 8),
    ("materials", "发放资料（份）", 9), ("banners", "横幅（条）", 8), ("slogans", "标语（条）", 8),
    ("boards", "展板（块）", 8), ("highlight", "亮点", 6), ("photos", "照片", 18),
    ("summary", "简要情况", 50),
]
DISPUTE_COLS = [("date", "日期", 14), ("found", "排查（起）", 10), ("resolved", "化解（起）", 10),
                ("summary", "简要情况", 60)]
ASSIST_COLS = [("date", "日期", 14), ("kind", "帮扶类型", 14), ("households", "户数", 8),
               ("persons", "人数", 8), ("amount_yuan", "金额（元）", 12)]
PLAN_COLS = [("month", "月份", 12), ("title", "事项", 30), ("detail", "具体内容", 60)]
ETHNIC_COLS = [("name", "民族", 12), ("households", "户数", 10), ("population", "人口", 10)]
HONOR_COLS = [("year", "年份", 8), ("title", "荣誉名称", 36), ("issuer", "授予单位", 24)]

COMMUNITY_ROWS = [("name", "社区名称"), ("street", "所属街道"), ("district", "所属区县"),
                  ("city", "所属城市"), ("province", "所属省份"), ("area_km2", "面积（平方公里）"),
                  ("households", "户数"), ("population", "常住人口"), ("grids", "网格数"),
                  ("volunteers", "志愿者人数"), ("party_members", "党员人数"),
                  ("founded", "成立时间"), ("religious_sites", "宗教场所（处）")]
BRIEFING_ROWS = [("title", "简报名称"), ("issuer", "编发单位"), ("first_issue_month", "首期月份"),
                 ("report_to", "报"), ("send_to", "送"), ("distribute_to", "发"), ("copies", "印数")]

UNITS = {"participants": "人", "materials": "份", "banners": "条", "slogans": "条",
         "visits": "户", "boards": "块", "sessions": "场"}


def ymd(s):
    y, m, d = (int(x) for x in s.split("-"))
    return y, m, d


def date_cell(ws, cell, iso, i):
    """A date in one of the forms offices type, by row."""
    y, m, d = ymd(iso)
    form = i % 5
    if form == 0:
        cell.value = datetime.datetime(y, m, d)
        cell.number_format = 'yyyy"年"m"月"d"日"'
    elif form == 1:
        cell.value = f"{y}/{m}/{d}"
    elif form == 2:
        cell.value = f"{y}.{m}.{d}"
    elif form == 3:
        cell.value = datetime.datetime(y, m, d)
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = f"{y}年{m}月{d}日"


def month_text(s, i):
    y, m = (int(x) for x in s.split("-"))
    return [f"{y}年{m}月", f"{y}-{m:02d}", f"{y}.{m}"][i % 3]


def title_rows(ws, title, ncols, note=None):
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    c = ws.cell(row=1, column=1, value=title)
    c.font = TITLE_FONT
    c.alignment = CENTER
    ws.row_dimensions[1].height = 32
    if note:
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
        n = ws.cell(row=2, column=1, value=note)
        n.font = BODY_FONT
        n.alignment = Alignment(horizontal="right")
        return 3
    return 2


def header(ws, row, names, widths):
    for j, (name, w) in enumerate(zip(names, widths), start=1):
        c = ws.cell(row=row, column=j, value=name)
        c.font = HEAD_FONT
        c.fill = HEAD_FILL
        c.border = BORDER
        c.alignment = CENTER
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.row_dimensions[row].height = 30
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def body(c, align=CENTER):
    c.font = BODY_FONT
    c.border = BORDER
    c.alignment = align


def table(wb, sheet, title, cols, records, note=None, totals=(), dated=True, footer=True):
    """A ledger sheet: title, header with 序号, one row per record."""
    ws = wb.create_sheet(sheet)
    keys = [k for k, _, _ in cols if any(k in r for r in records)]
    heads = ["序号"] + [h for k, h, _ in cols if k in keys]
    widths = [6] + [w for k, _, w in cols if k in keys]
    hr = title_rows(ws, title, len(heads), note)
    header(ws, hr, heads, widths)
    for i, rec in enumerate(records):
        r = hr + 1 + i
        body(ws.cell(row=r, column=1, value=i + 1))
        for j, k in enumerate(keys, start=2):
            c = ws.cell(row=r, column=j)
            v = rec.get(k)
            if v is None:
                body(c)
                continue
            if k == "date":
                date_cell(ws, c, v, i)
            elif k == "month":
                c.value = month_text(v, i)
            elif k == "highlight":
                c.value = "是" if v else ""
            elif k == "photos":
                c.value = "、".join(v)
            elif k in UNITS and i % 4 == 1:
                c.value = f"{v}{UNITS[k]}"
            elif k == "amount_yuan" and i % 3 == 1:
                c.value = f"{v:,}"
            else:
                c.value = v
            body(c, LEFT if k in ("summary", "detail", "title") else CENTER)
    last = hr + len(records)
    if totals and records:
        r = last + 1
        body(ws.cell(row=r, column=1, value="合计"))
        for j, k in enumerate(keys, start=2):
            c = ws.cell(row=r, column=j)
            if k in totals:
                col = get_column_letter(j)
                c.value = f"=SUM({col}{hr + 1}:{col}{last})"
            body(c)
        last = r
    if footer:
        ws.cell(row=last + 2, column=1, value="填表人：          审核人：          ").font = BODY_FONT
    return ws


def pairs(wb, sheet, title, rows, obj):
    ws = wb.create_sheet(sheet)
    hr = title_rows(ws, title, 2)
    header(ws, hr, ["项目", "内容"], [20, 60])
    r = hr
    for i, (k, label) in enumerate(rows):
        if k not in obj:
            continue
        r += 1
        v = obj[k]
        if isinstance(v, list):
            v = "、".join(v)
        elif k == "founded":
            v = month_text(v, 0)
        elif k == "first_issue_month":
            y, m = (int(x) for x in v.split("-"))
            c = ws.cell(row=r, column=2, value=datetime.datetime(y, m, 1))
            c.number_format = 'yyyy"年"m"月"'
            v = None
        elif k == "copies":
            v = f"{v}份"
        body(ws.cell(row=r, column=1, value=label))
        c = ws.cell(row=r, column=2)
        if v is not None:
            c.value = v
        body(c, LEFT)
    return ws


def workbook_for(data):
    c, b = data["community"], data.get("briefing", {})
    name = c["name"]
    years = sorted({a["date"][:4] for a in data.get("activities", [])})
    year = years[0] + "年" if len(years) == 1 else ""
    wb = Workbook()
    wb.remove(wb.active)
    pairs(wb, "基本情况", f"{name}基本情况", COMMUNITY_ROWS, c)
    if c.get("ethnic_groups"):
        table(wb, "民族构成", f"{name}少数民族人口构成", ETHNIC_COLS, c["ethnic_groups"],
              totals=("households", "population"), dated=False, footer=False)
    if c.get("honors"):
        table(wb, "荣誉", f"{name}所获荣誉", HONOR_COLS, c["honors"], dated=False, footer=False)
    if b:
        pairs(wb, "简报设置", "简报设置", BRIEFING_ROWS, b)
    issuer = b.get("issuer", name)
    table(wb, "活动台账", f"{name}{year}民族团结进步创建活动台账", ACTIVITY_COLS,
          data.get("activities", []), note=f"填报单位：{issuer}",
          totals=("participants", "materials", "banners", "slogans"))
    if data.get("disputes"):
        table(wb, "矛盾纠纷台账", f"{name}{year}矛盾纠纷排查化解台账", DISPUTE_COLS, data["disputes"],
              totals=("found", "resolved"))
    if data.get("assistance"):
        table(wb, "帮扶台账", f"{name}{year}困难群众帮扶台账", ASSIST_COLS, data["assistance"],
              totals=("households", "persons", "amount_yuan"))
    if data.get("plans"):
        table(wb, "工作计划", f"{name}下一步工作计划", PLAN_COLS, data["plans"], dated=False,
              footer=False)
    if data.get("problems"):
        ws = wb.create_sheet("存在问题")
        hr = title_rows(ws, "存在的问题和不足", 2)
        header(ws, hr, ["序号", "问题"], [6, 80])
        for i, p in enumerate(data["problems"]):
            body(ws.cell(row=hr + 1 + i, column=1, value=i + 1))
            body(ws.cell(row=hr + 1 + i, column=2, value=p), LEFT)
    fixed = datetime.datetime(2024, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "社区居委会"
    wb.properties.lastModifiedBy = "社区居委会"
    return wb


def save_deterministic(wb, path):
    """openpyxl stamps zip entries with the clock: rewrite them fixed."""
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                pass
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, data)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out.getvalue())
    os.replace(tmp, path)


# ---- the 街道 folder -------------------------------------------------------------

STREET = "钢城街道"
# Communities of 钢城街道 besides 建林社区 (whose ledger is samples/jianlin.xlsx):
# their profiles are plausible, their ledgers drawn with a fixed seed.
STREET_MEMBERS = [
    ("朝阳社区", 2875, 7720, 1.1), ("五一社区", 3310, 8906, 0.9), ("胜利社区", 2463, 6585, 1.4),
]


def street_folder():
    import random
    rng = random.Random(2021)
    jl = json.load(open(os.path.join(SAMPLES, "jianlin.json"), encoding="utf-8"))
    folder = os.path.join(SAMPLES, STREET)
    os.makedirs(folder, exist_ok=True)
    cats = ["宣传", "培训", "座谈会", "文艺汇演", "走访慰问", "矛盾纠纷排查调处", "帮扶", "志愿服务",
            "节日活动"]
    titles = {"宣传": "民族政策宣传进楼院", "培训": "民族政策业务培训", "座谈会": "民族团结工作座谈会",
              "文艺汇演": "“中华民族一家亲”文艺演出", "走访慰问": "走访慰问少数民族困难家庭",
              "矛盾纠纷排查调处": "网格矛盾纠纷大排查", "帮扶": "少数民族困难户结对帮扶",
              "志愿服务": "“石榴籽”志愿服务", "节日活动": "邻里百家宴"}
    members = []
    for k, (name, hh, pop, area) in enumerate(STREET_MEMBERS):
        d = {
            "community": {"name": name, "street": STREET, "city": "嘉峪关市", "province": "甘肃省",
                          "area_km2": area, "households": hh, "population": pop},
            "briefing": {"title": "民族团结进步创建工作简报", "issuer": f"{name}居委会",
                         "first_issue_month": "2021-01", "report_to": [f"{STREET}党工委"],
                         "send_to": ["嘉峪关市民族团结进步创建工作领导小组办公室"],
                         "distribute_to": ["各网格"], "copies": 30},
            "activities": [], "disputes": [], "assistance": [], "plans": [], "problems": [],
        }
        for month in range(1, 13):
            for _ in range(rng.randint(2, 5)):
                cat = rng.choice(cats)
                day = rng.randint(1, 28)
                n = rng.randint(15, 300)
                a = {"date": f"2021-{month:02d}-{day:02d}", "category": cat, "title": titles[cat],
                     "location": "社区党群服务中心", "organizer": "社区居委会", "participants": n,
                     "summary": f"开展{titles[cat]}，{n}人次参与。"}
                if cat == "宣传":
                    a["materials"] = rng.randint(100, 800)
                d["activities"].append(a)
            f = rng.randint(0, 4)
            if f:  # a month without disputes has no row
                d["disputes"].append({"date": f"2021-{month:02d}-15", "found": f,
                                      "resolved": f - (1 if f > 2 and rng.random() < 0.3 else 0),
                                      "summary": f"排查矛盾纠纷{f}起。"})
            if rng.random() < 0.6:
                h = rng.randint(1, 6)
                d["assistance"].append({"date": f"2021-{month:02d}-05", "kind": "临时救助",
                                        "households": h, "persons": h * 3,
                                        "amount_yuan": h * 800})
        d["activities"].sort(key=lambda a: a["date"])
        d["plans"] = [{"month": "2022-01", "title": "开展新春民族团结联谊活动",
                       "detail": "组织辖区各族群众共度新春佳节。"}]
        d["problems"] = ["活动形式还有待进一步创新"]
        members.append((name, d))
    # 建林社区's own ledger stands in the folder as its office sends it
    members.insert(0, ("建林社区", jl))
    files = []
    for name, d in members:
        path = os.path.join(folder, f"{name}.xlsx")
        save_deterministic(workbook_for(d), path)
        files.append(os.path.basename(path))
    # the street's own facts (its name, masthead) and its members, in one file
    street = {
        "community": {"name": STREET, "district": "", "city": "嘉峪关市", "province": "甘肃省"},
        "briefing": {"title": "民族团结进步创建工作简报", "issuer": f"{STREET}党工委办公室",
                     "first_issue_month": "2021-01",
                     "report_to": ["嘉峪关市民族团结进步创建工作领导小组办公室"],
                     "send_to": ["嘉峪关市民宗局"], "distribute_to": ["各社区"], "copies": 20},
        "members": files,
    }
    del street["community"]["district"]
    with open(os.path.join(folder, "street.json"), "w", encoding="utf-8") as f:
        json.dump(street, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    names = sys.argv[1:] or sorted(n[:-5] for n in os.listdir(SAMPLES)
                                   if n.endswith(".json") and n != "schema.json")
    for n in names:
        data = json.load(open(os.path.join(SAMPLES, n + ".json"), encoding="utf-8"))
        save_deterministic(workbook_for(data), os.path.join(SAMPLES, n + ".xlsx"))
    street_folder()


if __name__ == "__main__":
    main()
