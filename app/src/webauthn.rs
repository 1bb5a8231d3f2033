//! The browser side of passkeys: turn the server's options into a WebAuthn
//! ceremony and the resulting credential back into JSON for the server.
//!
//! Uses the standard JSON helpers (`PublicKeyCredential.parse…FromJSON`,
//! `credential.toJSON()`), bound by hand because web-sys offers them only
//! behind an unstable flag.

use js_sys::{Reflect, JSON};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = PublicKeyCredential, js_name = parseCreationOptionsFromJSON)]
    fn parse_creation_options_from_json(options: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = PublicKeyCredential, js_name = parseRequestOptionsFromJSON)]
    fn parse_request_options_from_json(options: &JsValue) -> Result<JsValue, JsValue>;
}

/// Why a passkey ceremony did not finish in the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyError {
    /// The person closed the prompt, or it timed out (`NotAllowedError`).
    Cancelled,
    /// This browser cannot do passkeys, or something else went wrong.
    Failed(String),
}

fn failed(e: JsValue) -> PasskeyError {
    let name = Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if name.as_deref() == Some("NotAllowedError") {
        PasskeyError::Cancelled
    } else {
        PasskeyError::Failed(format!("{e:?}"))
    }
}

fn public_key_of(options_json: &str) -> Result<JsValue, PasskeyError> {
    let options = JSON::parse(options_json).map_err(failed)?;
    Reflect::get(&options, &"publicKey".into()).map_err(failed)
}

fn credentials() -> Result<web_sys::CredentialsContainer, PasskeyError> {
    web_sys::window()
        .map(|w| w.navigator().credentials())
        .ok_or_else(|| PasskeyError::Failed("no window".into()))
}

/// Creates a passkey; returns the credential as JSON for the server.
pub async fn create(options_json: &str) -> Result<String, PasskeyError> {
    let public_key =
        parse_creation_options_from_json(&public_key_of(options_json)?).map_err(failed)?;
    let options = web_sys::CredentialCreationOptions::new();
    options.set_public_key(public_key.unchecked_ref());
    let promise = credentials()?
        .create_with_options(&options)
        .map_err(failed)?;
    let credential = JsFuture::from(promise).await.map_err(failed)?;
    stringify(&credential)
}

/// Signs in with a passkey; returns the assertion as JSON for the server.
pub async fn get(options_json: &str) -> Result<String, PasskeyError> {
    let public_key =
        parse_request_options_from_json(&public_key_of(options_json)?).map_err(failed)?;
    let options = web_sys::CredentialRequestOptions::new();
    options.set_public_key(public_key.unchecked_ref());
    let promise = credentials()?.get_with_options(&options).map_err(failed)?;
    let credential = JsFuture::from(promise).await.map_err(failed)?;
    stringify(&credential)
}

/// `JSON.stringify` calls the credential's `toJSON()`.
fn stringify(credential: &JsValue) -> Result<String, PasskeyError> {
    JSON::stringify(credential)
        .map_err(failed)?
        .as_string()
        .ok_or_else(|| PasskeyError::Failed("credential has no JSON form".into()))
}
