//! havipd's mover settings: where a cloud has no HAVIP, which cloud API moves each
//! instance's VIPs to this server. A separate file beside keepalived.conf (keepalived.conf
//! stays keepalived's), given to havipd and `havip check` with `--mover FILE`.
//!
//! The file uses keepalived.conf's own syntax (read by the same reader and tree, so `include`,
//! comments and file:line:col diagnostics work as operators know them; no second format and
//! no new dependency). A `mover` block applies to every instance; `mover NAME` to one
//! `vrrp_instance`, its settings over the common block's:
//!
//! ```text
//! mover {
//!     provider tencent
//!     region ap-guangzhou
//!     endpoint https://vpc.tencentcloudapi.com   # the default; http://127.0.0.1:PORT for the emulator
//!     credentials file /etc/havip/cloud-credentials  # mode 0600, owned by root; or:
//!                               # credentials metadata [http://HOST[:PORT]] (the role's keys)
//!     eni eni-12345678
//!     method migrate            # or: assign, route
//! }
//! mover VI_2 {
//!     method route
//!     route_table rtb-12345678
//!     next_hop NORMAL_CVM 10.0.0.5   # or: HAVIP havip-12345678
//! }
//! ```
//!
//! `provider ec2` speaks EC2's query API instead (signed with AWS Signature Version 4): its
//! `endpoint` defaults to `https://ec2.REGION.amazonaws.com`, its credentials file holds
//! `access_key_id`/`secret_access_key` (and optionally `session_token`) lines, or
//! `credentials metadata [URL]` takes the instance profile's keys from IMDSv2 (default
//! `http://169.254.169.254`), `eni` is the
//! ENI's id, and its methods are `assign` (`AssignPrivateIpAddresses` with
//! `AllowReassignment`) and `route` (`ReplaceRoute` of each VIP's /32 in `route_table` to our
//! ENI; no `next_hop`). EC2 has no migrate call: `method migrate` is refused.

mod keys;

pub use keys::{Keys, parse_keys};

use crate::diag::{Diagnostic, Location, Severity};
use crate::reader::{Files, Reader};
use crate::tree::{Node, parse};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The cloud's public VPC endpoint, used when `endpoint` is not given.
pub const DEFAULT_ENDPOINT: &str = "https://vpc.tencentcloudapi.com";

/// The instance metadata service, used by `credentials metadata` without a URL.
pub const DEFAULT_METADATA: &str = "http://metadata.tencentyun.com";

/// EC2's instance metadata service (IMDSv2), used by `credentials metadata` without a URL
/// with `provider ec2`.
pub const DEFAULT_EC2_METADATA: &str = "http://169.254.169.254";

/// Which cloud's API the mover speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// Tencent Cloud's VPC API 3.0 (TC3 signatures).
    Tencent,
    /// EC2's query API (AWS Signature Version 4).
    Ec2,
}

impl Provider {
    /// The name written in the file.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Tencent => "tencent",
            Provider::Ec2 => "ec2",
        }
    }
}

/// Where API calls go: scheme and `host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` (else plain `http`, for a local emulator).
    pub tls: bool,
    /// `host[:port]`, as sent in `Host` and signed.
    pub authority: String,
}

/// Where the API keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// A file of `secret_id`/`secret_key` lines, mode 0600, owned by root.
    File(PathBuf),
    /// The instance metadata service's role credentials, at this endpoint: the CVM's CAM role
    /// (`/latest/meta-data/cam/security-credentials/ROLE`), or with `provider ec2` the
    /// instance profile through IMDSv2 (`/latest/meta-data/iam/security-credentials/ROLE`).
    Metadata(Endpoint),
}

/// What a route's next hop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextHopType {
    /// A CVM, by private IP.
    NormalCvm,
    /// A HAVIP, by id.
    Havip,
    /// EC2: a network interface, by id (always our ENI).
    NetworkInterface,
}

impl NextHopType {
    /// The API's name.
    pub fn api_name(self) -> &'static str {
        match self {
            NextHopType::NormalCvm => "NORMAL_CVM",
            NextHopType::Havip => "HAVIP",
            NextHopType::NetworkInterface => "NetworkInterfaceId",
        }
    }
}

