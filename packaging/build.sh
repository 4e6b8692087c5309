#!/bin/sh
# Builds dist/tillqr/ (a folder with the `tillqr` executable) with PyInstaller, then runs its self-test headless.
# PYTHON: the interpreter of a venv with `pip install -e '.[package]'` (default .venv/bin/python).
set -eu
cd "$(dirname "$0")/.."
${PYTHON:-.venv/bin/python} -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build \
  packaging/tillqr.spec
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} dist/tillqr/tillqr self-test
