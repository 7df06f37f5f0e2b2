#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what the tests
# need (scripts/setup-test-env.sh), then the whole workspace's tests with the
# optional candle-onnx runtime enabled. They include the firmware, built for
# the Cortex-M4 and run in QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-env.sh
cargo test --release --workspace --locked --features ae-tests/candle-onnx
