//! The video panel of a consultation: this side's camera (small, muted)
//! and the other side's picture and sound, connected by [`crate::call`].
//! The call starts when the panel appears and ends when it goes.

use std::rc::Rc;

use leptos::{prelude::*, task::spawn_local};
use shared::{consultation::Side, ids::ConsultationId};

use crate::api::fetch_ice_servers;
use crate::call::{open_media, Call};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn VideoCall(id: ConsultationId, me: Side) -> impl IntoView {
    let i18n = use_i18n();
    let live = use_live();
    let local_ref = NodeRef::<leptos::html::Video>::new();
    let remote_ref = NodeRef::<leptos::html::Video>::new();
    let call = StoredValue::new_local(None::<Rc<Call>>);
    let no_camera = RwSignal::new(false);
    live.on_transient(move |message| {
        if let Some(call) = call.try_get_value().flatten() {
            Call::hear(&call, message);
        }
    });
    Effect::new(move |_| {
        let (Some(local), Some(remote)) = (local_ref.get(), remote_ref.get()) else {
            return;
        };
        spawn_local(async move {
            // Without the setting (or its answer) a call still works on one machine or a LAN.
            let ice_servers = fetch_ice_servers().await.unwrap_or_default();
            match open_media(&local).await {
                Ok(stream) => {
                    let started = Call::start(id, me, stream, remote, ice_servers);
                    // The page may have gone while the camera was starting.
                    if call.try_set_value(Some(started.clone())).is_some() {
                        started.hang_up();
                    }
                }
                Err(e) => {
                    leptos::logging::warn!("no camera or microphone: {e:?}");
                    no_camera.try_set(true);
                }
            }
        });
    });
    on_cleanup(move || {
        if let Some(call) = call.try_get_value().flatten() {
            call.hang_up();
        }
    });
    view! {
        <section class="video-call" aria-label=move || t_string!(i18n, consult.video)>
            <video node_ref=remote_ref class="video-call__remote" data-remote="" autoplay playsinline
                aria-label=move || t_string!(i18n, consult.remote_video)></video>
            <video node_ref=local_ref class="video-call__local" autoplay playsinline muted
                aria-label=move || t_string!(i18n, consult.local_video)></video>
            <Show when=move || no_camera.get()>
                <p class="notice notice--warning" role="status">{t!(i18n, consult.no_camera)}</p>
            </Show>
        </section>
    }
}
