//! The payee name check (as the UK's Confirmation of Payee and the EU's
//! Verification of Payee): before sending, the sender types the name they
//! expect and learns whether it matches the holder's. Only a close match
//! reveals the holder's name, so the check cannot be used to look up who
//! holds an account from its number alone.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// How alike two names must be (normalised Levenshtein, 0..=1) to be a close match.
const CLOSE_SIMILARITY: f64 = 0.75;

/// The answer to a name check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum NameCheck {
    /// The name typed is the holder's, up to spacing, width, case and kana.
    Match,
    /// Nearly the holder's name (a typo, the names in the other order, one
    /// of the names only); the holder's name is shown so the sender can judge.
    CloseMatch { holder_name: String },
    /// Not the holder's name.
    NoMatch,
}

/// Compares the name the sender expects with the account holder's name.
pub fn check(expected: &str, holder: &str) -> NameCheck {
    let (typed, real) = (words(expected), words(holder));
    if typed.is_empty() || real.is_empty() {
        return NameCheck::NoMatch;
    }
    let (typed_joined, real_joined) = (typed.concat(), real.concat());
    if typed_joined == real_joined {
        return NameCheck::Match;
    }
    let close = || NameCheck::CloseMatch {
        holder_name: holder.trim().to_string(),
    };
    let mut typed_sorted = typed.clone();
    let mut real_sorted = real.clone();
    typed_sorted.sort();
    real_sorted.sort();
    if typed_sorted == real_sorted {
        return close();
    }
    // One of the holder's names alone (a family name, a given name), when the
    // holder has more than one: people often know only one of them.
    if typed.len() == 1 && real.len() > 1 && real.contains(&typed[0]) {
        return close();
    }
    if strsim::normalized_levenshtein(&typed_joined, &real_joined) >= CLOSE_SIMILARITY {
        return close();
    }
    NameCheck::NoMatch
}

/// A name as the words it is compared by: NFKC (full-width Latin and
/// half-width kana alike), lower case, hiragana as katakana, split at spaces
/// and the separators names are written with.
fn words(name: &str) -> Vec<String> {
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    folded
        .split(|c: char| c.is_whitespace() || matches!(c, '・' | '･' | '.' | ',' | '-'))
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().map(katakana).collect())
        .collect()
}

/// Hiragana to the katakana of the same sound: both write the same reading.
fn katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(holder: &str) -> NameCheck {
        NameCheck::CloseMatch {
            holder_name: holder.to_string(),
        }
    }

    #[test]
    fn the_same_name_matches_whatever_its_spacing_width_case_and_kana() {
        assert_eq!(check("Hanako Yamada", "Hanako Yamada"), NameCheck::Match);
        assert_eq!(
            check("  hanako   YAMADA ", "Hanako Yamada"),
            NameCheck::Match
        );
        assert_eq!(
            check("Ｈａｎａｋｏ Ｙａｍａｄａ", "Hanako Yamada"),
            NameCheck::Match
        );
        assert_eq!(check("山田花子", "山田 花子"), NameCheck::Match);
        assert_eq!(check("やまだ はなこ", "ヤマダ ハナコ"), NameCheck::Match);
        assert_eq!(check("ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ ハナコ"), NameCheck::Match);
        assert_eq!(check("山田・花子", "山田 花子"), NameCheck::Match);
    }

    #[test]
    fn nearly_the_name_is_a_close_match_that_shows_the_holders_name() {
        // A typo.
        assert_eq!(
            check("Hanako Yamda", "Hanako Yamada"),
            close("Hanako Yamada")
        );
        // The names in the other order.
        assert_eq!(
            check("Yamada Hanako", "Hanako Yamada"),
            close("Hanako Yamada")
        );
        // One of the names only.
        assert_eq!(check("Yamada", "Hanako Yamada"), close("Hanako Yamada"));
        assert_eq!(check("花子", "山田 花子"), close("山田 花子"));
    }

    #[test]
    fn another_name_does_not_match_and_reveals_nothing() {
        assert_eq!(check("Taro Suzuki", "Hanako Yamada"), NameCheck::NoMatch);
        assert_eq!(check("佐藤 一郎", "山田 花子"), NameCheck::NoMatch);
        // A single letter in common with one of the names is not one of the names.
        assert_eq!(check("H", "Hanako Yamada"), NameCheck::NoMatch);
        assert_eq!(check("", "Hanako Yamada"), NameCheck::NoMatch);
        assert_eq!(check("   ", "Hanako Yamada"), NameCheck::NoMatch);
    }

    #[test]
    fn the_answer_travels_as_a_tagged_code() {
        let json = serde_json::to_string(&close("Hanako Yamada")).unwrap();
        assert_eq!(
            json,
            r#"{"answer":"close_match","holder_name":"Hanako Yamada"}"#
        );
        assert_eq!(
            serde_json::to_string(&NameCheck::Match).unwrap(),
            r#"{"answer":"match"}"#
        );
    }
}
