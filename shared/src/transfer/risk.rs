//! The risk of a transfer to another person, explained: what the server
//! knows of the two accounts ([`Facts`]), the typed reasons it draws from
//! them, a score 0–100 and the decision the rules choose for that score.
//! Pure, so staff can run a draft of the rules over past transfers.

use serde::{Deserialize, Serialize};

use crate::money::Money;

/// A completed transfer between the two accounts, either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastTransfer {
    pub amount: Money,
    pub days_ago: u32,
}

/// The recipient's history with everyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecipientFacts {
    pub account_age_days: u32,
    /// Distinct people who sent to or received from the recipient.
    pub counterparties: u32,
    /// People who sent to the recipient for the first time in the last 24 hours, and 7 days.
    pub new_senders_24h: u32,
    pub new_senders_7d: u32,
    /// Reports of fraud by other customers.
    pub reports: u32,
}

/// What the conversation between the two says, if they have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationFacts {
    pub started_minutes_ago: u32,
    pub recipient_wrote_first: bool,
}

/// The sender's answer from the payee name check, if they made one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameAnswer {
    Match,
    CloseMatch,
    NoMatch,
    NotChecked,
}

/// Everything the assessment reads; kept with each transfer, so a draft of
/// the rules can be run over past transfers as they were then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub amount: Money,
    pub between: Vec<PastTransfer>,
    pub recipient: RecipientFacts,
    pub saved_payee: bool,
    pub name: NameAnswer,
    pub conversation: Option<ConversationFacts>,
    /// The largest transfer the sender made to anyone in the last 90 days.
    pub sender_largest_recent: Option<Money>,
}

/// Why a transfer is rated as it is; each is shown in plain words (its
/// translation takes the arguments) and weighed by the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RiskReason {
    /// A relationship: enough money, long enough ago, between the two.
    KnownRecipient {
        transfers: u32,
        total: Money,
        first_days_ago: u32,
    },
    /// Never a transfer between the two.
    NoHistory,
    /// Only small or recent transfers between the two, which a scammer can seed.
    TrivialHistory {
        transfers: u32,
        total: Money,
    },
    RecipientAccountNew {
        age_days: u32,
    },
    /// Many new senders in a short time: the pattern of a money mule's account.
    RecipientManyNewSenders {
        last_24h: u32,
        last_7d: u32,
    },
    RecipientReported {
        reports: u32,
    },
    NotSavedPayee,
    NameNoMatch,
    NameCloseMatch,
    NameNotChecked,
    /// The two started talking only shortly before this payment.
    ConversationNew {
        started_minutes_ago: u32,
        recipient_wrote_first: bool,
    },
    /// Far more than the sender usually sends.
    UnusualAmount {
        amount: Money,
        usual: Money,
    },
    /// Far more than the sender ever sent this known recipient.
    LargeForRecipient {
        amount: Money,
        largest_before: Money,
    },
}

/// A reason without its arguments: what the rules give a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    KnownRecipient,
    NoHistory,
    TrivialHistory,
    RecipientAccountNew,
    RecipientManyNewSenders,
    RecipientReported,
    NotSavedPayee,
    NameNoMatch,
    NameCloseMatch,
    NameNotChecked,
    ConversationNew,
    UnusualAmount,
    LargeForRecipient,
}

impl ReasonKind {
    pub const ALL: [ReasonKind; 13] = [
        ReasonKind::KnownRecipient,
        ReasonKind::NoHistory,
        ReasonKind::TrivialHistory,
        ReasonKind::RecipientAccountNew,
        ReasonKind::RecipientManyNewSenders,
        ReasonKind::RecipientReported,
        ReasonKind::NotSavedPayee,
        ReasonKind::NameNoMatch,
        ReasonKind::NameCloseMatch,
        ReasonKind::NameNotChecked,
        ReasonKind::ConversationNew,
        ReasonKind::UnusualAmount,
        ReasonKind::LargeForRecipient,
    ];
}

