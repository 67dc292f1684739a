//! The layout of a frontmatter block: its top-level keys and the lines each occupies, found
//! without parsing the YAML (so edits can rewrite one key and leave every other byte as it was),
//! and the WP id shape.

use std::ops::Range;

/// One top-level key of the frontmatter and the lines it occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    /// The key as written (unquoted).
    pub key: String,
    /// Absolute byte range: from the key line's start to the end of its last continuation line
    /// (line break included).
    pub range: Range<usize>,
    /// The key itself on its line.
    pub key_span: Range<usize>,
}

/// True for `WP` followed by two or more ASCII digits.
pub fn is_wp_id(s: &str) -> bool {
    s.strip_prefix("WP")
        .is_some_and(|d| d.len() >= 2 && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The end of the line that starts at or contains `from` (before its `\r\n` or `\n`).
pub fn line_end(text: &str, from: usize) -> usize {
    let end = text[from..].find('\n').map_or(text.len(), |i| from + i);
    if end > from && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// The start of the line after the one containing `from`.
pub fn next_line(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}

/// Finds the top-level keys of a block mapping and the lines each occupies. A key's block is its
/// line plus the following indented lines and column-0 `- ` items (with any blank lines and
/// column-0 comments among them); blank lines and column-0 comments between keys belong to no key
/// and are never touched.
pub fn locate_keys(text: &str, yaml: Range<usize>) -> Vec<KeyBlock> {
    let mut blocks: Vec<KeyBlock> = Vec::new();
    let mut pos = yaml.start;
    // End of the last line that belongs to the current block.
    let mut current: Option<usize> = None;
    while pos < yaml.end {
        let end = next_line(text, pos).min(yaml.end);
        let line = &text[pos..end];
        let first = line.chars().next().unwrap_or('\n');
        let is_blank = line.trim().is_empty();
        let continuation = !is_blank
            && (first == ' ' || first == '\t' || line.starts_with("- ") || line.trim_end() == "-");
        if continuation {
            if let Some(i) = current {
                blocks[i].range.end = end;
            }
        } else if !is_blank && first != '#' {
            if let Some((key, key_span)) = key_of(line) {
                blocks.push(KeyBlock {
                    key,
                    range: pos..end,
                    key_span: pos + key_span.start..pos + key_span.end,
                });
                current = Some(blocks.len() - 1);
            } else {
                current = None;
            }
        }
        // A column-0 comment (or a blank line) keeps the current block open: when list items
        // follow it, they and the comment belong to the key above (`owned_files:` / `- a` /
        // `# note` / `- b`). Between two keys it belongs to neither and is never touched.
        pos = end;
    }
    blocks
}

fn key_of(line: &str) -> Option<(String, Range<usize>)> {
    let trimmed = line.trim_end_matches(['\n', '\r']);
    if let Some(rest) = trimmed
        .strip_prefix('"')
        .or_else(|| trimmed.strip_prefix('\''))
    {
        let quote = trimmed.as_bytes()[0] as char;
        let close = rest.find(quote)?;
        let after = &rest[close + 1..];
        return after
            .trim_start()
            .starts_with(':')
            .then(|| (rest[..close].to_owned(), 0..close + 2));
    }
    let mut idx = None;
    for (i, c) in trimmed.char_indices() {
        if c == ':' {
            let next = trimmed[i + 1..].chars().next();
            if next.is_none_or(|n| n == ' ' || n == '\t') {
                idx = Some(i);
                break;
            }
        }
    }
    let i = idx?;
    let key = trimmed[..i].trim_end();
    (!key.is_empty()).then(|| (key.to_owned(), 0..key.len()))
}
