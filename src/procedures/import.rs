//! Reading procedure records from files: JSON (an array), JSON Lines, CSV, and XLSX sheets whose
//! columns carry the Vietnamese headers of the national portal's export.

use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};

use super::model::{Document, LegalBasis, Level, Method, ProcedureRecord, RejectedRow};
use crate::error::FieldError;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    JsonLines,
    Csv,
    Xlsx,
}

impl Format {
    /// From a file name's extension.
    pub fn from_path(path: &str) -> Option<Self> {
        let lower = path.to_ascii_lowercase();
        let ext = lower.rsplit('.').next()?;
        match ext {
            "json" => Some(Self::Json),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }
}

/// A row read from the input: its number (from 1) and the record or why it could not be read.
pub type Parsed = (usize, Result<ProcedureRecord, RejectedRow>);

fn rejected(row: usize, code: Option<String>, field: &str, code_word: &str, message: String) -> RejectedRow {
    RejectedRow { row, code, errors: vec![FieldError::new(field, code_word, message)] }
}

/// Reads every row; a malformed row is rejected on its own, never the whole input (unless the
/// input as a whole cannot be read, which is the outer error).
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<Parsed>, String> {
    Ok(parse_rows(bytes, format)?
        .into_iter()
        .map(|(row, parsed)| (row, parsed.and_then(|r| no_controls(row, r))))
        .collect())
}

/// Refuses a record with a control character in any of its texts, whatever the file format.
fn no_controls(row: usize, record: ProcedureRecord) -> Result<ProcedureRecord, RejectedRow> {
    let fields =
        serde_json::to_value(&record).map(|v| crate::http::guard::value_control_fields(&v)).unwrap_or_default();
    if fields.is_empty() {
        return Ok(record);
    }
    let errors = fields
        .into_iter()
        .map(|field| FieldError::new(field, "invalid_characters", "must not contain control characters"))
        .collect();
    Err(RejectedRow { row, code: Some(record.code), errors })
}

fn parse_rows(bytes: &[u8], format: Format) -> Result<Vec<Parsed>, String> {
    match format {
        Format::Json => {
            let values: Vec<serde_json::Value> =
                serde_json::from_slice(bytes).map_err(|e| format!("the file is not a JSON array: {e}"))?;
            Ok(values.into_iter().enumerate().map(|(i, v)| (i + 1, from_json_value(i + 1, v))).collect())
        }
        Format::JsonLines => {
            let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
            Ok(text
                .lines()
                .enumerate()
                .filter(|(_, line)| !line.trim().is_empty())
                .map(|(i, line)| {
                    let row = i + 1;
                    let parsed = serde_json::from_str::<serde_json::Value>(line)
                        .map_err(|e| rejected(row, None, "row", "invalid_format", format!("not valid JSON: {e}")))
                        .and_then(|v| from_json_value(row, v));
                    (row, parsed)
                })
                .collect())
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(bytes);
            let mut rows = vec![];
            for record in reader.records() {
                let record = record.map_err(|e| format!("the CSV cannot be read: {e}"))?;
                rows.push(record.iter().map(str::to_owned).collect::<Vec<_>>());
            }
            Ok(from_table(rows))
        }
        Format::Xlsx => {
            let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
                .map_err(|e| format!("the XLSX cannot be read: {e}"))?;
            let range = workbook
                .worksheet_range_at(0)
                .ok_or_else(|| "the workbook has no sheet".to_owned())?
                .map_err(|e| format!("the first sheet cannot be read: {e}"))?;
            let rows = range.rows().map(|row| row.iter().map(|cell| cell.to_string()).collect()).collect();
            Ok(from_table(rows))
        }
    }
}

fn from_json_value(row: usize, value: serde_json::Value) -> Result<ProcedureRecord, RejectedRow> {
    let code = value.get("code").and_then(|c| c.as_str()).map(str::to_owned);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let field = if path == "." { message.split('`').nth(1).unwrap_or("row").to_owned() } else { path };
        let code_word = if message.starts_with("missing field") { "required" } else { "invalid_value" };
        RejectedRow { row, code, errors: vec![FieldError::new(field, code_word, message)] }
    })
}

/// The columns of the national portal's export, by their folded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Code,
    Name,
    Field,
    Agency,
    Applicants,
    Level,
    Methods,
    Steps,
    ProcessingTime,
    Fee,
    Charge,
    Dossier,
    Requirements,
    LegalBasis,
    Result,
}

