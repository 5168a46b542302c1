// The renderers: a Kubernetes Indexed Job (one pod per segment) with a merge Job, and a
// GitHub Actions workflow (a matrix job per segment) with a merge job. How the segments
// agree on a start time and how the merge waits for the parts is written into the scripts
// below and into README.md ("More load than one machine"); both use the SPEC's names:
// `run --segment I/N --start-at T --no-backend` and `merge PART.json... --out DIR`.
#include "render/render.hpp"

#include <algorithm>
#include <cctype>

#include <yaml-cpp/yaml.h>

namespace orch {

namespace {

Error bad(std::string message) {
    return Error{ErrorCode::invalid_input, std::move(message), {}};
}

Result<void> check_parallelism(int n) {
    if (n < 1 || n > 256) {
        return tl::unexpected(
            bad("--parallelism " + std::to_string(n) + ": use a whole number from 1 to 256"));
    }
    return {};
}

// The segment pod: the first pod to get here fixes the start for every pod (its clock +
// LEAD_S) in start-at on the shared claim; `ln` is atomic and fails when the name exists,
// so every pod reads the same time. A segment's PASS, FAIL or INCONCLUSIVE is a part for the
// merge, not the verdict, so the pod succeeds; INVALID or ERROR fail it. `done` marks a
// finished part (results.json is also written while the run goes on).
constexpr const char* k_segment_script = R"SH(set -eu
i="$JOB_COMPLETION_INDEX"
mkdir -p "$RUN_DIR"
date -u -d "@$(( $(date +%s) + LEAD_S ))" +%Y-%m-%dT%H:%M:%SZ > "$RUN_DIR/start-at.$i"
ln "$RUN_DIR/start-at.$i" "$RUN_DIR/start-at" 2>/dev/null || true
start_at="$(cat "$RUN_DIR/start-at")"
code=0
stagegate run /p/pipeline.yaml --segment "$i/$N" --start-at "$start_at" --no-backend \
  --out "$RUN_DIR/part-$i" || code=$?
echo "$code" > "$RUN_DIR/part-$i.done"
case "$code" in 0|1|4) exit 0 ;; *) exit "$code" ;; esac
)SH";

// The merge pod: waits (at most WAIT_S) until every segment has marked its part done, then
// merges; parts still missing then are merged with --allow-missing (INCONCLUSIVE). Its exit
// code is the gate: the Job completes on PASS and fails on anything else.
constexpr const char* k_merge_script = R"SH(set -eu
waited=0
missing=""
while :; do
  have=0; i=0
  while [ "$i" -lt "$N" ]; do
    if [ -f "$RUN_DIR/part-$i.done" ]; then have=$((have + 1)); fi
    i=$((i + 1))
  done
  if [ "$have" -eq "$N" ]; then break; fi
  if [ "$waited" -ge "$WAIT_S" ]; then
    echo "stagegate: $have of $N parts after ${WAIT_S}s; merging them with --allow-missing" >&2
    missing="--allow-missing"
    break
  fi
  sleep 5
  waited=$((waited + 5))
done
set --
i=0
while [ "$i" -lt "$N" ]; do
  if [ -f "$RUN_DIR/part-$i.done" ] && [ -f "$RUN_DIR/part-$i/results.json" ]; then
    set -- "$@" "$RUN_DIR/part-$i/results.json"
  fi
  i=$((i + 1))
done
exec stagegate merge "$@" $missing --out "$RUN_DIR/merged"
)SH";

void env_var(YAML::Emitter& out, const std::string& name, const std::string& value) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "value"
        << YAML::Value << YAML::DoubleQuoted << value << YAML::EndMap;
}

void labels(YAML::Emitter& out, const std::string& app, const std::string& run_id,
            const std::string& part) {
    out << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "app.kubernetes.io/name" << YAML::Value << "stagegate";
    out << YAML::Key << "app.kubernetes.io/instance" << YAML::Value << app;
    out << YAML::Key << "app.kubernetes.io/component" << YAML::Value << part;
    out << YAML::Key << "stagegate/run" << YAML::Value << run_id;
    out << YAML::EndMap;
}

/// One Job: its pod runs `script` in `image` with the pipeline at /p and the claim at
/// /results.
struct JobShape {
    std::string name;
    std::string component;
    std::string config_map;
    std::string script;
    bool indexed = false;
    int parallelism = 1;
    long active_deadline_s = 0;
    std::vector<std::pair<std::string, std::string>> env;
};

