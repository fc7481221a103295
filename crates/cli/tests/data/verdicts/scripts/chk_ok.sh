#!/bin/sh
# a health check that always passes
exit 0
