# The target.tls settings run_tls_nginx.sh does not cover, against a real nginx with a test
# CA and certificates made here by openssl:
#   1. ca_dir: a folder hashed with `openssl rehash` is trusted (lean, curl, health probe);
#      the same folder unhashed is not (so the folder, not something else, did it);
#   2. SSL_CERT_FILE and SSL_CERT_DIR (no target.tls at all) honoured by lean and curl;
#   3. an encrypted client key whose passphrase comes from ${VAR}: mTLS served (lean and
#      curl, the health probe too), the passphrase in no file written and no output;
#      a wrong passphrase is refused before any request;
#   4. min_version "1.3" against an nginx that offers only TLS 1.2: exit 3 at once, the
#      message names min_version;
#   5. the command executor (a real script that calls curl) gets the settings as its
#      environment and curl, reading CURL_CA_BUNDLE, reaches the target verified; the
#      passphrase is not exported;
#   6. the k6 executor's environment (the k6 stand-in, a TEST DOUBLE since k6 is not
#      installed here: it records the environment k6 would get) holds SSL_CERT_FILE,
#      SSL_CERT_DIR and K6_INSECURE_SKIP_TLS_VERIFY.
source "$(dirname "$0")/lib.sh"
need nginx
need openssl
need jq
need curl
NGINX=$(command -v nginx)

# --- PKI in $WORK/pki: a CA, a server certificate for 127.0.0.1, a client certificate
# --- with an AES-encrypted key.
PKI="$WORK/pki"
PASSPHRASE="pass-Zq7-$RANDOM$RANDOM-phrase"
mkdir -p "$PKI"
cd "$PKI"
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 "${@:2}" -out "$1" 2>/dev/null; }
ec ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days 2 -subj "/CN=stagegate settings CA" 2>/dev/null
ec server.key
openssl req -new -key server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2>/dev/null
ec client.key -aes-256-cbc -pass "pass:$PASSPHRASE"
grep -q "ENCRYPTED PRIVATE KEY" client.key || fail "openssl did not encrypt the client key"
openssl req -new -key client.key -passin "pass:$PASSPHRASE" -out client.csr \
  -subj "/CN=stagegate client" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
  -out client.pem 2>/dev/null
