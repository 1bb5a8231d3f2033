//! The guardian's conditions on a minor's purchases, and the check every
//! reported purchase goes through before anyone is asked anything. A
//! purchase that breaks one is cancelled at once with the condition it
//! broke; one above "ask me first" waits for a guardian.

use serde::{Deserialize, Serialize};

use super::{Broken, Category, MAX_PURCHASE_YEN};
use crate::{ids::ApiClientId, money::Money, Reason};

/// Most merchants a guardian may block.
pub const MAX_BLOCKED_MERCHANTS: usize = 50;

/// The hours (Japan time) in which purchases are allowed: from `from`:00 to
/// `to`:00, `from < to`, `to` at most 24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub from: u8,
    pub to: u8,
}

/// Limits are in yen; `None` is no limit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Conditions {
    pub per_purchase_yen: Option<i64>,
    pub per_day_yen: Option<i64>,
    pub per_month_yen: Option<i64>,
    pub blocked_categories: Vec<Category>,
    pub blocked_merchants: Vec<ApiClientId>,
    /// Purchases above this wait for a guardian's yes.
    pub ask_above_yen: Option<i64>,
    pub hours: Option<Hours>,
}

/// A purchase as the check sees it.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub amount_yen: i64,
    pub category: Category,
    pub merchant: ApiClientId,
    /// The hour of day in Japan when it was reported.
    pub hour_jst: u8,
    /// What counting purchases already made today and this month (Japan time).
    pub spent_today_yen: i64,
    pub spent_month_yen: i64,
}

impl Conditions {
    /// The conditions tidied (sorted, each once), or the field refused.
    pub fn checked(mut self) -> Result<Conditions, (&'static str, Reason)> {
        let limits = [
            ("per_purchase_yen", self.per_purchase_yen),
            ("per_day_yen", self.per_day_yen),
            ("per_month_yen", self.per_month_yen),
            ("ask_above_yen", self.ask_above_yen),
        ];
        for (field, limit) in limits {
            if limit.is_some_and(|y| !(0..=MAX_PURCHASE_YEN * 100).contains(&y)) {
                return Err((field, Reason::OutOfRange));
            }
        }
        if let (Some(day), Some(month)) = (self.per_day_yen, self.per_month_yen) {
            if day > month {
                return Err(("per_day_yen", Reason::OutOfOrder));
            }
        }
        if let Some(h) = self.hours {
            if h.from >= h.to || h.to > 24 {
                return Err(("hours", Reason::OutOfOrder));
            }
        }
        if self.blocked_merchants.len() > MAX_BLOCKED_MERCHANTS {
            return Err(("blocked_merchants", Reason::TooLong));
        }
        self.blocked_categories.sort();
        self.blocked_categories.dedup();
        self.blocked_merchants.sort();
        self.blocked_merchants.dedup();
        Ok(self)
    }

    /// The first condition `a` breaks, in the order a guardian reads them.
    pub fn broken(&self, a: &Attempt) -> Option<Broken> {
        let yen = Money::jpy;
        if self.blocked_categories.contains(&a.category) {
            return Some(Broken::BlockedCategory {
                category: a.category,
            });
        }
        if self.blocked_merchants.contains(&a.merchant) {
            return Some(Broken::BlockedMerchant);
        }
        if let Some(h) = self.hours {
            if a.hour_jst < h.from || a.hour_jst >= h.to {
                return Some(Broken::Hours {
                    from: h.from,
                    to: h.to,
                });
            }
        }
        if let Some(limit) = self.per_purchase_yen {
            if a.amount_yen > limit {
                return Some(Broken::PerPurchase { limit: yen(limit) });
            }
        }
        if let Some(limit) = self.per_day_yen {
            if a.spent_today_yen + a.amount_yen > limit {
                return Some(Broken::PerDay {
                    limit: yen(limit),
                    spent: yen(a.spent_today_yen),
                });
            }
        }
        if let Some(limit) = self.per_month_yen {
            if a.spent_month_yen + a.amount_yen > limit {
                return Some(Broken::PerMonth {
                    limit: yen(limit),
                    spent: yen(a.spent_month_yen),
                });
            }
        }
        None
    }

