//! The API's actions: each reads its parameters, checks them against the state, and returns
//! the response fields and the changes to store. Nothing here writes.

pub mod address;
pub mod havip;
pub mod learn;
pub mod network;
pub mod private_ip;
pub mod route;

use crate::cloud::{Change, Cloud};
use crate::error::ApiError;
use crate::params::Params;
use crate::words::{Word, words};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What an action produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Fields of `Response` (RequestId is added by the server).
    pub response: Map<String, Value>,
    /// Changes to store, then apply.
    pub changes: Vec<Change>,
}

impl Outcome {
    /// A response with these fields and no change.
    pub fn read(fields: Value) -> Self {
        Outcome {
            response: fields.as_object().cloned().unwrap_or_default(),
            changes: Vec::new(),
        }
    }
}

words! {
    /// An action of vpc 2017-03-12 this VPC answers (`X-TC-Action`).
    Action {
        /// `CreateHaVip`.
        CreateHaVip = "CreateHaVip",
        /// `DescribeHaVips`.
        DescribeHaVips = "DescribeHaVips",
        /// `ModifyHaVipAttribute`.
        ModifyHaVipAttribute = "ModifyHaVipAttribute",
        /// `DeleteHaVip`.
        DeleteHaVip = "DeleteHaVip",
        /// `HaVipAssociateAddressIp`.
        HaVipAssociateAddressIp = "HaVipAssociateAddressIp",
        /// `HaVipDisassociateAddressIp`.
        HaVipDisassociateAddressIp = "HaVipDisassociateAddressIp",
        /// `AssociateHaVipInstance`.
        AssociateHaVipInstance = "AssociateHaVipInstance",
        /// `DisassociateHaVipInstance`.
        DisassociateHaVipInstance = "DisassociateHaVipInstance",
        /// `DescribeVpcTaskResult`.
        DescribeVpcTaskResult = "DescribeVpcTaskResult",
        /// `CreateVpc`.
        CreateVpc = "CreateVpc",
        /// `DescribeVpcs`.
        DescribeVpcs = "DescribeVpcs",
        /// `CreateSubnet`.
        CreateSubnet = "CreateSubnet",
        /// `DescribeSubnets`.
        DescribeSubnets = "DescribeSubnets",
        /// `CreateNetworkInterface`.
        CreateNetworkInterface = "CreateNetworkInterface",
        /// `AttachNetworkInterface`.
        AttachNetworkInterface = "AttachNetworkInterface",
        /// `DescribeNetworkInterfaces`.
        DescribeNetworkInterfaces = "DescribeNetworkInterfaces",
        /// `AssignPrivateIpAddresses`.
        AssignPrivateIpAddresses = "AssignPrivateIpAddresses",
        /// `UnassignPrivateIpAddresses`.
        UnassignPrivateIpAddresses = "UnassignPrivateIpAddresses",
        /// `MigratePrivateIpAddress`.
        MigratePrivateIpAddress = "MigratePrivateIpAddress",
        /// `DescribeRouteTables`.
        DescribeRouteTables = "DescribeRouteTables",
        /// `CreateRoutes`.
        CreateRoutes = "CreateRoutes",
        /// `ReplaceRoutes`.
        ReplaceRoutes = "ReplaceRoutes",
        /// `DeleteRoutes`.
        DeleteRoutes = "DeleteRoutes",
        /// `AllocateAddresses`.
        AllocateAddresses = "AllocateAddresses",
        /// `DescribeAddresses`.
        DescribeAddresses = "DescribeAddresses",
    }
}

/// Every action this VPC answers.
pub const ACTIONS: &[&str] = Action::WORDS;

impl Action {
    /// Whether it only reads (it may run beside others and never changes the state).
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Action::DescribeHaVips
                | Action::DescribeVpcTaskResult
                | Action::DescribeVpcs
                | Action::DescribeSubnets
                | Action::DescribeNetworkInterfaces
                | Action::DescribeAddresses
                | Action::DescribeRouteTables
        )
    }
}

/// Whether the action named `action` only reads. A name this VPC does not answer is refused
/// when it runs; until then a `Describe*` name counts as a read (the replay cache lets reads
/// repeat).
pub fn is_read_only(action: &str) -> bool {
    Action::from_word(action).map_or(action.starts_with("Describe"), Action::is_read_only)
}

/// Runs the action named `action` with the JSON `body`.
pub fn dispatch(
    cloud: &Cloud,
    action: &str,
    body: &Value,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let p = Params::new(body)?;
    let Some(known) = Action::from_word(action) else {
        return Err(ApiError::new(
            "InvalidAction",
            format!("the action `{action}` does not exist in vpc 2017-03-12 here"),
        ));
    };
    let out = run(cloud, known, &p, request_id)?;
    p.finish()?;
    Ok(out)
}

