"""Valid data that used to take quadratic time (issue #10, item 5): long
unbreakable titles, many disputes, long tables. Each must finish; the timeouts
are hang guards only (the quadratic code took minutes), the speed itself is
measured by tests/bench/bench_limits.py. What is checked is the output.
"""
import collections
import json
import os
import re
import subprocess

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SAMPLE = os.path.join(SRC, "samples", "haixing.json")
MONTH = "2023-09"  # twelve activities in the sample


# Under AddressSanitizer (the test command's second run) memory is not
# comparable: redzones and quarantine add to every allocation.
SANITIZED = b"libasan" in subprocess.run(["ldd", LEXPORT], capture_output=True).stdout


def lx(*args, timeout=60):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def sample():
    return json.load(open(SAMPLE, encoding="utf-8"))


def write(tmp_path, d):
    p = tmp_path / "data.json"
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    return p


def pdf_text(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_megabyte_titles_without_break_opportunities(tmp_path):
    # a title is named in the text when the activity has no summary; a run
    # of letters has no break opportunity, so it is split between characters
    d = sample()
    acts = [a for a in d["activities"] if a["date"].startswith(MONTH)]
    letters = "xyz"
    for a, ch in zip(acts, letters):
        a["title"] = ch * 1_000_000
        a.pop("summary", None)
    p = write(tmp_path, d)
    r = lx("brief", p, "--month", MONTH, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr
    count = collections.Counter(pdf_text(tmp_path / "out" / f"briefing-{MONTH}.pdf"))
    for ch in letters:
        assert count[ch] >= 1_000_000, (ch, count[ch])


TABLE = """---
title: 活动台账
---
| 序号 | 日期 | 类别 | 活动名称 | 地点 | 参与人次 |
|---:|------|------|----------|------|---------:|
{% for a in rows %}
| {{ loop.index }} | {{ a.date }} | {{ a.category }} | {{ a.title }} | {{ a.location }} | {{ a.participants }} |
{% endfor %}
| 合计 | < | < | < | < | {{ rows | sum("participants") }} |
"""


def test_forty_thousand_row_table(tmp_path):
    # every cell used to be found by walking the rows from the first one,
    # and each row looked at every cell of the table
    n = 40_000
    rows = [{"date": "2024-%02d-%02d" % (1 + i % 12, 1 + i % 28), "title": "活动第%d场" % (i + 1),
             "category": "宣传" if i % 3 else "走访慰问",
             "location": "社区广场" if i % 4 else "社区党群服务中心",
             "participants": 1 + i % 50} for i in range(n)]
    p = write(tmp_path, {"community": {"name": "秦渠社区"}, "rows": rows})
    tpl = tmp_path / "table.lxt"
    tpl.write_text(TABLE, encoding="utf-8")
    out = tmp_path / "table.pdf"
    # every cell's text lives until the table is placed; with the spare
    # capacity of growing arrays this table took over 600 MB
    proc = subprocess.Popen([LEXPORT, "render", str(tpl), str(p), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    r = subprocess.CompletedProcess(proc.args, os.waitstatus_to_exitcode(status), "", err)
    assert SANITIZED or usage.ru_maxrss < 512 * 1024, f"peak memory {usage.ru_maxrss // 1024} MB"
    text = pdf_text(out)
    seen = [int(k) for k in re.findall(r"活动第(\d+)场", text)]
    assert seen == list(range(1, n + 1))
    assert str(sum(1 + i % 50 for i in range(n))) in text


def test_hundred_thousand_disputes(tmp_path):
    # the briefing lists the kinds of dispute: disputes | map("summary") |
    # compact | unique, which compared every summary with every other
    n = 100_000
    d = sample()
    d["disputes"] = [{"date": "%s-%02d" % (MONTH, 1 + i % 28), "found": 1, "resolved": 1,
                      "summary": "纠纷%d" % (i % (n // 2))} for i in range(n)]
    p = write(tmp_path, d)
    out = tmp_path / "b.txt"
    r = lx("render", "briefing", p, "--month", MONTH, "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "共排查各类矛盾纠纷%d起" % n in text
    kinds = re.search(r"主要是((?:纠纷\d+、)*纠纷\d+)", text)
    assert kinds, text[:2000]
    # each kind once, in the order of first appearance
    assert kinds.group(1).split("、") == ["纠纷%d" % i for i in range(n // 2)]
    r = lx("brief", p, "--month", MONTH, "-o", tmp_path / "out")
    assert r.returncode == 0, r.stderr


def test_substring_search_of_megabyte_strings(tmp_path):
    # a needle that almost matches at every offset: a memcmp per offset is
    # 500,000 × 500,000 byte comparisons, a linear search a few million
    hay, needle = "a" * 1000000, "a" * 500000 + "b"
    d = {"community": {"name": "x"}, "hay": hay, "needle": needle,
         "items": [{"t": hay}, {"t": hay + "b"}]}
    data = write(tmp_path, d)
    tpl = tmp_path / "t.lxt"
    tpl.write_text('{{ needle in hay }} {{ items | where("t", "contains", needle) | count }} '
                   '{{ hay | replace(needle, "") | length }} '
                   '{{ (hay ~ "b") | replace(needle, "X") | length }}\n', encoding="utf-8")
    r = lx("render", tpl, data, "-f", "txt", "-o", "-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["false", "1", "1000000", str(500000 + 1)], r.stdout


def test_megabyte_name_in_the_pdf_info(tmp_path):
    # the name is in the document's subject and keywords; PDF text
    # strings are limited to 65,535 bytes in libharu, which failed the whole
    # render as "out of memory"
    d = sample()
    d["community"]["name"] = "长" * 300000
    out = tmp_path / "b.pdf"
    r = lx("render", "briefing", write(tmp_path, d), "--month", MONTH, "-o", out)
    assert r.returncode == 0, r.stderr[-500:]
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, timeout=60).stdout
    subject = next(l for l in info.splitlines() if l.startswith("Subject:"))
    assert "长" * 1000 in subject and len(subject) < 40000, len(subject)
    assert pdf_text(out).replace("\n", "").count("长") >= 300000
