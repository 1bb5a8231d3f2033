//! Server functions of transfers to other people (flow F3): the sender's
//! review and send, the recipient's proof, payees, conversations, the
//! staff's review of held transfers and the staff's risk rules.

use leptos::prelude::*;
use shared::{
    identity::Ceremony,
    ids::{PayeeId, SendId},
    transfer::{
        risk::Rules,
        rules::{DryRun, RulesPage, RulesVersion},
        send::{
            Conversation, DirectMessage, Held, Payee, ProofRequest, Purpose, Review, SendForm, Sent,
        },
    },
    AppError,
};

#[cfg(feature = "ssr")]
use super::{caller, port};
#[cfg(feature = "ssr")]
use shared::transfer::port::TransfersPort;

/// Names this flow's server functions (see [`super::register`]).
#[cfg(feature = "ssr")]
pub fn register() {
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<ReviewTransfer>();
    register_explicit::<SendTransfer>();
    register_explicit::<FetchMyTransfers>();
    register_explicit::<FetchTransfer>();
    register_explicit::<FinishTransfer>();
    register_explicit::<FetchProofRequests>();
    register_explicit::<BeginProof>();
    register_explicit::<GiveProof>();
    register_explicit::<DeclineProof>();
    register_explicit::<FetchPayees>();
    register_explicit::<AddPayee>();
    register_explicit::<RenamePayee>();
    register_explicit::<RemovePayee>();
    register_explicit::<FetchConversation>();
    register_explicit::<WriteMessage>();
    register_explicit::<ReportAccount>();
    register_explicit::<FetchHeldTransfers>();
    register_explicit::<ReviewHeldTransfer>();
    register_explicit::<FetchRiskRules>();
    register_explicit::<DryRunRiskRules>();
    register_explicit::<SaveRiskRules>();
}

/// The name check, the risk and the passkey challenge for one transfer.
#[server(prefix = "/api", endpoint = "transfers/review")]
pub async fn review_transfer(form: SendForm) -> Result<Review, AppError> {
    port::<dyn TransfersPort>()?.review(&caller(), form).await
}

/// Sends the reviewed transfer with the passkey's assertion.
#[server(prefix = "/api", endpoint = "transfers/send")]
pub async fn send_transfer(
    form: SendForm,
    purpose: Option<Purpose>,
    ceremony: String,
    credential: String,
) -> Result<Sent, AppError> {
    port::<dyn TransfersPort>()?
        .send(&caller(), form, purpose, &ceremony, &credential)
        .await
}

#[server(prefix = "/api", endpoint = "transfers/mine")]
pub async fn fetch_my_transfers() -> Result<Vec<Sent>, AppError> {
    port::<dyn TransfersPort>()?.my_transfers(&caller()).await
}

#[server(prefix = "/api", endpoint = "transfers/one")]
pub async fn fetch_transfer(id: SendId) -> Result<Sent, AppError> {
    port::<dyn TransfersPort>()?.transfer(&caller(), id).await
}

/// After the recipient's proof: send after all, or give up (also while waiting).
#[server(prefix = "/api", endpoint = "transfers/finish")]
pub async fn finish_transfer(id: SendId, go_ahead: bool) -> Result<Sent, AppError> {
    port::<dyn TransfersPort>()?
        .finish(&caller(), id, go_ahead)
        .await
}

#[server(prefix = "/api", endpoint = "transfers/proofs")]
pub async fn fetch_proof_requests() -> Result<Vec<ProofRequest>, AppError> {
    port::<dyn TransfersPort>()?.proof_requests(&caller()).await
}

#[server(prefix = "/api", endpoint = "transfers/proof/begin")]
pub async fn begin_proof(id: SendId, message: String) -> Result<Ceremony, AppError> {
    port::<dyn TransfersPort>()?
        .begin_proof(&caller(), id, &message)
        .await
}

