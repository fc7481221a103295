//! A `havip vpc serve` process on a free loopback port, a signed client, and `havip` run
//! from the temporary directory (where the lab writes its results).
#![allow(dead_code)]

pub mod cluster;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ID: &str = "AKIDburst";
pub const KEY: &str = "burst-key";

/// A running server.
pub struct Server {
    /// The process.
    pub child: Child,
    /// host:port.
    pub host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `havip args` in the temporary directory; its output.
pub fn havip_in_temp(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("havip runs")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts a server on `dir`'s `vpc.db` and `keys`.
pub fn start(dir: &std::path::Path) -> Server {
    start_with(dir, &[])
}

/// As [`start`], with extra `havip vpc serve` flags.
pub fn start_with(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut args: Vec<std::ffi::OsString> = vec!["--db".into(), dir.join("vpc.db").into()];
    args.extend(extra.iter().map(Into::into));
    serve(dir, &args)
}

/// `havip vpc serve` on a free port with `dir`'s keys and internal secret and `args`.
pub fn serve(dir: &std::path::Path, args: &[std::ffi::OsString]) -> Server {
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_havip"))
        .args(["vpc", "serve", "--listen", &host, "--havip-quota", "100000"])
        .arg("--keys")
        .arg(dir.join("keys"))
        .arg("--internal-secret")
        .arg(dir.join("internal.secret"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(dir.join("serve.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("havip vpc serve");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(&host).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { child, host }
}

/// A signed API call: the Response, or the Error as text.
pub fn call(host: &str, action: &str, body: &Value) -> Result<Value, String> {
    let text = body.to_string();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut req = ureq::post(&format!("http://{host}/")).timeout(Duration::from_secs(5));
    for (k, v) in vpc::auth::sign_request(host, action, text.as_bytes(), ID, KEY, ts) {
        req = req.set(&k, &v);
    }
    let resp = req.send_string(&text).map_err(|e| e.to_string())?;
    let v: Value = serde_json::from_str(&resp.into_string().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    match v["Response"].get("Error") {
        Some(e) => Err(e.to_string()),
        None => Ok(v["Response"].clone()),
    }
}

/// The keys file content for [`ID`] / [`KEY`], in account (AppId) 1300000001.
pub const KEYS_FILE: &str = "AKIDburst burst-key 1300000001\n";
