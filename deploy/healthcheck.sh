#!/bin/bash
# Docker HEALTHCHECK: GET http://127.0.0.1:$PORT<path> (default /livez), healthy on HTTP 200.
# Bash's /dev/tcp instead of curl or node: nothing to install, and no second Node process
# (~40 MB) every interval inside a 256 MB container.
set -euo pipefail
path="${1:-/livez}"
port="${PORT:-3000}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: docker-healthcheck\r\n\r\n' "$path" >&3
IFS= read -r -t "${HEALTHCHECK_TIMEOUT:-2}" status <&3
exec 3<&-
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *)
    echo "unhealthy: ${status:-no answer}" >&2
    exit 1
    ;;
esac
