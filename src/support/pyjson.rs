//! What Python 3.11's `json.loads` accepts, and the exact message it rejects a document with.
//!
//! spec-kitty 3.1.1 read some files strictly and printed the decoder's message verbatim
//! (`Invalid JSON on line 2: Expecting value: line 1 column 1 (char 0)`), so reproducing its
//! `--json` error payloads needs the same judgement and the same text. [`check`] follows CPython's
//! `_json.c` scanner step by step (positions are character indices, as in Python); it builds no
//! value, callers parse accepted documents with `serde_json`. Python also accepts `NaN`,
//! `Infinity` and `-Infinity`, which `serde_json` does not; callers decide what to do with those.
//!
//! Also here: Python's `str()`/`repr()` of JSON values and `str.strip()`, for texts 3.1.1 built
//! from them.

use serde_json::Value;

/// A document Python's decoder rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A `json.JSONDecodeError`: its message and the character index it points at.
    Decode {
        /// The message without position, e.g. `Expecting ',' delimiter`.
        msg: &'static str,
        /// Character index into the document.
        pos: usize,
    },
    /// A `RecursionError` (nesting deeper than Python's recursion limit); not a decode error, so
    /// 3.1.1 printed it bare.
    TooDeep(&'static str),
}

impl Rejection {
    /// `str(JSONDecodeError)`: `msg: line L column C (char P)`, or the recursion message.
    pub fn python_text(&self, doc: &str) -> String {
        match self {
            Rejection::Decode { msg, pos } => {
                let (line, col) = line_col(doc, *pos);
                format!("{msg}: line {line} column {col} (char {pos})")
            }
            Rejection::TooDeep(m) => (*m).to_owned(),
        }
    }
}

/// The Python type of an accepted document's top-level value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `dict`
    Dict,
    /// `list`
    List,
    /// `str`
    Str,
    /// `int`
    Int,
    /// `float` (including `NaN` and the infinities)
    Float,
    /// `bool`
    Bool,
    /// `NoneType`
    None,
}

impl Kind {
    /// Python's name for the type, as in `'list' object has no attribute 'get'`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Dict => "dict",
            Kind::List => "list",
            Kind::Str => "str",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::None => "NoneType",
        }
    }
}

/// Python's line and column of a character index (`JSONDecodeError.lineno` / `.colno`).
fn line_col(doc: &str, pos: usize) -> (usize, usize) {
    let mut line = 1;
    let mut last_newline: Option<usize> = None;
    for (i, c) in doc.chars().take(pos).enumerate() {
        if c == '\n' {
            line += 1;
            last_newline = Some(i);
        }
    }
    (line, last_newline.map_or(pos + 1, |n| pos - n))
}

/// Deeper nesting than this is a `RecursionError` (Python's limit is 1000 frames, a few of which
/// the caller uses).
const MAX_DEPTH: usize = 990;

enum Stop {
    /// `StopIteration(idx)`: no value starts here; becomes "Expecting value".
    NoValue(usize),
    Reject(Rejection),
}

fn err(msg: &'static str, pos: usize) -> Stop {
    Stop::Reject(Rejection::Decode { msg, pos })
}

