//! Reading a Camtrap DP package from disk and checking it against every rule of the
//! Camtrap DP 1.0.2 profile and table schemas (see [`super::schema`]).
//!
//! The result is a [`Package`]: the descriptor, the three tables with typed cells, and every
//! problem found, each located by file, line (1-based; the CSV header is line 1) and field.
//! [`super::validate_package`] reports the problems; the importer refuses the package when
//! one of them is an error and turns the rest into warnings.

use super::schema::{
    FILE_PATH_PATTERN, FieldSchema, FieldType, MEDIATYPE_PATTERN, MISSING_VALUES, TABLES, TableSchema, profile,
};
use crate::import::Progress;
use crate::model::{Timestamp, parse_zoned};
use chrono::Utc;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// At most this many problems are kept; the rest are counted.
const MAX_PROBLEMS: usize = 1000;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The package breaks a rule and cannot be imported.
    Error,
    /// The package breaks a rule of the standard, but its meaning is clear, so the importer
    /// goes on with a warning (a missing optional column, columns out of order, fractional
    /// seconds). [`super::validate_package`] reports these like errors.
    Soft,
}

/// One problem, located.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub field: Option<String>,
    pub message: String,
    pub level: Level,
}

impl Problem {
    /// The file name relative to the package folder (`media.csv`).
    pub fn short_file(&self, dir: &Path) -> String {
        self.file.strip_prefix(dir).unwrap_or(&self.file).display().to_string()
    }

    /// `media.csv, line 7, field 'timestamp': ...` with the file relative to `dir`.
    pub fn describe(&self, dir: &Path) -> String {
        let mut s = self.short_file(dir);
        if let Some(l) = self.line {
            s.push_str(&format!(", line {l}"));
        }
        if let Some(f) = &self.field {
            s.push_str(&format!(", field '{f}'"));
        }
        s.push_str(": ");
        s.push_str(&self.message);
        s
    }
}

/// The problems of one package, capped at [`MAX_PROBLEMS`].
#[derive(Debug, Default)]
pub(crate) struct Problems {
    pub list: Vec<Problem>,
    dropped: usize,
    dropped_errors: usize,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        } else {
            self.dropped += 1;
            if p.level == Level::Error {
                self.dropped_errors += 1;
            }
        }
    }

    fn at(&mut self, level: Level, file: &Path, line: Option<u64>, field: Option<&str>, message: impl Into<String>) {
        self.push(Problem {
            file: file.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
            level,
        });
    }

    /// True when at least one problem is an error.
    pub fn has_errors(&self) -> bool {
        self.dropped_errors > 0 || self.list.iter().any(|p| p.level == Level::Error)
    }

    /// The problems sorted by file (datapackage.json, deployments, media, observations) and
    /// line, plus a last entry counting the ones not kept.
    pub fn finish(mut self, order: &[PathBuf]) -> Vec<Problem> {
        let rank = |f: &Path| order.iter().position(|o| o == f).unwrap_or(order.len());
        self.list.sort_by_key(|p| (rank(&p.file), p.line.unwrap_or(0)));
        if self.dropped > 0 {
            let file = order.first().cloned().unwrap_or_default();
            self.list.push(Problem {
                file,
                line: None,
                field: None,
                message: format!(
                    "... and {} more problems (only the first {MAX_PROBLEMS} are listed)",
                    self.dropped
                ),
                level: if self.dropped_errors > 0 {
                    Level::Error
                } else {
                    Level::Soft
                },
            });
        }
        self.list
    }
}

/// One typed CSV cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Empty (one of the schema's `missingValues`), or the column is absent.
    Null,
    /// A string (also `any`).
    Str(String),
    /// A number.
    Num(f64),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A datetime and the offset it was written in (minutes east of UTC).
    Time(Timestamp, i32),
    /// A value that broke a rule (already reported).
    Bad,
}

