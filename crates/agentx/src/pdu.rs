//! AgentX PDUs (RFC 2741 §6): the 20-byte header and the payloads a subagent sends (Open,
//! Close, Register, Notify, Response, Ping) or receives (Get, GetNext, GetBulk, the Set phases,
//! Response, Close).
//!
//! ```text
//!  0        1        2        3
//! +--------+--------+--------+--------+
//! | version|  type  | flags  |reserved|
//! +--------+--------+--------+--------+
//! |            sessionID              |
//! |          transactionID            |
//! |            packetID               |
//! |          payload_length           |
//! +-----------------------------------+
//! ```

use crate::wire::{Reader, Writer};
use crate::{Error, Oid};

/// Header length.
pub const HEADER_LEN: usize = 20;
/// The largest payload accepted (net-snmp's master sends far less).
pub const MAX_PAYLOAD: u32 = 64 * 1024;
/// §6.1 h.flags: NON_DEFAULT_CONTEXT.
const NON_DEFAULT_CONTEXT: u8 = 0x08;
/// §6.1 h.flags: NETWORK_BYTE_ORDER.
const NETWORK_BYTE_ORDER: u8 = 0x10;

/// The header fields a PDU carries besides its type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Session, given by the master in the response to Open.
    pub session: u32,
    /// Transaction, echoed in the response.
    pub transaction: u32,
    /// Packet, echoed in the response.
    pub packet: u32,
}

/// A value of a variable binding (§5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// INTEGER.
    Integer(i32),
    /// OCTET STRING.
    OctetString(Vec<u8>),
    /// NULL.
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 (and Unsigned32).
    Gauge32(u32),
    /// TimeTicks, hundredths of a second.
    TimeTicks(u32),
    /// Counter64.
    Counter64(u64),
    /// noSuchObject.
    NoSuchObject,
    /// noSuchInstance.
    NoSuchInstance,
    /// endOfMibView.
    EndOfMibView,
}

/// A variable binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarBind {
    /// The variable.
    pub name: Oid,
    /// Its value.
    pub value: Value,
}

/// A search range (§5.2): from `start` (itself included when `include`) up to `end`
/// (excluded; null: no bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRange {
    /// Where the search starts.
    pub start: Oid,
    /// Whether `start` itself may be answered.
    pub include: bool,
    /// Where it stops (excluded); null for none.
    pub end: Oid,
}

/// A PDU's payload, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// agentx-Open-PDU: time-out (s), the subagent's id and description.
    Open {
        /// Default time-out, seconds (0: the master's).
        timeout: u8,
        /// The subagent's identity.
        id: Oid,
        /// Its description.
        descr: Vec<u8>,
    },
    /// agentx-Close-PDU with its reason (1 other … 6 byManager).
    Close {
        /// Reason.
        reason: u8,
    },
    /// agentx-Register-PDU of one subtree (no range).
    Register {
        /// Time-out, seconds (0: the session's).
        timeout: u8,
        /// Priority (lower wins; 127 is the default).
        priority: u8,
        /// The subtree.
        subtree: Oid,
    },
    /// agentx-Get-PDU.
    Get(Vec<SearchRange>),
    /// agentx-GetNext-PDU.
    GetNext(Vec<SearchRange>),
    /// agentx-GetBulk-PDU.
    GetBulk {
        /// Ranges answered once.
        non_repeaters: u16,
        /// Repetitions of the other ranges.
        max_repetitions: u16,
        /// The ranges.
        ranges: Vec<SearchRange>,
    },
    /// agentx-TestSet-PDU (its bindings are not kept: this subagent is read-only).
    TestSet,
    /// agentx-CommitSet-PDU.
    CommitSet,
    /// agentx-UndoSet-PDU.
    UndoSet,
    /// agentx-CleanupSet-PDU.
    CleanupSet,
    /// agentx-Notify-PDU.
    Notify(Vec<VarBind>),
    /// agentx-Ping-PDU.
    Ping,
    /// agentx-Response-PDU.
    Response {
        /// sysUpTime, hundredths of a second (subagents send 0).
        uptime: u32,
        /// Error status (0 noError; 17 notWritable; 265 parseError …).
        error: u16,
        /// Index of the failing binding, 1-based.
        index: u16,
        /// The bindings.
        varbinds: Vec<VarBind>,
    },
}

/// A PDU: header fields, its context (None: the default one) and its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    /// Session, transaction and packet ids.
    pub header: Header,
    /// A non-default context, if named.
    pub context: Option<Vec<u8>>,
    /// The payload.
    pub payload: Payload,
}

impl Payload {
    /// The PDU type (§6.1 h.type).
    pub fn kind(&self) -> u8 {
        match self {
            Payload::Open { .. } => 1,
            Payload::Close { .. } => 2,
            Payload::Register { .. } => 3,
            Payload::Get(_) => 5,
            Payload::GetNext(_) => 6,
            Payload::GetBulk { .. } => 7,
            Payload::TestSet => 8,
            Payload::CommitSet => 9,
            Payload::UndoSet => 10,
            Payload::CleanupSet => 11,
            Payload::Notify(_) => 12,
            Payload::Ping => 13,
            Payload::Response { .. } => 18,
        }
    }

    /// Whether a context may precede the payload (§6.1.1).
    fn has_context(&self) -> bool {
        !matches!(
            self,
            Payload::Open { .. }
                | Payload::Close { .. }
                | Payload::Response { .. }
                | Payload::CommitSet
                | Payload::UndoSet
                | Payload::CleanupSet
        )
    }
}

