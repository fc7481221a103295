//! Route tables (vpc 2017-03-12): `DescribeRouteTables`, `CreateRoutes`, `ReplaceRoutes`,
//! `DeleteRoutes`. Every VPC has its main table (created with it), which serves its subnets.
//! A route sends an IPv4 block outside the VPC to a server by its private address
//! (`NORMAL_CVM`) or to whoever holds a HAVIP (`HAVIP`); the data plane forwards by it once the
//! change is stored. Errors are the ones the cloud's SDK lists for these actions.

use super::{Outcome, check_ids, filters, paged};
use crate::cidr::Cidr;
use crate::cloud::{Change, Cloud, now_string};
use crate::error::ApiError;
use crate::params::Params;
use crate::route_table::{GatewayType, Route, RouteTable, RouteType};
use crate::routing::shown;
use crate::words::words;
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::Ipv4Addr;

/// Routes one table may hold (the cloud's default quota).
pub const ROUTES_PER_TABLE: usize = 200;

/// The longest `RouteDescription` (the cloud: 100 characters).
const DESCRIPTION_CHARS: usize = 100;

words! {
    /// The filters DescribeRouteTables knows.
    RouteTableFilter {
        /// `route-table-id`.
        RouteTableId = "route-table-id",
        /// `route-table-name`.
        RouteTableName = "route-table-name",
        /// `vpc-id`.
        VpcId = "vpc-id",
        /// `association.main`: `true` or `false`.
        AssociationMain = "association.main",
    }
}

/// A `Route` as a request carries it: every field the SDK's model declares (`null` is absent);
/// the output-only ones are read and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)] // the output-only fields are accepted and not used
struct RouteSpec {
    destination_cidr_block: Option<String>,
    gateway_type: Option<String>,
    gateway_id: Option<String>,
    route_id: Option<u64>,
    route_description: Option<String>,
    enabled: Option<bool>,
    route_type: Option<String>,
    route_table_id: Option<String>,
    destination_ipv6_cidr_block: Option<String>,
    route_item_id: Option<String>,
    published_to_vbc: Option<bool>,
    created_time: Option<String>,
    cdc_id: Option<String>,
}

/// The table `RouteTableId` names.
fn table<'c>(cloud: &'c Cloud, p: &Params<'_>) -> Result<&'c RouteTable, ApiError> {
    let id = p.req_str("RouteTableId")?;
    if !crate::ids::is_id("rtb", id) {
        return Err(ApiError::new(
            "InvalidRouteTableId.Malformed",
            format!("`RouteTableId` = `{id}` is malformed: ids look like rtb-xxxxxxxx"),
        ));
    }
    cloud.route_tables.get(id).ok_or_else(|| {
        ApiError::new(
            "InvalidRouteTableId.NotFound",
            format!("the route table `{id}` does not exist"),
        )
    })
}

/// `Routes`: at least one.
fn specs(p: &Params<'_>) -> Result<Vec<RouteSpec>, ApiError> {
    let list: Vec<RouteSpec> = p
        .typed("Routes", "a list of Route objects")?
        .ok_or_else(|| ApiError::missing("Routes"))?;
    if list.is_empty() {
        return Err(ApiError::missing("Routes"));
    }
    Ok(list)
}

fn required<'s>(k: usize, field: &str, v: &'s Option<String>) -> Result<&'s str, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing(&format!("Routes.{k}.{field}")))
}

fn next_hop_invalid(k: usize, why: String) -> ApiError {
    ApiError::new(
        "InvalidParameterValue.RouteNextHopInvalid",
        format!("`Routes.{k}`: {why}"),
    )
}