impl Cell {
    pub fn str(&self) -> Option<&str> {
        match self {
            Cell::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn string(&self) -> Option<String> {
        self.str().map(str::to_string)
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            Cell::Num(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            _ => None,
        }
    }

    pub fn bool(&self) -> Option<bool> {
        match self {
            Cell::Bool(v) => Some(*v),
            _ => None,
        }
    }

    pub fn time(&self) -> Option<(Timestamp, i32)> {
        match self {
            Cell::Time(t, o) => Some((*t, *o)),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Cell::Null)
    }
}

/// One data row.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// 1-based line in the CSV file where the row starts.
    pub line: u64,
    /// One cell per schema field, in schema order.
    pub cells: Vec<Cell>,
}

/// One table, read and typed.
#[derive(Debug)]
pub(crate) struct Table {
    pub schema: &'static TableSchema,
    pub path: PathBuf,
    pub rows: Vec<Row>,
}

/// A package as read from disk, with its problems.
#[derive(Debug)]
pub(crate) struct Package {
    pub dir: PathBuf,
    pub json_path: PathBuf,
    pub descriptor: Option<Value>,
    /// deployments, media, observations (`None` when the file could not be read at all).
    pub tables: [Option<Table>; 3],
    pub problems: Problems,
    /// SHA-256 over datapackage.json and the three CSV files.
    pub sha256: String,
}

impl Package {
    /// The files in report order.
    pub fn file_order(&self) -> Vec<PathBuf> {
        let mut v = vec![self.json_path.clone()];
        v.extend(self.tables.iter().flatten().map(|t| t.path.clone()));
        v
    }
}

/// Where the package is: `path` is its folder or its `datapackage.json`.
pub(crate) fn locate(path: &Path) -> (PathBuf, PathBuf) {
    if path.is_dir() {
        (path.to_path_buf(), path.join("datapackage.json"))
    } else {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (dir, path.to_path_buf())
    }
}

/// Reads and checks a whole package. Never fails: unreadable files are problems too.
pub(crate) fn load(path: &Path, progress: &dyn Progress) -> Package {
    let (dir, json_path) = locate(path);
    let mut problems = Problems::default();
    let mut hasher = Sha256::new();
    progress.phase("reading the Camtrap DP package", 4);

    let descriptor = match std::fs::read(&json_path) {
        Ok(bytes) => {
            hash_file(&mut hasher, &bytes);
            parse_descriptor(&json_path, &bytes, &mut problems)
        }
        Err(e) => {
            problems.at(
                Level::Error,
                &json_path,
                None,
                None,
                format!("cannot read the package descriptor: {e} (a Camtrap DP package is a folder with datapackage.json, deployments.csv, media.csv and observations.csv)"),
            );
            None
        }
    };
    if let Some(d) = &descriptor {
        check_descriptor(d, &json_path, &mut problems);
    }
    progress.advance(1);

    let mut tables: [Option<Table>; 3] = [None, None, None];
    for (i, schema) in TABLES.iter().enumerate() {
        if let Some(file) = resource_path(descriptor.as_ref(), schema, &dir, &json_path, &mut problems) {
            match std::fs::read(&file) {
                Ok(bytes) => {
                    hash_file(&mut hasher, &bytes);
                    tables[i] = read_table(schema, &file, &bytes, &mut problems);
                }
                Err(e) => problems.at(
                    Level::Error,
                    &file,
                    None,
                    None,
                    format!("cannot read the {} table: {e}", schema.name),
                ),
            }
        }
        progress.advance(1);
    }

    let [deployments, media, observations] = &tables;
    if let Some(t) = deployments {
        check_unique(t, &mut problems);
        check_time_order(t, "deploymentStart", "deploymentEnd", &mut problems);
    }
    if let Some(t) = media {
        check_unique(t, &mut problems);
        check_foreign_keys(t, &tables, &mut problems);
    }
    if let Some(t) = observations {
        check_unique(t, &mut problems);
        check_foreign_keys(t, &tables, &mut problems);
        check_time_order(t, "eventStart", "eventEnd", &mut problems);
        check_media_level_needs_media(t, &mut problems);
    }

    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Package {
        dir,
        json_path,
        descriptor,
        tables,
        problems,
        sha256,
    }
}

fn hash_file(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn parse_descriptor(path: &Path, bytes: &[u8], problems: &mut Problems) -> Option<Value> {
    match serde_json::from_slice::<Value>(strip_bom(bytes)) {
        Ok(v) => Some(v),
        Err(e) => {
            let hint = if e.classify() == serde_json::error::Category::Eof {
                " (the file ends too early: is it truncated?)"
            } else {
                ""
            };
            problems.at(
                Level::Error,
                path,
                Some(e.line() as u64),
                None,
                format!("not valid JSON at line {}, column {}: {e}{hint}", e.line(), e.column()),
            );
            None
        }
    }
}

/// The file of a table: its resource's `path`, or `<name>.csv` when the descriptor does
/// not say. `None` (with a problem) when the path cannot be used.
fn resource_path(
    descriptor: Option<&Value>,
    schema: &TableSchema,
    dir: &Path,
    json_path: &Path,
    problems: &mut Problems,
) -> Option<PathBuf> {
    let resources = descriptor.and_then(|d| d.get("resources")).and_then(Value::as_array);
    let found = resources.and_then(|r| {
        r.iter()
            .enumerate()
            .find(|(_, res)| res.get("name").and_then(Value::as_str) == Some(schema.name))
    });
    let Some((i, res)) = found else {
        return Some(dir.join(schema.file_name()));
    };
    let field = format!("resources[{i}].path");
    match res.get("path") {
        Some(Value::String(p)) => {
            if p.contains("://") {
                problems.at(
                    Level::Error,
                    json_path,
                    None,
                    Some(&field),
                    format!("the {} table is a remote file ('{p}'); download it next to datapackage.json and give its relative path", schema.name),
                );
                None
            } else if p.starts_with('/')
                || p.starts_with('\\')
                || p.contains(':')
                || p.split(['/', '\\']).any(|s| s == "..")
            {
                problems.at(
                    Level::Error,
                    json_path,
                    None,
                    Some(&field),
                    format!(
                        "'{p}' is not a safe relative path (a Data Package path must not be absolute or contain '..')"
                    ),
                );
                None
            } else {
                Some(dir.join(p))
            }
        }
        Some(Value::Array(_)) => {
            problems.at(
                Level::Error,
                json_path,
                None,
                Some(&field),
                "a table split over several files is not supported; join the parts into one CSV file",
            );
            None
        }
        // Missing or wrong type: reported by the descriptor check; try the usual name.
        _ => Some(dir.join(schema.file_name())),
    }
}

/// What the first bytes of a file that should be a CSV table look like.
fn sniff(schema: &TableSchema, file: &Path, bytes: &[u8], problems: &mut Problems) -> bool {
    let expected = schema.header().iter().take(4).copied().collect::<Vec<_>>().join(",");
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.at(
            Level::Error,
            file,
            Some(1),
            None,
            format!("the file is empty; a Camtrap DP table starts with its header line ({expected},...)"),
        );
        return false;
    }
    if bytes.contains(&0) {
        problems.at(
            Level::Error,
            file,
            None,
            None,
            format!("this is a binary file, not a CSV text file; expected the {} table, starting with the header line {expected},...", schema.name),
        );
        return false;
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64;
        problems.at(
            Level::Error,
            file,
            Some(line),
            None,
            "not UTF-8 text (a binary file, or another encoding?); Camtrap DP tables are UTF-8 CSV files",
        );
        return false;
    }
    if let Some(pos) = bytes.iter().position(|b| !b.is_ascii_whitespace())
        && matches!(bytes[pos], b'{' | b'[')
    {
        let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        problems.at(
            Level::Error,
            file,
            Some(line),
            None,
            format!("this is JSON, not CSV; the {} table is a comma-separated file whose first line is the header {expected},...", schema.name),
        );
        return false;
    }
    true
}

fn read_table(schema: &'static TableSchema, file: &Path, bytes: &[u8], problems: &mut Problems) -> Option<Table> {
    let bytes = strip_bom(bytes);
    if !sniff(schema, file, bytes, problems) {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            problems.at(
                Level::Error,
                file,
                Some(1),
                None,
                format!("cannot read the header line: {e}"),
            );
            return None;
        }
        None => {
            problems.at(Level::Error, file, Some(1), None, "the file has no header line");
            return None;
        }
    };
    let columns: Vec<Option<usize>> = header.iter().map(|h| schema.index_of(h)).collect();
    if columns.iter().all(Option::is_none) {
        let first: String = header.iter().take(3).collect::<Vec<_>>().join(",");
        problems.at(
            Level::Error,
            file,
            Some(1),
            None,
            format!(
                "the header line ('{first}...') has none of the {} columns; expected {}",
                schema.name,
                schema.header().join(",")
            ),
        );
        return None;
    }
    check_header(schema, file, &header, &columns, problems);

