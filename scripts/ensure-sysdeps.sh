#!/bin/sh
# Installs the Debian/Ubuntu libraries Qt needs (offscreen and on a desktop) when they are missing.
# Without fonts-dejavu-core, text paints as empty boxes. Safe to run again: it installs only what is missing.
# Arguments: more packages to ensure (make package: binutils, whose objdump and strip PyInstaller runs; make test:
# postgresql, chromium and chromium-driver, for the back office's tests and its pages in a headless browser).
set -eu
PKGS="$* libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core \
libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1"
command -v dpkg-query >/dev/null 2>&1 || { echo "sysdeps: not a Debian-like system; install Qt's libraries yourself (see README)"; exit 0; }
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "sysdeps: installing system packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "sysdeps: run as root: apt-get install -y$missing"; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
