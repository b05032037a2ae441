//! Local member names.

use crate::ValidationError;
use std::fmt;

/// Longest allowed local username.
pub const MAX_USERNAME_LEN: usize = 30;

/// A validated local username: 1–30 characters of `[a-z0-9_]`.
///
/// Usernames are case-insensitive: input is folded to lower case before validation, so
/// `Alice` and `alice` name the same member and cannot both exist.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Validates and normalises a username.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let folded = input.trim().to_ascii_lowercase();
        if folded.is_empty() {
            return Err(ValidationError::new("username", "must not be empty"));
        }
        if folded.chars().count() > MAX_USERNAME_LEN {
            return Err(ValidationError::new(
                "username",
                format!("must be at most {MAX_USERNAME_LEN} characters"),
            ));
        }
        if let Some(bad) = folded
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
        {
            return Err(ValidationError::new(
                "username",
                format!("may contain only letters a-z, digits 0-9 and '_' (found {bad:?})"),
            ));
        }
        Ok(Self(folded))
    }

    /// The normalised (lower-case) name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_folds_case() {
        assert_eq!(Username::parse("Alice_01").unwrap().as_str(), "alice_01");
        assert_eq!(Username::parse("x").unwrap().as_str(), "x");
        assert!(Username::parse(&"a".repeat(30)).is_ok());
    }

    #[test]
    fn refuses_bad_names() {
        for bad in [
            "",
            " ",
            "al ice",
            "alice!",
            "アリス",
            "a.b",
            "a-b",
            "alice@example",
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.field, "username", "{bad:?}");
        }
        let long = Username::parse(&"a".repeat(31)).unwrap_err();
        assert!(long.message.contains("30"), "{long}");
    }
}
