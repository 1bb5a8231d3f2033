//! The ledger's vocabulary: account kinds and their balance rules, transfer
//! codes, kinds and states, balances and statement lines, and the requests
//! that move money. Amounts are `Money`; nothing here is a float.

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, TransferId};
use crate::money::{Currency, Money};

/// The names the bank gives the accounts it opens: codes the views translate.
/// Any other label is a name someone chose, shown as written.
pub mod account_label {
    pub const ORDINARY: &str = "ordinary";
    pub const SAVINGS: &str = "savings";
    pub const WITHDRAWAL_SUB: &str = "withdrawal_sub";
}

/// What an account is for; its kind fixes which side may not exceed the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A customer's main account.
    CustomerMain,
    /// Money set aside from a main account for one withdrawal, until a deadline.
    WithdrawalSub,
    /// The cash inside one ATM.
    AtmCassette,
    /// Where fees are collected.
    FeeIncome,
    /// What is owed to a merchant.
    MerchantSettlement,
    /// Money entering or leaving the platform (deposits, clearing).
    Funding,
}

/// Which side of an account may not exceed the other, counting pending amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceRule {
    /// Holds money for someone: cannot be overdrawn (debits ≤ credits).
    DebitsWithinCredits,
    /// Holds an asset such as cash: cannot give out more than it has (credits ≤ debits).
    CreditsWithinDebits,
    /// May go either way (the platform's funding and clearing).
    Unlimited,
}

impl AccountKind {
    pub const ALL: [AccountKind; 6] = [
        AccountKind::CustomerMain,
        AccountKind::WithdrawalSub,
        AccountKind::AtmCassette,
        AccountKind::FeeIncome,
        AccountKind::MerchantSettlement,
        AccountKind::Funding,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AccountKind::CustomerMain => "customer_main",
            AccountKind::WithdrawalSub => "withdrawal_sub",
            AccountKind::AtmCassette => "atm_cassette",
            AccountKind::FeeIncome => "fee_income",
            AccountKind::MerchantSettlement => "merchant_settlement",
            AccountKind::Funding => "funding",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub const fn rule(self) -> BalanceRule {
        match self {
            AccountKind::CustomerMain
            | AccountKind::WithdrawalSub
            | AccountKind::FeeIncome
            | AccountKind::MerchantSettlement => BalanceRule::DebitsWithinCredits,
            AccountKind::AtmCassette => BalanceRule::CreditsWithinDebits,
            AccountKind::Funding => BalanceRule::Unlimited,
        }
    }
}

/// What a transfer is, for statements and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferCode {
    Deposit,
    Transfer,
    Withdrawal,
    Fee,
    Refund,
    Payment,
    CashRefill,
    SubAccountFunding,
    SubAccountReturn,
}

