//! Which browser bundle serves a path. The app is built as one WASM bundle
//! per audience, so a page downloads only its own views' code: the kiosk's
//! camera decoder, say, only on `/atm`. The server picks the bundle's page
//! for a path with [`Bundle::for_path`]; a bundle whose router meets a path
//! of another bundle loads that page from the server instead.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bundle {
    /// The landing page, sign-in, the customer's and the guardian's views.
    Main,
    /// The bank's staff: consultations, ATM fleet, people, audit.
    Staff,
    /// The ATM kiosk, full screen, with its camera.
    Atm,
}

impl Bundle {
    pub const ALL: [Bundle; 3] = [Bundle::Main, Bundle::Staff, Bundle::Atm];

    pub fn for_path(path: &str) -> Bundle {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if under("/staff") {
            Bundle::Staff
        } else if under("/atm") {
            Bundle::Atm
        } else {
            Bundle::Main
        }
    }

    /// The page in `dist/` that loads this bundle.
    pub fn page(self) -> &'static str {
        match self {
            Bundle::Main => "index.html",
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
        assert_eq!(Bundle::for_path("/"), Bundle::Main);
        assert_eq!(Bundle::for_path("/customer/cash"), Bundle::Main);
        assert_eq!(Bundle::for_path("/guardian"), Bundle::Main);
        assert_eq!(Bundle::for_path("/staff"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/staff/atms"), Bundle::Staff);
        assert_eq!(Bundle::for_path("/atm"), Bundle::Atm);
        assert_eq!(Bundle::for_path("/atm/"), Bundle::Atm);
        assert_eq!(Bundle::for_path("/atmosphere"), Bundle::Main);
        assert_eq!(Bundle::for_path("/staffing"), Bundle::Main);
    }
}
