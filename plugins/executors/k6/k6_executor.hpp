// The `k6` executor: runs the user's k6 script once per stage and measures it through k6's
// own per-request output. It is Taurus' k6 module in three parts: k6_command (flags from
// the stage), the runner here (k6 as a child process, its NDJSON output followed while it
// runs), and the readers (k6_output_reader for requests, k6_summary for checks and
// thresholds). User guide: plugins/executors/k6/README.md.
#pragma once

#include "config/pipeline.hpp"
#include "plugin/executor.hpp"

namespace orch {

// --- Interface ---

/// The factory registered as "k6"; its keys are K6Config's (k6_config.hpp).
///
/// prepare(): finds the binary (`scenario.binary`, else `k6` on PATH; a relative path with
/// a slash is taken from the pipeline file's folder) and checks that `scenario.script`
/// exists; either missing is an infrastructure error.
///
/// run_stage(): runs `k6 run ...` (k6_command.hpp) with the output folder as its working
/// directory; stdout+stderr go to `<out>/k6-<stage>.log`, the summary to
/// `<out>/k6-<stage>-summary.json`, per-request points to `<out>/k6-<stage>.ndjson`.
/// - Requests: every `http_req_duration` point is one request, recorded under the
///   pipeline operation its `scenario.operation_tag` tag names (declare them in
///   `scenario.operations` by name); other requests count in the totals only.
/// - Progress: the NDJSON file is read every 200 ms; the observer gets the requests
///   completed in each second.
/// - Stop token: SIGTERM to k6's process group (k6 stops gracefully and still writes its
///   summary), SIGKILL 5 s later; the stage is `stopped_early`.
/// - k6's exit code 99 (its own thresholds failed) is not an error: stagegate's criteria
///   decide. Any other non-zero exit with no request recorded is an infrastructure error
///   carrying the last lines of k6's output.
/// - StageRun::extra["k6"] = {"exit_code", "checks": [{name, passes, fails}],
///   "thresholds": [{metric, expression, ok}], "summary": {"http_reqs" (k6's count),
///   "ndjson_http_reqs", "ndjson_requests", "counts_match", "failed_requests",
///   "iterations", "duration_s"}, "untagged_requests", "unknown_operations", "artifacts"}.
///   A mismatch between the summary's http_reqs and the NDJSON's is logged as a warning.
///
/// The k6 executor for the registry: its `scenario:` keys (k6_config.hpp) and factory.
ExecutorPlugin k6_executor_plugin();

}  // namespace orch
