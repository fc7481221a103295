#!/bin/sh
# logs the transition keepalived passes: TYPE NAME STATE PRIORITY
logger -t keepalived-notify "$@"
