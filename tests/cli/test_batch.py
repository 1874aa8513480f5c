"""lexport batch: many communities on all cores, one folder each, failures
reported while the rest go on; and the street roll-up (汇总), checked against
the sum of its communities as computed here from their own data."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
STREET = os.path.join(SRC, "samples", "钢城街道")
MEMBERS = ["建林社区", "朝阳社区", "五一社区", "胜利社区"]


def lx(*args, timeout=300, cwd=None):
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    r.seconds = time.monotonic() - t0
    return r


def broken_copy(tmp_path):
    """朝阳社区's workbook with one participant count written as words."""
    from openpyxl import load_workbook
    wb = load_workbook(os.path.join(STREET, "朝阳社区.xlsx"))
    ws = wb["活动台账"]
    col = [c.value for c in ws[3]].index("参与人数（人）") + 1
    ws.cell(row=6, column=col, value="三百")
    ws = wb["基本情况"]
    ws["B3"] = "坏社区"  # another community, so the folder is another
    p = tmp_path / "broken.xlsx"
    wb.save(p)
    return p, ws.cell(row=6, column=col).coordinate


def test_three_inputs_one_broken(tmp_path):
    bad, _ = broken_copy(tmp_path)
    out = tmp_path / "out"
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), bad, os.path.join(STREET, "胜利社区.xlsx"),
           "--month", "2021-09", "-f", "pdf,docx,xlsx", "-o", out)
    assert r.returncode == 1, r.stderr
    assert re.search(r'broken\.xlsx: error: 活动台账!\w+6: 参与人数（人） "三百" is not a number',
                     r.stderr), r.stderr
    assert "3 inputs: 2 done, 1 failed; 6 documents" in r.stderr, r.stderr
    assert sorted(os.listdir(out)) == ["五一社区", "胜利社区"]
    for c in ("五一社区", "胜利社区"):
        assert sorted(os.listdir(out / c)) == ["briefing-2021-09.docx", "briefing-2021-09.pdf",
                                               "briefing-2021-09.xlsx"]
    # not a terminal: one plain line per community, no progress bar
    assert "\r" not in r.stderr and "█" not in r.stderr
    assert len([l for l in r.stdout.splitlines() if l.endswith("(3 documents)")]) == 2


def test_batch_gives_what_brief_gives(tmp_path):
    out = tmp_path / "out"
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), "--month", "2021-09", "-f", "pdf,xlsx",
           "-t", "briefing", "-t", "stats", "-j", "2", "-o", out)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(out / "五一社区")) == ["briefing-2021-09.pdf", "briefing-2021-09.xlsx",
                                                   "stats-2021-09.pdf", "stats-2021-09.xlsx"]
    r = lx("brief", os.path.join(STREET, "五一社区.xlsx"), "--month", "2021-09", "-f", "pdf",
           "-o", tmp_path / "b")
    assert r.returncode == 0, r.stderr
    assert (out / "五一社区" / "briefing-2021-09.pdf").read_bytes() == \
        (tmp_path / "b" / "briefing-2021-09.pdf").read_bytes()


def test_usage_errors(tmp_path):
    assert lx("batch", "-o", tmp_path).returncode == 2
    assert lx("batch", os.path.join(STREET, "五一社区.xlsx"), "-o", tmp_path).returncode == 2  # no month
    r = lx("batch", tmp_path / "none", "--month", "2021-09", "-o", tmp_path / "o")
    assert r.returncode == 3, r.stderr
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), "--month", "2021-09", "-t", "nosuch",
           "-o", tmp_path / "o")
    assert r.returncode == 2 and "nosuch" in r.stderr
    assert not (tmp_path / "o").exists()


def test_same_community_twice_is_refused_for_the_second(tmp_path):
    a = tmp_path / "a.xlsx"
    shutil.copy(os.path.join(STREET, "五一社区.xlsx"), a)
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), a, "--month", "2021-09", "-f", "txt",
           "-j", "1", "-o", tmp_path / "o")
    assert r.returncode == 1
    assert "a.xlsx: error: 五一社区 is also the community of" in r.stderr, r.stderr


# ---- the roll-up --------------------------------------------------------------------

def figures(d, lo, hi):
    """A community's figures for days lo..hi, as a 统计表 counts them."""
    def inp(x):
        return lo <= x["date"] <= hi
    acts = [a for a in d.get("activities", []) if inp(a)]
    disp = [x for x in d.get("disputes", []) if inp(x)]
    aid = [x for x in d.get("assistance", []) if inp(x)]
    return [sum(a.get("sessions", 1) for a in acts), sum(a.get("participants", 0) for a in acts),
            sum(x.get("found", 0) for x in disp), sum(x.get("resolved", 0) for x in disp),
            sum(x.get("households", 0) for x in aid), sum(x.get("persons", 0) for x in aid),
            sum(x.get("amount_yuan", 0) for x in aid)]


