#!/usr/bin/env bash
# Installs everything the tests need, at pinned versions, and nothing the
# main job needs: Python's onnx and onnxruntime in .venv, ONNX Runtime's
# shared library in .cache/onnxruntime, protoc for the candle-onnx runtime,
# and QEMU with the thumbv7em target for the firmware. Each step is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-python.sh
scripts/setup-onnxruntime.sh
scripts/setup-protoc.sh
scripts/setup-firmware.sh
