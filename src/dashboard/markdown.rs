//! Artifacts as HTML: Markdown through pulldown-cmark, anything else as an escaped code block.
//!
//! The page inserts this HTML as is, so nothing in a project file may become markup the author did
//! not write as Markdown: raw HTML blocks and inline HTML are rendered as text, link and image
//! targets with a scheme other than http, https or mailto become `#`, and a YAML frontmatter block
//! (WP files) is shown as a code block above the rendered body.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Renders a file's text: Markdown when `is_markdown`, else a `<pre>` block.
pub fn render(text: &str, is_markdown: bool) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !is_markdown {
        return format!(
            "<pre class=\"source\"><code>{}</code></pre>\n",
            escape(text)
        );
    }
    let (front, body) = split_frontmatter(text);
    let mut html = String::new();
    if let Some(front) = front {
        html.push_str("<pre class=\"frontmatter\"><code>");
        html.push_str(&escape(front));
        html.push_str("</code></pre>\n");
    }
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let events = Parser::new_ext(body, options).map(|event| match event {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The frontmatter (between a first line `---` and the next `---` line) and the rest.
fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find(':');
    let path_start = lower.find(['/', '?', '#']).unwrap_or(lower.len());
    match scheme_end {
        // A colon before any `/`, `?` or `#` starts a scheme.
        Some(i) if i < path_start => {
            let scheme = &lower[..i];
            if matches!(scheme, "http" | "https" | "mailto") {
                url
            } else {
                CowStr::Borrowed("#")
            }
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_stays_text() {
        let html = render(
            "# Title\n\n<script>alert(1)</script>\n\nSome <b>bold</b> and [x](javascript:alert(1)) [ok](plan.md)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
            true,
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("href=\"#\""), "{html}");
        assert!(html.contains("href=\"plan.md\""), "{html}");
        assert!(html.contains("<table>"), "{html}");
    }

    #[test]
    fn frontmatter_is_a_code_block_and_other_files_are_escaped() {
        let html = render("---\ntitle: <x>\n---\n\n# WP01\n", true);
        assert!(
            html.starts_with("<pre class=\"frontmatter\"><code>title: &lt;x&gt;\n</code></pre>")
        );
        assert!(html.contains("<h1>WP01</h1>"));
        assert_eq!(
            render("a: <b>", false),
            "<pre class=\"source\"><code>a: &lt;b&gt;</code></pre>\n"
        );
    }
}
