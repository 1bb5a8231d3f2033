//! Public nicknames (F5: a shop terminal or an agent names a user by it).
//!
//! A nickname is shown as typed, after Unicode NFKC (so full-width Latin
//! and half-width katakana become their ordinary forms), and compared by a
//! canonical form that also ignores case, so `ＨＡＮＡＫＯ`, `Hanako` and
//! `hanako` are one nickname. Letters of any script (kana and kanji
//! included) and digits are allowed, with `_`, `-` and `.` between them.
//! Names that could pass for the bank or its staff are reserved, and so
//! is any mix of scripts a reader cannot tell apart (UTS #39's "highly
//! restrictive" level): `hаnako` with a Cyrillic `а` would look exactly
//! like `hanako` on a payment card. One script, or Latin with Japanese
//! (kanji and kana), Chinese or Korean, is fine.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_security::MixedScript;

pub const MIN_CHARS: usize = 3;
pub const MAX_CHARS: usize = 20;

/// Canonical names no user may take.
const RESERVED: [&str; 16] = [
    "admin",
    "administrator",
    "root",
    "system",
    "staff",
    "support",
    "help",
    "security",
    "bank",
    "official",
    "customer",
    "guardian",
    "atm",
    "api",
    "null",
    "undefined",
];
/// Fragments no nickname may contain, so nobody can pose as the service.
const RESERVED_FRAGMENTS: [&str; 4] = ["anshin", "安心", "official", "公式"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Nickname {
    display: String,
    canonical: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NicknameError {
    #[error("a nickname needs at least {MIN_CHARS} characters")]
    TooShort,
    #[error("a nickname has at most {MAX_CHARS} characters")]
    TooLong,
    #[error("{0:?} cannot be used in a nickname")]
    BadCharacter(char),
    #[error("`_`, `-` and `.` may only stand between letters or digits")]
    BadSeparator,
    #[error("this nickname is reserved")]
    Reserved,
    #[error("a nickname may not mix alphabets that look alike")]
    MixedScripts,
}

impl NicknameError {
    /// The machine code a client translates.
    pub fn reason(&self) -> crate::Reason {
        use crate::Reason;
        match self {
            NicknameError::TooShort => Reason::TooShort,
            NicknameError::TooLong => Reason::TooLong,
            NicknameError::BadCharacter(_) => Reason::BadCharacter,
            NicknameError::BadSeparator => Reason::BadSeparator,
            NicknameError::Reserved => Reason::Reserved,
            NicknameError::MixedScripts => Reason::MixedScripts,
        }
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, '_' | '-' | '.')
}

impl Nickname {
    pub fn parse(input: &str) -> Result<Nickname, NicknameError> {
        let display: String = input.trim().nfkc().collect();
        let chars: Vec<char> = display.chars().collect();
        if chars.len() < MIN_CHARS {
            return Err(NicknameError::TooShort);
        }
        if chars.len() > MAX_CHARS {
            return Err(NicknameError::TooLong);
        }
        if let Some(c) = chars
            .iter()
            .find(|c| !(c.is_alphanumeric() || is_separator(**c)))
        {
            return Err(NicknameError::BadCharacter(*c));
        }
        let bad_edge = chars.first().is_some_and(|c| is_separator(*c))
            || chars.last().is_some_and(|c| is_separator(*c));
        let doubled = chars
            .windows(2)
            .any(|w| is_separator(w[0]) && is_separator(w[1]));
        if bad_edge || doubled {
            return Err(NicknameError::BadSeparator);
        }
        if !scripts_read_apart(&display) {
            return Err(NicknameError::MixedScripts);
        }
        let canonical = canonical(&display);
        let bare: String = canonical.chars().filter(|c| !is_separator(*c)).collect();
        if RESERVED.contains(&canonical.as_str())
            || RESERVED.contains(&bare.as_str())
            || RESERVED_FRAGMENTS.iter().any(|f| bare.contains(f))
        {
            return Err(NicknameError::Reserved);
        }
        Ok(Nickname { display, canonical })
    }

    /// As the user wrote it (NFKC-normalised).
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The form two nicknames are compared by; unique per user.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

/// One script, or ASCII Latin beside one of the scripts written with Han
/// (Japanese, Chinese, Korean): UTS #39's highly restrictive level.
fn scripts_read_apart(s: &str) -> bool {
    if s.is_single_script() {
        return true;
    }
    let beside_latin: String = s.chars().filter(|c| !c.is_ascii()).collect();
    let set = beside_latin.as_str().resolve_script_set();
    !set.is_empty() && (set.jpan || set.hanb || set.kore)
}

/// NFKC, then case-folded (lower case), then NFKC again, as folding can denormalise.
fn canonical(s: &str) -> String {
    s.nfkc().collect::<String>().to_lowercase().nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn width_and_case_do_not_make_a_new_nickname() {
        let a = Nickname::parse("Hanako").unwrap();
        let b = Nickname::parse("ＨＡＮＡＫＯ").unwrap();
        let c = Nickname::parse(" hanako ").unwrap();
        assert_eq!(a.canonical(), "hanako");
        assert_eq!(b.canonical(), a.canonical());
        assert_eq!(c.canonical(), a.canonical());
        assert_eq!(b.display(), "HANAKO");
    }

    #[test]
    fn japanese_is_welcome_and_half_width_kana_is_folded() {
        assert_eq!(Nickname::parse("たろう").unwrap().display(), "たろう");
        assert_eq!(Nickname::parse("ﾀﾛｳ").unwrap().canonical(), "タロウ");
        assert!(Nickname::parse("山田花子").is_ok());
        assert!(Nickname::parse("はなこ_2026").is_ok());
        assert!(
            Nickname::parse("ラーメン好き").is_ok(),
            "the long-vowel mark is a letter"
        );
    }

    #[test]
    fn refuses_what_it_should() {
        let e = |s: &str| Nickname::parse(s).unwrap_err().reason().as_str();
        assert_eq!(e("ab"), "too_short");
        assert_eq!(e(&"a".repeat(21)), "too_long");
        assert_eq!(e("hana ko"), "bad_character");
        assert_eq!(e("hana😀"), "bad_character");
        assert_eq!(e("hana@ko"), "bad_character");
        assert_eq!(e("_hanako"), "bad_separator");
        assert_eq!(e("hana..ko"), "bad_separator");
        assert_eq!(e("Admin"), "reserved");
        assert_eq!(e("ＡＤＭＩＮ"), "reserved");
        assert_eq!(e("s.u.p.p.o.r.t"), "reserved");
        assert_eq!(e("anshin_help"), "reserved");
        assert_eq!(e("安心サポート"), "reserved");
        assert_eq!(e("h\u{430}nako"), "mixed_scripts", "Cyrillic а among Latin");
        assert_eq!(e("\u{3b1}lpha"), "mixed_scripts", "Greek α among Latin");
        assert_eq!(e("tarо_ρ"), "mixed_scripts");
        assert_eq!(e("Ωmega"), "mixed_scripts", "Greek beside Latin");
    }

    #[test]
    fn scripts_people_write_together_are_fine() {
        for ok in [
            "はなこ_2026",
            "Taro山田",
            "山田タロウ",
            "pho_北京",
            "김민수kim",
            "иван",
        ] {
            assert!(Nickname::parse(ok).is_ok(), "{ok}");
        }
    }

    proptest! {
        #[test]
        fn canonical_form_is_stable(s in "[a-zA-Z0-9ぁ-んァ-ン]{3,20}") {
            if let Ok(n) = Nickname::parse(&s) {
                let again = Nickname::parse(n.display()).unwrap();
                prop_assert_eq!(again.canonical(), n.canonical());
                prop_assert_eq!(canonical(n.canonical()), n.canonical().to_string());
            }
        }
    }
}
