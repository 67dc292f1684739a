//! Small helpers shared by every stage: atomic file writes, UTC timestamps in the formats 3.1.1
//! wrote, Python-style list rendering for the messages 3.1.1 printed, and JSON encoding as Python's
//! `json.dumps` does it (so payloads stay byte-compatible).

use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// Writes `bytes` to `path` atomically: a temp file in the same directory, flushed, then renamed
/// over the target. A crash leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".spec-kitty-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Keep the permissions of the file we replace (a tempfile is created 0600).
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
        }
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// An exclusive lock on a sidecar lock file, held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: std::fs::File,
}

/// Opens (creating it and its directory if needed) a sidecar lock file, never truncating it.
fn open_lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

/// Takes an exclusive lock on `path` (blocking), creating the file and its directory if needed.
/// Lock a sidecar file, never the file that gets replaced.
pub fn lock_file(path: &Path) -> std::io::Result<FileLock> {
    let file = open_lock_file(path)?;
    file.lock()?;
    Ok(FileLock { _file: file })
}

/// Takes an exclusive lock on `path`, giving up after `timeout`. Returns `Ok(None)` on timeout.
pub fn lock_file_timeout(
    path: &Path,
    timeout: std::time::Duration,
) -> std::io::Result<Option<FileLock>> {
    let file = open_lock_file(path)?;
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = std::time::Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(FileLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(25));
    }
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month 1..=12.
    pub month: u32,
    /// Day 1..=31.
    pub day: u32,
    /// Hour 0..=23.
    pub hour: u32,
    /// Minute 0..=59.
    pub minute: u32,
    /// Second 0..=59.
    pub second: u32,
    /// Microseconds 0..1_000_000.
    pub micros: u32,
}

impl UtcTime {
    /// The current time.
    pub fn now() -> Self {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self::from_unix(d.as_secs() as i64, d.subsec_micros())
    }

