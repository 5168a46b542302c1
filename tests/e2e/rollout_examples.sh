# examples/rollouts/: every manifest validates strictly against the Argo/Flagger CRDs and the
# Kubernetes schemas in tests/fixtures/rollouts/; every verdict of the future `stagegate serve`
# goes through the shipped web-provider conditions as Argo judges them; the ConfigMap's pipeline
# is valid for the schema and for `stagegate validate`; and the job provider's container command
# run here against a failing demo backend exits non-zero (the Job fails, so does the analysis).
source "$(dirname "$0")/lib.sh"
need node
modules="$SOURCE_DIR/tests/schema/node_modules"
[[ -d "$modules/ajv" && -d "$modules/js-yaml" ]] \
  || { echo "SKIP: run 'npm ci' in tests/schema first" >&2; exit 125; }
export NODE_PATH="$modules"
rollouts="$SOURCE_DIR/tests/rollouts"
mkdir -p "$WORK/pipelines"

node "$rollouts/check-manifests.js" "$SOURCE_DIR" "$WORK/pipelines" \
  || fail "examples/rollouts: a manifest does not validate (see above)"
node "$rollouts/check-verdicts.js" "$SOURCE_DIR" \
  || fail "the web AnalysisTemplate's conditions misjudge a verdict (see above)"

# The ConfigMap's pipeline, as the Job sees it (TARGET_URL comes from the template's argument).
pipeline="$WORK/pipelines/canary.yaml"
[[ -s "$pipeline" ]] || fail "the ConfigMap holds no canary.yaml"
schema_verdict=$(cd "$SOURCE_DIR/tests/schema" \
  && node schema-verdicts.js "$SOURCE_DIR/schemas/pipeline.schema.json" "$pipeline")
[[ "$schema_verdict" == *$'\tvalid\t'* ]] || fail "pipeline schema rejects the ConfigMap's pipeline: $schema_verdict"
TARGET_URL=http://127.0.0.1:8080 "$STAGEGATE" validate "$pipeline" >"$WORK/validate.log" 2>&1 \
  || { cat "$WORK/validate.log" >&2; fail "stagegate validate rejects the ConfigMap's pipeline"; }

# The Job's container args, with the mounts mapped to folders here, against a demo backend that
# fails every second request: stagegate exits 1, so the Job (backoffLimit 0) fails.
mapfile -t args < <(node -e '
  const yaml = require("js-yaml");
  const doc = yaml.safeLoad(require("fs").readFileSync(process.argv[1], "utf8"));
  const c = doc.spec.metrics[0].provider.job.spec.template.spec.containers[0];
  for (const a of c.args) console.log(a);' "$SOURCE_DIR/examples/rollouts/analysistemplate-job.yaml")
[[ "${args[0]} ${args[1]}" == "run /pipelines/canary.yaml" ]] || fail "unexpected Job args: ${args[*]}"
args=("${args[@]//\/pipelines/$WORK/pipelines}")
args=("${args[@]/#\/out/$WORK/out}")
export PORT=$(free_port)
start_backend "$PORT" DISABLE_RATE_LIMIT=true FAULT_ERROR_RATE=0.5
TARGET_URL="http://127.0.0.1:$PORT" run_stagegate "${args[@]}" --time-scale 0.1
expect_rc 1
[[ "$(jqr "$WORK/out/results.json" .verdict)" == FAIL ]] || fail "verdict is not FAIL"
jqr "$WORK/out/results.json" '[.stages[].criteria[] | select(.pass == false) | .expr] | join("\n")' \
  | grep -q '^success_rate' || fail "the run did not fail on success_rate"
echo "ok (manifests, verdicts, ConfigMap pipeline, Job command exits 1 on a failing canary)"
