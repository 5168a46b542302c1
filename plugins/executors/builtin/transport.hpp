// The seam between the engine's schedulers and the HTTP client underneath. The engine owns
// one Exchange per connection slot (a closed-model VU, or an open-model in-flight slot),
// fills its request part in HTTP terms (method, a URL already split into origin and request
// target, name/value header fields, body, an absolute deadline) and hands it to a Transport;
// the transport does the I/O and fills the response part. Two transports: libcurl multi
// (curl_transport.hpp) for everything, and our own HTTP/1.1 client for http:// and https://
// (lean_transport.hpp). Neither re-parses the URL per request: a static URL is parsed once
// when the plan is compiled and shared by pointer, a templated one when it is rendered. The
// header list holds only what the request means to send; each transport adds what its wire
// needs (Host, Content-Length), without translation. The curl transport switches libcurl's
// own Expect and Accept-Encoding off; libcurl still adds its `Accept: */*`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/units.hpp"
#include "metrics/stage_metrics.hpp"

namespace orch::builtin {

// --- Interface ---

using Clock = std::chrono::steady_clock;

/// True when `text` starts with `lower_prefix` (given in lower case), ignoring ASCII case.
bool starts_with_lower(std::string_view text, std::string_view lower_prefix) noexcept;

/// The parts of an http:// or https:// URL; views into the URL.
struct HttpUrl {
    std::string_view host;    ///< without the brackets of an IPv6 literal
    std::uint16_t port = 80;  ///< 80 (https: 443) when the URL names none
    bool tls = false;         ///< https://
    std::string_view target;  ///< path and query ("/a?b"), may be empty; no fragment
};

/// Splits `url` when it is `http[s]://host[:port][/path][?query]` (scheme in any case, no
/// user info); false for anything else (another scheme, a user name, a bad port).
bool parse_http_url(std::string_view url, HttpUrl& out) noexcept;

/// An absolute URL split once into what an HTTP/1.1 request needs. Filled by
/// parse_request_url (or append_request_path for a relative path on a parsed base).
struct RequestUrl {
    std::string text;               ///< the whole URL as written (libcurl takes this)
    bool http = false;              ///< http[s]://host[:port][/path][?query], no user info; when
                                    ///< false only `text` is set (libcurl may still carry it)
    bool tls = false;               ///< https://
    std::uint16_t port = 80;        ///< 80 (https: 443) when the URL names none
    std::string host;               ///< without the brackets of an IPv6 literal
    std::string authority;          ///< Host header value: host ([v6]), ":port" unless the default
    std::string target;             ///< request target: "/path?query", never empty, no fragment
    std::size_t origin_length = 0;  ///< length of "scheme://authority" at the start of `text`
};

/// Splits `text` into `out` (text always; the parts when it is http[s]://host[:port]...
/// without user info, see parse_http_url). Returns out.http.
bool parse_request_url(std::string_view text, RequestUrl& out);

/// `out` = `base` + `path` (a relative request's URL: plain concatenation, as written in
/// the pipeline). When `path` cannot change base's authority (base has a path, or `path`
/// is empty or starts with '/', '?' or '#') only the target is derived; otherwise the
/// whole text is parsed again. Returns out.http.
bool append_request_path(const RequestUrl& base, std::string_view path, RequestUrl& out);

/// An epoll set with a non-blocking eventfd in it (event data k_wakeup_tag): what a
/// transport waits on, and how wakeup() reaches it from another thread. Both close-on-exec.
struct WakeableEpoll {
    int epoll = -1;
    int wake = -1;
};
/// Events taken from epoll per wait, by both transports.
constexpr int k_max_epoll_events = 256;
constexpr std::uint64_t k_wakeup_tag = ~std::uint64_t{0};
/// Errors (infrastructure, naming `who`): epoll or eventfd could not be created.
Result<WakeableEpoll> make_wakeable_epoll(std::string_view who);
/// Makes a wait on the set of `wake_fd` return (any thread).
void signal_wakeup(int wake_fd) noexcept;
/// True when `event_data` is the eventfd's (k_wakeup_tag): it is emptied, the caller
/// skips the event.
bool consume_wakeup(std::uint64_t event_data, int wake_fd) noexcept;

/// One request header field as it goes on the wire ("name: value"; an empty value is sent
/// empty). Views into plan-owned strings or into Exchange::header_values.
struct HeaderField {
    std::string_view name;
    std::string_view value;
};

/// One request and its response. Buffers keep their capacity between requests, so a warm
/// Exchange is refilled without allocating.
struct Exchange {
    // Request: filled by the engine, left untouched until the completion is reported.
    const char* method = "GET";  ///< upper case; static or plan-owned C string
    /// The URL: plan-owned and shared when static (never parsed per request), else null and
    /// `own_url` holds the rendered one. Read it through url().
    const RequestUrl* shared_url = nullptr;
    RequestUrl own_url;
    std::string rendered_path;               ///< scratch: a templated path or URL as rendered
    std::vector<HeaderField> headers;        ///< what the request sends, in order
    std::vector<std::string> header_values;  ///< rendered templated header values
    bool has_body = false;
    std::string body;
    /// The whole exchange, connect included, must end by then; max(): no deadline.
    Clock::time_point deadline = Clock::time_point::max();
    std::size_t body_limit = 0;   ///< keep at most this many response body bytes
    bool want_headers = false;    ///< keep the response header block
    Clock::time_point sent_at{};  ///< set by Transport::start (hand-over time)
    /// Decode a Content-Encoding the transport knows (gzip, deflate; br with libcurl)
    /// before keeping the body (target.compression: auto).
    bool decode = true;

    const RequestUrl& url() const noexcept { return shared_url != nullptr ? *shared_url : own_url; }
    /// Sets this exchange's own URL from `text` (parsed now).
    void set_url(std::string_view text) {
        shared_url = nullptr;
        parse_request_url(text, own_url);
    }

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