void emit_job(YAML::Emitter& out, const JobShape& job, const std::string& app,
              const RenderInput& input, const K8sOptions& options) {
    out << YAML::BeginDoc << YAML::BeginMap;
    out << YAML::Key << "apiVersion" << YAML::Value << "batch/v1";
    out << YAML::Key << "kind" << YAML::Value << "Job";
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << job.name;
    labels(out, app, input.run_id, job.component);
    out << YAML::EndMap;
    out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    if (job.indexed) {
        out << YAML::Key << "completionMode" << YAML::Value << "Indexed";
    }
    out << YAML::Key << "completions" << YAML::Value << job.parallelism;
    out << YAML::Key << "parallelism" << YAML::Value << job.parallelism;
    // A retried segment would start late and run its share twice: no retries.
    out << YAML::Key << "backoffLimit" << YAML::Value << 0;
    out << YAML::Key << "activeDeadlineSeconds" << YAML::Value << job.active_deadline_s;
    out << YAML::Key << "ttlSecondsAfterFinished" << YAML::Value << 86400;
    out << YAML::Key << "template" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    labels(out, app, input.run_id, job.component);
    out << YAML::EndMap;
    out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "restartPolicy" << YAML::Value << "Never";
    out << YAML::Key << "securityContext" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "runAsNonRoot" << YAML::Value << true;
    out << YAML::Key << "runAsUser" << YAML::Value << 10001;
    out << YAML::Key << "fsGroup" << YAML::Value << 10001;
    out << YAML::EndMap;
    out << YAML::Key << "containers" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << job.component;
    out << YAML::Key << "image" << YAML::Value << options.image;
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq << "sh"
        << "-c" << YAML::EndSeq;
    out << YAML::Key << "args" << YAML::Value << YAML::BeginSeq << YAML::Literal << job.script
        << YAML::EndSeq;
    out << YAML::Key << "env" << YAML::Value << YAML::BeginSeq;
    for (const auto& [name, value] : job.env) {
        env_var(out, name, value);
    }
    out << YAML::EndSeq;
    out << YAML::Key << "volumeMounts" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "pipeline" << YAML::Key
        << "mountPath" << YAML::Value << "/p" << YAML::Key << "readOnly" << YAML::Value << true
        << YAML::EndMap;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "results" << YAML::Key
        << "mountPath" << YAML::Value << "/results" << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::EndMap << YAML::EndSeq;  // the container, containers
    out << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "pipeline" << YAML::Key
        << "configMap" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
        << job.config_map << YAML::EndMap << YAML::EndMap;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "results" << YAML::Key
        << "persistentVolumeClaim" << YAML::Value << YAML::BeginMap << YAML::Key << "claimName"
        << YAML::Value << options.results_claim << YAML::EndMap << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::EndMap;  // pod spec
    out << YAML::EndMap;  // template
    out << YAML::EndMap;  // job spec
    out << YAML::EndMap << YAML::EndDoc;
}

std::string comment_lines(const std::string& text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            end = text.size();
        }
        out += "# " + text.substr(start, end - start) + "\n";
        start = end + 1;
    }
    return out;
}

}  // namespace

std::string dns1123_label(std::string_view text, std::size_t max) {
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        char lower = static_cast<char>(std::tolower(u));
        bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9');
        if (keep) {
            if (out.empty() && !(lower >= 'a' && lower <= 'z')) {
                out = "p-";  // a label must start with a letter here (a Job name's prefix)
            }
            out += lower;
        } else if (!out.empty() && out.back() != '-') {
            out += '-';
        }
    }
    if (out.size() > max) {
        out.resize(max);
    }
    while (!out.empty() && out.back() == '-') {
        out.pop_back();
    }
    return out.empty() ? std::string("stagegate") : out;
}

std::string render_base_name(const std::filesystem::path& file) {
    return dns1123_label(file.stem().string(), 40);
}

long planned_seconds(const Pipeline& pipeline) {
    double seconds = 0;
    for (const auto& stage : pipeline.stages) {
        seconds += to_seconds(stage.duration) + to_seconds(stage.ramp_up) +
                   to_seconds(stage.ramp_down) + to_seconds(stage.graceful_stop) +
                   to_seconds(stage.cooldown.value_or(pipeline.defaults.cooldown));
    }
    return static_cast<long>(seconds + 0.999);
}

