// Phase mapping (libcurl 7.88 reports cumulative times since the transfer began:
// namelookup <= connect <= appconnect <= pretransfer <= starttransfer <= total):
//   blocked    = namelookup on a new connection; on a reused one (CURLINFO_NUM_CONNECTS 0)
//                libcurl's "connect" is the wait until a connection was handed to the
//                transfer, so blocked = connect there. The worker adds its own hand-over
//                and pick-up delay on top (engine latency - total).
//   connecting = connect - namelookup on a new connection, 0 on a reused one
//   tls        = appconnect - connect          (0 without TLS or on reuse)
//   sending    = pretransfer - max(connect, appconnect): protocol set-up before the request
//                goes out. libcurl 7.88 has no "request sent" time, so the writing of the
//                request itself falls into `waiting`.
//   waiting    = starttransfer - pretransfer   (request out, server time, first byte back)
//   receiving  = total - starttransfer
// Every difference is clamped at 0.
//
// Per request the handle is given only what changed since its last request (URL, method,
// header list, timeout, decoding): a handle is reset (and its fixed options set again) only
// after libcurl opened a socket for it, see start(). The multi handle is driven through its
// socket interface on our own epoll set (curl_multi_socket_action), so a poll costs the
// sockets that are ready, not a poll() over every connection plus a check of each transfer.
#include "plugins/executors/builtin/curl_transport.hpp"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "http/tls_client.hpp"
#include "plugins/executors/builtin/lean_transport.hpp"

namespace orch::builtin {

namespace {

class CurlTransport final : public Transport {
  public:
    CurlTransport(CURLM* multi, int epoll_fd, int wake_fd, std::size_t connections,
                  const TargetSpec& target);
    ~CurlTransport() override;
    CurlTransport(const CurlTransport&) = delete;
    CurlTransport& operator=(const CurlTransport&) = delete;

    bool ready() const { return m_ready; }

    void start(std::uint32_t connection, Exchange& exchange) override;
    void poll(Duration timeout, CompletionSink& sink) override;
    void abort(std::uint32_t connection) override;
    void wakeup() override;

  private:
    struct Connection {
        CurlTransport* owner = nullptr;
        CURL* easy = nullptr;
        Exchange* exchange = nullptr;
        std::uint32_t id = 0;
        bool in_flight = false;
        char error[CURL_ERROR_SIZE] = {};
        int socket_errno = 0;         ///< why the last socket() for this transfer failed, or 0
        unsigned sockets_opened = 0;  ///< sockets libcurl opened for the handle since its reset

        // What the handle was last given; `known` false (after a reset): all set again.
        bool known = false;
        std::string url;  ///< the exchange URL's text
        /// The URL as given to libcurl, parsed once (CURLOPT_CURLU): a transfer then copies
        /// it instead of parsing CURLOPT_URL again. Null when libcurl could not parse it.
        CURLU* parsed_url = nullptr;
        const char* method = nullptr;
        bool has_body = false;
        bool decode = false;
        long timeout_ms = -1;
        std::string header_block;              ///< the header lines, each ending in '\0'
        std::vector<curl_slist> header_nodes;  ///< CURLOPT_HTTPHEADER: point into header_block

        // target.tls.server_name: the URL asked of libcurl (SNI and the verified name come
        // from it), the route to the real host, and the real Host header.
        bool routed = false;
        std::string sni_url;
        std::string route;
        curl_slist route_node{};
    };
    /// For an https `url` with tls.server_name set: fills c's sni_url and route and returns
    /// true (the transfer then asks for server_name and connects to the URL's host, sending
    /// the URL's Host header, as the lean transport does).
    bool route_by_server_name(Connection& c, const RequestUrl& url) const;
    /// Gives c's handle the method and body of `exchange` (only what changed).
    void set_method(Connection& c, const Exchange& exchange);
    /// Gives c's handle the header list of `exchange`, rebuilt only when it changed: the
    /// request's fields plus the lines that switch libcurl's own Expect and Accept-Encoding
    /// off (and Host when routed by server_name).
    void set_headers(Connection& c, const Exchange& exchange);

