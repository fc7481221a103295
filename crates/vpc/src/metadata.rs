//! The instance metadata service (the cloud's `http://metadata.tencentyun.com`, 169.254.0.23)
//! for the lab: `havip vpc serve --metadata-listen ADDR [--metadata-netns NS]`. It knows the
//! asking instance by the connection's source address, which must be the primary private
//! address of an ENI attached to an instance, and answers the cloud's paths under
//! `/latest/meta-data/` in plain text: `instance-id`, `local-ipv4`, `mac`, `app-id`,
//! `placement/region`, `placement/zone`, `network/interfaces/macs/[MAC/[mac, primary-local-ipv4,
//! vpc-id, subnet-id, local-ipv4s/[IP/[local-ipv4, gateway, subnet-mask]]]]`, and the role's
//! temporary keys at `cam/security-credentials/ROLE` (JSON: `TmpSecretId`, `TmpSecretKey`,
//! `Token`, `ExpiredTime`, `Expiration`, `Code`), which the API accepts for the instance's
//! account (`credentials.rs`). GET only, no body, paths of at most [`MAX_PATH_BYTES`]; anything
//! else is refused. It reads the state and changes nothing.

use crate::cidr::Cidr;
use crate::cloud::Cloud;
use crate::listen::{self, Transport};
use crate::model::NetworkInterface;
use crate::service::Service;
use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The longest path answered.
pub const MAX_PATH_BYTES: usize = 512;

/// The routes: one handler for every path.
pub fn router(service: Arc<Service>) -> Router {
    Router::new().fallback(answer).with_state(service)
}

/// Serves the metadata service on `listener` until it fails.
pub async fn serve(listener: std::net::TcpListener, service: Arc<Service>) -> Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let limits = service.front.connections;
    listen::run(listener, router(service), limits, Transport::Plain)
        .await
        .context("metadata service stopped")
}

/// Binds `addr` inside the network namespace `netns` (`ip netns` name), or here.
pub fn bind(addr: SocketAddr, netns: Option<&str>) -> Result<std::net::TcpListener> {
    let Some(ns) = netns else {
        return std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"));
    };
    let ns = ns.to_string();
    // setns moves only the calling thread: bind from a thread of its own.
    std::thread::spawn(move || -> Result<std::net::TcpListener> {
        rawlink::netns::enter(&ns)?;
        std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr} in {ns}"))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the thread binding {addr} panicked"))?
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 - Not Found\n".to_string())
}

async fn answer(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if request.method() != Method::GET {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "the metadata service answers GET only\n".to_string(),
        );
        r.headers_mut()
            .insert(header::ALLOW, "GET".parse().expect("static header"));
        return r;
    }
    let has_body = request.headers().contains_key(header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    let path = request.uri().path();
    if has_body || path.len() > MAX_PATH_BYTES || request.uri().query().is_some() {
        return text(
            StatusCode::BAD_REQUEST,
            format!("a GET of a path of at most {MAX_PATH_BYTES} bytes, without a query or body\n"),
        );
    }
    let source = match peer.ip() {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(a.to_string(), |v| v.to_string()),
    };
    let cloud = service.snapshot();
    let eni = match instance_eni(&cloud, &source) {
        Ok(e) => e,
        Err(why) => return text(StatusCode::FORBIDDEN, format!("{why}\n")),
    };
    let Some(rest) = path.strip_prefix("/latest/meta-data/") else {
        return match path {
            "/" => text(StatusCode::OK, "latest\n".to_string()),
            "/latest/" | "/latest" => text(StatusCode::OK, "meta-data/\n".to_string()),
            _ => not_found(),
        };
    };
    match lookup(&service, &cloud, eni, rest) {
        Some(r) => r,
        None => not_found(),
    }
}

/// The ENI whose primary address is `source` and which is attached to an instance.
fn instance_eni<'c>(cloud: &'c Cloud, source: &str) -> Result<&'c NetworkInterface, String> {
    let mut found = cloud.enis.values().filter(|e| {
        !e.instance_id().is_empty()
            && e.private_ip_address_set
                .iter()
                .any(|a| a.primary && a.private_ip_address == source)
    });
    let first = found
        .next()
        .ok_or_else(|| format!("{source} is not the primary address of an instance's ENI"))?;
    if found.next().is_some() {
        return Err(format!(
            "{source} is the primary address of instances in several VPCs; serve one per VPC"
        ));
    }
    Ok(first)
}

