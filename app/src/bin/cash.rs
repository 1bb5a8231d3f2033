//! Browser entry point of the bundle of the customer's cash (`cash.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::CashApp);
}
