//! Every parser of outside input in `shared`, fed adversarial strings:
//! arbitrary Unicode, and pieces chosen to break parsers (bidi overrides,
//! zero-width and control characters, full-width and other-script digits,
//! look-alike letters, NUL, quotes, our own prefixes). None may panic, and
//! whatever one accepts must be what its rule says.

use proptest::prelude::*;
use shared::{
    ledger::IdempotencyKey,
    nickname::{self, Nickname},
    sub_withdrawal::{check_password, parse_qr, qr_payload},
    transfer::send::To,
    Yen,
};

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{202E}".to_string()),
        Just("\u{200B}".to_string()),
        Just("\u{FEFF}".to_string()),
        Just("\0".to_string()),
        Just("\r\n".to_string()),
        Just("\u{3000}".to_string()),
        Just("ｈａｎａｋｏ".to_string()),
        Just("hаnako".to_string()), // Cyrillic а
        Just("２０，０００".to_string()),
        Just("١٢٣".to_string()),
        Just("𝟙𝟚𝟛".to_string()),
        Just("¥".to_string()),
        Just("￥".to_string()),
        Just("円".to_string()),
        Just(",".to_string()),
        Just("-".to_string()),
        Just(":".to_string()),
        Just("'\"<>&%00../".to_string()),
        Just("anshin:sw:".to_string()),
        Just("anshin:cw:".to_string()),
        Just("e\u{301}".to_string()),
        "[0-9]{1,9}",
        "[a-zA-Z_.-]{1,6}",
        "\\PC{1,4}",
    ]
}

fn adversarial() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::collection::vec(piece(), 0..8).prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn nicknames_accept_only_what_the_rule_allows(s in adversarial()) {
        if let Ok(n) = Nickname::parse(&s) {
            let chars: Vec<char> = n.display().chars().collect();
            prop_assert!((nickname::MIN_CHARS..=nickname::MAX_CHARS).contains(&chars.len()));
            prop_assert!(chars.iter().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')));
            prop_assert!(!n.canonical().contains("anshin"));
            let again = Nickname::parse(n.display()).expect("a parsed nickname parses again");
            prop_assert_eq!(again.canonical(), n.canonical());
        }
    }

    #[test]
    fn idempotency_keys_are_exactly_short_visible_ascii(s in adversarial()) {
        let rule = (1..=IdempotencyKey::MAX_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_graphic());
        prop_assert_eq!(IdempotencyKey::parse(&s).is_ok(), rule);
    }

    #[test]
    fn user_codes_are_four_to_eight_ascii_digits(s in adversarial()) {
        if let Ok(code) = shared::delegation::parse_user_code(&s) {
            prop_assert!((4..=8).contains(&code.len()));
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(code.as_str(), s.trim());
        }
    }

    #[test]
    fn a_recipient_is_seven_digits_or_a_name(s in adversarial()) {
        match To::parse(&s) {
            Ok(To::Account(id)) => prop_assert!((0..10_000_000).contains(&id.0)),
            Ok(To::Nickname(n)) => {
                prop_assert!(!n.is_empty() && n.trim() == n);
                prop_assert!(!n.starts_with('@'));
            }
            Err(_) => prop_assert!(s.trim().trim_start_matches('@').trim().is_empty()),
        }
    }

    #[test]
    fn code_qr_payloads_carry_exactly_what_they_name(s in adversarial()) {
        if let Some((number, password)) = parse_qr(&s) {
            prop_assert!(!number.contains(':'));
            prop_assert_eq!(qr_payload(number, password), s.trim());
        }
    }

    #[test]
    fn chosen_passwords_are_six_to_eight_ascii_digits(s in adversarial()) {
        if check_password(&s).is_ok() {
            prop_assert!((6..=8).contains(&s.len()));
            prop_assert!(s.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn typed_yen_is_digits_in_either_width_or_nothing(s in adversarial()) {
        if let Some(Yen(y)) = Yen::parse_typed(&s) {
            prop_assert!(y >= 0);
            prop_assert!(s.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c)));
        }
    }

    #[test]
    fn typed_yen_reads_every_way_a_person_writes_an_amount(n in 0u64..1_000_000_000_000) {
        let grouped = shared::money::group_thousands(n);
        let wide: String = grouped.chars().map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
            ',' => '，',
            c => c,
        }).collect();
        for typed in [n.to_string(), grouped.clone(), format!(" ¥{grouped} "), format!("{wide}円"),
                      format!("￥{wide}")] {
            prop_assert_eq!(Yen::parse_typed(&typed), Some(Yen(n as i64)), "{}", typed);
        }
    }
}

#[test]
fn typed_yen_refuses_what_nobody_means() {
    for bad in [
        "",
        "¥",
        "1,0,0",
        "10,00",
        "1.5",
        "-5",
        "1e3",
        "١٢٣",
        "12 000",
        "1,000,",
        "𝟙𝟚𝟛",
        "①",
    ] {
        assert_eq!(Yen::parse_typed(bad), None, "{bad:?}");
    }
}
