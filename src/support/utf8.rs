//! Strict UTF-8 decoding that reports a bad file the way spec-kitty 3.1.1 (CPython 3.11's
//! `bytes.decode("utf-8")`) did: the byte position where the bad sequence starts, how many bytes
//! it spans, and CPython's reason (`invalid start byte`, `invalid continuation byte`, `unexpected
//! end of data`).
//!
//! Rust and CPython agree on which byte sequences are valid UTF-8 (no surrogates, no overlong
//! forms, nothing above U+10FFFF), so the first error is at [`std::str::Utf8Error::valid_up_to`];
//! only the classification and the span length follow CPython's decoder (`Objects/stringlib/codecs.h`,
//! `unicode_decode_utf8`). To read a file as 3.1.1's `Path.read_text(encoding="utf-8")` did, use
//! [`read_to_string`].

use std::fmt;
use std::path::Path;

/// Why CPython's UTF-8 decoder rejected a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A byte that cannot start a sequence (`0x80..=0xC1`, `0xF5..=0xFF`).
    InvalidStart,
    /// A lead byte followed by a byte that cannot continue its sequence.
    InvalidContinuation,
    /// The data ends inside a sequence that was valid so far.
    UnexpectedEnd,
}

impl Reason {
    /// CPython's wording.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidStart => "invalid start byte",
            Reason::InvalidContinuation => "invalid continuation byte",
            Reason::UnexpectedEnd => "unexpected end of data",
        }
    }
}

/// The first undecodable sequence of a byte string. `Display` is CPython's
/// `UnicodeDecodeError` text, e.g. `'utf-8' codec can't decode byte 0xff in position 20: invalid
/// start byte`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset where the bad sequence starts.
    pub start: usize,
    /// Byte offset just past the bytes CPython blames (`start + 1` for a single byte).
    pub end: usize,
    /// The byte at `start`.
    pub byte: u8,
    /// CPython's reason.
    pub reason: Reason,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.end == self.start + 1 {
            write!(
                f,
                "'utf-8' codec can't decode byte 0x{:02x} in position {}: {}",
                self.byte,
                self.start,
                self.reason.as_str()
            )
        } else {
            write!(
                f,
                "'utf-8' codec can't decode bytes in position {}-{}: {}",
                self.start,
                self.end - 1,
                self.reason.as_str()
            )
        }
    }
}

impl std::error::Error for DecodeError {}

fn is_continuation(b: u8) -> bool {
    (0x80..=0xBF).contains(&b)
}

/// Classifies the invalid sequence starting at `bytes[0]` as CPython does. Returns the reason and
/// how many bytes CPython's error spans.
fn classify(bytes: &[u8]) -> (Reason, usize) {
    use Reason::{InvalidContinuation, InvalidStart, UnexpectedEnd};
    let Some(&lead) = bytes.first() else {
        return (UnexpectedEnd, 0);
    };
    let at = |i: usize| bytes.get(i).copied();
    let cont = |i: usize| at(i).is_some_and(is_continuation);
    let eod = (UnexpectedEnd, bytes.len());
    // CPython's "InvalidContinuationN": the lead and the N-1 good bytes after it are blamed.
    let bad_cont = |n: usize| (InvalidContinuation, n);
    match lead {
        // A valid pair cannot be the first error, so the second byte is bad.
        0xC2..=0xDF => match at(1) {
            None => eod,
            Some(_) => bad_cont(1),
        },
        0xE0..=0xEF => {
            let Some(b1) = at(1) else { return eod };
            let b1_bad =
                !is_continuation(b1) || (lead == 0xE0 && b1 < 0xA0) || (lead == 0xED && b1 >= 0xA0);
            if b1_bad {
                return bad_cont(1);
            }
            match at(2) {
                None => eod,
                Some(_) => bad_cont(2),
            }
        }
        0xF0..=0xF4 => {
            let Some(b1) = at(1) else { return eod };
            let b1_bad =
                !is_continuation(b1) || (lead == 0xF0 && b1 < 0x90) || (lead == 0xF4 && b1 >= 0x90);
            if b1_bad {
                return bad_cont(1);
            }
            match at(2) {
                None => eod,
                Some(_) if !cont(2) => bad_cont(2),
                Some(_) => match at(3) {
                    None => eod,
                    Some(_) => bad_cont(3),
                },
            }
        }
        _ => (InvalidStart, 1),
    }
}

/// The error for `bytes`, whose first `valid` bytes are valid UTF-8 and the rest not.
fn error_at(bytes: &[u8], valid: usize) -> DecodeError {
    let rest = bytes.get(valid..).unwrap_or_default();
    let (reason, len) = classify(rest);
    DecodeError {
        start: valid,
        end: valid + len.max(1),
        byte: rest.first().copied().unwrap_or_default(),
        reason,
    }
}