    let width = header.len();
    let mut rows = Vec::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                problems.at(Level::Error, file, line, None, format!("not valid CSV: {e}"));
                break;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != width {
            problems.at(
                Level::Error,
                file,
                Some(line),
                None,
                format!("this row has {} fields but the header has {width}", record.len()),
            );
            continue;
        }
        let mut cells = vec![Cell::Null; schema.fields.len()];
        for (raw, col) in record.iter().zip(&columns) {
            if let Some(fi) = *col {
                let f = &schema.fields[fi];
                cells[fi] = parse_cell(f, raw, &mut |level, msg| {
                    problems.at(level, file, Some(line), Some(f.name), msg);
                });
            }
        }
        rows.push(Row { line, cells });
    }
    Some(Table {
        schema,
        path: file.to_path_buf(),
        rows,
    })
}

fn check_header(
    schema: &TableSchema,
    file: &Path,
    header: &csv::StringRecord,
    columns: &[Option<usize>],
    problems: &mut Problems,
) {
    let mut seen = HashSet::new();
    for (name, col) in header.iter().zip(columns) {
        if !seen.insert(name) {
            problems.at(
                Level::Error,
                file,
                Some(1),
                Some(name),
                format!("column '{name}' appears twice in the header"),
            );
        } else if col.is_none() {
            problems.at(
                Level::Soft,
                file,
                Some(1),
                Some(name),
                format!(
                    "column '{name}' is not a field of the Camtrap DP {} table schema (it is ignored)",
                    schema.name
                ),
            );
        }
    }
    let mut missing = false;
    for f in schema.fields {
        if !header.iter().any(|h| h == f.name) {
            missing = true;
            if f.required {
                problems.at(
                    Level::Error,
                    file,
                    Some(1),
                    Some(f.name),
                    format!("required column '{}' is missing from the header", f.name),
                );
            } else {
                problems.at(
                    Level::Soft,
                    file,
                    Some(1),
                    Some(f.name),
                    format!(
                        "column '{}' is missing (Camtrap DP tables have every field of the schema, in order)",
                        f.name
                    ),
                );
            }
        }
    }
    let known: Vec<usize> = columns.iter().flatten().copied().collect();
    if !missing && known.windows(2).any(|w| w[0] > w[1]) {
        problems.at(
            Level::Soft,
            file,
            Some(1),
            None,
            format!(
                "the columns are not in the schema's order; expected {}",
                schema.header().join(",")
            ),
        );
    }
}

