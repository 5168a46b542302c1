// A slot's life: idle (no socket, or a kept-alive one) -> [connecting] -> sending ->
// receiving -> idle. Sockets are registered edge-triggered for in, out and peer close once,
// when they are opened, so a request costs no epoll_ctl: start() writes at once on a reused
// connection, and reads run until the answer is complete or EAGAIN. Every event carries
// the slot number and the socket's generation, so an event of a socket closed earlier in
// the same batch is ignored. Completions are queued and reported at the end of poll(), never from
// start(), so a sink that starts again from on_complete never recurses.
//
// Phases (telescoping, so they add up to transfer_us = done_at - sent_at):
//   blocked    = name resolution, on the one request that resolved the host
//   connecting = until the new connection was up (0 on a reused one; a retry's first,
//                failed attempt counts here too)
//   sending    = until the kernel took the last byte of the request
//   waiting    = until the first byte of the response
//   receiving  = until the response was complete
#include "plugins/executors/builtin/lean_transport.hpp"

#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "http/tls_client.hpp"

namespace orch::builtin {

namespace {

constexpr std::size_t k_read_buffer_bytes = 64 * 1024;

std::int64_t micros_not_negative(Clock::duration duration) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
    return us > 0 ? us : 0;
}

std::string errno_text(int error) {
    char buffer[128];
    // GNU strerror_r returns the text (maybe not in `buffer`).
    return strerror_r(error, buffer, sizeof(buffer));
}

/// A host and port, resolved once.
struct Origin {
    std::string host;
    std::uint16_t port = 80;
    bool tls = false;                ///< https: every connection does a TLS handshake
    SSL_SESSION* session = nullptr;  ///< the newest resumable TLS session (owned)
    std::string where;               ///< "name:port" for messages
    /// Every address the name resolved to, in getaddrinfo's order (IPv6 and IPv4, as
    /// libcurl tries them); a new connection tries them from `preferred` on.
    std::vector<sockaddr_storage> addresses;
    std::vector<socklen_t> address_lengths;
    std::size_t preferred = 0;  ///< the address that last connected: kept for the stage
    std::string error;          ///< resolution failure in words; empty when resolved
};

enum class State : std::uint8_t { idle, connecting, handshaking, sending, receiving };

/// Which part of the header block the parser delivered last (for rebuilding it).
enum class HeaderPart : std::uint8_t { none, status, field, value };

/// The response's Content-Encoding as far as decoding goes.
enum class Encoding : std::uint8_t { identity, gzip, deflate, other };

/// zlib's inflate state of one slot: made on the first compressed answer, reset for each.
struct Inflater {
    z_stream stream{};
    bool ready = false;
    Inflater() = default;
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;
    ~Inflater() {
        if (ready) {
            inflateEnd(&stream);
        }
    }
};

struct Connection {
    std::uint32_t id = 0;
    int fd = -1;
    std::uint32_t generation = 0;  ///< bumped at every socket opened for this slot
    SSL* ssl = nullptr;            ///< the TLS side of the open socket (https origins)
    std::string tls_problem;       ///< what the verify callback found wrong, for messages
    int origin = -1;               ///< origin of the open socket
    std::size_t attempt = 0;       ///< addresses of the origin tried by this connect
    bool served = false;           ///< the open socket completed an exchange before
    State state = State::idle;
    bool pending = false;  ///< completed, waiting in the delivery queue

    // The exchange in flight:
    Exchange* exchange = nullptr;
    bool reused = false;
    bool retried = false;
    bool head_request = false;
    bool body_in_head = false;  ///< TLS: the body was appended to `head` (one record)
    bool idempotent = true;     ///< the method may be sent twice (RFC 9110 9.2.2)
    bool got_bytes = false;
    bool complete = false;
    bool keep_alive = true;
    HeaderPart header_part = HeaderPart::none;
    bool field_is_encoding = false;  ///< the header being parsed is Content-Encoding
    Encoding encoding = Encoding::identity;
    bool inflating = false;       ///< this answer's body goes through `inflater`
    bool inflate_failed = false;  ///< the compressed body was not valid: rest dropped
    bool raw_deflate_tried = false;
    std::unique_ptr<Inflater> inflater;
    std::string head;         ///< request line and headers
    std::size_t written = 0;  ///< bytes of head + body the kernel took
    http_parser parser{};
    std::int64_t blocked_us = 0;
    Clock::time_point tcp_at{};    ///< TCP connection up (TLS: handshake starts); {} if reused
    Clock::time_point ready_at{};  ///< connection usable (connected, or reused)
    Clock::time_point request_sent{};
    Clock::time_point first_byte{};
    Clock::time_point deadline = Clock::time_point::max();
};

class LeanTransport final : public Transport {
  public:
    LeanTransport(int epoll_fd, int wake_fd, std::size_t connections, const TargetSpec& target);
    ~LeanTransport() override;
    LeanTransport(const LeanTransport&) = delete;
    LeanTransport& operator=(const LeanTransport&) = delete;

    void start(std::uint32_t connection, Exchange& exchange) override;
    void poll(Duration timeout, CompletionSink& sink) override;
    void abort(std::uint32_t connection) override;
    void wakeup() override;

