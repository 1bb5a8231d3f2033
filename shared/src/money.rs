//! Money as integer minor units of a currency with a known scale.
//!
//! There are no floats anywhere: amounts are `i64` minor units (yen for JPY,
//! cents for USD) and every arithmetic step is checked, so an overflow is an
//! error rather than a silent wrap.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::Lang;

/// ISO 4217 currencies the platform handles, each with its minor-unit scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Jpy,
    Usd,
}

impl Currency {
    /// Number of decimal digits in the minor unit (JPY has none).
    pub const fn scale(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Usd => 2,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Currency::Jpy => "JPY",
            Currency::Usd => "USD",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "JPY" => Some(Currency::Jpy),
            "USD" => Some(Currency::Usd),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a money operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currencies differ: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount overflows")]
    Overflow,
}

/// An amount in yen as a view or a client sends it (JPY has no minor unit,
/// so it is whole yen). It travels as a bare integer; each flow's own rule
/// (`cardless::check_amount`…) turns it into [`Money`] or refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Yen(pub i64);

impl Yen {
    pub const fn money(self) -> Money {
        Money::jpy(self.0)
    }

    /// Yen as a person types them: digits of either width (a Japanese IME
    /// gives `２０，０００`), commas between groups of three, a `¥` before
    /// or `円` after, spaces around. `None` for anything else, so the form
    /// can say what is wrong rather than send a number nobody meant.
    pub fn parse_typed(text: &str) -> Option<Yen> {
        // Only the full-width forms an IME types fold to ASCII: other
        // digits (`𝟙`, `①`, `١`) are not how anyone writes an amount.
        let normal: String = text
            .chars()
            .map(|c| match c {
                '０'..='９' | '，' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '￥' => '¥',
                c => c,
            })
            .collect();
        let t = normal.trim();
        let t = t.strip_prefix('¥').unwrap_or(t).trim_start();
        let t = t.strip_suffix('円').unwrap_or(t).trim_end();
        let mut groups = t.split(',');
        let first = groups.next()?;
        let rest: Vec<&str> = groups.collect();
        let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
        let grouped = rest.is_empty() || (first.len() <= 3 && rest.iter().all(|g| g.len() == 3));
        if !digits(first) || !rest.iter().all(|g| digits(g)) || !grouped {
            return None;
        }
        let whole: String = std::iter::once(first).chain(rest).collect();
        // 15 digits stay far inside i64, and far above any amount a flow allows.
        if whole.len() > 15 {
            return None;
        }
        whole.parse().ok().map(Yen)
    }
}

impl std::fmt::Display for Yen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An amount of money: integer minor units plus the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub const fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    pub const fn jpy(yen: i64) -> Self {
        Self::new(yen, Currency::Jpy)
    }

    pub const fn is_positive(self) -> bool {
        self.amount_minor > 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_add(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount_minor
            .checked_sub(other.amount_minor)
            .map(|a| Money::new(a, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// Formats for people reading `lang`, e.g. `¥12,345` or `-$1,234.05`.
    pub fn format(self, lang: Lang) -> String {
        let negative = self.amount_minor < 0;
        let abs = self.amount_minor.unsigned_abs();
        let scale = self.currency.scale();
        let divisor = 10u64.pow(scale);
        let mut number = group_thousands(abs / divisor);
        if scale > 0 {
            number.push('.');
            number.push_str(&format!(
                "{:0width$}",
                abs % divisor,
                width = scale as usize
            ));
        }
        let sign = if negative { "-" } else { "" };
        match (self.currency, lang) {
            (Currency::Jpy, _) => format!("{sign}¥{number}"),
            (Currency::Usd, Lang::En) => format!("{sign}${number}"),
            (Currency::Usd, Lang::Ja) => format!("{sign}{number} 米ドル"),
        }
    }
}

pub fn group_thousands(mut n: u64) -> String {
    let mut groups = Vec::new();
    loop {
        if n < 1000 {
            groups.push(n.to_string());
            break;
        }
        groups.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_yen_with_grouping_in_both_languages() {
        assert_eq!(Money::jpy(12_345).format(Lang::Ja), "¥12,345");
        assert_eq!(Money::jpy(12_345).format(Lang::En), "¥12,345");
        assert_eq!(Money::jpy(0).format(Lang::En), "¥0");
        assert_eq!(Money::jpy(-1_000_000).format(Lang::En), "-¥1,000,000");
    }

    #[test]
    fn formats_minor_units_with_the_currency_scale() {
        assert_eq!(
            Money::new(123_405, Currency::Usd).format(Lang::En),
            "$1,234.05"
        );
        assert_eq!(Money::new(7, Currency::Usd).format(Lang::En), "$0.07");
        assert_eq!(Money::new(7, Currency::Usd).format(Lang::Ja), "0.07 米ドル");
    }

    #[test]
    fn formats_extremes_without_panicking() {
        assert_eq!(
            Money::jpy(i64::MIN).format(Lang::En),
            "-¥9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn refuses_mixed_currencies_and_overflow() {
        let usd = Money::new(1, Currency::Usd);
        assert_eq!(
            Money::jpy(1).checked_add(usd),
            Err(MoneyError::CurrencyMismatch(Currency::Jpy, Currency::Usd))
        );
        assert_eq!(
            Money::jpy(i64::MAX).checked_add(Money::jpy(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::jpy(i64::MIN).checked_sub(Money::jpy(1)),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn serializes_as_minor_units_and_code() {
        let json = serde_json::to_string(&Money::jpy(500)).unwrap();
        assert_eq!(json, r#"{"amount_minor":500,"currency":"JPY"}"#);
    }

    proptest! {
        #[test]
        fn grouping_round_trips(n in 0u64..u64::MAX) {
            let s = group_thousands(n);
            prop_assert_eq!(s.replace(',', "").parse::<u64>().unwrap(), n);
            prop_assert!(s.split(',').skip(1).all(|g| g.len() == 3));
        }

        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            let sum = Money::jpy(a).checked_add(Money::jpy(b)).unwrap();
            prop_assert_eq!(sum.checked_sub(Money::jpy(b)).unwrap(), Money::jpy(a));
        }
    }
}
