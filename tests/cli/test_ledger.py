"""Ledgers (台账, DESIGN §3.2a): workbooks and CSV files as data.

The same facts must give the same documents, byte for byte, whether they come
as JSON or as a ledger; ledgers written by other programs (openpyxl,
LibreOffice, a CSV in GB18030) must read as the JSON they stand for; every bad
cell is refused naming sheet and cell, with nothing written; hostile workbooks
are refused in bounded time.
"""
import copy
import datetime
import io
import json
import os
import re
import shutil
import subprocess
import time
import zipfile

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SAMPLES = os.path.join(SRC, "samples")
MONTHS = {"jianlin": "2021-09", "qinqu": "2024-09", "haixing": "2023-09", "shanshan": "2024-03",
          "hualinshan": "2011-06", "xiaobeigou": "2023-05"}


def lx(*args, timeout=60, cwd=None):
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    r.seconds = time.monotonic() - t0
    return r


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def refused(r, pattern, seconds=10):
    assert r.returncode == 1, f"exit {r.returncode}: {r.stderr}"
    assert r.seconds < seconds, "bounded time"
    assert re.search(pattern, r.stderr), r.stderr
    assert "Sanitizer" not in r.stderr and "Segmentation" not in r.stderr


def sample(name):
    return json.load(open(os.path.join(SAMPLES, name + ".json"), encoding="utf-8"))


def brief_text(data_path, month, *extra):
    r = ok(lx("render", "briefing", data_path, "--month", month, "-o", "-", *extra))
    return r.stdout


# ---- the committed sample workbooks -----------------------------------------------------

@pytest.mark.parametrize("name", sorted(MONTHS))
def test_sample_workbook_gives_the_same_briefing_text(name):
    month = MONTHS[name]
    a = brief_text(os.path.join(SAMPLES, name + ".json"), month)
    b = brief_text(os.path.join(SAMPLES, name + ".xlsx"), month)
    assert a == b


@pytest.mark.parametrize("name", ["qinqu", "jianlin"])
def test_sample_workbook_gives_byte_identical_documents(name, tmp_path):
    month = MONTHS[name]
    ok(lx("brief", os.path.join(SAMPLES, name + ".json"), "--month", month, "-o", tmp_path / "j"))
    ok(lx("brief", os.path.join(SAMPLES, name + ".xlsx"), "--month", month, "-o", tmp_path / "x"))
    for fmt in ("pdf", "docx", "xlsx"):
        a = (tmp_path / "j" / f"briefing-{month}.{fmt}").read_bytes()
        b = (tmp_path / "x" / f"briefing-{month}.{fmt}").read_bytes()
        assert a == b, fmt
    # summary is prose (no xlsx); stats is the return that has a workbook
    for tpl, fmt in (("summary", "pdf"), ("summary", "docx"), ("stats", "pdf"), ("stats", "xlsx")):
        ok(lx("render", tpl, os.path.join(SAMPLES, name + ".json"), "--month", month,
              "-o", tmp_path / f"j.{fmt}"))
        ok(lx("render", tpl, os.path.join(SAMPLES, name + ".xlsx"), "--month", month,
              "-o", tmp_path / f"x.{fmt}"))
        assert (tmp_path / f"j.{fmt}").read_bytes() == (tmp_path / f"x.{fmt}").read_bytes()


def normalise_lists(d):
    """A ledger cell lists names with 、 between them, so 县委、县政府 reads as
    two names: the documents join them back the same way."""
    b = d.get("briefing", {})
    for k in ("report_to", "send_to", "distribute_to"):
        if k in b:
            b[k] = [p for x in b[k] for p in re.split(r"、(?![^（(]*[）)])", x)]
    for k in ("disputes", "assistance", "plans", "problems", "activities"):
        if d.get(k) == []:
            del d[k]
    return d


@pytest.mark.parametrize("name", sorted(MONTHS))
def test_import_gives_the_sample_data(name, tmp_path):
    out = tmp_path / "data.json"
    r = ok(lx("import", os.path.join(SAMPLES, name + ".xlsx"), "-o", out))
    assert r.stderr == "", "the sample workbooks read without warnings"
    assert normalise_lists(json.load(open(out, encoding="utf-8"))) == normalise_lists(sample(name))
    # the JSON it writes is data like any other
    ok(lx("check", out))


