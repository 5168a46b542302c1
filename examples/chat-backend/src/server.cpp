#include "server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace chat {
namespace {

using Json = nlohmann::ordered_json;

constexpr int k_default_limit = 50;
constexpr int k_max_limit = 100;
constexpr std::size_t k_keep_alive_max_count = 100000;
constexpr time_t k_keep_alive_timeout_s = 5;
constexpr std::size_t k_payload_max_bytes = 1024 * 1024;
// cpp-httplib listens with a backlog of 5: bursts of 100+ connects would see SYNs dropped and
// retried a second later, so the socket is re-listened with a deeper queue.
constexpr int k_listen_backlog = 1024;

// Set while serving the request that exhausts FAULT_CRASH_AFTER_REQUESTS; the crash happens in
// the logger, i.e. after that response has been written. cpp-httplib runs a request's handler
// and its logger on the same worker thread.
thread_local bool t_crash_after_response = false;

void send_json(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
    send_json(res, status, Json{{"error", message}});
}

Json message_json(const Message& message) {
    return Json{{"id", std::to_string(message.id)},
                {"conversationId", message.conversation_id},
                {"userId", message.user_id},
                {"content", message.content},
                {"type", message.type},
                {"createdAt", message.created_at}};
}

std::string format_seconds(std::chrono::milliseconds duration) {
    if (duration.count() % 1000 == 0) {
        return std::to_string(duration.count() / 1000);
    }
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(duration.count()) / 1000.0);
    return text;
}

Json pool_timeout_body(const Config& config) {
    return Json{{"error",
                 "Invalid `prisma.message.create()` invocation: Timed out fetching a new "
                 "connection from the connection pool. (Current connection pool timeout: " +
                     format_seconds(config.pool_timeout) +
                     ", connection limit: " + std::to_string(config.pool_size) + ")"},
                {"code", "P2024"}};
}

Json injected_error_body() {
    return Json{{"error",
                 "Invalid `prisma.message.findMany()` invocation:\n\nInconsistent column data: "
                 "Conversion failed"},
                {"code", "P2023"}};
}

std::optional<std::int64_t> parse_int64(const std::string& text) {
    std::int64_t value = 0;
    const char* begin = text.data();
    const char* end = begin + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

bool is_missing(const nlohmann::json::const_iterator& it, const nlohmann::json& body) {
    return it == body.end() || it->is_null() ||
           (it->is_string() && it->get_ref<const std::string&>().empty());
}

// Reads a required non-empty string field; returns an error message ("" on success).
std::string read_text_field(const nlohmann::json& body, const std::string& name, std::string& out) {
    const auto it = body.find(name);
    if (is_missing(it, body)) {
        return "missing field: " + name;
    }
    if (!it->is_string()) {
        return "invalid field: " + name + " (expected a string)";
    }
    out = it->get<std::string>();
    return {};
}

// userId may be a JSON string or number; it is stored as a string either way.
std::string read_user_id(const nlohmann::json& body, std::string& out) {
    const auto it = body.find("userId");
    if (is_missing(it, body)) {
        return "missing field: userId";
    }
    if (it->is_string()) {
        out = it->get<std::string>();
    } else if (it->is_number_unsigned()) {
        out = std::to_string(it->get<std::uint64_t>());
    } else if (it->is_number_integer()) {
        out = std::to_string(it->get<std::int64_t>());
    } else if (it->is_number_float()) {
        out = it->dump();
    } else {
        return "invalid field: userId (expected a string or number)";
    }
    return {};
}

// Parses the request body as a JSON object; answers 400 and returns nullopt otherwise.
std::optional<nlohmann::json> parse_body(const httplib::Request& req, httplib::Response& res) {
    auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
        send_error(res, 400, "malformed JSON body");
        return std::nullopt;
    }
    if (!body.is_object()) {
        send_error(res, 400, "request body must be a JSON object");
        return std::nullopt;
    }
    return body;
}

std::uint64_t read_rss_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            std::uint64_t kb = 0;
            const char* begin = line.data() + 6;
            const char* end = line.data() + line.size();
            while (begin != end && (*begin == ' ' || *begin == '\t')) {
                ++begin;
            }
            std::from_chars(begin, end, kb);
            return kb * 1024;
        }
    }
    return 0;
}

class InFlight {
  public:
    explicit InFlight(std::atomic<std::int64_t>& counter) : m_counter(counter) { ++m_counter; }
    ~InFlight() { --m_counter; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

  private:
    std::atomic<std::int64_t>& m_counter;
};

}  // namespace

