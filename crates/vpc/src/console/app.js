"use strict";
let last = {};
let csrf = null;
let events = null;
const $ = id => document.getElementById(id);
const showError = text => { $("error").textContent = text; };
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
const rows = (id, list, cells) => {
  document.querySelector("#" + id + " tbody").innerHTML = list.map(cells).join("");
};
const post = (path, body) => fetch(path, {method: "POST", credentials: "same-origin",
  headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ?? ""}, body: JSON.stringify(body)});
async function call(action, params) {
  const r = await post("/console/action", {Action: action, Params: params});
  if (r.status === 401) return showLogin("the session ended; log in again");
  const j = await r.json();
  const err = j.Response && j.Response.Error;
  showError(err ? action + ": " + err.Code + ": " + err.Message : "");
  await refresh();
  return j;
}
function showLogin(why) {
  csrf = null;
  if (events) { events.close(); events = null; }
  $("main").classList.add("hidden");
  $("login").classList.remove("hidden");
  showError(why ?? "");
}
function started(session) {
  csrf = session.Csrf;
  $("who").textContent = "logged in as " + session.Who;
  $("login").classList.add("hidden");
  $("main").classList.remove("hidden");
  showError("");
  events = new EventSource("/console/events");
  events.addEventListener("changed", refresh);
  refresh();
}
async function login(credentials) {
  const r = await post("/console/login", credentials);
  const j = await r.json();
  if (r.ok) return started(j);
  const err = j.Response && j.Response.Error;
  showLogin("login refused: " + (err ? err.Message : r.status));
}
async function refresh() {
  const r = await fetch("/console/state", {credentials: "same-origin"});
  if (r.status === 401) return showLogin("the session ended; log in again");
  const s = await r.json();
  const vpc = Object.fromEntries(s.Vpcs.map(v => [v.VpcId, v]));
  rows("subnets", s.Subnets, x => `<tr><td>${esc(x.VpcId)} ${esc(vpc[x.VpcId]?.VpcName)}</td><td>${esc(vpc[x.VpcId]?.CidrBlock)}</td><td>${esc(x.SubnetId)} ${esc(x.SubnetName)}</td><td>${esc(x.CidrBlock)}</td><td>${esc(x.Zone)}</td></tr>`);
  const free = s.Addresses.filter(a => a.AddressStatus === "UNBIND");
  rows("havips", s.HaVips, h => {
    const moved = last[h.HaVipId] !== undefined && last[h.HaVipId] !== h.NetworkInterfaceId ? " class=\"moved\"" : "";
    const bind = h.AddressIp ? `<button data-unbind="${esc(h.HaVipId)}">Unbind EIP</button>`
      : (free.length ? `<button data-bind="${esc(h.HaVipId)}" data-ip="${esc(free[0].AddressIp)}">Bind ${esc(free[0].AddressIp)}</button>` : "");
    return `<tr id="row-${esc(h.HaVipId)}"${moved}><td>${esc(h.HaVipId)}</td><td>${esc(h.HaVipName)}</td><td>${esc(h.Vip)}</td>`
      + `<td class="instance">${esc(h.InstanceId)}</td><td class="eni">${esc(h.NetworkInterfaceId)}</td><td>${esc(h.AddressIp)}</td>`
      + `<td class="${esc(h.State)}">${esc(h.State)}</td><td>${esc(h.FlushedTime)}</td>`
      + `<td>${bind} <button data-delete="${esc(h.HaVipId)}">Delete</button></td></tr>`;
  });
  last = Object.fromEntries(s.HaVips.map(h => [h.HaVipId, h.NetworkInterfaceId]));
  rows("history", s.History.slice().reverse().slice(0, 50), e => `<tr class="history"><td>${esc(e.Time)}</td><td>${esc(e.HaVipId)}</td><td>${esc(e.NetworkInterfaceId)}</td><td>${esc(e.InstanceId)}</td><td>${esc(e.Reason)}</td></tr>`);
  rows("enis", s.NetworkInterfaces, e => `<tr><td>${esc(e.NetworkInterfaceId)}</td><td>${esc(e.Attachment?.InstanceId)}</td><td>${esc(e.MacAddress)}</td><td>${esc(e.PrivateIpAddressSet.map(p => p.PrivateIpAddress).join(", "))}</td><td>${esc(e.SubnetId)}</td></tr>`);
  rows("eips", s.Addresses, a => `<tr><td>${esc(a.AddressId)}</td><td>${esc(a.AddressIp)}</td><td>${esc(a.AddressStatus)}</td><td>${esc(a.InstanceId)}</td></tr>`);
  $("live").textContent = "updated " + new Date().toLocaleTimeString();
}
$("apply").addEventListener("submit", ev => {
  ev.preventDefault();
  const p = Object.fromEntries([...new FormData(ev.target)].filter(([, v]) => v !== ""));
  call("CreateHaVip", p);
});
$("allocate").addEventListener("click", () => call("AllocateAddresses", {AddressCount: 1}));
document.addEventListener("click", ev => {
  const d = ev.target.dataset;
  if (d.delete) call("DeleteHaVip", {HaVipId: d.delete});
  if (d.bind) call("HaVipAssociateAddressIp", {HaVipId: d.bind, AddressIp: d.ip});
  if (d.unbind) call("HaVipDisassociateAddressIp", {HaVipId: d.unbind});
});
$("login").addEventListener("submit", ev => {
  ev.preventDefault();
  const f = Object.fromEntries([...new FormData(ev.target)].filter(([, v]) => v !== ""));
  ev.target.reset();
  login(f.Token ? {Token: f.Token} : {SecretId: f.SecretId ?? "", SecretKey: f.SecretKey ?? ""});
});
$("logout").addEventListener("click", async () => {
  await post("/console/logout", {});
  showLogin("logged out");
});
async function boot() {
  // A link printed at start carries the token in the fragment, which is never sent.
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (token) {
    history.replaceState(null, "", location.pathname);
    return login({Token: token});
  }
  const r = await fetch("/console/session", {credentials: "same-origin"});
  if (r.ok) return started(await r.json());
  showLogin();
}
boot();
