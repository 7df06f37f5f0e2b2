#!/usr/bin/env bash
# Installs ONNX Runtime's shared library into .cache/onnxruntime/ for the
# `ort` runtime of ae-runtime, which loads it at run time.
#
# The library comes from the CPU wheel of the `onnxruntime` package on PyPI,
# which pip downloads. The wheel ships the library under its versioned name
# only. Running the script again when the library is present does nothing.
set -euo pipefail

ORT_VERSION="1.32.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$ROOT/.cache/onnxruntime"
LIBRARY="$CACHE_DIR/libonnxruntime.so.$ORT_VERSION"

if [[ -f "$LIBRARY" ]]; then
    echo "ONNX Runtime $ORT_VERSION is already installed: $LIBRARY"
    exit 0
fi

case "$(uname -s)" in
    Linux) ;;
    *)
        echo "error: this script installs the Linux library only; on $(uname -s)," \
            "download ONNX Runtime $ORT_VERSION and set ORT_DYLIB_PATH" >&2
        exit 1
        ;;
esac

WORK_DIR="$(mktemp -d)"
trap 'rm -rf "$WORK_DIR"' EXIT

echo "Downloading the onnxruntime==$ORT_VERSION wheel with pip"
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --dest "$WORK_DIR" "onnxruntime==$ORT_VERSION"

shopt -s nullglob
wheels=("$WORK_DIR"/onnxruntime-"$ORT_VERSION"-*.whl)
if [[ ${#wheels[@]} -ne 1 ]]; then
    echo "error: expected one onnxruntime $ORT_VERSION wheel in $WORK_DIR, found ${#wheels[@]}" >&2
    exit 1
fi

# A wheel is a zip archive. Python's zipfile module extracts it, so the
# script needs no `unzip` binary.
python3 - "${wheels[0]}" "$WORK_DIR/extracted" <<'PY'
import sys, zipfile
wheel, destination = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist()
               if m.startswith("onnxruntime/capi/libonnxruntime.so")]
    if not members:
        sys.exit(f"error: {wheel} contains no onnxruntime/capi/libonnxruntime.so*")
    for member in members:
        archive.extract(member, destination)
PY

mkdir -p "$CACHE_DIR"
for extracted in "$WORK_DIR"/extracted/onnxruntime/capi/libonnxruntime.so*; do
    name="$(basename "$extracted")"
    # Copy to a temporary name in the cache folder, then rename, so that an
    # interrupted run never leaves a partial library under the final name.
    cp "$extracted" "$CACHE_DIR/.$name.tmp"
    mv "$CACHE_DIR/.$name.tmp" "$CACHE_DIR/$name"
done

if [[ ! -f "$LIBRARY" ]]; then
    echo "error: the wheel did not contain libonnxruntime.so.$ORT_VERSION" >&2
    exit 1
fi
echo "Installed ONNX Runtime $ORT_VERSION: $LIBRARY"
