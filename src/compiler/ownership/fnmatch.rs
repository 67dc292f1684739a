//! Python's `fnmatch.fnmatch` as 3.1.1 used it for owned_files globs: `*`, `?`, `[...]`, `[!...]`.

/// Python's `fnmatch.fnmatchcase`: `*` matches anything (including `/`), `?` one character,
/// `[...]`/`[!...]` a class; the whole name must match.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    fnmatch_chars(&name, pattern)
}

/// [`fnmatch`] on a name given as characters.
pub(super) fn fnmatch_chars(name: &[char], pattern: &str) -> bool {
    matches(&compile(pattern), name)
}

#[derive(Debug, Clone)]
pub(super) enum Tok {
    Star,
    One,
    Lit(char),
    Class {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

pub(super) fn compile(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if !matches!(out.last(), Some(Tok::Star)) {
                    out.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                out.push(Tok::One);
                i += 1;
            }
            '[' => {
                // Find the closing bracket; a `]` right after `[` or `[!` is literal.
                let mut j = i + 1;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push(Tok::Lit('['));
                    i += 1;
                    continue;
                }
                let mut k = i + 1;
                let negated = chars[k] == '!';
                if negated {
                    k += 1;
                }
                let mut items = Vec::new();
                while k < j {
                    if k + 2 < j && chars[k + 1] == '-' {
                        items.push((chars[k], chars[k + 2]));
                        k += 3;
                    } else {
                        items.push((chars[k], chars[k]));
                        k += 1;
                    }
                }
                out.push(Tok::Class { negated, items });
                i = j + 1;
            }
            c => {
                out.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    out
}

pub(super) fn matches(tokens: &[Tok], name: &[char]) -> bool {
    let one = |t: &Tok, c: char| match t {
        Tok::One => true,
        Tok::Lit(l) => *l == c,
        Tok::Class { negated, items } => {
            items.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
        Tok::Star => false,
    };
    let (mut t, mut n) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while n < name.len() {
        if t < tokens.len() {
            if matches!(tokens[t], Tok::Star) {
                backtrack = Some((t, n));
                t += 1;
                continue;
            }
            if one(&tokens[t], name[n]) {
                t += 1;
                n += 1;
                continue;
            }
        }
        match backtrack {
            Some((bt, bn)) => {
                t = bt + 1;
                n = bn + 1;
                backtrack = Some((bt, bn + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|t| matches!(t, Tok::Star))
}
