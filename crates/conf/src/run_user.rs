//! Who a script runs as, or a FIFO belongs to, as written: `USER [GROUP]`.

use serde::Serialize;

/// A user and optional group a script runs as, or a FIFO belongs to (`user USER [GROUP]`,
/// `script_user`, the words after a notify script or a FIFO's path).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunUser {
    /// User name.
    pub user: String,
    /// Group name (else the user's own group).
    pub group: Option<String>,
}

impl RunUser {
    /// `USER [GROUP]`, from the words that follow a keyword.
    pub fn from_words(words: &[String]) -> Option<RunUser> {
        Some(RunUser {
            user: words.first()?.clone(),
            group: words.get(1).cloned(),
        })
    }
}

impl std::fmt::Display for RunUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.group {
            Some(g) => write!(f, "{} {g}", self.user),
            None => f.write_str(&self.user),
        }
    }
}
