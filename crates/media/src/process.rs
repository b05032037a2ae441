//! From uploaded bytes to the files that are kept: nothing of the upload is stored as it came.
//!
//! The type comes from the bytes alone. The image is decoded under limits set from its header
//! (so a small file that claims a huge canvas is refused before any pixel is allocated), turned
//! upright by its EXIF orientation, and re-encoded. Re-encoding keeps pixels only: EXIF with its
//! GPS position and camera serial, ICC chunks, comments and whatever a polyglot file carries
//! after the image are all left behind.

use enishi_core::media::{ORIGINAL_MAX_SIDE, PREVIEW_MAX_SIDE};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// How big an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessLimits {
    /// Largest upload, in bytes (default 10 MiB).
    pub max_bytes: usize,
    /// Largest decoded image, in pixels (default 40 megapixels).
    pub max_pixels: u64,
}

impl Default for ProcessLimits {
    fn default() -> Self {
        ProcessLimits {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
        }
    }
}

/// Why an upload was refused. The messages are written for the person uploading.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// More bytes than [`ProcessLimits::max_bytes`].
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    /// Not one of the accepted formats (SVG among them: it can carry scripts).
    #[error("the file is not a JPEG, PNG, WebP or GIF image")]
    Unsupported,
    /// The image's canvas is larger than [`ProcessLimits::max_pixels`].
    #[error("the image is {width}×{height} pixels; at most {max} pixels are accepted")]
    TooManyPixels {
        /// As its header says.
        width: u32,
        /// As its header says.
        height: u32,
        /// The limit.
        max: u64,
    },
    /// Truncated or malformed.
    #[error("the image could not be read: {0}")]
    Broken(String),
}

/// The files made from an upload.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The re-encoded image.
    pub original: Vec<u8>,
    /// Its thumbnail.
    pub preview: Vec<u8>,
    /// `image/jpeg` or `image/png` (both files).
    pub content_type: &'static str,
    /// Pixels of `original`.
    pub width: u32,
    /// Pixels of `original`.
    pub height: u32,
    /// Pixels of `preview`.
    pub preview_width: u32,
    /// Pixels of `preview`.
    pub preview_height: u32,
    /// BlurHash of the image (4×3 components, as Mastodon makes them).
    pub blurhash: String,
}

/// Checks, decodes and re-encodes an upload. CPU-bound: callers run it off the async threads.
pub fn process(bytes: &[u8], limits: &ProcessLimits) -> Result<Processed, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge(limits.max_bytes));
    }
    let format = image::guess_format(bytes).map_err(|_| MediaError::Unsupported)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif
    ) {
        return Err(MediaError::Unsupported);
    }
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        // The decoder would fill a cut-off photo with grey; the person meant to send all of it.
        return Err(MediaError::Broken(
            "the JPEG ends before its image data does (the file is truncated)".into(),
        ));
    }
    let broken = |e: image::ImageError| MediaError::Broken(e.to_string());
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(broken)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max: limits.max_pixels,
        });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // 16-bit RGBA at the largest accepted canvas, plus room for the decoder's own buffers.
    decode_limits.max_alloc = Some(limits.max_pixels * 8 + 64 * 1024 * 1024);
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(broken)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(broken)?;
    img.apply_orientation(orientation);

    // Photos become JPEG; anything that may need sharp edges or transparency becomes PNG.
    let png = format == ImageFormat::Png || format == ImageFormat::Gif || img.color().has_alpha();
    let img = fit(img, ORIGINAL_MAX_SIDE);
    let preview = fit_fast(&img, PREVIEW_MAX_SIDE);
    let blurhash = blurhash_of(&preview)?;
    Ok(Processed {
        original: encode(&img, png)?,
        preview: encode(&preview, png)?,
        content_type: if png { "image/png" } else { "image/jpeg" },
        width: img.width(),
        height: img.height(),
        preview_width: preview.width(),
        preview_height: preview.height(),
        blurhash,
    })
}

/// Whether a JPEG's last scan is followed by its end-of-image marker. Entropy-coded data never
/// holds `FF DA` or `FF D9` (a data byte `FF` is always followed by `00` or a restart marker),
/// so the last `FF DA` starts the last scan, and a whole file has `FF D9` after it. Anything
/// after that marker (a polyglot's payload) is ignored and not kept.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xff, 0xda]);
    last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xff, 0xd9]))
}

