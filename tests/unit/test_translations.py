"""The catalogues are complete: every string app/ passes to ``_()``, ``ngettext``, ``pgettext``, ``lazy_`` or
``lazy_p`` has a translation in each language's .po, none is fuzzy or empty, and each keeps the placeholders of
its English source. The keywords are those `make translations` extracts with (read from the Makefile).

Adding a string: wrap it (``_("Paid {amount}").format(amount=...)``), run `make translations`, translate what
is new in translations/<lang>/LC_MESSAGES/tillqr.po; this test names what is missing.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
LANGS = ("pt_BR", "es", "hi")
Key = tuple[str | None, str]  # (context, msgid)


def keywords() -> dict[str, object]:
    """The keywords of the Makefile's ``KEYWORDS := -k _ -k ngettext:1,2 …``."""
    line = next(x for x in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines() if x.startswith("KEYWORDS"))
    return parse_keywords(re.findall(r"-k\s+(\S+)", line))


def extracted(root: Path = APP) -> dict[Key, tuple[str, ...]]:
    """(context, msgid) → the texts (singular, plural) of every translatable string under ``root``."""
    found: dict[Key, tuple[str, ...]] = {}
    # the Python, and the back office's Jinja2 templates (babel.cfg's [jinja2: …] section)
    sources = [("python", p) for p in sorted(root.rglob("*.py"))]
    sources += [("jinja2", p) for p in sorted(root.rglob("backoffice/templates/*.html"))]
    for method, path in sources:
        with open(path, "rb") as fh:
            for _line, message, _comments, context in extract(method, fh, keywords=keywords()):
                texts = (message,) if isinstance(message, str) else tuple(message)
                found[(context, texts[0])] = texts
    return found


def placeholders(text: str) -> set[str]:
    names = {f"{{{field}}}" for _lit, field, _spec, _conv in string.Formatter().parse(text) if field is not None}
    return names | set(re.findall(r"%\(\w+\)[sd]|%[sd]", text))


def problems(wanted: dict[Key, tuple[str, ...]], catalogue: Catalog) -> list[str]:
    out = []
    for (context, msgid), texts in sorted(wanted.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        msg = catalogue.get(msgid, context=context)
        name = f"{context}|{msgid}" if context else msgid
        if msg is None:
            out.append(f"missing: {name!r}")
            continue
        if msg.fuzzy:
            out.append(f"fuzzy: {name!r}")
        translations = [msg.string] if isinstance(msg.string, str) else list(msg.string)
        if not all(t.strip() for t in translations):
            out.append(f"untranslated: {name!r}")
            continue
        source = set().union(*(placeholders(t) for t in texts))
        for t in translations:
            if placeholders(t) != source:
                out.append(f"placeholders differ: {name!r} has {sorted(source)}, {t!r} has {sorted(placeholders(t))}")
    return out


def _po(lang: str) -> Catalog:
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "tillqr.po", "rb") as fh:
        return read_po(fh, locale=lang)


def test_the_code_has_strings_to_translate():
    wanted = extracted()
    assert (None, "received {amount}") in wanted and ("status", "settled") in wanted
    assert (None, "{n} sale") in wanted and wanted[(None, "{n} sale")] == ("{n} sale", "{n} sales")


def test_every_catalogue_is_complete():
    wanted = extracted()
    found = {lang: problems(wanted, _po(lang)) for lang in LANGS}
    assert found == {lang: [] for lang in LANGS}, "run `make translations` and translate what is listed"


def test_the_check_finds_missing_fuzzy_untranslated_and_placeholder_mistakes():
    wanted: dict[Key, tuple[str, ...]] = {
        (None, "Paid {amount}"): ("Paid {amount}",),
        (None, "Gone"): ("Gone",),
        (None, "Later"): ("Later",),
        ("status", "open"): ("open",),
        (None, "{n} sale"): ("{n} sale", "{n} sales"),
        (None, "Fine"): ("Fine",),
    }
    cat = Catalog(locale="pt_BR")
    cat.add("Paid {amount}", "Pago {valor}")
    cat.add("Later", "Depois", flags=["fuzzy"])
    cat.add("open", "", context="status")
    cat.add(("{n} sale", "{n} sales"), ("{n} venda", "vendas"))
    cat.add("Fine", "Bem")
    assert problems(wanted, cat) == [
        "missing: 'Gone'",
        "fuzzy: 'Later'",
        "placeholders differ: 'Paid {amount}' has ['{amount}'], 'Pago {valor}' has ['{valor}']",
        "placeholders differ: '{n} sale' has ['{n}'], 'vendas' has []",
        "untranslated: 'status|open'",
    ]


_TEXT_ARGS = {"_": 1, "lazy_": 1, "ngettext": 2, "pgettext": 2, "lazy_p": 2}  # how many leading arguments are text


def literal_misuse(root: Path) -> list[str]:
    """Calls of the gettext functions whose text is not a plain string literal (an f-string, a name, a
    concatenation): extraction cannot see them, so they would never be translated."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "i18n.py" and path.parent == root:
            continue  # the functions themselves
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _TEXT_ARGS:
                texts = node.args[: _TEXT_ARGS[node.func.id]]
                if len(texts) < _TEXT_ARGS[node.func.id] or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in texts
                ):
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_every_translatable_text_is_a_literal(tmp_path):
    assert literal_misuse(APP) == []
    planted = tmp_path / "app"
    planted.mkdir()
    (planted / "m.py").write_text('x = 1\n_(f"paid {x}")\n_("fine")\nngettext("a", "b", x)\nlazy_(str(x))\n')
    assert literal_misuse(planted) == ["app/m.py:2", "app/m.py:5"]
