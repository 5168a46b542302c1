// The lean Transport: stagegate's own HTTP/1.1 client for plain http:// targets, the way wrk
// does it. One epoll per worker, one non-blocking keep-alive socket per connection slot, the
// request written with one sendmsg from the slot's reused buffers, the response parsed by
// Debian's libhttp-parser. No TLS, no proxy, no redirects: anything else takes libcurl.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/result.hpp"
#include "plugins/executors/builtin/transport.hpp"

namespace orch::builtin {

// --- Interface ---

/// The parts of a plain http:// URL the lean transport needs; views into the URL.
struct HttpUrl {
    std::string_view host;    ///< without the brackets of an IPv6 literal
    std::uint16_t port = 80;  ///< 80 when the URL names none
    std::string_view target;  ///< path and query ("/a?b"), may be empty; no fragment
};

/// Splits `url` when it is `http://host[:port][/path][?query]` (scheme in any case, no user
/// info); nothing for anything else (https, a user name, a bad port).
bool parse_http_url(std::string_view url, HttpUrl& out) noexcept;

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
/// transport's life (a stage). Errors: epoll or eventfd could not be created.
Result<std::unique_ptr<Transport>> make_lean_transport(std::size_t connections);

}  // namespace orch::builtin