/// The route `s` (item `k` of `Routes`) describes in `t`: destination outside the VPC, a next
/// hop of the VPC. Its ids are left for the caller.
fn route_from(cloud: &Cloud, t: &RouteTable, k: usize, s: &RouteSpec) -> Result<Route, ApiError> {
    if s.destination_ipv6_cidr_block
        .as_deref()
        .is_some_and(|v| !v.is_empty())
    {
        return Err(ApiError::new(
            "UnsupportedOperation",
            format!("`Routes.{k}.DestinationIpv6CidrBlock`: this VPC routes IPv4 only"),
        ));
    }
    let dst = required(k, "DestinationCidrBlock", &s.destination_cidr_block)?;
    let block = Cidr::parse(dst)
        .map_err(|e| ApiError::malformed(&format!("Routes.{k}.DestinationCidrBlock"), dst, &e))?;
    let vpc = cloud
        .vpcs
        .get(&t.vpc_id)
        .ok_or_else(|| ApiError::internal(format!("{}'s VPC is missing", t.route_table_id)))?;
    if Cidr::parse(&vpc.cidr_block).is_ok_and(|v| v.covers(&block)) {
        return Err(ApiError::new(
            "InvalidParameterValue.VpcCidrConflict",
            format!(
                "`Routes.{k}.DestinationCidrBlock` {dst} lies inside the VPC's {}: a route's \
                 destination must be outside it",
                vpc.cidr_block
            ),
        ));
    }
    let kind = required(k, "GatewayType", &s.gateway_type)?;
    let gateway_type = GatewayType::from_word(kind).ok_or_else(|| {
        ApiError::new(
            "InvalidParameterValue",
            format!(
                "`Routes.{k}.GatewayType` = `{kind}`: this VPC routes to {}",
                GatewayType::WORDS.join(" or ")
            ),
        )
    })?;
    let gateway_id = required(k, "GatewayId", &s.gateway_id)?;
    check_next_hop(cloud, t, k, gateway_type, gateway_id)?;
    let description = s.route_description.clone().unwrap_or_default();
    if description.chars().count() > DESCRIPTION_CHARS {
        return Err(ApiError::new(
            "InvalidParameterValue.TooLong",
            format!("`Routes.{k}.RouteDescription` is longer than {DESCRIPTION_CHARS} characters"),
        ));
    }
    if let Some(rt) = s
        .route_type
        .as_deref()
        .filter(|r| *r != RouteType::User.as_str())
    {
        return Err(ApiError::new(
            "UnsupportedOperation.SystemRoute",
            format!("`Routes.{k}.RouteType` = `{rt}`: only USER routes may be written"),
        ));
    }
    Ok(Route {
        destination_cidr_block: dst.to_string(),
        gateway_type,
        gateway_id: gateway_id.to_string(),
        route_id: 0,
        route_item_id: String::new(),
        destination_ipv6_cidr_block: String::new(),
        route_description: description,
        enabled: s.enabled.unwrap_or(true),
        route_type: RouteType::User,
        route_table_id: t.route_table_id.clone(),
        created_time: now_string(),
    })
}

/// A `NORMAL_CVM` next hop is a private address of an ENI of the table's VPC; a `HAVIP` one a
/// HAVIP of that VPC.
fn check_next_hop(
    cloud: &Cloud,
    t: &RouteTable,
    k: usize,
    kind: GatewayType,
    id: &str,
) -> Result<(), ApiError> {
    match kind {
        GatewayType::NormalCvm => {
            let ip: Ipv4Addr = id.parse().map_err(|_| {
                ApiError::malformed(
                    &format!("Routes.{k}.GatewayId"),
                    id,
                    "a NORMAL_CVM next hop is the server's private IPv4 address",
                )
            })?;
            if cloud.eni_with_ip(&t.vpc_id, &ip.to_string()).is_none() {
                return Err(next_hop_invalid(
                    k,
                    format!("no server of {} has the private address {id}", t.vpc_id),
                ));
            }
        }
        GatewayType::HaVip => {
            if !crate::ids::is_id("havip", id) {
                return Err(ApiError::malformed(
                    &format!("Routes.{k}.GatewayId"),
                    id,
                    "a HAVIP next hop is a HAVIP id (havip-xxxxxxxx)",
                ));
            }
            if cloud.havips.get(id).is_none_or(|h| h.vpc_id != t.vpc_id) {
                return Err(next_hop_invalid(
                    k,
                    format!("the HAVIP {id} does not exist in {}", t.vpc_id),
                ));
            }
        }
    }
    Ok(())
}

