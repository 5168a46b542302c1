# Hints that tell causes apart (issue 11 item 9), each quoting a sample body, its status and
# its count: connection-pool exhaustion (the demo backend's Prisma-style P2024 pool timeout,
# from a one-connection pool and slow queries) and database/schema errors (its P2023
# "Inconsistent column data" from FAULT_ERROR_RATE) are two hints with two fixes, never one
# bucket; a client-side validation answer (400 for limit=0 on history) is printed on the
# console under its operation with the body.
source "$(dirname "$0")/lib.sh"
need jq

run_case() { # usage: run_case NAME (environment exported by the caller); expects FAIL
  export PORT=$(free_port)
  run_stagegate run "$PIPELINES/causes.yaml" --out "$WORK/$1" --no-progress
  expect_rc 1
  cp "$WORK/stdout.txt" "$WORK/$1.stdout"
}

# 1. Pool exhaustion: 1 connection held 300 ms per query, 50 ms pool timeout, 6 VUs.
export DATABASE_POOL_SIZE=1 DATABASE_POOL_TIMEOUT_MS=50 FAULT_QUERY_DELAY_MS=300 VUS=6
run_case pool
grep -Eq 'hint: [0-9]+ failed responses \(status 500, first on operation "(send|history)"\) say the database connection pool ran dry.*Sample body: .*P2024.* \(evidence: failure_classes.pool\)' \
  "$WORK/pool.stdout" || { grep hint: "$WORK/pool.stdout"; fail "pool hint with status, count and body on the console"; }
! grep -q 'are database or schema errors' "$WORK/pool.stdout" || fail "pool timeouts filed as database errors"
# The health answers polled during the stage show the one connection in use.
grep -q 'the health answer showed the pool full (pool.in_use == pool.size)' "$WORK/pool.stdout" ||
  fail "pool hint cites the health answer's pool.in_use == pool.size"
[[ $(jqr "$WORK/pool/results.json" '.stages[0].extra.failure_classes.pool.count') -gt 0 ]] || fail "pool count"
grep -q 'connection pool ran dry' "$WORK/pool/report.md" || fail "pool hint in report.md"
unset DATABASE_POOL_SIZE DATABASE_POOL_TIMEOUT_MS FAULT_QUERY_DELAY_MS VUS

# 2. Database/schema errors: every other request answered 500 with a P2023 body.
export FAULT_ERROR_RATE=0.5
run_case database
grep -Eq 'hint: [0-9]+ failed responses \(status 500, first on operation "(send|history)"\) are database or schema errors.*Sample body: .*Inconsistent column data.* \(evidence: failure_classes.database\)' \
  "$WORK/database.stdout" || { grep hint: "$WORK/database.stdout"; fail "database hint on the console"; }
! grep -q 'connection pool ran dry' "$WORK/database.stdout" || fail "database errors filed as pool exhaustion"
unset FAULT_ERROR_RATE

# 3. A validation answer on one operation: its body on the console, under its name.
export LIMIT=0
run_case validation
grep -q 'hint: [0-9]* client errors (4xx) on operation "history" only: .*the backend answered 400 {"error":"invalid limit: expected an integer between 1 and 100"}' \
  "$WORK/validation.stdout" || { grep hint: "$WORK/validation.stdout"; fail "400 body on the console"; }
echo "ok"
