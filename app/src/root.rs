//! The app's root: translations, routes and the layout each route lives in.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::i18n::I18nContextProvider;
use crate::live::provide_live;
use crate::pages::{
    accounts, approvals, atm, atm_fleet, audit, cash, consult, customer, guardian, inbox, landing,
    not_found, people, sign_in, staff, staff_history,
};
use crate::session::provide_session;

#[component]
pub fn App() -> impl IntoView {
    provide_session();
    provide_live();
    view! {
        // Remembers the chosen language in a cookie, follows the browser's
        // languages otherwise, and keeps <html lang> in step.
        <I18nContextProvider cookie_name="anshin_lang">
            <Router>
                <Routes fallback=not_found::NotFound>
                    <Route path=path!("/") view=landing::Landing />
                    <Route path=path!("/signin") view=sign_in::SignIn />
                    <ParentRoute path=path!("/customer") view=customer::CustomerShell>
                        <Route path=path!("") view=accounts::Accounts />
                        <Route path=path!("accounts/:id") view=accounts::Statement />
                        <Route path=path!("approvals") view=approvals::Approvals />
                        <Route path=path!("cash") view=cash::Cash />
                        <Route path=path!("consult") view=consult::Consult />
                        <Route path=path!("activity") view=inbox::Inbox />
                    </ParentRoute>
                    <ParentRoute path=path!("/guardian") view=guardian::GuardianShell>
                        <Route path=path!("") view=guardian::Wards />
                        <Route path=path!("purchases") view=guardian::Purchases />
                        <Route path=path!("rules") view=guardian::Rules />
                    </ParentRoute>
                    <ParentRoute path=path!("/staff") view=staff::StaffShell>
                        <Route path=path!("") view=staff::Consultations />
                        <Route path=path!("atms") view=atm_fleet::AtmFleet />
                        <Route path=path!("people") view=people::People />
                        <Route path=path!("audit") view=audit::AuditTrail />
                        <Route path=path!("history") view=staff_history::ConsultationHistory />
                    </ParentRoute>
                    <Route path=path!("/atm") view=atm::Kiosk />
                </Routes>
            </Router>
        </I18nContextProvider>
    }
}