Result<std::string> render_k8s(const RenderInput& input, const K8sOptions& options) {
    if (auto ok = check_parallelism(input.parallelism); !ok) {
        return tl::unexpected(ok.error());
    }
    if (options.image.empty()) {
        return tl::unexpected(
            bad("render k8s needs --image IMAGE: the container image the "
                "pods run (e.g. ghcr.io/stagegate/stagegate:1)"));
    }
    if (options.results_claim.empty()) {
        return tl::unexpected(
            bad("render k8s needs --results-claim PVC: the parts of the N pods must reach one "
                "merge step and an emptyDir is private to its pod; create a ReadWriteMany "
                "PersistentVolumeClaim and name it here"));
    }
    const std::string base = render_base_name(input.file);
    const std::string app = dns1123_label(base + "-" + input.run_id, 52);
    const std::string n = std::to_string(input.parallelism);
    const std::string run_dir = "/results/" + app;
    const long planned = planned_seconds(*input.pipeline);
    // The merge waits for the lead, the whole plan and ten minutes for pods to be scheduled
    // and reports to be written; the Jobs' deadlines are a little longer.
    const long wait_s = options.lead_s + planned + 600;

    std::string header = "stagegate render k8s: \"" + input.pipeline->name + "\" (" +
                         input.file.string() + ") in " + n + " segments, run " + input.run_id +
                         ".\nApply: kubectl apply -f this.yaml; the gate: kubectl wait "
                         "--for=condition=complete job/" +
                         app + "-merge --timeout=" + std::to_string(wait_s + 120) +
                         "s\nParts and the merged reports: " + run_dir + "/ on the claim " +
                         options.results_claim + ".";

    YAML::Emitter out;
    out << YAML::BeginDoc << YAML::BeginMap;
    out << YAML::Key << "apiVersion" << YAML::Value << "v1";
    out << YAML::Key << "kind" << YAML::Value << "ConfigMap";
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << app + "-pipeline";
    labels(out, app, input.run_id, "pipeline");
    out << YAML::EndMap;
    out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "pipeline.yaml" << YAML::Value << YAML::Literal << input.pipeline_text;
    out << YAML::EndMap;
    out << YAML::EndMap << YAML::EndDoc;

    JobShape segments;
    segments.name = app + "-segments";
    segments.component = "segment";
    segments.config_map = app + "-pipeline";
    segments.script = k_segment_script;
    segments.indexed = true;
    segments.parallelism = input.parallelism;
    segments.active_deadline_s = wait_s;
    segments.env = {{"N", n}, {"RUN_DIR", run_dir}, {"LEAD_S", std::to_string(options.lead_s)}};
    emit_job(out, segments, app, input, options);

    JobShape merge;
    merge.name = app + "-merge";
    merge.component = "merge";
    merge.config_map = app + "-pipeline";
    merge.script = k_merge_script;
    merge.active_deadline_s = wait_s + 120;
    merge.env = {{"N", n}, {"RUN_DIR", run_dir}, {"WAIT_S", std::to_string(wait_s)}};
    emit_job(out, merge, app, input, options);

    if (!out.good()) {
        return tl::unexpected(Error{ErrorCode::internal, "render k8s: " + out.GetLastError(), {}});
    }
    return comment_lines(header) + out.c_str() + "\n";
}

