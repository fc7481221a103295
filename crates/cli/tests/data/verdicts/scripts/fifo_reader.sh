#!/bin/sh
# reads the notify FIFO
while read -r line; do logger -t vrrp-fifo "$line"; done < "$1"