/// Decodes `bytes` as strict UTF-8 (a BOM is kept, as with Python's `utf-8` codec).
pub fn decode(bytes: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|e| error_at(bytes, e.valid_up_to()))
}

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be read at all.
    Io(std::io::Error),
    /// The file was read but is not UTF-8. `lossy` is its text with each undecodable sequence
    /// replaced by U+FFFD, so byte offsets up to `error.start` are unchanged (for diagnostics).
    Decode {
        /// Where and why decoding failed.
        error: DecodeError,
        /// The text, lossily decoded.
        lossy: String,
    },
}

/// A file's bytes. Not `fs::read` (nor `File::read_to_end`): they first ask for the file's size
/// (`statx`, and `lseek` for the latter), one system call in five or six for the small files a
/// mission is made of; here it is open, read until a read returns nothing, close.
fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads a file as 3.1.1's `Path.read_text(encoding="utf-8")` did.
pub fn read_to_string(path: &Path) -> Result<String, ReadError> {
    let bytes = read_bytes(path).map_err(ReadError::Io)?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        ReadError::Decode {
            error: error_at(bytes, e.utf8_error().valid_up_to()),
            lossy: String::from_utf8_lossy(bytes).into_owned(),
        }
    })
}

/// The characters Python sees in a file name read from the OS (`surrogateescape`): valid UTF-8
/// decodes normally and each other byte is one character (here U+FFFD, as Rust has no lone
/// surrogates), so `?` matches one undecodable byte and `*` matches any run of them.
pub fn surrogateescape_chars(bytes: &[u8]) -> Vec<char> {
    let mut out = Vec::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.extend(chunk.valid().chars());
        out.extend(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(bytes: &[u8]) -> String {
        match decode(bytes) {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        }
    }

    // Expected texts are CPython 3.11.7's `bytes.decode("utf-8")` messages for the same input.
    #[test]
    fn cpython_messages() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"ab\xffc",
                "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte",
            ),
            (
                b"\x80",
                "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte",
            ),
            (
                b"\xc0\x80",
                "'utf-8' codec can't decode byte 0xc0 in position 0: invalid start byte",
            ),
            (
                b"\xc1\xbf",
                "'utf-8' codec can't decode byte 0xc1 in position 0: invalid start byte",
            ),
            (
                b"\xf5\x80\x80\x80",
                "'utf-8' codec can't decode byte 0xf5 in position 0: invalid start byte",
            ),
            (
                b"x\xc3(",
                "'utf-8' codec can't decode byte 0xc3 in position 1: invalid continuation byte",
            ),
            (
                b"x\xc3",
                "'utf-8' codec can't decode byte 0xc3 in position 1: unexpected end of data",
            ),
            (
                b"\xe2\x82(",
                "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xe2\x82",
                "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data",
            ),
            (
                b"\xe2",
                "'utf-8' codec can't decode byte 0xe2 in position 0: unexpected end of data",
            ),
            (
                b"\xe2(",
                "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte",
            ),
            (
                b"\xe0\x80\x80",
                "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte",
            ),
            (
                b"\xe0\x9f",
                "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte",
            ),
            (
                b"\xed\xa0\x80",
                "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
            ),
            (
                b"\xed\xa0",
                "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
            ),
            (
                b"\xf0\x9f(x",
                "'utf-8' codec can't decode bytes in position 0-1: invalid continuation byte",
            ),
            (
                b"\xf0\x9f\x98(",
                "'utf-8' codec can't decode bytes in position 0-2: invalid continuation byte",
            ),
            (
                b"\xf0\x9f\x98",
                "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data",
            ),
            (
                b"\xf0\x9f",
                "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data",
            ),
            (
                b"\xf0(",
                "'utf-8' codec can't decode byte 0xf0 in position 0: invalid continuation byte",
            ),
            (
                b"\xf0\x80\x80\x80",
                "'utf-8' codec can't decode byte 0xf0 in position 0: invalid continuation byte",
            ),
            (
                b"\xf4\x90\x80\x80",
                "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte",
            ),
            (
                b"\xf4\x90",
                "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte",
            ),
            (b"\xef\xbb\xbfok", "ok"),
            ("é✓😀".as_bytes(), "ok"),
        ];
        for (bytes, want) in cases {
            assert_eq!(msg(bytes), *want, "{bytes:x?}");
        }
    }

    #[test]
    fn surrogateescape_counts_each_bad_byte() {
        assert_eq!(surrogateescape_chars(b"a\xe2\x82b").len(), 4);
        assert_eq!(surrogateescape_chars("é".as_bytes()), vec!['é']);
    }
}
