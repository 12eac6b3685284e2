//! Time expressions people write ("last night", "this week", "since March 3", "in July",
//! "on 2026-06-05", "the day before") as windows in the study's local time.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

/// A time window, local start inclusive, end exclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// Start.
    pub from: DateTime<FixedOffset>,
    /// End (exclusive).
    pub to: DateTime<FixedOffset>,
    /// How the person said it ("last night").
    pub label: String,
}

impl Window {
    /// Shifted by `days` (negative: earlier), relabelled.
    pub fn shifted(&self, days: i64, label: &str) -> Window {
        Window {
            from: self.from + Duration::days(days),
            to: self.to + Duration::days(days),
            label: label.to_string(),
        }
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_matches(|c: char| !c.is_alphabetic());
    if w.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(w) && (w.len() >= 3))
        .map(|i| i as u32 + 1)
}

fn at(tz: FixedOffset, date: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    let t = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&date.and_time(t))
        .single()
        .unwrap_or_else(|| tz.from_utc_datetime(&date.and_time(t)))
}

fn day(tz: FixedOffset, date: NaiveDate, label: &str) -> Window {
    Window {
        from: at(tz, date, 0),
        to: at(tz, date + Duration::days(1), 0),
        label: label.to_string(),
    }
}

fn month_window(tz: FixedOffset, year: i32, month: u32, label: &str) -> Option<Window> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    Some(Window {
        from: at(tz, first, 0),
        to: at(tz, next, 0),
        label: label.to_string(),
    })
}

/// A date written as `2026-06-05`, `June 5`, `5 June` or `Jun 5th` (the year of `now`, or
/// the year before when that date is still to come).
fn date_at(words: &[&str], i: usize, now: DateTime<FixedOffset>) -> Option<NaiveDate> {
    let w = words.get(i)?;
    if let Ok(d) = NaiveDate::parse_from_str(
        w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'),
        "%Y-%m-%d",
    ) {
        return Some(d);
    }
    let num = |s: &str| -> Option<u32> {
        let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok().filter(|d| (1..=31).contains(d))
    };
    let (month, dom) = if let Some(m) = month_of(w) {
        (m, num(words.get(i + 1)?)?)
    } else {
        (month_of(words.get(i + 1)?)?, num(w)?)
    };
    let mut d = NaiveDate::from_ymd_opt(now.year(), month, dom)?;
    if d > now.date_naive() {
        d = NaiveDate::from_ymd_opt(now.year() - 1, month, dom)?;
    }
    Some(d)
}

