"""Sends every parameter tencentcloud-sdk-python's models declare for each named action, all
as JSON null (absent, to the cloud), to a local `havip vpc serve`; prints one JSON object:
action -> the declared parameters the server called unknown (an empty list when it knew them
all), or why the action could not be tried.

usage: sdk_models.py HOST:PORT SECRET_ID SECRET_KEY ACTION...
"""
import json
import sys

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.vpc.v20170312 import models, vpc_client

endpoint, secret_id, secret_key = sys.argv[1:4]
http = HttpProfile(protocol="http", endpoint=endpoint)
client = vpc_client.VpcClient(credential.Credential(secret_id, secret_key), "ap-guangzhou",
                              ClientProfile(httpProfile=http))


def declared(action):
    request = getattr(models, action + "Request")()
    return [k[1:] for k in vars(request) if k.startswith("_")]


unknown = {}
for action in sys.argv[4:]:
    params = {name: None for name in declared(action)}
    if not params:
        unknown[action] = "the SDK declares no parameter"
        continue
    refused = []
    while True:
        try:
            client.call_json(action, params)
            break
        except TencentCloudSDKException as e:
            if e.code != "UnknownParameter":
                break
            name = e.message.split("`")[1]
            if name not in params:
                refused.append("server named `%s`, which was not sent" % name)
                break
            refused.append(name)
            del params[name]
    unknown[action] = refused
print(json.dumps(unknown))
