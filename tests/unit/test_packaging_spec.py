"""The packaged build ships every module TillQR loads, and none of what it cuts is used (no PyInstaller needed).

PyInstaller finds a module when some import statement names it, inside a function too; what is imported by a
name held in a string (each provider's simulator, ``ProviderSpec.sandbox_module``) it cannot see. The spec hands
it ``packaging/modules.py``'s ``hidden_imports()`` and ``EXCLUDES``: these tests run the spec itself with
stand-ins for PyInstaller's classes, follow the imports of app/ from the bundle's entry point as PyInstaller does,
and check the lists against the provider registry and against every lazy import (inside a function) in app/.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from app.providers.registry import SPECS
from tests.unit.test_layers import imports_of, module_name

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
SPEC = ROOT / "packaging" / "tillqr.spec"
ENTRY = ROOT / "packaging" / "entry.py"


def _load_modules() -> ModuleType:
    found = importlib.util.spec_from_file_location("tillqr_bundle_modules_test", ROOT / "packaging" / "modules.py")
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    return module


bundle = _load_modules()


class _Analysis:
    """Stands in for PyInstaller's Analysis: keeps what the spec hands it, finds nothing."""

    seen: dict[str, object] = {}

    def __init__(self, scripts: list[str], **options: object) -> None:
        _Analysis.seen = {"scripts": scripts, **options}
        self.binaries: list[tuple[str, str, str]] = []
        self.datas: list[tuple[str, str, str]] = []
        self.pure: list[object] = []
        self.scripts: list[object] = []


def _stand_in(*args: object, **options: object) -> dict[str, object]:
    return {"args": args, **options}


@pytest.fixture(scope="module")
def spec_options() -> dict[str, object]:
    """What the spec hands Analysis, the spec being run as PyInstaller runs it (its globals are PyInstaller's)."""
    names = {"SPECPATH": str(SPEC.parent), "Analysis": _Analysis, "PYZ": _stand_in, "EXE": _stand_in}
    names |= {"COLLECT": _stand_in, "__file__": str(SPEC), "__name__": "__main__"}
    path = list(sys.path)
    try:
        exec(
            compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), names
        )  # the spec is Python, run as PyInstaller runs it
    finally:
        sys.path[:] = path
    return _Analysis.seen


@functools.cache
def _app_files() -> dict[str, Path]:
    return {module_name(p, ROOT): p for p in APP.rglob("*.py")}


@functools.cache
def _imports(module: str) -> frozenset[str]:
    files = _app_files()
    return frozenset(imports_of(files[module], ROOT, set(files)))


def _lazy_imports(path: Path, known: set[str], scratch: Path) -> set[str]:
    """The modules ``path`` imports inside a function (absolute names): those statements alone, written to the same
    place under ``scratch``, read by test_layers' ``imports_of`` (which resolves relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = [
        stmt
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for stmt in ast.walk(fn)
        if isinstance(stmt, (ast.Import, ast.ImportFrom))
    ]
    copy = scratch / path.relative_to(ROOT)
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(ast.unparse(ast.Module(body=inner, type_ignores=[])), encoding="utf-8")
    return imports_of(copy, scratch, known)


def reachable(roots: list[str], files: dict[str, Path]) -> set[str]:
    """The app/ modules PyInstaller collects from ``roots``: every import statement, anywhere in a module, is
    followed, and importing ``a.b.c`` runs ``a`` and ``a.b`` too."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        for module in [*parents, name]:
            if module in files and module not in seen:
                seen.add(module)
                todo += sorted(_imports(module))
    return seen


def _entry_roots() -> list[str]:
    return sorted(imports_of(ENTRY, ROOT))


def test_the_spec_hands_pyinstaller_the_lists_of_packaging_modules(spec_options):
    assert spec_options["hiddenimports"] == bundle.hidden_imports()
    assert list(spec_options["excludes"]) == list(bundle.EXCLUDES)
    assert spec_options["scripts"] == [str(ENTRY)]
    assert (str(ROOT / "resources"), "resources") in spec_options["datas"]  # app.config.paths.RESOURCES


