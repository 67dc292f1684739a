//! Release versions: parsing, ordering and the next-version proposal of `agent release prep`.
//!
//! Two spellings are accepted, case-insensitively:
//! - spec-kitty 3.1.1's (PEP 440 style): `3.1.1`, `3.2.0a1`, `3.2.0b2`, `3.2.0rc1`, `3.2.0alpha`,
//!   `3.2.0beta3` (the validator's `^\d+\.\d+\.\d+((a|b|rc|alpha|beta)\d*)?$`);
//! - SemVer's, which is the only one `Cargo.toml` accepts: `3.2.0-alpha.1`, `3.2.0-beta.2`,
//!   `3.2.0-rc.1`, `3.2.0-alpha`.
//!
//! Order is 3.1.1's: major, minor, patch, then stage (alpha < beta < rc < final), then the stage
//! number (a missing number counts as 0). Both spellings of one version compare equal, so tags
//! from the Python era (`v3.1.0a7`) and the Rust era (`v3.2.0-alpha.1`) sort together.
//! Proposals are written in SemVer spelling, because they go into `Cargo.toml`.

use std::cmp::Ordering;
use std::fmt;

/// A pre-release stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// `a`, `alpha`.
    Alpha,
    /// `b`, `beta`.
    Beta,
    /// `rc`.
    Rc,
}

impl Stage {
    /// The SemVer word for the stage.
    pub fn word(self) -> &'static str {
        match self {
            Stage::Alpha => "alpha",
            Stage::Beta => "beta",
            Stage::Rc => "rc",
        }
    }
}

/// A parsed release version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Pre-release stage and number (`None` for a final release).
    pub pre: Option<(Stage, Option<u64>)>,
}

impl Version {
    /// Parses either spelling (see the module docs). `None` when the text is not a release version.
    pub fn parse(text: &str) -> Option<Version> {
        let lower = text.to_ascii_lowercase();
        let (core, rest) = split_core(&lower)?;
        let mut nums = core.split('.');
        let major = number(nums.next()?)?;
        let minor = number(nums.next()?)?;
        let patch = number(nums.next()?)?;
        if nums.next().is_some() {
            return None;
        }
        let pre = if rest.is_empty() {
            None
        } else if let Some(semver) = rest.strip_prefix('-') {
            // SemVer: `-alpha`, `-alpha.1`, `-rc.2`.
            let (word, num) = match semver.split_once('.') {
                Some((w, n)) => (w, Some(number(n)?)),
                None => (semver, None),
            };
            let stage = match word {
                "alpha" => Stage::Alpha,
                "beta" => Stage::Beta,
                "rc" => Stage::Rc,
                _ => return None,
            };
            Some((stage, num))
        } else {
            // 3.1.1: `a|b|rc|alpha|beta` then optional digits.
            let split = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let (word, digits) = rest.split_at(split);
            let stage = match word {
                "a" | "alpha" => Stage::Alpha,
                "b" | "beta" => Stage::Beta,
                "rc" => Stage::Rc,
                _ => return None,
            };
            let num = if digits.is_empty() {
                None
            } else {
                Some(number(digits)?)
            };
            Some((stage, num))
        };
        Some(Version {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// True for alpha, beta and rc versions.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    /// The sort key: (major, minor, patch, stage rank, stage number).
    fn key(&self) -> (u64, u64, u64, u8, u64) {
        let (rank, num) = match self.pre {
            Some((Stage::Alpha, n)) => (0, n.unwrap_or(0)),
            Some((Stage::Beta, n)) => (1, n.unwrap_or(0)),
            Some((Stage::Rc, n)) => (2, n.unwrap_or(0)),
            None => (3, 0),
        };
        (self.major, self.minor, self.patch, rank, num)
    }

    /// The final release this version leads to (`3.2.0-beta.1` → `3.2.0`).
    pub fn base(&self) -> Version {
        Version {
            pre: None,
            ..self.clone()
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// SemVer spelling: `3.2.0`, `3.2.0-alpha.1`, `3.2.0-rc`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        match self.pre {
            Some((stage, Some(n))) => write!(f, "-{}.{n}", stage.word()),
            Some((stage, None)) => write!(f, "-{}", stage.word()),
            None => Ok(()),
        }
    }
}

/// Splits `1.2.3rest` into the dotted core and the rest (which starts with a letter or `-`).
fn split_core(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (core, rest) = text.split_at(end);
    if core.ends_with('.') {
        return None;
    }
    Some((core, rest))
}

fn number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The release channel of `agent release prep`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The next alpha.
    Alpha,
    /// The next beta.
    Beta,
    /// The next final release.
    Stable,
}

impl Channel {
    /// The channel's name as the flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Alpha => "alpha",
            Channel::Beta => "beta",
            Channel::Stable => "stable",
        }
    }
}