  private:
    /// The origin of `url` (parsed): found among the known ones, or resolved now.
    int origin_for(const RequestUrl& url, std::int64_t& resolve_us);
    /// Writes the request line and header block of c's exchange into c.head.
    void build_head(Connection& c, const Origin& origin);
    void open_connection(Connection& c);
    /// The TCP connection is up: a TLS origin's handshake starts, a plain one sends.
    void connected(Connection& c);
    void handshake(Connection& c);
    /// Reads into m_buffer through TLS or not: > 0 bytes, 0 end of stream, -1 with errno
    /// (EAGAIN: nothing now), -2 a TLS error (its words in `tls_error`).
    ssize_t receive(Connection& c, std::string& tls_error);
    static int on_new_session(SSL* ssl, SSL_SESSION* session);
    void send_request(Connection& c);
    void read_response(Connection& c, std::uint32_t events);
    bool drained(Connection& c);
    void on_event(Connection& c, std::uint32_t events);
    void on_peer_gone(Connection& c, int error, const char* what);
    bool retry(Connection& c);
    void finish(Connection& c, Clock::time_point done_at);
    void fail(Connection& c, ErrorKind kind, std::string_view message);
    void close_socket(Connection& c);
    void expire(Clock::time_point now);

    static int on_message_begin(http_parser* parser);
    static int on_status(http_parser* parser, const char* at, std::size_t length);
    static int on_header_field(http_parser* parser, const char* at, std::size_t length);
    static int on_header_value(http_parser* parser, const char* at, std::size_t length);
    static int on_headers_complete(http_parser* parser);
    static int on_encoding_field(http_parser* parser, const char* at, std::size_t length);
    static int on_encoding_value(http_parser* parser, const char* at, std::size_t length);
    static int on_body(http_parser* parser, const char* at, std::size_t length);
    static int on_message_complete(http_parser* parser);

    int m_epoll;
    int m_wake;
    TargetSpec m_target;  ///< TLS settings (target.tls, insecure)
    TlsContext m_tls;     ///< made at the first https origin
    std::string m_tls_setup_error;
    std::vector<Connection> m_connections;
    std::deque<Origin> m_origins;             ///< a deque: TLS sessions keep pointers to origins
    std::vector<std::uint32_t> m_done;        ///< completions not yet reported
    std::vector<std::uint32_t> m_delivering;  ///< completions being reported
    std::vector<char> m_buffer;
    std::array<epoll_event, k_max_epoll_events> m_events{};
    Clock::time_point m_earliest_deadline = Clock::time_point::max();
    bool m_precise_wait = true;  ///< epoll_pwait2 (ns timeout) works here
    http_parser_settings m_settings{};
    /// m_settings with only the Content-Encoding watch for header callbacks, for requests
    /// that decode but do not want the response headers.
    http_parser_settings m_settings_no_headers{};
    /// No status or header callbacks at all (compression: off, no header wanted): the
    /// parser makes no call per header.
    http_parser_settings m_settings_plain{};
};

LeanTransport::LeanTransport(int epoll_fd, int wake_fd, std::size_t connections,
                             const TargetSpec& target)
    : m_epoll(epoll_fd),
      m_wake(wake_fd),
      m_target(target),
      m_connections(connections),
      m_buffer(k_read_buffer_bytes) {
    for (std::size_t i = 0; i < connections; ++i) {
        m_connections[i].id = static_cast<std::uint32_t>(i);
        m_connections[i].head.reserve(512);
    }
    m_done.reserve(connections);
    m_delivering.reserve(connections);
    m_settings.on_message_begin = &LeanTransport::on_message_begin;
    m_settings.on_status = &LeanTransport::on_status;
    m_settings.on_header_field = &LeanTransport::on_header_field;
    m_settings.on_header_value = &LeanTransport::on_header_value;
    m_settings.on_headers_complete = &LeanTransport::on_headers_complete;
    m_settings.on_body = &LeanTransport::on_body;
    m_settings.on_message_complete = &LeanTransport::on_message_complete;
    m_settings_no_headers = m_settings;
    m_settings_no_headers.on_status = nullptr;
    m_settings_no_headers.on_header_field = &LeanTransport::on_encoding_field;
    m_settings_no_headers.on_header_value = &LeanTransport::on_encoding_value;
    m_settings_plain = m_settings_no_headers;
    m_settings_plain.on_header_field = nullptr;
    m_settings_plain.on_header_value = nullptr;
}

LeanTransport::~LeanTransport() {
    for (auto& c : m_connections) {
        close_socket(c);
    }
    for (auto& origin : m_origins) {
        if (origin.session != nullptr) {
            SSL_SESSION_free(origin.session);
        }
    }
    ::close(m_wake);
    ::close(m_epoll);
}

void LeanTransport::wakeup() {
    signal_wakeup(m_wake);
}

int LeanTransport::origin_for(const RequestUrl& url, std::int64_t& resolve_us) {
    for (std::size_t i = 0; i < m_origins.size(); ++i) {
        if (m_origins[i].port == url.port && m_origins[i].tls == url.tls &&
            m_origins[i].host == url.host) {
            return static_cast<int>(i);
        }
    }
    // First use of this host: resolve it once (allocates; never again for this origin).
    Clock::time_point began = Clock::now();
    Origin origin;
    origin.host.assign(url.host);
    origin.port = url.port;
    origin.tls = url.tls;
    bool ipv6_literal = origin.host.find(':') != std::string::npos;
    std::string shown = ipv6_literal ? "[" + origin.host + "]" : origin.host;
    origin.where = shown + ":" + std::to_string(url.port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    int result = ::getaddrinfo(origin.host.c_str(), nullptr, &hints, &found);
    if (result != 0 || found == nullptr) {
        origin.error = "cannot resolve host \"" + origin.host +
                       "\": " + (result != 0 ? gai_strerror(result) : "no address");
    } else {
        std::uint16_t port_be = htons(url.port);
        for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
            if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
                a->ai_addrlen > sizeof(sockaddr_storage)) {
                continue;
            }
            sockaddr_storage address{};
            std::memcpy(&address, a->ai_addr, a->ai_addrlen);
            if (a->ai_family == AF_INET) {
                reinterpret_cast<sockaddr_in*>(&address)->sin_port = port_be;
            } else {
                reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = port_be;
            }
            origin.addresses.push_back(address);
            origin.address_lengths.push_back(static_cast<socklen_t>(a->ai_addrlen));
        }
        if (origin.addresses.empty()) {
            origin.error = "cannot resolve host \"" + origin.host + "\": no IPv4 or IPv6 address";
        }
    }
    if (found != nullptr) {
        ::freeaddrinfo(found);
    }
    m_origins.push_back(std::move(origin));
    resolve_us = micros_not_negative(Clock::now() - began);
    return static_cast<int>(m_origins.size() - 1);
}