    /// Whether a guardian must say yes first.
    pub fn asks_first(&self, amount_yen: i64) -> bool {
        self.ask_above_yen.is_some_and(|above| amount_yen > above)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(amount_yen: i64) -> Attempt {
        Attempt {
            amount_yen,
            category: Category::Books,
            merchant: ApiClientId(7),
            hour_jst: 15,
            spent_today_yen: 0,
            spent_month_yen: 0,
        }
    }

    #[test]
    fn no_conditions_break_nothing() {
        assert_eq!(Conditions::default().broken(&attempt(999_999)), None);
        assert!(!Conditions::default().asks_first(999_999));
    }

    #[test]
    fn each_limit_is_inclusive_and_counts_what_was_spent() {
        let c = Conditions {
            per_purchase_yen: Some(3_000),
            per_day_yen: Some(5_000),
            per_month_yen: Some(20_000),
            ..Conditions::default()
        };
        assert_eq!(c.broken(&attempt(3_000)), None);
        assert_eq!(
            c.broken(&attempt(3_001)),
            Some(Broken::PerPurchase {
                limit: Money::jpy(3_000)
            })
        );
        let day = Attempt {
            spent_today_yen: 2_500,
            ..attempt(2_501)
        };
        assert_eq!(
            c.broken(&day),
            Some(Broken::PerDay {
                limit: Money::jpy(5_000),
                spent: Money::jpy(2_500)
            })
        );
        let month = Attempt {
            spent_month_yen: 19_000,
            ..attempt(1_001)
        };
        assert!(matches!(c.broken(&month), Some(Broken::PerMonth { .. })));
    }

    #[test]
    fn categories_merchants_and_hours() {
        let c = Conditions {
            blocked_categories: vec![Category::Games],
            blocked_merchants: vec![ApiClientId(9)],
            hours: Some(Hours { from: 7, to: 21 }),
            ..Conditions::default()
        };
        let games = Attempt {
            category: Category::Games,
            ..attempt(100)
        };
        assert_eq!(
            c.broken(&games),
            Some(Broken::BlockedCategory {
                category: Category::Games
            })
        );
        let shop = Attempt {
            merchant: ApiClientId(9),
            ..attempt(100)
        };
        assert_eq!(c.broken(&shop), Some(Broken::BlockedMerchant));
        for (hour, ok) in [(6, false), (7, true), (20, true), (21, false)] {
            let at = Attempt {
                hour_jst: hour,
                ..attempt(100)
            };
            assert_eq!(c.broken(&at).is_none(), ok, "hour {hour}");
        }
    }

    #[test]
    fn asking_first_is_above_the_amount() {
        let c = Conditions {
            ask_above_yen: Some(1_000),
            ..Conditions::default()
        };
        assert!(!c.asks_first(1_000));
        assert!(c.asks_first(1_001));
    }

    #[test]
    fn checks_refuse_by_field_and_tidy() {
        let bad = |c: Conditions| c.checked().unwrap_err();
        let base = Conditions::default;
        assert_eq!(
            bad(Conditions {
                per_purchase_yen: Some(-1),
                ..base()
            }),
            ("per_purchase_yen", Reason::OutOfRange)
        );
        assert_eq!(
            bad(Conditions {
                per_day_yen: Some(10_000),
                per_month_yen: Some(5_000),
                ..base()
            }),
            ("per_day_yen", Reason::OutOfOrder)
        );
        assert_eq!(
            bad(Conditions {
                hours: Some(Hours { from: 9, to: 9 }),
                ..base()
            }),
            ("hours", Reason::OutOfOrder)
        );
        let tidy = Conditions {
            blocked_categories: vec![Category::Games, Category::Alcohol, Category::Games],
            ..base()
        }
        .checked()
        .unwrap();
        assert_eq!(
            tidy.blocked_categories,
            vec![Category::Games, Category::Alcohol]
        );
    }
}
