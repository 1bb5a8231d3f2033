//! The video call inside a consultation: this side's camera and microphone,
//! a WebRTC peer connection to the other browser, and signalling through our
//! own server (the live channel's transient messages). The clerk's side
//! always makes the offer, so the two never offer at once. A side that joins
//! or rejoins says `Ready`, and the clerk offers afresh on a new connection:
//! that is also how a dropped call comes back.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use leptos::task::spawn_local;
use shared::{
    consultation::{IceServer, Side},
    events::{CallSignal, Transient},
    ids::ConsultationId,
};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlVideoElement, MediaStream, MediaStreamConstraints, RtcConfiguration, RtcIceCandidateInit,
    RtcIceServer, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcSdpType,
    RtcSessionDescriptionInit, RtcTrackEvent,
};

use crate::api::signal_consultation;

/// One side of a call, alive while its page is.
pub struct Call {
    id: ConsultationId,
    me: Side,
    local: MediaStream,
    remote_video: HtmlVideoElement,
    peer: RefCell<Option<Peer>>,
    /// The clerk's latest offer (unused on the customer's side).
    attempt: Cell<u32>,
    /// Candidates that came before their connection knew the other side's description.
    early: RefCell<Vec<(u32, RtcIceCandidateInit)>>,
    /// The STUN/TURN servers set on the server (none on one machine or a LAN).
    ice_servers: Vec<IceServer>,
}

/// The browser's form of the STUN/TURN settings.
fn configuration(servers: &[IceServer]) -> RtcConfiguration {
    let list = js_sys::Array::new();
    for s in servers {
        let server = RtcIceServer::new();
        let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
        server.set_urls(&urls);
        if let Some(user) = &s.username {
            server.set_username(user);
        }
        if let Some(secret) = &s.credential {
            server.set_credential(secret);
        }
        list.push(&server);
    }
    let config = RtcConfiguration::new();
    config.set_ice_servers(&list);
    config
}

/// A peer connection for one offer, and the callbacks it holds.
struct Peer {
    pc: RtcPeerConnection,
    attempt: u32,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_candidate: Closure<dyn FnMut(RtcPeerConnectionIceEvent)>,
}

fn send(id: ConsultationId, signal: CallSignal) {
    spawn_local(async move {
        if let Err(e) = signal_consultation(id, signal).await {
            leptos::logging::warn!("call signal not sent: {e}");
        }
    });
}

fn sdp_of(description: &JsValue) -> Option<String> {
    js_sys::Reflect::get(description, &"sdp".into())
        .ok()?
        .as_string()
}

/// Opens the camera and microphone into `local_video` (muted: no echo).
pub async fn open_media(local_video: &HtmlVideoElement) -> Result<MediaStream, JsValue> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    constraints.set_audio(&JsValue::TRUE);
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
            .await?
            .dyn_into()?;
    local_video.set_src_object(Some(&stream));
    local_video.set_muted(true);
    let _ = JsFuture::from(local_video.play()?).await;
    Ok(stream)
}

/// Adds a candidate; one meant for a connection since replaced is refused, and that is fine.
fn add_candidate(pc: &RtcPeerConnection, init: &RtcIceCandidateInit) {
    let adding = pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(init));
    spawn_local(async move {
        let _ = JsFuture::from(adding).await;
    });
}

impl Call {
    /// Hands the connection of `attempt` the candidates that arrived before
    /// its remote description; older ones are dropped, newer ones kept.
    fn flush_early(&self, pc: &RtcPeerConnection, attempt: u32) {
        self.early.borrow_mut().retain(|(a, init)| {
            if *a == attempt {
                add_candidate(pc, init);
            }
            *a > attempt
        });
    }

    /// Starts this side: the clerk offers at once (the customer may already
    /// be there); the customer says it is ready, so the clerk offers to it.
    pub fn start(
        id: ConsultationId,
        me: Side,
        local: MediaStream,
        remote_video: HtmlVideoElement,
        ice_servers: Vec<IceServer>,
    ) -> Rc<Call> {
        let call = Rc::new(Call {
            id,
            me,
            local,
            remote_video,
            peer: RefCell::new(None),
            attempt: Cell::new(0),
            early: RefCell::new(Vec::new()),
            ice_servers,
        });
        match me {
            Side::Clerk => Call::offer(call.clone()),
            Side::Customer => send(id, CallSignal::Ready),
        }
        call
    }

