//! Browser entry point: Trunk builds this binary to WASM and loads it from `index.html`.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
