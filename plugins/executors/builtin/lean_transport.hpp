// The lean Transport: stagegate's own HTTP/1.1 client for http:// and https:// targets, the
// way wrk does it. One epoll per worker, one non-blocking keep-alive socket per connection
// slot, the request written with one sendmsg (TLS: one SSL_write) from the slot's reused
// buffers, the response parsed by Debian's libhttp-parser. TLS is OpenSSL's, driven on the
// same edge-triggered epoll (a call that wants to read or write waits for the next edge).
// No proxy, no redirects, no HTTP/2: anything else takes libcurl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "plugins/executors/builtin/transport.hpp"

namespace orch::builtin {

// --- Interface ---

/// True when the lean transport can carry `url` (parse_http_url accepts it).
bool lean_supports_url(std::string_view url) noexcept;

/// A lean transport with `connections` slots. Each slot keeps its own TCP connection
/// (TCP_NODELAY) alive between requests and reconnects after a `Connection: close`, an
/// HTTP/1.0 answer, a peer that closed or half-closed after its answer (read to EAGAIN
/// after each answer), or a failure. A request that finds its reused connection closed by
/// the server before any byte of the response came back is sent once more on a new
/// connection (as curl and wrk do) and counted once, when that is safe: an idempotent
/// method, or nothing of the request written; otherwise it fails as `connection_closed`.
/// Host names are resolved once, on first use, with getaddrinfo as libcurl does: every IPv6
/// and IPv4 address in its order, the first that connects wins and is kept for the
/// transport's life (a stage). https origins: TLS 1.2/1.3 as `target` sets it up
/// (http/tls_client.hpp: verification, CA, client certificate, SNI, ALPN http/1.1), the
/// handshake on the same loop (`timing.tls`), and the newest session of each origin
/// offered on every new connection, so reconnects (`Connection: close`) resume instead of
/// paying a full handshake. A handshake the server refuses, or a certificate that fails
/// verification, fails as `tls` with the reason and the fix in its message.
/// Errors: epoll or eventfd could not be created.
Result<std::unique_ptr<Transport>> make_lean_transport(std::size_t connections,
                                                       const TargetSpec& target);
/// make_lean_transport with default TLS settings (verification on, system store).
Result<std::unique_ptr<Transport>> make_lean_transport(std::size_t connections);

}  // namespace orch::builtin
