"""Python bindings of libexport: render community reports as PDF, DOCX, XLSX or text.

Pure ctypes over the shared library ``libexport.so``. The library is looked up
in this order: ``$LIBEXPORT_LIBRARY``; next to this package; the build tree of
the source checkout this package sits in (``build*/libexport.so``); the system
(``libexport.so.0``).

    >>> import libexport
    >>> pdf = libexport.render("briefing", "samples/qinqu.json", "pdf", month="2024-09")
    >>> libexport.brief("samples/qinqu.json", "2024-09", "out")
    ['out/briefing-2024-09.pdf', 'out/briefing-2024-09.docx', 'out/briefing-2024-09.xlsx']
    >>> libexport.fill("form.docx", "samples/qinqu.json", "filled.docx", month="2024-09")

Every failure raises :class:`Error` with ``.message``, ``.file``, ``.line``,
``.column`` and ``.path`` (a data path such as ``activities[3].participants``).
Calls release the GIL while the library works, so threads render in parallel.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import glob
import json
import os
import threading
import warnings
from typing import Any, Callable, Iterable, List, Mapping, Optional, Tuple, Union

__all__ = [
    "Error", "LibraryNotFound", "RenderWarning", "Problem",
    "render", "render_file", "brief", "fill", "check", "templates", "version", "library_path",
    "batch", "BatchEvent", "BatchResult",
]

DataLike = Union[Mapping[str, Any], str, "os.PathLike[str]", bytes, bytearray]

FORMATS = {"txt": 0, "pdf": 1, "docx": 2, "xlsx": 3, "tree": 4}
ROLES = {"song": 0, "fangsong": 1, "hei": 2, "kai": 3, "xiaobiaosong": 4, "latin": 5}

_ERR_IO, _ERR_INVAL, _ERR_NOTFOUND = -4, -6, -9


class Error(Exception):
    """A libexport failure: what went wrong, and where.

    ``code`` is the library's status code (negative); ``file``, ``line`` and
    ``column`` locate a template or JSON error; ``path`` locates a value in the
    data. Fields that do not apply are ``None``.
    """

    def __init__(self, message: str, *, code: int = -1, file: Optional[str] = None,
                 line: Optional[int] = None, column: Optional[int] = None,
                 path: Optional[str] = None) -> None:
        self.message = message
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.file or "libexport"
        if self.line:
            return f"{where}:{self.line}:{self.column or 1}: {self.message}"
        if self.path:
            return f"{where}: {self.path}: {self.message}"
        return f"{where}: {self.message}"


class LibraryNotFound(Error):
    """The shared library could not be found or loaded."""


class RenderWarning(UserWarning):
    """A warning from a render (a fallback font, a missing glyph, a missing image)."""


class Problem(Error):
    """One problem found by :func:`check` (returned, not raised)."""


# ---- the C side -------------------------------------------------------------

class _Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("line", ctypes.c_int), ("column", ctypes.c_int),
                ("offset", ctypes.c_size_t), ("file", ctypes.c_char * 256),
                ("path", ctypes.c_char * 256), ("message", ctypes.c_char * 512)]


class _Buf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t)]


class _Font(ctypes.Structure):
    _fields_ = [("role", ctypes.c_int), ("path", ctypes.c_char_p), ("index", ctypes.c_int)]


_DiagCB = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Error), ctypes.c_void_p)


class _Options(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("format", ctypes.c_int),
                ("month", ctypes.c_char_p), ("date", ctypes.c_char_p),
                ("base_dir", ctypes.c_char_p), ("fonts", ctypes.POINTER(_Font)),
                ("nfonts", ctypes.c_size_t), ("warn", _DiagCB),
                ("warn_payload", ctypes.c_void_p), ("engine", ctypes.c_void_p),
                ("period", ctypes.c_char_p), ("strict", ctypes.c_int)]


_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None
_engine: Optional[int] = None
_lock = threading.Lock()


def _candidates() -> List[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    found: List[str] = []
    env = os.environ.get("LIBEXPORT_LIBRARY")
    if env:
        return [env]  # an explicit choice is not second-guessed
    found += sorted(glob.glob(os.path.join(here, "libexport.so*")))
    # a source checkout: bindings/python/libexport → the repository root
    root = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    for build in ["build"] + sorted(os.path.basename(p) for p in glob.glob(os.path.join(root, "build*"))):
        p = os.path.join(root, build, "libexport.so")
        # sanitizer builds cannot be loaded into a plain interpreter
        if os.path.exists(p) and p not in found and "asan" not in build and "fuzz" not in build:
            found.append(p)
    system = ctypes.util.find_library("export")
    found.append(system or "libexport.so.0")
    return found


def _load() -> ctypes.CDLL:
    global _lib, _lib_path, _engine
    with _lock:
        if _lib is not None:
            return _lib
        tried = []
        for cand in _candidates():
            try:
                lib = ctypes.CDLL(cand)
                lib.lexp_version  # noqa: B018 - make sure it is ours
            except (OSError, AttributeError) as e:
                tried.append(f"{cand} ({e})")
                continue
            _declare(lib)
            _lib, _lib_path = lib, cand
            _engine = lib.lexp_engine_new()
            return lib
        raise LibraryNotFound(
            "the libexport shared library was not found; build it "
            "(bash scripts/dev.sh build), install it, or set LIBEXPORT_LIBRARY to its path. "
            "Tried: " + "; ".join(tried))


def _declare(lib: ctypes.CDLL) -> None:
    P, E = ctypes.POINTER, ctypes.POINTER(_Error)
    vp, cp, sz, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
    sig = {
        "lexp_version": (cp, []),
        "lexp_engine_new": (vp, []),
        "lexp_engine_free": (None, [vp]),
        "lexp_data_load_file": (i, [P(vp), cp, E]),
        "lexp_data_load_json": (i, [P(vp), cp, sz, cp, E]),
        "lexp_data_free": (None, [vp]),
        "lexp_data_check": (i, [vp, _DiagCB, vp]),
        "lexp_template_load": (i, [P(vp), vp, cp, E]),
        "lexp_template_parse": (i, [P(vp), cp, sz, cp, E]),
        "lexp_template_free": (None, [vp]),
        "lexp_builtin_count": (sz, []),
        "lexp_builtin_name": (cp, [sz]),
        "lexp_builtin_description": (cp, [sz]),
        "lexp_render": (i, [P(_Buf), vp, vp, P(_Options), E]),
        "lexp_render_to_file": (i, [cp, vp, vp, P(_Options), E]),
        "lexp_brief": (i, [P(_Buf), vp, cp, P(_Options), E]),
        "lexp_fill": (i, [P(_Buf), cp, vp, P(_Options), E]),
        "lexp_fill_memory": (i, [P(_Buf), vp, sz, cp, vp, P(_Options), E]),
        "lexp_write_file": (i, [cp, vp, sz, E]),
        "lexp_write_files": (i, [sz, P(cp), P(_Buf), E]),
        "lexp_buf_dispose": (None, [P(_Buf)]),
        "lexp_month_valid": (i, [cp]),
        "lexp_period_valid": (i, [cp]),
        "lexp_batch": (i, [P(_BatchResult), P(cp), sz, P(_BatchOptions), E]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args


def _raise(err: _Error) -> "Error":
    def text(b: bytes) -> Optional[str]:
        s = b.decode("utf-8", "replace")
        return s or None
    return Error(text(err.message) or "failed", code=err.code, file=text(err.file),
                 line=err.line or None, column=err.column or None, path=text(err.path))


def _problem(err: _Error) -> Problem:
    e = _raise(err)
    return Problem(e.message, code=e.code, file=e.file, line=e.line, column=e.column, path=e.path)


def library_path() -> str:
    """The path of the shared library in use (loads it if needed)."""
    _load()
    return str(_lib_path)


def version() -> str:
    """The version of the loaded library, e.g. ``"0.1.0"``."""
    return _load().lexp_version().decode()


def templates() -> List[Tuple[str, str]]:
    """The built-in templates as ``(name, description)`` pairs."""
    lib = _load()
    return [(lib.lexp_builtin_name(k).decode(), (lib.lexp_builtin_description(k) or b"").decode())
            for k in range(lib.lexp_builtin_count())]


# ---- data and templates -------------------------------------------------------

class _Data:
    """Loaded data; freed when closed."""

    def __init__(self, data: DataLike) -> None:
        lib = _load()
        self.handle = ctypes.c_void_p()
        err = _Error()
        if isinstance(data, Mapping):
            raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
            rc = lib.lexp_data_load_json(ctypes.byref(self.handle), raw, len(raw), b"<data>",
                                         ctypes.byref(err))
        elif isinstance(data, (bytes, bytearray)):
            raw = bytes(data)
            rc = lib.lexp_data_load_json(ctypes.byref(self.handle), raw, len(raw), b"<data>",
                                         ctypes.byref(err))
        elif isinstance(data, (str, os.PathLike)):
            rc = lib.lexp_data_load_file(ctypes.byref(self.handle), os.fsencode(data),
                                         ctypes.byref(err))
        else:
            raise TypeError(f"data must be a dict, a path or JSON bytes, not {type(data).__name__}")
        if rc:
            raise _raise(err)

    def close(self) -> None:
        if self.handle:
            _load().lexp_data_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self) -> "_Data":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Template:
    def __init__(self, template: Union[str, "os.PathLike[str]"]) -> None:
        lib = _load()
        self.handle = ctypes.c_void_p()
        err = _Error()
        name = os.fsencode(template)
        if lib.lexp_template_load(ctypes.byref(self.handle), _engine, name, ctypes.byref(err)):
            raise _raise(err)

    def close(self) -> None:
        if self.handle:
            _load().lexp_template_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self) -> "_Template":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _format_code(fmt: str) -> int:
    try:
        return FORMATS[fmt.lower()]
    except KeyError:
        raise Error(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}",
                    code=_ERR_INVAL) from None


class _Call:
    """Options of one call, kept alive while the library uses them."""

    def __init__(self, fmt: str, month: Optional[str], date: Optional[str],
                 fonts: Optional[Mapping[str, Union[str, Tuple[str, int]]]],
                 base_dir: Optional[str], on_warning: Optional[Callable[[Error], None]],
                 period: Optional[str] = None, strict: bool = False) -> None:
        self.opt = _Options()
        self.opt.version = 2
        self.opt.format = _format_code(fmt)
        self.keep: List[Any] = []
        if month is not None:
            self.opt.month = self._s(month)
        if period is not None:
            self.opt.period = self._s(period)
        self.opt.strict = 1 if strict else 0
        if date is not None:
            self.opt.date = self._s(date)
        if base_dir is not None:
            self.opt.base_dir = self._s(os.fspath(base_dir))
        if fonts:
            arr = (_Font * len(fonts))()
            for k, (role, spec) in enumerate(fonts.items()):
                if role not in ROLES:
                    raise Error(f"unknown font role {role!r}; expected one of {', '.join(ROLES)}",
                                code=_ERR_INVAL)
                path, index = (spec, 0) if isinstance(spec, (str, os.PathLike)) else spec
                arr[k].role = ROLES[role]
                arr[k].path = self._s(os.fspath(path))
                arr[k].index = int(index)
            self.keep.append(arr)
            self.opt.fonts = arr
            self.opt.nfonts = len(fonts)
        self.warnings: List[Error] = []

        def warn(e, _payload):  # called from C, possibly from another thread's call
            self.warnings.append(_raise(e.contents))
        self.cb = _DiagCB(warn)
        self.opt.warn = self.cb
        self.opt.engine = _engine
        self.on_warning = on_warning

    def _s(self, s: str) -> bytes:
        b = s.encode("utf-8")
        self.keep.append(b)
        return b

    def deliver_warnings(self) -> None:
        for w in self.warnings:
            if self.on_warning:
                self.on_warning(w)
            else:
                warnings.warn(str(w), RenderWarning, stacklevel=3)


def _take(buf: _Buf) -> bytes:
    try:
        return ctypes.string_at(buf.ptr, buf.size) if buf.size else b""
    finally:
        _load().lexp_buf_dispose(ctypes.byref(buf))


# ---- the API --------------------------------------------------------------------

def render(template: Union[str, "os.PathLike[str]"], data: DataLike, format: str = "pdf", *,
           month: Optional[str] = None, date: Optional[str] = None,
           fonts: Optional[Mapping[str, Union[str, Tuple[str, int]]]] = None,
           base_dir: Optional[str] = None,
           on_warning: Optional[Callable[[Error], None]] = None,
           period: Optional[str] = None, strict: bool = False) -> bytes:
    """Render a template with data and return the document's bytes.

    ``template`` is a built-in name (``"briefing"``, ``"summary"``, ``"deeds"``,
    ``"plan"``, ``"report"``, ``"stats"``) or the path of a ``.lxt`` file.
    ``data`` is a dict, the path of a JSON file, or JSON bytes. ``format`` is
    ``"pdf"``, ``"docx"``, ``"xlsx"``, ``"txt"`` or ``"tree"``. ``period``
    (``"2024-09"``, ``"2024-Q3"``, ``"2024-H1"`` or ``"2024"``; ``month`` is the
    monthly shorthand) sets the period the document reports on; ``date``
    (``"YYYY-MM-DD"``) the document date (nothing dated after it is counted);
    ``strict`` makes an undefined name printed by the template an error
    instead of a warning; ``fonts`` maps roles (``"fangsong"`` …) to font files (or
    ``(path, index)`` for collections). Warnings go to ``on_warning`` or, by
    default, to :mod:`warnings` as :class:`RenderWarning`.
    """
    lib = _load()
    call = _Call(format, month, date, fonts, base_dir, on_warning, period, strict)
    with _Template(template) as t, _Data(data) as d:
        buf, err = _Buf(), _Error()
        rc = lib.lexp_render(ctypes.byref(buf), t.handle, d.handle, ctypes.byref(call.opt),
                             ctypes.byref(err))
        if rc:
            lib.lexp_buf_dispose(ctypes.byref(buf))
            raise _raise(err)
        out = _take(buf)
    call.deliver_warnings()
    return out


def _write(path: Union[str, "os.PathLike[str]"], content: bytes) -> None:
    err = _Error()
    if _load().lexp_write_file(os.fsencode(path), content, len(content), ctypes.byref(err)):
        raise _raise(err)


def render_file(template: Union[str, "os.PathLike[str]"], data: DataLike,
                path: Union[str, "os.PathLike[str]"], format: Optional[str] = None,
                **options: Any) -> str:
    """Render to ``path`` and return it. The format follows the extension unless
    given. The file is written atomically: on failure nothing is written and an
    existing file is left as it was. Options are those of :func:`render`.
    An XLSX or a long DOCX goes to the file without passing through memory
    (``lexp_render_to_file``), so a table of a million rows takes no more
    memory than a short one."""
    if format is None:
        ext = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
        if ext not in FORMATS:
            raise Error(f"cannot tell the format from {os.fspath(path)!r}; pass format=",
                        code=_ERR_INVAL)
        format = ext
    lib = _load()
    call = _render_call(format, **options)
    with _Template(template) as t, _Data(data) as d:
        err = _Error()
        if lib.lexp_render_to_file(os.fsencode(path), t.handle, d.handle,
                                   ctypes.byref(call.opt), ctypes.byref(err)):
            raise _raise(err)
    call.deliver_warnings()
    return os.fspath(path)


def _render_call(format: str, *, month: Optional[str] = None, date: Optional[str] = None,
                 fonts: Optional[Mapping[str, Union[str, Tuple[str, int]]]] = None,
                 base_dir: Optional[str] = None,
                 on_warning: Optional[Callable[[Error], None]] = None,
                 period: Optional[str] = None, strict: bool = False) -> "_Call":
    """The options of :func:`render` for one call (unknown ones are a TypeError)."""
    return _Call(format, month, date, fonts, base_dir, on_warning, period, strict)


def brief(data: DataLike, month: str, outdir: Union[str, "os.PathLike[str]"] = ".",
          formats: Iterable[str] = ("pdf", "docx", "xlsx"), *, date: Optional[str] = None,
          fonts: Optional[Mapping[str, Union[str, Tuple[str, int]]]] = None,
          on_warning: Optional[Callable[[Error], None]] = None) -> List[str]:
    """The monthly briefing, as ``lexport brief`` makes it.

    Checks the data and the month, renders ``outdir/briefing-YYYY-MM.<format>``
    for every format, and returns the paths. Every format is rendered before
    any file is written, so a failure writes nothing.
    """
    lib = _load()
    formats = list(dict.fromkeys(formats))  # each file once
    if not lib.lexp_month_valid(month.encode()):
        raise Error(f"month {month!r}: expected YYYY-MM (01-12)", code=_ERR_INVAL)
    results: List[Tuple[str, bytes]] = []
    with _Data(data) as d:
        for fmt in formats:
            call = _Call(fmt, None, date, fonts, None, on_warning)
            buf, err = _Buf(), _Error()
            if lib.lexp_brief(ctypes.byref(buf), d.handle, month.encode(), ctypes.byref(call.opt),
                              ctypes.byref(err)):
                lib.lexp_buf_dispose(ctypes.byref(buf))
                raise _raise(err)
            results.append((fmt, _take(buf)))
            call.deliver_warnings()
    os.makedirs(outdir, exist_ok=True)
    paths = [os.path.join(os.fspath(outdir), f"briefing-{month}.{fmt}") for fmt, _ in results]
    # all or none: every file is written to its temporary before any is replaced
    n = len(results)
    names = (ctypes.c_char_p * n)(*[os.fsencode(p) for p in paths])
    keep = [ctypes.create_string_buffer(content, len(content)) for _, content in results]
    bufs = (_Buf * n)(*[_Buf(ctypes.cast(k, ctypes.c_void_p), len(c))
                        for k, (_, c) in zip(keep, results)])
    err = _Error()
    if lib.lexp_write_files(n, names, bufs, ctypes.byref(err)):
        raise _raise(err)
    return paths


OFFICE_TYPES = (".docx", ".xlsx")


def fill(template: Union[str, "os.PathLike[str]", bytes], data: DataLike,
         path: Optional[Union[str, "os.PathLike[str]"]] = None, *,
         month: Optional[str] = None, date: Optional[str] = None,
         name: Optional[str] = None,
         on_warning: Optional[Callable[[Error], None]] = None,
         period: Optional[str] = None) -> bytes:
    """Fill an office template (a ``.docx`` or ``.xlsx`` file whose text holds
    ``{{ }}`` and ``{% %}`` tags; see templates/README.md) and return the
    filled file's bytes, of the template's type.

    ``template`` is a path, or the file's bytes with ``name`` (e.g.
    ``"form.docx"``) giving the type. ``data`` is a dict, a JSON path or JSON
    bytes. With ``path`` the result is also written there atomically (its
    extension must match the template's): on failure nothing is written and
    an existing file is left as it was. ``period`` (or its monthly shorthand
    ``month``) and ``date`` set the period variables as for :func:`render`.
    """
    lib = _load()
    if isinstance(template, (bytes, bytearray)):
        if not name:
            raise Error("fill(bytes, …) needs name= (e.g. 'form.docx') to know the type",
                        code=_ERR_INVAL)
        kind = os.path.splitext(name)[1].lower()
    else:
        kind = os.path.splitext(os.fspath(template))[1].lower()
    if path is not None and kind in OFFICE_TYPES and \
            os.path.splitext(os.fspath(path))[1].lower() != kind:
        raise Error(f"{os.fspath(path)!r}: the output of a {kind} template is a {kind} file",
                    code=_ERR_INVAL)
    call = _Call("txt", month, date, None, None, on_warning, period)
    with _Data(data) as d:
        buf, err = _Buf(), _Error()
        if isinstance(template, (bytes, bytearray)):
            raw = bytes(template)
            rc = lib.lexp_fill_memory(ctypes.byref(buf), raw, len(raw), name.encode("utf-8"),
                                      d.handle, ctypes.byref(call.opt), ctypes.byref(err))
        else:
            rc = lib.lexp_fill(ctypes.byref(buf), os.fsencode(template), d.handle,
                               ctypes.byref(call.opt), ctypes.byref(err))
        if rc:
            lib.lexp_buf_dispose(ctypes.byref(buf))
            raise _raise(err)
        out = _take(buf)
    call.deliver_warnings()
    if path is not None:
        _write(path, out)
    return out


def check(data: DataLike) -> List[Problem]:
    """Validate data against the community data contract. Returns the list of
    problems (empty when the data is fine); each has ``.path`` and ``.message``.
    Malformed JSON raises :class:`Error` instead."""
    lib = _load()
    problems: List[Problem] = []

    def collect(e, _payload):
        problems.append(_problem(e.contents))
    cb = _DiagCB(collect)
    with _Data(data) as d:
        lib.lexp_data_check(d.handle, cb, None)
    return problems


# ---- batches ------------------------------------------------------------------

class _BatchEvent(ctypes.Structure):
    _fields_ = [("index", ctypes.c_size_t), ("total", ctypes.c_size_t),
                ("done", ctypes.c_size_t), ("failed", ctypes.c_size_t),
                ("input", ctypes.c_char_p), ("community", ctypes.c_char_p),
                ("outdir", ctypes.c_char_p), ("documents", ctypes.c_size_t),
                ("error", ctypes.POINTER(_Error)), ("rollup", ctypes.c_int)]


_BatchCB = ctypes.CFUNCTYPE(None, ctypes.POINTER(_BatchEvent), ctypes.c_void_p)


class _BatchOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("month", ctypes.c_char_p),
                ("templates", ctypes.POINTER(ctypes.c_char_p)), ("ntemplates", ctypes.c_size_t),
                ("formats", ctypes.POINTER(ctypes.c_int)), ("nformats", ctypes.c_size_t),
                ("outdir", ctypes.c_char_p), ("profile", ctypes.c_char_p),
                ("threads", ctypes.c_int), ("rollup", ctypes.c_char_p), ("date", ctypes.c_char_p),
                ("progress", _BatchCB), ("payload", ctypes.c_void_p),
                ("warn", _DiagCB), ("warn_payload", ctypes.c_void_p),
                ("engine", ctypes.c_void_p)]


class _BatchResult(ctypes.Structure):
    _fields_ = [("inputs", ctypes.c_size_t), ("done", ctypes.c_size_t),
                ("failed", ctypes.c_size_t), ("documents", ctypes.c_size_t),
                ("seconds", ctypes.c_double)]


class BatchEvent:
    """One finished input of :func:`batch` (or its roll-up, ``rollup`` true):
    ``input``, ``community``, ``outdir`` (``None`` if it failed), ``documents``,
    ``error`` (an :class:`Error` or ``None``), and ``done``/``failed``/``total``
    so far."""

    def __init__(self, ev: _BatchEvent) -> None:
        def s(b: Optional[bytes]) -> Optional[str]:
            return b.decode("utf-8", "replace") if b else None
        self.index, self.total = ev.index, ev.total
        self.done, self.failed = ev.done, ev.failed
        self.input, self.community, self.outdir = s(ev.input), s(ev.community), s(ev.outdir)
        self.documents = ev.documents
        self.error = _raise(ev.error.contents) if ev.error else None
        self.rollup = bool(ev.rollup)

    def __repr__(self) -> str:
        return (f"BatchEvent({self.done}/{self.total}, {self.community or self.input!r}, "
                f"{'failed: ' + self.error.message if self.error else self.outdir})")


class BatchResult:
    """What :func:`batch` did: ``inputs``, ``done``, ``failed``, ``documents``,
    ``seconds``, and ``events`` (one :class:`BatchEvent` per input, in the order
    they finished); ``failures`` are the events with an error."""

    def __init__(self, res: _BatchResult, events: List[BatchEvent]) -> None:
        self.inputs, self.done, self.failed = res.inputs, res.done, res.failed
        self.documents, self.seconds = res.documents, res.seconds
        self.events = events
        self.failures = [e for e in events if e.error]

    def __repr__(self) -> str:
        return (f"BatchResult({self.inputs} inputs: {self.done} done, {self.failed} failed, "
                f"{self.documents} documents in {self.seconds:.1f} s)")


def batch(inputs: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]],
          outdir: Union[str, "os.PathLike[str]"], *, month: Optional[str] = None,
          templates: Optional[Iterable[str]] = None,
          formats: Iterable[str] = ("pdf", "docx", "xlsx"),
          profile: Optional[Union[str, "os.PathLike[str]"]] = None,
          rollup: Optional[str] = None, threads: int = 0, date: Optional[str] = None,
          progress: Optional[Callable[[BatchEvent], None]] = None,
          on_warning: Optional[Callable[[Error], None]] = None) -> BatchResult:
    """Documents for many communities at once, on all cores (``lexport batch``).

    ``inputs`` are data files, ledgers (.xlsx, .csv) or folders of them; each
    community's documents go to ``outdir/<community name>/``. ``templates``
    default to the briefing (which needs ``month``). ``rollup`` names the
    street (街道) whose own 简报, 总结 and 统计表 are made from all inputs; a
    roll-up file among the inputs does the same. ``progress`` is called after
    each input with a :class:`BatchEvent` (from the library's threads, one at
    a time). An input that fails does not stop the others: the result lists
    it in ``failures``. Raises :class:`Error` only when the batch cannot start
    (no inputs, an unknown template, a bad month)."""
    lib = _load()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    keep: List[Any] = []

    def b(x: Union[str, "os.PathLike[str]"]) -> bytes:
        v = os.fsencode(x)
        keep.append(v)
        return v
    paths = [b(p) for p in inputs]
    arr = (ctypes.c_char_p * max(1, len(paths)))(*paths)
    opt = _BatchOptions()
    opt.version = 1
    opt.outdir = b(outdir)
    if month is not None:
        opt.month = b(month)
    if date is not None:
        opt.date = b(date)
    if profile is not None:
        opt.profile = b(profile)
    if rollup is not None:
        opt.rollup = b(rollup)
    if templates is not None:
        names = [b(t) for t in templates]
        tarr = (ctypes.c_char_p * max(1, len(names)))(*names)
        keep.append(tarr)
        opt.templates = tarr
        opt.ntemplates = len(names)
    codes = [_format_code(f) for f in formats]
    farr = (ctypes.c_int * max(1, len(codes)))(*codes)
    opt.formats = farr
    opt.nformats = len(codes)
    opt.threads = int(threads)
    opt.engine = _engine
    events: List[BatchEvent] = []
    errors: List[BaseException] = []

    def on_event(ev, _payload):
        e = BatchEvent(ev.contents)
        events.append(e)
        if progress and not errors:
            try:
                progress(e)
            except BaseException as x:  # raised again once the batch is over
                errors.append(x)
    cb = _BatchCB(on_event)
    opt.progress = cb
    warned: List[Error] = []

    def warn(e, _payload):
        warned.append(_raise(e.contents))
    wcb = _DiagCB(warn)
    opt.warn = wcb
    res = _BatchResult()
    err = _Error()
    rc = lib.lexp_batch(ctypes.byref(res), arr, len(paths), ctypes.byref(opt), ctypes.byref(err))
    seen = set()
    for w in warned:
        if str(w) in seen:
            continue
        seen.add(str(w))
        if on_warning:
            on_warning(w)
        else:
            warnings.warn(str(w), RenderWarning, stacklevel=2)
    if errors:
        raise errors[0]
    if rc and res.inputs == 0:
        raise _raise(err)
    return BatchResult(res, events)
