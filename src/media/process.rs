//! Image processing, off the request path and off the HTTP workers: a thread of its own claims
//! uploaded images one at a time, applies their orientation, drops every piece of metadata (GPS
//! first: each variant is encoded anew from pixels, so nothing of the upload's EXIF, XMP or ICC
//! travels), and writes the variants and a placeholder colour.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader, Limits};

use super::model::StoredVariant;
use super::repo::{self, Processed};
use super::sniff::FileType;
use super::store::Store;
use crate::db::{self, Database};
use crate::metrics::Metrics;

/// The widths a portal's `srcset` needs; an image is never made larger than it is.
pub const WIDTHS: [u32; 5] = [320, 640, 1024, 1600, 2400];
/// Larger images are refused from their header, before a pixel is decoded (decompression bombs).
pub const MAX_PIXELS: u64 = 60_000_000;
pub const MAX_SIDE: u32 = 20_000;

/// Why an image's header says it is too large to decode, if it does.
pub fn too_large(width: u32, height: u32) -> Option<String> {
    (u64::from(width) * u64::from(height) > MAX_PIXELS || width > MAX_SIDE || height > MAX_SIDE).then(|| {
        format!(
            "is {width} x {height} pixels; images may have at most {} megapixels and {MAX_SIDE} pixels a side",
            MAX_PIXELS / 1_000_000
        )
    })
}

/// The width and height an image's header claims, without decoding it.
pub fn dimensions(path: &std::path::Path) -> Result<(u32, u32), String> {
    ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| e.to_string())?
        .into_dimensions()
        .map_err(|e| format!("is not a readable image: {e}"))
}

/// Makes the variants of one image.
pub fn process(store: &Store, bytes: &[u8], kind: FileType) -> Result<Processed, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + (64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot decode the image: {e}"))?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode the image: {e}"))?;
    image.apply_orientation(orientation);
    let (width, height) = image.dimensions();
    // The original's format (a GIF's first frame becomes a PNG); WebP originals only in WebP.
    let own = match kind {
        FileType::Jpeg => Some(("jpg", "image/jpeg")),
        FileType::Png | FileType::Gif => Some(("png", "image/png")),
        _ => None,
    };
    let mut sizes: Vec<u32> = WIDTHS.into_iter().filter(|w| *w < width).collect();
    sizes.push(width);
    sizes.reverse();
    let mut variants = Vec::new();
    let mut current = image;
    for (i, w) in sizes.iter().enumerate() {
        if i > 0 {
            let h = ((u64::from(height) * u64::from(*w)) / u64::from(width)).max(1) as u32;
            current = current.resize_exact(*w, h, FilterType::Triangle);
        }
        let name = if i == 0 { "full".to_owned() } else { format!("w{w}") };
        variants.push(encode(store, &current, &name, "webp", "image/webp")?);
        if let Some((ext, media_type)) = own {
            variants.push(encode(store, &current, &name, ext, media_type)?);
        }
    }
    let pixel = current.resize_exact(1, 1, FilterType::Triangle).to_rgb8();
    let [r, g, b] = pixel.get_pixel(0, 0).0;
    variants.sort_by_key(|v| (v.width, v.name.clone()));
    Ok(Processed {
        width: width as i32,
        height: height as i32,
        variants,
        placeholder: format!("#{r:02x}{g:02x}{b:02x}"),
        taken_at: taken_at(bytes),
    })
}

/// When the photo was taken, from its EXIF `DateTimeOriginal` (with `OffsetTimeOriginal` when the
/// camera wrote one; Vietnam's time otherwise), in UTC.
fn taken_at(bytes: &[u8]) -> Option<chrono::NaiveDateTime> {
    let exif = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)).ok()?;
    let ascii = |tag| match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(parts) => parts.first().cloned(),
        _ => None,
    };
    let when = exif::DateTime::from_ascii(&ascii(exif::Tag::DateTimeOriginal)?).ok()?;
    let local = chrono::NaiveDate::from_ymd_opt(i32::from(when.year), u32::from(when.month), u32::from(when.day))?
        .and_hms_opt(u32::from(when.hour), u32::from(when.minute), u32::from(when.second))?;
    let offset_minutes = ascii(exif::Tag::OffsetTimeOriginal)
        .and_then(|o| {
            let text = String::from_utf8(o).ok()?;
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let (h, m) = text.trim_start_matches(['+', '-']).split_once(':')?;
            Some(sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
        })
        .unwrap_or(7 * 60);
    Some(local - chrono::Duration::minutes(offset_minutes))
}

fn encode(
    store: &Store,
    image: &DynamicImage,
    name: &str,
    ext: &str,
    media_type: &str,
) -> Result<StoredVariant, String> {
    let bytes = match ext {
        "webp" => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            let encoder = webp::Encoder::from_image(&rgba).map_err(|e| format!("cannot encode WebP: {e}"))?;
            encoder.encode(80.0).to_vec()
        }
        "jpg" => {
            let mut out = Vec::new();
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
            image.to_rgb8().write_with_encoder(encoder).map_err(|e| format!("cannot encode JPEG: {e}"))?;
            out
        }
        _ => {
            let mut out = Cursor::new(Vec::new());
            image.write_to(&mut out, image::ImageFormat::Png).map_err(|e| format!("cannot encode PNG: {e}"))?;
            out.into_inner()
        }
    };
    let address = store.put(&bytes).map_err(|e| format!("cannot store a variant: {e}"))?;
    Ok(StoredVariant {
        name: format!("{name}.{ext}"),
        address,
        width: Some(image.width() as i32),
        height: Some(image.height() as i32),
        media_type: media_type.to_owned(),
        size: bytes.len() as i64,
    })
}

/// Starts the processing thread.
pub fn start(db: Database, store: Store, metrics: Option<Arc<Metrics>>) {
    let spawned = std::thread::Builder::new().name("muni-media".into()).spawn(move || {
        let mut failing = false;
        loop {
            let result = run_once(&db, &store);
            if let Some(metrics) = &metrics {
                metrics.background_run("media", result.is_ok());
            }
            match &result {
                Err(e) if !failing => log::error!("media processing: {e}"),
                _ => {}
            }
            failing = result.is_err();
            if !matches!(result, Ok(true)) {
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start the media thread: {e}");
    }
}

/// Processes one waiting image, if there is one; whether there was.
fn run_once(db: &Database, store: &Store) -> Result<bool, String> {
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let until = db::now() + chrono::Duration::minutes(5);
    let Some(row) = repo::claim_next(&mut conn, db::now(), until).map_err(|e| e.to_string())? else { return Ok(false) };
    drop(conn);
    let started = std::time::Instant::now();
    let kind = match row.media_type.as_str() {
        "image/jpeg" => FileType::Jpeg,
        "image/png" => FileType::Png,
        "image/gif" => FileType::Gif,
        _ => FileType::WebP,
    };
    let result = match store.read(&row.sha256) {
        Ok(bytes) => process(store, &bytes, kind),
        Err(e) => Err(format!("the upload is not in the store: {e}")),
    };
    log::info!(
        "processed media {} in {} ms: {}",
        row.id,
        started.elapsed().as_millis(),
        result.as_ref().map_or_else(|e| e.clone(), |p| format!("{} variants", p.variants.len()))
    );
    let mut conn = db.get().map_err(|e| e.to_string())?;
    repo::finish(&mut conn, &row, result).map_err(|e| e.to_string())?;
    Ok(true)
}
