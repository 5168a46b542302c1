// The libcurl-multi Transport: one easy handle per connection slot, reused for every
// request of that slot, so its connection stays alive between requests (keep-alive) and
// nothing is allocated per request once the buffers are warm. One multi handle per worker.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "plugins/executors/builtin/transport.hpp"

namespace orch::builtin {

// --- Interface ---

enum class TlsVerification { on, off };

/// Initialises libcurl once per process (thread-safe); an error when libcurl cannot start.
Result<void> init_curl_once();

/// True when this libcurl speaks `scheme` ("http", "https"; case-insensitive).
bool curl_supports_scheme(std::string_view scheme);

/// A transport with `connections` slots. Requests speak HTTP/1.1, connect directly (no
/// proxy from the environment: a load test measures the target, not a proxy), set
/// TCP_NODELAY and no signals. Errors: libcurl could not create its handles.
Result<std::unique_ptr<Transport>> make_curl_transport(std::size_t connections,
                                                       TlsVerification tls);
/// The same, with `target.tls` and `target.insecure` applied (http/tls_client.hpp).
Result<std::unique_ptr<Transport>> make_curl_transport(std::size_t connections,
                                                       const TargetSpec& target);

/// The ErrorKind of a failed libcurl transfer: `curl_code` is its CURLcode, `os_errno`
/// the errno libcurl saw (CURLINFO_OS_ERRNO).
ErrorKind classify_curl_error(int curl_code, long os_errno) noexcept;

}  // namespace orch::builtin
