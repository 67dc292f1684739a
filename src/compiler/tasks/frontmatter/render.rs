//! New values in spec-kitty 3.1.1's style: block lists at column 0, `[]` when empty, plain
//! scalars unless a YAML 1.1 or 1.2 reader would read them as something other than a string.

use yaml_serde::Value;

use super::FmValue;

/// Renders `key: value` in 3.1.1's style, ending with `newline`.
pub fn render(key: &str, value: &FmValue, newline: &str) -> String {
    match value {
        FmValue::Str(s) => format!("{key}: {}{newline}", scalar(s)),
        FmValue::List(items) if items.is_empty() => format!("{key}: []{newline}"),
        FmValue::List(items) => {
            let mut out = format!("{key}:{newline}");
            for item in items {
                out.push_str(&format!("- {}{newline}", scalar(item)));
            }
            out
        }
    }
}

/// A value on one line: scalars as [`scalar`] writes them (text that any reader, 3.1.1's included,
/// reads back as the same text), collections in flow style. `None` for a tagged value.
pub(super) fn flow(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // Inside a flow collection a plain scalar cannot hold its indicators.
        Value::String(s) if s.contains([',', '[', ']', '{', '}']) => {
            format!("'{}'", s.replace('\'', "''"))
        }
        Value::String(s) => scalar(s),
        Value::Sequence(items) => format!(
            "[{}]",
            items
                .iter()
                .map(flow)
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| Some(format!("{}: {}", flow(k)?, flow(v)?)))
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        ),
        Value::Tagged(_) => return None,
    })
}

/// A YAML scalar: plain when that reads back as the same string, else single-quoted (double-quoted
/// when an escape is needed).
pub fn scalar(s: &str) -> String {
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return serde_json::Value::String(s.to_owned()).to_string();
    }
    if plain_ok(s) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

pub(super) fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s != s.trim() || s.contains('\t') {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    let second = s.chars().nth(1);
    if ",[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if "-?:".contains(first) && second.is_none_or(|c| c == ' ') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    // Also what 3.1.1's reader (ruamel) types that other readers keep as text (`017`, `=`).
    !resolves_to_non_string(s) && !crate::compiler::tasks::schema::ruamel_non_string(s)
}

/// Whether a plain scalar would be read back as null, a boolean, a number or a timestamp.
pub(super) fn resolves_to_non_string(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null" | "true" | "false" | ".inf" | "-.inf" | "+.inf" | ".nan"
    ) {
        return true;
    }
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits_ok = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    if digits_ok(body) {
        return true;
    }
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0o"))
        && !hex.is_empty()
        && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
    {
        return true;
    }
    // Floats: digits with one dot and/or an exponent.
    let mut parts = body.splitn(2, ['e', 'E']);
    let mantissa = parts.next().unwrap_or("");
    let exponent_ok = parts
        .next()
        .is_none_or(|e| digits_ok(e.strip_prefix(['+', '-']).unwrap_or(e)));
    if exponent_ok && mantissa.contains('.') && mantissa.matches('.').count() == 1 {
        let m = mantissa.replace('.', "");
        if digits_ok(&m) {
            return true;
        }
    }
    // Timestamps: a date `YYYY-MM-DD` at the start.
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}
