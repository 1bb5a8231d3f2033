//! Which browser bundle serves a path. The app is built as one WASM bundle
//! per audience and task, so a page downloads only its own views' code: the kiosk's
//! camera decoder, say, only on `/atm`. The server picks the bundle's page
//! for a path with [`Bundle::for_path`]; a bundle whose router meets a path
//! of another bundle loads that page from the server instead.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bundle {
    /// The landing page and sign-in: what a visitor meets first.
    Welcome,
    /// The customer's accounts, statements and approvals.
    Customer,
    /// The customer's ways to cash: ATM codes, withdrawals, the video consultation.
    Cash,
    /// Money to and from other people (sending, payees, conversations, proofs, a
    /// minor's purchases, requests made for the customer) and the activity inbox.
    Send,
    /// The guardian's views.
    Guardian,
    /// The bank's staff: consultations, ATM fleet, people, audit.
    Staff,
    /// The kiosks, full screen: the ATM with its camera, and the shop terminal.
    Atm,
}

impl Bundle {
    pub const ALL: [Bundle; 7] = [
        Bundle::Welcome,
        Bundle::Customer,
        Bundle::Cash,
        Bundle::Send,
        Bundle::Guardian,
        Bundle::Staff,
        Bundle::Atm,
    ];

    pub fn for_path(path: &str) -> Bundle {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/customer/cash") || under("/customer/consult") {
            Bundle::Cash
        } else if [
            "/customer/send",
            "/customer/payees",
            "/customer/proofs",
            "/customer/transfers",
            "/customer/messages",
            "/customer/purchases",
            "/customer/identity",
            "/customer/delegation",
            // The inbox words every kind of notice: kept off the first page.
            "/customer/activity",
        ]
        .into_iter()
        .any(under)
        {
            Bundle::Send
        } else if under("/customer") {
            Bundle::Customer
        } else if under("/guardian") {
            Bundle::Guardian
        } else if under("/staff") {
            Bundle::Staff
        } else if under("/atm") || under("/shop") {
            Bundle::Atm
        } else {
            Bundle::Welcome
        }
    }

    /// The page in `dist/` that loads this bundle.
    pub fn page(self) -> &'static str {
        match self {
            Bundle::Welcome => "index.html",
            Bundle::Customer => "customer.html",
            Bundle::Cash => "cash.html",
            Bundle::Send => "send.html",
            Bundle::Guardian => "guardian.html",
            Bundle::Staff => "staff.html",
            Bundle::Atm => "atm.html",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bundle;

    #[test]
    fn paths_belong_to_their_bundle() {
        assert_eq!(Bundle::for_path("/"), Bundle::Welcome);
        assert_eq!(Bundle::for_path("/signin"), Bundle::Welcome);
        assert_eq!(Bundle::for_path("/customer"), Bundle::Customer);
        assert_eq!(Bundle::for_path("/customer/accounts/7"), Bundle::Customer);
        assert_eq!(Bundle::for_path("/customer/approvals"), Bundle::Customer);
        assert_eq!(Bundle::for_path("/customer/cash"), Bundle::Cash);
        assert_eq!(Bundle::for_path("/customer/consult"), Bundle::Cash);
        assert_eq!(Bundle::for_path("/customer/cashback"), Bundle::Customer);
        assert_eq!(Bundle::for_path("/customer/send"), Bundle::Send);
        assert_eq!(Bundle::for_path("/customer/transfers/3"), Bundle::Send);
        assert_eq!(Bundle::for_path("/customer/messages/yui"), Bundle::Send);
        assert_eq!(Bundle::for_path("/customer/payees"), Bundle::Send);
        assert_eq!(Bundle::for_path("/customer/proofs"), Bundle::Send);
        assert_eq!(Bundle::for_path("/guardian"), Bundle::Guardian);
        assert_eq!(Bundle::for_path("/guardian/rules"), Bundle::Guardian);
        assert_eq!(Bundle::for_path("/staff"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/staff/atms"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/atm"), Bundle::Atm);
        assert_eq!(Bundle::for_path("/atm/"), Bundle::Atm);
        assert_eq!(Bundle::for_path("/atmosphere"), Bundle::Welcome);
        assert_eq!(Bundle::for_path("/shop"), Bundle::Atm);
        assert_eq!(Bundle::for_path("/shopping"), Bundle::Welcome);
        assert_eq!(Bundle::for_path("/customer/delegation"), Bundle::Send);
        assert_eq!(Bundle::for_path("/customer/activity"), Bundle::Send);
        assert_eq!(Bundle::for_path("/staffing"), Bundle::Welcome);
        assert_eq!(Bundle::for_path("/nowhere"), Bundle::Welcome);
    }
}