/// Types one cell, reporting broken rules through `report`.
pub(crate) fn parse_cell(f: &FieldSchema, raw: &str, report: &mut dyn FnMut(Level, String)) -> Cell {
    if MISSING_VALUES.contains(&raw) {
        if f.required {
            report(Level::Error, format!("{} is required but empty", f.name));
        }
        return Cell::Null;
    }
    match f.field_type {
        FieldType::String => {
            if !f.enum_values.is_empty() && !f.enum_values.contains(&raw) {
                report(
                    Level::Error,
                    format!(
                        "'{raw}' is not an allowed value; expected one of: {}",
                        f.enum_values.join(", ")
                    ),
                );
                return Cell::Bad;
            }
            if let Some(p) = f.pattern
                && let Err(m) = check_pattern(p, raw)
            {
                report(Level::Error, m);
                return Cell::Bad;
            }
            Cell::Str(raw.to_string())
        }
        FieldType::Any => Cell::Str(raw.to_string()),
        FieldType::Number => match parse_number(raw) {
            Some(v) => match check_range(f, v) {
                Ok(()) => Cell::Num(v),
                Err(m) => {
                    report(Level::Error, m);
                    Cell::Bad
                }
            },
            None => {
                report(Level::Error, format!("'{raw}' is not a number (write e.g. 12.5)"));
                Cell::Bad
            }
        },
        FieldType::Integer => match parse_integer(raw) {
            Some(v) => match check_range(f, v as f64) {
                Ok(()) => Cell::Int(v),
                Err(m) => {
                    report(Level::Error, m);
                    Cell::Bad
                }
            },
            None => {
                report(Level::Error, format!("'{raw}' is not an integer"));
                Cell::Bad
            }
        },
        FieldType::Boolean => match raw {
            "true" | "True" | "TRUE" | "1" => Cell::Bool(true),
            "false" | "False" | "FALSE" | "0" => Cell::Bool(false),
            _ => {
                report(Level::Error, format!("'{raw}' is not a boolean (write true or false)"));
                Cell::Bad
            }
        },
        FieldType::Datetime => match parse_datetime(raw) {
            Ok((t, offset, fractional)) => {
                if fractional {
                    report(
                        Level::Soft,
                        format!(
                            "'{raw}' has fractional seconds, which the Camtrap DP datetime format ({}) does not allow",
                            f.format.unwrap_or("%Y-%m-%dT%H:%M:%S%z")
                        ),
                    );
                }
                Cell::Time(t, offset)
            }
            Err(m) => {
                report(Level::Error, m);
                Cell::Bad
            }
        },
    }
}

fn check_range(f: &FieldSchema, v: f64) -> Result<(), String> {
    let below = f.minimum.is_some_and(|m| v < m);
    let above = f.maximum.is_some_and(|m| v > m);
    if !(below || above) {
        return Ok(());
    }
    Err(match (f.minimum, f.maximum) {
        (Some(lo), Some(hi)) => format!("{v} is out of range: {} must be between {lo} and {hi}", f.name),
        (Some(lo), None) => format!("{v} is out of range: {} must be at least {lo}", f.name),
        (None, Some(hi)) => format!("{v} is out of range: {} must be at most {hi}", f.name),
        (None, None) => String::new(),
    })
}

/// Checks one of the two patterns of the Camtrap DP schemas (implemented by hand: the
/// crate has no regex engine).
fn check_pattern(pattern: &str, v: &str) -> Result<(), String> {
    // `.` in these patterns does not match a line break.
    let one_line = !v.contains(['\n', '\r']);
    if pattern == FILE_PATH_PATTERN {
        let ok = one_line && !v.is_empty() && !v.starts_with(['.', '/', '~']) && !v.contains("..");
        if !ok {
            return Err(format!(
                "'{v}' is not a valid filePath: give a URL or a relative path that does not start with '.', '/' or '~' and has no '..'"
            ));
        }
    } else if pattern == MEDIATYPE_PATTERN {
        let ok = one_line && ["image/", "video/", "audio/"].iter().any(|p| v.starts_with(p));
        if !ok {
            return Err(format!(
                "'{v}' is not an image, video or audio media type (write e.g. image/jpeg or video/mp4)"
            ));
        }
    }
    Ok(())
}

/// A Table Schema `number`: decimal with optional exponent, or `INF` / `-INF`.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned == "INF" {
        return Some(if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for c in mantissa.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' => dots += 1,
            _ => return None,
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    s.parse::<f64>().ok()
}

/// A Table Schema `integer`.
pub(crate) fn parse_integer(s: &str) -> Option<i64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// A Camtrap DP datetime (`%Y-%m-%dT%H:%M:%S%z`: `Z`, `±hh:mm` or `±hhmm`). Returns the
/// instant, the offset in minutes and whether fractional seconds were given (tolerated by
/// the importer, reported by the validator).
pub(crate) fn parse_datetime(raw: &str) -> Result<(Timestamp, i32, bool), String> {
    let format_hint = || {
        format!(
            "'{raw}' is not in the Camtrap DP datetime format: write YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DDThh:mm:ss±hh:mm"
        )
    };
    let b = raw.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shape = b.len() >= 19
        && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| digit_at(i))
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return Err(match parse_zoned(raw) {
            Err(m) => m,
            Ok(_) => format_hint(),
        });
    }
    let mut rest = &raw[19..];
    let mut fractional = false;
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(format_hint());
        }
        fractional = true;
        rest = &r[n..];
    }
    let z = rest.as_bytes();
    let zone_ok = rest == "Z"
        || (z.len() == 6
            && matches!(z[0], b'+' | b'-')
            && z[3] == b':'
            && [1, 2, 4, 5].iter().all(|&i| z[i].is_ascii_digit()))
        || (z.len() == 5 && matches!(z[0], b'+' | b'-') && z[1..].iter().all(u8::is_ascii_digit));
    if rest.is_empty() {
        return Err(match parse_zoned(raw) {
            Err(m) => m,
            Ok(_) => format_hint(),
        });
    }
    if !zone_ok {
        return Err(format_hint());
    }
    match parse_zoned(raw) {
        Ok((t, offset)) => Ok((t, offset, fractional)),
        Err(_) => chrono::DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z")
            .map(|dt| (dt.with_timezone(&Utc), dt.offset().local_minus_utc() / 60, fractional))
            .map_err(|_| format!("'{raw}' is not a valid date and time")),
    }
}

