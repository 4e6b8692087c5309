"""What the PyInstaller spec (``packaging/tillqr.spec``) adds to, and cuts from, what PyInstaller finds by itself.

Kept out of the spec so that a fast test (``tests/unit/test_packaging_spec.py``) reads the very same lists without
PyInstaller installed. The spec and the test load this file by its path: the folder's name, ``packaging``, is also
a PyPI package that PyInstaller itself imports.

- ``hidden_imports()``: modules loaded by name at run time, which PyInstaller's import analysis cannot see: every
  provider's client and simulator, read from the provider registry (so a new provider cannot be left out), and
  the few third-party modules loaded by name.
- ``EXCLUDES``: Python packages never shipped (test tools; Qt modules TillQR does not use).
- ``keep_qt_file()`` and ``prune()``: the Qt plugins and translations that ship, and the shared libraries left
  with nothing needing them once the rest is cut.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from app.providers.registry import SPECS

# Third-party modules imported by name (uvicorn picks its loop, protocol and lifespan modules from strings; keyring
# finds its backends through entry points).
DYNAMIC: tuple[str, ...] = (
    "uvicorn.logging",
    "uvicorn.loops.auto",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan.on",
    "keyring.backends",
)

# Packages whose data files they read at import (python-escpos: capabilities.json, the printers' profiles).
DATA_PACKAGES: tuple[str, ...] = ("escpos",)


def data_files(packages: Iterable[str] = DATA_PACKAGES) -> list[tuple[str, str]]:
    """(source file, folder in the bundle) for every file of ``packages`` that is not Python code, as PyInstaller's
    ``collect_data_files`` gives them (found here without PyInstaller, so the test reads the same list)."""
    import importlib.util  # lazy: only the spec and its test ask
    from pathlib import Path

    found: list[tuple[str, str]] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec else []:
            base = Path(root)
            for path in sorted(base.rglob("*")):
                if path.is_file() and path.suffix not in (".py", ".pyc", ".pyi") and "__pycache__" not in path.parts:
                    found.append((str(path), str(Path(package, *path.relative_to(base).parts[:-1]))))
    return found


#: The back office service (``tillqr backoffice serve``) runs on a server, never on a till: the bundle leaves it
#: and its extra's packages out (the bundle's ``tillqr backoffice serve`` says the extra is missing).
SERVICE_ONLY = ("app.backoffice", "app.commands.reconcile_cli")  # the second: `backoffice reconcile`, on the server
SERVICE_EXTRA = (
    "psycopg",
    "psycopg_pool",
    "psycopg_binary",
    "jinja2",
    "orjson",
    "httptools",
    "uvloop",
)  # argon2: keyrings.cryptfile needs it

# Never shipped. Each is either a test tool, the back office service, or a module nothing in app/ imports (the
# test checks that).
EXCLUDES: tuple[str, ...] = (
    *SERVICE_ONLY,
    *SERVICE_EXTRA,
    "tkinter",
    "pytest",
    "_pytest",
    "hypothesis",
    "pytestqt",
    "PIL._avif",  # AVIF images (5 MB of libavif): no provider serves its QR as AVIF
    "PIL.AvifImagePlugin",
    "PIL.ImageTk",
    "PySide6.QtNetwork",  # TillQR's HTTP is httpx; the Qt network stack and its TLS plugins are unused
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtPdf",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtXml",
    "PySide6.QtConcurrent",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtUiTools",
)

# The Qt plugins that ship, by plugin folder: the file names' stems (without "lib" and the extension), or None for
# the whole folder. A folder not named here ships nothing.
QT_PLUGINS: dict[str, frozenset[str] | None] = {
    # offscreen: the headless self-test; xcb: X11 screens; wayland: Wayland sessions; windows, cocoa: the others
    "platforms": frozenset({"qoffscreen", "qxcb", "qwayland", "qwindows", "qcocoa"}),
    "xcbglintegrations": None,
    "wayland-shell-integration": frozenset({"xdg-shell"}),
    "wayland-decoration-client": frozenset({"bradient"}),
    "wayland-graphics-integration-client": frozenset({"qt-plugin-wayland-egl", "shm-emulation-server"}),
    "platforminputcontexts": frozenset({"composeplatforminputcontextplugin"}),  # dead keys on a real keyboard
    "iconengines": frozenset({"qsvgicon"}),
    "imageformats": frozenset({"qsvg"}),  # PNG is built into QtGui; other images go through Pillow
    "styles": None,  # Windows' native look
    "printsupport": None,  # QtPrintSupport's printer backends (CUPS on Linux)
}
# Qt's own translations (its dialogs' buttons) for the languages TillQR ships; Qt Help's and the tools' never.
QT_LANGUAGES: tuple[str, ...] = ("en", "es", "pt_BR", "hi")
QT_CATALOGS: tuple[str, ...] = ("qt", "qtbase")
# Libraries loaded with dlopen (never named as a dependency) that stay even when only a cut plugin linked them.
DLOPENED: tuple[str, ...] = ("libdbus-1.", "libpython")

# PyInstaller's table of contents: (destination in the bundle, source, type code)
Entry = tuple[str, str, str]


def registry_modules() -> tuple[str, ...]:
    """Every provider's client module and its simulator (``ProviderSpec.sandbox_module``, imported by name in
    demo mode), read from the provider registry."""
    found: list[str] = []
    for spec in SPECS:
        found += [spec.factory.__module__, spec.sandbox_module]
    return tuple(dict.fromkeys(found))


#: Modules of app/ that nothing imports: they only mark texts for the catalogue (their translations ship in
#: the .mo files), so the bundle needs them no more than the running till does.
CATALOGUE_ONLY = ("app.commands.argparse_words",)


def hidden_imports() -> list[str]:
    """What the spec hands PyInstaller as ``hiddenimports``."""
    return [*registry_modules(), *DYNAMIC]


def _qt_part(dest: str) -> tuple[str, PurePosixPath] | None:
    """("plugins" or "translations", the path below it) for a file of Qt's own, else None."""
    parts = PurePosixPath(dest.replace("\\", "/")).parts
    for i in range(len(parts) - 2):
        if parts[i] in ("PySide6", "PyQt6") and parts[i + 1] == "Qt" and parts[i + 2] in ("plugins", "translations"):
            return parts[i + 2], PurePosixPath(*parts[i + 3 :])
    # Windows wheels put plugins/ and translations/ straight in PySide6/
    for i in range(len(parts) - 1):
        if parts[i] in ("PySide6", "PyQt6") and parts[i + 1] in ("plugins", "translations"):
            return parts[i + 1], PurePosixPath(*parts[i + 2 :])
    return None


