//! The browser's Geolocation API as one async call: where this device is,
//! for approvals that must be made near a place.

use js_sys::{Promise, Reflect};
use shared::approval::Position;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Longest wait for a fix before giving up.
const TIMEOUT_MS: u32 = 15_000;

/// Why no position came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeoError {
    /// The person (or the browser's settings) said no.
    Denied,
    /// No fix in time, no hardware, or no API.
    Unavailable(String),
}

fn number(obj: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(obj, &key.into()).ok()?.as_f64()
}

/// One fresh, high-accuracy fix.
pub async fn current_position() -> Result<Position, GeoError> {
    let geolocation = web_sys::window()
        .and_then(|w| w.navigator().geolocation().ok())
        .ok_or_else(|| GeoError::Unavailable("no geolocation".into()))?;
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_maximum_age(0);
    options.set_timeout(TIMEOUT_MS);
    let mut started = Ok(());
    let promise = Promise::new(&mut |resolve, reject| {
        started = geolocation.get_current_position_with_error_callback_and_options(
            &resolve,
            Some(&reject),
            &options,
        );
    });
    started.map_err(|e| GeoError::Unavailable(format!("{e:?}")))?;
    let fix = JsFuture::from(promise).await.map_err(|e| {
        // GeolocationPositionError.PERMISSION_DENIED is 1.
        if number(&e, "code") == Some(1.0) {
            GeoError::Denied
        } else {
            GeoError::Unavailable(format!("{e:?}"))
        }
    })?;
    let coords = Reflect::get(&fix, &"coords".into())
        .map_err(|e| GeoError::Unavailable(format!("{e:?}")))?;
    let read = |key| number(&coords, key).ok_or_else(|| GeoError::Unavailable(key.into()));
    Ok(Position {
        lat: read("latitude")?,
        lon: read("longitude")?,
        accuracy_m: read("accuracy")?,
    })
}
