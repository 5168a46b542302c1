// Runtime configuration of chat-backend, read from environment variables.
// Parsing is strict: a malformed value is reported (all of them, not just the first) so that
// main() can print them and exit 2 instead of silently running with a default.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat {

// Faults injected on purpose for tests and demos. Zero / unset means "off".
struct FaultConfig {
    std::chrono::milliseconds startup_delay{0};
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds query_delay{0};
    double error_rate = 0.0;
    std::uint64_t crash_after_requests = 0;
    std::uint64_t leak_kb_per_request = 0;
    std::optional<double> unhealthy_after_s;
};

struct Config {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::string database_path;  // empty: shared in-memory database
    int pool_size = 10;
    std::chrono::milliseconds pool_timeout{2000};
    bool rate_limit_enabled = true;
    int rate_limit_per_min = 600;
    int http_threads = 256;
    bool log_requests = false;
    /// APP_VERSION: sent as `X-Version` on every response (a canary's two versions tell
    /// apart behind one router); empty: no header.
    std::string app_version;
    FaultConfig faults;
};

struct ConfigResult {
    Config config;
    std::vector<std::string> errors;  // one human-readable line per bad variable
};

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads every known variable through `lookup`. Empty values count as unset.
ConfigResult parse_config(const EnvLookup& lookup);

// EnvLookup backed by the process environment (std::getenv).
EnvLookup process_env();

}  // namespace chat
