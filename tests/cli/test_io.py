"""What lexport writes, and where (issue 10 items 7, 8 and 13): only regular
files, replaced atomically, keeping their mode; `brief` all or none; usage
slips; standard output that cannot be written.

Environment: LEXPORT (the program), LEXP_SOURCE_DIR (the repository).
"""
import json
import os
import resource
import signal
import stat
import subprocess

import pytest

LEXPORT = os.path.abspath(os.environ.get("LEXPORT", "build/lexport"))
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
MONTH = "2024-09"


def lx(*args, timeout=60, **kw):
    return subprocess.run([LEXPORT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


def leftovers(d):
    return sorted(n for n in os.listdir(d) if ".tmp-" in n)


# ---- item 7: only regular files, followed links, kept modes ---------------

def test_symlink_is_followed_not_replaced(tmp_path):
    real = tmp_path / "real" / "out.txt"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(os.path.join("real", "out.txt"))  # relative, as people make them
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", link, "-f", "txt")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink(), "the link is still a link"
    assert "社区" in real.read_text(encoding="utf-8"), "its target got the output"
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "new.txt")
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", link)
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and (tmp_path / "new.txt").is_file()


def test_symlink_loop_is_io_error(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.symlink_to(b)
    b.symlink_to(a)
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", a)
    assert r.returncode == 3 and "a.txt" in r.stderr
    assert a.is_symlink() and b.is_symlink()


def test_fifo_is_refused(tmp_path):
    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", fifo, timeout=10)
    assert r.returncode == 3, r.stderr
    assert "not a regular file" in r.stderr and "out.txt" in r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_directory_is_refused(tmp_path):
    d = tmp_path / "out.pdf"
    d.mkdir()
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", d)
    assert r.returncode == 3 and "is a directory" in r.stderr
    assert d.is_dir() and os.listdir(d) == []
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/null"),
                    reason="replacing a device needs root")
def test_device_is_refused_even_as_root(tmp_path):
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", dev, "-f", "txt")
    assert r.returncode == 3 and "not a regular file" in r.stderr
    assert stat.S_ISCHR(os.lstat(dev).st_mode), "the device is still a device"
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", "/dev/null", "-f", "txt")
    assert r.returncode == 3
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_existing_mode_is_kept_new_mode_follows_umask(tmp_path):
    old = tmp_path / "secret.txt"
    old.write_text("old")
    os.chmod(old, 0o600)
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", old)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o600
    os.chmod(old, 0o640)
    assert lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", old).returncode == 0
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o640
    new = tmp_path / "new.txt"
    r = subprocess.run(["sh", "-c", 'umask 027 && exec "$0" "$@"', LEXPORT, "render",
                        "briefing", SAMPLE, "--month", MONTH, "-o", str(new)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(new).st_mode) == 0o640


def test_missing_directory_is_io_error(tmp_path):
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-o", tmp_path / "no" / "x.txt")
    assert r.returncode == 3 and "x.txt" in r.stderr


def test_render_and_fill_to_stdout(tmp_path):
    r = subprocess.run([LEXPORT, "render", "briefing", SAMPLE, "--month", MONTH, "-o", "-",
                        "-f", "pdf"], capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout.startswith(b"%PDF-")
    assert not (tmp_path / "-").exists()


# ---- item 8: brief writes all or none --------------------------------------

def limit_file_size(n):
    """In the child: files may not grow beyond n bytes (a disk that fills
    up), and going over is an error (EFBIG), not a signal."""
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
    return pre


def test_brief_is_all_or_none_when_the_disk_fills(tmp_path):
    out = tmp_path / "out"
    r = lx("brief", SAMPLE, "--month", MONTH, "-o", out)
    assert r.returncode == 0, r.stderr
    names = ["briefing-%s.%s" % (MONTH, f) for f in ("xlsx", "docx", "pdf")]
    sizes = {n: (out / n).stat().st_size for n in names}
    assert sizes[names[2]] > max(sizes[names[0]], sizes[names[1]]), sizes
    for n in names:
        (out / n).write_bytes(b"old " + n.encode())
    # the workbook and the document fit, the PDF (written last) does not
    limit = max(sizes[names[0]], sizes[names[1]]) + 1
    r = subprocess.run([LEXPORT, "brief", SAMPLE, "--month", MONTH, "-f", "xlsx,docx,pdf",
                        "-o", str(out)], capture_output=True, text=True, timeout=60,
                       preexec_fn=limit_file_size(limit))
    assert r.returncode == 3, r.stderr
    assert "briefing-%s.pdf" % MONTH in r.stderr
    for n in names:
        assert (out / n).read_bytes() == b"old " + n.encode(), n + " was replaced"
    assert leftovers(out) == []
    assert r.stdout == "", "no path is reported as written"


def test_brief_to_a_file_in_the_way_changes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ("briefing-%s.pdf" % MONTH)).write_text("old")
    (out / ("briefing-%s.xlsx" % MONTH)).mkdir()  # in the way
    r = lx("brief", SAMPLE, "--month", MONTH, "-o", out)
    assert r.returncode == 3 and "is a directory" in r.stderr
    assert (out / ("briefing-%s.pdf" % MONTH)).read_text() == "old"
    assert not (out / ("briefing-%s.docx" % MONTH)).exists()
    assert leftovers(out) == []


# ---- item 13: CLI slips ---------------------------------------------------

@pytest.mark.parametrize("args", [["templates"], ["check", SAMPLE], ["--version"], ["--help"],
                                  ["brief", SAMPLE, "--month", MONTH, "-f", "txt", "-o", "{tmp}"],
                                  ["render", "briefing", SAMPLE, "--month", MONTH, "-o", "-"]])
def test_full_stdout_is_io_error(args, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with open("/dev/full", "w") as full:
        r = subprocess.run([LEXPORT, *args], stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    assert r.returncode == 3, r.stderr
    assert "standard output" in r.stderr


def test_empty_format_list_is_usage_error(tmp_path):
    for f in ["", ",", "pdf,", ",pdf", "pdf,,docx"]:
        r = lx("brief", SAMPLE, "--month", MONTH, "-f", f, "-o", tmp_path)
        assert r.returncode == 2, (f, r.stderr)
        assert "format" in r.stderr
    r = lx("render", "briefing", SAMPLE, "--month", MONTH, "-f", "", "-o", tmp_path / "x.pdf")
    assert r.returncode == 2
    assert os.listdir(tmp_path) == []


def test_many_formats(tmp_path):
    r = lx("brief", SAMPLE, "--month", MONTH, "-o", tmp_path,
           "-f", "pdf,docx,xlsx,txt,tree,pdf,PDF,docx,xlsx,text")
    assert r.returncode == 0, r.stderr
    written = sorted(os.listdir(tmp_path))
    assert written == sorted("briefing-%s.%s" % (MONTH, f)
                             for f in ("pdf", "docx", "xlsx", "txt", "tree"))
    assert len(r.stdout.split()) == 5
    r = lx("brief", SAMPLE, "--month", MONTH, "-o", tmp_path, "-f", "pdf,odt")
    assert r.returncode == 2 and "'odt'" in r.stderr


def test_brief_to_stdout_is_usage_error(tmp_path):
    r = lx("brief", SAMPLE, "--month", MONTH, "-o", "-", cwd=tmp_path)
    assert r.returncode == 2 and "-o -" in r.stderr
    assert os.listdir(tmp_path) == []


def test_large_integers_are_reported_exactly(tmp_path):
    d = json.load(open(SAMPLE, encoding="utf-8"))
    d["activities"][0]["participants"] = 9007199254740993
    d["activities"][1]["date"] = 9007199254740993
    p = tmp_path / "d.json"
    p.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    r = lx("check", p)
    assert r.returncode == 1
    assert "9007199254740993" in r.stderr, r.stderr
    assert "9007199254740992" not in r.stderr and "9.007" not in r.stderr