/// Runs `action` with its parameters.
fn run(
    cloud: &Cloud,
    action: Action,
    p: &Params<'_>,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    match action {
        Action::CreateHaVip => havip::create(cloud, p),
        Action::DescribeHaVips => havip::describe(cloud, p),
        Action::ModifyHaVipAttribute => havip::modify(cloud, p),
        Action::DeleteHaVip => havip::delete(cloud, p, request_id),
        Action::HaVipAssociateAddressIp => havip::associate_address(cloud, p, request_id),
        Action::HaVipDisassociateAddressIp => havip::disassociate_address(cloud, p, request_id),
        Action::AssociateHaVipInstance => havip::associate_instances(cloud, p, true),
        Action::DisassociateHaVipInstance => havip::associate_instances(cloud, p, false),
        Action::DescribeVpcTaskResult => havip::task_result(cloud, p),
        Action::CreateVpc => network::create_vpc(cloud, p),
        Action::DescribeVpcs => network::describe_vpcs(cloud, p),
        Action::CreateSubnet => network::create_subnet(cloud, p),
        Action::DescribeSubnets => network::describe_subnets(cloud, p),
        Action::CreateNetworkInterface => network::create_eni(cloud, p),
        Action::AttachNetworkInterface => network::attach_eni(cloud, p),
        Action::DescribeNetworkInterfaces => network::describe_enis(cloud, p),
        Action::AssignPrivateIpAddresses => private_ip::assign(cloud, p, request_id),
        Action::UnassignPrivateIpAddresses => private_ip::unassign(cloud, p, request_id),
        Action::MigratePrivateIpAddress => private_ip::migrate(cloud, p, request_id),
        Action::DescribeRouteTables => route::describe(cloud, p),
        Action::CreateRoutes => route::create(cloud, p),
        Action::ReplaceRoutes => route::replace(cloud, p),
        Action::DeleteRoutes => route::delete(cloud, p),
        Action::AllocateAddresses => address::allocate(cloud, p),
        Action::DescribeAddresses => address::describe(cloud, p),
    }
}

/// A `Filters` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    /// Filter name.
    pub name: String,
    /// Values (any may match).
    pub values: Vec<String>,
}

/// Reads `Filters`, checking names against `known` and the cloud's limits (10 filters, 5
/// values each).
pub fn filters(p: &Params<'_>, known: &[&str]) -> Result<Vec<Filter>, ApiError> {
    let list: Vec<Filter> = p
        .typed("Filters", "a list of {Name, Values}")?
        .unwrap_or_default();
    if list.len() > 10 {
        return Err(ApiError::new(
            "InvalidParameterValue.LimitExceeded",
            format!("{} filters given; at most 10", list.len()),
        ));
    }
    for f in &list {
        if !known.contains(&f.name.as_str()) {
            return Err(ApiError::new(
                "InvalidParameter.FilterInvalidKey",
                format!(
                    "unknown filter `{}`; the filters are: {}",
                    f.name,
                    known.join(", ")
                ),
            ));
        }
        if f.values.len() > 5 {
            return Err(ApiError::new(
                "InvalidParameterValue.LimitExceeded",
                format!(
                    "filter `{}` has {} values; at most 5",
                    f.name,
                    f.values.len()
                ),
            ));
        }
    }
    Ok(list)
}

/// Reads `ClientToken`: at most 64 ASCII characters.
pub fn client_token<'a>(p: &Params<'a>) -> Result<Option<&'a str>, ApiError> {
    let token = p.str("ClientToken")?;
    if token.is_some_and(|t| t.len() > 64 || !t.is_ascii()) {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            "`ClientToken` must be at most 64 ASCII characters",
        ));
    }
    Ok(token)
}

/// Reads `MaxResults` (default 20, at most 100) and `NextToken` (one an earlier page gave),
/// if either is given: the offset and page size they mean.
fn token_page(p: &Params<'_>) -> Result<Option<(usize, usize)>, ApiError> {
    let max = p.int("MaxResults")?;
    let token = p.str("NextToken")?;
    if max.is_none() && token.is_none() {
        return Ok(None);
    }
    let limit = max.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`MaxResults` = {limit}: it must be 1-100"),
        ));
    }
    let offset = match token {
        None | Some("") => 0,
        Some(t) => t
            .strip_prefix(NEXT_TOKEN_PREFIX)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                ApiError::malformed("NextToken", t, "give a NextToken an earlier page returned")
            })?,
    };
    Ok(Some((offset, limit as usize)))
}

