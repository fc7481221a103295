"""Drives route tables and the instance metadata service of a local `havip vpc serve` with
tencentcloud-sdk-python, as a mover on a server would: the server's role key comes from the
metadata service (asked from the server's own address) and signs ReplaceRoutes.

usage: sdk_routes.py HOST:PORT SECRET_ID SECRET_KEY METADATA_HOST:PORT ROLE
The VPC is 127.0.0.0/16, so the servers' addresses (127.0.1.5, .6) are this machine's.
Prints one JSON object with what it saw.
"""
import http.client
import json
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vpc.v20170312 import models, vpc_client

endpoint, secret_id, secret_key, metadata, role = sys.argv[1:6]
http_profile = HttpProfile(protocol="http", endpoint=endpoint)


def client(cred):
    return vpc_client.VpcClient(cred, "ap-guangzhou", ClientProfile(httpProfile=http_profile))


def raw(c, action, params):
    r = c.call_json(action, params)
    return r.get("Response", r)


def route(dst, kind, hop, route_id=None):
    r = models.Route()
    r.DestinationCidrBlock, r.GatewayType, r.GatewayId = dst, kind, hop
    r.RouteId = route_id
    return r


def error_of(f):
    try:
        f()
    except TencentCloudSDKException as e:
        return e.code
    return None


def meta(source, path):
    host, port = metadata.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), source_address=(source, 0), timeout=5)
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read().decode()


c = client(credential.Credential(secret_id, secret_key))
seen = {}
vpc = raw(c, "CreateVpc", {"VpcName": "sdk", "CidrBlock": "127.0.0.0/16"})["Vpc"]["VpcId"]
subnet = raw(c, "CreateSubnet", {"VpcId": vpc, "SubnetName": "s", "CidrBlock": "127.0.1.0/24",
                                 "Zone": "ap-guangzhou-3"})["Subnet"]["SubnetId"]
for k, ip in enumerate(["127.0.1.5", "127.0.1.6"]):
    eni = raw(c, "CreateNetworkInterface", {
        "VpcId": vpc, "SubnetId": subnet, "NetworkInterfaceName": "eth0-%d" % k,
        "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}],
        "MacAddress": "02:00:00:00:02:0%d" % k})["NetworkInterface"]["NetworkInterfaceId"]
    raw(c, "AttachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": "ins-0000000%d" % k})

req = models.DescribeRouteTablesRequest()
f = models.Filter()
f.Name, f.Values = "vpc-id", [vpc]
req.Filters = [f]
tables = c.DescribeRouteTables(req)
seen["tables"] = tables.TotalCount
table = tables.RouteTableSet[0]
seen["main"] = table.Main
seen["associated"] = [a.SubnetId == subnet for a in table.AssociationSet]
rtb = table.RouteTableId

req = models.CreateRoutesRequest()
req.RouteTableId, req.Routes = rtb, [route("10.8.0.1/32", "NORMAL_CVM", "127.0.1.5")]
created = c.CreateRoutes(req)
seen["route_id"] = created.RouteTableSet[0].RouteSet[0].RouteId
req.Routes = [route("127.0.9.0/24", "NORMAL_CVM", "127.0.1.5")]
seen["inside_vpc_error"] = error_of(lambda: c.CreateRoutes(req))

# The second server asks the metadata service who it is and for its role's key.
seen["instance"] = meta("127.0.1.6", "/latest/meta-data/instance-id")
seen["mac"] = meta("127.0.1.6", "/latest/meta-data/mac")
seen["stranger"] = meta("127.0.0.1", "/latest/meta-data/instance-id")[0]
status, body = meta("127.0.1.6", "/latest/meta-data/cam/security-credentials/" + role)
creds = json.loads(body)
seen["creds_code"] = creds["Code"]
role_client = client(credential.Credential(creds["TmpSecretId"], creds["TmpSecretKey"],
                                           creds["Token"]))
req = models.ReplaceRoutesRequest()
req.RouteTableId = rtb
req.Routes = [route("10.8.0.1/32", "NORMAL_CVM", "127.0.1.6", seen["route_id"])]
replaced = role_client.ReplaceRoutes(req)
seen["old_hop"] = replaced.OldRouteSet[0].GatewayId
seen["new_hop"] = replaced.NewRouteSet[0].GatewayId
no_token = client(credential.Credential(creds["TmpSecretId"], creds["TmpSecretKey"]))
seen["no_token_error"] = error_of(lambda: no_token.ReplaceRoutes(req))

req = models.DeleteRoutesRequest()
req.RouteTableId = rtb
req.Routes = [route(None, None, None, seen["route_id"])]
seen["deleted"] = len(c.DeleteRoutes(req).RouteSet)
print(json.dumps(seen))
