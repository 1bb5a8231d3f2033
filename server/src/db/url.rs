//! Reading a `DATABASE_URL`: which engine, where a SQLite file lives, and a
//! form safe to print (no password).

use shared::system::DbEngine;
use std::path::Path;

use crate::error::StartupError;

pub fn engine_of(url: &str) -> Result<DbEngine, StartupError> {
    if url.starts_with("sqlite:") {
        Ok(DbEngine::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbEngine::Postgres)
    } else {
        Err(StartupError::UnsupportedDatabaseUrl { url: redact(url) })
    }
}

/// The file path of a SQLite URL, or `None` for an in-memory database.
fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Creates the directory a SQLite file will live in, so a fresh checkout just works.
pub fn ensure_sqlite_dir(url: &str) -> std::io::Result<()> {
    match sqlite_path(url).and_then(|p| Path::new(p).parent()) {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_engines_and_rejects_others() {
        assert_eq!(
            engine_of("sqlite://data/a.db?mode=rwc").unwrap(),
            DbEngine::Sqlite
        );
        assert_eq!(engine_of("sqlite::memory:").unwrap(), DbEngine::Sqlite);
        assert_eq!(engine_of("postgres://u@h/db").unwrap(), DbEngine::Postgres);
        assert_eq!(
            engine_of("postgresql://u@h/db").unwrap(),
            DbEngine::Postgres
        );
        let err = engine_of("mysql://root:pw@h/db").unwrap_err().to_string();
        assert!(
            err.contains("not supported") && !err.contains("pw"),
            "{err}"
        );
    }

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_path("sqlite://data/a.db?mode=rwc"),
            Some("data/a.db")
        );
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
