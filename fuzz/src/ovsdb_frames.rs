//! OVSDB frames from a server: the framer fed in pieces (the first byte sets the piece size),
//! then what the client reads out of each message (monitor updates, rows, replies).

use ovsdb::framing::Framer;
use serde_json::Value;

/// Frames `data` and reads each message as the client would.
pub fn run(data: &[u8]) {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut framer = Framer::new(1 << 16);
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        loop {
            match framer.next_message() {
                Ok(Some(msg)) => read_message(&msg),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

fn read_message(msg: &Value) {
    if let Some(updates) = msg["params"].get(1) {
        let _ = ovsdb::parse_table_updates(updates);
    }
    for v in [&msg["result"], &msg["params"]] {
        if let Ok(row) = ovsdb::row_from_json(v) {
            let again = ovsdb::row_from_json(&ovsdb::row_to_json(&row)).expect("a row re-reads");
            assert_eq!(again, row);
        }
        if let Ok(d) = ovsdb::Datum::from_json(v) {
            let again = ovsdb::Datum::from_json(&d.to_json()).expect("a datum re-reads");
            assert_eq!(again, d);
        }
    }
}
