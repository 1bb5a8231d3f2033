//! A file input for a document image: reads the chosen file as a `data:`
//! URL (what the server function sends), refuses one that is too big or
//! not an image before it is sent, and shows a preview so the person can
//! see that the whole document is legible.

use leptos::prelude::*;
use shared::kyc::{DOCUMENT_TYPES, MAX_DOCUMENT_BYTES};
use wasm_bindgen::{prelude::*, JsCast};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::*;

/// Reads `file` as a `data:` URL.
async fn read(file: web_sys::File) -> Result<String, JsValue> {
    let reader = web_sys::FileReader::new()?;
    let done = js_sys::Promise::new(&mut |resolve, reject| {
        let r = reader.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &r.result().unwrap_or(JsValue::NULL));
        });
        let fail = Closure::once_into_js(move || {
            let _ = reject.call0(&JsValue::NULL);
        });
        reader.set_onload(Some(ok.unchecked_ref()));
        reader.set_onerror(Some(fail.unchecked_ref()));
    });
    reader.read_as_data_url(&file)?;
    JsFuture::from(done).await?.as_string().ok_or(JsValue::NULL)
}

/// `value` holds the chosen image as a `data:` URL, `None` until one is chosen.
#[component]
pub fn DocumentInput(
    id: &'static str,
    label: AnyView,
    hint: AnyView,
    value: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let problem = RwSignal::new(None::<&'static str>);
    let chosen = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            value.set(None);
            return;
        };
        value.set(None);
        if !DOCUMENT_TYPES.contains(&file.type_().as_str()) {
            problem.set(Some(t_string!(i18n, kyc.error_not_an_image)));
            return;
        }
        if file.size() > MAX_DOCUMENT_BYTES as f64 {
            problem.set(Some(t_string!(i18n, kyc.error_too_big)));
            return;
        }
        problem.set(None);
        leptos::task::spawn_local(async move {
            match read(file).await {
                Ok(url) => value.set(Some(url)),
                Err(_) => problem.set(Some(t_string!(i18n, kyc.error_unreadable_file))),
            }
        });
    };
    let hint_id = format!("{id}-hint");
    view! {
        <label class="field">
            <span class="field__label">{label}</span>
            <input type="file" accept=DOCUMENT_TYPES.join(",") required
                aria-describedby=hint_id.clone()
                aria-invalid=move || problem.get().is_some().then_some("true")
                on:change=chosen />
            <small id=hint_id>{hint}</small>
        </label>
        {move || problem.get().map(|p| view! { <p class="notice notice--error" role="alert">{p}</p> })}
        {move || value.get().map(|src| view! {
            <img class="document-preview" src=src alt=move || t_string!(i18n, kyc.preview) />
        })}
    }
}
