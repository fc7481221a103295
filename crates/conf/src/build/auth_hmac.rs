//! `auth_hmac { key ID VALUE; active_key ID; anti_replay ...; time_window S; mode ... }`, read
//! into typed values with keepalived 2.4's rules: keys of 32-64 bytes given as `hex:DIGITS`,
//! ASCII, or `file:PATH` holding either; ids 1-255, no duplicates.

use super::values::unknown;
use crate::diag::{Diagnostic, Location, Severity};
use crate::keywords;
use crate::model::AuthHmac;
use crate::tree::Node;
use vrrp::auth_hmac::{AntiReplay, KEY_MAX, KEY_MIN, Key, Mode, WINDOW_MAX, WINDOW_MIN};

/// Largest key file read: a `hex:` prefix, 128 digits and a little slack (keepalived's bound).
const KEY_FILE_MAX: u64 = 4 + KEY_MAX as u64 * 2 + 8;

/// Reads the block; problems that keepalived reports as config errors are errors here.
pub fn build(b: &Node, diags: &mut Vec<Diagnostic>) -> AuthHmac {
    let mut out = AuthHmac {
        keys: Vec::new(),
        active_key: None,
        mode: Mode::Enforce,
        anti_replay: AntiReplay::Time,
        time_window: None,
        loc: b.name.loc.clone(),
    };
    for c in b.children() {
        let args = c.arg_texts();
        let at = |n: usize| c.args.get(n).map_or(&c.name.loc, |t| &t.loc).clone();
        let err = |loc: Location, msg: String| {
            Diagnostic::new(Severity::Error, "auth-hmac", loc, shown(c, &args), msg)
        };
        match c.key() {
            "key" => match key(c, &args, diags) {
                Some(k) if out.keys.iter().any(|o| o.id == k.id) => {
                    diags.push(err(at(0), format!("duplicate auth_hmac key id {}", k.id)))
                }
                Some(k) => out.keys.push(k),
                None => {}
            },
            "active_key" => match args.first().map(|a| a.parse::<u8>()) {
                Some(Ok(id)) if id > 0 => out.active_key = Some(id),
                _ => diags.push(err(at(0), "active_key must be a key id, 1 to 255".into())),
            },
            "time_window" => match args.first().map(|a| a.parse::<u32>()) {
                Some(Ok(w)) if (WINDOW_MIN..=WINDOW_MAX).contains(&w) => out.time_window = Some(w),
                _ => diags.push(err(
                    at(0),
                    format!("time_window must be {WINDOW_MIN} to {WINDOW_MAX} seconds"),
                )),
            },
            "anti_replay" => match args.first().copied() {
                Some("time") => out.anti_replay = AntiReplay::Time,
                Some("monotonic") => out.anti_replay = AntiReplay::Monotonic,
                _ => diags.push(err(at(0), "anti_replay must be time or monotonic".into())),
            },
            "mode" => match args.first().copied() {
                Some("enforce") => out.mode = Mode::Enforce,
                Some("permissive") => out.mode = Mode::Permissive,
                Some("receive-only") => out.mode = Mode::ReceiveOnly,
                _ => diags.push(err(
                    at(0),
                    "mode must be enforce, permissive or receive-only".into(),
                )),
            },
            // A misspelt `key` line still holds a secret: only its first word is shown.
            _ => diags.push(Diagnostic {
                text: shown(c, &args),
                ..unknown("auth_hmac", c, &keywords::AUTH_HMAC)
            }),
        }
    }
    out
}

/// A line of the block as a diagnostic shows it: a `key` line, or a line of an unknown
/// keyword (a misspelt `key`), without its second word, the secret (a `file:PATH` is shown,
/// it is not the secret), so that a rejected key reaches neither logs nor reload replies.
fn shown(c: &Node, args: &[&str]) -> String {
    const PLAIN: [&str; 4] = ["active_key", "time_window", "anti_replay", "mode"];
    if PLAIN.contains(&c.key()) {
        return c.text();
    }
    let mut out = c.key().to_string();
    for (n, a) in args.iter().enumerate() {
        out.push(' ');
        out.push_str(if n == 1 && !a.starts_with("file:") {
            "<secret>"
        } else {
            a
        });
    }
    out
}

