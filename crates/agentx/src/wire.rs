//! Reading and writing AgentX's basic types (RFC 2741 §5): integers in the byte order the
//! header's NETWORK_BYTE_ORDER flag says, OIDs with their `internet` prefix, octet strings
//! padded to four bytes.

use crate::{Error, Oid};

/// Writes fields in network byte order (we always set NETWORK_BYTE_ORDER).
#[derive(Default)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    /// An OID (§5.1), `1.3.6.1.N.…` written with its prefix byte.
    pub fn oid(&mut self, oid: &Oid, include: bool) {
        let s = &oid.0;
        let (prefix, rest) = match s.as_slice() {
            [1, 3, 6, 1, p, rest @ ..] if (1..=255).contains(p) => (*p as u8, rest),
            _ => (0, s.as_slice()),
        };
        self.u8(rest.len() as u8);
        self.u8(prefix);
        self.u8(include as u8);
        self.u8(0);
        for v in rest {
            self.u32(*v);
        }
    }

    /// An octet string (§5.3), padded to a multiple of four bytes.
    pub fn octets(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
    }
}

/// Reads fields from a payload.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], big_endian: bool) -> Self {
        Reader {
            buf,
            pos: 0,
            big_endian,
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let end = self.pos + N;
        let bytes = self.buf.get(self.pos..end).ok_or(Error::Truncated(what))?;
        self.pos = end;
        let mut a = [0; N];
        a.copy_from_slice(bytes);
        Ok(a)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take::<1>(what)?[0])
    }
    pub fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        let b = self.take(what)?;
        Ok(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }
    pub fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        let b = self.take(what)?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
    pub fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        let b = self.take(what)?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// An OID and its `include` flag.
    pub fn oid(&mut self) -> Result<(Oid, bool), Error> {
        let n = self.u8("OID n_subid")?;
        let prefix = self.u8("OID prefix")?;
        let include = self.u8("OID include")?;
        self.u8("OID reserved")?;
        if include > 1 {
            return Err(Error::Malformed(format!("OID include {include}")));
        }
        if n > 128 {
            return Err(Error::Malformed(format!(
                "OID of {n} sub-identifiers (128 at most)"
            )));
        }
        let mut v = Vec::with_capacity(n as usize + 5);
        if prefix != 0 {
            v.extend_from_slice(&[1, 3, 6, 1, u32::from(prefix)]);
        }
        for _ in 0..n {
            v.push(self.u32("OID sub-identifier")?);
        }
        Ok((Oid(v), include == 1))
    }

    /// An octet string.
    pub fn octets(&mut self) -> Result<Vec<u8>, Error> {
        let len = self.u32("octet string length")? as usize;
        let padded = len.div_ceil(4) * 4;
        let bytes = self
            .buf
            .get(self.pos..self.pos + padded)
            .ok_or(Error::Truncated("octet string"))?;
        self.pos += padded;
        Ok(bytes[..len].to_vec())
    }
}
