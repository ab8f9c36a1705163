//! The web dashboard at `/ui` (off with `--no-ui`). Its files sit in `ui/` and are compiled
//! into the binary, so it works air-gapped and needs no build step: plain ES modules, one
//! stylesheet, no framework. Everything it shows it reads from the public `/v1` API, with
//! the token the user types in (kept in the tab's `sessionStorage`); the files themselves
//! hold no data, so they are served without a token.
//!
//! Caching: `index.html` is revalidated on every load (`no-cache` + ETag); it names the
//! other files under `/ui/v/<version>/`, where `<version>` is a hash of all of them, so
//! they can be cached for good (`immutable`) and a new binary's files get new URLs.
//! Modules import each other by relative paths, so they stay inside one version.
//!
//! Every answer carries a strict Content-Security-Policy: scripts, styles and connections
//! only from this server, no inline script or style, no frames.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::error::ApiError;
use super::extract::ApiPath;
use super::{ApiConfig, AppState};

/// The policy of every dashboard answer.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Cache-Control of a file under the current version.
const FOREVER: &str = "public, max-age=31536000, immutable";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $ct:expr) => {
        Asset {
            name: $name,
            content_type: $ct,
            body: include_str!(concat!("ui/", $name)),
        }
    };
}

/// Every file the page loads besides `index.html`.
const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("chart.js", JS),
    asset!("login.js", JS),
    asset!("overview.js", JS),
    asset!("queue.js", JS),
    asset!("job.js", JS),
    asset!("workers.js", JS),
    asset!("schedules.js", JS),
];

const INDEX: &str = include_str!("ui/index.html");

fn hex(bytes: &[u8], n: usize) -> String {
    bytes
        .iter()
        .take(n)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
}

fn digest(parts: &[&[u8]]) -> ring::digest::Digest {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(&(p.len() as u64).to_le_bytes());
        ctx.update(p);
    }
    ctx.finish()
}

/// A hash of every file (names and contents): the `<version>` in their URLs.
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        let mut parts: Vec<&[u8]> = vec![INDEX.as_bytes()];
        for a in ASSETS {
            parts.push(a.name.as_bytes());
            parts.push(a.body.as_bytes());
        }
        hex(digest(&parts).as_ref(), 6)
    })
}

fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex(digest(&[body]).as_ref(), 10))
}

/// Whether the request's `If-None-Match` names `tag`.
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

/// The page, with what it must know before it asks anything: where its files are, whether
/// the API wants a token, and whether actions are refused.
fn index_html(config: &ApiConfig) -> String {
    INDEX
        .replace("{{version}}", version())
        .replace(
            "{{auth}}",
            if config.token.is_some() {
                "token"
            } else {
                "none"
            },
        )
        .replace(
            "{{read_only}}",
            if config.read_only { "true" } else { "false" },
        )
}

fn answer(
    headers: &HeaderMap,
    body: impl Into<String>,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let body = body.into();
    let tag = etag(body.as_bytes());
    let mut res = if not_modified(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

async fn index(State(st): State<AppState>, headers: HeaderMap) -> Response {
    answer(
        &headers,
        index_html(st.config()),
        "text/html; charset=utf-8",
        "no-cache",
    )
}

async fn asset(
    ApiPath((v, name)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("no dashboard file {name:?}"),
        ));
    };
    // an old page asking for its version's file gets today's, but must not keep it
    let cache = if v == version() { FOREVER } else { "no-cache" };
    Ok(answer(&headers, a.body, a.content_type, cache))
}

/// `/` and `/ui` lead to the dashboard.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui") }))
        .route("/ui", get(index))
        .route("/ui/", get(index))
        .route("/ui/v/{version}/{file}", get(asset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_names_the_versioned_files_and_has_no_inline_code() {
        let html = index_html(&ApiConfig {
            token: Some("t".into()),
            read_only: true,
            ..Default::default()
        });
        assert!(html.contains(&format!("/ui/v/{}/app.js", version())));
        assert!(html.contains(&format!("/ui/v/{}/style.css", version())));
        assert!(html.contains(r#"data-auth="token""#));
        assert!(html.contains(r#"data-read-only="true""#));
        assert!(!html.contains("{{"), "every placeholder is filled");
        // a strict CSP: every script has a src, no style element, no inline handlers
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..html[i..].find('>').map_or(html.len(), |e| i + e)];
            assert!(tag.contains("src="), "inline script: {tag}");
        }
        assert!(!html.contains("<style"));
        assert!(!html.contains(" onclick="));
        assert!(!html.contains(" style="));
    }

    #[test]
    fn every_module_import_is_an_embedded_file() {
        let mut imports = 0;
        for a in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            // `import … from './x.js';`, on one line or several
            for (i, _) in a.body.match_indices(" from '") {
                let rest = &a.body[i + " from '".len()..];
                let spec = &rest[..rest.find('\'').unwrap_or(rest.len())];
                let name = spec.strip_prefix("./").unwrap_or_else(|| {
                    panic!("{}: import {spec:?} is not a file beside it", a.name)
                });
                assert!(
                    ASSETS.iter().any(|b| b.name == name),
                    "{} imports {name}, which is not embedded",
                    a.name
                );
                imports += 1;
            }
            assert!(
                !a.body.contains("import(") && !a.body.contains(" from \""),
                "{}: keep imports static and single-quoted so this test sees them",
                a.name
            );
        }
        assert!(imports > 10, "only {imports} imports found");
    }

    #[test]
    fn if_none_match_is_understood() {
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, "\"abc\""));
        h.insert(header::IF_NONE_MATCH, "W/\"x\", \"abc\"".parse().unwrap());
        assert!(not_modified(&h, "\"abc\""));
        assert!(!not_modified(&h, "\"abd\""));
    }
}
