#!/usr/bin/env python3
"""Check an ONNX model with the ONNX checker and against expected outputs in ONNX Runtime.

The script loads MODEL.onnx and runs ``onnx.checker.check_model(model, full_check=True)``.
It then runs the model with ONNX Runtime's CPUExecutionProvider on the float32 array in
``--input``. The chosen output passes when it has the shape of the array in ``--expected`` and
differs from it by at most ``--atol`` in every element; with ``--scaled`` the difference of each
element is divided by max(1, |expected|) first, which keeps the same number of significant
digits for latent codes of magnitude up to about 30.

Prints one line of JSON with ``"ok": true`` and the measured difference, or ``"ok": false`` and
the reason, and exits with status 0 on success and 1 on failure (2 for invalid arguments).

Run ``scripts/setup-python.sh`` first, then for example::

    .venv/bin/python tests/python/check_onnx.py model.onnx --input in.npy --expected out.npy
"""

import argparse
import json
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="ONNX model file to check")
    parser.add_argument("--input", required=True, help="float32 .npy array fed to the model")
    parser.add_argument("--expected", required=True, help=".npy array the output must match")
    parser.add_argument(
        "--input-name",
        help="graph input that --input feeds (default: the model's only input)",
    )
    parser.add_argument(
        "--output-name",
        help="graph output compared with --expected (default: the model's first output)",
    )
    parser.add_argument(
        "--atol",
        type=float,
        default=1e-5,
        help="maximum allowed absolute difference per element (default: %(default)s)",
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help="divide each difference by max(1, |expected|) before comparing with --atol",
    )
    return parser.parse_args(argv)


class CheckFailed(Exception):
    """A check failed, with the stage that failed and a one-line reason."""

    def __init__(self, stage, reason):
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


def import_packages():
    try:
        import numpy
        import onnx
        import onnxruntime
    except ImportError as error:
        raise CheckFailed(
            "setup", f"{error}. Run scripts/setup-python.sh and use .venv/bin/python"
        ) from error
    return numpy, onnx, onnxruntime


def one_line(error):
    """Return the first non-empty line of an exception message."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def check_model(onnx, path):
    try:
        model = onnx.load(path)
    except Exception as error:
        raise CheckFailed("load", f"{path}: failed to load: {one_line(error)}") from error
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:
        raise CheckFailed("checker", f"{path}: ONNX checker: {one_line(error)}") from error


def load_array(numpy, path, role):
    try:
        array = numpy.load(path, allow_pickle=False)
    except Exception as error:
        reason = f"{path}: failed to load the {role} array: {one_line(error)}"
        raise CheckFailed("load", reason) from error
    if array.dtype != numpy.float32:
        raise CheckFailed(
            "load", f"{path}: the {role} array has dtype {array.dtype}, but float32 is required"
        )
    return array


def run_model(onnxruntime, args, input_array):
    try:
        session = onnxruntime.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    except Exception as error:
        reason = f"{args.model}: ONNX Runtime failed to load the model: {one_line(error)}"
        raise CheckFailed("session", reason) from error

    input_names = [value.name for value in session.get_inputs()]
    output_names = [value.name for value in session.get_outputs()]
    if args.input_name is not None:
        input_name = args.input_name
    elif len(input_names) == 1:
        input_name = input_names[0]
    else:
        raise CheckFailed("run", f"the model has inputs {input_names}, so pass --input-name")
    if input_name not in input_names:
        raise CheckFailed("run", f"no input named {input_name!r}, the inputs are {input_names}")
    output_name = args.output_name if args.output_name is not None else output_names[0]
    if output_name not in output_names:
        reason = f"no output named {output_name!r}, the outputs are {output_names}"
        raise CheckFailed("run", reason)

    try:
        (output,) = session.run([output_name], {input_name: input_array})
    except Exception as error:
        reason = f"ONNX Runtime failed to run the model: {one_line(error)}"
        raise CheckFailed("run", reason) from error
    return output_name, output


def compare(numpy, output, expected, atol, scaled):
    if output.shape != expected.shape:
        reason = f"output shape {list(output.shape)} differs from expected {list(expected.shape)}"
        raise CheckFailed("compare", reason)
    if not numpy.all(numpy.isfinite(output)):
        raise CheckFailed("compare", "the output contains NaN or infinity")
    if not numpy.all(numpy.isfinite(expected)):
        raise CheckFailed("compare", "the expected array contains NaN or infinity")
    difference = numpy.abs(output.astype(numpy.float64) - expected.astype(numpy.float64))
    if scaled:
        difference /= numpy.maximum(1.0, numpy.abs(expected.astype(numpy.float64)))
    max_abs_diff = float(difference.max()) if difference.size else 0.0
    if max_abs_diff > atol:
        worst = numpy.unravel_index(int(numpy.argmax(difference)), difference.shape)
        index = [int(position) for position in worst]
        kind = "max scaled diff" if scaled else "max abs diff"
        reason = f"{kind} {max_abs_diff:.3g} exceeds atol {atol:g}, at index {index}"
        raise CheckFailed("compare", reason)
    return max_abs_diff


def main(argv):
    args = parse_args(argv)
    result = {"model": args.model}
    try:
        numpy, onnx, onnxruntime = import_packages()
        result["onnx"] = onnx.__version__
        result["onnxruntime"] = onnxruntime.__version__
        check_model(onnx, args.model)
        input_array = load_array(numpy, args.input, "input")
        expected = load_array(numpy, args.expected, "expected")
        output_name, output = run_model(onnxruntime, args, input_array)
        result["output"] = output_name
        result["shape"] = list(output.shape)
        result["max_abs_diff"] = compare(numpy, output, expected, args.atol, args.scaled)
        result["atol"] = args.atol
        result["scaled"] = args.scaled
    except CheckFailed as failure:
        result.update({"ok": False, "stage": failure.stage, "error": failure.reason})
        print(json.dumps(result))
        return 1
    result["ok"] = True
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
