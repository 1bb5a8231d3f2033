//! The risk rules as staff keep them: numbered versions with who saved each
//! and why, the checks a draft must pass before it is saved, and what a dry
//! run of a draft over past transfers found.

use serde::{Deserialize, Serialize};

use super::risk::{Decision, ReasonKind, Rules};
use crate::Reason;

/// Longest note a version may be saved with.
pub const MAX_NOTE_CHARS: usize = 500;
/// How far back a dry run may look, in days.
pub const DRY_RUN_DAYS: std::ops::RangeInclusive<u32> = 1..=90;
/// A threshold of this score is never reached: the decision is off.
pub const NEVER: u8 = 101;

/// One saved version of the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesVersion {
    /// 0 is the built-in rules, in force until staff save a version.
    pub version: u32,
    pub rules: Rules,
    /// The nickname of the staff member who saved it (empty for version 0).
    pub author: String,
    pub note: String,
    pub saved_at_ms: i64,
}

/// The rules page: the version in force and the versions before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesPage {
    pub current: RulesVersion,
    /// Newest first, the current one included.
    pub history: Vec<RulesVersion>,
}

/// How many transfers led to each decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCounts {
    pub proceed: u32,
    pub warn: u32,
    pub recipient_proof: u32,
    pub hold: u32,
    pub refuse: u32,
}

impl DecisionCounts {
    pub fn add(&mut self, d: Decision) {
        *self.slot(d) += 1;
    }

    pub fn get(&self, d: Decision) -> u32 {
        match d {
            Decision::Proceed => self.proceed,
            Decision::Warn => self.warn,
            Decision::RecipientProof => self.recipient_proof,
            Decision::Hold => self.hold,
            Decision::Refuse => self.refuse,
        }
    }

    fn slot(&mut self, d: Decision) -> &mut u32 {
        match d {
            Decision::Proceed => &mut self.proceed,
            Decision::Warn => &mut self.warn,
            Decision::RecipientProof => &mut self.recipient_proof,
            Decision::Hold => &mut self.hold,
            Decision::Refuse => &mut self.refuse,
        }
    }
}

/// The rules in force and a draft, each run over the same past transfers
/// (the facts as they were when each was assessed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRun {
    pub days: u32,
    pub transfers: u32,
    /// More transfers than a dry run reads: the newest were read.
    pub capped: bool,
    pub in_force: DecisionCounts,
    pub draft: DecisionCounts,
    /// Transfers the draft decides with more friction, and with less.
    pub stricter: u32,
    pub looser: u32,
}

impl DryRun {
    /// Counts one transfer's two decisions.
    pub fn add(&mut self, in_force: Decision, draft: Decision) {
        self.transfers += 1;
        self.in_force.add(in_force);
        self.draft.add(draft);
        if draft > in_force {
            self.stricter += 1;
        } else if draft < in_force {
            self.looser += 1;
        }
    }
}

/// A draft's field that does not pass, and why.
pub type Problem = (&'static str, Reason);

fn within(field: &'static str, value: i64, lo: i64, hi: i64) -> Result<(), Problem> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err((field, Reason::OutOfRange))
    }
}

/// Checks a draft before it is saved or run: every number within its range,
/// the thresholds in order, one weight and at most one floor per reason.
pub fn check(r: &Rules) -> Result<(), Problem> {
    within("trust_amount_minor", r.trust_amount_minor, 1, 100_000_000)?;
    within("trust_days", r.trust_days.into(), 1, 3650)?;
    within(
        "mule_new_senders_24h",
        r.mule_new_senders_24h.into(),
        1,
        1000,
    )?;
    within("mule_new_senders_7d", r.mule_new_senders_7d.into(), 1, 1000)?;
    within("new_account_days", r.new_account_days.into(), 0, 3650)?;
    within(
        "new_conversation_minutes",
        r.new_conversation_minutes.into(),
        0,
        30 * 24 * 60,
    )?;
    within("unusual_factor", r.unusual_factor, 1, 100)?;
    let thresholds = [
        ("warn_from", r.warn_from),
        ("proof_from", r.proof_from),
        ("hold_from", r.hold_from),
        ("refuse_from", r.refuse_from),
    ];
    for (field, value) in thresholds {
        within(field, value.into(), 1, NEVER.into())?;
    }
    for pair in thresholds.windows(2) {
        if pair[1].1 < pair[0].1 {
            return Err((pair[1].0, Reason::OutOfOrder));
        }
    }
    for (i, (kind, weight)) in r.weights.iter().enumerate() {
        within("weights", (*weight).into(), -100, 100)?;
        if r.weights[..i].iter().any(|(k, _)| k == kind) {
            return Err(("weights", Reason::Duplicate));
        }
    }
    for (i, (kind, _)) in r.floors.iter().enumerate() {
        if r.floors[..i].iter().any(|(k, _)| k == kind) {
            return Err(("floors", Reason::Duplicate));
        }
    }
    Ok(())
}