/// How the VIPs are moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// `MigratePrivateIpAddress` of the secondary IPs to our ENI.
    Migrate,
    /// `AssignPrivateIpAddresses` of the secondary IPs to our ENI.
    Assign,
    /// `ReplaceRoutes` in a route table, to this next hop.
    Route {
        /// The route table (`rtb-...`).
        table: String,
        /// The next hop's type.
        hop_type: NextHopType,
        /// The next hop (a private IP or a HAVIP id).
        hop: String,
    },
}

/// One instance's resolved mover settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mover {
    /// The cloud.
    pub provider: Provider,
    /// The region (`ap-guangzhou`).
    pub region: String,
    /// Where calls go.
    pub endpoint: Endpoint,
    /// Where the keys come from.
    pub credentials: Credentials,
    /// This server's ENI.
    pub eni: String,
    /// How to move.
    pub method: Method,
    /// The block that names the instance (or the common block).
    pub location: Location,
}

/// The settings of a mover file: per instance, and for the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoverSettings {
    /// Resolved settings by instance name (those named by a `mover NAME` block).
    pub instances: BTreeMap<String, Mover>,
    /// The common block's settings, for instances without their own.
    pub all: Option<Mover>,
}

impl MoverSettings {
    /// The settings for the instance `name`, if the file covers it.
    pub fn for_instance(&self, name: &str) -> Option<&Mover> {
        self.instances.get(name).or(self.all.as_ref())
    }
}

/// Reads the mover file at `path` for the instances of `config` (see [`read`]).
pub fn read_for(
    files: &dyn Files,
    path: &Path,
    config: &crate::model::Config,
    host_checks: bool,
) -> (MoverSettings, Vec<Diagnostic>) {
    let names: Vec<&str> = config.instances.iter().map(|i| i.name.as_str()).collect();
    read(files, path, &names, host_checks)
}

/// Settings as written in one block, each with where it was written.
#[derive(Clone, Debug, Default)]
struct Raw {
    values: BTreeMap<&'static str, (Vec<String>, Location)>,
}

const KEYWORDS: &[&str] = &[
    "provider",
    "region",
    "endpoint",
    "credentials",
    "eni",
    "method",
    "route_table",
    "next_hop",
];

/// Reads and checks the mover file at `path` against the instances of keepalived.conf
/// (`instances`); `host_checks` also checks the credentials file's owner and mode.
pub fn read(
    files: &dyn Files,
    path: &Path,
    instances: &[&str],
    host_checks: bool,
) -> (MoverSettings, Vec<Diagnostic>) {
    let mut reader = Reader::new(files, None);
    reader.read_top(path);
    let (lines, diags) = reader.finish();
    let mut diags = diags.0;
    let nodes = parse(&lines, &mut diags);
    let mut common: Option<(Raw, Location)> = None;
    let mut named: BTreeMap<String, (Raw, Location)> = BTreeMap::new();
    for node in &nodes {
        if node.key() != "mover" {
            diags.push(err(
                "mover-unknown-keyword",
                node,
                format!(
                    "`{}` is not a mover block (expected `mover` or `mover NAME`)",
                    node.key()
                ),
            ));
            continue;
        }
        let raw = (block_settings(node, &mut diags), node.name.loc.clone());
        match node.args.first() {
            None if common.is_some() => diags.push(dup(node, "the common `mover` block")),
            None => common = Some(raw),
            Some(name) if named.contains_key(&name.text) => {
                diags.push(dup(node, &format!("`mover {}`", name.text)))
            }
            Some(name) if !instances.contains(&name.text.as_str()) => diags.push(err(
                "mover-unknown-instance",
                node,
                format!(
                    "`mover {}` names no vrrp_instance of keepalived.conf",
                    name.text
                ),
            )),
            Some(name) => {
                named.insert(name.text.clone(), raw);
            }
        }
    }
    let empty = Raw::default();
    let mut settings = MoverSettings::default();
    let common_raw = common.as_ref().map(|(r, _)| r).unwrap_or(&empty);
    if let Some((raw, loc)) = &common {
        settings.all = resolve(raw, &empty, loc, host_checks, &mut diags);
    }
    for (name, (raw, loc)) in &named {
        if let Some(m) = resolve(raw, common_raw, loc, host_checks, &mut diags) {
            settings.instances.insert(name.clone(), m);
        }
    }
    (settings, diags)
}

fn err(code: &'static str, node: &Node, message: String) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        code,
        node.name.loc.clone(),
        node.text(),
        message,
    )
}

