//! What the four skills share: the error a caller can act on, paging, and reading the time
//! arguments people and models write.
//!
//! Skills take plain typed inputs and return plain typed results (serde + JSON Schema); the
//! MCP servers, A2A agents and the HTTP API put them on the wire.

use crate::model::{Timestamp, parse_zoned};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// Why a skill call failed, worded so the caller (a person or a model) knows what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    /// An argument is wrong.
    #[error("invalid argument '{field}': {message}")]
    InvalidInput {
        /// The argument.
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// Something named does not exist.
    #[error("no {what} '{id}'{}", if .hint.is_empty() { String::new() } else { format!("; {}", .hint) })]
    NotFound {
        /// Kind of thing (`camera`, `event`, ...).
        what: String,
        /// The id that was asked for.
        id: String,
        /// How to find valid ids.
        hint: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SkillError {
    /// An invalid-argument error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        SkillError::InvalidInput {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// A not-found error with a hint.
    pub fn not_found(what: &str, id: &str, hint: impl Into<String>) -> Self {
        SkillError::NotFound {
            what: what.to_string(),
            id: id.to_string(),
            hint: hint.into(),
        }
    }
}

/// Result alias for skill calls.
pub type SkillResult<T> = Result<T, SkillError>;

/// Default page size of every list a skill returns.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page a caller may ask for.
pub const MAX_LIMIT: u32 = 500;

/// Checks a requested page size: default when absent, refused above [`MAX_LIMIT`] or at 0.
pub fn page_limit(limit: Option<u32>) -> SkillResult<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(0) => Err(SkillError::invalid("limit", "must be at least 1")),
        Some(n) if n > MAX_LIMIT => Err(SkillError::invalid(
            "limit",
            format!("{n} is more than the maximum of {MAX_LIMIT}; page with 'offset' instead"),
        )),
        Some(n) => Ok(n),
    }
}

/// Paging information returned with every list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PageInfo {
    /// Items matching the query in all pages.
    pub total: u64,
    /// Offset of this page.
    pub offset: u64,
    /// Page size that was used.
    pub limit: u32,
    /// Offset of the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<u64>,
}

impl PageInfo {
    /// Page information for `returned` items at `offset` out of `total`.
    pub fn new(total: u64, offset: u64, limit: u32, returned: usize) -> Self {
        let end = offset + returned as u64;
        PageInfo {
            total,
            offset,
            limit,
            next_offset: (end < total).then_some(end),
        }
    }
}

/// Reads a time argument: ISO 8601 with a zone (`2026-06-01T06:00:00-06:00`), or a date
/// (`2026-06-01`, read as midnight UTC).
pub fn parse_time_arg(field: &str, value: &str) -> SkillResult<Timestamp> {
    if let Ok((t, _)) = parse_zoned(value) {
        return Ok(t);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or_default());
    }
    Err(SkillError::invalid(
        field,
        format!("'{value}' is not a time; use ISO 8601 with a zone (2026-06-01T06:00:00-06:00) or a date (2026-06-01)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_cap() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(page_limit(Some(0)).is_err());
        let err = page_limit(Some(10_000)).unwrap_err().to_string();
        assert!(err.contains("limit") && err.contains("500"), "{err}");
    }

    #[test]
    fn pages_know_what_comes_next() {
        assert_eq!(PageInfo::new(120, 50, 50, 50).next_offset, Some(100));
        assert_eq!(PageInfo::new(120, 100, 50, 20).next_offset, None);
    }

    #[test]
    fn time_arguments_accept_zoned_times_and_dates() {
        assert_eq!(
            parse_time_arg("from", "2026-06-01").unwrap().to_rfc3339(),
            "2026-06-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time_arg("from", "2026-06-01T06:00:00-06:00")
                .unwrap()
                .to_rfc3339(),
            "2026-06-01T12:00:00+00:00"
        );
        let err = parse_time_arg("to", "yesterday").unwrap_err().to_string();
        assert!(err.contains("'to'") && err.contains("ISO 8601"), "{err}");
    }
}
