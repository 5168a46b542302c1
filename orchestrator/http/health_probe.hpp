// One HTTP GET of a health URL with libcurl, and the readiness check on its answer
// (status plus `expect_json` pointers). Used by the supervisor and before each stage.
#pragma once

#include <optional>
#include <stop_token>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "config/pipeline.hpp"
#include "core/json_box.hpp"
#include "core/units.hpp"

namespace orch {

// --- Interface ---

struct HealthAnswer {
    int status = 0;     ///< 0 when no HTTP answer
    std::string error;  ///< transport error in words ("connection refused"), or empty
    std::string body;   ///< first 64 KiB of the body
    JsonBox json;       ///< parsed body, or null
    double elapsed_ms = 0;
    /// True when status == expect_status and every expect_json pointer matches.
    bool healthy = false;
    /// Why not healthy, in words: "status 503 (expected 200)", "/status is \"degraded\"
    /// (expected \"ok\")", "connection refused".
    std::string problem;
    /// A TLS failure retrying cannot fix (certificate not trusted, name mismatch, expired,
    /// handshake refused, http and https mixed up): `error` says why and what fixes it.
    bool tls_fatal = false;
};

/// Full URL of the health check: `health.url` if absolute, else base_url + url.
std::string health_url(const TargetSpec& target, const HealthSpec& health);

/// GETs `url` once, with `timeout`, sending the target's headers; never throws.
/// Header values that hold `{{slots}}` are skipped (no request context here);
/// `target.tls` and `target.insecure` set up TLS (http/tls_client.hpp); loopback addresses never go
/// through a proxy. `problem` and `error` are redacted (core/redact.hpp). A stop request on `stop`
/// aborts the transfer within about a second (error "interrupted").
HealthAnswer probe_health(const std::string& url, const TargetSpec& target,
                          const HealthSpec& health, Duration timeout, std::stop_token stop = {});

/// Readiness for a pipeline without a health block: can a TCP connection to
/// `host`:`port` be opened within `timeout`? `healthy` when it can; otherwise `error` and
/// `problem` say why ("connection refused", "timed out after 1s", "could not resolve
/// host x"). `status` stays 0.
HealthAnswer probe_tcp_answer(const std::string& host, int port, Duration timeout);

/// probe_tcp_answer(...).healthy.
bool probe_tcp(const std::string& host, int port, Duration timeout);

/// Reads a number at `pointer` in `json`; nullopt when absent or not a number.
std::optional<double> json_number_at(const nlohmann::json& json, const std::string& pointer);

}  // namespace orch
