//! The byte primitives of format 2, each written and read side by side: bytes, flag
//! bytes, varints, zigzag differences, number texts, and the code tables that map an enum
//! to its byte both ways.

use super::CodecError;

/// Longest number text accepted in a link (the shortest form of any f64 is ≤ 24).
const MAX_NUMBER_TEXT: usize = 32;

/// The bytes of a payload being written.
#[derive(Default)]
pub struct Writer {
    pub out: Vec<u8>,
}

/// Reads a payload.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Writer {
    pub fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    pub fn bytes(&mut self, b: impl IntoIterator<Item = u8>) {
        self.out.extend(b);
    }

    /// Up to 8 flags in one byte, the first in the lowest bit.
    pub fn flags(&mut self, bits: &[bool]) {
        let byte = bits
            .iter()
            .enumerate()
            .fold(0, |acc, (k, &on)| acc | (u8::from(on) << k));
        self.out.push(byte);
    }

    pub fn varint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }

    /// A difference as a varint; small differences of either sign are small numbers.
    pub fn diff(&mut self, d: i64) {
        self.varint(zigzag(d));
    }

    /// The shortest text that reads back as the same double (`{:e}`), with its length.
    pub fn number(&mut self, v: f64) {
        let text = format!("{v:e}");
        self.out.push(text.len() as u8);
        self.out.extend(text.as_bytes());
    }
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// Whether every byte was read.
    pub fn done(&self) -> bool {
        self.at == self.bytes.len()
    }

    pub fn take(&mut self, k: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(k).ok_or(CodecError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(CodecError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    pub fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    /// Flag `k` of a flag byte.
    pub fn on(bits: u8, k: u8) -> bool {
        bits & (1 << k) != 0
    }

    pub fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(CodecError::Invalid("a prediction level is too long".into()))
    }

    pub fn diff(&mut self) -> Result<i64, CodecError> {
        Ok(unzigzag(self.varint()?))
    }

    pub fn number(&mut self, what: &str) -> Result<f64, CodecError> {
        let len = usize::from(self.byte()?);
        if len > MAX_NUMBER_TEXT {
            return Err(CodecError::Invalid(format!("{what} is too long")));
        }
        let text = std::str::from_utf8(self.take(len)?)
            .map_err(|_| CodecError::Invalid(format!("{what} is not a number")))?;
        text.parse()
            .map_err(|_| CodecError::Invalid(format!("{what} is not a number")))
    }
}

/// Zigzag: small differences of either sign are small numbers.
fn zigzag(d: i64) -> u64 {
    ((d << 1) ^ (d >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// The one table of an enum's byte codes, used to write and to read them.
pub struct Codes<T: 'static> {
    /// What a code names, for the error of an unknown one ("unknown {what} {k}").
    pub what: &'static str,
    pub table: &'static [(T, u8)],
}

impl<T: Copy + PartialEq> Codes<T> {
    pub fn code(&self, v: T) -> u8 {
        self.table
            .iter()
            .find(|(t, _)| *t == v)
            .map_or(0, |&(_, k)| k)
    }

    pub fn value(&self, k: u8) -> Result<T, CodecError> {
        self.table
            .iter()
            .find(|&&(_, code)| code == k)
            .map(|&(t, _)| t)
            .ok_or_else(|| CodecError::Invalid(format!("unknown {} {k}", self.what)))
    }

    pub fn read(&self, r: &mut Reader) -> Result<T, CodecError> {
        self.value(r.byte()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_primitive_reads_back() {
        let mut w = Writer::default();
        w.flags(&[true, false, true]);
        for d in [0, -1, 1, 63, -64, 1 << 40, i64::MIN + 1] {
            w.diff(d);
        }
        w.number(0.1 + 0.2);
        w.varint(u64::MAX);
        let mut r = Reader::new(&w.out);
        let f = r.byte().unwrap();
        assert!(Reader::on(f, 0) && !Reader::on(f, 1) && Reader::on(f, 2));
        for d in [0, -1, 1, 63, -64, 1 << 40, i64::MIN + 1] {
            assert_eq!(r.diff().unwrap(), d);
        }
        assert_eq!(r.number("x").unwrap(), 0.1 + 0.2);
        assert_eq!(r.varint().unwrap(), u64::MAX);
        assert!(r.done());
        assert_eq!(r.byte(), Err(CodecError::Truncated));
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }

    #[test]
    fn a_code_table_is_used_both_ways() {
        const CODES: Codes<char> = Codes {
            what: "letter code",
            table: &[('a', 0), ('b', 1)],
        };
        for (v, k) in CODES.table {
            assert_eq!(CODES.code(*v), *k);
            assert_eq!(CODES.value(*k), Ok(*v));
        }
        assert_eq!(
            CODES.value(7),
            Err(CodecError::Invalid("unknown letter code 7".into()))
        );
    }
}