/// How this VPC spells a `NextToken`.
const NEXT_TOKEN_PREFIX: &str = "page-";

/// Reads `Offset` (default 0) and `Limit` (default 20, at most 100).
pub fn page(p: &Params<'_>) -> Result<(usize, usize), ApiError> {
    let offset = p.int("Offset")?.unwrap_or(0);
    let limit = p.int("Limit")?.unwrap_or(20);
    if offset < 0 {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`Offset` = {offset}: it must be 0 or more"),
        ));
    }
    if !(1..=100).contains(&limit) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`Limit` = {limit}: it must be 1-100"),
        ));
    }
    Ok((offset as usize, limit as usize))
}

/// The page of `items` and the total.
pub fn paged<T: serde::Serialize>(items: Vec<&T>, offset: usize, limit: usize) -> (Value, usize) {
    let total = items.len();
    let page: Vec<&T> = items.into_iter().skip(offset).take(limit).collect();
    (serde_json::to_value(page).unwrap_or_default(), total)
}

/// Checks ids given by the caller: shape and duplicates.
pub fn check_ids(name: &str, prefix: &str, ids: &[String]) -> Result<(), ApiError> {
    for (k, id) in ids.iter().enumerate() {
        if !crate::ids::is_id(prefix, id) {
            return Err(ApiError::malformed(
                name,
                id,
                &format!("ids look like {prefix}-xxxxxxxx"),
            ));
        }
        if ids[..k].contains(id) {
            return Err(ApiError::new(
                "InvalidParameterValue.Duplicate",
                format!("`{name}` lists `{id}` twice"),
            ));
        }
    }
    Ok(())
}

/// How a Describe* action lists one kind of resource, filtered by the names of `F`.
pub struct Listing<'a, T, F> {
    /// The ids parameter (`HaVipIds`, `VpcIds`, ...).
    pub ids_param: &'a str,
    /// The ids' prefix (`havip`, `vpc`, ...).
    pub prefix: &'a str,
    /// Whether ids and filters exclude each other (`InvalidParameter.Coexist`).
    pub exclusive: bool,
    /// The response's set name (`HaVipSet`, ...).
    pub set: &'a str,
    /// Whether a resource matches `filter` = `value`.
    pub matches: fn(&T, F, &str) -> bool,
    /// Whether it also pages by `MaxResults` and `NextToken` (instead of Offset and Limit).
    pub token_paging: bool,
}

/// A Describe* action: ids (looked up, in the order given) or all `items`, narrowed by the
/// filters, then a page of the matches and their total.
pub fn describe<'c, T: serde::Serialize + 'c, F: Word>(
    p: &Params<'_>,
    items: &'c std::collections::BTreeMap<String, T>,
    l: &Listing<'_, T, F>,
) -> Result<Outcome, ApiError> {
    let ids = p.strings(l.ids_param)?;
    // `filters` refuses a name that is not one of F's.
    let fs: Vec<(F, Vec<String>)> = filters(p, F::WORDS)?
        .into_iter()
        .filter_map(|f| Some((F::from_word(&f.name)?, f.values)))
        .collect();
    let tokens = if l.token_paging { token_page(p)? } else { None };
    let (offset, limit) = match tokens {
        Some(page) => {
            if p.int("Offset")?.is_some() || p.int("Limit")?.is_some() {
                return Err(ApiError::new(
                    "InvalidParameter.Coexist",
                    "`MaxResults`/`NextToken` and `Offset`/`Limit` cannot be given together",
                ));
            }
            page
        }
        None => page(p)?,
    };
    if l.exclusive && ids.is_some() && !fs.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter.Coexist",
            format!("`{}` and `Filters` cannot be given together", l.ids_param),
        ));
    }
    if let Some(ids) = &ids {
        check_ids(l.ids_param, l.prefix, ids)?;
    }
    let chosen: Box<dyn Iterator<Item = &T>> = match &ids {
        Some(ids) => Box::new(ids.iter().filter_map(|i| items.get(i))),
        None => Box::new(items.values()),
    };
    let found: Vec<&T> = chosen
        .filter(|x| {
            fs.iter()
                .all(|(name, values)| values.iter().any(|v| (l.matches)(x, *name, v)))
        })
        .collect();
    let (set, total) = paged(found, offset, limit);
    let mut out = Outcome::default();
    out.response.insert(l.set.to_string(), set);
    out.response
        .insert("TotalCount".to_string(), Value::from(total));
    if tokens.is_some() {
        let next = if offset + limit < total {
            format!("{NEXT_TOKEN_PREFIX}{}", offset + limit)
        } else {
            String::new()
        };
        out.response
            .insert("NextToken".to_string(), Value::from(next));
    }
    Ok(out)
}