# The CA in a hashed folder (HASH.0 links, as c_rehash makes) and in an unhashed one.
mkdir -p hashed unhashed
cp ca.pem hashed/test-ca.pem
cp ca.pem unhashed/test-ca.pem
openssl rehash hashed 2>/dev/null || c_rehash hashed >/dev/null
ls hashed/*.0 >/dev/null 2>&1 || fail "openssl rehash made no hash link"
cd "$SOURCE_DIR"

# --- nginx: verified server (TLS 1.2 and 1.3), mTLS server, TLS-1.2-only server.
P_GOOD=$(free_port); P_MTLS=$(free_port); P_TLS12=$(free_port)
NG="$WORK/nginx"
mkdir -p "$NG/html"
echo "hello over tls" >"$NG/html/index.html"
server() {  # PORT NAME PROTOCOLS [extra]; /echo answers 500 quoting its query parameter p
  nginx_tls_server "$NG" "$1" "$2" "$PKI/server" "ssl_protocols $3; ${4:-}
    location = /echo { access_log off; return 500 \"echo \$arg_p\"; }"
}
write_nginx_conf "$NG" '$request $status $ssl_protocol' "$(
  server "$P_GOOD" good "TLSv1.2 TLSv1.3"
  server "$P_MTLS" mtls "TLSv1.2 TLSv1.3" "ssl_verify_client on; ssl_client_certificate $PKI/ca.pem;"
  server "$P_TLS12" tls12 "TLSv1.2"
)"
start_nginx "$NG" "https://127.0.0.1:$P_GOOD/health" --cacert "$PKI/ca.pem"

# --- pipeline(URL, TRANSPORT, TLS-BLOCK [, SCENARIO [, HEALTH-URL]]): the health URL is the
# --- target's own /health unless given, so the health probe uses the same settings as the
# --- requests.
pipeline() {
  local scenario=${4:-"  operations:
    - { name: page, path: /index.html }"}
  cat >"$WORK/p.yaml" <<EOF
version: 1
name: tls settings e2e
target:
  base_url: $1
  transport: $2
  tls: { $3 }
health:
  url: ${5:-/health}
  startup_timeout: 20s
scenario:
$scenario
stages:
  - { name: one, vus: 2, duration: 1s, criteria: ["success_rate == 100%"] }
EOF
}
count() { [[ -f "$NG/logs/$1.log" ]] && wc -l <"$NG/logs/$1.log" || echo 0; }
sent() { jqr "$WORK/out/results.json" '[.stages[].metrics.requests] | add'; }
run() { rm -rf "$WORK/out"; run_stagegate run "$WORK/p.yaml" --out "$WORK/out" --no-progress; }
show() { cat "$WORK/stdout.txt" "$WORK/stderr.txt"; }
# A served run: exit 0 and nginx logged every request stagegate counted.
served() {  # LOG WHAT
  local before=$2
  [[ "$RC" == 0 ]] || { show; fail "$1: exit $RC, expected 0"; }
  local logged=$(( $(count "$1") - before ))
  [[ "$(sent)" == "$logged" ]] || fail "$1: stagegate sent $(sent), nginx logged $logged"
  (( logged > 5 )) || fail "$1: too few requests ($logged)"
}
# A refused run: exit 3 within a few seconds (the health wait is 20 s), naming $1.
refused() {
  [[ "$RC" == 3 ]] || { show; fail "exit $RC, expected 3"; }
  (( ELAPSED_MS < 5000 )) || fail "took ${ELAPSED_MS} ms to give up: not fail-fast"
  grep -qF -- "$1" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
    { show; fail "the message does not say \"$1\""; }
}

# 1. ca_dir.
echo "step 1: ca_dir" >&2
for transport in lean curl; do
  before=$(count good)
  pipeline "https://127.0.0.1:$P_GOOD" "$transport" "ca_dir: $PKI/hashed"
  run
  served good "$before"
done
pipeline "https://127.0.0.1:$P_GOOD" auto "ca_dir: $PKI/unhashed"
run
refused "target.tls.ca_file"

# 2. SSL_CERT_FILE / SSL_CERT_DIR, no target.tls.
echo "step 2: SSL_CERT_FILE, SSL_CERT_DIR" >&2
for transport in lean curl; do
  pipeline "https://127.0.0.1:$P_GOOD" "$transport" ""
  before=$(count good)
  SSL_CERT_FILE="$PKI/ca.pem" run
  served good "$before"
  before=$(count good)
  SSL_CERT_DIR="$PKI/hashed" run
  served good "$before"
  # The control: neither set, so nothing trusts the test CA.
  run
  refused "target.tls.ca_file"
done

# 3. An encrypted client key, its passphrase from ${VAR} (a name that is not secret-like:
# client_key_password is a secret whatever the variable is called).
echo "step 3: encrypted client key" >&2
mtls="ca_file: $PKI/ca.pem, client_cert: $PKI/client.pem, client_key: $PKI/client.key"
for transport in lean curl; do
  before=$(count mtls)
  pipeline "https://127.0.0.1:$P_MTLS" "$transport" "$mtls, client_key_password: \"\${MTLS_PHRASE}\""
  MTLS_PHRASE="$PASSPHRASE" run
  served mtls "$before"
  leaks=$(grep -rlF -- "$PASSPHRASE" "$WORK/out" "$WORK/stdout.txt" "$WORK/stderr.txt" || true)
  [[ -z "$leaks" ]] || fail "$transport: the passphrase is written in: $leaks"
done
# Where the value is shown: nginx's /echo answers 500 with the query's p in the body, and
# failure samples (results.json, reports, hints) quote bodies. Once client_key_password
# holds the value it is a secret there too; the control, without client_key_password,
# shows it in clear (so the check can fail).
phrase_scenario="  operations:
    - { name: page, path: \"/echo?p=\${ECHO_PHRASE}\" }"
pipeline "https://127.0.0.1:$P_MTLS" lean "$mtls, client_key_password: \"\${MTLS_PHRASE}\"" \
  "$phrase_scenario"
MTLS_PHRASE="$PASSPHRASE" ECHO_PHRASE="$PASSPHRASE" run
[[ "$RC" == 1 ]] || { show; fail "500s: exit $RC, expected 1 (FAIL)"; }
leaks=$(grep -rlF -- "$PASSPHRASE" "$WORK/out" "$WORK/stdout.txt" "$WORK/stderr.txt" || true)
[[ -z "$leaks" ]] || fail "the passphrase is written in: $leaks"
grep -rqF -- "echo ***" "$WORK/out" || fail "the redacted body is in no output"
pipeline "https://127.0.0.1:$P_GOOD" lean "ca_file: $PKI/ca.pem" "$phrase_scenario"
ECHO_PHRASE="$PASSPHRASE" run
[[ "$RC" == 1 ]] || { show; fail "control 500s: exit $RC, expected 1 (FAIL)"; }
grep -rqF -- "$PASSPHRASE" "$WORK/out" ||
  fail "control: the body is in no output, so the redaction check above proves nothing"
# The run's explanation of its own settings (--verbose, dry run) redacts it too.
pipeline "https://127.0.0.1:$P_MTLS" lean "$mtls, client_key_password: \"\${MTLS_PHRASE}\""
set +e
MTLS_PHRASE="$PASSPHRASE" "$STAGEGATE" validate "$WORK/p.yaml" >"$WORK/validate.txt" 2>&1
set -e
! grep -qF -- "$PASSPHRASE" "$WORK/validate.txt" || fail "validate prints the passphrase"
# A wrong passphrase: refused before any request, naming the setting, not echoing it.
before=$(count mtls)
MTLS_PHRASE="wrong-$PASSPHRASE" run
[[ "$RC" == 2 || "$RC" == 3 ]] || { show; fail "wrong passphrase: exit $RC"; }
grep -qF "client_key_password" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  { show; fail "wrong passphrase: the message does not name client_key_password"; }
! grep -rqF -- "wrong-$PASSPHRASE" "$WORK/stdout.txt" "$WORK/stderr.txt" "$WORK/out" ||
  fail "the wrong passphrase is shown"
[[ "$(count mtls)" == "$before" ]] || fail "requests were sent with a key that cannot be read"
# No passphrase at all: refused, the message says the key is encrypted.
pipeline "https://127.0.0.1:$P_MTLS" lean "$mtls"
run
[[ "$RC" == 2 || "$RC" == 3 ]] || { show; fail "no passphrase: exit $RC"; }
grep -qF "client_key_password" "$WORK/stdout.txt" "$WORK/stderr.txt" ||
  { show; fail "no passphrase: the message does not name client_key_password"; }

# 4. min_version "1.3" against a TLS-1.2-only nginx; "1.2" (the default) is served there.
echo "step 4: min_version" >&2
for transport in lean curl; do
  pipeline "https://127.0.0.1:$P_TLS12" "$transport" "ca_file: $PKI/ca.pem, min_version: \"1.3\""
  run
  refused "min_version"
  before=$(count tls12)
  pipeline "https://127.0.0.1:$P_TLS12" "$transport" "ca_file: $PKI/ca.pem"
  run
  served tls12 "$before"
done
grep -q "TLSv1.2" "$NG/logs/tls12.log" || fail "nginx logged no TLS 1.2 request"
# The transports themselves (not only the health probe): the health URL on the server that
# offers TLS 1.3 passes, every request to the TLS-1.2-only one fails as errors.tls.
for transport in lean curl; do
  pipeline "https://127.0.0.1:$P_TLS12" "$transport" "ca_file: $PKI/ca.pem, min_version: \"1.3\"" "" \
    "https://127.0.0.1:$P_GOOD/health"
  before=$(count tls12)
  run
  [[ "$RC" == 1 ]] || { show; fail "$transport min_version 1.3 in the stage: exit $RC, expected 1"; }
  tls_errors=$(jqr "$WORK/out/results.json" '[.stages[].metrics.errors.tls // 0] | add')
  (( tls_errors > 0 )) && [[ "$tls_errors" == "$(sent)" ]] ||
    fail "$transport: $tls_errors of $(sent) requests counted as errors.tls"
  [[ "$(count tls12)" == "$before" ]] || fail "$transport: a request was served below TLS 1.3"
done

# 5. The command executor: a real script calling curl, which reads CURL_CA_BUNDLE.
echo "step 5: command executor environment" >&2
cat >"$WORK/tool.sh" <<'EOF'
#!/usr/bin/env bash
# Prints its TLS environment, then GETs the target 5 times with curl (no --cacert: curl
# reads CURL_CA_BUNDLE) and writes a stage result.
set -u
env | grep -E '^(SSL_CERT_|CURL_CA_BUNDLE|NODE_EXTRA_CA_CERTS|REQUESTS_CA_BUNDLE|STAGEGATE_TLS_|K6_INSECURE)' \
  | sort >"$TOOL_ENV_OUT"
env >"$TOOL_ENV_OUT.all"
ok=0
for _ in 1 2 3 4 5; do
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$STAGEGATE_BASE_URL/index.html" 2>>"$TOOL_ENV_OUT.curl")
  [[ "$code" == 200 ]] && ok=$((ok + 1))
done
failed=$((5 - ok))
cat >"$STAGEGATE_RESULT_FILE" <<JSON
{"schema": "stagegate.stage-result/v1", "tool": {"name": "curl-loop", "version": "1"},
 "duration_s": 1, "operations": [{"name": "page", "requests": 5,
 "errors": {"tls": $failed}, "status_counts": {"200": $ok},
 "latency_ms": {"percentiles": {"p50": 1, "p95": 2, "p99": 3}}}]}
JSON
EOF
chmod +x "$WORK/tool.sh"
command_scenario="  executor: command
  command: [$WORK/tool.sh]
  operations:
    - name: page"
pipeline "https://127.0.0.1:$P_GOOD" auto \
  "ca_file: $PKI/ca.pem, ca_dir: $PKI/hashed, server_name: 127.0.0.1, min_version: \"1.3\"" \
  "$command_scenario"
before=$(count good)
TOOL_ENV_OUT="$WORK/tool-env" run
[[ "$RC" == 0 ]] || { show; cat "$WORK/tool-env.curl" 2>/dev/null; fail "command executor: exit $RC"; }
(( $(count good) - before == 5 )) || fail "the tool's curl did not reach nginx verified"
for expected in "SSL_CERT_FILE=$PKI/ca.pem" "CURL_CA_BUNDLE=$PKI/ca.pem" \
  "SSL_CERT_DIR=$PKI/hashed" "STAGEGATE_TLS_CA_FILE=$PKI/ca.pem" \
  "STAGEGATE_TLS_CA_DIR=$PKI/hashed" "STAGEGATE_TLS_SERVER_NAME=127.0.0.1" \
  "STAGEGATE_TLS_MIN_VERSION=1.3"; do
  grep -qxF "$expected" "$WORK/tool-env" || { cat "$WORK/tool-env"; fail "command env lacks $expected"; }
done
# mTLS settings: the certificate and key paths are exported, the passphrase is not.
pipeline "https://127.0.0.1:$P_GOOD" auto \
  "ca_file: $PKI/ca.pem, client_cert: $PKI/client.pem, client_key: $PKI/client.key, client_key_password: \"\${MTLS_PHRASE}\", insecure: true" \
  "$command_scenario"
MTLS_PHRASE="$PASSPHRASE" TOOL_ENV_OUT="$WORK/tool-env" run
[[ "$RC" == 0 ]] || { show; fail "command executor (mTLS settings): exit $RC"; }
for expected in "STAGEGATE_TLS_CLIENT_CERT=$PKI/client.pem" \
  "STAGEGATE_TLS_CLIENT_KEY=$PKI/client.key" "STAGEGATE_TLS_INSECURE=true"; do
  grep -qxF "$expected" "$WORK/tool-env" || { cat "$WORK/tool-env"; fail "command env lacks $expected"; }
done
# (The tool inherits stagegate's own environment, MTLS_PHRASE included: no other variable
# may hold the passphrase.)
! grep -v '^MTLS_PHRASE=' "$WORK/tool-env.all" | grep -qF -- "$PASSPHRASE" ||
  fail "the passphrase is exported to the tool"

# 6. The k6 executor's environment, through the k6 stand-in (TEST DOUBLE: replays a
# recorded k6 run and records the environment it was given).
echo "step 6: k6 executor environment (stand-in)" >&2
mkdir -p "$WORK/k6"
echo "export default function () {}" >"$WORK/k6/script.js"
k6_scenario="  executor: k6
  script: $WORK/k6/script.js
  binary: $SOURCE_DIR/tests/fixtures/tools/k6-standin/k6
  operations:
    - name: page"
pipeline "https://127.0.0.1:$P_GOOD" auto \
  "ca_file: $PKI/ca.pem, ca_dir: $PKI/hashed, insecure: true" "$k6_scenario"
rm -rf "$WORK/k6rec"
K6_STANDIN_FIXTURE=pass K6_STANDIN_PAUSE=0 K6_STANDIN_RECORD="$WORK/k6rec" run
[[ -f "$WORK/k6rec/tls-env" ]] || { show; fail "the k6 stand-in did not run (exit $RC)"; }
for expected in "SSL_CERT_FILE=$PKI/ca.pem" "SSL_CERT_DIR=$PKI/hashed" \
  "K6_INSECURE_SKIP_TLS_VERIFY=true"; do
  grep -qxF "$expected" "$WORK/k6rec/tls-env" || { cat "$WORK/k6rec/tls-env"; fail "k6 env lacks $expected"; }
done
echo "ok"
