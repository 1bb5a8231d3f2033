//! Browser entry point of the staff bundle (`staff.html`).

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::StaffApp);
}