void LeanTransport::build_head(Connection& c, const Origin& origin) {
    const Exchange& exchange = *c.exchange;
    const RequestUrl& url = exchange.url();
    std::string& head = c.head;
    head.clear();
    head.append(exchange.method);
    head += ' ';
    head.append(url.target);
    head.append(" HTTP/1.1\r\n");
    bool has_host = false;
    bool has_length = false;
    for (const HeaderField& header : exchange.headers) {
        has_host = has_host || (header.name.size() == 4 && starts_with_lower(header.name, "host"));
        has_length = has_length ||
                     (header.name.size() == 14 && starts_with_lower(header.name, "content-length"));
    }
    if (!has_host) {
        head.append("Host: ");
        head.append(url.authority);
        head.append("\r\n");
    }
    for (const HeaderField& header : exchange.headers) {
        head.append(header.name);
        head.append(": ", header.value.empty() ? 1 : 2);
        head.append(header.value);
        head.append("\r\n");
    }
    std::string_view method(exchange.method);
    bool sends_length =
        exchange.has_body || method == "POST" || method == "PUT" || method == "PATCH";
    if (sends_length && !has_length) {
        char digits[24];
        auto [end, error] = std::to_chars(digits, digits + sizeof(digits),
                                          exchange.has_body ? exchange.body.size() : 0);
        (void)error;
        head.append("Content-Length: ");
        head.append(digits, end);
        head.append("\r\n");
    }
    head.append("\r\n");
    // TLS: one SSL_write, so head and body go out in one record.
    c.body_in_head = origin.tls && exchange.has_body && !exchange.body.empty();
    if (c.body_in_head) {
        head.append(exchange.body);
    }
}

void LeanTransport::start(std::uint32_t connection, Exchange& exchange) {
    Connection& c = m_connections[connection];
    exchange.sent_at = Clock::now();
    exchange.clear_response();
    c.exchange = &exchange;
    c.pending = false;
    c.retried = false;
    c.got_bytes = false;
    c.complete = false;
    c.keep_alive = true;
    c.written = 0;
    c.blocked_us = 0;
    c.tcp_at = Clock::time_point{};
    c.request_sent = Clock::time_point{};
    c.first_byte = Clock::time_point{};
    std::string_view method(exchange.method);
    c.head_request = method == "HEAD";
    c.idempotent = method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
                   method == "OPTIONS" || method == "TRACE";
    c.deadline = exchange.deadline;
    m_earliest_deadline = std::min(m_earliest_deadline, c.deadline);
    c.state = State::sending;  // in flight from here; fail() makes it idle again

    const RequestUrl& url = exchange.url();
    if (!url.http) {
        fail(c, ErrorKind::other,
             "the lean transport speaks http:// and https:// without a user name, not \"" +
                 url.text + "\" (use target.transport: curl)");
        return;
    }
    int origin = origin_for(url, c.blocked_us);
    const Origin& o = m_origins[static_cast<std::size_t>(origin)];
    if (!o.error.empty()) {
        fail(c, ErrorKind::dns, o.error);
        return;
    }
    if (o.tls && !m_tls) {
        if (m_tls_setup_error.empty()) {
            auto context = make_tls_context(m_target);
            if (context) {
                m_tls = std::move(*context);
                SSL_CTX_sess_set_new_cb(m_tls.get(), &LeanTransport::on_new_session);
            } else {
                m_tls_setup_error = context.error().message;
            }
        }
        if (!m_tls) {
            fail(c, ErrorKind::tls, m_tls_setup_error);
            return;
        }
    }
    build_head(c, o);
    c.ready_at = exchange.sent_at + std::chrono::microseconds(c.blocked_us);
    if (c.fd >= 0 && c.origin == origin) {
        c.reused = true;
        send_request(c);
        return;
    }
    close_socket(c);
    c.origin = origin;
    c.reused = false;
    c.attempt = 0;
    open_connection(c);
}

void LeanTransport::open_connection(Connection& c) {
    const Origin& origin = m_origins[static_cast<std::size_t>(c.origin)];
    std::size_t index = (origin.preferred + c.attempt) % origin.addresses.size();
    const sockaddr_storage& address = origin.addresses[index];
    c.served = false;
    c.fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        int error = errno;
        fail(c, is_generator_errno(error) ? ErrorKind::generator : ErrorKind::other,
             "cannot open a socket: " + errno_text(error));
        return;
    }
    ++c.generation;
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.u64 = (std::uint64_t{c.generation} << 32) | c.id;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &event) != 0) {
        int error = errno;
        fail(c, is_generator_errno(error) ? ErrorKind::generator : ErrorKind::other,
             "cannot watch a socket: " + errno_text(error));
        return;
    }
    int result =
        ::connect(c.fd, reinterpret_cast<const sockaddr*>(&address), origin.address_lengths[index]);
    if (result == 0) {
        m_origins[static_cast<std::size_t>(c.origin)].preferred = index;
        connected(c);
        return;
    }
    int error = errno;
    if (error == EINPROGRESS || error == EINTR) {
        c.state = State::connecting;
        return;
    }
    on_peer_gone(c, error, "connect");
}

