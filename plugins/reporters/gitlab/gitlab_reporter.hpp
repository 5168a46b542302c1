// GitLab's load performance report (`stagegate report --format gitlab-load-performance`):
// the JSON k6 writes with --summary-export, which GitLab's merge request widget reads
// (checks, http_req_duration p(90)/p(95), http_reqs rate, http_req_waiting as TTFB).
#pragma once

#include <memory>

#include "plugin/reporter.hpp"

namespace orch {

// --- Interface ---

/// Writes `load-performance.json` (format "gitlab-load-performance"), in k6's
/// summary-export shape: `root_group` and `metrics`. The unsuffixed metrics describe the
/// last stage that ran (the heaviest load reached); `http_reqs{stage:NAME}` and
/// `http_req_duration{stage:NAME}` describe every stage that ran and
/// `http_req_duration{operation:OP}` each operation of that last stage. `checks` counts
/// the criteria of every stage that ran (passes = met). Times in milliseconds, as k6.
std::unique_ptr<Reporter> make_gitlab_reporter();

}  // namespace orch