/// Refuses two routes of one destination: the same next hop twice (`Duplicate`) or two next
/// hops (the cloud's `EcmpWithUserRoute`).
fn check_unique(routes: &[Route]) -> Result<(), ApiError> {
    for (k, r) in routes.iter().enumerate() {
        let Some(o) = routes[..k]
            .iter()
            .find(|o| o.destination_cidr_block == r.destination_cidr_block)
        else {
            continue;
        };
        let same_hop = o.gateway_type == r.gateway_type && o.gateway_id == r.gateway_id;
        return Err(if same_hop {
            ApiError::new(
                "InvalidParameterValue.Duplicate",
                format!(
                    "a route to {} via {} {} exists already",
                    r.destination_cidr_block, r.gateway_type, r.gateway_id
                ),
            )
        } else {
            ApiError::new(
                "UnsupportedOperation.EcmpWithUserRoute",
                format!(
                    "{} is routed via {} {} already; change that route with ReplaceRoutes",
                    r.destination_cidr_block, o.gateway_type, o.gateway_id
                ),
            )
        });
    }
    Ok(())
}

fn table_changed(t: &RouteTable, routes: Vec<Route>) -> Change {
    let mut t = t.clone();
    t.route_set = routes;
    Change::RouteTable(t)
}

/// `CreateRoutes`: adds the routes to the table.
pub fn create(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let t = table(cloud, p)?;
    let specs = specs(p)?;
    if t.route_set.len() + specs.len() > ROUTES_PER_TABLE {
        return Err(ApiError::new(
            "LimitExceeded",
            format!(
                "{} would hold {} routes; at most {ROUTES_PER_TABLE}",
                t.route_table_id,
                t.route_set.len() + specs.len()
            ),
        ));
    }
    let mut routes = t.route_set.clone();
    let mut next_id = routes.iter().map(|r| r.route_id).max().unwrap_or(0);
    for (k, s) in specs.iter().enumerate() {
        let mut r = route_from(cloud, t, k, s)?;
        next_id += 1;
        r.route_id = next_id;
        r.route_item_id = crate::ids::new_id("rti");
        routes.push(r);
    }
    check_unique(&routes)?;
    let change = table_changed(t, routes);
    let Change::RouteTable(after) = &change else {
        unreachable!("table_changed gives a table")
    };
    let set = vec![shown(cloud, after, true)];
    Ok(Outcome {
        response: object(json!({ "TotalCount": 1, "RouteTableSet": set })),
        changes: vec![change],
    })
}

fn object(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// The position in `t` of the route item `k` names by `RouteId` or `RouteItemId`.
fn position(t: &RouteTable, k: usize, s: &RouteSpec) -> Result<usize, ApiError> {
    let found = match (
        s.route_id,
        s.route_item_id.as_deref().filter(|i| !i.is_empty()),
    ) {
        (Some(id), _) => t.route_set.iter().position(|r| r.route_id == id),
        (None, Some(item)) => t.route_set.iter().position(|r| r.route_item_id == item),
        (None, None) => return Err(ApiError::missing(&format!("Routes.{k}.RouteId"))),
    };
    found.ok_or_else(|| {
        let named = s
            .route_id
            .map(|i| i.to_string())
            .or_else(|| s.route_item_id.clone())
            .unwrap_or_default();
        ApiError::new(
            "InvalidRouteId.NotFound",
            format!("`Routes.{k}`: {} has no route {named}", t.route_table_id),
        )
    })
}

/// Positions of the routes `specs` name, each at most once.
fn positions(t: &RouteTable, specs: &[RouteSpec]) -> Result<Vec<usize>, ApiError> {
    let mut at = Vec::with_capacity(specs.len());
    for (k, s) in specs.iter().enumerate() {
        let i = position(t, k, s)?;
        if at.contains(&i) {
            return Err(ApiError::new(
                "InvalidParameterValue.Duplicate",
                format!("`Routes` names route {} twice", t.route_set[i].route_id),
            ));
        }
        at.push(i);
    }
    Ok(at)
}

/// `ReplaceRoutes`: each route named by `RouteId` (or `RouteItemId`) takes the destination and
/// next hop given; its ids stay. Forwarding follows once stored.
pub fn replace(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let t = table(cloud, p)?;
    let specs = specs(p)?;
    let at = positions(t, &specs)?;
    let mut routes = t.route_set.clone();
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for (k, (s, i)) in specs.iter().zip(at).enumerate() {
        let mut r = route_from(cloud, t, k, s)?;
        let before = &t.route_set[i];
        r.route_id = before.route_id;
        r.route_item_id = before.route_item_id.clone();
        r.created_time = before.created_time.clone();
        old.push(before.clone());
        new.push(r.clone());
        routes[i] = r;
    }
    check_unique(&routes)?;
    Ok(Outcome {
        response: object(json!({ "OldRouteSet": old, "NewRouteSet": new })),
        changes: vec![table_changed(t, routes)],
    })
}

/// `DeleteRoutes`: removes the routes named by `RouteId` (or `RouteItemId`).
pub fn delete(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let t = table(cloud, p)?;
    let specs = specs(p)?;
    let at = positions(t, &specs)?;
    let gone: Vec<Route> = at.iter().map(|i| t.route_set[*i].clone()).collect();
    let routes: Vec<Route> = (t.route_set.iter().enumerate())
        .filter(|(i, _)| !at.contains(i))
        .map(|(_, r)| r.clone())
        .collect();
    Ok(Outcome {
        response: object(json!({ "RouteSet": gone })),
        changes: vec![table_changed(t, routes)],
    })
}

/// An `Offset`/`Limit` of DescribeRouteTables: the SDK declares them strings; numbers are
/// taken too.
fn count(p: &Params<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    let v: Option<Value> = p.typed(name, "a number")?;
    match v {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::malformed(name, &s, "a whole number")),
        Some(other) => Err(ApiError::new(
            "InvalidParameter",
            format!("`{name}` must be a number, not {other}"),
        )),
    }
}

