"""Drives a local `havip vpc serve` with tencentcloud-sdk-python, as a cloud user would.

usage: sdk_client.py HOST:PORT SECRET_ID SECRET_KEY [CA_FILE]
With CA_FILE, over the SDK's default HTTPS, trusting that certificate; else plain HTTP.
Prints one JSON object with what it saw.
"""
import json
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vpc.v20170312 import models, vpc_client

endpoint, secret_id, secret_key = sys.argv[1:4]
ca_file = sys.argv[4] if len(sys.argv) > 4 else None


def client(key):
    if ca_file:
        http = HttpProfile(endpoint=endpoint, certification=ca_file)
    else:
        http = HttpProfile(protocol="http", endpoint=endpoint)
    return vpc_client.VpcClient(credential.Credential(secret_id, key), "ap-guangzhou",
                                ClientProfile(httpProfile=http))


def call(c, action, params):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(c, action)(req).to_json_string())


c = client(secret_key)
seen = {}
vpc = call(c, "CreateVpc", {"VpcName": "sdk", "CidrBlock": "10.20.0.0/16"})["Vpc"]["VpcId"]
subnet = call(c, "CreateSubnet", {"VpcId": vpc, "SubnetName": "s", "CidrBlock": "10.20.1.0/24",
                                  "Zone": "ap-guangzhou-3"})["Subnet"]["SubnetId"]
h = call(c, "CreateHaVip", {"VpcId": vpc, "SubnetId": subnet, "HaVipName": "sdk-havip",
                            "Vip": "10.20.1.12"})["HaVip"]
seen["created"] = h
hid = h["HaVipId"]
seen["described"] = call(c, "DescribeHaVips", {"HaVipIds": [hid]})
call(c, "ModifyHaVipAttribute", {"HaVipId": hid, "HaVipName": "renamed"})
seen["renamed"] = call(c, "DescribeHaVips", {"Filters": [{"Name": "havip-name", "Values": ["renamed"]}]})["TotalCount"]
eip_id = call(c, "AllocateAddresses", {"AddressCount": 1})["AddressSet"][0]
eip = call(c, "DescribeAddresses", {"AddressIds": [eip_id]})["AddressSet"][0]["AddressIp"]
task = call(c, "HaVipAssociateAddressIp", {"HaVipId": hid, "AddressIp": eip})["RequestId"]
seen["bind_task"] = call(c, "DescribeVpcTaskResult", {"TaskId": task})["Status"]
seen["bound_eip"] = call(c, "DescribeHaVips", {"HaVipIds": [hid]})["HaVipSet"][0]["AddressIp"] == eip
call(c, "HaVipDisassociateAddressIp", {"HaVipId": hid})
try:
    call(c, "CreateHaVip", {"VpcId": vpc, "SubnetId": subnet, "HaVipName": "x", "Vip": "10.20.1.255"})
except TencentCloudSDKException as e:
    seen["reserved_error"] = e.get_code()
task = call(c, "DeleteHaVip", {"HaVipId": hid})["RequestId"]
seen["delete_task"] = call(c, "DescribeVpcTaskResult", {"TaskId": task})["Status"]
seen["after_delete"] = call(c, "DescribeHaVips", {})["TotalCount"]
try:
    call(client("wrong-key"), "DescribeHaVips", {})
except TencentCloudSDKException as e:
    seen["wrong_key_error"] = e.get_code()
print(json.dumps(seen))
