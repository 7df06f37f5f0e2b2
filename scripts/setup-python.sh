#!/usr/bin/env bash
# Creates .venv in the repository root with the pinned Python packages of
# scripts/requirements-test.txt (onnx, onnxruntime, numpy and their
# dependencies), which tests/python/check_onnx.py needs.
#
# Running it again when .venv already has those versions does nothing. On a
# fresh Debian machine where `python3 -m venv` fails because python3-venv is
# missing, the script installs python3-venv with apt-get when run as root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/scripts/requirements-test.txt"

# Exits with status 0 when every `name==version` line of the requirements
# file is installed in .venv at exactly that version.
requirements_installed() {
    [[ -x "$VENV/bin/python" ]] || return 1
    "$VENV/bin/python" - "$REQUIREMENTS" <<'PYTHON'
import sys
from importlib.metadata import PackageNotFoundError, version

mismatches = []
with open(sys.argv[1]) as requirements:
    for line in requirements:
        requirement = line.split("#", 1)[0].strip()
        if not requirement:
            continue
        name, _, expected = requirement.partition("==")
        try:
            found = version(name)
        except PackageNotFoundError:
            found = None
        if found != expected:
            mismatches.append(f"{name}: expected {expected}, found {found}")
for mismatch in mismatches:
    print(f"  {mismatch}", file=sys.stderr)
sys.exit(1 if mismatches else 0)
PYTHON
}

install_with_apt() {
    local packages=("$@")
    if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "error: install ${packages[*]} (on Debian: sudo apt-get install ${packages[*]})," \
            "then run $0 again" >&2
        exit 1
    fi
    echo "Installing ${packages[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
}

if requirements_installed 2>/dev/null; then
    echo "Python test packages are already installed in $VENV"
    exit 0
fi

if ! command -v python3 >/dev/null; then
    install_with_apt python3 python3-venv
fi

# A venv without pip (left by a failed earlier run) is recreated from scratch.
if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    echo "Creating $VENV"
    if ! python3 -m venv --clear "$VENV" >/dev/null 2>&1; then
        install_with_apt python3-venv
        python3 -m venv --clear "$VENV"
    fi
fi

echo "Installing the packages of $REQUIREMENTS into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"

if ! requirements_installed; then
    echo "error: $VENV does not have the versions in $REQUIREMENTS after pip install" >&2
    exit 1
fi
echo "Python test packages installed in $VENV"
