//! Headless Chromium driven over WebDriver (chromedriver on a free loopback port), for the
//! console's tests: open a page, run a script in it, take a screenshot. The session and the
//! driver end when the [`Driver`] is dropped.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A chromedriver process and one browser session.
pub struct Driver {
    child: Child,
    url: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{}/session/{}", self.url, self.session)).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Driver {
    /// Starts chromedriver and a headless Chromium with `extra_args` (such as
    /// `--host-resolver-rules=...`).
    pub fn start(extra_args: &[&str]) -> Result<Driver> {
        let port = free_port()?;
        let mut child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while ureq::get(&format!("{url}/status")).call().is_err() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("chromedriver never answered");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args = vec![
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,900",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ];
        args.extend_from_slice(extra_args);
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium", "args": args}}}});
        let session = ureq::post(&format!("{url}/session"))
            .send_json(caps)
            .map_err(|e| anyhow!("a browser session: {e}"))
            .and_then(|r| Ok(r.into_json::<Value>()?))
            .map(|r| r["value"]["sessionId"].as_str().map(str::to_string));
        match session {
            Ok(Some(session)) => Ok(Driver {
                child,
                url,
                session,
            }),
            other => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("no browser session: {other:?}")
            }
        }
    }

    /// A WebDriver command with a JSON body; returns its `value`.
    pub fn post(&self, path: &str, body: Value) -> Result<Value> {
        let r: Value = ureq::post(&format!("{}/session/{}/{path}", self.url, self.session))
            .send_json(body)
            .map_err(|e| anyhow!("webdriver {path}: {e}"))?
            .into_json()?;
        Ok(r["value"].clone())
    }

    /// Opens `url` in the session's window.
    pub fn open(&self, url: &str) -> Result<()> {
        self.post("url", json!({ "url": url })).map(|_| ())
    }

    /// Runs `script` (a function body) in the page; returns what it returns (null on error).
    pub fn js(&self, script: &str) -> Value {
        self.post("execute/sync", json!({"script": script, "args": []}))
            .unwrap_or(Value::Null)
    }

    /// The page's text as the script sees it, or "".
    pub fn text(&self, script: &str) -> String {
        self.js(script).as_str().unwrap_or_default().to_string()
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let r: Value = ureq::get(&format!("{}/session/{}/screenshot", self.url, self.session))
            .call()
            .map_err(|e| anyhow!("screenshot: {e}"))?
            .into_json()?;
        let b64 = r["value"]
            .as_str()
            .ok_or_else(|| anyhow!("no screenshot"))?;
        use base64::Engine;
        Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
    }
}

/// Polls `cond` every 100 ms for up to `within`.
pub fn wait(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}
