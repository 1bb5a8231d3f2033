//! Browser entry point of the ATM kiosk bundle (`atm.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::AtmApp);
}
