//! Rows of identity checks, their documents and guardian–ward links. Every
//! change of state is a conditional `UPDATE … WHERE state = …`, so two
//! people acting at once cannot both move the same row on.

use shared::{
    ids::{DocumentId, IdentityCheckId, UserId},
    kyc::{
        port::{CheckToReview, IdentityCheck, Link, LinkToReview},
        CheckState, IdentityDetails, LinkState, Person, Relation, ReviewReason,
    },
};
use sqlx::{any::AnyRow, AnyConnection, Row};

use super::document::Image;
use crate::{db::unknown_code, error::Result};

fn reason_at(row: &AnyRow, column: &str) -> Result<Option<ReviewReason>> {
    let code: Option<String> = row.try_get(column)?;
    Ok(match code {
        Some(c) => Some(ReviewReason::parse(&c).ok_or_else(|| unknown_code("review reason", &c))?),
        None => None,
    })
}

/// Stores an uploaded image of `owner`'s, of `kind` (`identity` or `relationship`).
pub async fn insert_document(
    conn: &mut AnyConnection,
    owner: UserId,
    kind: &str,
    image: &Image,
    now_ms: i64,
) -> Result<DocumentId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO documents (owner_id, kind, media_type, bytes, width, height, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(owner.0)
    .bind(kind)
    .bind(image.media_type)
    .bind(image.bytes.clone())
    .bind(i64::from(image.width))
    .bind(i64::from(image.height))
    .bind(now_ms)
    .fetch_one(conn)
    .await?;
    Ok(DocumentId(id))
}

/// A stored document: its owner, media type and bytes.
pub async fn document<'e, E>(ex: E, id: DocumentId) -> Result<Option<(UserId, String, Vec<u8>)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT owner_id, media_type, bytes FROM documents WHERE id = $1")
        .bind(id.0)
        .fetch_optional(ex)
        .await?;
    row.map(|r| Ok((UserId(r.try_get(0)?), r.try_get(1)?, r.try_get(2)?)))
        .transpose()
}

const CHECK_COLUMNS: &str = "c.id AS id, c.state AS state, c.full_name AS full_name, \
     c.birth_date AS birth_date, c.address AS address, c.reason AS reason, \
     c.submitted_at_ms AS submitted_at_ms, c.reviewed_at_ms AS reviewed_at_ms";

fn check_from(row: &AnyRow) -> Result<IdentityCheck> {
    let state: String = row.try_get("state")?;
    Ok(IdentityCheck {
        id: IdentityCheckId(row.try_get("id")?),
        state: CheckState::parse(&state).ok_or_else(|| unknown_code("check state", &state))?,
        details: IdentityDetails {
            full_name: row.try_get("full_name")?,
            birth_date: row.try_get("birth_date")?,
            address: row.try_get("address")?,
        },
        reason: reason_at(row, "reason")?,
        submitted_at_ms: row.try_get("submitted_at_ms")?,
        reviewed_at_ms: row.try_get("reviewed_at_ms")?,
    })
}

/// `user`'s newest check.
pub async fn newest_check<'e, E>(ex: E, user: UserId) -> Result<Option<IdentityCheck>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {CHECK_COLUMNS} FROM identity_checks c WHERE c.user_id = $1 ORDER BY c.id DESC LIMIT 1"
    ))
    .bind(user.0)
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(check_from).transpose()
}

/// A check and whose it is.
pub async fn check<'e, E>(ex: E, id: IdentityCheckId) -> Result<Option<(UserId, IdentityCheck)>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "SELECT {CHECK_COLUMNS}, c.user_id AS user_id FROM identity_checks c WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(ex)
    .await?;
    row.map(|r| Ok((UserId(r.try_get("user_id")?), check_from(&r)?)))
        .transpose()
}

