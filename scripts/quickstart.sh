#!/usr/bin/env bash
# The main job on a fresh machine with only Rust installed: trains the
# convolutional autoencoder on the MNIST files in data/mnist, exports it to
# ONNX (out/model.onnx, out/model.encoder.onnx, out/model.decoder.onnx) and
# reconstructs a real MNIST test digit through tract.
#
# Extra arguments go to ae-train, e.g. `scripts/quickstart.sh --model linear --epochs 2`.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p out
cargo build --release --locked -p ae-train -p ae-infer
cargo run --release --locked --quiet -p ae-train -- --export out/model.onnx "$@"
cp data/digits/7.png out/7.png
cargo run --release --locked --quiet -p ae-infer -- --runtime tract --model out/model.onnx out/7.png
echo "reconstruction written to out/7.recon.png"
