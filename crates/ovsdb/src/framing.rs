//! OVSDB's wire framing: JSON-RPC messages are JSON objects sent one after another on the
//! stream, with no length or delimiter between them. [`Framer`] takes bytes as they arrive
//! and hands out whole messages; it is pure (no I/O) and bounds what it buffers.

use serde_json::Value;

/// Why the stream cannot be read further.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FramingError {
    /// A message is not JSON (the stream is unusable after it).
    #[error("malformed JSON at byte {offset} of a message: {reason}")]
    Malformed {
        /// Where in the message the parser stopped.
        offset: usize,
        /// The parser's reason.
        reason: String,
    },
    /// A message grew past the limit before it ended.
    #[error("a message is longer than {limit} bytes")]
    TooLong {
        /// The limit.
        limit: usize,
    },
}

/// Splits a byte stream into JSON values. Each byte is scanned once (nesting depth, strings
/// and escapes) to find where a message ends; only a whole message is parsed, so a large one
/// arriving in many reads costs one parse.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    limit: usize,
    /// Bytes of `buf` already scanned.
    scanned: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Framer {
    /// A framer that refuses messages longer than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Framer {
            buf: Vec::new(),
            limit,
            scanned: 0,
            depth: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// Adds bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, `Ok(None)` if more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Value>, FramingError> {
        if self.depth == 0 && !self.in_string {
            let start = self.buf[self.scanned..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .map_or(self.buf.len(), |p| self.scanned + p);
            self.buf.drain(..start);
            self.scanned = 0;
        }
        let Some(end) = self.scan() else {
            if self.buf.len() > self.limit {
                return Err(FramingError::TooLong { limit: self.limit });
            }
            return Ok(None);
        };
        if end > self.limit {
            return Err(FramingError::TooLong { limit: self.limit });
        }
        let parsed = serde_json::from_slice::<Value>(&self.buf[..end]);
        self.buf.drain(..end);
        self.scanned = 0;
        parsed.map(Some).map_err(|e| FramingError::Malformed {
            offset: e.column(),
            reason: e.to_string(),
        })
    }

    /// Scans the new bytes; the end of the first message if it is complete.
    fn scan(&mut self) -> Option<usize> {
        while self.scanned < self.buf.len() {
            let b = self.buf[self.scanned];
            self.scanned += 1;
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(self.scanned);
                    }
                }
                // A top-level scalar is not an OVSDB message: let the parser say so.
                _ if self.depth == 0 && !b.is_ascii_whitespace() => {
                    return Some(self.buf.len());
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all(f: &mut Framer) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = f.next_message().expect("well-formed") {
            out.push(v);
        }
        out
    }

    #[test]
    fn messages_split_at_every_byte_come_out_whole_and_in_order() {
        let stream =
            br#"{"id":1,"result":[{}],"error":null} {"method":"echo","params":[],"id":"echo"}
{"id":2,"result":{"s":"a } \" {"},"error":null}"#;
        for cut in 0..stream.len() {
            let mut f = Framer::new(1 << 20);
            f.push(&stream[..cut]);
            let mut got = all(&mut f);
            f.push(&stream[cut..]);
            got.extend(all(&mut f));
            assert_eq!(got.len(), 3, "cut at {cut}");
            assert_eq!(got[2]["result"]["s"], json!("a } \" {"));
        }
    }

    #[test]
    fn an_endless_message_is_refused_at_the_limit() {
        let mut f = Framer::new(64);
        f.push(br#"{"id":1,"result":""#);
        assert_eq!(f.next_message(), Ok(None));
        f.push(&[b'x'; 100]);
        assert_eq!(f.next_message(), Err(FramingError::TooLong { limit: 64 }));
    }

    #[test]
    fn garbage_is_an_error_not_a_wait() {
        let mut f = Framer::new(64);
        f.push(b"{\"id\":1,]");
        assert!(matches!(
            f.next_message(),
            Err(FramingError::Malformed { .. })
        ));
    }
}
