"""The lexport program: commands, exit codes, error messages, atomic output and
hostile input. Run through CTest (which sets LEXPORT) or by hand:
    LEXPORT=build/lexport /usr/bin/python3 -m pytest tests/cli
"""
import json
import os
import re
import subprocess
import time

import pytest

LEXPORT = os.environ.get("LEXPORT", "build/lexport")
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SAMPLE = os.path.join(SRC, "tests", "cases", "data.json")
BUILTINS = ["briefing", "summary", "deeds", "plan", "report", "stats"]


def lx(*args, timeout=20, cwd=None):
    t0 = time.monotonic()
    r = subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    r.seconds = time.monotonic() - t0
    return r


@pytest.fixture
def data(tmp_path):
    """A writable copy of the sample data, and a helper to write variants."""
    base = json.load(open(SAMPLE, encoding="utf-8"))

    def make(mutate=None, name="data.json"):
        d = json.loads(json.dumps(base))
        if mutate:
            mutate(d)
        p = tmp_path / name
        p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
        return p
    return make


# ---- basics -------------------------------------------------------------------

def test_version_and_help():
    r = lx("--version")
    assert r.returncode == 0 and re.match(r"lexport \d+\.\d+\.\d+", r.stdout)
    r = lx("--help")
    assert r.returncode == 0 and "brief DATA --month" in r.stdout and "exit status" in r.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["render"], ["check"], ["check", "a", "b"],
                                  ["render", "briefing", "x.json"], ["check", "--nope", "x"],
                                  ["templates", "extra"], ["brief", "x.json"]])
