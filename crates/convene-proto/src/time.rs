//! The REST API's times: "yyyy-MM-dd HH:mm" in UTC, minute precision.

/// Formats Unix seconds as the REST API's "yyyy-MM-dd HH:mm" (UTC).
/// (From the date's fields: chrono's `format` parses its pattern on every
/// call, a visible cost in every create's answer.)
pub fn rest_time(secs: i64) -> String {
    use chrono::{Datelike, Timelike};
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

/// Reads the REST API's "yyyy-MM-dd HH:mm" (UTC) as Unix seconds.
pub fn parse_rest_time(s: &str) -> Option<i64> {
    let s = s.trim();
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_times_read_as_the_product_writes_them() {
        for (secs, text) in [
            (0, "1970-01-01 00:00"),
            (951_782_399, "2000-02-28 23:59"),
            (951_827_400, "2000-02-29 12:30"),
            (1_790_000_000, "2026-09-21 14:13"),
            (4_102_444_799, "2099-12-31 23:59"),
        ] {
            assert_eq!(rest_time(secs), text);
            assert_eq!(parse_rest_time(text), Some(secs - secs % 60));
        }
    }
}
