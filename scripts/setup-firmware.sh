#!/usr/bin/env bash
# Installs what the firmware build and its QEMU tests need: the Rust target
# thumbv7em-none-eabihf and Debian's qemu-system-arm. Safe to run again.
set -euo pipefail

# The Debian bookworm candidate when this script was written; the install falls
# back to the current candidate if the mirror has moved on.
QEMU_VERSION="1:7.2+dfsg-7+deb12u18+b3"

if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
    rustup target add thumbv7em-none-eabihf
fi

if ! command -v qemu-system-arm >/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    if ! $SUDO apt-get install -y --no-install-recommends "qemu-system-arm=${QEMU_VERSION}"; then
        echo "setup-firmware.sh: qemu-system-arm ${QEMU_VERSION} is not available; installing the current candidate" >&2
        $SUDO apt-get install -y --no-install-recommends qemu-system-arm
    fi
fi

qemu-system-arm --version | head -n 1
rustup target list --installed | grep -x thumbv7em-none-eabihf
