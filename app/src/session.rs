//! Who is signed in, known to every view: loaded once at start, updated by
//! sign-in and sign-out.

use leptos::{prelude::*, task::spawn_local};
use shared::identity::Me;

use crate::api::fetch_me;

#[derive(Debug, Clone, Copy)]
pub struct Session {
    pub me: RwSignal<Option<Me>>,
}

pub fn provide_session() {
    let session = Session {
        me: RwSignal::new(None),
    };
    provide_context(session);
    spawn_local(async move {
        match fetch_me().await {
            Ok(me) => session.me.set(me),
            Err(e) => leptos::logging::warn!("could not tell who is signed in: {e}"),
        }
    });
}

pub fn use_session() -> Session {
    expect_context()
}