/// A new check waiting for staff. The unique index on waiting checks makes
/// a second one at the same moment fail as a unique violation.
pub async fn insert_check(
    conn: &mut AnyConnection,
    user: UserId,
    details: &IdentityDetails,
    document: Option<DocumentId>,
    state: CheckState,
    now_ms: i64,
) -> std::result::Result<IdentityCheckId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO identity_checks (user_id, state, full_name, birth_date, address, document_id, submitted_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user.0)
    .bind(state.as_str())
    .bind(&details.full_name)
    .bind(&details.birth_date)
    .bind(&details.address)
    .bind(document.map(|d| d.0))
    .bind(now_ms)
    .fetch_one(conn)
    .await?;
    Ok(IdentityCheckId(id))
}

/// Staff's verdict on a waiting check; false if it was no longer waiting.
pub async fn decide_check(
    conn: &mut AnyConnection,
    id: IdentityCheckId,
    state: CheckState,
    reason: Option<ReviewReason>,
    by: UserId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE identity_checks SET state = $1, reason = $2, reviewed_by = $3, reviewed_at_ms = $4 \
         WHERE id = $5 AND state = 'submitted'",
    )
    .bind(state.as_str())
    .bind(reason.map(|r| r.as_str()))
    .bind(by.0)
    .bind(now_ms)
    .bind(id.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Checks waiting for staff, oldest first.
pub async fn waiting_checks<'e, E>(ex: E, limit: i64) -> Result<Vec<CheckToReview>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(&format!(
        "SELECT {CHECK_COLUMNS}, u.id AS user_id, u.nickname AS nickname, u.display_name AS name, \
         u.birth_date AS registered, c.document_id AS document_id \
         FROM identity_checks c JOIN users u ON u.id = c.user_id \
         WHERE c.state = 'submitted' ORDER BY c.submitted_at_ms, c.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CheckToReview {
                check: check_from(r)?,
                person: Person {
                    user: UserId(r.try_get("user_id")?),
                    nickname: r.try_get("nickname")?,
                    name: r.try_get("name")?,
                },
                registered_birth_date: r.try_get("registered")?,
                document: r.try_get::<Option<i64>, _>("document_id")?.map(DocumentId),
            })
        })
        .collect()
}

const LINK_FROM: &str = "SELECT g.guardian_id AS guardian_id, gu.nickname AS g_nickname, \
     gu.display_name AS g_name, g.ward_id AS ward_id, wu.nickname AS w_nickname, \
     wu.display_name AS w_name, g.relation AS relation, g.state AS state, g.reason AS reason, \
     g.created_at_ms AS invited_at_ms, g.verified_at_ms AS verified_at_ms, \
     g.document_id AS document_id, \
     (SELECT c.state FROM identity_checks c WHERE c.user_id = g.guardian_id ORDER BY c.id DESC LIMIT 1) AS g_check, \
     (SELECT c.state FROM identity_checks c WHERE c.user_id = g.ward_id ORDER BY c.id DESC LIMIT 1) AS w_check \
     FROM guardianships g JOIN users gu ON gu.id = g.guardian_id JOIN users wu ON wu.id = g.ward_id";

fn link_from(row: &AnyRow) -> Result<LinkToReview> {
    let state: String = row.try_get("state")?;
    let relation: String = row.try_get("relation")?;
    let check = |column: &str| -> Result<Option<CheckState>> {
        let code: Option<String> = row.try_get(column)?;
        Ok(match code {
            Some(c) => Some(CheckState::parse(&c).ok_or_else(|| unknown_code("check state", &c))?),
            None => None,
        })
    };
    Ok(LinkToReview {
        link: Link {
            guardian: Person {
                user: UserId(row.try_get("guardian_id")?),
                nickname: row.try_get("g_nickname")?,
                name: row.try_get("g_name")?,
            },
            ward: Person {
                user: UserId(row.try_get("ward_id")?),
                nickname: row.try_get("w_nickname")?,
                name: row.try_get("w_name")?,
            },
            relation: Relation::parse(&relation)
                .ok_or_else(|| unknown_code("relation", &relation))?,
            state: LinkState::parse(&state).ok_or_else(|| unknown_code("link state", &state))?,
            reason: reason_at(row, "reason")?,
            invited_at_ms: row.try_get("invited_at_ms")?,
            verified_at_ms: row.try_get("verified_at_ms")?,
        },
        document: row
            .try_get::<Option<i64>, _>("document_id")?
            .map(DocumentId),
        guardian_check: check("g_check")?,
        ward_check: check("w_check")?,
    })
}

