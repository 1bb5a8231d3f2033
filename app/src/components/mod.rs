//! Building blocks shared by the views: page chrome, notices, language.

pub mod empty_state;
pub mod error_notice;
pub mod header;
pub mod lang;
pub mod page_title;
pub mod view_shell;
