"""The period model (--period / --month / --date), 期号 numbering, a template's
`needs:` and undefined names (warnings, --strict). Run through CTest or:
    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/cli/test_period.py
"""
import json
import os
import subprocess

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
QINQU = os.path.join(SRC, "samples", "qinqu.json")

PROBE = ("{{ period.key }}|{{ period.kind }}|{{ period.label }}|{{ period.short }}|{{ period.start }}|"
         "{{ period.end }}|{{ period.ytd.label }}|{{ period.ytd.short }}|{{ period.prev.label }}|"
         "{{ period.prev_year.label }}|{{ period.next.label }}|{{ issue }}|{{ period.complete_year }}|"
         "{{ activities | count }}|{{ month }}|{{ date }}\n")
FIELDS = ["key", "kind", "label", "short", "start", "end", "ytd", "ytd_short", "prev", "prev_year",
          "next", "issue", "complete_year", "acts", "month", "date"]


def lx(*args, timeout=30):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def probe(tmp_path, *args, data=QINQU):
    t = tmp_path / "probe.lxt"
    t.write_text(PROBE, encoding="utf-8")
    r = lx("render", t, data, "-f", "txt", "-o", "-", *args)
    assert r.returncode == 0, r.stderr
    return dict(zip(FIELDS, r.stdout.strip().split("|"))), r.stderr


def acts_until(day):
    d = json.load(open(QINQU, encoding="utf-8"))
    return len([a for a in d["activities"] if a["date"] <= day])


def test_month(tmp_path):
    p, _ = probe(tmp_path, "--month", "2024-09")
    assert p["kind"] == "month" and p["label"] == "2024年9月" and p["short"] == "9月"
    assert (p["start"], p["end"]) == ("2024-09-01", "2024-09-30")
    assert p["ytd"] == "2024年1—9月" and p["ytd_short"] == "前三季度"
    assert (p["prev"], p["prev_year"], p["next"]) == ("2024年8月", "2023年9月", "2024年10月")
    assert p["complete_year"] == "false" and p["date"] == "2024-09-30"
    # the data the template sees ends on the document date
    assert int(p["acts"]) == acts_until("2024-09-30") < len(json.load(open(QINQU))["activities"])
    q, _ = probe(tmp_path, "--period", "2024-09")
    assert q == p


def test_quarter(tmp_path):
    p, _ = probe(tmp_path, "--period", "2024-Q3")
    assert p["kind"] == "quarter" and p["label"] == "2024年第三季度"
    assert (p["start"], p["end"]) == ("2024-07-01", "2024-09-30")
    assert (p["prev"], p["prev_year"], p["next"]) == ("2024年第二季度", "2023年第三季度", "2024年第四季度")
    assert p["issue"] == "3" and p["month"] == "2024-09"
    assert int(p["acts"]) == acts_until("2024-09-30")


def test_issue_of_a_longer_period(tmp_path):
    # a briefing issued each quarter, half-year or year is numbered by its
    # place in the year; the masthead never reads "第期"
    for period, issue in (("2024-Q1", "1"), ("2024-Q4", "4"), ("2024-H2", "2"), ("2024", "1")):
        p, _ = probe(tmp_path, "--period", period)
        assert p["issue"] == issue, period
    r = lx("render", "briefing", QINQU, "--period", "2024-Q3", "-f", "txt", "-o", "-")
    assert r.returncode == 0 and "第3期" in r.stdout and "第期" not in r.stdout


def test_half(tmp_path):
    p, _ = probe(tmp_path, "--period", "2024-H1")
    assert p["label"] == "2024年上半年" and p["end"] == "2024-06-30" and p["ytd_short"] == "上半年"
    assert p["prev"] == "2023年下半年"
    assert int(p["acts"]) == acts_until("2024-06-30")


def test_year(tmp_path):
    p, _ = probe(tmp_path, "--period", "2024")
    assert p["label"] == "2024年" and p["short"] == "全年" and p["complete_year"] == "true"
    assert (p["start"], p["end"]) == ("2024-01-01", "2024-12-31")
    assert p["ytd"] == "2024年" and p["ytd_short"] == "全年"


def test_year_boundary(tmp_path):
    p, _ = probe(tmp_path, "--month", "2024-01")
    assert p["prev"] == "2023年12月" and p["ytd"] == "2024年1月" and p["issue"] == "1"
    q, _ = probe(tmp_path, "--period", "2024-Q1")
    assert q["prev"] == "2023年第四季度"
    r, _ = probe(tmp_path, "--month", "2024-12")
    assert r["next"] == "2025年1月" and r["complete_year"] == "true"


