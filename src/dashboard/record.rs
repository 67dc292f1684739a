//! `.kittify/.dashboard`: the record of this project's running dashboard.
//!
//! The file keeps 3.1.1's line format (the URL, the port, the token, one per line) and adds the
//! server's pid as a fourth line, so a 3.1.1 reader still finds the URL on the first line. It is
//! written atomically with mode 0600 (the token is the only thing that can stop the server) and is
//! git-ignored by the block `init` writes. A record whose pid is dead, or whose port answers for
//! another server, is stale and is removed by the next `spec-kitty dashboard`.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The record's path relative to the project root.
pub const RECORD_FILE: &str = ".kittify/.dashboard";

/// A running dashboard, as recorded.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The port the server listens on (127.0.0.1 only).
    pub port: u16,
    /// The secret that authorises `POST /api/shutdown` (hex, 64 characters).
    pub token: String,
    /// The server's process id; `None` in a record 3.1.1 wrote.
    pub pid: Option<u32>,
}

impl std::fmt::Debug for Record {
    // The token never reaches a log or a panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("url", &self.url)
            .field("port", &self.port)
            .field("token", &"<redacted>")
            .field("pid", &self.pid)
            .finish()
    }
}

/// The record's absolute path for a project root.
pub fn path(root: &Path) -> PathBuf {
    root.join(RECORD_FILE)
}

impl Record {
    /// The file's text: url, port, token, pid, one per line.
    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.url, self.port, self.token);
        if let Some(pid) = self.pid {
            s.push_str(&format!("{pid}\n"));
        }
        s
    }

    /// Parses the file's text; `None` when the URL, port or token is missing or malformed.
    pub fn parse(text: &str) -> Option<Record> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let url = lines.next()?.to_owned();
        let port: u16 = lines.next()?.parse().ok().filter(|p| *p > 0)?;
        let token = lines.next()?.to_owned();
        let pid = lines.next().and_then(|l| l.parse::<u32>().ok());
        Some(Record {
            url,
            port,
            token,
            pid,
        })
    }

    /// Reads the record: `Ok(None)` when there is no file, `Err` when it cannot be read, and
    /// `Ok(Some(Err(())))` when it exists but is not a record.
    pub fn read(root: &Path) -> std::io::Result<Option<Result<Record, ()>>> {
        match std::fs::read_to_string(path(root)) {
            Ok(text) => Ok(Some(Record::parse(&text).ok_or(()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the record atomically with mode 0600 (a temp file in `.kittify/`, then a rename).
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let target = path(root);
        let dir = target.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        // tempfile creates the file 0600 and the rename keeps that mode.
        let mut tmp = tempfile::Builder::new()
            .prefix(".dashboard-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        tmp.write_all(self.to_text().as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Removes the record if it still names `pid` (or, with `None`, whatever it holds). A record that
/// another server has written since is left alone.
pub fn remove(root: &Path, pid: Option<u32>) -> std::io::Result<()> {
    if let Some(pid) = pid {
        match Record::read(root)? {
            Some(Ok(r)) if r.pid == Some(pid) => {}
            Some(Err(())) => {}
            _ => return Ok(()),
        }
    }
    match std::fs::remove_file(path(root)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// A new random token: 32 bytes from the operating system, as 64 hex digits.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn token_matches(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_reads_3_1_1_records() {
        let r = Record {
            url: "http://127.0.0.1:9237".into(),
            port: 9237,
            token: "ab".repeat(32),
            pid: Some(42),
        };
        assert_eq!(Record::parse(&r.to_text()), Some(r.clone()));
        let old = Record::parse("http://127.0.0.1:9237\n9237\nabc\n").expect("3.1.1 record");
        assert_eq!((old.port, old.pid), (9237, None));
        assert_eq!(Record::parse("http://x\nnot-a-port\nabc\n"), None);
        assert_eq!(Record::parse(""), None);
        assert!(!format!("{r:?}").contains(&r.token));
    }

    #[test]
    fn written_record_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let r = Record {
            url: "http://127.0.0.1:1".into(),
            port: 1,
            token: new_token().expect("token"),
            pid: Some(7),
        };
        r.write(dir.path()).expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path()))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        remove(dir.path(), Some(8)).expect("remove other pid");
        assert!(path(dir.path()).exists(), "another server's record stays");
        remove(dir.path(), Some(7)).expect("remove");
        assert!(!path(dir.path()).exists());
    }

    #[test]
    fn tokens_compare_whole() {
        let t = new_token().expect("token");
        assert_eq!(t.len(), 64);
        assert!(token_matches(&t, &t));
        assert!(!token_matches(&t, &t[..63]));
        assert!(!token_matches("", ""));
        assert_ne!(t, new_token().expect("token"));
    }
}
