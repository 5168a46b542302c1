# HTTPS against a real nginx, with a test CA and certificates made here by openssl:
# verified with target.tls.ca_file (lean and curl, and SSL_CERT_FILE honoured); rejected at
# once without it (exit 3, the message names the fix and the certificate); mTLS required by
# nginx and satisfied with client_cert/client_key; a name mismatch fixed by server_name; an
# expired certificate; https to an http port and http to an https port; per-request TLS
# failures counted as errors.tls; and stagegate's request count equal to nginx's access log.
source "$(dirname "$0")/lib.sh"
need nginx
need openssl
need jq
NGINX=$(command -v nginx)

# --- A test CA, a server certificate for 127.0.0.1, one for another name, an expired one,
# --- a client certificate (all signed by the CA), in $WORK/pki.
PKI="$WORK/pki"
mkdir -p "$PKI"
cd "$PKI"
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
ec ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=stagegate test CA" 2>/dev/null
sign() {  # NAME SUBJECT SAN [openssl-ca dates...]
  ec "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf 'subjectAltName=%s\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
sign server "/CN=127.0.0.1" "IP:127.0.0.1,DNS:localhost"
sign other "/CN=other.test" "DNS:other.test"
sign client "/CN=stagegate client" "DNS:client.test"
# Expired: openssl ca takes explicit past dates.
ec expired.key
openssl req -new -key expired.key -out expired.csr -subj "/CN=127.0.0.1" 2>/dev/null
mkdir -p ca-db && : >ca-db/index.txt && echo 01 >ca-db/serial
cat >ca.cnf <<EOF
[ ca ]
default_ca = test
[ test ]
dir = $PKI/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $PKI/ca.pem
private_key = $PKI/ca.key
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = san
[ any ]
commonName = supplied
[ san ]
subjectAltName = IP:127.0.0.1
EOF
openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z >/dev/null 2>&1 \
  || fail "openssl ca could not make the expired certificate"
cd "$SOURCE_DIR"

# --- nginx: one worker, five servers on free loopback ports, each with its own access log
# --- for / (the health URL is not logged).
P_GOOD=$(free_port); P_MTLS=$(free_port); P_OTHER=$(free_port); P_EXPIRED=$(free_port)
P_PLAIN=$(free_port)
NG="$WORK/nginx"
mkdir -p "$NG/html"
echo "hello over tls" >"$NG/html/index.html"
server() {  # PORT NAME CERT [extra]
  nginx_tls_server "$NG" "$1" "$2" "$PKI/$3" "${4:-}"
}
write_nginx_conf "$NG" '$request $status $ssl_protocol $ssl_session_reused' "$(
  echo "  ssl_protocols TLSv1.2 TLSv1.3;"
  server "$P_GOOD" good server
  server "$P_MTLS" mtls server "ssl_verify_client on; ssl_client_certificate $PKI/ca.pem;"
  server "$P_OTHER" other other
  server "$P_EXPIRED" expired expired
  cat <<EOF
  server {
    listen 127.0.0.1:$P_PLAIN;
    location = /health { access_log off; return 200 '{"status":"ok"}'; }
    location / { access_log $NG/logs/plain.log counted; root $NG/html; }
  }
EOF
)"
start_nginx "$NG" "http://127.0.0.1:$P_PLAIN/health"
curl -fsS --cacert "$PKI/ca.pem" "https://127.0.0.1:$P_GOOD/health" >/dev/null \
  || { cat "$NG/logs/error.log"; fail "nginx did not start"; }

# --- pipeline(URL, TRANSPORT, TLS-BLOCK, HEALTH-URL)
pipeline() {
  cat >"$WORK/p.yaml" <<EOF
version: 1
name: tls e2e
target:
  base_url: $1
  transport: $2
  tls: { $3 }
${5:-}
health:
  url: ${4:-/health}
  startup_timeout: 20s
scenario:
  operations:
    - { name: page, path: /index.html }
stages:
  - { name: one, vus: 2, duration: 1s, criteria: ["success_rate == 100%"] }
EOF
}
count() { [[ -f "$NG/logs/$1.log" ]] && wc -l <"$NG/logs/$1.log" || echo 0; }
sent() { jqr "$WORK/out/results.json" '[.stages[].metrics.requests] | add'; }
run() { run_stagegate run "$WORK/p.yaml" --out "$WORK/out" --no-progress; }
# A refused run: exit 3 within a few seconds (the health wait is 20 s), naming $1.
refused() {
  expect_rc 3
  (( ELAPSED_MS < 5000 )) || fail "took ${ELAPSED_MS} ms to give up: not fail-fast"
  echo "refused in ${ELAPSED_MS} ms: $1" >&2
  grep -qF -- "$1" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
    { cat "$WORK/stdout.txt" "$WORK/stderr.txt"; fail "the message does not say \"$1\""; }
}

