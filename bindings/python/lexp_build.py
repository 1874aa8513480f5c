"""A minimal PEP 517 build backend for the libexport bindings.

It needs nothing beyond the standard library, so pip can build offline. The
wheel holds the `libexport` package and, when one can be found, the shared
library next to it (from $LIBEXPORT_LIBRARY or the repository's build/
directory); such a wheel is tagged for this platform.
"""
import base64
import hashlib
import os
import re
import sysconfig
import tarfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def _meta():
    text = open(os.path.join(HERE, "pyproject.toml"), encoding="utf-8").read()
    name = re.search(r'^name = "([^"]+)"', text, re.M).group(1)
    version = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    desc = re.search(r'^description = "([^"]+)"', text, re.M).group(1)
    return name, version, desc


def _library():
    env = os.environ.get("LIBEXPORT_LIBRARY")
    if env and os.path.exists(env):
        return env
    p = os.path.join(HERE, "..", "..", "build", "libexport.so")
    return os.path.realpath(p) if os.path.exists(p) else None


def _metadata_text():
    name, version, desc = _meta()
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    return (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {desc}\n"
            f"Requires-Python: >=3.8\nDescription-Content-Type: text/markdown\n\n{readme}")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    name, version, _ = _meta()
    d = os.path.join(metadata_directory, f"{name}-{version}.dist-info")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata_text())
    return os.path.basename(d)


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version, _ = _meta()
    lib = _library()
    tag = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_") if lib else "py3-none-any"
    wheel_name = f"{name}-{version}-{tag}.whl"
    dist = f"{name}-{version}.dist-info"
    files = []
    pkg = os.path.join(HERE, "libexport")
    for fn in sorted(os.listdir(pkg)):
        if fn.endswith(".py") or fn == "py.typed":
            files.append((f"libexport/{fn}", open(os.path.join(pkg, fn), "rb").read()))
    if lib:
        files.append(("libexport/libexport.so.0", open(lib, "rb").read()))
    files.append((f"{dist}/METADATA", _metadata_text().encode("utf-8")))
    files.append((f"{dist}/WHEEL", (f"Wheel-Version: 1.0\nGenerator: lexp_build\n"
                                    f"Root-Is-Purelib: {'false' if lib else 'true'}\nTag: {tag}\n").encode()))
    record = "".join(f"{p},{_digest(d)},{len(d)}\n" for p, d in files) + f"{dist}/RECORD,,\n"
    files.append((f"{dist}/RECORD", record.encode()))
    path = os.path.join(wheel_directory, wheel_name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files:
            info = zipfile.ZipInfo(p, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if p.endswith(".so.0") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, d)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    name, version, _ = _meta()
    base = f"{name}-{version}"
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as t:
        for rel in ["pyproject.toml", "lexp_build.py", "README.md", "libexport/__init__.py", "libexport/py.typed"]:
            info = t.gettarinfo(os.path.join(HERE, rel), arcname=f"{base}/{rel}")
            info.mtime = int(time.mktime((1980, 1, 1, 0, 0, 0, 0, 0, -1)))
            with open(os.path.join(HERE, rel), "rb") as f:
                t.addfile(info, f)
    return base + ".tar.gz"