def test_date_caps_the_period(tmp_path):
    p, _ = probe(tmp_path, "--month", "2024-09", "--date", "2024-09-15")
    assert p["end"] == "2024-09-15" and p["date"] == "2024-09-15"
    assert int(p["acts"]) == acts_until("2024-09-15")
    r = lx("render", "briefing", QINQU, "--month", "2024-09", "--date", "2024-08-31", "-f", "txt", "-o", "-")
    assert r.returncode == 2 and "before the period" in r.stderr


def test_empty_period_warns(tmp_path):
    p, err = probe(tmp_path, "--month", "2025-02")
    assert "2025年2月" in err and "no activities" in err
    p, err = probe(tmp_path, "--month", "2024-09")
    assert "warning" not in err


def test_issue_restarts_each_year(tmp_path):
    p, _ = probe(tmp_path, "--month", "2025-02")
    assert p["issue"] == "2"  # not 第14期
    d = json.load(open(QINQU, encoding="utf-8"))
    d["briefing"]["numbering"] = "continuous"
    f = tmp_path / "c.json"
    f.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    p, _ = probe(tmp_path, "--month", "2025-02", data=f)
    assert p["issue"] == "14"
    # the first year counts from the first issue
    d["briefing"]["numbering"] = "yearly"
    d["briefing"]["first_issue_month"] = "2024-03"
    f.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    p, _ = probe(tmp_path, "--month", "2024-09", data=f)
    assert p["issue"] == "7"
    r = lx("render", "briefing", f, "--month", "2025-02", "-f", "txt", "-o", "-")
    assert "第2期" in r.stdout


@pytest.mark.parametrize("args,msg", [
    (["--period", "2024-Q5"], "--period expects"),
    (["--period", "24"], "--period expects"),
    (["--period", "2024-H3"], "--period expects"),
    (["--period", "2024-09", "--month", "2024-08"], "not both"),
])
def test_bad_period_is_a_usage_error(tmp_path, args, msg):
    r = lx("render", "briefing", QINQU, "-f", "txt", "-o", tmp_path / "x.txt", *args)
    assert r.returncode == 2 and msg in r.stderr
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.parametrize("template", ["briefing", "summary", "plan", "report", "stats"])
def test_needs_a_period(tmp_path, template):
    out = tmp_path / "x.txt"
    r = lx("render", template, QINQU, "-f", "txt", "-o", out)
    assert r.returncode == 1, r.stderr
    assert "needs a period" in r.stderr and "--period" in r.stderr
    assert not out.exists()


def test_needs_community_name(tmp_path):
    f = tmp_path / "d.json"
    f.write_text('{"community": {"name": ""}}', encoding="utf-8")
    r = lx("render", "briefing", f, "--month", "2024-09", "-f", "txt", "-o", "-")
    assert r.returncode == 1 and "community.name" in r.stderr and "needs" in r.stderr


def test_brief_keeps_month():
    r = lx("brief", QINQU, "--month", "2024-09", "-f", "pdf", "-o", "/dev/null/x")
    assert r.returncode in (3,)  # the I/O error of the output, not a usage error


def test_undefined_name_warns_with_a_guess(tmp_path):
    t = tmp_path / "t.lxt"
    t.write_text("社区：{{ community.nme }}。\n{{ comunity.name }}\n"
                 "{% for a in activities %}{{ a.summary }}{% endfor %}\n", encoding="utf-8")
    r = lx("render", t, QINQU, "--month", "2024-09", "-f", "txt", "-o", "-")
    assert r.returncode == 0
    assert "t.lxt:1:17: warning: community has no field 'nme'" in r.stderr
    assert "did you mean community.name?" in r.stderr
    assert "t.lxt:2:4: warning: 'comunity' is not defined" in r.stderr and "did you mean community?" in r.stderr
    assert "summary" not in r.stderr  # a field some records have is optional, not a typo
    assert r.stderr.count("warning") == 2
    s = lx("render", t, QINQU, "--month", "2024-09", "--strict", "-f", "txt", "-o", tmp_path / "o.txt")
    assert s.returncode == 1 and "t.lxt:1:17: error: community has no field 'nme'" in s.stderr
    assert not (tmp_path / "o.txt").exists()
