//! Age and legal capacity. In Japan a person comes of age at 18 (since
//! April 2022); someone younger is a minor, whose spending a guardian
//! controls. Ages count whole years, a year passing on the birthday; a
//! person born on 29 February gains a year on 1 March in other years.

use serde::{Deserialize, Serialize};

pub const AGE_OF_MAJORITY: u32 = 18;

/// A calendar date (proleptic Gregorian), as entered for a date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A real calendar date, or `None` (`2025-02-29`, month 13, …).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// `YYYY-MM-DD`, as an `<input type="date">` gives it.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Date::new(year, month, day)
    }
}

/// Whole years from `birth` to `on`; `None` if `on` is before `birth`.
pub fn age_on(birth: Date, on: Date) -> Option<u32> {
    if on < birth {
        return None;
    }
    let before_birthday = (on.month, on.day) < (birth.month, birth.day);
    u32::try_from(on.year - birth.year - i32::from(before_birthday)).ok()
}

/// Under the age of majority on `today`.
pub fn is_minor(birth: Date, today: Date) -> bool {
    age_on(birth, today).is_none_or(|age| age < AGE_OF_MAJORITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn comes_of_age_on_the_eighteenth_birthday() {
        assert!(is_minor(d("2008-11-23"), d("2026-11-22")));
        assert!(!is_minor(d("2008-11-22"), d("2026-11-22")));
        assert_eq!(age_on(d("2008-11-22"), d("2026-11-22")), Some(18));
    }

    #[test]
    fn leap_day_birthdays_count_from_the_first_of_march() {
        let birth = d("2008-02-29");
        assert!(is_minor(birth, d("2026-02-28")));
        assert!(!is_minor(birth, d("2026-03-01")));
    }

    #[test]
    fn only_real_dates_parse() {
        assert_eq!(Date::parse("2025-02-29"), None);
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(Date::parse("2024-13-01"), None);
        assert_eq!(Date::parse("2024-04-31"), None);
        assert_eq!(Date::parse("yesterday"), None);
        assert_eq!(age_on(d("2030-01-01"), d("2026-01-01")), None);
    }
}
