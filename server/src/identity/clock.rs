//! Today's date where the bank is (Japan, UTC+9, no daylight saving), and
//! when that day began: daily limits count from it. Also a moment as the
//! machine API writes it (RFC 3339, UTC).

use shared::age::Date;

use crate::system::now_ms;

const JST_OFFSET_MS: i64 = 9 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

pub fn today_in_japan() -> Date {
    civil_from_days((now_ms() + JST_OFFSET_MS).div_euclid(DAY_MS))
}

/// Midnight in Japan at or before `now_ms`.
pub fn start_of_day_jst(now_ms: i64) -> i64 {
    (now_ms + JST_OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - JST_OFFSET_MS
}

/// The hour of the day in Japan at `ms` (0–23).
pub fn hour_jst(ms: i64) -> u8 {
    ((ms + JST_OFFSET_MS).rem_euclid(DAY_MS) / 3_600_000) as u8
}

/// Midnight in Japan on the first of the month of `ms`.
pub fn start_of_month_jst(ms: i64) -> i64 {
    let day = civil_from_days((ms + JST_OFFSET_MS).div_euclid(DAY_MS)).day;
    start_of_day_jst(ms) - (i64::from(day) - 1) * DAY_MS
}

/// Midnight in Japan on the Monday of the week of `ms`.
pub fn start_of_week_jst(ms: i64) -> i64 {
    // 1970-01-01 was a Thursday: three days after a Monday.
    let weekday = ((ms + JST_OFFSET_MS).div_euclid(DAY_MS) + 3).rem_euclid(7);
    start_of_day_jst(ms) - weekday * DAY_MS
}

/// Length of a week, for charts by week.
pub const WEEK_MS: i64 = 7 * DAY_MS;

/// A moment as RFC 3339 in UTC, to the second: `2026-12-02T15:04:05Z`.
pub fn rfc3339_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let d = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year,
        d.month,
        d.day,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A moment as RFC 3339 in UTC, to the millisecond: `2026-12-02T15:04:05.123Z`.
/// Webhook payloads carry it, so a receiver can tell how long a message took.
pub fn rfc3339_utc_ms(ms: i64) -> String {
    let seconds = rfc3339_utc(ms);
    format!(
        "{}.{:03}Z",
        &seconds[..seconds.len() - 1],
        ms.rem_euclid(1000)
    )
}

/// The calendar date `days` after 1970-01-01 (H. Hinnant's civil_from_days).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_months_and_weeks_are_japan_time() {
        // 2026-12-02T15:30:00Z is Thursday 3 December, 00:30 in Japan.
        let at = 1_796_225_400_000;
        assert_eq!(super::rfc3339_utc(at), "2026-12-02T15:30:00Z");
        assert_eq!(super::hour_jst(at), 0);
        assert_eq!(
            super::rfc3339_utc(super::start_of_month_jst(at)),
            "2026-11-30T15:00:00Z"
        );
        assert_eq!(
            super::rfc3339_utc(super::start_of_week_jst(at)),
            "2026-11-29T15:00:00Z"
        );
    }

    use super::*;

    #[test]
    fn the_day_starts_at_midnight_in_japan() {
        // 2026-11-22 14:59:59 UTC is 23:59:59 in Tokyo; a second later is the next day there.
        let before = 1_795_359_599_000;
        let after = before + 1_000;
        assert_eq!(start_of_day_jst(after), after);
        assert_eq!(start_of_day_jst(before), after - DAY_MS);
    }

    #[test]
    fn writes_a_moment_as_rfc_3339_in_utc() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_359_599_000), "2026-11-22T14:59:59Z");
        assert_eq!(
            rfc3339_utc_ms(1_795_359_599_042),
            "2026-11-22T14:59:59.042Z"
        );
        assert_eq!(rfc3339_utc_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn converts_known_days() {
        assert_eq!(
            civil_from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            civil_from_days(19_782),
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(
            civil_from_days(20_414),
            Date {
                year: 2025,
                month: 11,
                day: 22
            }
        );
        assert_eq!(
            civil_from_days(-1),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
    }
}
