//! havipd's control protocol: a request line as the daemon reads it, and reply lines as the
//! client reads them. Whatever parses must serialize and parse back to the same value.

use ctl::{MAX_REQUEST, Reply, Request};

/// Parses `data` as a request (within the daemon's bound) and each line as a reply.
pub fn run(data: &[u8]) {
    let line = &data[..data.len().min(MAX_REQUEST)];
    if let Ok(request) = serde_json::from_slice::<Request>(line) {
        let bytes = serde_json::to_vec(&request).expect("a request serializes");
        let again: Request = serde_json::from_slice(&bytes).expect("a serialized request parses");
        assert_eq!(again, request);
    }
    for line in data.split(|&b| b == b'\n') {
        if let Ok(reply) = serde_json::from_slice::<Reply>(line) {
            let bytes = serde_json::to_vec(&reply).expect("a reply serializes");
            let _: Reply = serde_json::from_slice(&bytes).expect("a serialized reply parses");
        }
    }
}
