//! HTTP input: bytes that are not what their headers say are a 400, never stored.

use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::common::{RedisServer, Server, assert_error, http, namespace};

#[test]
fn json_that_is_not_utf8_and_a_content_type_that_is_not_text_are_400() {
    let r = RedisServer::start();
    let ns = namespace();
    let s = Server::start(&r, &ns, &[]);
    let c = http();
    let bad_json = b"{\"text\":\"caf\xe9\"}".to_vec();
    for path in ["/v1/queues/default/jobs", "/v1/queues/default/jobs:batch"] {
        let body = if path.ends_with("batch") {
            [b"[".as_slice(), &bad_json, b"]"].concat()
        } else {
            bad_json.clone()
        };
        let res = c
            .post(s.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .expect("POST");
        let e = assert_error(res, 400, "invalid");
        let msg = e.to_string();
        assert!(
            msg.contains("UTF-8") || msg.contains("unicode"),
            "{path}: {e}"
        );
    }
    let res = c
        .post(s.url("/v1/queues/default/jobs"))
        .header(
            CONTENT_TYPE,
            HeaderValue::from_bytes(b"application/\xe9json").expect("obs-text header"),
        )
        .body("{}")
        .send()
        .expect("POST");
    let e = assert_error(res, 400, "invalid");
    assert!(e.to_string().contains("Content-Type"), "{e}");
    assert!(r.keys(&ns).is_empty(), "nothing stored: {:?}", r.keys(&ns));
}
