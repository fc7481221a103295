//! Resource ids as the cloud shapes them (`havip-` and 8 lowercase letters or digits) and
//! request ids (UUID-shaped).

use rand::Rng;

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new id with `prefix` (`havip`, `vpc`, `subnet`, `eni`, `ins`, `eip`).
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{tail}")
}

/// Whether `id` looks like an id of this prefix.
pub fn is_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|t| t.len() == 8 && t.bytes().all(|b| ALPHABET.contains(&b)))
}

/// A request id: 32 hex digits in the 8-4-4-4-12 shape.
pub fn request_id() -> String {
    let b: [u8; 16] = rand::rng().random();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_cloud_s_shape() {
        let id = new_id("havip");
        assert!(is_id("havip", &id), "{id}");
        assert!(!is_id("havip", "havip-ABCDEFGH"));
        assert!(!is_id("havip", "havip-1234567"));
        assert!(!is_id("havip", "vpc-12345678"));
        assert_eq!(request_id().len(), 36);
    }
}
