//! `.npy` reading and writing, checked against files written by `numpy.save`.

mod common;

use ae_data::{read_npy_f32, write_npy_f32};
use common::{error_text, fixture, write_file};

/// Decodes the data of a NumPy v1.0 file with a 128-byte header, independently of the crate.
fn raw_values(bytes: &[u8]) -> Vec<f32> {
    bytes[128..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn numpy_fixture_reads() {
    let path = fixture("linear.encoder.ts17.output.npy");
    let bytes = std::fs::read(&path).unwrap();

    let (shape, values) = read_npy_f32(&path).unwrap();

    assert_eq!(shape, [16, 3]);
    assert_eq!(values, raw_values(&bytes));
    assert!(values.iter().all(|v| v.is_finite()));
}

#[test]
fn numpy_fixture_rewrites_identically() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "linear.encoder.ts17.output.npy",
        "conv.encoder.ts17.output.npy",
    ] {
        let original = std::fs::read(fixture(name)).unwrap();
        let (shape, values) = read_npy_f32(&fixture(name)).unwrap();
        let path = dir.path().join(name);

        write_npy_f32(&path, &shape, &values).unwrap();

        // numpy.save wrote the fixtures, so equal bytes mean an identical header layout.
        assert_eq!(std::fs::read(&path).unwrap(), original, "{name}");
    }
}

#[test]
fn four_dimensional_fixture_reads() {
    let (shape, values) = read_npy_f32(&fixture("conv.encoder.ts17.output.npy")).unwrap();

    assert_eq!(shape, [16, 64, 1, 1]);
    assert_eq!(values.len(), 16 * 64);
}

#[test]
fn round_trip_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[usize], Vec<f32>); 5] = [
        (&[], vec![3.5]),
        (&[5], vec![0.0, -1.0, 1e-30, f32::MAX, f32::NEG_INFINITY]),
        (&[2, 3], (0..6).map(|i| i as f32 * 0.25).collect()),
        (&[0, 7], vec![]),
        (&[2, 1, 2, 1], vec![1.0, 2.0, 3.0, 4.0]),
    ];

    for (shape, data) in cases {
        let path = dir.path().join("array.npy");
        write_npy_f32(&path, shape, &data).unwrap();

        let bytes = std::fs::read(&path).unwrap();
        let (read_shape, read_data) = read_npy_f32(&path).unwrap();

        assert_eq!(read_shape, shape);
        assert_eq!(read_data, data);
        let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
        assert_eq!((10 + header_len) % 64, 0, "shape {shape:?}");
        assert_eq!(bytes[9 + header_len], b'\n', "shape {shape:?}");
    }
}

#[test]
fn header_spells_shape_like_python() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("array.npy");

    write_npy_f32(&path, &[5], &[0.0; 5]).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"));
}

#[test]
fn version_2_and_3_read() {
    let dir = tempfile::tempdir().unwrap();
    let dict = b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    for major in [2u8, 3] {
        let mut bytes = b"\x93NUMPY".to_vec();
        bytes.extend_from_slice(&[major, 0]);
        bytes.extend_from_slice(&(dict.len() as u32).to_le_bytes());
        bytes.extend_from_slice(dict);
        bytes.extend_from_slice(&1.5f32.to_le_bytes());
        bytes.extend_from_slice(&(-2.0f32).to_le_bytes());
        let path = write_file(dir.path(), "array.npy", &bytes);

        let (shape, values) = read_npy_f32(&path).unwrap();

        assert_eq!(shape, [2], "version {major}");
        assert_eq!(values, [1.5, -2.0], "version {major}");
    }
}

/// Builds a version 1.0 file from a header dict and data bytes.
fn npy_v1(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let header = format!("{dict}\n");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn other_dtypes_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for descr in ["<f8", ">f4", "<i4", "|u1"] {
        let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}");
        let path = write_file(dir.path(), "array.npy", &npy_v1(&dict, &[0; 8]));

        let message = error_text(read_npy_f32(&path));

        let expected = format!(
            "{}: unsupported .npy dtype '{descr}': only little-endian float32 ('<f4') is \
             supported; save the array with arr.astype('<f4')",
            path.display()
        );
        assert_eq!(message, expected);
    }
}

#[test]
fn structured_dtype_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let dict = "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }";
    let path = write_file(dir.path(), "array.npy", &npy_v1(dict, &[0; 4]));

    let message = error_text(read_npy_f32(&path));

    assert!(
        message.contains("unsupported .npy dtype '[('x', '<f4')]'"),
        "{message}"
    );
}

#[test]
fn fortran_order_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
    let path = write_file(dir.path(), "array.npy", &npy_v1(dict, &[0; 16]));

    let message = error_text(read_npy_f32(&path));

    let expected = format!(
        "{}: unsupported .npy layout: fortran_order is True; \
         save the array with numpy.ascontiguousarray",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn data_length_mismatch_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    let short = write_file(dir.path(), "short.npy", &npy_v1(dict, &[0; 20]));
    let long = write_file(dir.path(), "long.npy", &npy_v1(dict, &[0; 28]));

    let short_message = error_text(read_npy_f32(&short));
    let long_message = error_text(read_npy_f32(&long));

    let expected = format!(
        "{}: invalid .npy file: shape 2x3 needs 24 bytes of data but 20 follow the header; \
         save it again with numpy.save",
        short.display()
    );
    assert_eq!(short_message, expected);
    assert!(
        long_message.contains("needs 24 bytes of data but 28 follow"),
        "{long_message}"
    );
}

#[test]
fn malformed_files_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>, &str); 7] = [
        ("empty.npy", vec![], "missing the \\x93NUMPY magic string"),
        (
            "text.npy",
            b"just some text here".to_vec(),
            "missing the \\x93NUMPY magic string",
        ),
        (
            "version.npy",
            b"\x93NUMPY\x04\x00\x00\x00".to_vec(),
            "unsupported format version 4.0",
        ),
        (
            "cut.npy",
            b"\x93NUMPY\x01\x00\x40\x00{'descr'".to_vec(),
            "header declares 64 bytes",
        ),
        (
            "keys.npy",
            npy_v1("{'descr': '<f4'}", &[]),
            "header lacks one of the keys",
        ),
        (
            "shape.npy",
            npy_v1(
                "{'descr': '<f4', 'fortran_order': False, 'shape': 'abc'}",
                &[],
            ),
            "header key 'shape' has an invalid value 'abc'",
        ),
        (
            "order.npy",
            npy_v1("{'descr': '<f4', 'fortran_order': (1,), 'shape': ()}", &[]),
            "header key 'fortran_order' has an invalid value (1,)",
        ),
    ];

    for (name, bytes, problem) in cases {
        let path = write_file(dir.path(), name, &bytes);

        let message = error_text(read_npy_f32(&path));

        assert!(
            message.starts_with(&format!("{}: invalid .npy file: ", path.display())),
            "{message}"
        );
        assert!(message.contains(problem), "{message}");
    }
}

#[test]
fn write_shape_mismatch_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("array.npy");

    let message = error_text(write_npy_f32(&path, &[2, 3], &[0.0; 5]));

    let expected = format!(
        "{}: cannot write .npy: shape 2x3 has 6 values but 5 were given",
        path.display()
    );
    assert_eq!(message, expected);
    assert!(!path.exists());
}

#[test]
fn missing_npy_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.npy");

    let message = error_text(read_npy_f32(&path));

    assert_eq!(
        message,
        format!("{}: file not found; check the path", path.display())
    );
}