Result<std::string> render_github(const RenderInput& input, const GithubOptions& options) {
    if (auto ok = check_parallelism(input.parallelism); !ok) {
        return tl::unexpected(ok.error());
    }
    if (options.image.empty()) {
        return tl::unexpected(bad("--image: give the container image the merge job runs in"));
    }
    const std::string n = std::to_string(input.parallelism);
    const std::string file = input.file.generic_string();
    const long planned = planned_seconds(*input.pipeline);
    const long minutes = (options.lead_s + planned) / 60 + 30;

    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value
        << "stagegate: " + input.pipeline->name + " in " + n + " segments";
    out << YAML::Key << "on" << YAML::Value << YAML::BeginMap << YAML::Key << "workflow_dispatch"
        << YAML::Value << YAML::Null << YAML::EndMap;
    out << YAML::Key << "permissions" << YAML::Value << YAML::BeginMap << YAML::Key << "contents"
        << YAML::Value << "read" << YAML::EndMap;
    out << YAML::Key << "jobs" << YAML::Value << YAML::BeginMap;

    // plan: one clock fixes the start for every segment (its time + the lead).
    out << YAML::Key << "plan" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "runs-on" << YAML::Value << "ubuntu-latest";
    out << YAML::Key << "outputs" << YAML::Value << YAML::BeginMap << YAML::Key << "start-at"
        << YAML::Value << "${{ steps.start.outputs.start-at }}" << YAML::EndMap;
    out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << "start";
    out << YAML::Key << "env" << YAML::Value << YAML::BeginMap << YAML::Key << "LEAD_S"
        << YAML::Value << YAML::DoubleQuoted << std::to_string(options.lead_s) << YAML::EndMap;
    out << YAML::Key << "run" << YAML::Value
        << "echo \"start-at=$(date -u -d \"@$(( $(date +%s) + LEAD_S ))\" "
           "+%Y-%m-%dT%H:%M:%SZ)\" >> \"$GITHUB_OUTPUT\"";
    out << YAML::EndMap << YAML::EndSeq;
    out << YAML::EndMap;

    // segment: one matrix job per segment, its part uploaded as the artifact part-I.
    out << YAML::Key << "segment" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "needs" << YAML::Value << "plan";
    out << YAML::Key << "runs-on" << YAML::Value << "ubuntu-latest";
    out << YAML::Key << "timeout-minutes" << YAML::Value << minutes;
    out << YAML::Key << "strategy" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "fail-fast" << YAML::Value << false;
    out << YAML::Key << "matrix" << YAML::Value << YAML::BeginMap << YAML::Key << "index"
        << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (int i = 0; i < input.parallelism; ++i) {
        out << i;
    }
    out << YAML::EndSeq << YAML::EndMap;
    out << YAML::EndMap;
    out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "uses" << YAML::Value << "actions/checkout@v5"
        << YAML::EndMap;
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << "Segment ${{ matrix.index }} of " + n;
    out << YAML::Key << "uses" << YAML::Value << "stagegate/stagegate@v1";
    // One segment's verdict is a part, not the gate: the merge job gates.
    out << YAML::Key << "continue-on-error" << YAML::Value << true;
    out << YAML::Key << "with" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "pipeline" << YAML::Value << file;
    out << YAML::Key << "out" << YAML::Value << "part-${{ matrix.index }}";
    out << YAML::Key << "artifact-name" << YAML::Value << "part-${{ matrix.index }}";
    out << YAML::Key << "args" << YAML::Value
        << "--segment ${{ matrix.index }}/" + n +
               " --start-at ${{ needs.plan.outputs.start-at }} --no-backend";
    out << YAML::EndMap;
    out << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::EndMap;

    // merge: every part, merged and judged; its exit code is the workflow's gate.
    out << YAML::Key << "merge" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "needs" << YAML::Value << "segment";
    out << YAML::Key << "if" << YAML::Value << "${{ !cancelled() }}";
    out << YAML::Key << "runs-on" << YAML::Value << "ubuntu-latest";
    out << YAML::Key << "timeout-minutes" << YAML::Value << 30;
    out << YAML::Key << "container" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "image" << YAML::Value << options.image;
    out << YAML::Key << "options" << YAML::Value << "--user 0";
    out << YAML::EndMap;
    out << YAML::Key << "steps" << YAML::Value << YAML::BeginSeq;
    out << YAML::BeginMap << YAML::Key << "uses" << YAML::Value << "actions/download-artifact@v7"
        << YAML::Key << "with" << YAML::Value << YAML::BeginMap << YAML::Key << "pattern"
        << YAML::Value << "part-*" << YAML::Key << "path" << YAML::Value << "parts" << YAML::EndMap
        << YAML::EndMap;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "Merge and judge";
    out << YAML::Key << "run" << YAML::Value
        << "stagegate merge parts/part-*/results.json --out merged";
    out << YAML::EndMap;
    out << YAML::BeginMap << YAML::Key << "if" << YAML::Value << "${{ always() }}" << YAML::Key
        << "uses" << YAML::Value << "actions/upload-artifact@v6" << YAML::Key << "with"
        << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "stagegate-merged"
        << YAML::Key << "path" << YAML::Value << "merged" << YAML::EndMap << YAML::EndMap;
    out << YAML::EndSeq;
    out << YAML::EndMap;

    out << YAML::EndMap;  // jobs
    out << YAML::EndMap;
    if (!out.good()) {
        return tl::unexpected(
            Error{ErrorCode::internal, "render github: " + out.GetLastError(), {}});
    }
    std::string header = "stagegate render github: \"" + input.pipeline->name + "\" (" + file +
                         ") in " + n + " segments.\nSave as .github/workflows/" +
                         render_base_name(input.file) +
                         "-segments.yml; run it from the Actions tab (workflow_dispatch).";
    return comment_lines(header) + out.c_str() + "\n";
}

}  // namespace orch
