//! The kiosk's camera as a QR reader: getUserMedia into a <video>, a frame
//! drawn onto a canvas every few hundred milliseconds, and `rqrr` (in WASM)
//! looking for a code in its brightness.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream};

/// Starts the camera into `video`; returns the stream (to stop it later).
pub async fn start(video: &HtmlVideoElement) -> Result<MediaStream, JsValue> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&JsValue::TRUE);
    constraints.set_audio(&JsValue::FALSE);
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
            .await?
            .dyn_into()?;
    video.set_src_object(Some(&stream));
    video.set_muted(true);
    let _ = JsFuture::from(video.play()?).await;
    Ok(stream)
}

/// Stops every track, so the camera light goes off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// The text of a QR code in the video's current frame, if one can be read.
pub fn read(video: &HtmlVideoElement, canvas: &HtmlCanvasElement) -> Option<String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return None;
    }
    canvas.set_width(w);
    canvas.set_height(h);
    let ctx: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0)
        .ok()?;
    let rgba = ctx
        .get_image_data(0.0, 0.0, f64::from(w), f64::from(h))
        .ok()?
        .data();
    let (w, h) = (w as usize, h as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let i = (y * w + x) * 4;
        // Rec. 601 luma, enough to tell black modules from white.
        ((u32::from(rgba[i]) * 299 + u32::from(rgba[i + 1]) * 587 + u32::from(rgba[i + 2]) * 114)
            / 1000) as u8
    });
    image
        .detect_grids()
        .into_iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}
