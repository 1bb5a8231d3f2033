//! Browser entry point of the bundle for money to other people (`send.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::SendApp);
}
