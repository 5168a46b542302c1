// One HTTP GET of a health URL with libcurl, and the readiness check on its answer
// (status plus `expect_json` pointers). Used by the supervisor and before each stage.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/pipeline.hpp"
#include "core/units.hpp"

namespace orch {

// --- Interface ---

struct HealthAnswer {
    int status = 0;             ///< 0 when no HTTP answer
    std::string error;          ///< transport error in words ("connection refused"), or empty
    std::string body;           ///< first 64 KiB of the body
    nlohmann::json json;        ///< parsed body, or null
    double elapsed_ms = 0;
    /// True when status == expect_status and every expect_json pointer matches.
    bool healthy = false;
    /// Why not healthy, in words: "status 503 (expected 200)", "/status is \"degraded\"
    /// (expected \"ok\")", "connection refused".
    std::string problem;
};

/// Full URL of the health check: `health.url` if absolute, else base_url + url.
std::string health_url(const TargetSpec& target, const HealthSpec& health);

/// GETs `url` once, with `timeout`, sending the target's headers; never throws.
HealthAnswer probe_health(const std::string& url, const TargetSpec& target,
                          const HealthSpec& health, Duration timeout);

/// Reads a number at `pointer` in `json`; nullopt when absent or not a number.
std::optional<double> json_number_at(const nlohmann::json& json, const std::string& pointer);

}  // namespace orch