void LeanTransport::connected(Connection& c) {
    Origin& origin = m_origins[static_cast<std::size_t>(c.origin)];
    if (!origin.tls) {
        c.ready_at = Clock::now();
        send_request(c);
        return;
    }
    c.tcp_at = Clock::now();
    c.tls_problem.clear();
    c.ssl = SSL_new(m_tls.get());
    if (c.ssl == nullptr || SSL_set_fd(c.ssl, c.fd) != 1 ||
        !tls_prepare_connection(c.ssl, m_target, origin.host, &c.tls_problem)) {
        ERR_clear_error();
        fail(c, ErrorKind::generator, "cannot set up a TLS connection (out of memory?)");
        return;
    }
    SSL_set_connect_state(c.ssl);
    SSL_set_app_data(c.ssl, &origin);
    if (origin.session != nullptr) {
        SSL_set_session(c.ssl, origin.session);  // resumption: no full handshake
    }
    c.state = State::handshaking;
    handshake(c);
}

void LeanTransport::handshake(Connection& c) {
    ERR_clear_error();
    errno = 0;
    int result = SSL_do_handshake(c.ssl);
    if (result == 1) {
        c.ready_at = Clock::now();
        send_request(c);
        return;
    }
    int error = SSL_get_error(c.ssl, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        return;  // the socket's next edge resumes it
    }
    int os_error = errno;
    bool definite = false;
    std::string why = tls_failure_text(error, c.tls_problem, definite);
    const Origin& origin = m_origins[static_cast<std::size_t>(c.origin)];
    if (!definite) {
        // Reset or closed mid-handshake: the server's trouble, not a TLS setting.
        fail(c, os_error != 0 ? ErrorKind::connection_reset : ErrorKind::connection_closed,
             "TLS handshake with " + origin.where + ": " + why);
        return;
    }
    fail(c, ErrorKind::tls, "TLS handshake with " + origin.where + " failed: " + why);
}

ssize_t LeanTransport::receive(Connection& c, std::string& tls_error) {
    if (c.ssl == nullptr) {
        return ::recv(c.fd, m_buffer.data(), m_buffer.size(), 0);
    }
    ERR_clear_error();
    errno = 0;
    int got = SSL_read(c.ssl, m_buffer.data(), static_cast<int>(m_buffer.size()));
    if (got > 0) {
        return got;
    }
    int error = SSL_get_error(c.ssl, got);
    switch (error) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            errno = EAGAIN;
            return -1;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_SYSCALL:
            ERR_clear_error();
            if (errno == 0) {
                return 0;
            }
            return -1;
        default: {
            bool definite = false;
            tls_error = tls_failure_text(error, c.tls_problem, definite);
            return -2;
        }
    }
}

int LeanTransport::on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* origin = static_cast<Origin*>(SSL_get_app_data(ssl));
    if (origin == nullptr) {
        return 0;
    }
    if (origin->session != nullptr) {
        SSL_SESSION_free(origin->session);
    }
    origin->session = session;  // ours now: returning 1 keeps OpenSSL's reference
    return 1;
}

void LeanTransport::send_request(Connection& c) {
    c.state = State::sending;
    const Exchange& exchange = *c.exchange;
    std::size_t head_size = c.head.size();
    std::size_t body_size = exchange.has_body && !c.body_in_head ? exchange.body.size() : 0;
    while (c.ssl != nullptr && c.written < head_size + body_size) {
        const char* data = c.written < head_size ? c.head.data() + c.written
                                                 : exchange.body.data() + (c.written - head_size);
        std::size_t length =
            c.written < head_size ? head_size - c.written : head_size + body_size - c.written;
        ERR_clear_error();
        errno = 0;
        int sent = SSL_write(c.ssl, data, static_cast<int>(std::min<std::size_t>(length, 1 << 30)));
        if (sent > 0) {
            c.written += static_cast<std::size_t>(sent);
            continue;
        }
        int error = SSL_get_error(c.ssl, sent);
        if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
            return;  // the next event resumes here
        }
        if (error == SSL_ERROR_SYSCALL || error == SSL_ERROR_ZERO_RETURN) {
            int os_error = errno;
            ERR_clear_error();
            on_peer_gone(c, os_error != 0 ? os_error : EPIPE, "send");
            return;
        }
        bool definite = false;
        fail(c, ErrorKind::tls, "TLS: " + tls_failure_text(error, c.tls_problem, definite));
        return;
    }
    while (c.written < head_size + body_size) {
        iovec parts[2];
        int count = 0;
        if (c.written < head_size) {
            parts[count++] = {c.head.data() + c.written, head_size - c.written};
        }
        if (body_size > 0) {
            std::size_t body_done = c.written > head_size ? c.written - head_size : 0;
            parts[count++] = {const_cast<char*>(exchange.body.data()) + body_done,
                              body_size - body_done};
        }
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = static_cast<std::size_t>(count);
        ssize_t sent = ::sendmsg(c.fd, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            int error = errno;
            if (error == EINTR) {
                continue;
            }
            if (error == EAGAIN || error == EWOULDBLOCK) {
                return;  // the edge of EPOLLOUT resumes here
            }
            on_peer_gone(c, error, "send");
            return;
        }
        c.written += static_cast<std::size_t>(sent);
    }
    c.request_sent = Clock::now();
    c.state = State::receiving;
    http_parser_init(&c.parser, HTTP_RESPONSE);
    c.parser.data = &c;
    c.header_part = HeaderPart::none;
}

