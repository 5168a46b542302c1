// The seam between the engine's schedulers and the HTTP client underneath. The engine owns
// one Exchange per connection slot (a closed-model VU, or an open-model in-flight slot),
// fills its request part, and hands it to a Transport; the transport does the I/O and fills
// the response part. Two transports: libcurl multi (curl_transport.hpp) for everything, and
// our own HTTP/1.1 client for plain http:// (lean_transport.hpp); the schedulers see neither.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/units.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch::builtin {

// --- Interface ---

using Clock = std::chrono::steady_clock;

/// One request and its response. Buffers keep their capacity between requests, so a warm
/// Exchange is refilled without allocating.
struct Exchange {
    // Request: filled by the engine, left untouched until the completion is reported.
    const char* method = "GET";        ///< static or plan-owned C string
    std::string url;                   ///< absolute URL
    std::vector<const char*> headers;  ///< "Name: value" lines, plan- or header_storage-owned
    std::vector<std::string> header_storage;  ///< rendered templated header lines
    bool has_body = false;
    std::string body;
    Duration timeout{0};          ///< whole exchange, connect included
    std::size_t body_limit = 0;   ///< keep at most this many response body bytes
    bool want_headers = false;    ///< keep the response header block
    Clock::time_point sent_at{};  ///< set by Transport::start (hand-over time)
    /// Decode a Content-Encoding the transport knows (gzip, deflate; br with libcurl)
    /// before keeping the body (target.compression: auto).
    bool decode = true;

    // Response: filled by the transport before the completion is reported.
    Clock::time_point done_at{};
    int status = 0;                               ///< 0 when no HTTP response arrived
    ErrorKind transport_error = ErrorKind::none;  ///< connection-level failure kind
    std::string error_message;                    ///< the transport's words for a failure
    std::string response_body;                    ///< first body_limit bytes
    std::string response_headers;                 ///< raw header block of the final response
    bool has_phases = false;
    /// Phase times as the transport saw them (PhaseTimes' meaning); `blocked` holds only
    /// the transport's own queueing and name lookup, the engine adds its hand-over delay.
    PhaseTimes phases{};
    std::int64_t transfer_us = 0;  ///< the transport's own total for the exchange
    /// Response body bytes as they came off the wire (compressed ones compressed).
    std::uint64_t body_bytes_wire = 0;
    /// Response body bytes after decoding, all of them (response_body keeps body_limit).
    std::uint64_t body_bytes = 0;

    /// Empties the response part (keeping the buffers' capacity): every transport's start().
    void clear_response() noexcept {
        status = 0;
        transport_error = ErrorKind::none;
        error_message.clear();
        response_body.clear();
        response_headers.clear();
        has_phases = false;
        phases = PhaseTimes{};
        transfer_us = 0;
        body_bytes_wire = 0;
        body_bytes = 0;
    }
};

/// Told about finished exchanges, from inside Transport::poll.
class CompletionSink {
  public:
    virtual ~CompletionSink() = default;
    /// The exchange on `connection` finished (response or failure); the connection is idle
    /// again and may be started from inside this call.
    virtual void on_complete(std::uint32_t connection) = 0;

  protected:
    CompletionSink() = default;
    CompletionSink(const CompletionSink&) = default;
    CompletionSink& operator=(const CompletionSink&) = default;
};

/// An HTTP client driving many connections from one thread. Not thread-safe, except
/// wakeup(). Connections are numbered 0..count-1 at creation.
class Transport {
  public:
    virtual ~Transport() = default;

    /// Starts `exchange` on idle `connection` and stamps exchange.sent_at. `exchange` must
    /// stay alive and unchanged until its completion is reported (or abort()). A start that
    /// fails at once is reported as a completion by the next poll().
    virtual void start(std::uint32_t connection, Exchange& exchange) = 0;

    /// Waits up to `timeout` for I/O (less if a start is pending), makes progress, and
    /// calls `sink.on_complete` for every exchange that finished.
    virtual void poll(Duration timeout, CompletionSink& sink) = 0;

    /// Cancels the exchange in flight on `connection`; no completion is reported for it.
    virtual void abort(std::uint32_t connection) = 0;

    /// Makes a poll() that is waiting return soon. Callable from any thread.
    virtual void wakeup() = 0;

  protected:
    Transport() = default;
    Transport(const Transport&) = default;
    Transport& operator=(const Transport&) = default;
};

}  // namespace orch::builtin