fn column(header: &str) -> Option<Column> {
    let h = crate::text::words(&crate::text::fold(header)).collect::<Vec<_>>().join(" ");
    Some(match h.as_str() {
        "ma thu tuc" | "ma tthc" => Column::Code,
        "ten thu tuc" | "ten tthc" => Column::Name,
        "linh vuc" => Column::Field,
        "co quan thuc hien" => Column::Agency,
        "doi tuong thuc hien" => Column::Applicants,
        "muc do" | "muc do dvc" | "muc do dich vu cong" => Column::Level,
        "cach thuc thuc hien" => Column::Methods,
        "trinh tu thuc hien" => Column::Steps,
        "thoi han giai quyet" => Column::ProcessingTime,
        "phi" => Column::Fee,
        "le phi" => Column::Charge,
        "phi le phi" => Column::Fee,
        "thanh phan ho so" => Column::Dossier,
        "yeu cau dieu kien" | "yeu cau dieu kien thuc hien" => Column::Requirements,
        "can cu phap ly" => Column::LegalBasis,
        "ket qua thuc hien" => Column::Result,
        _ => return None,
    })
}

fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ';']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// Rows of cells, the header row first (the first row with a `Mã thủ tục` column).
fn from_table(rows: Vec<Vec<String>>) -> Vec<Parsed> {
    let Some(header_at) = rows.iter().position(|r| r.iter().any(|c| column(c) == Some(Column::Code))) else {
        return vec![(
            1,
            Err(rejected(1, None, "header", "required", "no header row with a `Mã thủ tục` column".into())),
        )];
    };
    let columns: Vec<Option<Column>> = rows[header_at].iter().map(|h| column(h)).collect();
    rows.into_iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, cells)| {
            let row = i - header_at;
            let get = |wanted: Column| -> Option<String> {
                columns
                    .iter()
                    .position(|c| *c == Some(wanted))
                    .and_then(|at| cells.get(at))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            let fees = match (get(Column::Fee), get(Column::Charge)) {
                (Some(fee), Some(charge)) => Some(format!("Phí: {fee}; Lệ phí: {charge}")),
                (Some(fee), None) => Some(fee),
                (None, Some(charge)) => Some(format!("Lệ phí: {charge}")),
                (None, None) => None,
            };
            let level = match get(Column::Level).map(|l| crate::text::fold(&l)) {
                Some(l) if l.contains("toan trinh") || l.contains("muc do 4") => Level::Full,
                Some(l) if l.contains("mot phan") || l.contains("muc do 3") => Level::Partial,
                _ => Level::None,
            };
            let methods = get(Column::Methods).map(|m| methods_of(&m)).unwrap_or_default();
            let dossier = get(Column::Dossier).map(|d| dossier_of(&d)).unwrap_or_default();
            let legal_basis = get(Column::LegalBasis).map(|l| legal_basis_of(&l)).unwrap_or_default();
            let code = get(Column::Code);
            let record = ProcedureRecord {
                code: code.clone().unwrap_or_default(),
                name: get(Column::Name).unwrap_or_default(),
                field: get(Column::Field),
                field_code: None,
                agency: get(Column::Agency),
                applicants: get(Column::Applicants),
                steps: get(Column::Steps).map(|s| lines(&s)).unwrap_or_default(),
                methods,
                dossier,
                processing_time: get(Column::ProcessingTime),
                fees,
                requirements: get(Column::Requirements),
                legal_basis,
                result: get(Column::Result),
                level,
                validity: Default::default(),
                replaced_by: None,
                cases: vec![],
            };
            (row, Ok(record))
        })
        .collect()
}

/// The ways to apply, from a cell of one way per line (online, by post, in person).
fn methods_of(m: &str) -> Vec<Method> {
    lines(m)
        .into_iter()
        .filter_map(|line| {
            let folded = crate::text::fold(&line);
            let method = if folded.contains("truc tuyen") {
                "online"
            } else if folded.contains("buu chinh") {
                "post"
            } else if folded.contains("truc tiep") {
                "in_person"
            } else {
                return None;
            };
            Some(Method { method: method.into(), processing_time: None, fee: None, description: Some(line) })
        })
        .collect()
}

/// The dossier's documents, one per line, with whether an original or a copy is asked for.
fn dossier_of(d: &str) -> Vec<Document> {
    lines(d)
        .into_iter()
        .map(|name| {
            let folded = crate::text::fold(&name);
            Document {
                originals: u32::from(folded.contains("ban chinh")),
                copies: u32::from(folded.contains("ban sao")),
                name,
                form_url: None,
                form_media_id: None,
                form: None,
            }
        })
        .collect()
}

/// The legal basis, one document per line, its number taken from the word with a slash.
fn legal_basis_of(l: &str) -> Vec<LegalBasis> {
    lines(l)
        .into_iter()
        .map(|title| LegalBasis {
            number: title
                .split_whitespace()
                .find(|w| w.contains('/'))
                .map(|w| w.trim_matches(|c: char| c == ',' || c == '.').to_owned()),
            title,
            issued_on: None,
        })
        .collect()
}
