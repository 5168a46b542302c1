// The environment the `command` executor gives the program it runs: the stage's load as
// STAGEGATE_* variables (SPEC "Executors"). Pure, so the exact values are unit-tested.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/pipeline.hpp"

namespace orch {

// --- Interface ---

/// Variables added to the inherited environment for `stage`:
/// - STAGEGATE_STAGE: the stage name;
/// - STAGEGATE_VUS: vus (closed model) or max_vus (open model); STAGEGATE_MAX_VUS: the same;
/// - STAGEGATE_RATE: requests per second (open model; the start of a ramp), "0" in the
///   closed model; STAGEGATE_RATE_TO: the end of a rate ramp (= STAGEGATE_RATE when fixed);
/// - STAGEGATE_DURATION_S, STAGEGATE_RAMP_UP_S, STAGEGATE_TIMEOUT_S (target.timeout):
///   seconds, possibly fractional ("0.5");
/// - STAGEGATE_BASE_URL: target.base_url;
/// - STAGEGATE_RESULT_FILE: where the program writes its stage result;
/// - STAGEGATE_OUT_DIR: the output folder, for any other artifact the program keeps.
/// - target.tls as config/tls_environment.hpp exports it (SSL_CERT_FILE, STAGEGATE_TLS_*).
std::vector<std::pair<std::string, std::string>> command_environment(
    const Pipeline& pipeline, const StageSpec& stage, const std::filesystem::path& result_file,
    const std::filesystem::path& out_dir);

}  // namespace orch
