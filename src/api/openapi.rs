//! The OpenAPI 3 document at `/openapi.json`, generated from the same route list the router
//! is built from (`utoipa_axum::routes!`), so the two cannot drift apart.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use super::openapi_rules::operations;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mlqd",
        description = "A distributed job queue for machine-learning work, backed by Redis. Errors are `{\"error\":{\"code\",\"message\"}}`. Durations are written `500ms`, `2s`, `5m`, `1h`. A server started with `--ui-read-only` answers every action (a request that changes something, except posting jobs) with 403 `read_only`. The web dashboard at `/ui` is built on these routes."
    ),
    security(("bearer" = [])),
    modifiers(&BearerAuth),
    tags(
        (name = "jobs", description = "Submit jobs, read their status and result, follow them, cancel them"),
        (name = "queues", description = "Counts per state; pause and resume; rate and concurrency limits; browsing jobs by state"),
        (name = "schedules", description = "Periodic jobs: every a duration, or a cron expression in a time zone"),
        (name = "dead letters", description = "Jobs that ran out of retries or lost too many leases"),
        (name = "workers", description = "The worker registry"),
        (name = "operations", description = "Probes, metrics and this document"),
    )
)]
struct ApiDoc;

/// Declares the bearer scheme every `/v1` operation requires (when `--token` is set).
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document for every route the API serves. Bearer auth is declared only when the
/// server wants a token (`--token`): without one, no route asks for it.
pub fn document(with_token: bool) -> utoipa::openapi::OpenApi {
    let mut doc = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::v1_routes())
        .merge(super::public_routes())
        .into_openapi();
    document_read_only(&mut doc);
    document_path_patterns(&mut doc);
    super::openapi_rules::apply(&mut doc);
    if !with_token {
        drop_security(&mut doc);
    }
    doc
}

/// What the server accepts in each path parameter, so a client (or a fuzzer) knows a
/// malformed one is a 400 before sending it.
const PATH_PATTERNS: &[(&str, &str)] = &[
    ("queue", "^[A-Za-z0-9_-]{1,64}$"),
    (
        "id",
        "^[A-Za-z0-9_-]{1,64}\\.[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{25}$",
    ),
    ("name", "^[A-Za-z0-9_.-]{1,64}$"),
    ("ext", "^[A-Za-z0-9]{1,16}$"),
];

fn document_path_patterns(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ObjectBuilder, Type};
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            for p in op.parameters.iter_mut().flatten() {
                let utoipa::openapi::RefOr::T(p) = p else {
                    continue;
                };
                if p.parameter_in != ParameterIn::Path {
                    continue;
                }
                if let Some((_, pattern)) = PATH_PATTERNS.iter().find(|(n, _)| *n == p.name) {
                    let schema = ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(*pattern))
                        .build();
                    p.schema = Some(schema.into());
                }
            }
        }
    }
}

/// Takes bearer auth out of the document (a server without `--token`).
fn drop_security(doc: &mut utoipa::openapi::OpenApi) {
    doc.security = None;
    if let Some(c) = doc.components.as_mut() {
        c.security_schemes.remove("bearer");
    }
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            op.security = None;
            op.responses.responses.remove("401");
        }
    }
}

/// Adds the 403 `read_only` answer to every operation `--ui-read-only` refuses, from the
/// same rule the server applies ([`super::refused_when_read_only`]).
fn document_read_only(doc: &mut utoipa::openapi::OpenApi) {
    use axum::http::Method;
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            if !super::refused_when_read_only(&method, path) {
                continue;
            }
            let refused = ResponseBuilder::new()
                .description("The server is read-only (`--ui-read-only`): code `read_only`")
                .content(
                    "application/json",
                    Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                )
                .build();
            op.responses
                .responses
                .insert("403".to_string(), refused.into());
        }
    }
}

fn document_json(with_token: bool) -> &'static str {
    static WITH: OnceLock<String> = OnceLock::new();
    static WITHOUT: OnceLock<String> = OnceLock::new();
    let cell = if with_token { &WITH } else { &WITHOUT };
    cell.get_or_init(|| {
        document(with_token)
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".into())
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json(State(st): State<super::AppState>) -> Response {
    let mut res = document_json(st.wants_token()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_lists_the_spec_routes_with_their_methods() {
        let doc: serde_json::Value =
            serde_json::from_str(document_json(true)).expect("the document is JSON");
        assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
        for (method, path) in [
            ("post", "/v1/queues/{queue}/jobs"),
            ("post", "/v1/queues/{queue}/jobs:batch"),
            ("get", "/v1/jobs/{id}"),
            ("delete", "/v1/jobs/{id}"),
            ("get", "/v1/jobs/{id}/result"),
            ("get", "/v1/jobs/{id}/result.{ext}"),
            ("get", "/v1/jobs/{id}/events"),
            ("get", "/v1/jobs/{id}/payload"),
            ("get", "/v1/overview"),
            ("get", "/v1/queues"),
            ("get", "/v1/queues/{queue}"),
            ("post", "/v1/queues/{queue}/pause"),
            ("post", "/v1/queues/{queue}/resume"),
            ("put", "/v1/queues/{queue}/limits"),
            ("get", "/v1/queues/{queue}/jobs"),
            ("get", "/v1/schedules"),
            ("put", "/v1/schedules/{name}"),
            ("delete", "/v1/schedules/{name}"),
            ("get", "/v1/queues/{queue}/dead"),
            ("post", "/v1/queues/{queue}/dead/requeue"),
            ("delete", "/v1/queues/{queue}/dead"),
            ("get", "/v1/workers"),
            ("get", "/healthz"),
            ("get", "/readyz"),
            ("get", "/metrics"),
            ("get", "/openapi.json"),
        ] {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} missing from the document"
            );
        }
        // the status object is described from the real struct
        let props = &doc["components"]["schemas"]["JobStatus"]["properties"];
        for field in ["id", "state", "progress", "history", "attempts"] {
            assert!(props[field].is_object(), "JobStatus.{field}");
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        for field in ["queues", "workers", "leader", "redis", "throughput"] {
            let props = &doc["components"]["schemas"]["Overview"]["properties"];
            assert!(props[field].is_object(), "Overview.{field}");
        }
        // actions say they are refused under --ui-read-only; reads and submits do not
        let refused = |m: &str, p: &str| doc["paths"][p][m]["responses"]["403"].is_object();
        assert!(refused("post", "/v1/queues/{queue}/pause"));
        assert!(refused("delete", "/v1/jobs/{id}"));
        assert!(refused("delete", "/v1/queues/{queue}/dead"));
        assert!(!refused("post", "/v1/queues/{queue}/jobs"));
        assert!(!refused("get", "/v1/queues"));
        // probes are open
        assert_eq!(
            doc["paths"]["/healthz"]["get"]["security"][0],
            serde_json::json!({})
        );
        let pattern = &doc["paths"]["/v1/jobs/{id}"]["get"]["parameters"][0]["schema"]["pattern"];
        let re = pattern.as_str().expect("id pattern");
        assert!(re.starts_with('^') && re.contains("{25}"), "{re}");
    }

    #[test]
    fn without_a_token_no_route_asks_for_one() {
        let doc: serde_json::Value =
            serde_json::from_str(document_json(false)).expect("the document is JSON");
        let text = doc.to_string();
        assert!(
            !text.contains("\"bearer\""),
            "bearer declared without --token"
        );
        assert!(doc["paths"]["/v1/queues"]["get"]["responses"]["401"].is_null());
    }
}