/// The length of the PDU whose first bytes are `header` (header included), or an error if the
/// header is not AgentX's or announces too much.
pub fn frame_len(header: &[u8; HEADER_LEN]) -> Result<usize, Error> {
    if header[0] != 1 {
        return Err(Error::Malformed(format!("version {}", header[0])));
    }
    let b = [header[16], header[17], header[18], header[19]];
    let len = if header[2] & NETWORK_BYTE_ORDER != 0 {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    };
    if len > MAX_PAYLOAD {
        return Err(Error::TooLarge(len));
    }
    if !len.is_multiple_of(4) {
        return Err(Error::Malformed(format!(
            "payload length {len} is not a multiple of 4"
        )));
    }
    Ok(HEADER_LEN + len as usize)
}

impl Pdu {
    /// The PDU's bytes, network byte order.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Writer::default();
        if let Some(c) = self.context.as_ref().filter(|_| self.payload.has_context()) {
            body.octets(c);
        }
        encode_payload(&self.payload, &mut body);
        let mut flags = NETWORK_BYTE_ORDER;
        if self.context.is_some() && self.payload.has_context() {
            flags |= NON_DEFAULT_CONTEXT;
        }
        let mut w = Writer::default();
        w.u8(1);
        w.u8(self.payload.kind());
        w.u8(flags);
        w.u8(0);
        w.u32(self.header.session);
        w.u32(self.header.transaction);
        w.u32(self.header.packet);
        w.u32(body.0.len() as u32);
        w.0.extend_from_slice(&body.0);
        w.0
    }

    /// Reads one whole PDU (header and payload, as [`frame_len`] delimited it).
    pub fn decode(bytes: &[u8]) -> Result<Pdu, Error> {
        let head: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(Error::Truncated("header"))?;
        let total = frame_len(head)?;
        let payload = bytes
            .get(HEADER_LEN..total)
            .ok_or(Error::Truncated("payload"))?;
        let flags = head[2];
        let mut r = Reader::new(&bytes[4..HEADER_LEN], flags & NETWORK_BYTE_ORDER != 0);
        let header = Header {
            session: r.u32("session")?,
            transaction: r.u32("transaction")?,
            packet: r.u32("packet")?,
        };
        let mut r = Reader::new(payload, flags & NETWORK_BYTE_ORDER != 0);
        let kind = head[1];
        let context =
            if flags & NON_DEFAULT_CONTEXT != 0 && !matches!(kind, 1 | 2 | 9 | 10 | 11 | 18) {
                Some(r.octets()?)
            } else {
                None
            };
        let payload = crate::pdu_read::payload(kind, &mut r)?;
        Ok(Pdu {
            header,
            context,
            payload,
        })
    }
}

fn encode_payload(p: &Payload, w: &mut Writer) {
    match p {
        Payload::Open { timeout, id, descr } => {
            w.u32(u32::from(*timeout) << 24);
            w.oid(id, false);
            w.octets(descr);
        }
        Payload::Close { reason } => w.u32(u32::from(*reason) << 24),
        Payload::Register {
            timeout,
            priority,
            subtree,
        } => {
            w.u32((u32::from(*timeout) << 24) | (u32::from(*priority) << 16));
            w.oid(subtree, false);
        }
        Payload::Get(ranges) | Payload::GetNext(ranges) => ranges.iter().for_each(|s| range(w, s)),
        Payload::GetBulk {
            non_repeaters,
            max_repetitions,
            ranges,
        } => {
            w.u16(*non_repeaters);
            w.u16(*max_repetitions);
            ranges.iter().for_each(|s| range(w, s));
        }
        Payload::TestSet
        | Payload::CommitSet
        | Payload::UndoSet
        | Payload::CleanupSet
        | Payload::Ping => {}
        Payload::Notify(vbs) => vbs.iter().for_each(|v| varbind(w, v)),
        Payload::Response {
            uptime,
            error,
            index,
            varbinds,
        } => {
            w.u32(*uptime);
            w.u16(*error);
            w.u16(*index);
            varbinds.iter().for_each(|v| varbind(w, v));
        }
    }
}

fn range(w: &mut Writer, s: &SearchRange) {
    w.oid(&s.start, s.include);
    w.oid(&s.end, false);
}

fn varbind(w: &mut Writer, v: &VarBind) {
    w.u16(value_type(&v.value));
    w.u16(0);
    w.oid(&v.name, false);
    match &v.value {
        Value::Integer(i) => w.u32(*i as u32),
        Value::OctetString(b) => w.octets(b),
        Value::ObjectId(o) => w.oid(o, false),
        Value::IpAddress(a) => w.octets(a),
        Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => w.u32(*n),
        Value::Counter64(n) => w.u64(*n),
        Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {}
    }
}

/// The type code of a value (§5.4).
pub fn value_type(v: &Value) -> u16 {
    match v {
        Value::Integer(_) => 2,
        Value::OctetString(_) => 4,
        Value::Null => 5,
        Value::ObjectId(_) => 6,
        Value::IpAddress(_) => 64,
        Value::Counter32(_) => 65,
        Value::Gauge32(_) => 66,
        Value::TimeTicks(_) => 67,
        Value::Counter64(_) => 70,
        Value::NoSuchObject => 128,
        Value::NoSuchInstance => 129,
        Value::EndOfMibView => 130,
    }
}