/// `DescribeRouteTables`: ids (in the order given) or the filters, a page of the tables.
pub fn describe(cloud: &Cloud, p: &Params<'_>) -> Result<Outcome, ApiError> {
    let ids = p.strings("RouteTableIds")?;
    let fs: Vec<(RouteTableFilter, Vec<String>)> = filters(p, RouteTableFilter::WORDS)?
        .into_iter()
        .filter_map(|f| Some((RouteTableFilter::from_word(&f.name)?, f.values)))
        .collect();
    let with_routes = p.bool("NeedRouterInfo")?.unwrap_or(true);
    let offset = count(p, "Offset")?.unwrap_or(0);
    let limit = count(p, "Limit")?.unwrap_or(20);
    if offset < 0 || !(1..=100).contains(&limit) {
        return Err(ApiError::new(
            "InvalidParameterValue.Range",
            format!("`Offset` = {offset}, `Limit` = {limit}: Offset 0 or more, Limit 1-100"),
        ));
    }
    if ids.is_some() && !fs.is_empty() {
        return Err(ApiError::new(
            "InvalidParameter.Coexist",
            "`RouteTableIds` and `Filters` cannot be given together",
        ));
    }
    let chosen: Vec<&RouteTable> = match &ids {
        Some(ids) => {
            check_ids("RouteTableIds", "rtb", ids)?;
            ids.iter()
                .filter_map(|i| cloud.route_tables.get(i))
                .collect()
        }
        None => cloud.route_tables.values().collect(),
    };
    let tables: Vec<RouteTable> = chosen
        .into_iter()
        .filter(|t| {
            fs.iter()
                .all(|(f, vs)| vs.iter().any(|v| matches(t, *f, v)))
        })
        .map(|t| shown(cloud, t, with_routes))
        .collect();
    let (set, total) = paged(tables.iter().collect(), offset as usize, limit as usize);
    Ok(Outcome::read(
        json!({ "RouteTableSet": set, "TotalCount": total }),
    ))
}

fn matches(t: &RouteTable, f: RouteTableFilter, v: &str) -> bool {
    match f {
        RouteTableFilter::RouteTableId => t.route_table_id == v,
        RouteTableFilter::RouteTableName => t.route_table_name == v,
        RouteTableFilter::VpcId => t.vpc_id == v,
        RouteTableFilter::AssociationMain => t.main.to_string() == v,
    }
}