# 1. Verified with ca_file, both transports; counts equal nginx's own.
echo "step 1" >&2
for transport in auto curl; do
  before=$(count good)
  pipeline "https://127.0.0.1:$P_GOOD" "$transport" "ca_file: $PKI/ca.pem"
  run
  expect_rc 0
  served=$(( $(count good) - before ))
  [[ "$(sent)" == "$served" ]] || fail "$transport: stagegate sent $(sent), nginx logged $served"
  (( served > 10 )) || fail "$transport: too few requests ($served)"
  [[ $(jqr "$WORK/out/results.json" '[.stages[].metrics.errors.tls // 0] | add') == 0 ]] ||
    fail "$transport: TLS errors on a verified target"
done
grep -q "TLSv1.3" "$NG/logs/good.log" || fail "no TLS 1.3 request in nginx's log"
# A new connection per request (Connection: close): the lean transport resumes the TLS
# session (nginx logs $ssl_session_reused "r"), so the workload does not pay full handshakes.
before=$(count good)
pipeline "https://127.0.0.1:$P_GOOD" lean "ca_file: $PKI/ca.pem" "" "  headers: { Connection: close }"
run
expect_rc 0
served=$(( $(count good) - before ))
[[ "$(sent)" == "$served" ]] || fail "Connection: close: stagegate sent $(sent), nginx logged $served"
reused=$(tail -n "$served" "$NG/logs/good.log" | grep -c ' r$' || true)
(( reused * 2 > served )) || fail "only $reused of $served new connections resumed a TLS session"

# 2. The same target without ca_file: not trusted, at once, with the fix and the certificate.
echo "step 2" >&2
pipeline "https://127.0.0.1:$P_GOOD" auto ""
run
refused "target.tls.ca_file"
grep -qF "issuer CN=stagegate test CA" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "the message does not show the certificate's issuer"
grep -qF "https://127.0.0.1:$P_GOOD" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "the message does not name the URL"
# target.tls.insecure (the alias of target.insecure) runs, and every report says so.
pipeline "https://127.0.0.1:$P_GOOD" auto "insecure: true"
run
expect_rc 0
[[ $(jqr "$WORK/out/results.json" '.warnings[0]') == "target.insecure is true"* ]] ||
  fail "no warning that verification was off"
grep -q "Warning:\*\* target.insecure is true" "$WORK/out/report.md" || fail "report.md warning"
# SSL_CERT_FILE is honoured as OpenSSL does (by a pipeline that verifies: not the insecure
# one above, which would pass without it; run_tls_settings.sh covers SSL_CERT_DIR too).
pipeline "https://127.0.0.1:$P_GOOD" auto ""
SSL_CERT_FILE="$PKI/ca.pem" run
expect_rc 0

# 3. mTLS: refused without a client certificate, served with one.
echo "step 3" >&2
pipeline "https://127.0.0.1:$P_MTLS" auto "ca_file: $PKI/ca.pem"
run
expect_rc 3  # nginx answers 400 "No required SSL certificate was sent": not healthy
for transport in lean curl; do
  before=$(count mtls)
  pipeline "https://127.0.0.1:$P_MTLS" "$transport" \
    "ca_file: $PKI/ca.pem, client_cert: $PKI/client.pem, client_key: $PKI/client.key"
  run
  expect_rc 0
  [[ "$(sent)" == "$(( $(count mtls) - before ))" ]] || fail "mTLS $transport: counts differ"
done

# 4. Name mismatch: refused, then fixed with server_name.
echo "step 4" >&2
pipeline "https://127.0.0.1:$P_OTHER" auto "ca_file: $PKI/ca.pem"
run
refused "target.tls.server_name"
grep -qF "names other.test" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  fail "the message does not list the names the certificate holds"
for transport in lean curl; do
  pipeline "https://127.0.0.1:$P_OTHER" "$transport" "ca_file: $PKI/ca.pem, server_name: other.test"
  run
  expect_rc 0
done

# 5. Expired.
echo "step 5" >&2
pipeline "https://127.0.0.1:$P_EXPIRED" auto "ca_file: $PKI/ca.pem"
run
refused "certificate has expired"

# 6. https:// to an http port, and http:// to an https port.
echo "step 6" >&2
pipeline "https://127.0.0.1:$P_PLAIN" auto "ca_file: $PKI/ca.pem"
run
refused "use http://"
pipeline "http://127.0.0.1:$P_GOOD" auto ""
run
refused "use https://"

# 7. In-stage TLS failures are errors.tls: the health URL (plain) answers, the target's
echo "step 7" >&2
# certificate is not trusted, so every request fails as tls (a FAIL, not a crash).
for transport in lean curl; do
  pipeline "https://127.0.0.1:$P_GOOD" "$transport" "" "http://127.0.0.1:$P_PLAIN/health"
  run
  [[ "$RC" == 1 || "$RC" == 3 ]] || { cat "$WORK/stdout.txt" "$WORK/stderr.txt"; fail "$transport: exit $RC"; }
  tls_errors=$(jqr "$WORK/out/results.json" '[.stages[].metrics.errors.tls // 0] | add')
  (( tls_errors > 0 )) || fail "$transport: no errors.tls counted"
done
echo "ok"