/// The window a question names, relative to `now`; `None` when it names none. `previous`
/// is the window of the question before, for "the day before" and "the week before".
pub fn parse(text: &str, now: DateTime<FixedOffset>, previous: Option<&Window>) -> Option<Window> {
    let lower = text.to_lowercase();
    let tz = *now.offset();
    let today = now.date_naive();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '?' || c == '.')
        .filter(|w| !w.is_empty())
        .collect();
    let has = |p: &str| lower.contains(p);

    if let Some(prev) = previous {
        if has("day before") || has("previous day") || has("night before") {
            return Some(prev.shifted(-1, &format!("the day before {}", prev.label)));
        }
        if has("day after") || has("next day") {
            return Some(prev.shifted(1, &format!("the day after {}", prev.label)));
        }
        if has("week before") || has("previous week") {
            return Some(prev.shifted(-7, &format!("the week before {}", prev.label)));
        }
    }
    if has("last night") || has("tonight") {
        let evening = if has("tonight") {
            today
        } else {
            today - Duration::days(1)
        };
        return Some(Window {
            from: at(tz, evening, 18),
            to: at(tz, evening + Duration::days(1), 6),
            label: if has("tonight") { "tonight" } else { "last night" }.into(),
        });
    }
    if has("yesterday") {
        return Some(day(tz, today - Duration::days(1), "yesterday"));
    }
    if has("today") {
        return Some(day(tz, today, "today"));
    }
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    if has("this week") {
        return Some(Window {
            from: at(tz, monday, 0),
            to: at(tz, today + Duration::days(1), 0),
            label: "this week".into(),
        });
    }
    if has("last week") || has("past week") {
        return Some(Window {
            from: at(tz, monday - Duration::days(7), 0),
            to: at(tz, monday, 0),
            label: "last week".into(),
        });
    }
    if has("this month") {
        return month_window(tz, today.year(), today.month(), "this month").map(|mut w| {
            w.to = at(tz, today + Duration::days(1), 0);
            w
        });
    }
    if has("last month") || has("past month") {
        let (y, m) = if today.month() == 1 {
            (today.year() - 1, 12)
        } else {
            (today.year(), today.month() - 1)
        };
        return month_window(tz, y, m, "last month");
    }
    for (i, w) in words.iter().enumerate() {
        // "last 3 days", "past 10 days"
        if (*w == "last" || *w == "past")
            && let Some(n) = words.get(i + 1).and_then(|n| n.parse::<i64>().ok())
            && words.get(i + 2).is_some_and(|u| u.starts_with("day"))
            && (1..=3660).contains(&n)
        {
            return Some(Window {
                from: at(tz, today - Duration::days(n - 1), 0),
                to: at(tz, today + Duration::days(1), 0),
                label: format!("the last {n} days"),
            });
        }
        if *w == "since"
            && let Some(d) = date_at(&words, i + 1, now)
        {
            return Some(Window {
                from: at(tz, d, 0),
                to: at(tz, today + Duration::days(1), 0),
                label: format!("since {}", d.format("%B %-d")),
            });
        }
        if (*w == "on" || *w == "for")
            && let Some(d) = date_at(&words, i + 1, now)
        {
            return Some(day(tz, d, &format!("on {}", d.format("%B %-d"))));
        }
        if (*w == "in" || *w == "during")
            && let Some(m) = words.get(i + 1).and_then(|m| month_of(m))
            && words
                .get(i + 1)
                .is_some_and(|m| MONTHS.iter().any(|full| full == m || &full[..3] == *m))
        {
            let year = if m > today.month() {
                today.year() - 1
            } else {
                today.year()
            };
            return month_window(tz, year, m, &format!("in {}", MONTHS[m as usize - 1]));
        }
    }
    // A bare ISO date anywhere.
    for (i, w) in words.iter().enumerate() {
        if w.len() == 10
            && w.as_bytes()[4] == b'-'
            && let Some(d) = date_at(&words, i, now)
        {
            return Some(day(tz, d, &format!("on {}", d.format("%B %-d"))));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-08-14T21:30:00-06:00").unwrap()
    }

    fn span(text: &str) -> (String, String) {
        let w = parse(text, now(), None).unwrap_or_else(|| panic!("no window in {text:?}"));
        (w.from.to_rfc3339(), w.to.to_rfc3339())
    }

    #[test]
    fn relative_expressions() {
        assert_eq!(
            span("what happened last night?"),
            ("2026-08-13T18:00:00-06:00".into(), "2026-08-14T06:00:00-06:00".into())
        );
        // 2026-08-14 is a Friday.
        assert_eq!(span("this week").0, "2026-08-10T00:00:00-06:00");
        assert_eq!(
            span("last week"),
            ("2026-08-03T00:00:00-06:00".into(), "2026-08-10T00:00:00-06:00".into())
        );
        assert_eq!(
            span("last month"),
            ("2026-07-01T00:00:00-06:00".into(), "2026-08-01T00:00:00-06:00".into())
        );
        assert_eq!(span("since March 3").0, "2026-03-03T00:00:00-06:00");
        assert_eq!(span("since 3 june").0, "2026-06-03T00:00:00-06:00");
        assert_eq!(
            span("elk in July"),
            ("2026-07-01T00:00:00-06:00".into(), "2026-08-01T00:00:00-06:00".into())
        );
        assert_eq!(span("on 2026-06-05").1, "2026-06-06T00:00:00-06:00");
        assert_eq!(span("the last 3 days").0, "2026-08-12T00:00:00-06:00");
        assert_eq!(span("yesterday").0, "2026-08-13T00:00:00-06:00");
        assert!(parse("how many elk?", now(), None).is_none());
        assert!(parse("may I ask about elk", now(), None).is_none());
    }

    #[test]
    fn follow_ups_shift_the_previous_window() {
        let prev = parse("last night", now(), None).unwrap();
        let w = parse("and the day before?", now(), Some(&prev)).unwrap();
        assert_eq!(w.from.to_rfc3339(), "2026-08-12T18:00:00-06:00");
    }
}