impl RiskReason {
    pub fn kind(&self) -> ReasonKind {
        match self {
            RiskReason::KnownRecipient { .. } => ReasonKind::KnownRecipient,
            RiskReason::NoHistory => ReasonKind::NoHistory,
            RiskReason::TrivialHistory { .. } => ReasonKind::TrivialHistory,
            RiskReason::RecipientAccountNew { .. } => ReasonKind::RecipientAccountNew,
            RiskReason::RecipientManyNewSenders { .. } => ReasonKind::RecipientManyNewSenders,
            RiskReason::RecipientReported { .. } => ReasonKind::RecipientReported,
            RiskReason::NotSavedPayee => ReasonKind::NotSavedPayee,
            RiskReason::NameNoMatch => ReasonKind::NameNoMatch,
            RiskReason::NameCloseMatch => ReasonKind::NameCloseMatch,
            RiskReason::NameNotChecked => ReasonKind::NameNotChecked,
            RiskReason::ConversationNew { .. } => ReasonKind::ConversationNew,
            RiskReason::UnusualAmount { .. } => ReasonKind::UnusualAmount,
            RiskReason::LargeForRecipient { .. } => ReasonKind::LargeForRecipient,
        }
    }
}

/// What happens to the transfer, from least to most friction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Proceed,
    /// The sender must acknowledge a warning written for the reasons.
    Warn,
    /// The recipient proves who they are, and the sender then confirms or abandons.
    RecipientProof,
    /// Staff review it before the money moves.
    Hold,
    Refuse,
}

impl Decision {
    pub const ALL: [Decision; 5] = [
        Decision::Proceed,
        Decision::Warn,
        Decision::RecipientProof,
        Decision::Hold,
        Decision::Refuse,
    ];

    /// Its code, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Proceed => "proceed",
            Decision::Warn => "warn",
            Decision::RecipientProof => "recipient_proof",
            Decision::Hold => "hold",
            Decision::Refuse => "refuse",
        }
    }

    pub fn parse(code: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == code)
    }
}

/// The rules staff set: how history counts, each reason's weight, the
/// score from which each decision applies, and the reasons that lead to at
/// least a given decision whatever the score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rules {
    /// A past transfer counts fully toward a relationship from this amount
    /// (minor units) and this age; below, in proportion.
    pub trust_amount_minor: i64,
    pub trust_days: u32,
    /// New senders from which the mule pattern is reported.
    pub mule_new_senders_24h: u32,
    pub mule_new_senders_7d: u32,
    pub new_account_days: u32,
    pub new_conversation_minutes: u32,
    /// How many times the usual (or the largest before) is unusual.
    pub unusual_factor: i64,
    pub weights: Vec<(ReasonKind, i32)>,
    pub warn_from: u8,
    pub proof_from: u8,
    pub hold_from: u8,
    pub refuse_from: u8,
    #[serde(default)]
    pub floors: Vec<(ReasonKind, Decision)>,
}

impl Default for Rules {
    fn default() -> Self {
        use ReasonKind::*;
        Rules {
            trust_amount_minor: 5_000,
            trust_days: 30,
            mule_new_senders_24h: 3,
            mule_new_senders_7d: 6,
            new_account_days: 30,
            new_conversation_minutes: 24 * 60,
            unusual_factor: 3,
            weights: vec![
                (KnownRecipient, -40),
                (NoHistory, 25),
                (TrivialHistory, 25),
                (RecipientAccountNew, 15),
                (RecipientManyNewSenders, 35),
                (RecipientReported, 45),
                (NotSavedPayee, 5),
                (NameNoMatch, 25),
                (NameCloseMatch, 5),
                (NameNotChecked, 10),
                (ConversationNew, 20),
                (UnusualAmount, 15),
                (LargeForRecipient, 70),
            ],
            warn_from: 25,
            proof_from: 55,
            hold_from: 75,
            refuse_from: 95,
            floors: vec![
                (RecipientReported, Decision::Warn),
                (NameNoMatch, Decision::Warn),
            ],
        }
    }
}

