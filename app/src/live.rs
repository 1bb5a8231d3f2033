//! The live channel every signed-in page holds: Server-Sent Events from
//! `/api/events`, opened when someone signs in and closed when they leave.
//!
//! Pages read [`Live::latest`] to react to events and [`Live::unread`] for
//! the header's count. The channel starts after the newest event the inbox
//! knows; the browser reconnects on its own and sends `Last-Event-ID`, so
//! nothing is missed. If the server refuses the channel (say, after a
//! restart lost nothing but needs a fresh request) it is reopened shortly.

use leptos::{prelude::*, task::spawn_local};
use shared::{
    events::{Notification, Transient},
    ids::UserId,
};
use std::rc::Rc;
use wasm_bindgen::{prelude::*, JsCast};
use web_sys::{EventSource, MessageEvent};

use crate::{
    api::{fetch_inbox, fetch_me},
    session::{use_session, Session},
};

/// Wait before reopening a channel the server closed.
const REOPEN_MS: u32 = 3000;

#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// The newest event received on this page.
    pub latest: RwSignal<Option<Notification>>,
    pub unread: RwSignal<i64>,
    pub connected: RwSignal<bool>,
    /// The newest event number this page has seen.
    last_seq: RwSignal<i64>,
    /// Who listens for transient messages. Not a signal: a burst of them
    /// (a call's ICE candidates) must reach each listener one by one.
    listeners: StoredValue<Vec<(u64, Listener)>, LocalStorage>,
}

/// Someone on the page waiting for transient messages, handed each as it
/// came (JSON): only pages with a listener link the code that reads them.
type Listener = Rc<dyn Fn(&str)>;

/// An open channel and the callbacks it holds.
struct Channel {
    source: EventSource,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
    _on_transient: Closure<dyn FnMut(MessageEvent)>,
}

pub fn provide_live() {
    let live = Live {
        latest: RwSignal::new(None),
        unread: RwSignal::new(0),
        connected: RwSignal::new(false),
        last_seq: RwSignal::new(0),
        listeners: StoredValue::new_local(Vec::new()),
    };
    provide_context(live);
    let channel = StoredValue::new_local(None::<Channel>);
    let session = use_session();
    // Re-runs when the person changes (sign-in, sign-out, someone else), not on every refresh of `me`.
    let user = Memo::new(move |_| session.me.with(|m| m.as_ref().map(|me| me.id)));
    Effect::new(move |_| {
        let signed_in = user.get();
        close(channel, live);
        live.unread.set(0);
        live.last_seq.set(0);
        live.latest.set(None);
        let Some(id) = signed_in else { return };
        spawn_local(async move {
            match fetch_inbox(None).await {
                Ok(inbox) => {
                    // Someone else may have signed in meanwhile; their own run opens their channel.
                    if user.get_untracked() != Some(id) {
                        return;
                    }
                    live.unread.set(inbox.unread);
                    live.last_seq.set(inbox.last_seq);
                }
                Err(e) => leptos::logging::warn!("inbox unavailable: {e}"),
            }
            if user.get_untracked() == Some(id) {
                open(channel, live, id, session);
            }
        });
    });
}

pub fn use_live() -> Live {
    expect_context()
}

impl Live {
    /// Fetches `resource` again whenever a notice `matches` arrives, so a
    /// page shows what another person or device just did.
    pub fn refetch_on<T: 'static>(
        &self,
        resource: LocalResource<T>,
        matches: impl Fn(&shared::events::Notice) -> bool + 'static,
    ) {
        let latest = self.latest;
        // Only what arrives after the page mounted: the notice already there
        // is in the first fetch, and fetching again at once would rebuild the
        // page under the person's hands.
        let mounted = latest.with_untracked(|n| n.as_ref().map(|n| n.seq));
        Effect::new(move |_| {
            let hit = latest.with(|n| match n.as_ref() {
                Some(n) if Some(n.seq) != mounted => match &n.event {
                    shared::events::Event::Notice { notice } => matches(notice),
                    _ => false,
                },
                _ => false,
            });
            if hit {
                resource.refetch();
            }
        });
    }

    /// Marks everything seen so far as read.
    pub fn read_all(&self, unread: i64) {
        self.unread.set(unread);
    }

    /// Calls `f` with every transient message until the calling component
    /// goes away.
    pub fn on_transient(&self, f: impl Fn(&Transient) + 'static) {
        let id = js_sys::Math::random().to_bits();
        let listeners = self.listeners;
        let read = move |data: &str| match serde_json::from_str::<Transient>(data) {
            Ok(t) => f(&t),
            Err(e) => leptos::logging::warn!("unreadable transient message: {e}"),
        };
        listeners.update_value(|l| l.push((id, Rc::new(read))));
        on_cleanup(move || {
            listeners.try_update_value(|l| l.retain(|(i, _)| *i != id));
        });
    }
}

fn close(channel: StoredValue<Option<Channel>, LocalStorage>, live: Live) {
    channel.update_value(|c| {
        if let Some(c) = c.take() {
            c.source.close();
        }
    });
    live.connected.set(false);
}

fn open(
    channel: StoredValue<Option<Channel>, LocalStorage>,
    live: Live,
    user: UserId,
    session: Session,
) {
    close(channel, live);
    let url = format!(
        "/api/events?after={}&user={user}",
        live.last_seq.get_untracked()
    );
    let Ok(source) = EventSource::new(&url) else {
        leptos::logging::warn!("this browser cannot open a live channel");
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(data) = ev.data().as_string() else {
            return;
        };
        match serde_json::from_str::<Notification>(&data) {
            // A repeat after a reconnect is dropped: each number counts once.
            Ok(n) if n.seq > live.last_seq.get_untracked() => {
                live.last_seq.set(n.seq);
                if !n.read {
                    live.unread.update(|u| *u += 1);
                }
                live.latest.set(Some(n));
            }
            Ok(_) => {}
            Err(e) => leptos::logging::warn!("unreadable live event: {e}"),
        }
    });
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.connected.set(true));
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
        live.connected.set(false);
        let closed = ev
            .target()
            .and_then(|t| t.dyn_into::<EventSource>().ok())
            .is_some_and(|s| s.ready_state() == EventSource::CLOSED);
        if closed {
            // The browser gives up only when the server refused (a session
            // that ended, someone else signed in): ask who is signed in now,
            // and reopen only for the same person.
            set_timeout(
                move || {
                    spawn_local(async move {
                        match fetch_me().await {
                            Ok(me) if me.as_ref().map(|m| m.id) == Some(user) => {
                                if channel.with_value(|c| c.is_some()) {
                                    open(channel, live, user, session);
                                }
                            }
                            Ok(me) => session.me.set(me),
                            Err(e) => leptos::logging::warn!("live channel closed: {e}"),
                        }
                    });
                },
                std::time::Duration::from_millis(u64::from(REOPEN_MS)),
            );
        }
    });
    let on_transient = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(data) = ev.data().as_string() else {
            return;
        };
        // Copied out first: a listener may add or remove listeners.
        let all: Vec<_> = live
            .listeners
            .with_value(|l| l.iter().map(|(_, f)| f.clone()).collect());
        for f in all {
            f(&data);
        }
    });
    let _ =
        source.add_event_listener_with_callback("transient", on_transient.as_ref().unchecked_ref());
    source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    channel.set_value(Some(Channel {
        source,
        _on_message: on_message,
        _on_open: on_open,
        _on_error: on_error,
        _on_transient: on_transient,
    }));
}