def _stem(name: str) -> str:
    stem = name.split(".", 1)[0]
    return stem[3:] if stem.startswith("lib") else stem


def keep_qt_file(dest: str) -> bool:
    """False for a Qt plugin or translation TillQR does not use; True for everything else."""
    found = _qt_part(dest)
    if found is None:
        return True
    kind, rest = found
    if kind == "translations":
        base = rest.name.removesuffix(".qm")
        return any(base == f"{catalog}_{lang}" for catalog in QT_CATALOGS for lang in QT_LANGUAGES)
    if len(rest.parts) < 2 or rest.parts[0] not in QT_PLUGINS:
        return False
    wanted = QT_PLUGINS[rest.parts[0]]
    return wanted is None or _stem(rest.name) in wanted


# Babel's CLDR data (32 MB, 1,000+ locales): only the languages TillQR speaks, with every region of each (pt_BR,
# es_AR, hi_IN …), and root, which every locale falls back to. A store set to another language gets English words
# and neutral formats in the bundle (app.i18n skips a locale Babel has no data for), as it would without a catalogue.
BABEL_LANGUAGES: frozenset[str] = frozenset({"root", "en", "pt", "es", "hi"})


def keep_babel_file(dest: str) -> bool:
    """False for a Babel locale file of a language TillQR does not ship; True for everything else."""
    path = PurePosixPath(_path(dest))
    if path.parent.as_posix() != "babel/locale-data" or path.suffix != ".dat":
        return True
    return path.stem.split("_")[0] in BABEL_LANGUAGES


def _closure(roots: Iterable[str], needs: Callable[[str], Iterable[str]], by_name: dict[str, list[Entry]]) -> set[str]:
    """The file names of the bundle's libraries that ``roots`` (file names) need, directly or not, with roots."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for entry in by_name.get(name, []):
            todo += [dep for dep in needs(entry[1]) if dep in by_name and dep not in seen]
    return seen


def _path(dest: str) -> str:
    return posixpath.normpath(dest.replace("\\", "/"))


def _name(dest: str) -> str:
    return posixpath.basename(_path(dest))


def _prune(binaries: list[Entry], needs: Callable[[str], Iterable[str]]) -> list[Entry]:
    """``binaries`` less the Qt plugins ``keep_qt_file`` cuts and the libraries only they needed (a library that
    something kept needs, or that is loaded with dlopen and never named as a dependency, stays)."""
    by_name: dict[str, list[Entry]] = {}
    for entry in binaries:
        by_name.setdefault(_name(entry[0]), []).append(entry)
    cut = {e[0] for e in binaries if not keep_qt_file(e[0])}
    cut_names = {_name(dest) for dest in cut}
    maybe_orphans = _closure(cut_names, needs, by_name) - cut_names
    roots = {_name(e[0]) for e in binaries if e[0] not in cut and _name(e[0]) not in maybe_orphans}
    roots |= {name for name in maybe_orphans if name.startswith(DLOPENED)}
    orphans = maybe_orphans - _closure(roots, needs, by_name)
    return [e for e in binaries if e[0] not in cut and _name(e[0]) not in orphans]


def trim(
    binaries: Iterable[Entry], datas: Iterable[Entry], needs: Callable[[str], Iterable[str]]
) -> tuple[list[Entry], list[Entry]]:
    """The Analysis' ``binaries`` and ``datas`` with what TillQR does not use cut: Qt plugins and translations
    (``keep_qt_file``), Babel's data of languages TillQR does not speak (``keep_babel_file``), the libraries only the cut plugins needed, and the symbolic links to what was cut.

    ``needs(source)`` names (file names) the shared libraries a binary links."""
    kept_binaries = _prune([e for e in binaries if e[2] != "SYMLINK"], needs)
    links = [e for e in [*binaries, *datas] if e[2] == "SYMLINK"]
    kept_datas = [e for e in datas if e[2] != "SYMLINK" and keep_qt_file(e[0]) and keep_babel_file(e[0])]
    there = {_path(e[0]) for e in [*kept_binaries, *kept_datas]}
    kept_links = [e for e in links if _path(posixpath.join(posixpath.dirname(_path(e[0])), e[1])) in there]
    in_binaries = {e[0] for e in binaries if e[2] == "SYMLINK"}
    return (
        kept_binaries + [e for e in kept_links if e[0] in in_binaries],
        kept_datas + [e for e in kept_links if e[0] not in in_binaries],
    )
