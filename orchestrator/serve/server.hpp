// `stagegate serve`: the HTTP service that runs pipelines from one folder for rollout
// controllers (issue 12 item 4). Routes, authentication and answers live here; which
// requests are allowed is serve/rules.hpp, how runs are started and stopped serve/run_queue.hpp.
#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "core/result.hpp"
#include "serve/rules.hpp"

namespace orch::serve {

// --- Interface ---

struct ServeOptions {
    ListenAddress listen{"127.0.0.1", 8686};
    std::filesystem::path pipelines_dir;  ///< runs only DIR/NAME.yaml (or .yml)
    std::filesystem::path out_dir;        ///< OUT/runs/ID per run, OUT/flagger.jsonl
    std::string token;                    ///< the bearer token every request must carry
    std::size_t max_queued = 4;
    std::filesystem::path program;  ///< the stagegate binary the runs execute
};

/// Largest request body serve reads; a longer one is answered 413.
inline constexpr std::size_t k_max_body_bytes = 64 * 1024;

/// Binds, serves until SIGTERM or SIGINT, then stops the running pipeline (SIGTERM to its
/// process group, waits for it to write its reports) and returns. Blocks SIGTERM and SIGINT
/// in the calling thread while it serves (restored on return). `log` gets one line per
/// request (method, path, status; never a token). An error: the address cannot be bound
/// or the folders are unusable.
Result<void> serve(const ServeOptions& options, std::ostream& log);

}  // namespace orch::serve