def test_the_spec_ships_every_compiled_catalogue(spec_options):
    """Each language's tillqr.mo goes where app.i18n looks for it: translations/<lang>/LC_MESSAGES next to app/."""
    sources = sorted((ROOT / "translations").glob("*/LC_MESSAGES/tillqr.po"))
    assert {po.parents[1].name for po in sources} >= {"pt_BR", "es", "hi"}
    for po in sources:
        assert (str(po.with_suffix(".mo")), f"translations/{po.parents[1].name}/LC_MESSAGES") in spec_options["datas"]


def test_every_module_the_registry_names_is_a_hidden_import():
    named = {spec.sandbox_module for spec in SPECS} | {spec.factory.__module__ for spec in SPECS}
    assert named <= set(bundle.hidden_imports())
    files = _app_files()
    assert named <= set(files), "the registry names a module that has no file in app/"


def test_every_app_module_ships():
    """From the entry point and the hidden imports, PyInstaller reaches every module of app/ (``python -m`` mains
    aside): nothing is loaded only by a name in a string that the spec does not list."""
    files = _app_files()
    shipped = reachable([*_entry_roots(), *bundle.hidden_imports()], files)
    missing = sorted(
        name
        for name in set(files) - shipped - set(bundle.CATALOGUE_ONLY)
        if not name.endswith(".__main__") and not name.startswith(tuple(f"{p}." for p in bundle.SERVICE_ONLY))
    )
    assert missing == [], "add them to packaging/modules.py (loaded by name?) or remove them (unused?)"
    assert set(bundle.CATALOGUE_ONLY) <= set(files) - shipped, (
        "a CATALOGUE_ONLY module is imported: drop it from the list"
    )


def test_without_the_hidden_imports_the_simulators_would_be_left_out():
    """The check above can fail: the simulators are reached only through the registry's names."""
    files = _app_files()
    shipped = reachable(_entry_roots(), files)
    assert {spec.sandbox_module for spec in SPECS} - shipped


def _excluded(module: str) -> bool:
    return any(module == ex or module.startswith(ex + ".") for ex in bundle.EXCLUDES)


def _service(module: str) -> bool:
    """The back office service or its extra: left out of the bundle on purpose (packaging/modules.SERVICE_ONLY)."""
    return (
        module.startswith(tuple(f"{p}." for p in bundle.SERVICE_ONLY))
        or module in bundle.SERVICE_ONLY
        or (module.split(".")[0] in bundle.SERVICE_EXTRA)
    )


SERVICE_CLI = "app.commands.backoffice_serve_cli"  # ships; loads the service only where the extra is installed


def test_every_lazy_import_in_app_ships(tmp_path):
    """Each module imported inside a function (a ``# lazy:`` import) is an app/ module the bundle holds, or an
    installed third-party module that the spec does not exclude (Pillow was, and the self-test failed)."""
    files = _app_files()
    shipped = reachable([*_entry_roots(), *bundle.hidden_imports()], files)
    problems: list[str] = []
    lazy_count = 0
    for name, path in sorted(files.items()):
        if _service(name):
            continue
        for imported in sorted(_lazy_imports(path, set(files), tmp_path)):
            lazy_count += 1
            if name == SERVICE_CLI and _service(imported):
                continue
            top = imported.split(".")[0]
            if top == "app":
                if imported not in shipped and imported.rpartition(".")[0] not in shipped:
                    problems.append(f"{name}: {imported} is not shipped")
            elif top in sys.stdlib_module_names:
                if _excluded(imported):
                    problems.append(f"{name}: {imported} is excluded")
            elif _excluded(imported) or importlib.util.find_spec(top) is None:
                problems.append(f"{name}: {imported} is excluded or not installed")
    assert lazy_count > 20, "the lazy imports were not found"
    assert problems == []


