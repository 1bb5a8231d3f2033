//! What the views may ask of transfers to other people (F3): the sender's
//! side, the recipient's proof, payees, conversations and staff review.

use async_trait::async_trait;

use super::{
    risk::Rules,
    rules::{DryRun, RulesPage, RulesVersion},
    send::{
        Conversation, DirectMessage, Held, Payee, ProofRequest, Purpose, Review, SendForm, Sent,
    },
};
use crate::{
    identity::Ceremony,
    ids::{PayeeId, SendId},
    ports::Caller,
    AppError,
};

#[async_trait]
pub trait TransfersPort: Send + Sync {
    /// Checks the form, runs the name check and the risk assessment, and
    /// issues the passkey challenge for exactly this transfer.
    async fn review(&self, caller: &Caller, form: SendForm) -> Result<Review, AppError>;
    /// Sends, with the passkey assertion for the review's challenge. Where the
    /// review warned, `purpose` is the sender's answer and acknowledgement.
    async fn send(
        &self,
        caller: &Caller,
        form: SendForm,
        purpose: Option<Purpose>,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<Sent, AppError>;
    /// The caller's latest transfers to others.
    async fn my_transfers(&self, caller: &Caller) -> Result<Vec<Sent>, AppError>;
    /// One of the caller's transfers.
    async fn transfer(&self, caller: &Caller, id: SendId) -> Result<Sent, AppError>;
    /// After the recipient's proof: send it after all, or give up.
    async fn finish(&self, caller: &Caller, id: SendId, go_ahead: bool) -> Result<Sent, AppError>;

    /// Transfers whose recipient the caller is asked to prove they are.
    async fn proof_requests(&self, caller: &Caller) -> Result<Vec<ProofRequest>, AppError>;
    /// The passkey challenge for this message about this transfer.
    async fn begin_proof(
        &self,
        caller: &Caller,
        id: SendId,
        message: &str,
    ) -> Result<Ceremony, AppError>;
    /// The recipient's message, signed with their passkey, goes to the sender.
    async fn give_proof(
        &self,
        caller: &Caller,
        id: SendId,
        message: &str,
        ceremony: &str,
        credential_json: &str,
    ) -> Result<ProofRequest, AppError>;
    async fn decline_proof(&self, caller: &Caller, id: SendId) -> Result<ProofRequest, AppError>;

    async fn payees(&self, caller: &Caller) -> Result<Vec<Payee>, AppError>;
    /// Saves an account number or a nickname under `label`.
    async fn add_payee(&self, caller: &Caller, to: &str, label: &str) -> Result<Payee, AppError>;
    async fn rename_payee(
        &self,
        caller: &Caller,
        id: PayeeId,
        label: &str,
    ) -> Result<Payee, AppError>;
    async fn remove_payee(&self, caller: &Caller, id: PayeeId) -> Result<(), AppError>;

    /// The conversation with the customer of this nickname.
    async fn conversation(&self, caller: &Caller, with: &str) -> Result<Conversation, AppError>;
    async fn write(
        &self,
        caller: &Caller,
        with: &str,
        body: &str,
    ) -> Result<DirectMessage, AppError>;

    /// Reports the account an account number or nickname names as used for
    /// fraud; other customers' transfers to it are then warned about.
    async fn report(&self, caller: &Caller, to: &str) -> Result<(), AppError>;

    /// Staff: transfers held for review, oldest first.
    async fn held(&self, caller: &Caller) -> Result<Vec<Held>, AppError>;
    /// Staff: lets a held transfer go, or declines it.
    async fn review_held(
        &self,
        caller: &Caller,
        id: SendId,
        release: bool,
    ) -> Result<Sent, AppError>;

    /// Staff: the risk rules in force and their earlier versions.
    async fn risk_rules(&self, caller: &Caller) -> Result<RulesPage, AppError>;
    /// Staff: the rules in force and `draft` run over the last `days` of transfers.
    async fn dry_run_rules(
        &self,
        caller: &Caller,
        draft: Rules,
        days: u32,
    ) -> Result<DryRun, AppError>;
    /// Staff: saves `draft` as the version after `based_on`, which must be
    /// the one in force (else someone saved in between: a conflict).
    async fn save_rules(
        &self,
        caller: &Caller,
        draft: Rules,
        based_on: u32,
        note: &str,
    ) -> Result<RulesVersion, AppError>;
}
