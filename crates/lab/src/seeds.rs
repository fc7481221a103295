//! The English seed's configs, as printed (no-break spaces and all), for the two servers.

/// Primary's keepalived.conf (172.16.16.5, priority 100).
pub const PRIMARY: &str = include_str!("../configs/en-primary.conf");
/// Secondary's keepalived.conf (172.16.16.6, priority 50).
pub const SECONDARY: &str = include_str!("../configs/en-secondary.conf");
/// The HAVIP of the seeds.
pub const VIP: &str = "172.16.16.12";

/// The config as keepalived can read it: pasted no-break spaces made plain.
pub fn for_keepalived(text: &str) -> String {
    text.replace('\u{a0}', " ")
}
