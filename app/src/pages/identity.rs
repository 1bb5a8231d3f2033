//! The customer's identity page: their own identity check, and the
//! guardians who asked to be linked to them — invitations to accept or
//! decline, and each link's state. Refreshed as staff decide.

use leptos::{prelude::*, task::spawn_local};
use shared::{events::Notice, ids::UserId, AppError};

use crate::api::{answer_invitation, fetch_my_identity};
use crate::components::{
    empty_state::EmptyState,
    error_notice::ErrorNotice,
    identity_check::{refusal_view, IdentityCheckPanel},
    link_card::LinkCard,
    page_title::use_page_title,
};
use crate::i18n::*;
use crate::live::use_live;

#[component]
pub fn Identity() -> impl IntoView {
    let i18n = use_i18n();
    use_page_title(move || Some(t_string!(i18n, kyc.page_title)));
    let mine = LocalResource::new(fetch_my_identity);
    use_live().refetch_on(mine, |n| matches!(n, Notice::Identity { .. }));
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<AppError>);
    let answer = Callback::new(move |(guardian, yes): (UserId, bool)| {
        busy.set(true);
        failed.set(None);
        spawn_local(async move {
            if let Err(e) = answer_invitation(guardian, yes).await {
                failed.try_set(Some(e));
            }
            mine.refetch();
            busy.try_set(false);
        });
    });
    let refetch = Callback::new(move |_| mine.refetch());
    view! {
        {move || match mine.get() {
            None => view! { <p class="loading" role="status" aria-busy="true">{t!(i18n, loading)}</p> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error on_retry=refetch /> }.into_any(),
            Some(Ok(me)) => view! {
                <IdentityCheckPanel check=me.check on_done=refetch />
                <section class="panel" aria-labelledby="guardians-heading">
                    <h2 id="guardians-heading" class="section-heading">{t!(i18n, kyc.my_guardians)}</h2>
                    <div role="status" aria-live="polite">{move || failed.get().map(refusal_view)}</div>
                    {if me.guardians.is_empty() {
                        view! {
                            <EmptyState
                                title=t!(i18n, kyc.no_guardians_title).into_any()
                                body=t!(i18n, kyc.no_guardians_body).into_any()
                            />
                        }.into_any()
                    } else {
                        view! {
                            <ul class="links">
                                {me.guardians.into_iter().map(|link| view! {
                                    <LinkCard link as_ward=true answer busy=busy.into() />
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            }.into_any(),
        }}
    }
}
