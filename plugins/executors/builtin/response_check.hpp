// Judging a response: the error kind a finished exchange counts as (transport failure,
// status outside `expect.status`, or a body/header/JSON expectation that failed), the body
// patterns found in a failed body, and the string values captured from a JSON body.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/stage_metrics.hpp"
#include "plugins/executors/builtin/request_plan.hpp"

namespace orch::builtin {

// --- Interface ---

/// The kind of a response with `status` when `allowed` lists the accepted statuses (empty:
/// any 2xx or 3xx): none when accepted, else status_429, status_4xx, status_5xx or expect.
ErrorKind status_error(const std::vector<int>& allowed, int status) noexcept;

/// The kind of a response that arrived (status != 0): status first, then JSON, header,
/// body_contains and body_regex expectations (expect). `body_json` is the parsed body
/// (discarded value when not JSON), or null when the request needs no JSON.
ErrorKind judge_response(const CompiledRequest& request, int status, std::string_view body,
                         std::string_view raw_headers, const nlohmann::json* body_json);

/// Bit i set when `patterns[i]` is found in `body` (at most 64 patterns).
std::uint64_t match_body_patterns(const std::vector<std::regex>& patterns, std::string_view body);

/// The value at `pointer` as a template value: strings unquoted, null or absent as "",
/// anything else as compact JSON.
void capture_value(const nlohmann::json& body_json, const nlohmann::json::json_pointer& pointer,
                   std::string& out);

/// The value of header `lower_name` in a raw header block ("Name: value\r\n" lines), with
/// surrounding blanks trimmed; false when absent.
bool find_header(std::string_view raw_headers, std::string_view lower_name,
                 std::string_view& value) noexcept;

}  // namespace orch::builtin