def test_nothing_app_imports_is_excluded():
    files = _app_files()
    used = {
        m for name in files if not _service(name) for m in _imports(name) if not (name == SERVICE_CLI and _service(m))
    }
    assert sorted(m for m in used if _excluded(m)) == []
    assert _excluded("PIL._avif") and not _excluded("PIL.Image")  # the check can tell the two apart


QT = "PySide6/Qt"


def test_trim_cuts_unused_qt_plugins_and_translations_and_what_only_they_needed():
    binaries = [
        (f"{QT}/plugins/platforms/libqoffscreen.so", "src/offscreen", "BINARY"),
        (f"{QT}/plugins/platforms/libqxcb.so", "src/xcb", "BINARY"),
        (f"{QT}/plugins/platforms/libqvnc.so", "src/vnc", "BINARY"),
        (f"{QT}/plugins/platformthemes/libqgtk3.so", "src/gtk3", "BINARY"),
        (f"{QT}/plugins/imageformats/libqjpeg.so", "src/jpeg", "BINARY"),
        (f"{QT}/plugins/imageformats/libqsvg.so", "src/svg", "BINARY"),
        (f"{QT}/lib/libQt6Gui.so.6", "src/gui", "BINARY"),
        (f"{QT}/lib/libQt6Network.so.6", "src/network", "BINARY"),
        ("libcairo.so.2", "src/cairo", "BINARY"),  # only gtk3 needs it: cut
        ("libglib-2.0.so.0", "src/glib", "BINARY"),  # gtk3 and Gui need it: kept
        ("libjpeg.so.62", "src/libjpeg", "BINARY"),  # the jpeg plugin and Pillow's extension: kept
        ("libdbus-1.so.3", "src/dbus", "BINARY"),  # only gtk3 names it, QtDBus dlopens it: kept
        ("libpixman-1.so.0", "src/pixman", "BINARY"),  # cairo's: cut with it
        ("PIL/_imaging.cpython-311-x86_64-linux-gnu.so", "src/imaging", "EXTENSION"),
    ]
    links = {
        "bin": [("libQt6Network.so.6", f"{QT}/lib/libQt6Network.so.6", "SYMLINK")],
        "data": [
            ("libQt6Gui.so.6", f"{QT}/lib/libQt6Gui.so.6", "SYMLINK"),
            ("libcairo-link.so", "libcairo.so.2", "SYMLINK"),
        ],
    }
    datas = [
        (f"{QT}/translations/qtbase_pt_BR.qm", "src/t1", "DATA"),
        (f"{QT}/translations/qt_es.qm", "src/t2", "DATA"),
        (f"{QT}/translations/qtbase_de.qm", "src/t3", "DATA"),
        (f"{QT}/translations/qt_help_pt_BR.qm", "src/t4", "DATA"),
        ("resources/style.qss", "src/style", "DATA"),
    ]
    needs = {
        "src/offscreen": ["libQt6Gui.so.6"],
        "src/xcb": ["libQt6Gui.so.6"],
        "src/vnc": ["libQt6Gui.so.6", "libQt6Network.so.6"],
        "src/gtk3": ["libcairo.so.2", "libglib-2.0.so.0", "libdbus-1.so.3", "libc.so.6"],
        "src/cairo": ["libpixman-1.so.0"],
        "src/jpeg": ["libjpeg.so.62", "libQt6Gui.so.6"],
        "src/gui": ["libglib-2.0.so.0"],
        "src/imaging": ["libjpeg.so.62"],
    }
    kept_binaries, kept_datas = bundle.trim(binaries + links["bin"], datas + links["data"], lambda s: needs.get(s, []))
    assert sorted(e[0] for e in kept_binaries) == sorted(
        [
            f"{QT}/plugins/platforms/libqoffscreen.so",
            f"{QT}/plugins/platforms/libqxcb.so",
            f"{QT}/plugins/imageformats/libqsvg.so",
            f"{QT}/lib/libQt6Gui.so.6",
            "libglib-2.0.so.0",
            "libjpeg.so.62",
            "libdbus-1.so.3",
            "PIL/_imaging.cpython-311-x86_64-linux-gnu.so",
        ]
    )
    assert sorted(e[0] for e in kept_datas) == sorted(
        [f"{QT}/translations/qtbase_pt_BR.qm", f"{QT}/translations/qt_es.qm", "resources/style.qss", "libQt6Gui.so.6"]
    )