    /// Converts seconds since the epoch (plus microseconds) to a civil UTC time.
    pub fn from_unix(secs: i64, micros: u32) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        UtcTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: ((rem % 3600) / 60) as u32,
            second: (rem % 60) as u32,
            micros,
        }
    }

    /// Python's `datetime.now(timezone.utc).isoformat()`: `2026-11-24T23:57:19.997228+00:00`, and
    /// like Python without the fraction when the microseconds are 0 (`2026-11-24T23:57:19+00:00`).
    pub fn isoformat(&self) -> String {
        let fraction = if self.micros == 0 {
            String::new()
        } else {
            format!(".{:06}", self.micros)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}+00:00",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// The same instant plus one microsecond.
    pub fn plus_micro(&self) -> Self {
        if self.micros + 1 < 1_000_000 {
            UtcTime {
                micros: self.micros + 1,
                ..*self
            }
        } else {
            UtcTime::from_unix(self.unix_seconds() + 1, 0)
        }
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        // Howard Hinnant's days-from-civil algorithm.
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Parses an ISO 8601 timestamp as Python's `datetime.isoformat()` writes it:
    /// `2026-11-25T00:01:27.767577+00:00`, `...Z`, or naive (taken as UTC). Returns seconds since
    /// the epoch, in UTC.
    pub fn parse_iso(s: &str) -> Option<i64> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !(b[10] == b'T' || b[10] == b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let num = |r: std::ops::Range<usize>| {
            s.get(r)
                .filter(|t| t.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|t| t.parse::<i64>().ok())
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || !(1..=31).contains(&day)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            "" | "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let hm = &rest[1..];
                if !hm.is_ascii() {
                    return None;
                }
                let (h, m) = match hm.len() {
                    5 if hm.as_bytes()[2] == b':' => {
                        (hm[..2].parse::<i64>().ok()?, hm[3..].parse::<i64>().ok()?)
                    }
                    4 => (hm[..2].parse::<i64>().ok()?, hm[2..].parse::<i64>().ok()?),
                    _ => return None,
                };
                sign * (h * 3600 + m * 60)
            }
        };
        let t = UtcTime {
            year,
            month: month as u32,
            day: day as u32,
            hour: hour as u32,
            minute: minute as u32,
            second: second as u32,
            micros: 0,
        };
        Some(t.unix_seconds() - offset)
    }

    /// Seconds precision with a `Z`: `2026-11-24T23:57:19Z`.
    pub fn iso_z(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A list of strings as a JSON array.
pub fn json_strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// Named lists of strings as a JSON object, in the order given (a dependency map, requirement
/// refs by WP).
pub fn json_lists<'a>(lists: impl IntoIterator<Item = (&'a String, &'a Vec<String>)>) -> Value {
    Value::Object(
        lists
            .into_iter()
            .map(|(k, v)| (k.clone(), json_strings(v)))
            .collect(),
    )
}

/// Renders a list of strings as Python's `repr` does: `['WP01', 'WP02']`.
pub fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_str(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// Renders a string as Python's `repr` does (single quotes unless the text holds one and no `"`).
pub fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Encodes JSON as Python's `json.dumps(value)` does: `, ` and `: ` separators, non-ASCII escaped
/// as `\uXXXX`, keys in insertion order.
pub fn py_json(value: &Value) -> String {
    let mut out = String::new();
    write_py_json(&mut out, value, None, 0, true);
    out
}

/// Encodes JSON as Python's `json.dumps(value, indent=n)` does (`,` at line ends, `: ` after keys,
/// non-ASCII escaped).
pub fn py_json_indent(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_py_json(&mut out, value, Some(indent), 0, true);
    out
}

/// Python's `json.dumps(value, indent=n, ensure_ascii=False)`: as [`py_json_indent`], but
/// non-ASCII characters are written as they are (only `"`, `\\` and control characters are escaped).
pub fn py_json_indent_unicode(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_py_json(&mut out, value, Some(indent), 0, false);
    out
}

fn write_py_json(
    out: &mut String,
    value: &Value,
    indent: Option<usize>,
    depth: usize,
    ascii: bool,
) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * depth));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_py_str(out, s, ascii),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                write_py_json(out, item, indent, depth + 1, ascii);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, depth + 1);
                write_py_str(out, k, ascii);
                out.push_str(": ");
                write_py_json(out, v, indent, depth + 1, ascii);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn write_py_str(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    // Runs of characters written as they are go in one copy. A byte that needs escaping is ASCII
    // or (with `ascii`) the first byte of a non-ASCII character, so it starts a character.
    let escaped = |b: u8| b < 0x20 || b == b'"' || b == b'\\' || (ascii && b > 0x7e);
    let mut rest = s;
    while let Some(at) = rest.bytes().position(escaped) {
        out.push_str(&rest[..at]);
        let Some(c) = rest[at..].chars().next() else {
            break;
        };
        push_escaped(out, c);
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
    out.push('"');
}

/// One character as `json.dumps` escapes it: a short escape where JSON has one, else `\uXXXX`
/// (UTF-16 units).
fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{08}' => out.push_str("\\b"),
        '\u{0c}' => out.push_str("\\f"),
        c => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn civil_dates() {
        assert_eq!(
            UtcTime::from_unix(0, 0).isoformat(),
            "1970-01-01T00:00:00+00:00"
        );
        assert_eq!(
            UtcTime::from_unix(0, 1).isoformat(),
            "1970-01-01T00:00:00.000001+00:00"
        );
        assert_eq!(
            UtcTime::from_unix(59, 999_999).plus_micro().isoformat(),
            "1970-01-01T00:01:00+00:00"
        );
        // 2026-11-24T23:57:19Z
        let t = UtcTime::from_unix(1_795_564_639, 997_228);
        assert_eq!(t.isoformat(), "2026-11-24T23:57:19.997228+00:00");
        assert_eq!(
            UtcTime::from_unix(951_782_400, 0).iso_z(),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn iso_round_trip() {
        let t = UtcTime::from_unix(1_795_564_639, 997_228);
        assert_eq!(UtcTime::parse_iso(&t.isoformat()), Some(1_795_564_639));
        assert_eq!(
            UtcTime::parse_iso("2026-11-24T23:57:19Z"),
            Some(1_795_564_639)
        );
        assert_eq!(
            UtcTime::parse_iso("2026-11-24T23:57:19"),
            Some(1_795_564_639)
        );
        assert_eq!(
            UtcTime::parse_iso("2026-11-25T00:57:19+01:00"),
            Some(1_795_564_639)
        );
        assert_eq!(UtcTime::parse_iso("1970-01-01T00:00:00+00:00"), Some(0));
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00",
            "2026-11-24T23:57:19+0x:00",
            "2026-11-24T23:57:19.",
        ] {
            assert_eq!(UtcTime::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_list(&["WP01", "WP02"]), "['WP01', 'WP02']");
        assert_eq!(py_list::<&str>(&[]), "[]");
        assert_eq!(py_str("it's"), "\"it's\"");
    }

    #[test]
    fn python_json() {
        let v = json!({"a": [1, "é"], "b": {}, "c": []});
        assert_eq!(py_json(&v), r#"{"a": [1, "\u00e9"], "b": {}, "c": []}"#);
        assert_eq!(
            py_json_indent(&json!({"a": [1]}), 2),
            "{\n  \"a\": [\n    1\n  ]\n}"
        );
        assert_eq!(py_json(&json!("😀")), r#""\ud83d\ude00""#);
    }

    /// The string writer, one character at a time: Python's `json.dumps` escapes control
    /// characters, quotes and backslashes, and with `ensure_ascii` everything past `~`.
    fn py_str_by_char(s: &str, ascii: bool) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            if (c as u32) < 0x20 || c == '"' || c == '\\' || (ascii && (c as u32) > 0x7e) {
                push_escaped(&mut out, c);
            } else {
                out.push(c);
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn strings_are_escaped_character_by_character(s in "(\\PC|[\"\\\\\u{0}-\u{1f}\u{7f}é😀])*", ascii: bool) {
            let mut out = String::new();
            write_py_str(&mut out, &s, ascii);
            proptest::prop_assert_eq!(out, py_str_by_char(&s, ascii));
        }
    }
}