Server::Server(const Config& config, Store& store, Faults& faults)
    : m_config(config), m_store(store), m_faults(faults) {
    if (config.rate_limit_enabled) {
        m_rate_limiter.emplace(static_cast<std::uint64_t>(config.rate_limit_per_min));
    }
    const auto threads = static_cast<std::size_t>(config.http_threads);
    m_http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    m_http.set_keep_alive_max_count(k_keep_alive_max_count);
    m_http.set_keep_alive_timeout(k_keep_alive_timeout_s);
    m_http.set_payload_max_length(k_payload_max_bytes);
    // Without TCP_NODELAY a keep-alive response written in two parts waits ~40 ms for the
    // peer's delayed ACK (Nagle), which would dominate every latency a load test measures.
    m_http.set_tcp_nodelay(true);

    // Errors produced by cpp-httplib itself (malformed request line, 413, ...) get JSON too.
    m_http.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
            if (!res.body.empty()) {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            send_error(res, res.status,
                       res.status == 404 ? "not found" : "HTTP " + std::to_string(res.status));
            return httplib::Server::HandlerResponse::Handled;
        }));
    if (!m_config.app_version.empty()) {
        m_http.set_default_headers({{"X-Version", m_config.app_version}});
    }
    m_http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        if (m_config.log_requests) {
            std::fprintf(stderr, "chat-backend: %s %s %d\n", req.method.c_str(), req.path.c_str(),
                         res.status);
        }
        if (t_crash_after_response) {
            t_crash_after_response = false;
            m_faults.crash();
        }
    });
    register_routes();
}

void Server::register_routes() {
    m_http.Get("/health", wrap(Route::health, &Server::handle_health));
    m_http.Get("/stats", wrap(Route::stats, &Server::handle_stats));
    m_http.Get("/metrics", wrap(Route::metrics, &Server::handle_metrics));
    m_http.Post(R"(/conversations/([^/]+)/messages)",
                wrap(Route::post_message, &Server::handle_post_message));
    m_http.Get(R"(/conversations/([^/]+)/messages)",
               wrap(Route::list_messages, &Server::handle_list_messages));
    m_http.Post(R"(/messages/([^/]+)/reads)", wrap(Route::post_read, &Server::handle_post_read));

    // Registered last: cpp-httplib tries patterns in order. Going through wrap() means unknown
    // routes are counted, rate limited and faulted like any other request.
    const std::string any = ".*";
    m_http.Get(any, wrap(Route::unmatched, &Server::handle_unmatched));
    m_http.Post(any, wrap(Route::unmatched, &Server::handle_unmatched));
    m_http.Put(any, wrap(Route::unmatched, &Server::handle_unmatched));
    m_http.Patch(any, wrap(Route::unmatched, &Server::handle_unmatched));
    m_http.Delete(any, wrap(Route::unmatched, &Server::handle_unmatched));
    m_http.Options(any, wrap(Route::unmatched, &Server::handle_unmatched));
}

bool Server::bind(std::string& error) {
    m_http.set_socket_options([this](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        m_listen_fd = sock;
    });
    errno = 0;
    bool bound = false;
    if (m_config.port == 0) {
        m_port = m_http.bind_to_any_port(m_config.host);
        bound = m_port > 0;
    } else {
        m_port = m_config.port;
        bound = m_http.bind_to_port(m_config.host, m_port);
    }
    if (!bound) {
        const int saved = errno;
        error = "cannot listen on " + m_config.host + ":" + std::to_string(m_config.port) + ": " +
                (saved != 0 ? std::strerror(saved) : "bind failed");
        return false;
    }
    ::listen(m_listen_fd, k_listen_backlog);
    return true;
}

void Server::run() {
    m_http.listen_after_bind();
}

void Server::stop() {
    m_http.stop();
}

httplib::Server::Handler Server::wrap(Route route, RouteHandler handler) {
    return [this, route, handler](const httplib::Request& req, httplib::Response& res) {
        InFlight in_flight(m_in_flight);
        const auto started = std::chrono::steady_clock::now();
        m_stats.record_request(route);
        try {
            if (is_observability_route(route) || !apply_gates(req, res)) {
                (this->*handler)(req, res);
            }
        } catch (const StoreError& e) {
            m_stats.record_database_error();
            send_error(res, 500, std::string("database error: ") + e.what());
        } catch (const std::exception& e) {
            send_error(res, 500, std::string("internal error: ") + e.what());
        }
        m_stats.record_status(route, res.status);
        m_stats.record_response(route, res.status, std::chrono::steady_clock::now() - started);
    };
}

bool Server::apply_gates(const httplib::Request& req, httplib::Response& res) {
    const std::uint64_t sequence = m_faults.next_request_sequence();
    if (m_faults.crash_before_serving(sequence)) {
        m_faults.crash();
    }
    if (m_faults.crash_after_serving(sequence)) {
        t_crash_after_response = true;
    }
    if (m_rate_limiter) {
        const auto decision = m_rate_limiter->check(req.remote_addr);
        if (!decision.allowed) {
            res.set_header("Retry-After", std::to_string(decision.retry_after.count()));
            send_error(res, 429, "Too many requests");
            return true;
        }
    }
    m_faults.apply_latency();
    m_faults.leak_memory();
    if (m_faults.should_inject_error()) {
        m_stats.record_database_error();
        send_json(res, 500, injected_error_body());
        return true;
    }
    return false;
}

