// HTTP layer of chat-backend: routes, JSON shapes, and the per-request pipeline wrapped around
// every handler (count -> crash check -> rate limit -> latency/leak/error faults -> handler).
// Handlers run after cpp-httplib has read the body, so early answers never desync keep-alive.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "config.hpp"
#include "faults.hpp"
#include "http.hpp"
#include "rate_limiter.hpp"
#include "stats.hpp"
#include "store.hpp"

namespace chat {

class Server {
  public:
    Server(const Config& config, Store& store, Faults& faults);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds config.host:config.port (PORT=0 picks a free port). On failure returns false and
    // says why in `error`. A port already in use fails: SO_REUSEPORT is deliberately not set.
    bool bind(std::string& error);
    int port() const { return m_port; }

    // Serves until stop() and returns once the worker threads have finished.
    void run();
    void stop();

    std::int64_t in_flight() const { return m_in_flight.load(); }
    const Stats& stats() const { return m_stats; }

  private:
    using RouteHandler = void (Server::*)(const httplib::Request&, httplib::Response&);

    void register_routes();
    httplib::Server::Handler wrap(Route route, RouteHandler handler);
    // Rate limit and request faults; returns true when the request has been answered.
    bool apply_gates(const httplib::Request& req, httplib::Response& res);
    // Leases a pooled connection or answers 500 P2024.
    std::optional<Store::Lease> lease_or_fail(httplib::Response& res);

    void handle_health(const httplib::Request& req, httplib::Response& res);
    void handle_stats(const httplib::Request& req, httplib::Response& res);
    void handle_metrics(const httplib::Request& req, httplib::Response& res);
    void handle_post_message(const httplib::Request& req, httplib::Response& res);
    void handle_list_messages(const httplib::Request& req, httplib::Response& res);
    void handle_post_read(const httplib::Request& req, httplib::Response& res);
    void handle_unmatched(const httplib::Request& req, httplib::Response& res);

    const Config& m_config;
    Store& m_store;
    Faults& m_faults;
    Stats m_stats;
    std::optional<RateLimiter> m_rate_limiter;
    httplib::Server m_http;
    const std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
    std::atomic<std::int64_t> m_in_flight{0};
    int m_port = 0;
    int m_listen_fd = -1;
};

}  // namespace chat
