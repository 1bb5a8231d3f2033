//! Integration tests: each starts the real server on a random port with a
//! fresh database, on SQLite and on PostgreSQL, and talks to it over HTTP.

mod helpers;

mod cli;
mod database;
mod health;
mod server_fns;
mod startup_errors;
mod static_files;
