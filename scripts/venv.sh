#!/usr/bin/env bash
# Create (or update) the project's virtualenv in .venv and install the project into it.
# Works on a fresh Debian machine: installs python3-venv from apt when the venv module
# lacks ensurepip (Debian splits it out), if we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
VENV=.venv
STAMP="$VENV/.installed"

if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "smartcustoms needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing python3-venv from apt" >&2
      apt-get update -qq
      ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "python${ver}-venv" >/dev/null || DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      "$PY" -m venv "$VENV"
    else
      echo "cannot create a virtualenv: install python3-venv (apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi
# rigour's normality needs PyICU, which PyPI ships only as source: it builds against
# ICU's headers with a C++ compiler. Install those from apt when they are missing.
needs_icu_build() {
  ! "$VENV/bin/python" -c 'import icu' 2>/dev/null && {
    ! pkg-config --exists icu-i18n 2>/dev/null || ! command -v c++ >/dev/null ||
    ! "$VENV/bin/python" -c 'import sysconfig, os, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; }
}
if needs_icu_build; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ICU headers and a C++ compiler from apt (to build PyICU)" >&2
    apt-get update -qq
    ver=$("$VENV/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      pkg-config libicu-dev g++ "python${ver}-dev" >/dev/null || DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends pkg-config libicu-dev g++ python3-dev >/dev/null
  else
    echo "PyICU must be built: install pkg-config, libicu-dev, g++ and python3-dev" >&2
  fi
fi
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -e '.[dev]'
  touch "$STAMP"
fi
# LightGBM and XGBoost link OpenMP's runtime, which a minimal Debian lacks.
if ! "$VENV/bin/python" -c 'import lightgbm' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing libgomp1 from apt (OpenMP runtime for LightGBM)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgomp1 >/dev/null
  fi
  "$VENV/bin/python" -c 'import lightgbm' || {
    echo "LightGBM cannot load: install libgomp1 (apt-get install libgomp1)" >&2; exit 1; }
fi
# Scanned trade documents are read with Tesseract OCR, in process (the tesserocr wheel
# bundles the library); its language models come from apt: the corpus speaks English,
# German, French and Spanish. Without them, scans are reported as unreadable (digital PDFs
# still read). The check is the one the reader makes (TESSDATA_PREFIX, then Debian's path).
if ! "$VENV/bin/python" -c 'from smartcustoms.documents.extract.tesseract import tessdata_dir
tessdata_dir("eng+deu+fra+spa")' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Tesseract's eng/deu/fra/spa models from apt (OCR of scans)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa >/dev/null
  else
    echo "scanned documents need Tesseract's models: apt-get install tesseract-ocr-eng" \
      "tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa" >&2
  fi
fi