@pytest.fixture(scope="module")
def rolled(tmp_path_factory):
    t = tmp_path_factory.mktemp("rollup")
    out = t / "out"
    r = lx("batch", STREET, "--month", "2021-09", "-f", "xlsx,txt", "-o", out)
    assert r.returncode == 0, r.stderr
    data = {}
    for m in MEMBERS:
        p = t / (m + ".json")
        assert lx("import", os.path.join(STREET, m + ".xlsx"), "-o", p).returncode == 0
        data[m] = json.load(open(p, encoding="utf-8"))
    return out, data, r


def test_rollup_folder_and_its_files(rolled):
    out, data, r = rolled
    assert sorted(os.listdir(out)) == sorted(MEMBERS + ["钢城街道"])
    assert sorted(os.listdir(out / "钢城街道")) == sorted(
        f"{t}-2021-09.{f}" for t in ("briefing", "summary", "stats") for f in ("xlsx", "txt"))
    assert "roll-up: " in r.stdout


def test_rollup_table_is_the_sum_of_its_communities(rolled):
    from openpyxl import load_workbook
    out, data, _ = rolled
    wb = load_workbook(out / "钢城街道" / "stats-2021-09.xlsx")
    for sheet, lo in (("本月分社区", "2021-09-01"), ("今年以来分社区", "2021-01-01")):
        ws = wb[sheet]
        rows = [[c.value for c in row] for row in ws.iter_rows()]
        head = next(i for i, r in enumerate(rows) if r[0] == "社区")
        body = {r[0]: r[1:8] for r in rows[head + 1:] if r[0] in MEMBERS}
        assert sorted(body) == sorted(MEMBERS), rows
        for m in MEMBERS:
            assert body[m] == figures(data[m], lo, "2021-09-30"), (sheet, m)
        total = next(r for r in rows if r[0] == "合计")
        # 合计 is a live formula over the communities' rows
        assert all(isinstance(v, str) and v.startswith("=SUM(") for v in total[1:8]), total


def test_rollup_numbers_in_the_prose(rolled):
    out, data, _ = rolled
    text = (out / "钢城街道" / "briefing-2021-09.txt").read_text(encoding="utf-8")
    month = [sum(x) for x in zip(*(figures(data[m], "2021-09-01", "2021-09-30") for m in MEMBERS))]
    assert f"所辖4个社区" in text
    assert f"共开展各类活动{month[0]}场次" in text, text
    lead = max(MEMBERS, key=lambda m: (figures(data[m], "2021-09-01", "2021-09-30")[0],
                                       figures(data[m], "2021-09-01", "2021-09-30")[1]))
    assert f"其中，{lead}开展活动" in text and "居各社区之首" in text, text
    # the briefing of the street says 报/送 from its roll-up file
    assert "嘉峪关市民宗局" in text
    summary = (out / "钢城街道" / "summary-2021-09.txt").read_text(encoding="utf-8")
    ytd = [sum(x) for x in zip(*(figures(data[m], "2021-01-01", "2021-09-30") for m in MEMBERS))]
    assert f"各社区共开展各类活动{ytd[0]}场次" in summary, summary


def test_rollup_by_name_and_refused_when_a_member_fails(tmp_path):
    files = [os.path.join(STREET, m + ".xlsx") for m in MEMBERS[1:3]]
    r = lx("batch", *files, "--month", "2021-09", "-f", "txt", "--rollup", "钢城街道",
           "-o", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "o" / "钢城街道" / "briefing-2021-09.txt").read_text(encoding="utf-8")
    assert "所辖2个社区" in text
    bad, _ = broken_copy(tmp_path)
    r = lx("batch", *files, bad, "--month", "2021-09", "-f", "txt", "--rollup", "钢城街道",
           "-o", tmp_path / "o2")
    assert r.returncode == 1
    assert "the roll-up is not made" in r.stderr, r.stderr
    assert not (tmp_path / "o2" / "钢城街道").exists()


def test_formats_a_template_is_not_made_for_are_left_out(tmp_path):
    # the prose templates refuse xlsx: asking every template in every format
    # gives each template the formats it is made for, not a failed batch
    out = tmp_path / "out"
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), "--month", "2021-09",
           "-t", "briefing,summary,stats", "-f", "pdf,xlsx", "-o", out)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(out / "五一社区")) == [
        "briefing-2021-09.pdf", "briefing-2021-09.xlsx", "stats-2021-09.pdf",
        "stats-2021-09.xlsx", "summary-2021-09.pdf"]
    assert "summary: warning: not made for xlsx, left out" in r.stderr, r.stderr
    # a template none of whose formats was asked is an error before any work
    r = lx("batch", os.path.join(STREET, "五一社区.xlsx"), "--month", "2021-09",
           "-t", "summary", "-f", "xlsx", "-o", tmp_path / "o2")
    assert r.returncode != 0
    assert "summary is not made for xlsx: render it as pdf, docx" in r.stderr, r.stderr
    assert not (tmp_path / "o2").exists()
