//! The demo's photos, drawn here (nothing is downloaded): a street of the ward under a sky whose
//! colours come from the picture's name, so that each demo cover and inline image is a real file
//! of the media library and answers 200.

use std::collections::HashMap;

use image::{Rgb, RgbImage};

use crate::db::DbConn;
use crate::error::ApiError;
use crate::media::store::Store;

/// A JPEG, `width` x `height`, different for every `name`.
pub fn demo_photo(name: &str, width: u32, height: u32) -> Vec<u8> {
    let seed = name.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    let channel = |shift: u32, low: u32| (low + (seed >> shift) % (256 - low)) as u8;
    let sky = [channel(0, 90), channel(8, 120), channel(16, 160)];
    let ground = [channel(4, 40) / 2 + 40, channel(12, 60) / 2 + 50, channel(20, 30) / 2 + 30];
    let horizon = height * 3 / 5;
    let mut image = RgbImage::from_fn(width, height, |_, y| {
        if y < horizon {
            let t = y as f32 / horizon as f32;
            Rgb(sky.map(|c| (f32::from(c) * (1.0 - 0.35 * t)) as u8))
        } else {
            Rgb(ground)
        }
    });
    // Houses along the street, with lit windows.
    let mut x = 0;
    let mut i = 0u32;
    while x < width {
        let w = width / 12 + (seed.rotate_left(i) % (width / 10).max(1));
        let h = height / 6 + (seed.rotate_right(i * 3) % (height / 4).max(1));
        let wall = Rgb([200 - (i * 23 % 90) as u8, 170 - (i * 37 % 80) as u8, 140 - (i * 11 % 70) as u8]);
        for px in x..(x + w).min(width) {
            for py in horizon.saturating_sub(h)..horizon {
                let window =
                    (px - x) % 24 > 8 && (px - x) % 24 < 18 && (horizon - py) % 30 > 10 && (horizon - py) % 30 < 22;
                image.put_pixel(px, py, if window { Rgb([250, 230, 150]) } else { wall });
            }
        }
        x += w + width / 60;
        i += 1;
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .expect("encoding a JPEG in memory");
    out
}

/// Adds every `/media/demo/<name>.jpg` the demo articles name (covers and inline images) to the
/// site's library, with its alt text; returns, by that path, the item's id and its URL.
pub fn add_demo_photos(
    conn: &mut DbConn,
    store: &Store,
    site_id: i64,
    wanted: &[(String, Option<String>)],
) -> Result<HashMap<String, (i64, String)>, ApiError> {
    let mut added = HashMap::new();
    for (path, alt) in wanted {
        if added.contains_key(path) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let bytes = demo_photo(name, 1000, 667);
        let (row, url) = crate::media::add_file(conn, store, site_id, name, &bytes, alt.as_deref())?;
        added.insert(path.clone(), (row.id, url));
    }
    Ok(added)
}

/// The demo images an article's body shows: (path, alt text).
pub fn inline_images(body: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for tag in body.split("<img").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let attribute = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            tag[start..].split('"').next().map(str::to_owned)
        };
        if let Some(src) = attribute("src").filter(|s| s.starts_with("/media/demo/")) {
            found.push((src, attribute("alt")));
        }
    }
    found
}