impl Rules {
    pub fn weight(&self, kind: ReasonKind) -> i32 {
        self.weights
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, w)| *w)
    }

    /// The least decision a reason leads to, whatever the score.
    pub fn floor(&self, kind: ReasonKind) -> Decision {
        self.floors
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(Decision::Proceed, |(_, d)| *d)
    }

    pub fn decision(&self, score: u8) -> Decision {
        match score {
            s if s >= self.refuse_from => Decision::Refuse,
            s if s >= self.hold_from => Decision::Hold,
            s if s >= self.proof_from => Decision::RecipientProof,
            s if s >= self.warn_from => Decision::Warn,
            _ => Decision::Proceed,
        }
    }
}

/// The assessment of one transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub score: u8,
    pub reasons: Vec<RiskReason>,
    pub decision: Decision,
    /// The version of the rules that made it (0: the built-in rules).
    #[serde(default)]
    pub rules_version: u32,
}

/// How much a history of transfers says the two know each other: each
/// transfer counts by its amount and its age, up to 1 each, in thousandths,
/// so a ¥1 transfer yesterday adds next to nothing.
fn trust_milli(between: &[PastTransfer], rules: &Rules) -> i64 {
    let amount_cap = rules.trust_amount_minor.max(1);
    let days_cap = i64::from(rules.trust_days.max(1));
    between
        .iter()
        .map(|t| {
            let by_amount = t.amount.amount_minor.clamp(0, amount_cap) * 1000 / amount_cap;
            let by_age = i64::from(t.days_ago).min(days_cap) * 1000 / days_cap;
            by_amount * by_age / 1000
        })
        .sum()
}

/// Rates a transfer by the rules.
pub fn assess(facts: &Facts, rules: &Rules) -> Assessment {
    let mut reasons = Vec::new();
    let total = facts
        .between
        .iter()
        .map(|t| t.amount.amount_minor)
        .sum::<i64>();
    let total_money = Money::new(total, facts.amount.currency);
    let known = trust_milli(&facts.between, rules) >= 1000;
    if known {
        reasons.push(RiskReason::KnownRecipient {
            transfers: facts.between.len() as u32,
            total: total_money,
            first_days_ago: facts.between.iter().map(|t| t.days_ago).max().unwrap_or(0),
        });
        let largest = facts.between.iter().map(|t| t.amount.amount_minor).max();
        if let Some(largest) = largest {
            if facts.amount.amount_minor > largest.saturating_mul(rules.unusual_factor) {
                reasons.push(RiskReason::LargeForRecipient {
                    amount: facts.amount,
                    largest_before: Money::new(largest, facts.amount.currency),
                });
            }
        }
    } else {
        reasons.push(if facts.between.is_empty() {
            RiskReason::NoHistory
        } else {
            RiskReason::TrivialHistory {
                transfers: facts.between.len() as u32,
                total: total_money,
            }
        });
        stranger_reasons(facts, rules, &mut reasons);
    }
    let score = reasons
        .iter()
        .map(|r| rules.weight(r.kind()))
        .sum::<i32>()
        .clamp(0, 100) as u8;
    let floor = reasons
        .iter()
        .map(|r| rules.floor(r.kind()))
        .max()
        .unwrap_or(Decision::Proceed);
    Assessment {
        score,
        decision: rules.decision(score).max(floor),
        reasons,
        rules_version: 0,
    }
}

