//! What both metadata services share: requests bounded by the step's deadline and counted as
//! `metadata`, no redirects, and the check of the role name put in the next path.

use super::ledger::{Failed, Ledger};
use node::mover::Outcome;
use std::time::Instant;

/// A metadata request (`metadata` in the counts) sent within `deadline`: its answer's text.
pub fn fetch(client: &Ledger, req: ureq::Request, deadline: Instant) -> Result<String, Failed> {
    let left = deadline.saturating_duration_since(Instant::now());
    let failed =
        |e: &dyn std::fmt::Display| client.transport_failed("metadata", &e.to_string(), deadline);
    let answer = req.timeout(left).call().map_err(|e| failed(&e))?;
    let text = answer.into_string().map_err(|e| failed(&e))?;
    client.count("metadata", Outcome::Ok, None);
    Ok(text)
}

/// A metadata service's agent: no redirects (an answer elsewhere is not the service's).
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).build()
}

/// The role named by a metadata service's list of roles (its first line), if it is a plain
/// name that may be put in a path.
pub fn role_name(client: &Ledger, roles: &str, cloud_role: &str) -> Result<String, Failed> {
    let bad = |why: String| client.error("metadata", &why);
    let Some(role) = roles.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(bad(format!(
            "the metadata service names no {cloud_role} for this instance"
        )));
    };
    if !role
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.+=,@".contains(c))
    {
        return Err(bad(
            "the metadata service's role name is not a plain name".into()
        ));
    }
    Ok(role.to_string())
}