/// Proposes the next version on `channel` (3.1.1's rules, in SemVer spelling):
///
/// | current | alpha | beta | stable |
/// |---|---|---|---|
/// | `X.Y.Z-alpha.N` | `-alpha.N+1` | `-beta.1` | `X.Y.Z` |
/// | `X.Y.Z-beta.N` | error | `-beta.N+1` | `X.Y.Z` |
/// | `X.Y.Z` | `X.Y.Z+1-alpha.1` | `X.Y.Z+1-beta.1` | `X.Y.Z+1` |
///
/// One deliberate difference: 3.1.1 proposed `X.Y.Za1` / `X.Y.Zb1` for a final `X.Y.Z`, a version
/// that sorts *below* the current one (and that the validator's progression rule then rejects);
/// the pre-release of a final version is the next patch's. `rc` versions are refused, as in 3.1.1.
pub fn propose(current: &Version, channel: Channel) -> Result<Version, String> {
    let next_patch = || Version {
        patch: current.patch + 1,
        pre: None,
        ..current.clone()
    };
    let with = |base: Version, stage: Stage, n: u64| Version {
        pre: Some((stage, Some(n))),
        ..base
    };
    match (current.pre, channel) {
        (Some((Stage::Rc, _)), _) => Err(format!(
            "cannot propose a version after the release candidate `{current}`; edit Cargo.toml \
             by hand for rc versions"
        )),
        (Some((Stage::Alpha, n)), Channel::Alpha) => {
            Ok(with(current.base(), Stage::Alpha, n.unwrap_or(0) + 1))
        }
        (Some((Stage::Beta, _)), Channel::Alpha) => Err(format!(
            "cannot go back from the beta `{current}` to an alpha: beta is ahead of alpha"
        )),
        (Some((Stage::Alpha, _)), Channel::Beta) => Ok(with(current.base(), Stage::Beta, 1)),
        (Some((Stage::Beta, n)), Channel::Beta) => {
            Ok(with(current.base(), Stage::Beta, n.unwrap_or(0) + 1))
        }
        (Some(_), Channel::Stable) => Ok(current.base()),
        (None, Channel::Alpha) => Ok(with(next_patch(), Stage::Alpha, 1)),
        (None, Channel::Beta) => Ok(with(next_patch(), Stage::Beta, 1)),
        (None, Channel::Stable) => Ok(next_patch()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_both_spellings() {
        assert_eq!(v("3.1.1").pre, None);
        assert_eq!(v("3.2.0a1").pre, Some((Stage::Alpha, Some(1))));
        assert_eq!(v("3.2.0ALPHA").pre, Some((Stage::Alpha, None)));
        assert_eq!(v("3.2.0beta12").pre, Some((Stage::Beta, Some(12))));
        assert_eq!(v("3.2.0rc2").pre, Some((Stage::Rc, Some(2))));
        assert_eq!(v("3.2.0-alpha.1").pre, Some((Stage::Alpha, Some(1))));
        assert_eq!(v("3.2.0-RC.3").pre, Some((Stage::Rc, Some(3))));
        assert_eq!(v("3.2.0-beta").pre, Some((Stage::Beta, None)));
        assert_eq!(v("10.20.30").major, 10);
    }

    #[test]
    fn rejects_other_text() {
        for bad in [
            "",
            "3",
            "3.1",
            "3.1.1.1",
            "v3.1.1",
            "3.1.1-",
            "3.1.1.dev1",
            "3.1.1c1",
            "3.1.1-alpha.",
            "3.1.1-alpha.x",
            "3.1.1-gamma.1",
            "3..1",
            "3.1.1 ",
            " 3.1.1",
            "3.1.1+build",
            "3.1.x",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad:?} should not parse");
        }
        // 3.1.1's `(a|b|rc|alpha|beta)\d*` takes a stage without a number.
        assert_eq!(v("3.1.1a").pre, Some((Stage::Alpha, None)));
    }

    #[test]
    fn orders_like_311() {
        let ordered = [
            "0.9.9",
            "1.0.0a1",
            "1.0.0a2",
            "1.0.0-alpha.10",
            "1.0.0b1",
            "1.0.0rc1",
            "1.0.0-rc.2",
            "1.0.0",
            "1.0.1",
            "1.1.0a1",
            "1.1.0",
            "1.10.0",
            "2.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("3.2.0a1").cmp(&v("3.2.0-alpha.1")), Ordering::Equal);
        assert_eq!(v("3.2.0alpha").cmp(&v("3.2.0a0")), Ordering::Equal);
    }

    #[test]
    fn displays_semver() {
        assert_eq!(v("3.2.0a1").to_string(), "3.2.0-alpha.1");
        assert_eq!(v("3.2.0rc").to_string(), "3.2.0-rc");
        assert_eq!(v("3.1.1").to_string(), "3.1.1");
    }

    #[test]
    fn proposes_per_channel() {
        let p = |cur: &str, ch| propose(&v(cur), ch).map(|x| x.to_string());
        assert_eq!(p("3.1.0a7", Channel::Alpha).as_deref(), Ok("3.1.0-alpha.8"));
        assert_eq!(
            p("3.1.0-alpha.7", Channel::Beta).as_deref(),
            Ok("3.1.0-beta.1")
        );
        assert_eq!(p("3.1.0b1", Channel::Beta).as_deref(), Ok("3.1.0-beta.2"));
        assert_eq!(p("3.1.0a7", Channel::Stable).as_deref(), Ok("3.1.0"));
        assert_eq!(p("3.1.0-beta.3", Channel::Stable).as_deref(), Ok("3.1.0"));
        assert_eq!(p("3.1.0", Channel::Stable).as_deref(), Ok("3.1.1"));
        assert_eq!(p("3.1.1", Channel::Alpha).as_deref(), Ok("3.1.2-alpha.1"));
        assert_eq!(p("3.1.1", Channel::Beta).as_deref(), Ok("3.1.2-beta.1"));
        assert!(p("3.1.0b1", Channel::Alpha).is_err());
        assert!(p("3.1.0rc1", Channel::Stable).is_err());
        assert!(p("3.1.0-rc.1", Channel::Beta).is_err());
    }

    #[test]
    fn proposals_always_advance() {
        for cur in ["3.1.0a7", "3.1.0b2", "3.1.0", "0.0.0", "3.1.0-alpha"] {
            for ch in [Channel::Alpha, Channel::Beta, Channel::Stable] {
                if let Ok(next) = propose(&v(cur), ch) {
                    assert!(next > v(cur), "{cur} on {ch:?} proposed {next}");
                }
            }
        }
    }
}
