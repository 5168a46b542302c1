# Shared set-up of rollout_nginx_canary*.sh (sourced after lib.sh): the demo backend as v1
# (healthy) and v2 (APP_VERSION=v2 plus the faults in V2_FAULTS), and nginx (Debian, a temp
# config on loopback ports, master process for reloads) routing all traffic to v1 at first.
# Everything is started here and stopped by lib.sh's cleanup (nginx's master takes its
# workers along). Skips (125) without nginx.
need nginx
need curl
export V1_PORT=$(free_port) V2_PORT=$(free_port) NGINX_PORT=$(free_port)
export NGINX_DIR="$WORK/nginx" SET_WEIGHT="$SOURCE_DIR/tests/e2e/helpers/nginx-set-weight.sh"
start_backend "$V1_PORT" APP_VERSION=v1 LOG_REQUESTS=1 DISABLE_RATE_LIMIT=true
start_backend "$V2_PORT" APP_VERSION=v2 LOG_REQUESTS=1 DISABLE_RATE_LIMIT=true ${V2_FAULTS:-}
mkdir -p "$NGINX_DIR/tmp"
echo "upstream app { server 127.0.0.1:$V1_PORT; }" >"$NGINX_DIR/upstream.conf"
echo 'location = /nginx-weight { default_type text/plain; return 200 "0"; }' >"$NGINX_DIR/weight.conf"
cat >"$NGINX_DIR/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
events { worker_connections 256; }
http {
  access_log $NGINX_DIR/access.log;
  client_body_temp_path $NGINX_DIR/tmp;
  proxy_temp_path $NGINX_DIR/tmp;
  fastcgi_temp_path $NGINX_DIR/tmp;
  uwsgi_temp_path $NGINX_DIR/tmp;
  scgi_temp_path $NGINX_DIR/tmp;
  include $NGINX_DIR/upstream.conf;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    include $NGINX_DIR/weight.conf;
    location / { proxy_pass http://app; }
  }
}
CONF
nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" >"$NGINX_DIR/stderr.log" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$NGINX_PORT/health" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -fsS "http://127.0.0.1:$NGINX_PORT/health" >/dev/null || fail "nginx did not start"

# Versions that answered N requests through nginx, e.g. "100 v1" or "90 v1\n10 v2".
versions_of() {
  local n=$1
  for _ in $(seq 1 "$n"); do
    curl -sS -o /dev/null -D - "http://127.0.0.1:$NGINX_PORT/conversations/c1/messages?userId=1&limit=1" \
      | tr -d '\r' | awk -F': ' 'tolower($1) == "x-version" { print $2 }'
  done | sort | uniq -c | awk '{ print $1, $2 }'
}
