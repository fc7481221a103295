//! Reading payloads, by PDU type (RFC 2741 §6.2).

use crate::Error;
use crate::pdu::{Payload, SearchRange, Value, VarBind};
use crate::wire::Reader;

/// The payload of a PDU of type `kind`; the reader must be consumed exactly.
pub fn payload(kind: u8, r: &mut Reader) -> Result<Payload, Error> {
    let p = match kind {
        1 => {
            let timeout = r.u8("Open time-out")?;
            skip(r, 3)?;
            let (id, _) = r.oid()?;
            Payload::Open {
                timeout,
                id,
                descr: r.octets()?,
            }
        }
        2 => {
            let reason = r.u8("Close reason")?;
            skip(r, 3)?;
            Payload::Close { reason }
        }
        3 => {
            let timeout = r.u8("Register time-out")?;
            let priority = r.u8("Register priority")?;
            let range_subid = r.u8("Register range_subid")?;
            skip(r, 1)?;
            let (subtree, _) = r.oid()?;
            if range_subid != 0 {
                return Err(Error::Malformed("Register with a range".into()));
            }
            Payload::Register {
                timeout,
                priority,
                subtree,
            }
        }
        5 => Payload::Get(ranges(r)?),
        6 => Payload::GetNext(ranges(r)?),
        7 => Payload::GetBulk {
            non_repeaters: r.u16("GetBulk non_repeaters")?,
            max_repetitions: r.u16("GetBulk max_repetitions")?,
            ranges: ranges(r)?,
        },
        8 => {
            varbinds(r)?;
            Payload::TestSet
        }
        9 => Payload::CommitSet,
        10 => Payload::UndoSet,
        11 => Payload::CleanupSet,
        12 => Payload::Notify(varbinds(r)?),
        13 => Payload::Ping,
        18 => Payload::Response {
            uptime: r.u32("Response sysUpTime")?,
            error: r.u16("Response error")?,
            index: r.u16("Response index")?,
            varbinds: varbinds(r)?,
        },
        k => return Err(Error::Malformed(format!("PDU type {k} is not handled"))),
    };
    if !r.at_end() {
        return Err(Error::Malformed(format!(
            "bytes left after a PDU of type {kind}"
        )));
    }
    Ok(p)
}

fn skip(r: &mut Reader, n: usize) -> Result<(), Error> {
    for _ in 0..n {
        r.u8("reserved")?;
    }
    Ok(())
}

fn ranges(r: &mut Reader) -> Result<Vec<SearchRange>, Error> {
    let mut v = Vec::new();
    while !r.at_end() {
        let (start, include) = r.oid()?;
        let (end, _) = r.oid()?;
        v.push(SearchRange {
            start,
            include,
            end,
        });
    }
    Ok(v)
}

fn varbinds(r: &mut Reader) -> Result<Vec<VarBind>, Error> {
    let mut v = Vec::new();
    while !r.at_end() {
        let kind = r.u16("VarBind type")?;
        r.u16("VarBind reserved")?;
        let (name, _) = r.oid()?;
        v.push(VarBind {
            name,
            value: value(kind, r)?,
        });
    }
    Ok(v)
}

fn value(kind: u16, r: &mut Reader) -> Result<Value, Error> {
    Ok(match kind {
        2 => Value::Integer(r.u32("Integer")? as i32),
        4 => Value::OctetString(r.octets()?),
        5 => Value::Null,
        6 => Value::ObjectId(r.oid()?.0),
        64 => {
            let b = r.octets()?;
            let a: [u8; 4] = b
                .as_slice()
                .try_into()
                .map_err(|_| Error::Malformed(format!("IpAddress of {} bytes", b.len())))?;
            Value::IpAddress(a)
        }
        65 => Value::Counter32(r.u32("Counter32")?),
        66 => Value::Gauge32(r.u32("Gauge32")?),
        67 => Value::TimeTicks(r.u32("TimeTicks")?),
        70 => Value::Counter64(r.u64("Counter64")?),
        128 => Value::NoSuchObject,
        129 => Value::NoSuchInstance,
        130 => Value::EndOfMibView,
        k => return Err(Error::Malformed(format!("VarBind type {k}"))),
    })
}
