#!/usr/bin/env bash
# Renders conf/nginx.conf.in into $REGISTRY_DATA_DIR/nginx.conf for this run's port and paths.
#   usage: conf/render.sh   (reads PORT, REGISTRY_LISTEN, REGISTRY_DATA_DIR, REGISTRY_WORKERS)
set -euo pipefail
conf_dir=$(cd "$(dirname "$0")" && pwd)
www_dir=$(cd "$conf_dir/../www" && pwd)
data_dir=$(mkdir -p "${REGISTRY_DATA_DIR:-./var}" && cd "${REGISTRY_DATA_DIR:-./var}" && pwd)
port=${PORT:-8080}
listen=${REGISTRY_LISTEN:-127.0.0.1}
workers=${REGISTRY_WORKERS:-8}
# The largest upload (zip body).
upload_max=${REGISTRY_UPLOAD_MAX_BYTES:-1073741824}
# A libfcgi worker stays on its kept-alive connection, so the idle connections nginx caches
# (2 nginx workers x keepalive) must leave at least one registryd worker free to accept new
# connections: if they held every worker, requests on extra connections would wait for the
# 60 s keepalive timeout. With fewer than 3 workers nothing can be cached safely.
keepalive=$(((workers - 1) / 2))
keep_conn=on
if [ "$keepalive" -lt 1 ]; then
    keepalive=1
    keep_conn=off
fi
# S3 blobs are proxied from this endpoint (presigned GETs); a host name needs a resolver.
s3_endpoint=${AWS_ENDPOINT_URL_S3:-https://s3.${AWS_REGION:-us-east-1}.amazonaws.com}
s3_endpoint=${s3_endpoint%/}
nameserver=$(awk '$1 == "nameserver" { print $2; exit }' /etc/resolv.conf 2>/dev/null || true)
s3_resolver=""
case $nameserver in *:*) nameserver="[$nameserver]" ;; esac
[ -n "$nameserver" ] && s3_resolver="resolver $nameserver valid=60s;"
user_directive=""
# As root, nginx would hand its workers to 'nobody'; keep them as the invoking user so they
# can reach the socket and files of the data directory.
[ "$(id -u)" -eq 0 ] && user_directive="user root $(id -gn);"
mkdir -p "$data_dir"/{run,log,tmp,static}
sed -e "s|@DATA_DIR@|$data_dir|g" -e "s|@CONF_DIR@|$conf_dir|g" -e "s|@WWW_DIR@|$www_dir|g" -e "s|@PORT@|$port|g" -e "s|@UPLOAD_MAX@|$upload_max|g" -e "s|@LISTEN@|$listen|g" \
    -e "s|@UPSTREAM_KEEPALIVE@|$keepalive|g" -e "s|@KEEP_CONN@|$keep_conn|g" -e "s|@USER_DIRECTIVE@|$user_directive|g" \
    -e "s|@S3_ENDPOINT@|$s3_endpoint|g" -e "s|@S3_RESOLVER@|$s3_resolver|g" \
    "$conf_dir/nginx.conf.in" >"$data_dir/nginx.conf"
echo "$data_dir/nginx.conf"
