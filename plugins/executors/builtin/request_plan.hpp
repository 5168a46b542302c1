// The scenario compiled for the hot path: everything the engine can decide before the first
// request is decided here once (regexes, JSON pointers, constant header lines, which slots
// are built-ins, cumulative weights), so a request costs only template filling and I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "plugins/executors/builtin/curl_transport.hpp"
#include "plugins/executors/builtin/prng.hpp"

namespace orch::builtin {

// --- Interface ---

/// What fills a template slot (one per Scenario::variable_names entry).
enum class SlotKind : std::uint8_t {
    uuid,        ///< a random v4 UUID, new each iteration
    vu,          ///< the VU's 1-based id (open model: the in-flight slot's id)
    iter,        ///< the VU's 0-based iteration counter
    stage,       ///< the stage name
    random_int,  ///< `random_int: [min, max]`, drawn each iteration
    one_of,      ///< `one_of: [...]`, drawn each iteration
    capture,     ///< set by a `capture:` after a response; kept by the VU across iterations
};

struct VariableSlot {
    SlotKind kind = SlotKind::capture;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::vector<std::string> values;  ///< one_of choices
    /// False when no template of the plan reads the slot: draw_variables leaves it alone.
    bool used = true;
};

/// One RequestSpec, ready to fill and judge.
struct CompiledRequest {
    std::string name;
    std::uint32_t metric_index = 0;
    std::string method;     ///< upper case
    bool absolute = false;  ///< the path template is a whole URL (does not get base_url)
    Template path;
    /// The whole URL, parsed once, when the path has no slot (Exchange::shared_url points
    /// here); empty when it is rendered per request.
    std::optional<RequestUrl> url;
    std::optional<Template> body;
    /// Fixed header fields (name, value), request headers before target headers.
    std::vector<std::pair<std::string, std::string>> constant_headers;
    std::vector<std::pair<std::string, Template>> templated_headers;  ///< name, value
    Duration timeout{0};
    std::size_t body_limit = 0;  ///< response bytes kept for checks and failure samples
    bool want_headers = false;   ///< header expectations need the response headers
    bool needs_json = false;     ///< captures or JSON expectations parse the body
    /// target.compression: auto (decode what arrives compressed)
    bool decode_compressed = true;

    std::vector<int> allowed_status;  ///< empty: any 2xx or 3xx
    std::vector<std::pair<nlohmann::json::json_pointer, nlohmann::json>> expect_json;
    std::vector<std::pair<std::string, std::string>> expect_headers;  ///< lower-case name
    std::string body_contains;
    std::optional<std::regex> body_regex;
    std::vector<std::pair<std::size_t, nlohmann::json::json_pointer>> captures;  ///< slot
};

struct CompiledOperation {
    std::string name;
    std::vector<CompiledRequest> steps;  ///< one for a single request; a flow's steps in order
};

struct ScenarioPlan {
    std::string base_url;
    RequestUrl base;  ///< base_url, parsed once
    std::vector<CompiledOperation> operations;
    std::vector<double> cumulative_weights;    ///< parallel to operations
    std::vector<VariableSlot> slots;           ///< parallel to Scenario::variable_names
    std::vector<std::string> operation_names;  ///< by metric index
    std::vector<std::regex> body_patterns;     ///< pipeline.body_patterns, in order
    /// scenario.tag_responses headers (lower case), by tag number; empty: no tagging.
    std::vector<std::string> tag_headers;
    Duration think_time{0};
    TlsVerification tls = TlsVerification::on;
    orch::TargetSpec target;  ///< target.tls and insecure, for the transports
    orch::Transport transport =
        orch::Transport::curl;  /// curl or lean (auto is resolved by compile_plan)

    /// An operation index drawn by weight.
    std::size_t pick_operation(Prng& prng) const noexcept;
};

/// Compiles what the builtin engine needs from `pipeline`. Errors (invalid_input): no
/// operation, weights that are negative or all zero, a regex or JSON pointer that does not
/// compile, metric indexes that name two different operations, `transport: lean` with a
/// URL lean cannot carry (not http:// or https://, or with user info).
Result<ScenarioPlan> compile_plan(const Pipeline& pipeline);

}  // namespace orch::builtin