fn dup(node: &Node, what: &str) -> Diagnostic {
    Diagnostic::new(
        Severity::Error,
        "mover-duplicate",
        node.name.loc.clone(),
        node.text(),
        format!("{what} is given twice"),
    )
    .hint("write each block and each setting once")
}

fn block_settings(node: &Node, diags: &mut Vec<Diagnostic>) -> Raw {
    let mut raw = Raw::default();
    for child in node.children() {
        let Some(key) = KEYWORDS.iter().find(|k| **k == child.key()) else {
            diags.push(
                err(
                    "mover-unknown-keyword",
                    child,
                    format!("unknown mover setting `{}`", child.key()),
                )
                .hint(format!("settings: {}", KEYWORDS.join(", "))),
            );
            continue;
        };
        if raw.values.contains_key(key) {
            diags.push(dup(child, &format!("`{key}`")));
            continue;
        }
        let args = child.args.iter().map(|t| t.text.clone()).collect();
        raw.values.insert(key, (args, child.name.loc.clone()));
    }
    raw
}

/// One setting of the instance's block, else of the common block.
fn value<'a>(raw: &'a Raw, common: &'a Raw, key: &str) -> Option<&'a (Vec<String>, Location)> {
    raw.values.get(key).or_else(|| common.values.get(key))
}

fn bad(loc: &Location, message: String, hint: &str) -> Diagnostic {
    Diagnostic::new(Severity::Error, "mover-bad-value", loc.clone(), "", message).hint(hint)
}

