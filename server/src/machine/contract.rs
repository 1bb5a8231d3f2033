//! What every operation of the machine API shares, written into its
//! OpenAPI document once rather than on each handler: the refusals any call
//! can get (401, 403, 429, 503), those of any POST (the `Idempotency-Key`'s 409
//! and 422), the 404 of a path that names something, and the key's bounds,
//! so that a client generated from the document (or a fuzzer reading it)
//! knows every answer it can get and every value the server accepts.

use utoipa::openapi::{
    content::ContentBuilder,
    path::{Operation, ParameterBuilder, ParameterIn},
    schema::{ObjectBuilder, Type},
    OpenApi, Ref, RefOr, Required, ResponseBuilder,
};

/// The header every POST carries, and what the server accepts in it.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
const KEY_PATTERN: &str = "^[!-~]{1,128}$";

/// Refusals any operation may answer, and what each means there (an
/// operation says its own 403 and 429 where it has more to say).
const ANY: [(&str, &str); 4] = [
    ("401", "No key, or an unknown, expired or revoked one"),
    ("403", "The client lacks the scope this operation needs"),
    (
        "429",
        "Over the client's rate limit (`Retry-After` says when to try again)",
    ),
    (
        "503",
        "The server was too busy to answer in time; nothing was done (`Retry-After` says when to try again, with the same `Idempotency-Key`)",
    ),
];
const POST: [(&str, &str); 3] = [
    ("409", "The `Idempotency-Key` was used with another request, or that request is still being answered"),
    ("413", "The body is over 64 KiB"),
    ("422", "A field refused (`field`, `reason`), such as a missing or malformed `Idempotency-Key`"),
];
const NAMED: (&str, &str) = ("404", "Nothing of yours has this id");
const QUERY: (&str, &str) = ("422", "A query parameter refused (`field`, `reason`)");

pub fn complete(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        let named = path.contains('{');
        for (is_post, op) in [
            (false, &mut item.get),
            (true, &mut item.post),
            (false, &mut item.put),
        ]
        .into_iter()
        .chain([(false, &mut item.delete), (false, &mut item.patch)])
        .filter_map(|(p, op)| op.as_mut().map(|op| (p, op)))
        {
            ANY.iter().for_each(|r| refusal(op, *r));
            if is_post {
                POST.iter().for_each(|r| refusal(op, *r));
                idempotency_key(op);
            }
            if named {
                refusal(op, NAMED);
            }
            if has_query(op) {
                refusal(op, QUERY);
            }
        }
    }
}

/// Adds a refusal the operation does not already describe in its own words.
fn refusal(op: &mut Operation, (status, description): (&str, &str)) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        });
}

fn has_query(op: &Operation) -> bool {
    op.parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)))
}

/// The key as a required header with its bounds.
fn idempotency_key(op: &mut Operation) {
    let params = op.parameters.get_or_insert_with(Vec::new);
    params.retain(|p| !matches!(p, RefOr::T(p) if p.name == IDEMPOTENCY_KEY));
    params.push(RefOr::T(
        ParameterBuilder::new()
            .name(IDEMPOTENCY_KEY)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(
                "Your unique key for this request (1–128 visible ASCII characters): \
                 a retry with the same key and body gets the first answer (kept seven days)",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(128))
                    .pattern(Some(KEY_PATTERN)),
            ))
            .build(),
    ));
}