def test_keep_qt_file_reads_windows_paths_too():
    assert bundle.keep_qt_file("PySide6\\plugins\\platforms\\qwindows.dll")
    assert not bundle.keep_qt_file("PySide6\\plugins\\platforms\\qminimal.dll")
    assert bundle.keep_qt_file("PySide6\\plugins\\styles\\qmodernwindowsstyle.dll")
    assert bundle.keep_qt_file("PySide6\\Qt6Gui.dll")


def _requirement_names(requires: list[str] | None) -> set[str]:
    names = set()
    for line in requires or ():
        if "extra ==" in line:  # an optional extra of that package: not installed for TillQR
            continue
        name = line.split(";")[0].strip()
        for stop in "<>=!~[ (":
            name = name.split(stop)[0]
        names.add(name.strip().lower().replace("_", "-").replace(".", "-"))
    return names


def test_nothing_a_runtime_dependency_needs_is_excluded():
    """An excluded package that one of TillQR's dependencies needs (python-escpos needs PyYAML) would break that
    dependency in the bundle only: follow the installed dependency tree from pyproject's runtime dependencies."""
    import importlib.metadata as md
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = _requirement_names(project["dependencies"])
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        try:
            todo |= _requirement_names(md.requires(name)) - needed
        except md.PackageNotFoundError:
            continue  # a marker left it out on this platform
    owners = md.packages_distributions()
    shipped_by = {top: {d.lower().replace("_", "-").replace(".", "-") for d in dists} for top, dists in owners.items()}
    cut = {name.split(".")[0] for name in bundle.EXCLUDES if "." not in name}  # whole packages, not submodules
    wrongly = {top: sorted(shipped_by.get(top, set()) & needed) for top in cut if shipped_by.get(top, set()) & needed}
    assert "pyyaml" in needed and "python-escpos" in needed  # the walk sees the dependency that needs YAML
    assert wrongly == {}, f"excluded, yet a runtime dependency needs it: {wrongly}"


def test_python_escpos_data_files_ship(spec_options):
    """python-escpos reads ``capabilities.json`` at import: without it every receipt failed in the bundle."""
    datas = spec_options["datas"]
    assert isinstance(datas, list)
    shipped = {(Path(src).name, dest) for src, dest in datas}
    assert ("capabilities.json", "escpos") in shipped


def test_babel_keeps_the_languages_tillqr_speaks_and_cuts_the_rest():
    kept = [
        "babel/locale-data/root.dat",
        "babel/locale-data/pt_BR.dat",
        "babel/locale-data/pt.dat",
        "babel/locale-data/es_AR.dat",
        "babel/locale-data/hi.dat",
        "babel/locale-data/en_US_POSIX.dat",
        "babel/global.dat",
        "app/i18n.py",
    ]
    assert all(bundle.keep_babel_file(dest) for dest in kept)
    assert not any(bundle.keep_babel_file(f"babel/locale-data/{name}.dat") for name in ("de", "fr_FR", "zh_Hant_HK"))
    # every language the app ships a catalogue for keeps its formats in the bundle
    from app.i18n import LANGUAGES

    assert {code.split("_")[0] for code in LANGUAGES} <= bundle.BABEL_LANGUAGES