    /// The options every transfer of `c` has. Set again after each curl_easy_reset.
    void apply_fixed_options(Connection& c) const;
    static curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address);
    static int close_socket(void* user, curl_socket_t socket);
    static int on_socket(CURL* easy, curl_socket_t socket, int what, void* user, void* socket_data);
    static int on_timer(CURLM* multi, long timeout_ms, void* user);

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user);
    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user);
    void finish(Connection& connection, CURLcode result, Clock::time_point done_at);

    /// A socket's place in the epoll set, by descriptor. A socket libcurl stops watching (a
    /// kept-alive connection between two requests) stays registered, so its next request
    /// costs no epoll_ctl; it leaves the set when closed, or at its first event unwatched.
    struct Watch {
        std::uint32_t events = 0;  ///< registered for these
        bool registered = false;
        bool wanted = false;  ///< libcurl watches it now
    };
    Watch& watch(curl_socket_t socket);

    CURLM* m_multi;
    int m_epoll;
    int m_wake;
    std::vector<Connection> m_connections;  ///< never resized: CURLOPT_PRIVATE points in
    std::vector<std::uint32_t> m_failed_starts;
    std::vector<Watch> m_watches;
    std::string m_scratch;  ///< a header block being built, compared with the handle's
    std::array<epoll_event, k_max_epoll_events> m_events{};
    Clock::time_point m_timer_due = Clock::time_point::max();  ///< libcurl's timeout
    TargetSpec m_target;                                       ///< target.tls and insecure
    bool m_ready = true;
};