#[server(prefix = "/api", endpoint = "transfers/proof/give")]
pub async fn give_proof(
    id: SendId,
    message: String,
    ceremony: String,
    credential: String,
) -> Result<ProofRequest, AppError> {
    port::<dyn TransfersPort>()?
        .give_proof(&caller(), id, &message, &ceremony, &credential)
        .await
}

#[server(prefix = "/api", endpoint = "transfers/proof/decline")]
pub async fn decline_proof(id: SendId) -> Result<ProofRequest, AppError> {
    port::<dyn TransfersPort>()?
        .decline_proof(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "payees/mine")]
pub async fn fetch_payees() -> Result<Vec<Payee>, AppError> {
    port::<dyn TransfersPort>()?.payees(&caller()).await
}

#[server(prefix = "/api", endpoint = "payees/add")]
pub async fn add_payee(to: String, label: String) -> Result<Payee, AppError> {
    port::<dyn TransfersPort>()?
        .add_payee(&caller(), &to, &label)
        .await
}

#[server(prefix = "/api", endpoint = "payees/rename")]
pub async fn rename_payee(id: PayeeId, label: String) -> Result<Payee, AppError> {
    port::<dyn TransfersPort>()?
        .rename_payee(&caller(), id, &label)
        .await
}

#[server(prefix = "/api", endpoint = "payees/remove")]
pub async fn remove_payee(id: PayeeId) -> Result<(), AppError> {
    port::<dyn TransfersPort>()?
        .remove_payee(&caller(), id)
        .await
}

#[server(prefix = "/api", endpoint = "messages/with")]
pub async fn fetch_conversation(with: String) -> Result<Conversation, AppError> {
    port::<dyn TransfersPort>()?
        .conversation(&caller(), &with)
        .await
}

#[server(prefix = "/api", endpoint = "messages/write")]
pub async fn write_message(with: String, body: String) -> Result<DirectMessage, AppError> {
    port::<dyn TransfersPort>()?
        .write(&caller(), &with, &body)
        .await
}

/// Reports an account (by number or nickname) as used for fraud.
#[server(prefix = "/api", endpoint = "transfers/report")]
pub async fn report_account(to: String) -> Result<(), AppError> {
    port::<dyn TransfersPort>()?.report(&caller(), &to).await
}

#[server(prefix = "/api", endpoint = "staff/transfers/held")]
pub async fn fetch_held_transfers() -> Result<Vec<Held>, AppError> {
    port::<dyn TransfersPort>()?.held(&caller()).await
}

#[server(prefix = "/api", endpoint = "staff/transfers/review")]
pub async fn review_held_transfer(id: SendId, release: bool) -> Result<Sent, AppError> {
    port::<dyn TransfersPort>()?
        .review_held(&caller(), id, release)
        .await
}

#[server(prefix = "/api", endpoint = "staff/risk-rules")]
pub async fn fetch_risk_rules() -> Result<RulesPage, AppError> {
    port::<dyn TransfersPort>()?.risk_rules(&caller()).await
}

/// The rules in force and the draft over the last `days` of transfers.
/// JSON, because the rules hold lists of pairs.
#[server(prefix = "/api", endpoint = "staff/risk-rules/dry-run", input = leptos::server_fn::codec::Json)]
pub async fn dry_run_risk_rules(draft: Rules, days: u32) -> Result<DryRun, AppError> {
    port::<dyn TransfersPort>()?
        .dry_run_rules(&caller(), draft, days)
        .await
}

/// Saves the draft as the version after `based_on`.
#[server(prefix = "/api", endpoint = "staff/risk-rules/save", input = leptos::server_fn::codec::Json)]
pub async fn save_risk_rules(
    draft: Rules,
    based_on: u32,
    note: String,
) -> Result<RulesVersion, AppError> {
    port::<dyn TransfersPort>()?
        .save_rules(&caller(), draft, based_on, &note)
        .await
}