impl TransferCode {
    pub const ALL: [TransferCode; 9] = [
        TransferCode::Deposit,
        TransferCode::Transfer,
        TransferCode::Withdrawal,
        TransferCode::Fee,
        TransferCode::Refund,
        TransferCode::Payment,
        TransferCode::CashRefill,
        TransferCode::SubAccountFunding,
        TransferCode::SubAccountReturn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TransferCode::Deposit => "deposit",
            TransferCode::Transfer => "transfer",
            TransferCode::Withdrawal => "withdrawal",
            TransferCode::Fee => "fee",
            TransferCode::Refund => "refund",
            TransferCode::Payment => "payment",
            TransferCode::CashRefill => "cash_refill",
            TransferCode::SubAccountFunding => "sub_account_funding",
            TransferCode::SubAccountReturn => "sub_account_return",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The phase a transfer record stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// Moves money at once.
    Single,
    /// Reserves money (a hold) until posted, voided or expired.
    Pending,
    /// Completes a hold, in full or in part; the rest is released.
    PostPending,
    /// Releases a hold.
    VoidPending,
    /// Releases a hold whose timeout passed.
    ExpirePending,
}

impl TransferKind {
    pub const ALL: [TransferKind; 5] = [
        TransferKind::Single,
        TransferKind::Pending,
        TransferKind::PostPending,
        TransferKind::VoidPending,
        TransferKind::ExpirePending,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TransferKind::Single => "single",
            TransferKind::Pending => "pending",
            TransferKind::PostPending => "post_pending",
            TransferKind::VoidPending => "void_pending",
            TransferKind::ExpirePending => "expire_pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a transfer stands; only `Pending` ever changes, and only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    Posted,
    Pending,
    Voided,
    Expired,
}

impl TransferState {
    pub const ALL: [TransferState; 4] = [
        TransferState::Posted,
        TransferState::Pending,
        TransferState::Voided,
        TransferState::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            TransferState::Posted => "posted",
            TransferState::Pending => "pending",
            TransferState::Voided => "voided",
            TransferState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A client-chosen key that makes a money-moving request safe to retry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 128;

    /// 1–128 visible ASCII characters (UUIDs, ULIDs, `order-42/attempt`).
    pub fn parse(key: &str) -> Result<Self, crate::Reason> {
        if key.is_empty() {
            Err(crate::Reason::Empty)
        } else if key.len() > Self::MAX_LEN {
            Err(crate::Reason::TooLong)
        } else if !key.bytes().all(|b| b.is_ascii_graphic()) {
            Err(crate::Reason::BadCharacters)
        } else {
            Ok(Self(key.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One money-moving request, before the ledger has checked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferRequest {
    /// Move `amount` from `debit` to `credit` now.
    Single {
        debit: AccountId,
        credit: AccountId,
        amount: Money,
        code: TransferCode,
        reference: String,
    },
    /// Reserve `amount` for at most `timeout_ms`.
    Pending {
        debit: AccountId,
        credit: AccountId,
        amount: Money,
        code: TransferCode,
        reference: String,
        timeout_ms: i64,
    },
    /// Complete a hold; `amount` `None` posts all of it, less posts part and releases the rest.
    PostPending {
        pending_id: TransferId,
        amount: Option<Money>,
    },
    /// Release a hold.
    VoidPending { pending_id: TransferId },
}

/// A transfer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    pub kind: TransferKind,
    pub state: TransferState,
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Money,
    pub code: TransferCode,
    pub reference: String,
    /// For post, void and expire records: the hold they complete.
    pub pending_id: Option<TransferId>,
    /// For holds: when they expire (Unix ms).
    pub timeout_at_ms: Option<i64>,
    pub created_at_ms: i64,
}

/// An account's figures; every balance is derived from these four sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    pub id: AccountId,
    pub kind: AccountKind,
    pub currency: Currency,
    pub label: String,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl AccountBalance {
    /// Signed so that a customer's deposits and an ATM's cash both count up.
    fn normal(&self, credits: i64, debits: i64) -> i64 {
        match self.kind.rule() {
            BalanceRule::CreditsWithinDebits => debits - credits,
            _ => credits - debits,
        }
    }

    /// A withdrawal sub-account whose money was all paid out or returned:
    /// it has nothing more to show its holder.
    pub fn is_spent_sub_account(&self) -> bool {
        self.kind == AccountKind::WithdrawalSub
            && self.posted().amount_minor == 0
            && self.debits_pending == 0
            && self.credits_pending == 0
    }

    /// What the account holds once everything pending is settled against it.
    pub fn posted(&self) -> Money {
        Money::new(
            self.normal(self.credits_posted, self.debits_posted),
            self.currency,
        )
    }

    /// What may still be spent: posted less holds going out.
    pub fn available(&self) -> Money {
        let outgoing_pending = match self.kind.rule() {
            BalanceRule::CreditsWithinDebits => self.credits_pending,
            _ => self.debits_pending,
        };
        Money::new(self.posted().amount_minor - outgoing_pending, self.currency)
    }

    /// Holds on the way in and out, as (incoming, outgoing).
    pub fn pending(&self) -> (Money, Money) {
        let (incoming, outgoing) = match self.kind.rule() {
            BalanceRule::CreditsWithinDebits => (self.debits_pending, self.credits_pending),
            _ => (self.credits_pending, self.debits_pending),
        };
        (
            Money::new(incoming, self.currency),
            Money::new(outgoing, self.currency),
        )
    }
}

/// One line of an account statement: a transfer seen from that account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub transfer: Transfer,
    /// Positive when money came in (from this account's point of view).
    pub signed_amount: Money,
}

/// A page of a statement, newest first; `next` continues after the last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementPage {
    pub lines: Vec<StatementLine>,
    pub next: Option<TransferId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balance(kind: AccountKind, dp: i64, cp: i64, dq: i64, cq: i64) -> AccountBalance {
        AccountBalance {
            id: AccountId(1),
            kind,
            currency: Currency::Jpy,
            label: "a".into(),
            debits_posted: dp,
            credits_posted: cp,
            debits_pending: dq,
            credits_pending: cq,
        }
    }

    #[test]
    fn a_customer_account_counts_up_with_credits_and_holds_reduce_what_is_available() {
        let b = balance(AccountKind::CustomerMain, 300, 1_000, 200, 50);
        assert_eq!(b.posted(), Money::jpy(700));
        assert_eq!(b.available(), Money::jpy(500));
        assert_eq!(b.pending(), (Money::jpy(50), Money::jpy(200)));
    }

    #[test]
    fn an_atm_cassette_counts_cash_in_as_debits() {
        // ¥100,000 loaded, ¥30,000 dispensed, ¥10,000 reserved for a withdrawal.
        let b = balance(AccountKind::AtmCassette, 100_000, 30_000, 0, 10_000);
        assert_eq!(b.posted(), Money::jpy(70_000));
        assert_eq!(b.available(), Money::jpy(60_000));
        assert_eq!(b.pending(), (Money::jpy(0), Money::jpy(10_000)));
    }

    #[test]
    fn only_an_empty_sub_account_with_nothing_pending_is_spent() {
        // Funded with ¥40,220, then paid out: spent.
        assert!(balance(AccountKind::WithdrawalSub, 40_220, 40_220, 0, 0).is_spent_sub_account());
        // Still holding the money, or with a payout pending: not spent.
        assert!(!balance(AccountKind::WithdrawalSub, 0, 40_220, 0, 0).is_spent_sub_account());
        assert!(!balance(AccountKind::WithdrawalSub, 0, 0, 100, 0).is_spent_sub_account());
        // An empty main account is still the customer's account.
        assert!(!balance(AccountKind::CustomerMain, 0, 0, 0, 0).is_spent_sub_account());
    }

    #[test]
    fn balance_rules_follow_the_kind() {
        assert_eq!(
            AccountKind::CustomerMain.rule(),
            BalanceRule::DebitsWithinCredits
        );
        assert_eq!(
            AccountKind::WithdrawalSub.rule(),
            BalanceRule::DebitsWithinCredits
        );
        assert_eq!(
            AccountKind::AtmCassette.rule(),
            BalanceRule::CreditsWithinDebits
        );
        assert_eq!(AccountKind::Funding.rule(), BalanceRule::Unlimited);
    }

    #[test]
    fn names_round_trip() {
        for k in AccountKind::ALL {
            assert_eq!(AccountKind::parse(k.as_str()), Some(k));
        }
        for c in TransferCode::ALL {
            assert_eq!(TransferCode::parse(c.as_str()), Some(c));
        }
        for k in TransferKind::ALL {
            assert_eq!(TransferKind::parse(k.as_str()), Some(k));
        }
        for s in TransferState::ALL {
            assert_eq!(TransferState::parse(s.as_str()), Some(s));
        }
        assert_eq!(AccountKind::parse("checking"), None);
    }

    #[test]
    fn idempotency_keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("order-42/attempt-1").is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(crate::Reason::Empty));
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(129)),
            Err(crate::Reason::TooLong)
        );
        assert_eq!(
            IdempotencyKey::parse("has space"),
            Err(crate::Reason::BadCharacters)
        );
        assert_eq!(
            IdempotencyKey::parse("キー"),
            Err(crate::Reason::BadCharacters)
        );
    }

    #[test]
    fn requests_serialize_with_a_kind_tag() {
        let r = TransferRequest::VoidPending {
            pending_id: TransferId(7),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"void_pending","pending_id":7}"#
        );
    }
}