/// Shrinks `img` to at most `side` pixels on its long side (never enlarges). Area averaging
/// in integers (`thumbnail`) rather than a filtered resize: for a 12-megapixel photo the
/// filtered one held a float copy of the image (over 100 MB) and took most of the time.
fn fit(img: DynamicImage, side: u32) -> DynamicImage {
    if img.width().max(img.height()) <= side {
        return img;
    }
    img.thumbnail(side, side)
}

fn fit_fast(img: &DynamicImage, side: u32) -> DynamicImage {
    if img.width().max(img.height()) <= side {
        return img.clone();
    }
    img.thumbnail(side, side)
}

fn encode(img: &DynamicImage, png: bool) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let failed = |e: image::ImageError| MediaError::Broken(e.to_string());
    // 8-bit RGB(A) is encoded as it is; anything else (16-bit, grey, …) is converted first.
    if png {
        match img {
            DynamicImage::ImageRgba8(_) | DynamicImage::ImageRgb8(_) => {
                img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            }
            _ if img.color().has_alpha() => DynamicImage::ImageRgba8(img.to_rgba8())
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png),
            _ => DynamicImage::ImageRgb8(img.to_rgb8())
                .write_to(&mut Cursor::new(&mut out), ImageFormat::Png),
        }
        .map_err(failed)?;
    } else {
        let mut jpeg = JpegEncoder::new_with_quality(&mut out, 85);
        match img.as_rgb8() {
            Some(rgb) => jpeg.encode_image(rgb),
            None => jpeg.encode_image(&img.to_rgb8()),
        }
        .map_err(failed)?;
    }
    Ok(out)
}

fn blurhash_of(img: &DynamicImage) -> Result<String, MediaError> {
    let small = img.thumbnail(32, 32).to_rgba8();
    blurhash::encode(4, 3, small.width(), small.height(), small.as_raw())
        .map_err(|e| MediaError::Broken(format!("blurhash: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .unwrap();
        out
    }

    fn png_rgba(w: u32, h: u32) -> Vec<u8> {
        let img = RgbaImage::from_pixel(w, h, Rgba([10, 20, 30, 128]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_is_shrunk_and_thumbnailed() {
        let p = process(&jpeg(3000, 1500), &ProcessLimits::default()).unwrap();
        assert_eq!(p.content_type, "image/jpeg");
        assert_eq!((p.width, p.height), (2560, 1280));
        assert_eq!((p.preview_width, p.preview_height), (480, 240));
        assert_eq!(image::guess_format(&p.original).unwrap(), ImageFormat::Jpeg);
        assert_eq!(image::guess_format(&p.preview).unwrap(), ImageFormat::Jpeg);
        assert!(p.blurhash.len() >= 20, "{}", p.blurhash);
    }

    #[test]
    fn transparency_keeps_png() {
        let p = process(&png_rgba(100, 50), &ProcessLimits::default()).unwrap();
        assert_eq!(p.content_type, "image/png");
        assert_eq!((p.width, p.height), (100, 50));
        let back = image::load_from_memory(&p.original).unwrap();
        assert!(back.color().has_alpha());
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let limits = ProcessLimits::default();
        assert_eq!(process(b"", &limits).unwrap_err(), MediaError::Empty);
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(process(svg, &limits).unwrap_err(), MediaError::Unsupported);
        let small = ProcessLimits {
            max_bytes: 100,
            ..limits
        };
        assert_eq!(
            process(&jpeg(64, 64), &small).unwrap_err(),
            MediaError::TooLarge(100)
        );
        let photo = jpeg(256, 256);
        assert!(matches!(
            process(&photo[..photo.len() * 2 / 3], &limits),
            Err(MediaError::Broken(_))
        ));
        let whole = png_rgba(256, 256);
        assert!(matches!(
            process(&whole[..whole.len() / 2], &limits),
            Err(MediaError::Broken(_))
        ));
        let few = ProcessLimits {
            max_pixels: 1_000,
            ..limits
        };
        assert!(matches!(
            process(&jpeg(64, 64), &few).unwrap_err(),
            MediaError::TooManyPixels {
                width: 64,
                height: 64,
                ..
            }
        ));
    }
}