/// What counts when the two have no relationship yet.
fn stranger_reasons(facts: &Facts, rules: &Rules, reasons: &mut Vec<RiskReason>) {
    let r = &facts.recipient;
    if r.account_age_days < rules.new_account_days {
        reasons.push(RiskReason::RecipientAccountNew {
            age_days: r.account_age_days,
        });
    }
    if r.new_senders_24h >= rules.mule_new_senders_24h
        || r.new_senders_7d >= rules.mule_new_senders_7d
    {
        reasons.push(RiskReason::RecipientManyNewSenders {
            last_24h: r.new_senders_24h,
            last_7d: r.new_senders_7d,
        });
    }
    if r.reports > 0 {
        reasons.push(RiskReason::RecipientReported { reports: r.reports });
    }
    if !facts.saved_payee {
        reasons.push(RiskReason::NotSavedPayee);
    }
    match facts.name {
        NameAnswer::Match => {}
        NameAnswer::CloseMatch => reasons.push(RiskReason::NameCloseMatch),
        NameAnswer::NoMatch => reasons.push(RiskReason::NameNoMatch),
        NameAnswer::NotChecked => reasons.push(RiskReason::NameNotChecked),
    }
    if let Some(c) = facts.conversation {
        if c.started_minutes_ago < rules.new_conversation_minutes {
            reasons.push(RiskReason::ConversationNew {
                started_minutes_ago: c.started_minutes_ago,
                recipient_wrote_first: c.recipient_wrote_first,
            });
        }
    }
    if let Some(usual) = facts.sender_largest_recent {
        if facts.amount.amount_minor > usual.amount_minor.saturating_mul(rules.unusual_factor) {
            reasons.push(RiskReason::UnusualAmount {
                amount: facts.amount,
                usual,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yen(n: i64) -> Money {
        Money::jpy(n)
    }

    /// A stranger to the sender, with an ordinary account, checked by name.
    fn stranger(amount: i64) -> Facts {
        Facts {
            amount: yen(amount),
            between: vec![],
            recipient: RecipientFacts {
                account_age_days: 400,
                counterparties: 12,
                new_senders_24h: 0,
                new_senders_7d: 1,
                reports: 0,
            },
            saved_payee: false,
            name: NameAnswer::Match,
            conversation: None,
            sender_largest_recent: Some(yen(50_000)),
        }
    }

    fn kinds(a: &Assessment) -> Vec<ReasonKind> {
        a.reasons.iter().map(RiskReason::kind).collect()
    }

    #[test]
    fn a_friend_with_history_goes_straight_through() {
        let mut facts = stranger(8_000);
        facts.between = vec![
            PastTransfer {
                amount: yen(5_000),
                days_ago: 200,
            },
            PastTransfer {
                amount: yen(3_000),
                days_ago: 40,
            },
        ];
        facts.saved_payee = true;
        let a = assess(&facts, &Rules::default());
        assert_eq!(a.decision, Decision::Proceed);
        assert_eq!(kinds(&a), vec![ReasonKind::KnownRecipient]);
        assert_eq!(a.score, 0);
    }

    #[test]
    fn a_stranger_is_warned_about() {
        let a = assess(&stranger(20_000), &Rules::default());
        assert_eq!(a.decision, Decision::Warn);
        assert_eq!(
            kinds(&a),
            vec![ReasonKind::NoHistory, ReasonKind::NotSavedPayee]
        );
    }

    #[test]
    fn a_seed_transfer_of_one_yen_yesterday_does_not_make_a_stranger_known() {
        let mut facts = stranger(20_000);
        facts.between = vec![PastTransfer {
            amount: yen(1),
            days_ago: 1,
        }];
        let a = assess(&facts, &Rules::default());
        assert!(matches!(
            a.reasons[0],
            RiskReason::TrivialHistory { transfers: 1, .. }
        ));
        assert_eq!(a.decision, Decision::Warn);
        // Nor do many of them.
        facts.between = (0..100)
            .map(|d| PastTransfer {
                amount: yen(1),
                days_ago: d,
            })
            .collect();
        assert!(!kinds(&assess(&facts, &Rules::default())).contains(&ReasonKind::KnownRecipient));
        // A large one made yesterday does not either: a relationship takes time.
        facts.between = vec![PastTransfer {
            amount: yen(100_000),
            days_ago: 1,
        }];
        assert!(!kinds(&assess(&facts, &Rules::default())).contains(&ReasonKind::KnownRecipient));
    }

    #[test]
    fn a_mule_pattern_with_a_fresh_conversation_asks_the_recipient_for_proof_or_holds() {
        let mut facts = stranger(30_000);
        facts.recipient.new_senders_24h = 4;
        facts.recipient.new_senders_7d = 9;
        facts.conversation = Some(ConversationFacts {
            started_minutes_ago: 60,
            recipient_wrote_first: true,
        });
        let a = assess(&facts, &Rules::default());
        assert!(a.decision >= Decision::RecipientProof, "{a:?}");
        assert!(kinds(&a).contains(&ReasonKind::RecipientManyNewSenders));
        assert!(kinds(&a).contains(&ReasonKind::ConversationNew));
        facts.recipient.account_age_days = 3;
        facts.name = NameAnswer::NoMatch;
        assert_eq!(assess(&facts, &Rules::default()).decision, Decision::Refuse);
    }

    #[test]
    fn a_much_larger_payment_to_a_known_recipient_is_assessed_too() {
        let mut facts = stranger(600_000);
        facts.between = vec![
            PastTransfer {
                amount: yen(50_000),
                days_ago: 60,
            },
            PastTransfer {
                amount: yen(40_000),
                days_ago: 35,
            },
        ];
        let a = assess(&facts, &Rules::default());
        assert!(kinds(&a).contains(&ReasonKind::LargeForRecipient));
        assert_eq!(a.decision, Decision::Warn, "{a:?}");
        // The usual amount to the same person goes through.
        facts.amount = yen(45_000);
        assert_eq!(
            assess(&facts, &Rules::default()).decision,
            Decision::Proceed
        );
        // Rules that do not weigh the reason let the large one through.
        facts.amount = yen(600_000);
        let mut rules = Rules::default();
        rules
            .weights
            .retain(|(k, _)| *k != ReasonKind::LargeForRecipient);
        assert_eq!(assess(&facts, &rules).decision, Decision::Proceed);
    }

    #[test]
    fn the_score_stays_within_0_and_100_and_decisions_follow_it() {
        let mut facts = stranger(10_000_000);
        facts.recipient = RecipientFacts {
            account_age_days: 0,
            counterparties: 40,
            new_senders_24h: 30,
            new_senders_7d: 40,
            reports: 5,
        };
        facts.name = NameAnswer::NoMatch;
        let a = assess(&facts, &Rules::default());
        assert_eq!(a.score, 100);
        assert_eq!(a.decision, Decision::Refuse);
        let rules = Rules::default();
        let order: Vec<Decision> = (0..=100).map(|s| rules.decision(s)).collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_reason_can_lead_to_a_decision_whatever_the_score() {
        let mut facts = stranger(20_000);
        facts.saved_payee = true;
        facts.recipient.reports = 1;
        let mut rules = Rules::default();
        rules
            .weights
            .retain(|(k, _)| !matches!(k, ReasonKind::RecipientReported | ReasonKind::NoHistory));
        let a = assess(&facts, &rules);
        assert_eq!(a.score, 0);
        assert_eq!(a.decision, Decision::Warn, "the default floor of a report");
        rules.floors = vec![(ReasonKind::RecipientReported, Decision::Hold)];
        assert_eq!(assess(&facts, &rules).decision, Decision::Hold);
        rules.floors.clear();
        assert_eq!(assess(&facts, &rules).decision, Decision::Proceed);
    }

    #[test]
    fn facts_and_rules_survive_being_stored() {
        let mut facts = stranger(20_000);
        facts.conversation = Some(ConversationFacts {
            started_minutes_ago: 5,
            recipient_wrote_first: true,
        });
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(serde_json::from_str::<Facts>(&json).unwrap(), facts);
        let rules = Rules::default();
        let json = serde_json::to_string(&rules).unwrap();
        assert_eq!(serde_json::from_str::<Rules>(&json).unwrap(), rules);
    }

    #[test]
    fn a_decision_code_is_its_serialised_name() {
        for d in Decision::ALL {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
            assert_eq!(Decision::parse(d.as_str()), Some(d));
        }
    }

    #[test]
    fn reasons_travel_as_codes_with_arguments() {
        let json = serde_json::to_value(RiskReason::RecipientManyNewSenders {
            last_24h: 4,
            last_7d: 9,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "recipient_many_new_senders", "last_24h": 4, "last_7d": 9})
        );
    }
}
