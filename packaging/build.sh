#!/bin/sh
# Builds dist/tillqr/ (a folder with the `tillqr` executable) with PyInstaller, then runs its self-test.
set -eu
cd "$(dirname "$0")/.."
.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist --workpath build packaging/tillqr.spec
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} dist/tillqr/tillqr self-test