/// The one value of `key` (the instance's block, else the common block); a diagnostic when it
/// is missing or not one word.
fn single(
    raw: &Raw,
    common: &Raw,
    at: &Location,
    key: &str,
    hint: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(String, Location)> {
    match value(raw, common, key) {
        None => {
            diags.push(
                Diagnostic::new(
                    Severity::Error,
                    "mover-missing",
                    at.clone(),
                    "",
                    format!("this mover block has no `{key}` (nor has the common block)"),
                )
                .hint(hint.to_string()),
            );
            None
        }
        Some((args, loc)) if args.len() != 1 => {
            diags.push(bad(
                loc,
                format!("`{key}` takes one value, found {}", args.len()),
                hint,
            ));
            None
        }
        Some((args, loc)) => Some((args[0].clone(), loc.clone())),
    }
}

/// The provider named at `loc`, if known.
fn provider_of(p: &str, loc: &Location, diags: &mut Vec<Diagnostic>) -> Option<Provider> {
    let known = match p {
        "tencent" => Some(Provider::Tencent),
        "ec2" => Some(Provider::Ec2),
        _ => None,
    };
    if known.is_none() {
        diags.push(bad(
            loc,
            format!("unknown provider `{p}`"),
            "the mover speaks to `tencent` or `ec2`",
        ));
    }
    known
}

fn resolve(
    raw: &Raw,
    common: &Raw,
    at: &Location,
    host_checks: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Mover> {
    let before = diags.len();
    let mut one = |key: &str, hint: &str| single(raw, common, at, key, hint, diags);
    let provider = one("provider", "write `provider tencent` or `provider ec2`");
    let region = one("region", "write the region, e.g. `region ap-guangzhou`");
    let eni = one("eni", "write this server's ENI id, e.g. `eni eni-12345678`");
    let method = one(
        "method",
        "write `method migrate`, `method assign` or `method route`",
    );
    let provider = provider.and_then(|(p, loc)| provider_of(&p, &loc, diags));
    if let Some((e, loc)) = &eni
        && !(e.starts_with("eni-") && e.len() > 4)
    {
        diags.push(bad(
            loc,
            format!("`{e}` is not an ENI id"),
            "ENI ids look like `eni-12345678`",
        ));
    }
    let default = match (provider, &region) {
        (Some(Provider::Ec2), Some((r, _))) => format!("https://ec2.{r}.amazonaws.com"),
        _ => DEFAULT_ENDPOINT.to_string(),
    };
    let endpoint = endpoint(value(raw, common, "endpoint"), &default, diags);
    let metadata = match provider {
        Some(Provider::Ec2) => DEFAULT_EC2_METADATA,
        _ => DEFAULT_METADATA,
    };
    let found = value(raw, common, "credentials");
    let credentials = credentials(found, metadata, at, host_checks, diags);
    let method = match (provider, &eni) {
        (Some(Provider::Ec2), Some((e, _))) => {
            method.and_then(|(m, loc)| ec2_method(&m, &loc, raw, common, e, at, diags))
        }
        _ => method.and_then(|(m, loc)| resolve_method(&m, &loc, raw, common, at, diags)),
    };
    diags[before..].sort_by_key(|d| (d.location.line, d.location.col));
    if diags.len() != before {
        return None;
    }
    Some(Mover {
        provider: provider?,
        region: region?.0,
        endpoint: endpoint?,
        credentials: credentials?,
        eni: eni?.0,
        method: method?,
        location: at.clone(),
    })
}

/// `endpoint URL`: `https://host[:port]` or `http://host[:port]`, no path.
fn endpoint(
    v: Option<&(Vec<String>, Location)>,
    default: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Endpoint> {
    let hint = "write `endpoint https://HOST[:PORT]` (or `http://` for a local emulator)";
    let Some((args, loc)) = v else {
        return parse_endpoint(default);
    };
    let parsed = match args.as_slice() {
        [url] => parse_endpoint(url),
        _ => None,
    };
    if parsed.is_none() {
        diags.push(bad(
            loc,
            format!("`endpoint {}` is not a URL without a path", args.join(" ")),
            hint,
        ));
    }
    parsed
}

/// `https://host[:port]` or `http://host[:port]` (a trailing `/` allowed).
pub fn parse_endpoint(url: &str) -> Option<Endpoint> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let valid = !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    valid.then(|| Endpoint {
        tls,
        authority: authority.to_string(),
    })
}

/// `credentials file PATH` or `credentials metadata [URL]` (`metadata`: the provider's
/// metadata service by default).
fn credentials(
    v: Option<&(Vec<String>, Location)>,
    metadata: &str,
    at: &Location,
    host_checks: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Credentials> {
    let hint =
        "write `credentials file /etc/havip/cloud-credentials` or `credentials metadata [URL]`";
    let Some((args, loc)) = v else {
        diags.push(
            Diagnostic::new(
                Severity::Error,
                "mover-missing",
                at.clone(),
                "",
                "this mover block has no `credentials` (nor has the common block)",
            )
            .hint(hint),
        );
        return None;
    };
    match args.as_slice() {
        [m] if m == "metadata" => parse_endpoint(metadata).map(Credentials::Metadata),
        [m, url] if m == "metadata" && parse_endpoint(url).is_some() => {
            parse_endpoint(url).map(Credentials::Metadata)
        }
        [f, path] if f == "file" && path.starts_with('/') => {
            let path = PathBuf::from(path);
            if host_checks && let Err(why) = credentials_file_safe(&path) {
                diags.push(
                    Diagnostic::new(
                        Severity::Error,
                        "mover-credentials-unsafe",
                        loc.clone(),
                        "",
                        why,
                    )
                    .hint("chown root:root FILE; chmod 0600 FILE"),
                );
                return None;
            }
            Some(Credentials::File(path))
        }
        _ => {
            diags.push(bad(
                loc,
                format!(
                    "`credentials {}` is neither `file /PATH` nor `metadata [http://HOST[:PORT]]`",
                    args.join(" ")
                ),
                hint,
            ));
            None
        }
    }
}

/// Whether the credentials file is a regular file of root's that no one else may read or write,
/// holding keys in the form [`parse_keys`] reads.
pub fn credentials_file_safe(path: &Path) -> Result<(), String> {
    read_credentials_file(path).map(|_| ())
}

/// The keys of a credentials file that is a regular file of root's that no one else may read
/// or write; errors name the file and the line, never a value.
pub fn read_credentials_file(path: &Path) -> Result<Keys, String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("credentials file {}: {e}", path.display()))?;
    if !meta.file_type().is_file() {
        return Err(format!(
            "credentials file {} is not a regular file",
            path.display()
        ));
    }
    if meta.uid() != 0 {
        return Err(format!(
            "credentials file {} is owned by uid {}, not root",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "credentials file {} has mode {mode:04o}: others may read it (0600 expected)",
            path.display()
        ));
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("credentials file {}: {e}", path.display()))?,
    );
    parse_keys(&text).map_err(|e| format!("credentials file {}: {e}", path.display()))
}