def test_usage_errors_exit_2(args):
    r = lx(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip(), "a usage error says what is wrong"


def test_templates_lists_builtins():
    r = lx("templates")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert names == sorted(names)
    for t in BUILTINS:
        assert t in names
    for line in r.stdout.splitlines():
        assert len(line.split(None, 1)) == 2, "every template has a description: " + line


# ---- check ----------------------------------------------------------------------

def test_check_ok(data):
    r = lx("check", data())
    assert r.returncode == 0 and r.stdout.strip().endswith(": ok")


def test_check_missing_file_is_io_error(tmp_path):
    r = lx("check", tmp_path / "no-such.json")
    assert r.returncode == 3 and "no-such.json" in r.stderr


def test_check_syntax_error_has_position(tmp_path):
    p = tmp_path / "s.json"
    p.write_text('{\n  "community": {"name": "x",}\n}\n')
    r = lx("check", p)
    assert r.returncode == 1
    assert re.search(r"s\.json:2:\d+: error: ", r.stderr), r.stderr


CONTRACT_PROBLEMS = [
    (lambda d: d["activities"][2].__setitem__("participants", "十六"),
     "activities[2].participants", "non-negative integer"),
    (lambda d: d["community"].pop("name"), "community.name", "required"),
    (lambda d: d.pop("community"), "community", "required"),
    (lambda d: d["activities"][0].__setitem__("date", "2024-02-30"), "activities[0].date", "date that exists"),
    (lambda d: d["activities"][0].__setitem__("date", "2024/02/03"), "activities[0].date", "YYYY-MM-DD"),
    (lambda d: d["activities"][1].__setitem__("materials", -5), "activities[1].materials", "non-negative"),
    (lambda d: d["activities"][1].__setitem__("participants", 3.5), "activities[1].participants", "integer"),
    (lambda d: d["disputes"][0].__setitem__("resolved", 3), "disputes[0].resolved", "resolved ≤ found"),
    (lambda d: d["community"]["ethnic_groups"][0].__setitem__("population", 5000),
     "community.ethnic_groups", "population"),
    (lambda d: d["briefing"].__setitem__("first_issue_month", "2011-13"), "briefing.first_issue_month", "YYYY-MM"),
    (lambda d: d["briefing"].__setitem__("report_to", "区民宗局"), "briefing.report_to", "array of strings"),
    (lambda d: d["activities"][0].__setitem__("highlight", "yes"), "activities[0].highlight", "true or false"),
    (lambda d: d.__setitem__("plans", [{"month": "2011-04"}]), "plans[0].title", "required"),
    (lambda d: d.__setitem__("activities", {"a": 1}), "activities", "array"),
]


@pytest.mark.parametrize("mutate,path,words", CONTRACT_PROBLEMS)
def test_check_reports_path_and_expectation(data, mutate, path, words):
    p = data(mutate)
    r = lx("check", p)
    assert r.returncode == 1, r.stdout
    line = next((l for l in r.stderr.splitlines() if f": error: {path}: " in l), None)
    assert line, f"no error for {path} in: {r.stderr}"
    assert line.startswith(str(p) + ": error: ")
    assert words in line


def test_check_lists_every_problem(data):
    def many(d):
        d["activities"][0]["participants"] = -1
        d["activities"][1]["date"] = "2011-02-29"
        d["disputes"][0]["resolved"] = 9
    r = lx("check", data(many))
    assert r.returncode == 1
    assert len([l for l in r.stderr.splitlines() if ": error: " in l]) == 3
    assert "3 problems" in r.stderr


# ---- render -------------------------------------------------------------------------

def test_render_txt_and_stdout(data, tmp_path):
    out = tmp_path / "o.txt"
    r = lx("render", "briefing", data(), "--month", "2011-03", "-o", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "民族工作简报" in text and "第3期" in text
    r2 = lx("render", "briefing", data(), "--month", "2011-03", "-o", "-", "-f", "txt")
    assert r2.returncode == 0 and r2.stdout == text


def test_render_format_from_extension_or_flag(data, tmp_path):
    r = lx("render", "briefing", data(), "--month", "2011-03", "-o", tmp_path / "x.unknown")
    assert r.returncode == 2 and "format" in r.stderr
    r = lx("render", "briefing", data(), "--month", "2011-03", "-o", tmp_path / "x.unknown", "-f", "txt")
    assert r.returncode == 0
    r = lx("render", "briefing", data(), "-o", tmp_path / "x.txt", "-f", "html")
    assert r.returncode == 2


def test_render_tree_has_positions(data, tmp_path):
    r = lx("render", "briefing", data(), "--month", "2011-03", "-f", "tree", "-o", "-")
    assert r.returncode == 0
    assert r.stdout.startswith("<?xml") and re.search(r'<heading level="1" number="一、" pos="\d+:\d+"', r.stdout)


def test_render_missing_template_file_is_io_error(data, tmp_path):
    r = lx("render", tmp_path / "none.lxt", data(), "-o", tmp_path / "x.txt")
    assert r.returncode == 3 and "none.lxt" in r.stderr


def test_render_unknown_builtin_is_usage_error(data, tmp_path):
    r = lx("render", "no_such_template", data(), "-o", tmp_path / "x.txt")
    assert r.returncode == 2 and "built-in" in r.stderr


def test_render_unwritable_output_is_io_error(data, tmp_path):
    r = lx("render", "briefing", data(), "--month", "2011-03", "-o", tmp_path / "no" / "dir" / "x.txt")
    assert r.returncode == 3


def test_failed_render_never_clobbers(data, tmp_path):
    tpl = tmp_path / "bad.lxt"
    tpl.write_text("第一行\n{{ community.name | nosuch }}\n", encoding="utf-8")
    out = tmp_path / "keep.txt"
    out.write_text("old content", encoding="utf-8")
    r = lx("render", tpl, data(), "-o", out)
    assert r.returncode == 1
    assert re.search(r"bad\.lxt:2:\d+: error: unknown filter 'nosuch'", r.stderr)
    assert out.read_text(encoding="utf-8") == "old content"
    assert sorted(os.listdir(tmp_path)) == ["bad.lxt", "data.json", "keep.txt"], "no temp file left"


def test_successful_render_replaces_atomically(data, tmp_path):
    out = tmp_path / "o.txt"
    out.write_text("old", encoding="utf-8")
    r = lx("render", "briefing", data(), "--month", "2011-03", "-o", out)
    assert r.returncode == 0
    assert out.read_text(encoding="utf-8") != "old"
    assert sorted(os.listdir(tmp_path)) == ["data.json", "o.txt"]


def test_eval_error_names_template_position_and_data_path(data, tmp_path):
    tpl = tmp_path / "t.lxt"
    tpl.write_text("人均{{ activities[1].participants / zero }}\n", encoding="utf-8")
    r = lx("render", tpl, data(), "-o", tmp_path / "x.txt")
    assert r.returncode == 1
    assert re.search(r"t\.lxt:1:\d+: error: division by zero", r.stderr), r.stderr
    assert not (tmp_path / "x.txt").exists()


# ---- brief -------------------------------------------------------------------------------

def test_brief_writes_named_files(data, tmp_path):
    outdir = tmp_path / "out"
    r = lx("brief", data(), "--month", "2011-03", "-f", "txt", "-o", outdir)
    assert r.returncode == 0, r.stderr
    assert (outdir / "briefing-2011-03.txt").exists()
    assert "第3期" in (outdir / "briefing-2011-03.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("month", ["2011-13", "2011-00", "2011-3", "11-03", "2011/03", "abcd-ef", ""])
def test_brief_bad_month_is_usage_error(data, tmp_path, month):
    r = lx("brief", data(), "--month", month, "-f", "txt", "-o", tmp_path)
    assert r.returncode == 2, r.stderr
    assert not [f for f in os.listdir(tmp_path) if f.startswith("briefing")]


def test_brief_month_outside_data(data, tmp_path):
    for month in ("2010-12", "2011-05"):
        r = lx("brief", data(), "--month", month, "-f", "txt", "-o", tmp_path / "o")
        assert r.returncode == 1 and "outside the data" in r.stderr
        assert not (tmp_path / "o").exists()


def test_brief_rejects_data_failing_check(data, tmp_path):
    p = data(lambda d: d["activities"][0].__setitem__("participants", -3))
    r = lx("brief", p, "--month", "2011-03", "-f", "txt", "-o", tmp_path / "o")
    assert r.returncode == 1 and "activities[0].participants" in r.stderr
    assert not (tmp_path / "o").exists()


def test_brief_unknown_format(data, tmp_path):
    r = lx("brief", data(), "--month", "2011-03", "-f", "txt,odt", "-o", tmp_path)
    assert r.returncode == 2 and "odt" in r.stderr


# ---- hostile input ------------------------------------------------------------------------

def assert_refused(r, name, pattern=None):
    assert r.returncode == 1, f"exit {r.returncode}: {r.stderr}"
    assert r.seconds < 10, "bounded time"
    assert name in r.stderr
    if pattern:
        assert re.search(pattern, r.stderr), r.stderr
    assert "Segmentation" not in r.stderr and "AddressSanitizer" not in r.stderr


def test_invalid_utf8_data(tmp_path):
    p = tmp_path / "bad.json"
    p.write_bytes(b'{\n "community": {"name": "\xe7\xa7\xa6\xff"}\n}\n')
    assert_refused(lx("check", p), "bad.json", r"bad\.json:2:\d+: error: invalid UTF-8")


def test_invalid_utf8_template(data, tmp_path):
    tpl = tmp_path / "t.lxt"
    tpl.write_bytes("第一行\n第二行".encode() + b"\xc3\x28\n")
    out = tmp_path / "o.txt"
    assert_refused(lx("render", tpl, data(), "-o", out), "t.lxt", r"t\.lxt:2:4: error: invalid UTF-8")
    assert not out.exists()


def test_deep_json_nesting(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text('{"community": {"name": "x"}, "deep": ' + "[" * 200000 + "]" * 200000 + "}")
    assert_refused(lx("check", p), "deep.json", r"deep\.json:1:\d+: error: .*depth")


def test_moderately_deep_json_hits_our_limit(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text('{"community": {"name": "x"}, "deep": ' + "[" * 100 + "]" * 100 + "}")
    assert_refused(lx("check", p), "deep.json", r"nested more than 64 levels")


def test_empty_data_file(tmp_path):
    p = tmp_path / "empty.json"
    p.write_text("")
    assert_refused(lx("check", p), "empty.json", r"empty\.json:1:1: error: the file is empty")
    p.write_text("  \n\n")
    assert_refused(lx("check", p), "empty.json", r"empty")


def test_fifty_megabyte_string(tmp_path):
    p = tmp_path / "big.json"
    with open(p, "w") as f:
        f.write('{"community": {"name": "')
        f.write("a" * (50 * 1024 * 1024))
        f.write('"}}')
    assert_refused(lx("check", p), "big.json", r"MB; the limit is 32 MB")


def test_two_megabyte_string(tmp_path):
    p = tmp_path / "long.json"
    p.write_text('{"community": {"name": "x", "street": "' + "街" * (700 * 1024) + '"}}', encoding="utf-8")
    assert_refused(lx("check", p), "long.json", r"community\.street: string of 2\.\d MB; the limit is 1024 KB")


def test_top_level_not_object(tmp_path):
    p = tmp_path / "arr.json"
    p.write_text("[1, 2]")
    assert_refused(lx("check", p), "arr.json", "top level must be a JSON object")


def test_duplicate_keys(tmp_path):
    p = tmp_path / "dup.json"
    p.write_text('{"community": {"name": "a", "name": "b"}}')
    assert_refused(lx("check", p), "dup.json", r"dup\.json:1:\d+: error: .*duplicate")


def test_mutual_include_recursion(data, tmp_path):
    (tmp_path / "a.lxt").write_text('甲\n{% include "b.lxt" %}\n', encoding="utf-8")
    (tmp_path / "b.lxt").write_text('乙\n{% include "a.lxt" %}\n', encoding="utf-8")
    out = tmp_path / "o.txt"
    assert_refused(lx("render", tmp_path / "a.lxt", data(), "-o", out), "b.lxt", "includes itself")
    assert not out.exists()


def test_deeply_nested_statements(data, tmp_path):
    tpl = tmp_path / "n.lxt"
    tpl.write_text("{% if true %}\n" * 200 + "x\n" + "{% endif %}\n" * 200)
    assert_refused(lx("render", tpl, data(), "-o", tmp_path / "o.txt"), "n.lxt", "nested more than 64")


def test_deep_parentheses(data, tmp_path):
    tpl = tmp_path / "p.lxt"
    tpl.write_text("{{ " + "(" * 100000 + "1" + ")" * 100000 + " }}\n")
    assert_refused(lx("render", tpl, data(), "-o", tmp_path / "o.txt"), "p.lxt", "nested more than")


def test_huge_loop_is_bounded(data, tmp_path):
    # 100 × 100 × 100 × … would run forever without the evaluation budget
    big = data(lambda d: d.__setitem__("xs", list(range(400))))
    tpl = tmp_path / "l.lxt"
    tpl.write_text("{% for a in xs %}{% for b in xs %}{% for c in xs %}{{ a + b + c }}"
                   "{% endfor %}{% endfor %}{% endfor %}\n")
    r = lx("render", tpl, big, "-o", tmp_path / "o.txt", timeout=120)
    assert r.returncode == 1 and ("evaluation steps" in r.stderr or "MB of text" in r.stderr
                                  or "256 MB for its values and text" in r.stderr), r.stderr
    assert not (tmp_path / "o.txt").exists()


def test_template_too_large(data, tmp_path):
    tpl = tmp_path / "big.lxt"
    tpl.write_text("字" * (2 * 1024 * 1024))
    assert_refused(lx("render", tpl, data(), "-o", tmp_path / "o.txt"), "big.lxt", "limit")


def test_control_characters_in_template(data, tmp_path):
    tpl = tmp_path / "c.lxt"
    tpl.write_bytes(b"abc\x00def\n")
    assert_refused(lx("render", tpl, data(), "-o", tmp_path / "o.txt"), "c.lxt", r"c\.lxt:1:4: error: control character")