void LeanTransport::on_event(Connection& c, std::uint32_t events) {
    constexpr std::uint32_t k_readable = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
    constexpr std::uint32_t k_writable = EPOLLOUT | EPOLLERR | EPOLLHUP;
    std::uint32_t generation = c.generation;
    switch (c.state) {
        case State::idle:
            if ((events & k_readable) != 0) {
                // A kept-alive connection the server closed (or wrote to unasked) is dropped
                // now, so the next request connects afresh instead of retrying. The event
                // may be stale (data read before it was reported): peek first.
                if (c.ssl != nullptr) {
                    // TLS 1.3 sends session tickets after the handshake: reading them keeps
                    // the connection; application data or a close ends it.
                    std::string ignored;
                    ssize_t got = receive(c, ignored);
                    if (!(got == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
                        close_socket(c);
                    }
                    return;
                }
                char probe = 0;
                ssize_t got = ::recv(c.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
                if (!(got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
                    close_socket(c);
                }
            }
            return;
        case State::connecting: {
            if ((events & k_writable) == 0) {
                return;
            }
            int error = 0;
            socklen_t length = sizeof(error);
            ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) {
                on_peer_gone(c, error, "connect");
                return;
            }
            Origin& origin = m_origins[static_cast<std::size_t>(c.origin)];
            origin.preferred = (origin.preferred + c.attempt) % origin.addresses.size();
            c.attempt = 0;
            connected(c);
            break;
        }
        case State::handshaking:
            handshake(c);
            break;
        case State::sending:
            if ((events & k_writable) != 0) {
                send_request(c);
            }
            break;
        case State::receiving:
            break;
    }
    // A send that failed may have retried on a new socket: these events were the old one's.
    if (c.generation != generation || c.fd < 0 || c.state == State::idle ||
        c.state == State::connecting || c.state == State::handshaking) {
        return;
    }
    // Sending: a server may answer (413, say) before it read the whole request.
    if ((events & k_readable) != 0) {
        read_response(c, events);
    }
}

void LeanTransport::read_response(Connection& c, std::uint32_t events) {
    if (c.state == State::sending) {
        // An early answer: parse it like any other.
        http_parser_init(&c.parser, HTTP_RESPONSE);
        c.parser.data = &c;
        c.header_part = HeaderPart::none;
        c.state = State::receiving;
    }
    const http_parser_settings* settings = c.exchange->want_headers ? &m_settings
                                           : c.exchange->decode     ? &m_settings_no_headers
                                                                    : &m_settings_plain;
    std::string tls_error;
    for (;;) {
        ssize_t got = receive(c, tls_error);
        if (got > 0) {
            Clock::time_point now = Clock::now();
            if (!c.got_bytes) {
                c.got_bytes = true;
                c.first_byte = now;
            }
            auto bytes = static_cast<std::size_t>(got);
            std::size_t parsed = http_parser_execute(&c.parser, settings, m_buffer.data(), bytes);
            if (c.complete) {
                // Bytes after the answer were not asked for; a peer that closed (its FIN
                // came with the answer, or is waiting behind it) cannot take the next
                // request. Either way the connection ends now, not at the next timeout.
                bool trailing = parsed != bytes;
                finish(c, now);
                if (c.fd >= 0 && (trailing || (events & EPOLLRDHUP) != 0 || !drained(c))) {
                    close_socket(c);
                }
                return;
            }
            if (HTTP_PARSER_ERRNO(&c.parser) != HPE_OK || parsed != bytes) {
                fail(c, ErrorKind::other,
                     std::string("invalid HTTP response: ") +
                         http_errno_description(HTTP_PARSER_ERRNO(&c.parser)));
                return;
            }
            // Incomplete: read on until EAGAIN, since with edge-triggered events a close that
            // came with the data would never be reported again.
            continue;
        }
        if (got == 0) {
            // End of stream: completes a response whose body runs to the close.
            http_parser_execute(&c.parser, settings, nullptr, 0);
            if (c.complete) {
                c.keep_alive = false;
                finish(c, Clock::now());
                return;
            }
            on_peer_gone(c, 0, "recv");
            return;
        }
        if (got == -2) {
            fail(c, ErrorKind::tls, "TLS: " + tls_error);
            return;
        }
        int error = errno;
        if (error == EINTR) {
            continue;
        }
        if (error == EAGAIN || error == EWOULDBLOCK) {
            return;
        }
        on_peer_gone(c, error, "recv");
        return;
    }
}

bool LeanTransport::drained(Connection& c) {
    std::string ignored;
    for (;;) {
        ssize_t got = receive(c, ignored);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

bool LeanTransport::retry(Connection& c) {
    // Only a reused connection that the server closed before any byte of the answer: the
    // server may have dropped it while idle. The request may still have reached a handler
    // (a server that half-closed reads on), so only a method that may run twice, or a
    // request of which nothing was written, goes out again.
    if (!c.reused || c.retried || c.got_bytes || (c.written > 0 && !c.idempotent)) {
        return false;
    }
    close_socket(c);
    c.retried = true;
    c.reused = false;
    c.attempt = 0;
    c.written = 0;
    c.request_sent = Clock::time_point{};
    open_connection(c);  // no byte came, so the exchange's response is still empty
    return true;
}

void LeanTransport::on_peer_gone(Connection& c, int error, const char* what) {
    std::string_view step(what);
    bool connecting = step == "connect";
    if (!connecting && (error == 0 || error == ECONNRESET || error == EPIPE) && retry(c)) {
        return;
    }
    const Origin& origin = m_origins[static_cast<std::size_t>(c.origin)];
    if (connecting) {
        const Origin& o = m_origins[static_cast<std::size_t>(c.origin)];
        bool unreachable = error == ECONNREFUSED || error == ENETUNREACH || error == EHOSTUNREACH ||
                           error == EADDRNOTAVAIL || error == EAFNOSUPPORT;
        if (unreachable && c.attempt + 1 < o.addresses.size()) {
            // The next address of the name (IPv4 after IPv6, or the other way round), as
            // libcurl does: the first that connects wins.
            close_socket(c);
            ++c.attempt;
            open_connection(c);
            return;
        }
        // EADDRNOTAVAIL with no other address left: no ephemeral port for this destination,
        // the generator's limit.
        ErrorKind kind = is_generator_errno(error) ? ErrorKind::generator
                         : error == ETIMEDOUT      ? ErrorKind::timeout
                         : error == ECONNRESET     ? ErrorKind::connection_reset
                                                   : ErrorKind::connection_refused;
        fail(c, kind, "cannot connect to " + origin.where + ": " + errno_text(error));
        return;
    }
    if (error == 0) {
        if (c.got_bytes) {
            fail(c, ErrorKind::connection_reset,
                 "the server closed the connection in the middle of the response");
        } else {
            fail(c, ErrorKind::connection_closed,
                 c.reused ? "the server closed the kept-alive connection without answering "
                            "(not sent again: a " +
                                std::string(c.exchange->method) + " may not run twice)"
                          : std::string("the server closed the connection without answering"));
        }
        return;
    }
    if (error == ECONNRESET || error == EPIPE || error == ECONNABORTED) {
        fail(c, ErrorKind::connection_reset,
             std::string("connection reset by ") + origin.where + " (" + what + ")");
        return;
    }
    fail(c, is_generator_errno(error) ? ErrorKind::generator : ErrorKind::other,
         std::string(what) + " failed: " + errno_text(error));
}

void LeanTransport::finish(Connection& c, Clock::time_point done_at) {
    Exchange& exchange = *c.exchange;
    exchange.done_at = done_at;
    exchange.status = c.parser.status_code;
    if (c.request_sent == Clock::time_point{}) {
        // Answered before the request was all out: the rest of it must not be taken for
        // the next request, so this connection ends here.
        c.request_sent = c.first_byte;
        c.keep_alive = false;
    }
    Clock::time_point resolved = exchange.sent_at + std::chrono::microseconds(c.blocked_us);
    exchange.has_phases = true;
    exchange.phases.blocked = c.blocked_us;
    Clock::time_point tcp = c.tcp_at == Clock::time_point{} ? c.ready_at : c.tcp_at;
    exchange.phases.connecting = micros_not_negative(tcp - resolved);
    exchange.phases.tls = micros_not_negative(c.ready_at - tcp);
    exchange.phases.sending = micros_not_negative(c.request_sent - c.ready_at);
    exchange.phases.waiting = micros_not_negative(c.first_byte - c.request_sent);
    exchange.phases.receiving = micros_not_negative(done_at - c.first_byte);
    exchange.transfer_us = micros_not_negative(done_at - exchange.sent_at);
    if (c.keep_alive) {
        c.served = true;
    } else {
        close_socket(c);
    }
    c.state = State::idle;
    c.pending = true;
    m_done.push_back(c.id);
}

void LeanTransport::fail(Connection& c, ErrorKind kind, std::string_view message) {
    Exchange& exchange = *c.exchange;
    exchange.done_at = Clock::now();
    exchange.status = 0;
    exchange.transport_error = kind;
    exchange.error_message.assign(message);
    exchange.has_phases = false;
    close_socket(c);
    c.state = State::idle;
    c.pending = true;
    m_done.push_back(c.id);
}

void LeanTransport::close_socket(Connection& c) {
    if (c.ssl != nullptr) {
        // No close_notify round trip; marked shut down so the session stays resumable.
        SSL_set_quiet_shutdown(c.ssl, 1);
        SSL_shutdown(c.ssl);
        SSL_free(c.ssl);
        c.ssl = nullptr;
    }
    if (c.fd >= 0) {
        ::close(c.fd);  // also leaves the epoll set
        c.fd = -1;
    }
    c.served = false;
}

void LeanTransport::expire(Clock::time_point now) {
    if (now < m_earliest_deadline) {
        return;
    }
    m_earliest_deadline = Clock::time_point::max();
    for (auto& c : m_connections) {
        if (c.state == State::idle) {
            continue;
        }
        if (c.deadline > now) {
            m_earliest_deadline = std::min(m_earliest_deadline, c.deadline);
            continue;
        }
        const char* during = c.state == State::connecting    ? "connecting"
                             : c.state == State::handshaking ? "in the TLS handshake"
                             : c.state == State::sending     ? "sending the request"
                             : c.got_bytes                   ? "receiving the response"
                                                             : "waiting for the response";
        // The deadline was set just before the hand-over: rounded, this is the timeout.
        auto ms = std::chrono::round<std::chrono::milliseconds>(c.deadline - c.exchange->sent_at);
        fail(c, ErrorKind::timeout,
             "timed out after " + std::to_string(ms.count()) + " ms (" + during + ")");
    }
}

void LeanTransport::poll(Duration timeout, CompletionSink& sink) {
    Clock::time_point now = Clock::now();
    auto wait =
        std::max(std::chrono::duration_cast<Clock::duration>(timeout), Clock::duration::zero());
    if (!m_done.empty()) {
        wait = Clock::duration::zero();
    } else if (m_earliest_deadline != Clock::time_point::max()) {
        wait = std::clamp(m_earliest_deadline - now, Clock::duration::zero(), wait);
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    timespec wait_for{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    int ready = -1;
    if (m_precise_wait) {
        ready = ::epoll_pwait2(m_epoll, m_events.data(), k_max_epoll_events, &wait_for, nullptr);
        if (ready < 0 && (errno == ENOSYS || errno == EPERM)) {
            m_precise_wait = false;  // a kernel before 5.11, or a sandbox that forbids it
        }
    }
    if (!m_precise_wait) {
        // Milliseconds, rounded up: never wakes before a due time, at most 1 ms after.
        auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
        ready = ::epoll_wait(m_epoll, m_events.data(), k_max_epoll_events,
                             static_cast<int>(std::min<std::int64_t>(ms, 1'000'000)));
    }
    for (int i = 0; i < ready; ++i) {
        const epoll_event& event = m_events[static_cast<std::size_t>(i)];
        if (consume_wakeup(event.data.u64, m_wake)) {
            continue;
        }
        auto id = static_cast<std::uint32_t>(event.data.u64 & 0xffffffffU);
        auto generation = static_cast<std::uint32_t>(event.data.u64 >> 32);
        Connection& c = m_connections[id];
        if (c.fd < 0 || c.generation != generation) {
            continue;  // a socket closed earlier in this batch
        }
        on_event(c, event.events);
    }
    expire(Clock::now());

    // Report outside the event loop; a start from on_complete that fails at once is
    // queued for the next poll.
    m_delivering.clear();
    std::swap(m_done, m_delivering);
    for (std::uint32_t id : m_delivering) {
        Connection& c = m_connections[id];
        if (!c.pending) {
            continue;  // aborted meanwhile
        }
        c.pending = false;
        sink.on_complete(id);
    }
}

void LeanTransport::abort(std::uint32_t connection) {
    Connection& c = m_connections[connection];
    if (c.state != State::idle) {
        close_socket(c);  // half an exchange: the connection's state is unknown
        c.state = State::idle;
    }
    c.pending = false;
}

// --- libhttp-parser callbacks: `parser->data` is the Connection ---

Connection& connection_of(http_parser* parser) {
    return *static_cast<Connection*>(parser->data);
}

/// "HTTP/1.1 200", the start of the rebuilt status line.
void append_status_line(std::string& out, const http_parser& parser) {
    char line[32];
    int n = std::snprintf(line, sizeof(line), "HTTP/%u.%u %u", parser.http_major, parser.http_minor,
                          parser.status_code);
    out.append(line, static_cast<std::size_t>(std::max(n, 0)));
}

/// Ends the status line or a header line in the rebuilt header block.
void end_header_part(Connection& c, std::string& out, const http_parser& parser) {
    if (c.header_part == HeaderPart::none) {
        // No reason phrase came: the status line is version and code only.
        append_status_line(out, parser);
    }
    if (c.header_part != HeaderPart::field) {
        out.append("\r\n");
    }
}

/// Appends a piece of the reason phrase, a header name or a header value to the rebuilt
/// header block; a piece of a new kind first ends the one before. Only set as callbacks
/// (m_settings) for an exchange that wants the headers.
int append_header_part(http_parser* parser, HeaderPart part, const char* at, std::size_t length) {
    Connection& c = connection_of(parser);
    std::string& out = c.exchange->response_headers;
    if (c.header_part != part) {
        switch (part) {
            case HeaderPart::status:
                append_status_line(out, *parser);
                out.append(" ");
                break;
            case HeaderPart::field:
                end_header_part(c, out, *parser);
                break;
            case HeaderPart::value:
                out.append(": ");
                break;
            case HeaderPart::none:
                break;
        }
        c.header_part = part;
    }
    out.append(at, length);
    return 0;
}

int LeanTransport::on_message_begin(http_parser* parser) {
    Connection& c = connection_of(parser);
    c.header_part = HeaderPart::none;
    c.field_is_encoding = false;
    c.encoding = Encoding::identity;
    c.inflating = false;
    c.inflate_failed = false;
    c.raw_deflate_tried = false;
    c.exchange->response_headers.clear();
    return 0;
}

int LeanTransport::on_encoding_field(http_parser* parser, const char* at, std::size_t length) {
    Connection& c = connection_of(parser);
    // A name split over two reads is taken by its last piece; "content-encoding" is rarely
    // split and then at worst not decoded.
    c.field_is_encoding =
        length == 16 && starts_with_lower(std::string_view(at, length), "content-encoding");
    return 0;
}

int LeanTransport::on_encoding_value(http_parser* parser, const char* at, std::size_t length) {
    Connection& c = connection_of(parser);
    if (!c.field_is_encoding) {
        return 0;
    }
    std::string_view value(at, length);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    auto is = [&](std::string_view name) {
        return value.size() == name.size() && starts_with_lower(value, name);
    };
    c.encoding = is("gzip") || is("x-gzip")        ? Encoding::gzip
                 : is("deflate")                   ? Encoding::deflate
                 : is("identity") || value.empty() ? Encoding::identity
                                                   : Encoding::other;  // br, or a list: as is
    return 0;
}

int LeanTransport::on_status(http_parser* parser, const char* at, std::size_t length) {
    return append_header_part(parser, HeaderPart::status, at, length);
}

int LeanTransport::on_header_field(http_parser* parser, const char* at, std::size_t length) {
    on_encoding_field(parser, at, length);
    return append_header_part(parser, HeaderPart::field, at, length);
}

int LeanTransport::on_header_value(http_parser* parser, const char* at, std::size_t length) {
    on_encoding_value(parser, at, length);
    return append_header_part(parser, HeaderPart::value, at, length);
}

int LeanTransport::on_headers_complete(http_parser* parser) {
    Connection& c = connection_of(parser);
    if (c.exchange->want_headers) {
        std::string& out = c.exchange->response_headers;
        if (c.header_part == HeaderPart::field) {
            out.append(":");  // a field without a value
            c.header_part = HeaderPart::value;
        }
        end_header_part(c, out, *parser);
        out.append("\r\n");
    }
    // 1: no body, whatever Content-Length or Transfer-Encoding say, for the answer to a
    // HEAD and for 1xx, 204 and 304 (RFC 9112 6.3).
    unsigned status = parser->status_code;
    bool no_body =
        c.head_request || (status >= 100 && status < 200) || status == 204 || status == 304;
    return no_body ? 1 : 0;
}

/// Keeps what fits of `length` decoded bytes at `at` (all are counted).
void keep_body(Exchange& exchange, const char* at, std::size_t length) {
    exchange.body_bytes += length;
    std::size_t kept = exchange.response_body.size();
    std::size_t room = exchange.body_limit > kept ? exchange.body_limit - kept : 0;
    exchange.response_body.append(at, std::min(length, room));
}

/// Inflates `length` compressed bytes at `at` into the exchange's body. False when they are
/// not valid gzip/zlib/raw deflate data.
bool inflate_body(Connection& c, const char* at, std::size_t length) {
    Inflater& inflater = *c.inflater;
    z_stream& z = inflater.stream;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(at));
    z.avail_in = static_cast<uInt>(length);
    char out[16 * 1024];
    while (z.avail_in > 0) {
        z.next_out = reinterpret_cast<Bytef*>(out);
        z.avail_out = sizeof(out);
        int result = inflate(&z, Z_NO_FLUSH);
        std::size_t produced = sizeof(out) - z.avail_out;
        if (result == Z_DATA_ERROR && c.encoding == Encoding::deflate && !c.raw_deflate_tried &&
            z.total_out == 0) {
            // "deflate" as some servers send it: raw, without the zlib wrapper.
            c.raw_deflate_tried = true;
            inflateReset2(&z, -MAX_WBITS);
            z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(at));
            z.avail_in = static_cast<uInt>(length);
            continue;
        }
        if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR) {
            return false;
        }
        keep_body(*c.exchange, out, produced);
        if (result == Z_STREAM_END) {
            return true;  // anything after the stream's end is not body
        }
        if (result == Z_BUF_ERROR && produced == 0) {
            return true;  // needs more input
        }
    }
    return true;
}

int LeanTransport::on_body(http_parser* parser, const char* at, std::size_t length) {
    Connection& c = connection_of(parser);
    Exchange& exchange = *c.exchange;
    exchange.body_bytes_wire += length;
    if (!exchange.decode || c.encoding == Encoding::identity || c.encoding == Encoding::other) {
        keep_body(exchange, at, length);
        return 0;  // the rest is parsed and dropped: the response itself stays complete
    }
    if (c.inflate_failed) {
        return 0;
    }
    if (!c.inflating) {
        if (!c.inflater) {
            c.inflater = std::make_unique<Inflater>();
        }
        Inflater& inflater = *c.inflater;
        // 32 + 15: gzip or zlib wrapper, told by the first bytes.
        int result = inflater.ready ? inflateReset2(&inflater.stream, 32 + MAX_WBITS)
                                    : inflateInit2(&inflater.stream, 32 + MAX_WBITS);
        if (result != Z_OK) {
            c.inflate_failed = true;
            return 0;
        }
        inflater.ready = true;
        c.inflating = true;
    }
    if (!inflate_body(c, at, length)) {
        // Not what the header said: the body kept so far stays, checks on it then fail.
        c.inflate_failed = true;
    }
    return 0;
}

int LeanTransport::on_message_complete(http_parser* parser) {
    Connection& c = connection_of(parser);
    unsigned status = parser->status_code;
    if (status >= 100 && status < 200 && status != 101) {
        // An interim answer (100 Continue, 103 Early Hints): the real one follows.
        c.exchange->response_body.clear();
        return 0;
    }
    c.complete = true;
    c.keep_alive = http_should_keep_alive(parser) != 0 && status != 101;
    http_parser_pause(parser, 1);  // stop here: nothing after the answer belongs to us
    return 0;
}

}  // namespace

bool lean_supports_url(std::string_view url) noexcept {
    HttpUrl parsed;
    return parse_http_url(url, parsed);
}

Result<std::unique_ptr<Transport>> make_lean_transport(std::size_t connections) {
    return make_lean_transport(connections, TargetSpec{});
}

Result<std::unique_ptr<Transport>> make_lean_transport(std::size_t connections,
                                                       const TargetSpec& target) {
    auto set = make_wakeable_epoll("the lean transport");
    if (!set) {
        return tl::unexpected(set.error());
    }
    return std::unique_ptr<Transport>(
        std::make_unique<LeanTransport>(set->epoll, set->wake, connections, target));
}

}  // namespace orch::builtin
