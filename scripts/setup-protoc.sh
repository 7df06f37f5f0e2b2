#!/usr/bin/env bash
# Installs `protoc` (Debian's protobuf-compiler), which the build script of the
# optional candle-onnx runtime needs. The tests enable that runtime; the main
# job does not, so it builds without protoc. Safe to run again.
set -euo pipefail

# The Debian bookworm candidate when this script was written; the install falls
# back to the current candidate if the mirror has moved on.
PROTOC_VERSION="3.21.12-3"

if ! command -v protoc >/dev/null; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    if ! $SUDO apt-get install -y --no-install-recommends "protobuf-compiler=${PROTOC_VERSION}"; then
        echo "setup-protoc.sh: protobuf-compiler ${PROTOC_VERSION} is not available; installing the current candidate" >&2
        $SUDO apt-get install -y --no-install-recommends protobuf-compiler
    fi
fi

protoc --version
