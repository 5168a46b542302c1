// How a k6 request outcome (the `status`, `error_code`, `error` and `expected_response`
// tags of its http_req_* points) maps onto stagegate's error kinds. k6's error codes
// (k6 docs, "Error codes"): 1000 generic, 1010 non-TCP network, 1020 invalid URL,
// 1050 request timeout, 11xx DNS, 1200 generic TCP, 1201 broken pipe, 1202 unknown TCP,
// 1210 dial, 1211 dial timeout, 1212 connection refused, 1213 unknown dial, 1220 reset by
// peer, 13xx TLS, 14xx/15xx = HTTP status 4xx/5xx (1429, 1500 in the fixtures),
// 16xx HTTP/2, 1701 decompression.
#pragma once

#include <optional>
#include <string_view>

#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

/// The error kind of one k6 request.
/// - A response arrived (`status` != 0): `expected_response` true -> none; false (or
///   absent with status >= 400) -> 429 status_429, other 4xx status_4xx, 5xx status_5xx,
///   any other status expect (k6's responseCallback rejected it). Absent with status < 400
///   -> none.
/// - No response (`status` 0): 1050 and 1211 -> timeout; 1100-1199 -> dns; 1212 ->
///   connection_refused; 1201, 1220 -> connection_reset; 1300-1399 -> tls; any other code
///   (or none) is classified by the `error` text ("connection refused", "timeout",
///   "reset by peer", "broken pipe", "no such host", "tls"/"x509"), else other.
ErrorKind k6_error_kind(int status, int error_code, std::string_view error_text,
                        std::optional<bool> expected_response);

}  // namespace orch
