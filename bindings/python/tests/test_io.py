"""libexport.brief() writes all its files or none (issue 10 item 8), and
render_file() leaves what is not a regular file alone (item 7). CTest sets
LIBEXPORT_LIBRARY to the library just built."""
import os
import stat
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SRC = os.environ.get("LEXP_SOURCE_DIR", os.path.dirname(os.path.dirname(PKG)))
sys.path.insert(0, PKG)

import libexport  # noqa: E402

SAMPLE = os.path.join(SRC, "samples", "qinqu.json")
MONTH = "2024-09"

# In a child process: files may not grow past LIMIT bytes (a disk that fills
# up after the small files), and going over is EFBIG rather than a signal.
CHILD = r"""
import resource, signal, sys
sys.path.insert(0, sys.argv[1])
import libexport
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    libexport.brief(sys.argv[2], "2024-09", sys.argv[3], formats=("xlsx", "docx", "pdf"))
except libexport.Error as e:
    print("ERROR", e.file, e.message)
    sys.exit(3)
"""


def test_brief_all_or_none(tmp_path):
    paths = libexport.brief(SAMPLE, MONTH, str(tmp_path), formats=("xlsx", "docx", "pdf", "pdf"))
    assert len(paths) == 3
    sizes = [os.path.getsize(p) for p in paths]
    assert sizes[2] > max(sizes[:2])
    for p in paths:
        with open(p, "wb") as f:
            f.write(b"old")
    r = subprocess.run([sys.executable, "-c", CHILD, PKG, SAMPLE, str(tmp_path),
                        str(max(sizes[:2]) + 1)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "ERROR" in r.stdout and ".pdf" in r.stdout
    for p in paths:
        assert open(p, "rb").read() == b"old", p
    assert [n for n in os.listdir(tmp_path) if ".tmp-" in n] == []


def test_render_file_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    with pytest.raises(libexport.Error) as e:
        libexport.render_file("briefing", SAMPLE, str(fifo), month=MONTH)
    assert "not a regular file" in e.value.message
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
