"""The command line in the store's language, in a real ``tillqr`` process: its help, its usage errors (argparse's
own words too, from TillQR's catalogue) and its error lines read Spanish under ``LANG=es_ES.UTF-8``; what it prints
for programs (``--json``, ``qr decode``) is the same under every language, its reasons too (app.i18n.hold_neutral)."""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

from app.commands.argparse_words import WORDS
from tests.unit.test_i18n import demo_home  # noqa: F401 - the fixture: a demo journal with two sales

# argparse's texts for developers (a parser built wrong), not for a user: they stay English
_FOR_DEVELOPERS = {
    ".__call__() not defined",
    "conflicting subparser: %s",
    "conflicting subparser alias: %s",
    'argument "-" with mode %r',
    "cannot merge actions - two groups are named %r",
    "'required' is an invalid argument for positionals",
    "dest= is required for options like %r",
    "invalid conflict_resolution value: %r",
    "mutually exclusive arguments must be optional",
    "cannot have multiple subparser arguments",
    "%r is not callable",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "%(prog)s: error: %(message)s\n",  # app.commands.cli_support.Parser.error writes this line itself
}


def run(*args: str, lang: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "TILLQR_SANDBOX_URL")}
    env |= {"LANG": lang, "TILLQR_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=60)


def test_json_is_the_same_under_every_language_while_the_human_form_speaks_it(demo_home):
    neutral = run("journal", "list", "--demo", "--json", lang="C.UTF-8", home=demo_home)
    portuguese = run("journal", "list", "--demo", "--json", lang="pt_BR.UTF-8", home=demo_home)
    assert neutral.returncode == portuguese.returncode == 0, portuguese.stderr
    assert portuguese.stdout == neutral.stdout and '"status": "settled"' in neutral.stdout
    human = run("journal", "list", "--demo", lang="pt_BR.UTF-8", home=demo_home)
    assert "paga" in human.stdout and "R$\u00a012,50" in human.stdout and "modo de demonstração" in human.stderr
    for lang in ("es_ES.UTF-8", "hi_IN.UTF-8"):
        assert (
            run("journal", "totals", "--demo", "--json", lang=lang, home=demo_home).stdout
            == run("journal", "totals", "--demo", "--json", lang="C.UTF-8", home=demo_home).stdout
        )


def test_a_reason_beside_json_stays_neutral_and_without_json_speaks_the_language(tmp_path):
    spanish = run("journal", "refund", "NOPE", "--demo", lang="es_ES.UTF-8", home=tmp_path)
    assert spanish.returncode == 1
    assert "tillqr: error: no hay ninguna venta NOPE en el registro de ventas de demostración" in spanish.stderr
    held = run("journal", "refund", "NOPE", "--demo", "--json", lang="es_ES.UTF-8", home=tmp_path)
    assert held.returncode == 1 and "tillqr: error: there is no sale NOPE in the demo journal" in held.stderr
    decoded = [run("qr", "decode", "000201BAD", lang=lang, home=tmp_path) for lang in ("C.UTF-8", "pt_BR.UTF-8")]
    assert decoded[0].returncode == decoded[1].returncode == 1
    assert decoded[0].stdout == decoded[1].stdout and decoded[0].stderr == decoded[1].stderr


def test_help_and_usage_errors_read_spanish(tmp_path):
    helped = run("journal", "--help", lang="es_ES.UTF-8", home=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("uso: tillqr journal")  # argparse's own words, from our catalogue
    assert "opciones:" in helped.stdout and "mostrar esta ayuda y salir" in helped.stdout
    assert "el registro de ventas en CSV, para conciliación" in helped.stdout  # our help text
    missing = run("journal", "refund", lang="es_ES.UTF-8", home=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("uso: tillqr journal refund")
    assert "tillqr journal refund: error: los siguientes argumentos son obligatorios: sale_id" in missing.stderr
    bad = run("charge", "5", "--wait", "abc", lang="es_ES.UTF-8", home=tmp_path)
    assert bad.returncode == 1 and "argumento --wait: debe ser un número de segundos, no 'abc'" in bad.stderr
    english = run("charge", "5", "--wait", "abc", lang="C.UTF-8", home=tmp_path)
    assert "usage: tillqr charge" in english.stderr and "argument --wait: must be a number of seconds" in english.stderr


def test_every_text_argparse_shows_a_user_is_in_the_catalogue():
    """What this Python's argparse passes to gettext, less its developers' texts, is listed in argparse_words
    (so `make translations` carries it); a Python whose argparse words differ fails here."""
    asked = {
        node.args[0].value
        for node in ast.walk(ast.parse(inspect.getsource(argparse)))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert asked - _FOR_DEVELOPERS <= {w.message for w in WORDS}, sorted(asked - _FOR_DEVELOPERS)
    assert "usage: " in asked and "options" in asked  # the scan finds argparse's words at all
