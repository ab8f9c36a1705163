//! What the document says of values the handlers read as text: the ranges and shapes each
//! query parameter and header accepts (a client, or a fuzzer, knows which ones are a 400
//! before sending them), raw byte bodies as any bytes, and each event of a stream.

use utoipa::openapi::path::{Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
use utoipa::openapi::{ObjectBuilder, OpenApi, RefOr, Schema, Type};

/// A duration as `parse_duration` reads it, kept well under the 36500d cap.
const DURATION: &str = "^[0-9]{1,4}(ms|s|m|h|d)$";

fn text(pattern: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .build()
        .into()
}

fn integer(min: i64, max: i64) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .build()
        .into()
}

fn one_of(values: &[&str]) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
        .into()
}

/// The schema of one parameter of `path` the handlers read as text.
fn rule(path: &str, p: &Parameter) -> Option<Schema> {
    let name = p.name.as_str();
    Some(match (&p.parameter_in, name) {
        (ParameterIn::Query, "priority") => integer(-100, 100),
        (ParameterIn::Query, "max_retries") => integer(0, 1000),
        (ParameterIn::Query, "max_stalls") => integer(1, 100),
        (ParameterIn::Query, "delay") => text(DURATION),
        // at least 1ms / 1s
        (ParameterIn::Query, "timeout") => text("^[1-9][0-9]{0,3}(ms|s|m|h|d)$"),
        (ParameterIn::Query, "result_ttl") => text("^[1-9][0-9]{0,3}(s|m|h|d)$"),
        // any duration up to --max-wait (5m by default) is taken; the document offers short
        // ones, which an HTTP client's own timeout does not cut
        (ParameterIn::Query, "wait") => text("^([0-9]{1,3}ms|[0-9]s)$"),
        (ParameterIn::Query, "run_at") => ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .build()
            .into(),
        (ParameterIn::Query, "callback") => {
            text("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$")
        }
        (ParameterIn::Query, "offset") => integer(0, 1_000_000_000),
        // 0: only the total
        (ParameterIn::Query, "limit") if path.ends_with("/dead") => integer(0, 1000),
        (ParameterIn::Query, "limit") => integer(1, crate::broker::MAX_PAGE as i64),
        (ParameterIn::Query, "state") => one_of(&[
            "scheduled",
            "pending",
            "active",
            "retry",
            "dead",
            "succeeded",
            "cancelled",
        ]),
        (ParameterIn::Header, "Last-Event-ID") => text("^[0-9]{1,9}-[0-9]{1,12}$"),
        (ParameterIn::Header, "Idempotency-Key") => text("^[!-~]{1,256}$"),
        _ => return None,
    })
}

/// The operations of one path, whatever their method.
pub(super) fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Applies the rules above to every operation, and types raw byte bodies and event
/// streams.
pub fn apply(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for op in operations(item) {
            for p in op.parameters.iter_mut().flatten() {
                let RefOr::T(p) = p else { continue };
                if let Some(schema) = rule(path, p) {
                    p.schema = Some(schema.into());
                }
            }
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for (media, content) in response.content.iter_mut() {
                    let RefOr::T(content) = content else { continue };
                    if media == "text/event-stream" {
                        content.schema = Some(sse_event().into());
                    } else if is_byte_array(content.schema.as_ref()) {
                        content.schema = Some(any_bytes().into());
                    }
                }
            }
        }
    }
}

/// One event of a stream as a client reads it: its type, its data (JSON text), its id.
fn sse_event() -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String).build();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("event", string())
        .property("data", string())
        .property("id", string())
        .build()
        .into()
}

/// Raw bytes: any body at all (its type is the Content-Type header).
fn any_bytes() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
        .build()
        .into()
}

/// `Vec<u8>` as utoipa writes it: an array of small integers.
fn is_byte_array(schema: Option<&RefOr<Schema>>) -> bool {
    match schema {
        Some(RefOr::T(Schema::Array(a))) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(item) => matches!(
                item.as_ref(),
                RefOr::T(Schema::Object(o)) if o.schema_type == Type::Integer.into()
            ),
            _ => false,
        },
        _ => false,
    }
}
