//! The app's roots, one per bundle (see `shared::bundle`): translations,
//! session and live events around each bundle's own routes. A path that
//! belongs to another bundle is loaded from the server, which answers it
//! with that bundle's page.

use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    hooks::use_location,
    path,
};
use shared::bundle::Bundle;

use crate::components::lang::RememberedLang;
use crate::i18n::{t, use_i18n, I18nContextProvider};
use crate::live::provide_live;
use crate::pages::not_found;
use crate::session::provide_session;

/// What every bundle's routes live in.
#[component]
fn Shell(children: Children) -> impl IntoView {
    provide_session();
    provide_live();
    view! {
        // Follows the browser's languages unless a language was chosen, and
        // keeps <html lang> in step.
        <I18nContextProvider enable_cookie=false>
            <RememberedLang />
            <Router>{children()}</Router>
        </I18nContextProvider>
    }
}

/// For a path no route of bundle `here` matches: another bundle's path is
/// loaded from the server; otherwise the page does not exist.
fn elsewhere(here: Bundle) -> AnyView {
    let location = use_location();
    let path = location.pathname.get_untracked();
    if Bundle::for_path(&path) != here {
        let search = location.search.get_untracked();
        let hash = location.hash.get_untracked();
        let query = if search.is_empty() {
            String::new()
        } else {
            format!("?{search}")
        };
        let target = format!("{path}{query}{hash}");
        // Once the router has recorded the path in the history, the browser
        // loads it in that same entry, so back returns to this page.
        set_timeout(
            move || {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().replace(&target);
                }
            },
            std::time::Duration::ZERO,
        );
        let i18n = use_i18n();
        return view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }
            .into_any();
    }
    view! { <not_found::NotFound /> }.into_any()
}

/// Landing and sign-in.
#[component]
pub fn WelcomeApp() -> impl IntoView {
    use crate::pages::{landing, sign_in};
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Welcome)>
                <Route path=path!("/") view=landing::Landing />
                <Route path=path!("/signin") view=sign_in::SignIn />
            </Routes>
        </Shell>
    }
}

/// The customer's accounts, statements, activity and approvals.
#[component]
pub fn CustomerApp() -> impl IntoView {
    use crate::pages::{accounts, approvals, customer};
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Customer)>
                <ParentRoute path=path!("/customer") view=customer::CustomerShell>
                    <Route path=path!("") view=accounts::Accounts />
                    <Route path=path!("accounts/:id") view=accounts::Statement />
                    <Route path=path!("approvals") view=approvals::Approvals />
                </ParentRoute>
            </Routes>
        </Shell>
    }
}

/// The customer's cash: ATM codes, withdrawals and the video consultation.
#[component]
pub fn CashApp() -> impl IntoView {
    use crate::pages::{cash, consult, customer};
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Cash)>
                <ParentRoute path=path!("/customer") view=customer::CustomerShell>
                    <Route path=path!("cash") view=cash::Cash />
                    <Route path=path!("consult") view=consult::Consult />
                </ParentRoute>
            </Routes>
        </Shell>
    }
}

/// Money to other people: sending, payees, conversations, proofs.
#[component]
pub fn SendApp() -> impl IntoView {
    use crate::pages::{customer, delegation, identity, inbox, my_purchases, send};
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Send)>
                <ParentRoute path=path!("/customer") view=customer::CustomerShell>
                    <Route path=path!("send") view=send::Send />
                    <Route path=path!("payees") view=send::Payees />
                    <Route path=path!("proofs") view=send::Proofs />
                    <Route path=path!("transfers/:id") view=send::TransferPage />
                    <Route path=path!("messages/:nickname") view=send::Messages />
                    <Route path=path!("purchases") view=my_purchases::MyPurchases />
                    <Route path=path!("identity") view=identity::Identity />
                    <Route path=path!("delegation") view=delegation::Delegation />
                    <Route path=path!("activity") view=inbox::Inbox />
                </ParentRoute>
            </Routes>
        </Shell>
    }
}

/// The guardian's views.
#[component]
pub fn GuardianApp() -> impl IntoView {
    use crate::pages::guardian;
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Guardian)>
                <ParentRoute path=path!("/guardian") view=guardian::GuardianShell>
                    <Route path=path!("") view=guardian::Wards />
                    <Route path=path!("purchases") view=guardian::Purchases />
                    <Route path=path!("rules") view=guardian::Rules />
                    <Route path=path!("family") view=guardian::Family />
                </ParentRoute>
            </Routes>
        </Shell>
    }
}

/// The bank's staff.
#[component]
pub fn StaffApp() -> impl IntoView {
    use crate::pages::{
        api_clients, atm_fleet, audit, held, people, reviews, risk_rules, staff, staff_history,
    };
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Staff)>
                <ParentRoute path=path!("/staff") view=staff::StaffShell>
                    <Route path=path!("") view=staff::Consultations />
                    <Route path=path!("transfers") view=held::HeldTransfers />
                    <Route path=path!("rules") view=risk_rules::RiskRules />
                    <Route path=path!("api-clients") view=api_clients::ApiClients />
                    <Route path=path!("atms") view=atm_fleet::AtmFleet />
                    <Route path=path!("people") view=people::People />
                    <Route path=path!("reviews") view=reviews::Reviews />
                    <Route path=path!("audit") view=audit::AuditTrail />
                    <Route path=path!("history") view=staff_history::ConsultationHistory />
                </ParentRoute>
            </Routes>
        </Shell>
    }
}

/// The ATM kiosk.
#[component]
pub fn AtmApp() -> impl IntoView {
    use crate::pages::{atm, shop_terminal};
    view! {
        <Shell>
            <Routes fallback=|| elsewhere(Bundle::Atm)>
                <Route path=path!("/atm") view=atm::Kiosk />
                <Route path=path!("/shop") view=shop_terminal::ShopTerminal />
            </Routes>
        </Shell>
    }
}
