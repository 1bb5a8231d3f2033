//! Building blocks shared by the views: page chrome, notices, money, language.

pub mod account_name;
pub mod approval_card;
pub mod chat;
pub mod clerk_form;
pub mod code_card;
pub mod delegated_facts;
pub mod document_input;
pub mod empty_state;
pub mod error_notice;
pub mod header;
pub mod identity_check;
pub mod kyc_words;
pub mod lang;
pub mod link_card;
pub mod live_state;
pub mod money;
pub mod notice;
pub mod page_title;
pub mod passkey;
pub mod purchase_line;
pub mod purchase_words;
pub mod risk_words;
pub mod video_call;
pub mod view_shell;
pub mod withdrawal_form;
