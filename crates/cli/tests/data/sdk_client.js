// Drives a local `havip vpc serve` with the cloud's Node.js SDK (tencentcloud-sdk-nodejs), as a
// cloud user would: the endpoint is HOST:PORT and the protocol plain HTTP, as its docs show for
// custom endpoints. The SDK then signs the credential scope with the host's first label as the
// service and Host with its port.
//
// usage: node sdk_client.js HOST:PORT SECRET_ID SECRET_KEY   (NODE_PATH: where the SDK is)
// Prints one JSON object with what it saw.
const tencentcloud = require("tencentcloud-sdk-nodejs");

const [endpoint, secretId, secretKey] = process.argv.slice(2);
const VpcClient = tencentcloud.vpc.v20170312.Client;

function client(key) {
  return new VpcClient({
    credential: { secretId, secretKey: key },
    region: "ap-guangzhou",
    profile: { httpProfile: { endpoint, protocol: "http://" } },
  });
}

async function main() {
  const c = client(secretKey);
  const seen = {};
  const vpc = (await c.CreateVpc({ VpcName: "node", CidrBlock: "10.40.0.0/16" })).Vpc.VpcId;
  const subnet = (
    await c.CreateSubnet({
      VpcId: vpc,
      SubnetName: "s",
      CidrBlock: "10.40.1.0/24",
      Zone: "ap-guangzhou-3",
    })
  ).Subnet.SubnetId;
  const h = (
    await c.CreateHaVip({ VpcId: vpc, SubnetId: subnet, HaVipName: "node-havip", Vip: "10.40.1.12" })
  ).HaVip;
  seen.created = h;
  seen.described = await c.DescribeHaVips({ HaVipIds: [h.HaVipId] });
  await c.ModifyHaVipAttribute({ HaVipId: h.HaVipId, HaVipName: "renamed" });
  seen.renamed = (
    await c.DescribeHaVips({ Filters: [{ Name: "havip-name", Values: ["renamed"] }] })
  ).TotalCount;
  const eipId = (await c.AllocateAddresses({ AddressCount: 1 })).AddressSet[0];
  const eip = (await c.DescribeAddresses({ AddressIds: [eipId] })).AddressSet[0].AddressIp;
  let task = (await c.HaVipAssociateAddressIp({ HaVipId: h.HaVipId, AddressIp: eip })).RequestId;
  seen.bind_task = (await c.DescribeVpcTaskResult({ TaskId: task })).Status;
  seen.bound_eip =
    (await c.DescribeHaVips({ HaVipIds: [h.HaVipId] })).HaVipSet[0].AddressIp === eip;
  await c.HaVipDisassociateAddressIp({ HaVipId: h.HaVipId });
  try {
    await c.CreateHaVip({ VpcId: vpc, SubnetId: subnet, HaVipName: "x", Vip: "10.40.1.255" });
  } catch (e) {
    seen.reserved_error = e.code;
  }
  task = (await c.DeleteHaVip({ HaVipId: h.HaVipId })).RequestId;
  seen.delete_task = (await c.DescribeVpcTaskResult({ TaskId: task })).Status;
  seen.after_delete = (await c.DescribeHaVips({})).TotalCount;
  try {
    await client("wrong-key").DescribeHaVips({});
  } catch (e) {
    seen.wrong_key_error = e.code;
  }
  console.log(JSON.stringify(seen));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
