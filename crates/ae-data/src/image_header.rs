//! Reading of the declared width and height from PNG, JPEG and BMP headers.
//!
//! The decoders of the `image` crate reject an image with zero width or height as a generic
//! format error. Reading the header first lets [`crate::load_digit`] report the zero size itself.

use ::image::ImageFormat;

/// Returns the width and height that the file header declares, or `None` if the header is
/// too short or malformed (the decoder then reports the problem).
pub(crate) fn declared_size(format: ImageFormat, bytes: &[u8]) -> Option<(u32, u32)> {
    match format {
        ImageFormat::Png => png_size(bytes),
        ImageFormat::Jpeg => jpeg_size(bytes),
        ImageFormat::Bmp => bmp_size(bytes),
        _ => None,
    }
}

/// Reads the IHDR chunk, which must follow the 8-byte signature: length, "IHDR", width, height.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
}

/// Walks the JPEG markers up to the first start-of-frame segment, which contains precision (1
/// byte), height (2) and width (2) after its length.
fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut position = 2; // after the SOI marker FF D8
    loop {
        if *bytes.get(position)? != 0xff {
            return None;
        }
        let marker = *bytes.get(position + 1)?;
        position += 2;
        match marker {
            // Fill byte before a marker.
            0xff => position -= 1,
            // Markers without a length field: TEM and RST0..RST7.
            0x01 | 0xd0..=0xd7 => {}
            // Start of scan: the frame header would have come before.
            0xda => return None,
            // Markers C0..CF start a frame, except C4 (Huffman tables), C8 (reserved) and CC
            // (arithmetic coding conditioning).
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let height = be_u16(bytes, position + 3)?;
                let width = be_u16(bytes, position + 5)?;
                return Some((u32::from(width), u32::from(height)));
            }
            _ => position += usize::from(be_u16(bytes, position)?),
        }
    }
}

/// Reads the DIB header after the 14-byte file header. The 12-byte OS/2 core header stores u16
/// sides, later headers i32 sides, where a negative height means top-down row order.
fn bmp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let dib_len = u32::from_le_bytes(bytes.get(14..18)?.try_into().ok()?);
    if dib_len == 12 {
        let width = u16::from_le_bytes(bytes.get(18..20)?.try_into().ok()?);
        let height = u16::from_le_bytes(bytes.get(20..22)?.try_into().ok()?);
        return Some((u32::from(width), u32::from(height)));
    }
    let width = i32::from_le_bytes(bytes.get(18..22)?.try_into().ok()?);
    let height = i32::from_le_bytes(bytes.get(22..26)?.try_into().ok()?);
    Some((width.unsigned_abs(), height.unsigned_abs()))
}

fn be_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}