/// `method migrate|assign|route` (route with `route_table` and `next_hop`).
fn resolve_method(
    m: &str,
    loc: &Location,
    raw: &Raw,
    common: &Raw,
    at: &Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<Method> {
    match m {
        "migrate" => Some(Method::Migrate),
        "assign" => Some(Method::Assign),
        "route" => {
            let missing = |key: &str| {
                Diagnostic::new(Severity::Error, "mover-missing", at.clone(), "", format!("`method route` needs `{key}`"))
                    .hint("write `route_table rtb-ID` and `next_hop NORMAL_CVM IP` or `next_hop HAVIP havip-ID`")
            };
            let table = match value(raw, common, "route_table") {
                None => {
                    diags.push(missing("route_table"));
                    None
                }
                Some((a, _)) if a.len() == 1 && a[0].starts_with("rtb-") => Some(a[0].clone()),
                Some((a, l)) => {
                    diags.push(bad(
                        l,
                        format!("`route_table {}` is not a route table id", a.join(" ")),
                        "route table ids look like `rtb-12345678`",
                    ));
                    None
                }
            };
            let hop = match value(raw, common, "next_hop") {
                None => {
                    diags.push(missing("next_hop"));
                    None
                }
                Some((a, l)) => next_hop(a, l, diags),
            };
            Some(Method::Route {
                table: table?,
                hop_type: hop.as_ref()?.0,
                hop: hop?.1,
            })
        }
        other => {
            diags.push(bad(
                loc,
                format!("unknown method `{other}`"),
                "write `method migrate`, `method assign` or `method route`",
            ));
            None
        }
    }
}

/// EC2's `method assign|route` (route with `route_table`; the next hop is our ENI).
fn ec2_method(
    m: &str,
    loc: &Location,
    raw: &Raw,
    common: &Raw,
    eni: &str,
    at: &Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<Method> {
    let hint = "EC2: write `method assign` or `method route`";
    match m {
        "assign" => Some(Method::Assign),
        "migrate" => {
            diags.push(bad(
                loc,
                "EC2 has no migrate call: `method migrate` is for `provider tencent`".into(),
                "write `method assign` (AssignPrivateIpAddresses with AllowReassignment)",
            ));
            None
        }
        "route" => {
            if let Some((_, l)) = value(raw, common, "next_hop") {
                diags.push(bad(
                    l,
                    "EC2 routes point at this server's ENI: `next_hop` is for `provider tencent`"
                        .into(),
                    "remove `next_hop`; the route's target is `eni`",
                ));
                return None;
            }
            let table = match value(raw, common, "route_table") {
                Some((a, _)) if a.len() == 1 && a[0].starts_with("rtb-") => a[0].clone(),
                Some((a, l)) => {
                    diags.push(bad(
                        l,
                        format!("`route_table {}` is not a route table id", a.join(" ")),
                        "route table ids look like `rtb-12345678`",
                    ));
                    return None;
                }
                None => {
                    diags.push(
                        Diagnostic::new(
                            Severity::Error,
                            "mover-missing",
                            at.clone(),
                            "",
                            "`method route` needs `route_table`",
                        )
                        .hint("write `route_table rtb-ID`"),
                    );
                    return None;
                }
            };
            Some(Method::Route {
                table,
                hop_type: NextHopType::NetworkInterface,
                hop: eni.to_string(),
            })
        }
        other => {
            diags.push(bad(loc, format!("unknown method `{other}`"), hint));
            None
        }
    }
}

/// `next_hop NORMAL_CVM IP` or `next_hop HAVIP havip-ID`.
fn next_hop(
    a: &[String],
    l: &Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<(NextHopType, String)> {
    match a {
        [t, ip] if t == "NORMAL_CVM" && ip.parse::<std::net::Ipv4Addr>().is_ok() => {
            Some((NextHopType::NormalCvm, ip.clone()))
        }
        [t, id] if t == "HAVIP" && id.starts_with("havip-") => {
            Some((NextHopType::Havip, id.clone()))
        }
        _ => {
            diags.push(bad(
                l,
                format!(
                    "`next_hop {}` is neither `NORMAL_CVM IPV4` nor `HAVIP havip-ID`",
                    a.join(" ")
                ),
                "write `next_hop NORMAL_CVM 10.0.0.5` or `next_hop HAVIP havip-12345678`",
            ));
            None
        }
    }
}
