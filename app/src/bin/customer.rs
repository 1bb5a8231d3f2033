//! Browser entry point of the bundle of the customer's accounts (`customer.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::CustomerApp);
}