fn check_unique(table: &Table, problems: &mut Problems) {
    for (fi, f) in table.schema.fields.iter().enumerate().filter(|(_, f)| f.unique) {
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for row in &table.rows {
            if let Some(v) = row.cells[fi].str() {
                if let Some(first) = seen.get(v) {
                    problems.at(
                        Level::Error,
                        &table.path,
                        Some(row.line),
                        Some(f.name),
                        format!(
                            "duplicate {} '{v}' (already on line {first}); {} must be unique",
                            f.name, f.name
                        ),
                    );
                } else {
                    seen.insert(v, row.line);
                }
            }
        }
    }
}

fn check_foreign_keys(table: &Table, tables: &[Option<Table>; 3], problems: &mut Problems) {
    for fk in table.schema.foreign_keys {
        let Some(target) = tables.iter().flatten().find(|t| t.schema.name == fk.resource) else {
            continue;
        };
        let (Some(fi), Some(ti)) = (
            table.schema.index_of(fk.field),
            target.schema.index_of(fk.reference_field),
        ) else {
            continue;
        };
        let keys: HashSet<&str> = target.rows.iter().filter_map(|r| r.cells[ti].str()).collect();
        let target_file = target
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        for row in &table.rows {
            if let Some(v) = row.cells[fi].str()
                && !keys.contains(v)
            {
                problems.at(
                    Level::Error,
                    &table.path,
                    Some(row.line),
                    Some(fk.field),
                    format!("'{v}' is not a {} in {target_file}", fk.reference_field),
                );
            }
        }
    }
}

fn check_time_order(table: &Table, start: &str, end: &str, problems: &mut Problems) {
    let (Some(si), Some(ei)) = (table.schema.index_of(start), table.schema.index_of(end)) else {
        return;
    };
    for row in &table.rows {
        if let (Some((s, _)), Some((e, _))) = (row.cells[si].time(), row.cells[ei].time())
            && e < s
        {
            problems.at(
                Level::Error,
                &table.path,
                Some(row.line),
                Some(end),
                format!("{end} is before {start}"),
            );
        }
    }
}

