#!/bin/sh
# keepalived's notify_master where the cloud has no HAVIP: the documented pattern. When this
# server becomes MASTER, one MigratePrivateIpAddress call moves the VIP (a secondary private
# IP) from the peer's ENI to this server's, with tccli:
#
#   notify_master "/etc/keepalived/notify-master-migrate.sh PEER_ENI MY_ENI VIP ENV_FILE"
#
# ENV_FILE (mode 0600, so the keys stay off the command line and out of the logs) sets
# TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TCCLI (tccli's path), ENDPOINT (the API's
# URL; the cloud's own, https://vpc.tencentcloudapi.com, by default), REGION and HOME.
#
# One call, no retry, no check of who holds the address afterwards: what most operators run.
set -eu
. "$4"
export TENCENTCLOUD_SECRET_ID TENCENTCLOUD_SECRET_KEY HOME
exec "$TCCLI" --endpoint "${ENDPOINT:-https://vpc.tencentcloudapi.com}" --region "$REGION" \
    vpc MigratePrivateIpAddress \
    --SourceNetworkInterfaceId "$1" --DestinationNetworkInterfaceId "$2" \
    --PrivateIpAddress "$3"
