//! Browser entry point of the bundle of the guardian (`guardian.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::GuardianApp);
}