long to_curl_ms(Clock::duration duration) {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(duration).count();
    return static_cast<long>(std::clamp<std::int64_t>(ms, 0, 1'000'000'000));
}

std::int64_t diff_us(curl_off_t later, curl_off_t earlier) {
    return later > earlier ? static_cast<std::int64_t>(later - earlier) : 0;
}

bool is_named(std::string_view name, std::string_view lower) {
    return name.size() == lower.size() && starts_with_lower(name, lower);
}

CurlTransport::CurlTransport(CURLM* multi, int epoll_fd, int wake_fd, std::size_t connections,
                             const TargetSpec& target)
    : m_multi(multi),
      m_epoll(epoll_fd),
      m_wake(wake_fd),
      m_connections(connections),
      m_target(target) {
    m_failed_starts.reserve(connections);
    // Room for every slot's connection, so none is closed just to keep the cache small.
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, static_cast<long>(connections + 4));
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &CurlTransport::on_socket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &CurlTransport::on_timer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    for (std::size_t i = 0; i < connections; ++i) {
        Connection& c = m_connections[i];
        c.id = static_cast<std::uint32_t>(i);
        c.owner = this;
        c.easy = curl_easy_init();
        if (c.easy == nullptr) {
            m_ready = false;
            return;
        }
        apply_fixed_options(c);
    }
}

void CurlTransport::apply_fixed_options(Connection& c) const {
    curl_easy_setopt(c.easy, CURLOPT_PRIVATE, &c);
    curl_easy_setopt(c.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c.easy, CURLOPT_PROXY, "");
    curl_easy_setopt(c.easy, CURLOPT_NOPROXY, "");  // no proxy: no_proxy is not read either
    curl_easy_setopt(c.easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    tls_apply_to_curl(c.easy, m_target);  // target.tls and insecure, as the health probe
    curl_easy_setopt(c.easy, CURLOPT_ERRORBUFFER, c.error);
    curl_easy_setopt(c.easy, CURLOPT_WRITEFUNCTION, &CurlTransport::on_body);
    curl_easy_setopt(c.easy, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(c.easy, CURLOPT_HEADERFUNCTION, &CurlTransport::on_header);
    curl_easy_setopt(c.easy, CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(c.easy, CURLOPT_OPENSOCKETFUNCTION, &CurlTransport::open_socket);
    curl_easy_setopt(c.easy, CURLOPT_OPENSOCKETDATA, &c);
    curl_easy_setopt(c.easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlTransport::close_socket);
    curl_easy_setopt(c.easy, CURLOPT_CLOSESOCKETDATA, c.owner);
}

CurlTransport::Watch& CurlTransport::watch(curl_socket_t socket) {
    auto index = static_cast<std::size_t>(socket);
    if (index >= m_watches.size()) {
        m_watches.resize(index + 64);
    }
    return m_watches[index];
}

// libcurl reports a socket() that failed as "couldn't connect" without its errno; opening the
// socket here keeps the errno, so EMFILE is told apart from a refused connection. It also
// counts the sockets, which bounds the handle's "connection died, retry" count (start()).
curl_socket_t CurlTransport::open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    (void)purpose;
    auto* c = static_cast<Connection*>(user);
    ++c->sockets_opened;
    curl_socket_t fd = ::socket(address->family, address->socktype, address->protocol);
    if (fd == CURL_SOCKET_BAD) {
        c->socket_errno = errno;
    } else {
        c->owner->watch(fd) = Watch{};  // a new socket is in no epoll set
    }
    return fd;
}

int CurlTransport::close_socket(void* user, curl_socket_t socket) {
    static_cast<CurlTransport*>(user)->watch(socket) = Watch{};  // close() leaves the set
    return ::close(socket);
}

// libcurl tells which sockets to watch for what: mirrored into the epoll set (level
// triggered, as libcurl expects), with as few epoll_ctl calls as the Watch allows.
int CurlTransport::on_socket(CURL* easy, curl_socket_t socket, int what, void* user,
                             void* socket_data) {
    (void)easy;
    (void)socket_data;
    auto* self = static_cast<CurlTransport*>(user);
    Watch& w = self->watch(socket);
    if (what == CURL_POLL_REMOVE) {
        w.wanted = false;
        return 0;
    }
    w.wanted = true;
    std::uint32_t events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    if (w.registered && w.events == events) {
        return 0;
    }
    epoll_event event{};
    event.events = events;
    event.data.u64 = static_cast<std::uint64_t>(socket);
    int op = w.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(self->m_epoll, op, socket, &event) != 0 && op == EPOLL_CTL_ADD &&
        errno == EEXIST) {
        ::epoll_ctl(self->m_epoll, EPOLL_CTL_MOD, socket, &event);
    }
    w.registered = true;
    w.events = events;
    return 0;
}

int CurlTransport::on_timer(CURLM* multi, long timeout_ms, void* user) {
    (void)multi;
    auto* self = static_cast<CurlTransport*>(user);
    self->m_timer_due = timeout_ms < 0 ? Clock::time_point::max()
                                       : Clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

void CurlTransport::wakeup() {
    signal_wakeup(m_wake);
}

CurlTransport::~CurlTransport() {
    for (auto& c : m_connections) {
        if (c.easy == nullptr) {
            continue;
        }
        if (c.in_flight) {
            curl_multi_remove_handle(m_multi, c.easy);
        }
        curl_easy_cleanup(c.easy);
        curl_url_cleanup(c.parsed_url);
    }
    curl_multi_cleanup(m_multi);  // may still tell on_socket to forget sockets
    ::close(m_wake);
    ::close(m_epoll);
}

std::size_t CurlTransport::on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* c = static_cast<Connection*>(user);
    std::size_t bytes = size * count;
    Exchange& exchange = *c->exchange;
    exchange.body_bytes += bytes;  // after libcurl's decoding
    std::size_t room = exchange.body_limit > exchange.response_body.size()
                           ? exchange.body_limit - exchange.response_body.size()
                           : 0;
    exchange.response_body.append(data, std::min(bytes, room));
    return bytes;  // the rest is read and dropped: the transfer itself stays complete
}

std::size_t CurlTransport::on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* c = static_cast<Connection*>(user);
    std::size_t bytes = size * count;
    Exchange& exchange = *c->exchange;
    if (exchange.want_headers) {
        // A status line starts a new response (after a 100 Continue): keep only the last.
        if (bytes >= 5 && std::memcmp(data, "HTTP/", 5) == 0) {
            exchange.response_headers.clear();
        }
        exchange.response_headers.append(data, bytes);
    }
    return bytes;
}

void CurlTransport::start(std::uint32_t connection, Exchange& exchange) {
    Connection& c = m_connections[connection];
    CURL* easy = c.easy;
    c.exchange = &exchange;
    c.error[0] = '\0';
    c.socket_errno = 0;
    exchange.clear_response();
    // libcurl 7.88 keeps an easy handle's "connection died, retry" count across transfers
    // (reset only from 8.17 on), so a reused handle would give up after its fifth retry in
    // its lifetime. Every retry opens a new socket: a handle that opened none since its last
    // reset has a count of 0, and one that did is reset now (its options set again). The
    // connection cache belongs to the multi handle, so connections are still reused, and on
    // kept-alive connections a handle is not reset at all.
    if (c.sockets_opened > 0) {
        curl_easy_reset(easy);
        apply_fixed_options(c);
        c.sockets_opened = 0;
        c.known = false;
    }
    const RequestUrl& url = exchange.url();
    if (!c.known || c.url != url.text) {
        c.url.assign(url.text);
        c.routed = route_by_server_name(c, url);
        const char* text = c.routed ? c.sni_url.c_str() : c.url.c_str();
        curl_easy_setopt(easy, CURLOPT_URL, text);
        if (c.parsed_url == nullptr) {
            c.parsed_url = curl_url();
        }
        bool parsed = c.parsed_url != nullptr &&
                      curl_url_set(c.parsed_url, CURLUPART_URL, text,
                                   CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK;
        // Unparsable: libcurl parses CURLOPT_URL itself and says what is wrong with it.
        curl_easy_setopt(easy, CURLOPT_CURLU, parsed ? c.parsed_url : nullptr);
        if (c.routed) {
            c.route_node.data = c.route.data();
            c.route_node.next = nullptr;
        }
        curl_easy_setopt(easy, CURLOPT_CONNECT_TO, c.routed ? &c.route_node : nullptr);
    }
    if (!c.known || c.decode != exchange.decode) {
        // "": every encoding this libcurl decodes (gzip, deflate, br when built with it).
        // Which Accept-Encoding goes out is the request's headers' business (set_headers).
        c.decode = exchange.decode;
        curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, exchange.decode ? "" : nullptr);
    }
    set_method(c, exchange);
    set_headers(c, exchange);
    exchange.sent_at = Clock::now();
    long timeout_ms = 0;  // 0: none
    if (exchange.deadline != Clock::time_point::max()) {
        timeout_ms = std::max(to_curl_ms(exchange.deadline - exchange.sent_at), 1L);
    }
    if (!c.known || c.timeout_ms != timeout_ms) {
        c.timeout_ms = timeout_ms;
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    }
    c.known = true;

    CURLMcode added = curl_multi_add_handle(m_multi, easy);
    if (added != CURLM_OK) {
        exchange.transport_error = ErrorKind::other;
        exchange.error_message = curl_multi_strerror(added);
        m_failed_starts.push_back(connection);
        return;
    }
    c.in_flight = true;
}

void CurlTransport::set_method(Connection& c, const Exchange& exchange) {
    std::string_view method = exchange.method;
    bool posts = exchange.has_body || method == "POST";
    if (!c.known || c.has_body != exchange.has_body || c.method == nullptr || method != c.method) {
        c.method = exchange.method;
        c.has_body = exchange.has_body;
        bool is_head = method == "HEAD";
        curl_easy_setopt(c.easy, CURLOPT_NOBODY, is_head ? 1L : 0L);
        if (!posts && !is_head) {
            curl_easy_setopt(c.easy, CURLOPT_HTTPGET, 1L);
        }
        bool standard = method == "GET" || method == "POST" || is_head;
        curl_easy_setopt(c.easy, CURLOPT_CUSTOMREQUEST, standard ? nullptr : exchange.method);
    }
    if (posts) {
        // The body is the exchange's own buffer, read by libcurl as it sends (not copied).
        curl_easy_setopt(c.easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(exchange.has_body ? exchange.body.size() : 0));
        curl_easy_setopt(c.easy, CURLOPT_POSTFIELDS, exchange.has_body ? exchange.body.data() : "");
    }
}

void CurlTransport::set_headers(Connection& c, const Exchange& exchange) {
    std::string& block = m_scratch;
    block.clear();
    bool has_expect = false;
    bool has_accept_encoding = false;
    for (const HeaderField& header : exchange.headers) {
        has_expect = has_expect || is_named(header.name, "expect");
        has_accept_encoding = has_accept_encoding || is_named(header.name, "accept-encoding");
        block.append(header.name);
        if (header.value.find_first_not_of(" \t") == std::string_view::npos) {
            block += ';';  // libcurl sends "Name;" as an empty header, drops "Name:"
        } else {
            block.append(": ");
            block.append(header.value);
        }
        block += '\0';
    }
    // "Name:" removes a header libcurl would add: no 100-continue round trip for a body,
    // and compression: auto decodes whatever arrives but asks for compression only when
    // the request's own headers do (as the lean transport, which adds neither).
    if (exchange.has_body && !has_expect) {
        block.append("Expect:", 8);
    }
    if (exchange.decode && !has_accept_encoding) {
        block.append("Accept-Encoding:", 17);
    }
    if (c.routed) {
        block.append("Host: ").append(exchange.url().authority) += '\0';
    }
    if (c.known && block == c.header_block) {
        return;
    }
    c.header_block.swap(block);
    c.header_nodes.clear();
    for (std::size_t at = 0; at < c.header_block.size(); at = c.header_block.find('\0', at) + 1) {
        c.header_nodes.push_back({c.header_block.data() + at, nullptr});
    }
    for (std::size_t i = 0; i + 1 < c.header_nodes.size(); ++i) {
        c.header_nodes[i].next = &c.header_nodes[i + 1];
    }
    curl_easy_setopt(c.easy, CURLOPT_HTTPHEADER,
                     c.header_nodes.empty() ? nullptr : c.header_nodes.data());
}

bool CurlTransport::route_by_server_name(Connection& c, const RequestUrl& url) const {
    const std::string& name = m_target.tls.server_name;
    if (name.empty() || !url.http || !url.tls) {
        return false;
    }
    bool ipv6 = url.host.find(':') != std::string::npos;
    std::string host = ipv6 ? "[" + url.host + "]" : url.host;
    std::string port = std::to_string(url.port);
    c.sni_url.assign("https://").append(name).append(":").append(port).append(url.target);
    c.route.assign(name).append(":").append(port).append(":").append(host).append(":").append(port);
    return true;
}

void CurlTransport::finish(Connection& c, CURLcode result, Clock::time_point done_at) {
    Exchange& exchange = *c.exchange;
    exchange.done_at = done_at;
    if (result != CURLE_OK) {
        long os_errno = 0;
        curl_easy_getinfo(c.easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno == 0) {
            os_errno = c.socket_errno;
        }
        exchange.transport_error = classify_curl_error(result, os_errno);
        exchange.error_message = c.error[0] != '\0' ? c.error : curl_easy_strerror(result);
        if (c.socket_errno != 0) {
            exchange.error_message +=
                std::string(" (cannot open a socket: ") + std::strerror(c.socket_errno) + ")";
        } else if (exchange.transport_error == ErrorKind::generator) {
            exchange.error_message +=
                std::string(" (") + std::strerror(static_cast<int>(os_errno)) + ")";
        }
        exchange.status = 0;
        return;
    }
    long status = 0;
    curl_easy_getinfo(c.easy, CURLINFO_RESPONSE_CODE, &status);
    exchange.status = static_cast<int>(status);
    curl_off_t wire_bytes = 0;  // body bytes received, before decoding
    curl_easy_getinfo(c.easy, CURLINFO_SIZE_DOWNLOAD_T, &wire_bytes);
    exchange.body_bytes_wire = static_cast<std::uint64_t>(std::max<curl_off_t>(wire_bytes, 0));
    curl_off_t lookup = 0, connect = 0, appconnect = 0, pretransfer = 0, first_byte = 0, total = 0;
    curl_easy_getinfo(c.easy, CURLINFO_NAMELOOKUP_TIME_T, &lookup);
    curl_easy_getinfo(c.easy, CURLINFO_CONNECT_TIME_T, &connect);
    curl_easy_getinfo(c.easy, CURLINFO_APPCONNECT_TIME_T, &appconnect);
    curl_easy_getinfo(c.easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    curl_easy_getinfo(c.easy, CURLINFO_STARTTRANSFER_TIME_T, &first_byte);
    curl_easy_getinfo(c.easy, CURLINFO_TOTAL_TIME_T, &total);
    long new_connections = 0;
    curl_easy_getinfo(c.easy, CURLINFO_NUM_CONNECTS, &new_connections);
    // libcurl's phase stamps are counted from the start of the last attempt, and after a
    // "connection died, retry" some keep the value of the attempt before: they need not be in
    // order. Made monotonic and bounded by the total, the phases add up to the transfer time
    // exactly and never count a stretch twice.
    total = std::max<curl_off_t>(total, 0);
    auto in_order = [total](curl_off_t stamp, curl_off_t previous) {
        return std::clamp<curl_off_t>(stamp, previous, total);
    };
    lookup = in_order(lookup, 0);
    connect = in_order(connect, lookup);
    curl_off_t secured = appconnect > 0 ? in_order(appconnect, connect) : connect;
    pretransfer = in_order(pretransfer, secured);
    first_byte = in_order(first_byte, pretransfer);
    exchange.has_phases = true;
    if (new_connections > 0) {
        exchange.phases.blocked = static_cast<std::int64_t>(lookup);
        exchange.phases.connecting = diff_us(connect, lookup);
    } else {
        exchange.phases.blocked = static_cast<std::int64_t>(connect);
        exchange.phases.connecting = 0;
    }
    exchange.phases.tls = diff_us(secured, connect);
    exchange.phases.sending = diff_us(pretransfer, secured);
    exchange.phases.waiting = diff_us(first_byte, pretransfer);
    exchange.phases.receiving = diff_us(total, first_byte);
    exchange.transfer_us = static_cast<std::int64_t>(std::max<curl_off_t>(total, 0));
}

void CurlTransport::poll(Duration timeout, CompletionSink& sink) {
    // Starts that failed at once complete here, outside start(), so a caller that starts
    // again from its completion handler never recurses.
    std::size_t failed = m_failed_starts.size();
    if (failed > 0) {
        std::vector<std::uint32_t> now_failing(m_failed_starts.begin(),
                                               m_failed_starts.begin() + failed);
        m_failed_starts.erase(m_failed_starts.begin(), m_failed_starts.begin() + failed);
        for (std::uint32_t id : now_failing) {
            m_connections[id].exchange->done_at = Clock::now();
            sink.on_complete(id);
        }
        timeout = Duration(0);
    }
    auto wait =
        std::max(std::chrono::duration_cast<Clock::duration>(timeout), Clock::duration::zero());
    if (m_timer_due != Clock::time_point::max()) {
        wait = std::clamp(m_timer_due - Clock::now(), Clock::duration::zero(), wait);
    }
    int ready = ::epoll_wait(m_epoll, m_events.data(), k_max_epoll_events,
                             static_cast<int>(to_curl_ms(wait)));
    int running = 0;
    for (int i = 0; i < ready; ++i) {
        const epoll_event& event = m_events[static_cast<std::size_t>(i)];
        if (consume_wakeup(event.data.u64, m_wake)) {
            continue;
        }
        auto socket = static_cast<curl_socket_t>(event.data.u64);
        Watch& w = watch(socket);
        if (!w.wanted) {
            // An idle kept-alive socket the server wrote to or closed: out of the set until
            // libcurl wants it again (it finds it dead then), so it cannot wake us in a loop.
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, socket, nullptr);
            w.registered = false;
            continue;
        }
        int flags = ((event.events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                    ((event.events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                    ((event.events & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(m_multi, socket, flags, &running);
    }
    if (m_timer_due <= Clock::now()) {
        m_timer_due = Clock::time_point::max();
        curl_multi_socket_action(m_multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(m_multi, &queued)) {
        if (message->msg != CURLMSG_DONE) {
            continue;
        }
        Clock::time_point done_at = Clock::now();
        char* user = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &user);
        auto* c = reinterpret_cast<Connection*>(user);
        CURLcode result = message->data.result;
        // Read everything before removing the handle: removal may invalidate `message`.
        finish(*c, result, done_at);
        curl_multi_remove_handle(m_multi, c->easy);
        c->in_flight = false;
        sink.on_complete(c->id);
    }
}

void CurlTransport::abort(std::uint32_t connection) {
    Connection& c = m_connections[connection];
    if (c.in_flight) {
        curl_multi_remove_handle(m_multi, c.easy);
        c.in_flight = false;
    }
    auto failed = std::find(m_failed_starts.begin(), m_failed_starts.end(), connection);
    if (failed != m_failed_starts.end()) {
        m_failed_starts.erase(failed);
    }
}

}  // namespace

Result<void> init_curl_once() {
    static std::once_flag once;
    static CURLcode result = CURLE_OK;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (result != CURLE_OK) {
        return fail(ErrorCode::infrastructure,
                    std::string("libcurl failed to initialise: ") + curl_easy_strerror(result));
    }
    return {};
}

bool curl_supports_scheme(std::string_view scheme) {
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info == nullptr || info->protocols == nullptr) {
        return false;
    }
    for (const char* const* protocol = info->protocols; *protocol != nullptr; ++protocol) {
        std::string_view name(*protocol);
        if (name.size() == scheme.size() &&
            std::equal(name.begin(), name.end(), scheme.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return true;
        }
    }
    return false;
}

Result<std::unique_ptr<Transport>> make_curl_transport(std::size_t connections,
                                                       TlsVerification tls) {
    TargetSpec target;
    target.insecure = tls == TlsVerification::off;
    return make_curl_transport(connections, target);
}

Result<std::unique_ptr<Transport>> make_curl_transport(std::size_t connections,
                                                       const TargetSpec& target) {
    ORCH_TRY(init_curl_once());
    auto set = make_wakeable_epoll("the curl transport");
    if (!set) {
        return tl::unexpected(set.error());
    }
    CURLM* multi = curl_multi_init();
    if (multi == nullptr) {
        ::close(set->wake);
        ::close(set->epoll);
        return fail(ErrorCode::infrastructure, "libcurl could not create a multi handle");
    }
    auto transport =
        std::make_unique<CurlTransport>(multi, set->epoll, set->wake, connections, target);
    if (!transport->ready()) {
        return fail(ErrorCode::infrastructure, "libcurl could not create its easy handles");
    }
    return std::unique_ptr<Transport>(std::move(transport));
}

ErrorKind classify_curl_error(int curl_code, long os_errno) noexcept {
    // Out of descriptors, ports or buffers on this side: whatever libcurl calls it (couldn't
    // connect, send error, out of memory), the backend never saw the request.
    if (curl_code != CURLE_OK && is_generator_errno(os_errno)) {
        return ErrorKind::generator;
    }
    switch (static_cast<CURLcode>(curl_code)) {
        case CURLE_OK:
            return ErrorKind::none;
        case CURLE_COULDNT_CONNECT:
            return ErrorKind::connection_refused;
        case CURLE_OPERATION_TIMEDOUT:
            return ErrorKind::timeout;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            return ErrorKind::dns;
        case CURLE_GOT_NOTHING:
            // The server closed the connection without a byte of response.
            return ErrorKind::connection_closed;
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
            return os_errno == ECONNRESET || os_errno == EPIPE || os_errno == ECONNABORTED
                       ? ErrorKind::connection_reset
                       : ErrorKind::other;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
            return ErrorKind::tls;
        default:
            return ErrorKind::other;
    }
}

}  // namespace orch::builtin