/// `key ID VALUE`.
fn key(c: &Node, args: &[&str], diags: &mut Vec<Diagnostic>) -> Option<Key> {
    let err = |loc: &Location, msg: String| {
        Diagnostic::new(
            Severity::Error,
            "auth-hmac-key",
            loc.clone(),
            shown(c, args),
            msg,
        )
    };
    let (Some(id), Some(value)) = (args.first(), args.get(1)) else {
        diags.push(err(
            &c.name.loc,
            "auth_hmac key needs an id and a value".into(),
        ));
        return None;
    };
    let id = match id.parse::<u8>() {
        Ok(id) if id > 0 => id,
        _ => {
            diags.push(err(
                &c.args[0].loc,
                format!("key id `{id}` must be 1 to 255"),
            ));
            return None;
        }
    };
    let loc = &c.args[1].loc;
    let bytes = match value.strip_prefix("file:") {
        Some(path) => match read_key_file(path, loc, diags) {
            Ok(text) => decode(&text),
            Err(msg) => Err(msg),
        },
        None => decode(value),
    };
    match bytes {
        Ok(bytes) if (KEY_MIN..=KEY_MAX).contains(&bytes.len()) => Some(Key { id, bytes }),
        Ok(mut bytes) => {
            let len = bytes.len();
            zeroize::Zeroize::zeroize(&mut bytes);
            diags.push(
                err(
                    loc,
                    format!("key {id} is {len} bytes; keys are {KEY_MIN} to {KEY_MAX}"),
                )
                .hint("e.g. `key 1 hex:` and 64 hex digits from `openssl rand -hex 32`"),
            );
            None
        }
        Err(msg) => {
            diags.push(err(loc, format!("key {id}: {msg}")));
            None
        }
    }
}

/// A key value as keepalived reads it: `hex:` and pairs of hex digits, or the ASCII string.
pub fn decode(value: &str) -> Result<Vec<u8>, String> {
    let Some(digits) = value.strip_prefix("hex:") else {
        return Ok(value.as_bytes().to_vec());
    };
    let digits: zeroize::Zeroizing<Vec<u8>> =
        zeroize::Zeroizing::new(digits.bytes().filter(|b| !b" \t".contains(b)).collect());
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{} hex digits; a byte takes two", digits.len()));
    }
    // The message names the position of a bad pair, never its digits (part of the secret).
    digits
        .chunks(2)
        .enumerate()
        .map(|(n, p)| {
            std::str::from_utf8(p)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("byte {} is not two hex digits", n + 1))
        })
        .collect()
}

/// The content of a key file, less a trailing line end; warns when others may read it. The
/// text is wiped when dropped.
fn read_key_file(
    path: &str,
    loc: &Location,
    diags: &mut Vec<Diagnostic>,
) -> Result<zeroize::Zeroizing<String>, String> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let file =
        std::fs::File::open(path).map_err(|e| format!("key file {path} cannot be opened: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("key file {path}: {e}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        diags.push(
            Diagnostic::new(
                Severity::Warning,
                "auth-hmac-key-file-mode",
                loc.clone(),
                format!("file:{path}"),
                format!("key file {path} is readable by group or others"),
            )
            .hint(format!("chmod 600 {path}")),
        );
    }
    let mut text = zeroize::Zeroizing::new(String::with_capacity(KEY_FILE_MAX as usize + 1));
    file.take(KEY_FILE_MAX + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("key file {path}: {e}"))?;
    if text.len() as u64 > KEY_FILE_MAX {
        return Err(format!("key file {path} is too large for a key"));
    }
    Ok(zeroize::Zeroizing::new(
        text.trim_end_matches(['\n', '\r']).to_string(),
    ))
}