/// The link between `guardian` and `ward`, with what staff need to review it.
pub async fn link<'e, E>(ex: E, guardian: UserId, ward: UserId) -> Result<Option<LinkToReview>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "{LINK_FROM} WHERE g.guardian_id = $1 AND g.ward_id = $2"
    ))
    .bind(guardian.0)
    .bind(ward.0)
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(link_from).transpose()
}

/// Links on `user`'s side `column` (`guardian_id` or `ward_id`), newest first.
pub async fn links_where<'e, E>(ex: E, column: Side, user: UserId) -> Result<Vec<Link>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let column = match column {
        Side::Guardian => "guardian_id",
        Side::Ward => "ward_id",
    };
    let rows = sqlx::query(&format!(
        "{LINK_FROM} WHERE g.{column} = $1 ORDER BY g.created_at_ms DESC"
    ))
    .bind(user.0)
    .fetch_all(ex)
    .await?;
    rows.iter().map(|r| Ok(link_from(r)?.link)).collect()
}

/// Which side of a link a person is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Guardian,
    Ward,
}

/// Links the ward accepted, waiting for staff, oldest first.
pub async fn accepted_links<'e, E>(ex: E, limit: i64) -> Result<Vec<LinkToReview>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(&format!(
        "{LINK_FROM} WHERE g.state = 'accepted' ORDER BY g.answered_at_ms, g.guardian_id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter().map(link_from).collect()
}

/// A guardian's invitation, new or in place of one that was declined or
/// rejected; false if an open one (invited, accepted, verified) is there.
pub async fn invite(
    conn: &mut AnyConnection,
    guardian: UserId,
    ward: UserId,
    relation: Relation,
    document: DocumentId,
    now_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO guardianships (guardian_id, ward_id, state, relation, document_id, created_at_ms) \
         VALUES ($1, $2, 'invited', $3, $4, $5) \
         ON CONFLICT (guardian_id, ward_id) DO UPDATE SET state = 'invited', \
         relation = excluded.relation, document_id = excluded.document_id, \
         created_at_ms = excluded.created_at_ms, answered_at_ms = NULL, decided_by = NULL, \
         reason = NULL, verified_at_ms = NULL \
         WHERE guardianships.state IN ('declined', 'rejected')",
    )
    .bind(guardian.0)
    .bind(ward.0)
    .bind(relation.as_str())
    .bind(document.0)
    .bind(now_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves a link from `from` to `to`; false if it was not at `from`.
/// Staff's steps record who decided; verification sets `verified_at_ms`.
pub async fn move_link(
    conn: &mut AnyConnection,
    (guardian, ward): (UserId, UserId),
    from: LinkState,
    to: LinkState,
    by_staff: Option<(UserId, Option<ReviewReason>)>,
    now_ms: i64,
) -> Result<bool> {
    let (staff, reason) = by_staff.unzip();
    let done = sqlx::query(
        "UPDATE guardianships SET state = $1, \
         answered_at_ms = CASE WHEN $2 = 'invited' THEN $3 ELSE answered_at_ms END, \
         verified_at_ms = CASE WHEN $1 = 'verified' THEN $3 ELSE verified_at_ms END, \
         decided_by = $4, reason = $5 \
         WHERE guardian_id = $6 AND ward_id = $7 AND state = $2",
    )
    .bind(to.as_str())
    .bind(from.as_str())
    .bind(now_ms)
    .bind(staff.map(|s| s.0))
    .bind(reason.flatten().map(|r| r.as_str()))
    .bind(guardian.0)
    .bind(ward.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