/// Decides `json.loads(doc)` as Python 3.11 does. On success, the top-level value's type.
pub fn check(doc: &str) -> Result<Kind, Rejection> {
    let s: Vec<char> = doc.chars().collect();
    if s.first() == Some(&'\u{feff}') {
        return Err(Rejection::Decode {
            msg: "Unexpected UTF-8 BOM (decode using utf-8-sig)",
            pos: 0,
        });
    }
    let start = skip_ws(&s, 0);
    let (kind, end) = match scan_once(&s, start, 0) {
        Ok(v) => v,
        Err(Stop::NoValue(pos)) => {
            return Err(Rejection::Decode {
                msg: "Expecting value",
                pos,
            });
        }
        Err(Stop::Reject(r)) => return Err(r),
    };
    let end = skip_ws(&s, end);
    if end != s.len() {
        return Err(Rejection::Decode {
            msg: "Extra data",
            pos: end,
        });
    }
    Ok(kind)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn skip_ws(s: &[char], mut idx: usize) -> usize {
    while idx < s.len() && is_ws(s[idx]) {
        idx += 1;
    }
    idx
}

fn starts_with(s: &[char], idx: usize, word: &str) -> bool {
    (idx..).zip(word.chars()).all(|(i, c)| s.get(i) == Some(&c))
}

/// `scan_once_unicode`: one value starting at `idx`; returns its kind and the index after it.
fn scan_once(s: &[char], idx: usize, depth: usize) -> Result<(Kind, usize), Stop> {
    let Some(&c) = s.get(idx) else {
        return Err(Stop::NoValue(idx));
    };
    match c {
        '"' => return scan_string(s, idx + 1).map(|end| (Kind::Str, end)),
        '{' => {
            if depth >= MAX_DEPTH {
                return Err(Stop::Reject(Rejection::TooDeep(
                    "maximum recursion depth exceeded while decoding a JSON object from a unicode string",
                )));
            }
            return parse_object(s, idx + 1, depth + 1).map(|end| (Kind::Dict, end));
        }
        '[' => {
            if depth >= MAX_DEPTH {
                return Err(Stop::Reject(Rejection::TooDeep(
                    "maximum recursion depth exceeded while decoding a JSON array from a unicode string",
                )));
            }
            return parse_array(s, idx + 1, depth + 1).map(|end| (Kind::List, end));
        }
        'n' if starts_with(s, idx, "null") => return Ok((Kind::None, idx + 4)),
        't' if starts_with(s, idx, "true") => return Ok((Kind::Bool, idx + 4)),
        'f' if starts_with(s, idx, "false") => return Ok((Kind::Bool, idx + 5)),
        'N' if starts_with(s, idx, "NaN") => return Ok((Kind::Float, idx + 3)),
        'I' if starts_with(s, idx, "Infinity") => return Ok((Kind::Float, idx + 8)),
        '-' if starts_with(s, idx, "-Infinity") => return Ok((Kind::Float, idx + 9)),
        _ => {}
    }
    match_number(s, idx)
}

/// `_match_number_unicode`.
fn match_number(s: &[char], start: usize) -> Result<(Kind, usize), Stop> {
    let digit = |i: usize| s.get(i).is_some_and(char::is_ascii_digit);
    let mut idx = start;
    if s.get(idx) == Some(&'-') {
        idx += 1;
        if idx >= s.len() {
            return Err(Stop::NoValue(start));
        }
    }
    match s.get(idx) {
        Some('1'..='9') => {
            idx += 1;
            while digit(idx) {
                idx += 1;
            }
        }
        Some('0') => idx += 1,
        _ => return Err(Stop::NoValue(start)),
    }
    let mut kind = Kind::Int;
    if s.get(idx) == Some(&'.') && digit(idx + 1) {
        kind = Kind::Float;
        idx += 2;
        while digit(idx) {
            idx += 1;
        }
    }
    // An exponent needs a character after the `e` to be considered at all (`idx < end_idx`).
    if idx + 1 < s.len() && matches!(s[idx], 'e' | 'E') {
        let e_start = idx;
        idx += 1;
        if idx + 1 < s.len() && matches!(s[idx], '-' | '+') {
            idx += 1;
        }
        while digit(idx) {
            idx += 1;
        }
        if digit(idx - 1) {
            kind = Kind::Float;
        } else {
            idx = e_start;
        }
    }
    Ok((kind, idx))
}

/// `scanstring_unicode` (strict): `end` is the index after the opening quote; returns the index
/// after the closing one.
fn scan_string(s: &[char], end: usize) -> Result<usize, Stop> {
    let begin = end - 1;
    let len = s.len();
    let hex = |i: usize| s.get(i).and_then(|c| c.to_digit(16));
    let mut end = end;
    loop {
        let mut next = end;
        let mut c = '\0';
        while next < len {
            c = s[next];
            if c == '"' || c == '\\' {
                break;
            }
            if (c as u32) <= 0x1f {
                return Err(err("Invalid control character at", next));
            }
            next += 1;
        }
        if next >= len || !(c == '"' || c == '\\') {
            return Err(err("Unterminated string starting at", begin));
        }
        next += 1;
        if c == '"' {
            return Ok(next);
        }
        if next == len {
            return Err(err("Unterminated string starting at", begin));
        }
        if s[next] != 'u' {
            end = next + 1;
            if !matches!(s[next], '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') {
                return Err(err("Invalid \\escape", end - 2));
            }
            continue;
        }
        next += 1;
        end = next + 4;
        if end >= len {
            return Err(err("Invalid \\uXXXX escape", next - 1));
        }
        let mut code = 0u32;
        for i in next..end {
            match hex(i) {
                Some(d) => code = code << 4 | d,
                None => return Err(err("Invalid \\uXXXX escape", end - 5)),
            }
        }
        next = end;
        // A high surrogate followed by `\u` takes the next four hex digits as its pair.
        if (0xd800..=0xdbff).contains(&code)
            && end + 6 < len
            && s[next] == '\\'
            && s[next + 1] == 'u'
        {
            next += 2;
            end += 6;
            let mut low = 0u32;
            for i in next..end {
                match hex(i) {
                    Some(d) => low = low << 4 | d,
                    None => return Err(err("Invalid \\uXXXX escape", end - 5)),
                }
            }
            if !(0xdc00..=0xdfff).contains(&low) {
                end -= 6;
            }
        }
    }
}

/// `_parse_object_unicode`: `idx` is the index after `{`.
fn parse_object(s: &[char], idx: usize, depth: usize) -> Result<usize, Stop> {
    let mut idx = skip_ws(s, idx);
    if s.get(idx) == Some(&'}') {
        return Ok(idx + 1);
    }
    loop {
        if s.get(idx) != Some(&'"') {
            return Err(err(
                "Expecting property name enclosed in double quotes",
                idx,
            ));
        }
        idx = skip_ws(s, scan_string(s, idx + 1)?);
        if s.get(idx) != Some(&':') {
            return Err(err("Expecting ':' delimiter", idx));
        }
        idx = skip_ws(s, idx + 1);
        let (_, next) = scan_once(s, idx, depth)?;
        idx = skip_ws(s, next);
        match s.get(idx) {
            Some('}') => return Ok(idx + 1),
            Some(',') => idx = skip_ws(s, idx + 1),
            _ => return Err(err("Expecting ',' delimiter", idx)),
        }
    }
}

/// `_parse_array_unicode`: `idx` is the index after `[`.
fn parse_array(s: &[char], idx: usize, depth: usize) -> Result<usize, Stop> {
    let mut idx = skip_ws(s, idx);
    if s.get(idx) == Some(&']') {
        return Ok(idx + 1);
    }
    loop {
        let (_, next) = scan_once(s, idx, depth)?;
        idx = skip_ws(s, next);
        match s.get(idx) {
            Some(']') => return Ok(idx + 1),
            Some(',') => idx = skip_ws(s, idx + 1),
            _ => return Err(err("Expecting ',' delimiter", idx)),
        }
    }
}

/// Parses a document [`check`] accepted into a `serde_json` value, with Python's `NaN`,
/// `Infinity` and `-Infinity` read as `null` (JSON has no such numbers). `None` for what
/// `serde_json` still refuses (a lone surrogate escape).
pub fn to_value(doc: &str) -> Option<Value> {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if c == '\\' {
                let escaped: String = rest.chars().take(2).collect();
                out.push_str(&escaped);
                rest = &rest[escaped.len()..];
                continue;
            }
            in_string = c != '"';
        } else if c == '"' {
            in_string = true;
        } else if let Some(word) = ["-Infinity", "Infinity", "NaN"]
            .into_iter()
            .find(|w| rest.starts_with(w))
        {
            out.push_str("null");
            rest = &rest[word.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&out).ok()
}

/// Python's `str.isspace()` for one character (`str.strip()` removes these).
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Python's truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// Python's type name of a JSON value (`'int' object is not subscriptable`).
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's `str()` of a JSON value: strings as they are, everything else as `repr()`.
pub fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

/// Python's `repr()` of a JSON value (`None`, `True`, `'text'`, `1.0`, `['a']`, `{'k': 1}`).
pub fn repr(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => match (n.is_f64(), n.as_f64()) {
            (true, Some(f)) => float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) => crate::support::util::py_str(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", crate::support::util::py_str(k), repr(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, positional for exponents -4..16,
/// else `d.ddde+XX`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let body = if exp < 0 {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let point = (exp + 1) as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        format!("{sign}{body}")
    } else {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `str(exc)` for a rejected document, or `ok:<type>`.
    fn loads(doc: &str) -> String {
        match check(doc) {
            Ok(k) => format!("ok:{}", k.name()),
            Err(r) => r.python_text(doc),
        }
    }

    // Expected texts are Python 3.11's `json.loads` messages.
    #[test]
    fn accepts_what_python_accepts() {
        for (doc, kind) in [
            (
                r#"{"a": [1, 2.5, -0, 1e5, 1E-2, true, false, null]}"#,
                "dict",
            ),
            ("[]", "list"),
            (r#""\ud83d\ude00 \u00e9 é""#, "str"),
            ("-12", "int"),
            ("1.5", "float"),
            ("NaN", "float"),
            ("-Infinity", "float"),
            (" \t null \r", "NoneType"),
            (r#"{"a": 1, "a": 2}"#, "dict"),
        ] {
            assert_eq!(loads(doc), format!("ok:{kind}"), "{doc}");
        }
    }

    #[test]
    fn rejection_messages_match_python() {
        for (doc, text) in [
            ("", "Expecting value: line 1 column 1 (char 0)"),
            ("not json", "Expecting value: line 1 column 1 (char 0)"),
            (
                r#"{"actor": "x""#,
                "Expecting ',' delimiter: line 1 column 14 (char 13)",
            ),
            (
                r#"{"a": 1,}"#,
                "Expecting property name enclosed in double quotes: line 1 column 9 (char 8)",
            ),
            ("[1,]", "Expecting value: line 1 column 4 (char 3)"),
            (
                r#"{"at": "é"#,
                "Unterminated string starting at: line 1 column 8 (char 7)",
            ),
            (
                r#"{"a" 1}"#,
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            ("{} x", "Extra data: line 1 column 4 (char 3)"),
            ("01", "Extra data: line 1 column 2 (char 1)"),
            ("1.", "Extra data: line 1 column 2 (char 1)"),
            ("-", "Expecting value: line 1 column 1 (char 0)"),
            (r#""a\qb""#, "Invalid \\escape: line 1 column 3 (char 2)"),
            (
                r#""\u12""#,
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
            (
                "\"a\tb\"",
                "Invalid control character at: line 1 column 3 (char 2)",
            ),
            (
                "\u{feff}{}",
                "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
            ),
            (
                "[\n1\n2]",
                "Expecting ',' delimiter: line 3 column 1 (char 4)",
            ),
            ("1e", "Extra data: line 1 column 2 (char 1)"),
            ("1e+", "Extra data: line 1 column 2 (char 1)"),
            ("1E5x", "Extra data: line 1 column 4 (char 3)"),
            (
                r#""\ud83d\u00""#,
                "Invalid \\uXXXX escape: line 1 column 9 (char 8)",
            ),
            (
                "\"abc\\",
                "Unterminated string starting at: line 1 column 1 (char 0)",
            ),
            (
                r#""\u00e9"#,
                "Invalid \\uXXXX escape: line 1 column 3 (char 2)",
            ),
        ] {
            assert_eq!(loads(doc), text, "{doc:?}");
        }
    }

    #[test]
    fn python_constants_read_as_null() {
        assert_eq!(
            to_value(r#"{"a": NaN, "b": [-Infinity, Infinity], "NaN": "NaN \" NaN"}"#),
            Some(serde_json::json!({"a": null, "b": [null, null], "NaN": "NaN \" NaN"}))
        );
    }

    #[test]
    fn deep_nesting_is_a_recursion_error_not_a_crash() {
        let doc = "[".repeat(5000);
        assert!(loads(&doc).starts_with("maximum recursion depth exceeded"));
    }

    #[test]
    fn python_str_and_repr() {
        assert_eq!(str_of(&serde_json::json!(7)), "7");
        assert_eq!(str_of(&serde_json::json!(3.0)), "3.0");
        assert_eq!(str_of(&serde_json::json!(true)), "True");
        assert_eq!(str_of(&serde_json::json!(["a"])), "['a']");
        assert_eq!(str_of(&serde_json::json!({"k": null})), "{'k': None}");
        assert_eq!(repr(&serde_json::json!("it's")), "\"it's\"");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(123.25), "123.25");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(-2.5e100), "-2.5e+100");
        assert_eq!(strip("\u{1f} x \u{a0}"), "x");
    }
}