def test_sample_workbooks_are_generated():
    """samples/tools/gen_ledgers.py made the committed workbooks (same bytes)."""
    import hashlib
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        shutil.copytree(SAMPLES, os.path.join(t, "samples"))
        r = subprocess.run(["/usr/bin/python3", os.path.join(t, "samples", "tools", "gen_ledgers.py")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        for n in sorted(MONTHS):
            a = open(os.path.join(SAMPLES, n + ".xlsx"), "rb").read()
            b = open(os.path.join(t, "samples", n + ".xlsx"), "rb").read()
            assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest(), n


# ---- workbooks written here with openpyxl ------------------------------------------------

def activity_workbook(path, rows, title="建林社区2021年活动台账", sheet="活动台账", profile=True,
                      headers=("序号", "活动日期", "活动类型", "活动主题", "地点", "主办单位",
                               "参与人数\n（人）", "发放资料(份)")):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "基本情况" if profile else "Sheet"
    if profile:
        ws.append(["项目", "内容"])
        ws.append(["社区名称", "建林社区"])
        ws.append(["所属街道", "钢城街道"])
        ws.append(["户数", "3986户"])
        ws.append(["常住人口", 9475])
    ws = wb.create_sheet(sheet)
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    wb.save(path)


GOOD = [(1, datetime.datetime(2021, 9, 3), "宣传", "民族政策宣传", "社区广场", "社区党支部", "29人", 300),
        (2, "2021/9/14", "培训", "业务培训", "会议室", "社区居委会", 40, "120份"),
        (3, "2021年9月20日", "座谈会", "座谈会", "会议室", "社区居委会", 12, None)]


def test_openpyxl_workbook_reads_as_json(tmp_path):
    p = tmp_path / "jianlin.xlsx"
    activity_workbook(p, GOOD)
    out = tmp_path / "d.json"
    ok(lx("import", p, "-o", out))
    d = json.load(open(out, encoding="utf-8"))
    assert d["community"] == {"name": "建林社区", "street": "钢城街道", "households": 3986,
                              "population": 9475}
    assert [a["date"] for a in d["activities"]] == ["2021-09-03", "2021-09-14", "2021-09-20"]
    assert [a.get("participants") for a in d["activities"]] == [29, 40, 12]
    assert [a.get("materials") for a in d["activities"]] == [300, 120, None]
    assert d["activities"][0] == {"date": "2021-09-03", "category": "宣传", "title": "民族政策宣传",
                                  "location": "社区广场", "organizer": "社区党支部",
                                  "participants": 29, "materials": 300}


def test_bad_cell_names_sheet_and_cell_and_writes_nothing(tmp_path):
    rows = copy.deepcopy(GOOD) + [(4, "2021-09-25", "宣传", "宣传", "广场", "居委会", "三百", 1)]
    # the bad figure lands in G of the 4th data row: title row 1, header row 2 → row 6
    p = tmp_path / "jianlin.xlsx"
    activity_workbook(p, rows)
    out = tmp_path / "out"
    out.mkdir()
    (out / "briefing-2021-09.pdf").write_bytes(b"old")
    r = lx("brief", p, "--month", "2021-09", "-o", out)
    refused(r, r'jianlin\.xlsx: error: 活动台账!G6: 参与人数（人） "三百" is not a number')
    assert (out / "briefing-2021-09.pdf").read_bytes() == b"old"
    assert sorted(os.listdir(out)) == ["briefing-2021-09.pdf"]
    r = lx("import", p, "-o", tmp_path / "d.json")
    refused(r, r"活动台账!G6")
    assert not (tmp_path / "d.json").exists()


def test_contract_message_form(tmp_path):
    """The example of DESIGN §3.2a, to the letter."""
    rows = [(i, "2021-09-%02d" % i, "宣传", "宣传", "广场", "居委会", 10, 1) for i in range(1, 8)]
    rows.append((8, "2021-09-10", "宣传", "宣传", "广场", "居委会", "三百", 1))
    p = tmp_path / "jianlin.xlsx"
    activity_workbook(p, rows, headers=("序号", "日期", "类别", "活动名称", "地点",
                                                    "组织单位", "参与人数", "发放资料（份）"))
    r = lx("check", p)
    assert r.returncode == 1
    assert 'jianlin.xlsx: error: 活动台账!G10: 参与人数 "三百" is not a number' in r.stderr, r.stderr


def test_missing_required_column_names_the_headers_found(tmp_path):
    p = tmp_path / "led.xlsx"
    activity_workbook(p, GOOD[:1], headers=("序号", "日子", "活动类型", "活动主题", "地点"))
    refused(lx("check", p), r"led\.xlsx: error: 活动台账: no 日期 column \(or 活动日期, 活动时间"
                            r".*the header row 2 has: 序号, 日子, 活动类型, 活动主题, 地点")


@pytest.mark.parametrize("bad,msg", [
    ("2024-02-30", r'"2024-02-30" is not a date that exists'),
    ("2023年2月29日", r'"2023年2月29日" is not a date that exists'),
    ("九月三日", r'"九月三日" is not a date; write it as 2024-09-14'),
])
def test_dates_that_do_not_exist(tmp_path, bad, msg):
    p = tmp_path / "led.xlsx"
    activity_workbook(p, [(1, bad, "宣传", "宣传", "广场", "居委会", 10, 1)])
    refused(lx("check", p), r"活动台账!B3: 活动日期 " + msg)


def test_row_outside_the_period_is_a_warning(tmp_path):
    p = tmp_path / "led.xlsx"
    rows = GOOD + [(4, "2020-12-30", "宣传", "宣传", "广场", "居委会", 10, 1)]
    activity_workbook(p, rows, title="建林社区2021年9月活动台账")
    r = ok(lx("import", p, "-o", tmp_path / "d.json"))
    assert re.search(r"led\.xlsx: warning: 活动台账!B6: 日期 2020-12-30 is outside every period "
                     r"the file names \(2021年9月\)", r.stderr), r.stderr
    assert "B3" not in r.stderr and "B4" not in r.stderr
    assert len(json.load(open(tmp_path / "d.json"))["activities"]) == 4


def test_sheet_found_by_headers_and_totals_skipped(tmp_path):
    p = tmp_path / "led.xlsx"
    rows = GOOD + [("合计", None, None, None, None, None, "=SUM(G3:G5)", None),
                   (None,), ("填表人：张三", None, None, None, None, None, None, None)]
    activity_workbook(p, rows, sheet="Sheet2")
    d = json.loads(ok(lx("import", p, "-o", "-")).stdout)
    assert len(d["activities"]) == 3


# ---- CSV ledgers with a profile ----------------------------------------------------------

CSV_HEAD = ("日期,类别,活动名称,地点,组织单位,场次,参与人数,走访（户）,发放资料（份）,横幅（条）,标语（条）,"
            "展板（块）,简要情况,亮点\n")


def csv_for(data):
    lines = [CSV_HEAD]
    for a in data["activities"]:
        y, m, d = a["date"].split("-")
        cells = [f"{int(y)}/{int(m)}/{int(d)}", a.get("category", ""), a["title"],
                 a.get("location", ""), a.get("organizer", ""),
                 str(a.get("sessions", "")), f'{a["participants"]}人' if "participants" in a else "",
                 str(a.get("visits", "")), str(a.get("materials", "")), str(a.get("banners", "")),
                 str(a.get("slogans", "")), str(a.get("boards", "")), a.get("summary", ""),
                 "是" if a.get("highlight") else ""]
        lines.append(",".join('"%s"' % c.replace('"', '""') if ("," in c or '"' in c) else c
                              for c in cells) + "\n")
    return "".join(lines)


def csv_case(tmp_path):
    """xiaobeigou: activities without photos, so a plain CSV carries every activity fact;
    the rest goes in the profile."""
    d = sample("xiaobeigou")
    assert not any("photos" in a for a in d["activities"])
    prof = {k: v for k, v in d.items() if k != "activities"}
    pp = tmp_path / "profile.json"
    pp.write_text(json.dumps(prof, ensure_ascii=False), encoding="utf-8")
    return d, csv_for(d), pp


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_profile_gives_the_same_briefing(tmp_path, encoding):
    d, text, pp = csv_case(tmp_path)
    cp = tmp_path / "activities.csv"
    cp.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    if encoding == "gb18030":
        with pytest.raises(UnicodeDecodeError):
            cp.read_bytes().decode("utf-8")
    want = brief_text(os.path.join(SAMPLES, "xiaobeigou.json"), MONTHS["xiaobeigou"])
    got = brief_text(cp, MONTHS["xiaobeigou"], "--profile", pp)
    assert got == want
    # the same as a render of another template and as imported JSON
    out = tmp_path / "d.json"
    ok(lx("import", cp, "--profile", pp, "-o", out))
    assert json.load(open(out, encoding="utf-8"))["activities"] == d["activities"]


def test_csv_bad_cell_and_no_profile(tmp_path):
    d, text, pp = csv_case(tmp_path)
    lines = text.splitlines(True)
    cells = lines[4].split(",")
    cells[6] = "三百"
    lines[4] = ",".join(cells)
    cp = tmp_path / "a.csv"
    cp.write_bytes("".join(lines).encode("gb18030"))
    refused(lx("check", cp, "--profile", pp), r'a\.csv: error: G5: 参与人数 "三百" is not a number')
    cp.write_bytes(text.encode("utf-8"))
    refused(lx("check", cp), r"a\.csv: error: the community's own facts are missing.*--profile")


def test_csv_that_is_neither_utf8_nor_gb18030(tmp_path):
    cp = tmp_path / "a.csv"
    cp.write_bytes(CSV_HEAD.encode("gb18030") + b"2024/9/1,\x81\x20,x\n")
    refused(lx("check", cp), r"a\.csv: error: line 2: the file is neither UTF-8 nor GB18030")


# ---- third parties: LibreOffice -----------------------------------------------------------

@pytest.fixture(scope="module")
def soffice(tmp_path_factory):
    exe = shutil.which("soffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is not installed")
    return exe, "file://" + str(tmp_path_factory.mktemp("lo-profile"))


def test_libreoffice_resaved_workbook(soffice, tmp_path):
    exe, profile = soffice
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(os.path.join(SAMPLES, "jianlin.xlsx"), src / "jianlin.xlsx")
    out = tmp_path / "out"
    r = subprocess.run([exe, "-env:UserInstallation=" + profile, "--headless", "--convert-to",
                        "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src / "jianlin.xlsx")],
                       capture_output=True, text=True, timeout=240)
    resaved = out / "jianlin.xlsx"
    assert resaved.exists(), r.stdout + r.stderr
    assert resaved.read_bytes() != (src / "jianlin.xlsx").read_bytes()
    month = MONTHS["jianlin"]
    assert brief_text(resaved, month) == brief_text(os.path.join(SAMPLES, "jianlin.json"), month)


# ---- hand-made packages: inline strings, 1904 dates, merged date cells, hostile input -----

def xlsx_bytes(sheet_xml, workbook_extra="", styles=None, extra=None, sst=None):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        rels = '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        if styles:
            rels += '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            z.writestr("xl/styles.xml", styles)
        if sst:
            rels += '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            z.writestr("xl/sharedStrings.xml", sst)
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + rels + '</Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' + workbook_extra + '<sheets><sheet name="活动台账" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return b.getvalue()


def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet(rows, merges=""):
    return ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(f'<row r="{i}">{r}</row>' for i, r in rows) + "</sheetData>" + merges + "</worksheet>")


HEAD_ROW = inline("A2", "日期") + inline("B2", "活动名称") + inline("C2", "参与人数")
PROFILE = {"community": {"name": "测试社区"}}


def write_profile(tmp_path):
    pp = tmp_path / "p.json"
    pp.write_text(json.dumps(PROFILE, ensure_ascii=False), encoding="utf-8")
    return pp


def test_inline_strings_1904_dates_and_merged_date_cells(tmp_path):
    styles = ('<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<numFmts count="1"><numFmt numFmtId="177" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
              '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
              '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="177" applyNumberFormat="1"/></cellXfs></styleSheet>')
    # 2021-09-03 in the 1904 system is serial 42980 (44442 - 1462)
    rows = [(1, inline("A1", "2021年活动台账")),
            (2, HEAD_ROW),
            (3, '<c r="A3" s="1"><v>42980</v></c>' + inline("B3", "宣传") + '<c r="C3"><v>29</v></c>'),
            (4, inline("B4", "培训") + '<c r="C4" t="str"><f>10+20</f><v>30</v></c>')]
    p = tmp_path / "hand.xlsx"
    p.write_bytes(xlsx_bytes(sheet(rows, '<mergeCells count="2"><mergeCell ref="A1:C1"/><mergeCell ref="A3:A4"/></mergeCells>'),
                             workbook_extra='<workbookPr date1904="1"/>', styles=styles))
    d = json.loads(ok(lx("import", p, "--profile", write_profile(tmp_path), "-o", "-")).stdout)
    assert d["activities"] == [{"date": "2021-09-03", "title": "宣传", "participants": 29},
                               {"date": "2021-09-03", "title": "培训", "participants": 30}]


def test_shared_strings_with_runs_and_phonetics(tmp_path):
    sst = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<si><t>日期</t></si><si><r><t>活动</t></r><r><t>名称</t></r></si>'
           '<si><t>宣传</t><rPh sb="0" eb="2"><t>xuanchuan</t></rPh></si></sst>')
    rows = [(1, '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'),
            (2, inline("A2", "2021-09-01") + '<c r="B2" t="s"><v>2</v></c>')]
    p = tmp_path / "s.xlsx"
    p.write_bytes(xlsx_bytes(sheet(rows), sst=sst))
    d = json.loads(ok(lx("import", p, "--profile", write_profile(tmp_path), "-o", "-")).stdout)
    assert d["activities"] == [{"date": "2021-09-01", "title": "宣传"}]
    rows[1] = (2, inline("A2", "2021-09-01") + '<c r="B2" t="s"><v>7</v></c>')
    p.write_bytes(xlsx_bytes(sheet(rows), sst=sst))
    refused(lx("check", p, "--profile", write_profile(tmp_path)), r"活动台账!B2: the cell refers to shared string 7")


def zip_bomb_sheet():
    """A sheet that inflates 1000:1 (spaces between rows)."""
    return sheet([(1, HEAD_ROW)]).replace("</sheetData>", " " * (80 * 1024 * 1024) + "</sheetData>")


@pytest.mark.parametrize("case,pattern", [
    ("doctype", r"DOCTYPE or ENTITY declaration"),
    ("bomb", r"expands more than 200 times|limit for one part"),
    ("entries", r"entries; the limit is 2000"),
    ("depth", r"nest more than 128 deep"),
    ("rows", r"more than 100000 rows with values"),
    ("cell", r"over 1024 KB"),
    ("columns", r"at most 256 columns"),
    ("notzip", r"not a workbook"),
    ("truncated", r"damaged or truncated"),
    ("ole", r"old \.xls"),
])
def test_hostile_workbooks_are_refused(tmp_path, case, pattern):
    p = tmp_path / "h.xlsx"
    if case == "doctype":
        body = sheet([(1, HEAD_ROW)]).replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>')
        data = xlsx_bytes(body)
    elif case == "bomb":
        data = xlsx_bytes(zip_bomb_sheet())
    elif case == "entries":
        data = xlsx_bytes(sheet([(1, HEAD_ROW)]), extra={f"x/{i}.bin": "" for i in range(2100)})
    elif case == "depth":
        data = xlsx_bytes(sheet([(1, HEAD_ROW)]).replace("</sheetData>", "</sheetData>" + "<x>" * 200 + "</x>" * 200))
    elif case == "rows":
        rows = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 100010))
        data = xlsx_bytes(sheet([]).replace("<sheetData></sheetData>", "<sheetData>" + rows + "</sheetData>"))
    elif case == "cell":
        import base64
        import random
        noise = base64.b64encode(random.Random(1).randbytes(900 * 1024)).decode()
        data = xlsx_bytes(sheet([(1, HEAD_ROW), (2, inline("A2", noise))]))
    elif case == "columns":
        data = xlsx_bytes(sheet([(1, HEAD_ROW + inline("ZZ1", "x"))]))
    elif case == "notzip":
        data = b"date,title\n"
    elif case == "truncated":
        data = xlsx_bytes(sheet([(1, HEAD_ROW)]))[:300]
    else:
        data = bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + b"\0" * 504
    p.write_bytes(data)
    refused(lx("check", p), r"h\.xlsx: error: .*" + pattern)
