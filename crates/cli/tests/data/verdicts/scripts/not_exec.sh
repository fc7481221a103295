#!/bin/sh
# not executable on purpose
exit 0
