#!/bin/sh
# The rollout hook of rollout_nginx_canary*.sh: gives the new version (v2) PERCENT of the
# traffic (the argument, else $STAGEGATE_TRAFFIC) by rewriting the upstream weights of the
# test's nginx and reloading it. Needs NGINX_DIR (with nginx.conf and nginx.pid), NGINX_PORT,
# V1_PORT and V2_PORT. nginx has no weight 0: 0% leaves v2 out, 100% leaves v1 out.
set -eu
percent="${1:-${STAGEGATE_TRAFFIC:?no percentage given}}"
percent="${percent%%.*}"
{
  echo "upstream app {"
  [ "$percent" -lt 100 ] && echo "  server 127.0.0.1:$V1_PORT weight=$((100 - percent));"
  [ "$percent" -gt 0 ] && echo "  server 127.0.0.1:$V2_PORT weight=$percent;"
  echo "}"
} >"$NGINX_DIR/upstream.conf.new"
# What the new configuration answers at /nginx-weight, so the wait below knows it is live.
printf 'location = /nginx-weight { default_type text/plain; return 200 "%s"; }\n' \
  "$percent" >"$NGINX_DIR/weight.conf"
mv "$NGINX_DIR/upstream.conf.new" "$NGINX_DIR/upstream.conf"
nginx -q -t -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf"
nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -s reload
# The reload is asynchronous: wait until a new worker answers with the new configuration.
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$NGINX_PORT/nginx-weight" 2>/dev/null | grep -qx "$percent"; then
    echo "v2 now gets $percent% of the traffic"
    exit 0
  fi
  sleep 0.05
done
echo "nginx did not pick up weight $percent% within 5 s" >&2
exit 1