/// A draft as staff send it: one weight for every reason, and floors only
/// where they lead to more than going ahead.
pub fn tidy(mut r: Rules) -> Rules {
    r.weights = ReasonKind::ALL.map(|k| (k, r.weight(k))).to_vec();
    r.floors = ReasonKind::ALL
        .into_iter()
        .map(|k| (k, r.floor(k)))
        .filter(|(_, d)| *d > Decision::Proceed)
        .collect();
    r
}

/// Checks a note a version is saved with.
pub fn check_note(note: &str) -> Result<String, Problem> {
    let n = note.trim();
    if n.is_empty() || n.chars().count() > MAX_NOTE_CHARS {
        return Err(("note", Reason::EmptyOrTooLong));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_rules_pass_their_own_checks() {
        assert_eq!(check(&Rules::default()), Ok(()));
        assert_eq!(check(&tidy(Rules::default())), Ok(()));
    }

    #[test]
    fn a_draft_out_of_range_or_order_is_refused_with_its_field() {
        let with = |change: fn(&mut Rules)| {
            let mut r = Rules::default();
            change(&mut r);
            check(&r)
        };
        assert_eq!(
            with(|r| r.hold_from = 50),
            Err(("hold_from", Reason::OutOfOrder))
        );
        assert_eq!(
            with(|r| r.refuse_from = 102),
            Err(("refuse_from", Reason::OutOfRange))
        );
        assert_eq!(
            with(|r| r.trust_amount_minor = 0),
            Err(("trust_amount_minor", Reason::OutOfRange))
        );
        let mut r = Rules::default();
        r.weights.push((ReasonKind::NoHistory, 1));
        assert_eq!(check(&r), Err(("weights", Reason::Duplicate)));
        let mut r = Rules::default();
        r.weights[0].1 = 101;
        assert_eq!(check(&r), Err(("weights", Reason::OutOfRange)));
        assert_eq!(check_note("  "), Err(("note", Reason::EmptyOrTooLong)));
    }

    #[test]
    fn never_turns_a_decision_off() {
        let r = Rules {
            refuse_from: NEVER,
            ..Rules::default()
        };
        assert_eq!(check(&r), Ok(()));
        assert_eq!(r.decision(100), Decision::Hold);
    }

    #[test]
    fn tidy_keeps_every_reason_once_and_drops_empty_floors() {
        let mut r = Rules::default();
        r.weights.retain(|(k, _)| *k != ReasonKind::NoHistory);
        r.floors
            .push((ReasonKind::NotSavedPayee, Decision::Proceed));
        let t = tidy(r);
        assert_eq!(t.weights.len(), ReasonKind::ALL.len());
        assert_eq!(t.weight(ReasonKind::NoHistory), 0);
        assert!(t.floors.iter().all(|(_, d)| *d > Decision::Proceed));
    }

    #[test]
    fn a_dry_run_counts_stricter_and_looser() {
        let mut d = DryRun::default();
        d.add(Decision::Proceed, Decision::Warn);
        d.add(Decision::Hold, Decision::Warn);
        d.add(Decision::Warn, Decision::Warn);
        assert_eq!((d.transfers, d.stricter, d.looser), (3, 1, 1));
        assert_eq!(d.draft.get(Decision::Warn), 3);
        assert_eq!(d.in_force.get(Decision::Hold), 1);
    }
}
