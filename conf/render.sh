#!/usr/bin/env bash
# Renders conf/nginx.conf.in into $REGISTRY_DATA_DIR/nginx.conf for this run's port and paths.
#   usage: conf/render.sh   (reads PORT, REGISTRY_LISTEN, REGISTRY_DATA_DIR, REGISTRY_WORKERS,
#          REGISTRY_UPLOAD_MAX_BYTES, the client limits below and REGISTRY_USER)
set -euo pipefail
fail() {
    echo "conf/render.sh: $*" >&2
    exit 1
}
# count NAME DEFAULT: the variable NAME, a whole number (its default when unset or empty).
count() {
    local v=${!1:-$2}
    [[ $v =~ ^[0-9]+$ ]] || fail "$1 must be a whole number, got '$v'"
    echo $((10#$v))
}
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

# Slow clients and floods, per client address (0 turns a limit off): requests in progress at
# once, requests per second with a burst served at once, logins per second with a burst,
# uploads in progress (and in all).
conn_per_address=$(count REGISTRY_CONN_PER_ADDRESS 64)
req_per_second=$(count REGISTRY_REQ_PER_SECOND 200)
req_burst=$(count REGISTRY_REQ_BURST 400)
uploads_per_address=$(count REGISTRY_UPLOADS_PER_ADDRESS 4)
uploads_total=$(count REGISTRY_UPLOADS_TOTAL 16)
header_timeout=$(count REGISTRY_HEADER_TIMEOUT_SECONDS 10)
body_timeout=$(count REGISTRY_BODY_TIMEOUT_SECONDS 30)
[ "$header_timeout" -ge 1 ] && [ "$body_timeout" -ge 1 ] ||
    fail "REGISTRY_HEADER_TIMEOUT_SECONDS and REGISTRY_BODY_TIMEOUT_SECONDS must be at least 1"
conn_limit=""
[ "$conn_per_address" -gt 0 ] && conn_limit="limit_conn reg_conn_addr $conn_per_address;"
req_limit=""
req_rate=1 # the zone needs a rate even when no location uses it
if [ "$req_per_second" -gt 0 ]; then
    req_rate=$req_per_second
    req_limit="limit_req zone=reg_req_addr burst=$req_burst nodelay;"
fi
login_per_second=$(count REGISTRY_LOGINS_PER_SECOND 2)
login_burst=$(count REGISTRY_LOGIN_BURST 10)
login_limit=""
login_rate=1 # as for req_rate
if [ "$login_per_second" -gt 0 ]; then
    login_rate=$login_per_second
    login_limit="limit_req zone=reg_login_addr burst=$login_burst nodelay;"
fi
upload_limits=""
[ "$uploads_per_address" -gt 0 ] && upload_limits="limit_conn reg_upload_addr $uploads_per_address;"
[ "$uploads_total" -gt 0 ] &&
    upload_limits="$upload_limits limit_conn reg_upload_all $uploads_total;"

mkdir -p "$data_dir"/{run,log,tmp,static}
# nginx's workers never run as root. Started as root, the master hands them to REGISTRY_USER
# (default: the account "registry" when there is one, else "nobody"); that account's group may
# traverse (not list) the data directory and the directories the workers use, and gets the
# socket from scripts/serve.sh (mode 0660). Started as anyone else, everything runs as that
# user and nginx needs no user directive.
user_directive=""
root_traversable=1
[ $((0$(stat -c %a /) & 1)) -eq 1 ] || root_traversable=0
if [ "$(id -u)" -eq 0 ] && [ -z "${REGISTRY_USER:-}" ] && [ "$root_traversable" -eq 0 ]; then
    # A sandbox whose / other accounts cannot traverse (a chroot made with mktemp -d, say): no
    # account but root can reach a file here, so the workers cannot be handed to one.
    # nginx started as root hands its workers to "nobody" unless told otherwise.
    user_directive="user root $(id -gn root);"
    echo "render.sh: WARNING: / (mode $(stat -c %a /)) is not traversable by other accounts, so" \
        "nginx's workers run as root; make / o+x, then they run as REGISTRY_USER" >&2
elif [ "$(id -u)" -eq 0 ]; then
    worker_user=${REGISTRY_USER:-}
    if [ -z "$worker_user" ]; then
        worker_user=nobody
        id -u registry >/dev/null 2>&1 && worker_user=registry
    fi
    id -u "$worker_user" >/dev/null 2>&1 || fail "REGISTRY_USER: there is no account '$worker_user'"
    [ "$(id -u "$worker_user")" -ne 0 ] || fail "REGISTRY_USER must not be root ('$worker_user')"
    worker_group=$(id -gn "$worker_user")
    user_directive="user $worker_user $worker_group;"
    chgrp "$worker_group" "$data_dir" "$data_dir"/{run,tmp,static}
    chmod g+x "$data_dir" "$data_dir"/{run,tmp,static}
    # The workers serve www/ themselves: a checkout they cannot reach (under a home directory
    # of mode 0700, say) is served from a copy in the data directory instead.
    if ! setpriv --reuid="$worker_user" --regid="$worker_group" --clear-groups \
        test -r "$www_dir/index.html"; then
        rm -rf "$data_dir/www"
        cp -r "$www_dir" "$data_dir/www"
        chgrp -R "$worker_group" "$data_dir/www"
        chmod -R g+rX "$data_dir/www"
        www_dir=$data_dir/www
    fi
fi
# The download workload's clients (POST /health/workloads) all come from this host: a key drawn
# for each start exempts them, and only them, from the per-address limits (nginx.conf.in).
# registryd reads it from run/workload.key; that file and nginx.conf are the invoking user's
# alone (nginx's master reads its configuration before it hands the workers to REGISTRY_USER).
workload_key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
[[ $workload_key =~ ^[0-9a-f]{32}$ ]] || fail "cannot draw the workload key from /dev/urandom"
umask 077
printf '%s\n' "$workload_key" >"$data_dir/run/workload.key"
sed -e "s|@DATA_DIR@|$data_dir|g" -e "s|@CONF_DIR@|$conf_dir|g" -e "s|@WWW_DIR@|$www_dir|g" -e "s|@PORT@|$port|g" -e "s|@UPLOAD_MAX@|$upload_max|g" -e "s|@LISTEN@|$listen|g" \
    -e "s|@UPSTREAM_KEEPALIVE@|$keepalive|g" -e "s|@KEEP_CONN@|$keep_conn|g" -e "s|@USER_DIRECTIVE@|$user_directive|g" \
    -e "s|@S3_ENDPOINT@|$s3_endpoint|g" -e "s|@S3_RESOLVER@|$s3_resolver|g" \
    -e "s|@CONN_LIMIT@|$conn_limit|g" -e "s|@REQ_LIMIT@|$req_limit|g" -e "s|@REQ_RATE@|$req_rate|g" \
    -e "s|@LOGIN_RATE@|$login_rate|g" -e "s|@LOGIN_LIMIT@|$login_limit|g" \
    -e "s|@UPLOAD_LIMITS@|$upload_limits|g" -e "s|@HEADER_TIMEOUT@|$header_timeout|g" -e "s|@BODY_TIMEOUT@|$body_timeout|g" \
    -e "s|@WORKLOAD_KEY@|$workload_key|g" \
    "$conf_dir/nginx.conf.in" >"$data_dir/nginx.conf"
echo "$data_dir/nginx.conf"
