//! The mover's API keys: the credentials file's format, and a holder that never shows them.

use zeroize::Zeroizing;

/// A key pair (and, for temporary keys, the session token). `Debug` shows the SecretId's
/// first four characters only; the key and the token never.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    /// The SecretId (`AKID...`).
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: Zeroizing<String>,
    /// The temporary credentials' token (`X-TC-Token`).
    pub token: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: String = self.secret_id.chars().take(4).collect();
        write!(f, "Keys({shown}…, key and token withheld)")
    }
}

/// Reads a credentials file's text: lines `secret_id VALUE`, `secret_key VALUE` and optionally
/// `token VALUE` (EC2's names `access_key_id`, `secret_access_key` and `session_token`, also
/// with an `aws_` prefix, name the same three; an `=` between name and value is allowed), `#` comments and blank lines.
/// Errors name the line, never a value.
pub fn parse_keys(text: &str) -> Result<Keys, String> {
    let mut id = None;
    let mut key = None;
    let mut token = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(|c: char| c == '=' || c.is_whitespace())
            .map(|(n, v)| (n.trim(), v.trim().trim_start_matches('=').trim()))
            .ok_or_else(|| format!("line {}: expected `NAME VALUE`", n + 1))?;
        if value.is_empty() || value.contains(char::is_whitespace) {
            return Err(format!("line {}: `{name}` needs one value", n + 1));
        }
        let slot = match name {
            "secret_id" | "access_key_id" | "aws_access_key_id" => &mut id,
            "secret_key" | "secret_access_key" | "aws_secret_access_key" => &mut key,
            "token" | "session_token" | "aws_session_token" => &mut token,
            other => {
                return Err(format!(
                    "line {}: unknown name `{other}` (secret_id, secret_key, token; EC2: access_key_id, secret_access_key, session_token)",
                    n + 1
                ));
            }
        };
        if slot.is_some() {
            return Err(format!("line {}: `{name}` is given twice", n + 1));
        }
        *slot = Some(Zeroizing::new(value.to_string()));
    }
    Ok(Keys {
        secret_id: id.ok_or("no `secret_id` line")?.to_string(),
        secret_key: key.ok_or("no `secret_key` line")?,
        token,
    })
}
