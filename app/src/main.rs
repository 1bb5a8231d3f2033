//! Browser entry point of the welcome bundle (`index.html`): landing and sign-in.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::WelcomeApp);
}
