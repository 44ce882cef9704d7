//! What a file is, decided by its bytes alone: never by its name or the type a client declares.

use std::io::{Read, Seek};

/// A kind of file muni accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Jpeg,
    Png,
    Gif,
    WebP,
    Pdf,
    Docx,
    Xlsx,
    Odt,
    Ods,
    Doc,
    Xls,
}

/// What the media library accepts, for the answer that refuses anything else.
pub const ACCEPTED: &str = "JPEG, PNG, GIF, WebP images; PDF, DOCX, XLSX, ODT, ODS, DOC and XLS documents";

impl FileType {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::WebP => "image/webp",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Ods => "application/vnd.oasis.opendocument.spreadsheet",
            Self::Doc => "application/msword",
            Self::Xls => "application/vnd.ms-excel",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::WebP => "webp",
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Odt => "odt",
            Self::Ods => "ods",
            Self::Doc => "doc",
            Self::Xls => "xls",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, Self::Jpeg | Self::Png | Self::Gif | Self::WebP)
    }

    pub fn from_extension(ext: &str) -> Option<Self> {
        [
            Self::Jpeg,
            Self::Png,
            Self::Gif,
            Self::WebP,
            Self::Pdf,
            Self::Docx,
            Self::Xlsx,
            Self::Odt,
            Self::Ods,
            Self::Doc,
            Self::Xls,
        ]
        .into_iter()
        .find(|t| t.extension() == ext)
    }
}

/// Whether `head` (a file's first bytes) is a HEIF container: an iPhone's HEIC photo or an AVIF
/// image. Neither is decoded here (no decoder in Rust without a C library), so they are refused
/// with a way out rather than as unknown files.
pub fn is_heif(head: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 10] =
        [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"];
    head.len() >= 12 && &head[4..8] == b"ftyp" && BRANDS.iter().any(|b| &head[8..12] == *b)
}

/// Whether `file` is a HEIF container (see [`is_heif`]), read from its start.
pub fn is_heif_file<R: Read + Seek>(file: &mut R) -> bool {
    let mut head = [0u8; 12];
    file.rewind().is_ok() && file.read_exact(&mut head).is_ok() && is_heif(&head)
}

/// What `file` is, from its first bytes and, for containers (ZIP, OLE2), its table of contents.
pub fn sniff<R: Read + Seek>(file: &mut R) -> Option<FileType> {
    let mut head = [0u8; 16];
    let n = read_up_to(file, &mut head).ok()?;
    let head = &head[..n];
    file.rewind().ok()?;
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileType::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(FileType::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(FileType::Gif);
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(FileType::WebP);
    }
    if head.starts_with(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return zip_type(file);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return ole_type(file);
    }
    None
}

fn read_up_to<R: Read>(file: &mut R, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Office Open XML and OpenDocument are ZIP files: their parts say which.
fn zip_type<R: Read + Seek>(file: &mut R) -> Option<FileType> {
    let mut archive = zip::ZipArchive::new(file).ok()?;
    if let Ok(mut entry) = archive.by_name("mimetype") {
        let mut mimetype = String::new();
        entry.by_ref().take(100).read_to_string(&mut mimetype).ok()?;
        return match mimetype.trim() {
            "application/vnd.oasis.opendocument.text" => Some(FileType::Odt),
            "application/vnd.oasis.opendocument.spreadsheet" => Some(FileType::Ods),
            _ => None,
        };
    }
    let names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.to_string())).collect();
    if !names.iter().any(|n| n == "[Content_Types].xml") {
        return None;
    }
    if names.iter().any(|n| n == "word/document.xml") {
        Some(FileType::Docx)
    } else if names.iter().any(|n| n == "xl/workbook.xml") {
        Some(FileType::Xlsx)
    } else {
        None
    }
}

/// Word 97 and Excel 97 files are OLE2 compound files: the name of the main stream says which
/// (`WordDocument`, `Workbook` or `Book`, in UTF-16 in the directory).
fn ole_type<R: Read + Seek>(file: &mut R) -> Option<FileType> {
    let mut bytes = Vec::new();
    file.take(8 * 1024 * 1024).read_to_end(&mut bytes).ok()?;
    let utf16 = |name: &str| name.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let has = |name: &str| bytes.windows(name.len() * 2).any(|w| w == utf16(name).as_slice());
    if has("WordDocument") {
        Some(FileType::Doc)
    } else if has("Workbook") || has("Book\0") {
        Some(FileType::Xls)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    fn sniffed(bytes: &[u8]) -> Option<FileType> {
        sniff(&mut Cursor::new(bytes.to_vec()))
    }

    #[test]
    fn heic_and_avif_are_told_apart_from_other_iso_media() {
        assert!(is_heif(b"\0\0\0\x18ftypheic\0\0\0\0"));
        assert!(is_heif(b"\0\0\0\x1cftypavif\0\0\0\0"));
        assert!(!is_heif(b"\0\0\0\x18ftypisom\0\0\0\0"), "an MP4 video is not a photo");
        assert!(!is_heif(b"ftypheic"), "too short to be one");
        assert_eq!(sniffed(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), None);
        let mut file = Cursor::new(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec());
        file.set_position(9);
        assert!(is_heif_file(&mut file), "read from the start, wherever the sniffing left off");
    }

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, content) in entries {
            writer
                .start_file(
                    *name,
                    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
                )
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn images_and_pdf_by_their_signatures() {
        assert_eq!(sniffed(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(FileType::Jpeg));
        assert_eq!(sniffed(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(FileType::Png));
        assert_eq!(sniffed(b"GIF89a\x01\0\x01\0"), Some(FileType::Gif));
        assert_eq!(sniffed(b"RIFF\x24\0\0\0WEBPVP8 "), Some(FileType::WebP));
        assert_eq!(sniffed(b"%PDF-1.7\n"), Some(FileType::Pdf));
    }

    #[test]
    fn executables_html_and_svg_are_nothing_we_accept() {
        assert_eq!(sniffed(b"\x7fELF\x02\x01\x01\0"), None);
        assert_eq!(sniffed(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniffed(b"<!DOCTYPE html><script>"), None);
        assert_eq!(sniffed(b"<svg xmlns=\"http://www.w3.org/2000/svg\">"), None);
        assert_eq!(sniffed(b""), None);
        // A ZIP that is no office document.
        assert_eq!(sniffed(&zip_with(&[("payload.exe", b"MZ")])), None);
    }

    #[test]
    fn office_documents_by_their_parts() {
        let docx = zip_with(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]);
        assert_eq!(sniffed(&docx), Some(FileType::Docx));
        let xlsx = zip_with(&[("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")]);
        assert_eq!(sniffed(&xlsx), Some(FileType::Xlsx));
        let odt = zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")]);
        assert_eq!(sniffed(&odt), Some(FileType::Odt));
        let ods = zip_with(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet")]);
        assert_eq!(sniffed(&ods), Some(FileType::Ods));
        let mut doc = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        doc.extend("WordDocument".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniffed(&doc), Some(FileType::Doc));
        let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        xls.extend("Workbook".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniffed(&xls), Some(FileType::Xls));
    }
}