    /// A fresh connection carrying this side's tracks; the old one is closed.
    fn new_peer(self: &Rc<Call>, attempt: u32) -> Result<RtcPeerConnection, JsValue> {
        let pc = RtcPeerConnection::new_with_configuration(&configuration(&self.ice_servers))?;
        for track in self.local.get_tracks().iter() {
            if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                pc.add_track_0(&track, &self.local);
            }
        }
        let video = self.remote_video.clone();
        // Called once per track (sound, then picture) with the same stream:
        // setting it again would interrupt the first play().
        let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
            let Ok(stream) = ev.streams().get(0).dyn_into::<MediaStream>() else {
                return;
            };
            // The same object, not the same id: a new connection's stream has the old one's id.
            if video
                .src_object()
                .is_some_and(|s| js_sys::Object::is(&s, &stream))
            {
                return;
            }
            video.set_src_object(Some(&stream));
            if let Ok(playing) = video.play() {
                spawn_local(async move {
                    // Refused autoplay or a newer stream: the element still shows what it can.
                    let _ = JsFuture::from(playing).await;
                });
            }
        });
        pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        let id = self.id;
        let on_candidate = Closure::<dyn FnMut(RtcPeerConnectionIceEvent)>::new(
            move |ev: RtcPeerConnectionIceEvent| {
                if let Some(c) = ev.candidate() {
                    send(
                        id,
                        CallSignal::Candidate {
                            candidate: c.candidate(),
                            sdp_mid: c.sdp_mid(),
                            sdp_m_line_index: c.sdp_m_line_index(),
                            attempt,
                        },
                    );
                }
            },
        );
        pc.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        if let Some(old) = self.peer.replace(Some(Peer {
            pc: pc.clone(),
            attempt,
            _on_track: on_track,
            _on_candidate: on_candidate,
        })) {
            old.pc.close();
        }
        Ok(pc)
    }

    /// The clerk's side: a new connection and an offer on it.
    fn offer(call: Rc<Call>) {
        spawn_local(async move {
            let result: Result<(), JsValue> = async {
                let attempt = call.attempt.get() + 1;
                call.attempt.set(attempt);
                let pc = call.new_peer(attempt)?;
                let offer = JsFuture::from(pc.create_offer()).await?;
                let sdp = sdp_of(&offer).ok_or("offer without sdp")?;
                let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
                init.set_sdp(&sdp);
                JsFuture::from(pc.set_local_description(&init)).await?;
                send(call.id, CallSignal::Offer { sdp, attempt });
                Ok(())
            }
            .await;
            if let Err(e) = result {
                leptos::logging::warn!("could not offer a call: {e:?}");
            }
        });
    }

    /// The customer's side: a new connection that answers `sdp`.
    fn answer(call: Rc<Call>, sdp: String, attempt: u32) {
        spawn_local(async move {
            let result: Result<(), JsValue> = async {
                let pc = call.new_peer(attempt)?;
                let remote = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
                remote.set_sdp(&sdp);
                JsFuture::from(pc.set_remote_description(&remote)).await?;
                call.flush_early(&pc, attempt);
                let answer = JsFuture::from(pc.create_answer()).await?;
                let sdp = sdp_of(&answer).ok_or("answer without sdp")?;
                let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                init.set_sdp(&sdp);
                JsFuture::from(pc.set_local_description(&init)).await?;
                send(call.id, CallSignal::Answer { sdp, attempt });
                Ok(())
            }
            .await;
            if let Err(e) = result {
                leptos::logging::warn!("could not answer a call: {e:?}");
            }
        });
    }

    /// Acts on a signal from the other side of this consultation.
    pub fn hear(call: &Rc<Call>, message: &Transient) {
        let Transient::CallSignal {
            consultation,
            from,
            signal,
        } = message;
        if *consultation != call.id || *from == call.me {
            return;
        }
        let current = call
            .peer
            .borrow()
            .as_ref()
            .map(|p| (p.pc.clone(), p.attempt));
        let pc = current.as_ref().map(|(pc, _)| pc.clone());
        match (signal, call.me) {
            (CallSignal::Ready, Side::Clerk) => Call::offer(call.clone()),
            // Every offer is answered (they arrive in order); the clerk keeps only its latest's answer.
            (CallSignal::Offer { sdp, attempt }, Side::Customer) => {
                Call::answer(call.clone(), sdp.clone(), *attempt);
            }
            (CallSignal::Answer { sdp, attempt }, Side::Clerk)
                if *attempt == call.attempt.get() =>
            {
                if let Some(pc) = pc {
                    let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                    init.set_sdp(sdp);
                    let (call, attempt) = (call.clone(), *attempt);
                    spawn_local(async move {
                        match JsFuture::from(pc.set_remote_description(&init)).await {
                            Ok(_) => call.flush_early(&pc, attempt),
                            Err(e) => leptos::logging::warn!("answer not taken: {e:?}"),
                        }
                    });
                }
            }
            (
                CallSignal::Candidate {
                    candidate,
                    sdp_mid,
                    sdp_m_line_index,
                    attempt,
                },
                _,
            ) => {
                let init = RtcIceCandidateInit::new(candidate);
                init.set_sdp_mid(sdp_mid.as_deref());
                init.set_sdp_m_line_index(*sdp_m_line_index);
                match current {
                    // For the connection in use, once it knows the other side.
                    Some((pc, a)) if a == *attempt && pc.remote_description().is_some() => {
                        add_candidate(&pc, &init)
                    }
                    // For a connection since replaced: of no use.
                    Some((_, a)) if a > *attempt => {}
                    // For this connection or one not made yet: kept until it can be used.
                    _ => call.early.borrow_mut().push((*attempt, init)),
                }
            }
            (CallSignal::Hangup, _) => {
                if let Some(p) = call.peer.borrow_mut().take() {
                    p.pc.close();
                }
                call.remote_video.set_src_object(None);
            }
            _ => {}
        }
    }

    /// Leaves the call: tells the other side, closes the connection, turns the camera off.
    pub fn hang_up(&self) {
        send(self.id, CallSignal::Hangup);
        if let Some(p) = self.peer.borrow_mut().take() {
            p.pc.close();
        }
        crate::camera::stop(&self.local);
    }
}
