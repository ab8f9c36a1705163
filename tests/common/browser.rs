//! A headless Chromium driven over the W3C WebDriver protocol (chromedriver), for the
//! dashboard's tests. A small client of our own over reqwest's blocking API: the dozen
//! commands the tests use (navigate, find, click, type, run a script, screenshot, logs)
//! do not need a WebDriver crate and its async runtime.
//!
//! Each `Browser` runs its own chromedriver on a free loopback port with a fresh profile,
//! and only one runs at a time in a test process (a lock held for its life), so a test
//! file costs one browser's memory and CPU however many tests it has.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn chromium() -> String {
    std::env::var("MLQD_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("MLQD_TEST_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not installed: run scripts/ensure-chromium.sh \
         (or `sudo apt-get install -y chromium chromium-driver`); the dashboard tests need a real browser"
    )
}

/// A headless Chromium session; the browser and its driver end when this is dropped.
pub struct Browser {
    driver: Child,
    url: String,
    session: String,
    http: reqwest::blocking::Client,
    profile: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

/// A found element (its WebDriver reference).
#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium at 1280×800.
    pub fn start() -> Browser {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        if !Path::new(&chromium()).exists() {
            missing("chromium");
        }
        let profile = std::env::temp_dir().join(format!(
            "mlqd-test-chromium-{}-{:08x}",
            std::process::id(),
            super::rand_u32()
        ));
        std::fs::create_dir_all(&profile).expect("create the browser profile dir");
        // reqwest is built without a bundled TLS provider; plain HTTP needs none, but the
        // client builder wants one installed
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("webdriver http client");
        let (driver, url) = start_driver(&http);
        let mut b = Browser {
            driver,
            url,
            session: String::new(),
            http,
            profile,
            _turn: turn,
        };
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--window-size=1280,800",
            &format!("--user-data-dir={}", b.profile.display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium(), "args": args},
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }}});
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"]
            .as_str()
            .expect("a WebDriver session id")
            .to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let req = match method {
            "GET" => self.http.get(&url),
            "DELETE" => self.http.delete(&url),
            _ => self
                .http
                .post(&url)
                .json(&body.unwrap_or_else(|| json!({}))),
        };
        let res = req
            .send()
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"));
        let status = res.status();
        let v: Value = res.json().unwrap_or(Value::Null);
        if !status.is_success() {
            panic!(
                "webdriver {method} {path} answered {status}: {} {}",
                v["value"]["error"], v["value"]["message"]
            );
        }
        v["value"].clone()
    }

    fn session_call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", Some(json!({ "url": url })));
    }

    /// Makes the page's viewport exactly `width`×`height` CSS pixels (`mobile`: a phone's
    /// touch viewport), through the DevTools protocol chromedriver passes on.
    pub fn viewport(&self, width: u32, height: u32, mobile: bool) {
        self.session_call(
            "POST",
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile,
                }}),
            ),
        );
    }

    /// Runs `script` (a function body: `return …`) in the page with `args`.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.session_call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Evaluates a JS expression in the page.
    pub fn eval(&self, expr: &str) -> Value {
        self.run(&format!("return ({expr});"), json!([]))
    }

    pub fn find(&self, css: &str) -> Option<Element> {
        self.find_all(css).into_iter().next()
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let v = self.session_call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT_KEY].as_str().map(|s| Element(s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Clicks the element like a user (the driver scrolls it into view first).
    pub fn click_element(&self, e: &Element) {
        self.session_call("POST", &format!("/element/{}/click", e.0), None);
    }

    /// Waits for `css` to match, then clicks the first match.
    pub fn click(&self, css: &str) {
        let e = self.wait(&format!("{css} to click"), Duration::from_secs(10), |b| {
            b.find(css)
        });
        self.click_element(&e);
    }

    /// Types into the element matching `css` (a real key sequence).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(
            &format!("{css} to type into"),
            Duration::from_secs(10),
            |b| b.find(css),
        );
        self.session_call(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        );
    }

    /// Empties the input matching `css`.
    pub fn clear(&self, css: &str) {
        let e = self.wait(&format!("{css} to clear"), Duration::from_secs(10), |b| {
            b.find(css)
        });
        self.session_call("POST", &format!("/element/{}/clear", e.0), None);
    }

    /// The visible text of the first match of `css`, if any.
    pub fn text(&self, css: &str) -> Option<String> {
        self.run(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
            json!([css]),
        )
        .as_str()
        .map(str::to_string)
    }

    /// The whole page's visible text.
    pub fn page_text(&self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Polls `f` (every 100 ms) until it gives Some; panics after `limit` naming `what` and
    /// showing the page's text.
    pub fn wait<T>(
        &self,
        what: &str,
        limit: Duration,
        mut f: impl FnMut(&Browser) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(v) = f(self) {
                return v;
            }
            if Instant::now() >= deadline {
                panic!(
                    "waited {limit:?} for {what}; the page says:\n{}\nconsole: {:?}",
                    self.page_text(),
                    self.console()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the JS expression is truthy.
    pub fn wait_js(&self, what: &str, limit: Duration, expr: &str) {
        self.wait(what, limit, |b| match b.eval(expr) {
            Value::Bool(true) => Some(()),
            Value::Null | Value::Bool(false) => None,
            Value::Number(n) if n.as_f64() == Some(0.0) => None,
            Value::String(s) if s.is_empty() => None,
            _ => Some(()),
        })
    }

    /// Waits until the text of `css` satisfies `ok`; returns it.
    pub fn wait_text(
        &self,
        what: &str,
        limit: Duration,
        css: &str,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        self.wait(what, limit, |b| b.text(css).filter(|t| ok(t)))
    }

    /// Writes a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let v = self.session_call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot data"))
            .expect("screenshot base64");
        std::fs::write(path, png).expect("write the screenshot");
    }

    fn log(&self, kind: &str) -> Vec<Value> {
        self.session_call("POST", "/se/log", Some(json!({ "type": kind })))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Console messages at level SEVERE (errors, failed loads) since the last call.
    pub fn console(&self) -> Vec<String> {
        self.log("browser")
            .into_iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Every request made since the last call, as (document that made it, URL), from the
    /// performance log's `Network.requestWillBeSent`. The browser's own pages (the first
    /// blank tab, `chrome://…`) are left out.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.log("performance")
            .into_iter()
            .filter_map(|e| {
                let m: Value = serde_json::from_str(e["message"].as_str()?).ok()?;
                if m["message"]["method"] != "Network.requestWillBeSent" {
                    return None;
                }
                let p = &m["message"]["params"];
                let doc = p["documentURL"].as_str().unwrap_or_default().to_string();
                let url = p["request"]["url"].as_str()?.to_string();
                let browsers_own = doc.starts_with("chrome://") || doc.starts_with("about:");
                (!browsers_own).then_some((doc, url))
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}/session/{}", self.url, self.session))
                .send();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Starts chromedriver on a free loopback port and waits until it is ready.
fn start_driver(http: &reqwest::blocking::Client) -> (Child, String) {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let mut child = match Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing("chromedriver"),
            Err(e) => panic!("cannot start chromedriver: {e}"),
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let ready = http
                .get(format!("{url}/status"))
                .timeout(Duration::from_millis(500))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return (child, url);
            }
            if let Ok(Some(_)) = child.try_wait() {
                break; // the port was taken meanwhile: try another
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("chromedriver did not start");
}