std::optional<Store::Lease> Server::lease_or_fail(httplib::Response& res) {
    auto lease = m_store.acquire(m_config.pool_timeout);
    if (!lease) {
        m_stats.record_database_error();
        send_json(res, 500, pool_timeout_body(m_config));
        return std::nullopt;
    }
    // FAULT_QUERY_DELAY_MS: a slow query keeps its connection, so small pools run dry.
    m_faults.apply_query_delay();
    return lease;
}

void Server::handle_health(const httplib::Request&, httplib::Response& res) {
    const auto uptime = std::chrono::steady_clock::now() - m_started;
    const bool unhealthy = m_faults.unhealthy(uptime);
    Json body{
        {"status", unhealthy ? "degraded" : "ok"},
        {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
        {"memory", Json{{"rss", read_rss_bytes()}}},
        {"database", Json{{"overall", unhealthy ? "unhealthy" : "healthy"},
                          {"errors", m_stats.database_errors()}}},
        // As /stats: a full pool (in_use == size) is the evidence for pool exhaustion.
        {"pool", Json{{"size", m_store.pool_size()}, {"in_use", m_store.in_use()}}},
    };
    send_json(res, unhealthy ? 503 : 200, body);
}

void Server::handle_stats(const httplib::Request&, httplib::Response& res) {
    Json body = m_stats.to_json();
    body["pool"] = Json{{"size", m_store.pool_size()}, {"in_use", m_store.in_use()}};
    send_json(res, 200, body);
}

void Server::handle_metrics(const httplib::Request&, httplib::Response& res) {
    ScrapeGauges gauges;
    gauges.pool_size = m_store.pool_size();
    gauges.pool_in_use = m_store.in_use();
    gauges.in_flight = m_in_flight.load();
    res.status = 200;
    res.set_content(m_stats.to_prometheus(gauges), "text/plain; version=0.0.4; charset=utf-8");
}

void Server::handle_post_message(const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req, res);
    if (!body) {
        return;
    }
    NewMessage message;
    message.conversation_id = req.matches[1];
    std::string error = read_user_id(*body, message.user_id);
    if (error.empty()) {
        error = read_text_field(*body, "content", message.content);
    }
    if (error.empty()) {
        error = read_text_field(*body, "type", message.type);
    }
    if (!error.empty()) {
        send_error(res, 400, error);
        return;
    }
    auto lease = lease_or_fail(res);
    if (!lease) {
        return;
    }
    send_json(res, 201, message_json(lease->insert_message(message)));
}

void Server::handle_list_messages(const httplib::Request& req, httplib::Response& res) {
    const std::string conversation_id = req.matches[1];
    int limit = k_default_limit;
    if (const auto text = req.get_param_value("limit"); !text.empty()) {
        const auto parsed = parse_int64(text);
        if (!parsed || *parsed < 1) {
            send_error(res, 400, "invalid limit: expected an integer between 1 and 100");
            return;
        }
        limit = static_cast<int>(std::min<std::int64_t>(*parsed, k_max_limit));
    }
    std::optional<std::int64_t> cursor;
    if (const auto text = req.get_param_value("cursor"); !text.empty()) {
        cursor = parse_int64(text);
        if (!cursor || *cursor < 1) {
            send_error(res, 400, "invalid cursor");
            return;
        }
    }
    auto lease = lease_or_fail(res);
    if (!lease) {
        return;
    }
    if (cursor && !lease->message_in_conversation(*cursor, conversation_id)) {
        send_error(res, 400, "invalid cursor");
        return;
    }
    const MessagePage page = lease->list_messages(conversation_id, cursor, limit);
    Json messages = Json::array();
    for (const auto& message : page.messages) {
        messages.push_back(message_json(message));
    }
    Json body{{"messages", std::move(messages)}, {"nextCursor", nullptr}};
    if (page.next_cursor) {
        body["nextCursor"] = std::to_string(*page.next_cursor);
    }
    send_json(res, 200, body);
}

void Server::handle_post_read(const httplib::Request& req, httplib::Response& res) {
    const auto message_id = parse_int64(req.matches[1]);
    auto body = parse_body(req, res);
    if (!body) {
        return;
    }
    std::string user_id;
    if (auto error = read_user_id(*body, user_id); !error.empty()) {
        send_error(res, 400, error);
        return;
    }
    if (!message_id) {
        send_error(res, 404, "message not found");
        return;
    }
    auto lease = lease_or_fail(res);
    if (!lease) {
        return;
    }
    const auto receipt = lease->mark_read(*message_id, user_id);
    if (!receipt) {
        send_error(res, 404, "message not found");
        return;
    }
    send_json(res, 201,
              Json{{"messageId", std::to_string(receipt->message_id)},
                   {"userId", receipt->user_id},
                   {"readAt", receipt->read_at}});
}

void Server::handle_unmatched(const httplib::Request&, httplib::Response& res) {
    send_error(res, 404, "not found");
}

}  // namespace chat