/// The answer for `rest` (the path after `/latest/meta-data/`) to the instance of `eni`.
fn lookup(
    service: &Service,
    cloud: &Cloud,
    eni: &NetworkInterface,
    rest: &str,
) -> Option<Response> {
    let ok = |s: String| Some(text(StatusCode::OK, s));
    let settings = service.metadata_settings();
    let primary = primary_of(eni);
    let instance = eni.instance_id();
    match rest {
        "" => ok("instance-id\nlocal-ipv4\nmac\napp-id\nplacement/\nnetwork/\ncam/\n".into()),
        "instance-id" => ok(instance.to_string()),
        "local-ipv4" => ok(primary),
        "mac" => ok(eni.mac_address.clone()),
        "app-id" => ok(cloud.owner_of(&eni.network_interface_id).to_string()),
        "placement/" => ok("region\nzone\n".into()),
        "placement/region" => ok(settings.region.clone()),
        "placement/zone" => ok(cloud.subnets.get(&eni.subnet_id)?.zone.clone()),
        "network/" => ok("interfaces/\n".into()),
        "network/interfaces/" => ok("macs/\n".into()),
        "cam/" => ok("security-credentials/\n".into()),
        "cam/security-credentials/" => ok(format!("{}\n", settings.role.as_ref()?)),
        _ => {
            if let Some(role) = rest.strip_prefix("cam/security-credentials/") {
                return credentials(service, cloud, eni, role);
            }
            let macs = rest.strip_prefix("network/interfaces/macs/")?;
            interfaces(cloud, eni, macs)
        }
    }
}

fn primary_of(eni: &NetworkInterface) -> String {
    eni.private_ip_address_set
        .iter()
        .find(|a| a.primary)
        .map(|a| a.private_ip_address.clone())
        .unwrap_or_default()
}

/// `network/interfaces/macs/...`: the instance's ENIs (of its VPC), by MAC.
fn interfaces(cloud: &Cloud, eni: &NetworkInterface, rest: &str) -> Option<Response> {
    let ok = |s: String| Some(text(StatusCode::OK, s));
    let mine: Vec<&NetworkInterface> = (cloud.enis.values())
        .filter(|e| e.vpc_id == eni.vpc_id && e.instance_id() == eni.instance_id())
        .collect();
    if rest.is_empty() {
        return ok(mine
            .iter()
            .map(|e| format!("{}/\n", e.mac_address))
            .collect());
    }
    let (mac, field) = rest.split_once('/')?;
    let e = mine
        .into_iter()
        .find(|e| e.mac_address.eq_ignore_ascii_case(mac))?;
    match field {
        "" => ok("mac\nprimary-local-ipv4\nvpc-id\nsubnet-id\nlocal-ipv4s/\n".into()),
        "mac" => ok(e.mac_address.clone()),
        "primary-local-ipv4" => ok(primary_of(e)),
        "vpc-id" => ok(e.vpc_id.clone()),
        "subnet-id" => ok(e.subnet_id.clone()),
        "local-ipv4s/" => ok(e
            .private_ip_address_set
            .iter()
            .map(|a| format!("{}/\n", a.private_ip_address))
            .collect()),
        _ => {
            let (ip, what) = field.strip_prefix("local-ipv4s/")?.split_once('/')?;
            e.private_ip_address_set
                .iter()
                .find(|a| a.private_ip_address == ip)?;
            let block = Cidr::parse(&cloud.subnets.get(&e.subnet_id)?.cidr_block).ok()?;
            match what {
                "" => ok("local-ipv4\ngateway\nsubnet-mask\n".into()),
                "local-ipv4" => ok(ip.to_string()),
                "gateway" => ok(block.gateway().to_string()),
                "subnet-mask" => ok(mask(block.len)),
                _ => None,
            }
        }
    }
}

fn mask(len: u8) -> String {
    let m = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    std::net::Ipv4Addr::from(m).to_string()
}

/// `cam/security-credentials/ROLE`: the role's temporary key for the instance's account.
fn credentials(
    service: &Service,
    cloud: &Cloud,
    eni: &NetworkInterface,
    role: &str,
) -> Option<Response> {
    let settings = service.metadata_settings();
    if settings.role.as_deref() != Some(role) {
        return None;
    }
    let account = cloud.owner_of(&eni.network_interface_id);
    let ttl = settings.credential_ttl.as_secs() as i64;
    let key = service.issue_temporary_key(eni.instance_id(), role, account, ttl)?;
    let expiration = time::OffsetDateTime::from_unix_timestamp(key.expires)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()?;
    let body = json!({
        "TmpSecretId": key.secret_id,
        "TmpSecretKey": key.secret_key,
        "Token": key.token,
        "ExpiredTime": key.expires,
        "Expiration": expiration,
        "Code": "Success",
    });
    Some(
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
    )
}