fn check_media_level_needs_media(table: &Table, problems: &mut Problems) {
    let (Some(li), Some(mi)) = (
        table.schema.index_of("observationLevel"),
        table.schema.index_of("mediaID"),
    ) else {
        return;
    };
    for row in &table.rows {
        if row.cells[li].str() == Some("media") && row.cells[mi].is_null() {
            problems.at(
                Level::Error,
                &table.path,
                Some(row.line),
                Some("mediaID"),
                "observationLevel is 'media' but mediaID is empty (a media-based observation names its media file)",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// datapackage.json

struct Desc<'a> {
    file: &'a Path,
    problems: &'a mut Problems,
}

impl Desc<'_> {
    fn err(&mut self, field: &str, message: impl Into<String>) {
        let field = if field.is_empty() { None } else { Some(field) };
        self.problems.at(Level::Error, self.file, None, field, message);
    }

    fn string(&mut self, v: &Value, field: &str) {
        if !v.is_string() {
            self.err(field, format!("must be a string, not {}", kind(v)));
        }
    }

    fn enum_str(&mut self, v: &Value, field: &str, allowed: &[&str]) {
        match v.as_str() {
            Some(s) if allowed.contains(&s) => {}
            Some(s) => self.err(
                field,
                format!("'{s}' is not an allowed value; expected one of: {}", allowed.join(", ")),
            ),
            None => self.err(field, format!("must be a string, not {}", kind(v))),
        }
    }

    fn object<'v>(&mut self, v: &'v Value, field: &str) -> Option<&'v Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.err(field, format!("must be an object, not {}", kind(v)));
        }
        o
    }

    fn array<'v>(&mut self, v: &'v Value, field: &str) -> Option<&'v Vec<Value>> {
        let a = v.as_array();
        if a.is_none() {
            self.err(field, format!("must be an array, not {}", kind(v)));
        }
        a
    }

    fn required(&mut self, o: &Map<String, Value>, parent: &str, keys: &[&str]) {
        for k in keys {
            if !o.contains_key(*k) {
                let field = join(parent, k);
                self.err(&field, format!("required property '{field}' is missing"));
            }
        }
    }

    fn strings(&mut self, v: &Value, field: &str) {
        if let Some(a) = self.array(v, field) {
            for (i, item) in a.iter().enumerate() {
                self.string(item, &format!("{field}[{i}]"));
            }
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_uri(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, rest)) => {
            !rest.is_empty()
                && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
                && !s.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_' | '/'))
}

fn check_descriptor(v: &Value, file: &Path, problems: &mut Problems) {
    let mut d = Desc { file, problems };
    let Some(root) = v.as_object() else {
        d.err(
            "",
            format!("the package descriptor must be a JSON object, not {}", kind(v)),
        );
        return;
    };
    d.required(root, "", profile::REQUIRED);
    for (key, value) in root {
        let key = key.as_str();
        match key {
            "resources" => check_resources(&mut d, value),
            "profile" => match value.as_str() {
                Some(s) if is_uri(s) => {}
                Some(s) => d.err(
                    key,
                    format!("'{s}' is not a URI (expected {})", super::schema::PROFILE_URL),
                ),
                None => {
                    d.string(value, key);
                }
            },
            "created" => match value.as_str() {
                Some(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {}
                Some(s) => d.err(
                    key,
                    format!("'{s}' is not an ISO 8601 date and time (e.g. 2024-05-01T12:00:00Z)"),
                ),
                None => {
                    d.string(value, key);
                }
            },
            "contributors" => {
                if let Some(a) = d.array(value, key) {
                    for (i, c) in a.iter().enumerate() {
                        let f = format!("contributors[{i}]");
                        if let Some(o) = d.object(c, &f) {
                            d.required(o, &f, &["title"]);
                            for (k, v) in o {
                                match k.as_str() {
                                    "role" => d.enum_str(v, &join(&f, k), profile::CONTRIBUTOR_ROLES),
                                    "title" | "email" | "path" | "organization" | "firstName" | "lastName" => {
                                        d.string(v, &join(&f, k));
                                    }
                                    _ => {}
                                }
                            }
                        }
                    }
                }
            }
            "name" => match value.as_str() {
                Some(s) if is_name(s) => {}
                Some(s) => d.err(
                    key,
                    format!("'{s}' is not a valid package name (lower-case letters, digits, '-', '.', '_', '/')"),
                ),
                None => {
                    d.string(value, key);
                }
            },
            "id" | "title" | "description" | "version" | "image" | "homepage" | "bibliographicCitation" => {
                d.string(value, key);
            }
            "keywords" | "references" => d.strings(value, key),
            "sources" => {
                if let Some(a) = d.array(value, key) {
                    for (i, s) in a.iter().enumerate() {
                        let f = format!("sources[{i}]");
                        if let Some(o) = d.object(s, &f) {
                            d.required(o, &f, &["title"]);
                            for k in ["title", "path", "email", "version"] {
                                if let Some(v) = o.get(k) {
                                    d.string(v, &join(&f, k));
                                }
                            }
                        }
                    }
                }
            }
            "licenses" => {
                if let Some(a) = d.array(value, key) {
                    if a.len() < profile::LICENSES_MIN_ITEMS {
                        d.err(key, "when given, licenses needs at least two items: one with scope 'data' and one with scope 'media'");
                    }
                    for (i, l) in a.iter().enumerate() {
                        let f = format!("licenses[{i}]");
                        if let Some(o) = d.object(l, &f) {
                            d.required(o, &f, &["scope"]);
                            if let Some(s) = o.get("scope") {
                                d.enum_str(s, &join(&f, "scope"), profile::LICENSE_SCOPES);
                            }
                            if !o.contains_key("name") && !o.contains_key("path") {
                                d.err(&f, "a license needs a 'name' or a 'path'");
                            }
                        }
                    }
                }
            }
            "project" => check_project(&mut d, value),
            "coordinatePrecision" if !value.is_number() => {
                d.err(key, format!("must be a number, not {}", kind(value)));
            }
            "spatial" => check_geojson(&mut d, value, key),
            "temporal" => {
                if let Some(o) = d.object(value, key) {
                    d.required(o, key, profile::TEMPORAL_REQUIRED);
                    for k in profile::TEMPORAL_REQUIRED {
                        if let Some(v) = o.get(*k) {
                            let f = join(key, k);
                            match v.as_str() {
                                Some(s)
                                    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10 => {}
                                Some(s) => d.err(&f, format!("'{s}' is not a date in the form YYYY-MM-DD")),
                                None => {
                                    d.string(v, &f);
                                }
                            }
                        }
                    }
                }
            }
            "taxonomic" => check_taxonomic(&mut d, value),
            "relatedIdentifiers" => {
                if let Some(a) = d.array(value, key) {
                    for (i, r) in a.iter().enumerate() {
                        let f = format!("relatedIdentifiers[{i}]");
                        if let Some(o) = d.object(r, &f) {
                            d.required(o, &f, profile::RELATED_IDENTIFIER_REQUIRED);
                            if let Some(v) = o.get("relationType") {
                                d.enum_str(v, &join(&f, "relationType"), profile::RELATION_TYPES);
                            }
                            if let Some(v) = o.get("relatedIdentifier") {
                                d.string(v, &join(&f, "relatedIdentifier"));
                            }
                            if let Some(v) = o.get("resourceTypeGeneral") {
                                d.enum_str(v, &join(&f, "resourceTypeGeneral"), profile::RESOURCE_TYPES_GENERAL);
                            }
                            if let Some(v) = o.get("relatedIdentifierType") {
                                d.enum_str(v, &join(&f, "relatedIdentifierType"), profile::RELATED_IDENTIFIER_TYPES);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_resources(d: &mut Desc<'_>, value: &Value) {
    let Some(a) = d.array(value, "resources") else {
        return;
    };
    if a.len() < profile::RESOURCES_MIN_ITEMS {
        d.err(
            "resources",
            format!(
                "needs at least {} resources (deployments, media, observations)",
                profile::RESOURCES_MIN_ITEMS
            ),
        );
    }
    let mut names = HashSet::new();
    for (i, r) in a.iter().enumerate() {
        let f = format!("resources[{i}]");
        let Some(o) = d.object(r, &f) else {
            continue;
        };
        let name = o.get("name").and_then(Value::as_str);
        match o.get("name") {
            None => d.err(&f, "a resource needs a 'name'"),
            Some(Value::String(n)) => {
                if !is_name(n) {
                    d.err(
                        &join(&f, "name"),
                        format!("'{n}' is not a valid resource name (lower-case letters, digits, '-', '.', '_', '/')"),
                    );
                }
                if !names.insert(n.clone()) {
                    d.err(&join(&f, "name"), format!("resource name '{n}' is used twice"));
                }
            }
            Some(v) => {
                d.string(v, &join(&f, "name"));
            }
        }
        if !o.contains_key("path") && !o.contains_key("data") {
            d.err(&f, "a resource needs a 'path' (or 'data')");
        }
        match o.get("path") {
            Some(Value::String(_)) | None => {}
            Some(Value::Array(parts)) => {
                for (j, p) in parts.iter().enumerate() {
                    d.string(p, &format!("{f}.path[{j}]"));
                }
            }
            Some(v) => d.err(&join(&f, "path"), format!("must be a string, not {}", kind(v))),
        }
        if let Some(n) = name
            && profile::RESOURCE_NAMES.contains(&n)
        {
            d.required(o, &f, profile::RESOURCE_REQUIRED);
            if let Some(p) = o.get("profile") {
                d.enum_str(p, &join(&f, "profile"), profile::RESOURCE_PROFILES);
            }
            if let Some(s) = o.get("schema") {
                let field = join(&f, "schema");
                match s.as_str() {
                    Some(url) if !is_uri(url) => d.err(&field, format!("'{url}' is not a URI; use the official schema URL")),
                    Some(url) if !url.contains("1.0.2") => d.err(
                        &field,
                        format!(
                            "'{url}' is not a Camtrap DP 1.0.2 table schema (expected https://raw.githubusercontent.com/tdwg/camtrap-dp/1.0.2/{n}-table-schema.json)"
                        ),
                    ),
                    Some(_) => {}
                    None => d.err(&field, format!("must be the URL of the {n} table schema, not {}", kind(s))),
                }
            }
        }
    }
    for n in profile::RESOURCE_NAMES {
        if !names.contains(*n) {
            d.err("resources", format!("the '{n}' resource is missing"));
        }
    }
}

fn check_project(d: &mut Desc<'_>, value: &Value) {
    let Some(o) = d.object(value, "project") else {
        return;
    };
    d.required(o, "project", profile::PROJECT_REQUIRED);
    for (k, v) in o {
        let f = join("project", k);
        match k.as_str() {
            "id" | "title" | "acronym" | "description" => {
                d.string(v, &f);
            }
            "path" => match v.as_str() {
                Some(s) if !is_uri(s) => d.err(&f, format!("'{s}' is not a URI")),
                Some(_) => {}
                None => {
                    d.string(v, &f);
                }
            },
            "samplingDesign" => d.enum_str(v, &f, profile::SAMPLING_DESIGNS),
            "captureMethod" => {
                if let Some(a) = d.array(v, &f) {
                    if a.is_empty() {
                        d.err(&f, "needs at least one capture method (activityDetection or timeLapse)");
                    }
                    let mut seen = HashSet::new();
                    for (i, item) in a.iter().enumerate() {
                        d.enum_str(item, &format!("{f}[{i}]"), profile::CAPTURE_METHODS);
                        if !seen.insert(item.to_string()) {
                            d.err(&format!("{f}[{i}]"), "items must be unique");
                        }
                    }
                }
            }
            "individualAnimals" if !v.is_boolean() => {
                d.err(&f, format!("must be true or false, not {}", kind(v)));
            }
            "observationLevel" => {
                if let Some(a) = d.array(v, &f) {
                    for (i, item) in a.iter().enumerate() {
                        d.enum_str(item, &format!("{f}[{i}]"), profile::OBSERVATION_LEVELS);
                    }
                }
            }
            _ => {}
        }
    }
}

fn check_taxonomic(d: &mut Desc<'_>, value: &Value) {
    let Some(a) = d.array(value, "taxonomic") else {
        return;
    };
    for (i, t) in a.iter().enumerate() {
        let f = format!("taxonomic[{i}]");
        let Some(o) = d.object(t, &f) else {
            continue;
        };
        d.required(o, &f, profile::TAXON_REQUIRED);
        for (k, v) in o {
            let field = join(&f, k);
            match k.as_str() {
                "scientificName" | "taxonID" | "kingdom" | "phylum" | "class" | "order" | "family" | "genus" => {
                    d.string(v, &field);
                }
                "taxonRank" => d.enum_str(v, &field, profile::TAXON_RANKS),
                "vernacularNames" => {
                    if let Some(names) = d.object(v, &field) {
                        for (lang, name) in names {
                            let nf = join(&field, lang);
                            if !(lang.len() == 3 && lang.chars().all(|c| c.is_ascii_lowercase())) {
                                d.err(
                                    &nf,
                                    format!("'{lang}' is not a three-letter ISO 639-3 language code (e.g. eng)"),
                                );
                            }
                            d.string(name, &nf);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

const GEOMETRY_TYPES: &[&str] = &[
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
];

fn check_geojson(d: &mut Desc<'_>, v: &Value, field: &str) {
    let Some(o) = v.as_object() else {
        d.err(field, format!("must be a GeoJSON object, not {}", kind(v)));
        return;
    };
    let Some(t) = o.get("type").and_then(Value::as_str) else {
        d.err(field, "a GeoJSON object needs a 'type'");
        return;
    };
    if let Some(b) = o.get("bbox")
        && !b
            .as_array()
            .is_some_and(|a| a.len() >= 4 && a.iter().all(Value::is_number))
    {
        d.err(&join(field, "bbox"), "a GeoJSON bbox is an array of at least 4 numbers");
    }
    match t {
        "GeometryCollection" => match o.get("geometries").and_then(Value::as_array) {
            Some(gs) => {
                for (i, g) in gs.iter().enumerate() {
                    check_geojson(d, g, &format!("{field}.geometries[{i}]"));
                }
            }
            None => d.err(field, "a GeometryCollection needs a 'geometries' array"),
        },
        "Feature" => {
            match o.get("geometry") {
                Some(Value::Null) => {}
                Some(g) => check_geojson(d, g, &join(field, "geometry")),
                None => d.err(field, "a Feature needs a 'geometry'"),
            }
            if !o.get("properties").is_some_and(|p| p.is_object() || p.is_null()) {
                d.err(field, "a Feature needs 'properties' (an object or null)");
            }
        }
        "FeatureCollection" => match o.get("features").and_then(Value::as_array) {
            Some(fs) => {
                for (i, f) in fs.iter().enumerate() {
                    check_geojson(d, f, &format!("{field}.features[{i}]"));
                }
            }
            None => d.err(field, "a FeatureCollection needs a 'features' array"),
        },
        t if GEOMETRY_TYPES.contains(&t) => {
            let depth = match t {
                "Point" => 0,
                "MultiPoint" | "LineString" => 1,
                "MultiLineString" | "Polygon" => 2,
                _ => 3,
            };
            match o.get("coordinates") {
                Some(c) => {
                    if let Err(m) = check_coordinates(c, depth, t) {
                        d.err(&join(field, "coordinates"), m);
                    }
                }
                None => d.err(field, format!("a {t} needs 'coordinates'")),
            }
        }
        other => d.err(&join(field, "type"), format!("'{other}' is not a GeoJSON type")),
    }
}

fn check_coordinates(c: &Value, depth: usize, t: &str) -> Result<(), String> {
    let Some(a) = c.as_array() else {
        return Err(format!("{t} coordinates must be arrays"));
    };
    if depth == 0 {
        return if a.len() >= 2 && a.iter().all(Value::is_number) {
            Ok(())
        } else {
            Err("a position is an array of at least two numbers [longitude, latitude]".to_string())
        };
    }
    let min_items = match (t, depth) {
        ("LineString", 1) | ("MultiLineString", 1) => 2,
        ("Polygon", 1) | ("MultiPolygon", 1) => 4,
        _ => 0,
    };
    if a.len() < min_items {
        return Err(format!(
            "a {t} {} needs at least {min_items} positions",
            if min_items == 4 { "ring" } else { "line" }
        ));
    }
    a.iter().try_for_each(|x| check_coordinates(x, depth - 1, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_table_schema() {
        assert_eq!(parse_number("1.5"), Some(1.5));
        assert_eq!(parse_number("-0.25e-3"), Some(-0.00025));
        assert_eq!(parse_number(".5"), Some(0.5));
        assert_eq!(parse_number("INF"), Some(f64::INFINITY));
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number(" 1"), None);
        assert_eq!(parse_number("1e"), None);
        assert_eq!(parse_integer("-15"), Some(-15));
        assert_eq!(parse_integer("1.0"), None);
    }

    #[test]
    fn datetimes_need_a_zone_and_whole_seconds() {
        let (t, off, frac) = parse_datetime("2020-05-30T04:57:37+02:00").unwrap();
        assert_eq!((off, frac), (120, false));
        assert_eq!(t.to_rfc3339(), "2020-05-30T02:57:37+00:00");
        assert_eq!(parse_datetime("2020-05-30T02:57:37Z").unwrap().1, 0);
        assert_eq!(parse_datetime("2020-05-30T04:57:37+0200").unwrap().1, 120);
        assert!(parse_datetime("2020-05-30T04:57:37.5+0200").unwrap().2);
        assert!(parse_datetime("2020-05-30T04:57:37.250Z").unwrap().2);
        let e = parse_datetime("2020-05-30T04:57:37").unwrap_err();
        assert!(e.contains("no time zone"), "{e}");
        assert!(parse_datetime("2020-05-30 04:57:37Z").is_err());
        assert!(parse_datetime("2020-13-30T04:57:37Z").is_err());
        assert!(parse_datetime("2020-05-30T04:57:37+2").is_err());
    }

    #[test]
    fn patterns() {
        assert!(check_pattern(FILE_PATH_PATTERN, "https://example.org/x.jpg").is_ok());
        assert!(check_pattern(FILE_PATH_PATTERN, "media/x.jpg").is_ok());
        for bad in ["/abs/x.jpg", "./x.jpg", "~/x.jpg", "a/../x.jpg", ".x"] {
            assert!(check_pattern(FILE_PATH_PATTERN, bad).is_err(), "{bad}");
        }
        assert!(check_pattern(MEDIATYPE_PATTERN, "image/jpeg").is_ok());
        assert!(check_pattern(MEDIATYPE_PATTERN, "video/").is_ok());
        assert!(check_pattern(MEDIATYPE_PATTERN, "text/csv").is_err());
        assert!(check_pattern(MEDIATYPE_PATTERN, "jpeg").is_err());
    }
}
