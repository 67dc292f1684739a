//! tasks.md and the WP prompt files: the grammar-driven parser ([`parse`]), its syntax tree
//! ([`ast`]), and WP frontmatter location, reading and surgical editing ([`frontmatter`]).

pub mod ast;
pub mod frontmatter;
pub mod keys;
pub mod parse;
pub mod phrasing;
pub mod schema;
