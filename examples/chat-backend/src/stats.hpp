// Request counters behind GET /stats and GET /metrics, so tests can compare "requests the load
// generator sent" with "requests this backend served", and a Prometheus server can scrape the
// same numbers by route and status with a latency histogram. Lock-free: every field is a relaxed
// atomic, and recording never allocates.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace chat {

enum class Route : std::size_t {
    health,
    stats,
    post_message,
    list_messages,
    post_read,
    metrics,
    unmatched,
    count_,
};

std::string_view route_name(Route route);

// /health, /stats and /metrics are observability routes: they are not faulted, not rate limited,
// and not part of requests_total / status_counts / http_requests_total (a scraper or health poll
// never changes the numbers it reads).
constexpr bool is_observability_route(Route route) {
    return route == Route::health || route == Route::stats || route == Route::metrics;
}

// Gauges read at scrape time from other parts of the server.
struct ScrapeGauges {
    std::int64_t pool_size = 0;
    std::int64_t pool_in_use = 0;
    std::int64_t in_flight = 0;
};

class Stats {
  public:
    void record_request(Route route);
    void record_status(Route route, int status);
    // One answered request of a non-observability route: its status by route (GET /metrics)
    // and how long the handler took, faults included.
    void record_response(Route route, int status, std::chrono::nanoseconds duration);
    void record_database_error() { m_database_errors.fetch_add(1, std::memory_order_relaxed); }

    std::uint64_t requests_total() const { return m_requests_total.load(); }
    std::uint64_t database_errors() const { return m_database_errors.load(); }

    // {"requests_total":N,"requests_by_route":{...},"status_counts":{"201":N,...},
    //  "database_errors":N}
    nlohmann::ordered_json to_json() const;

    // The Prometheus text exposition format (version 0.0.4) served by GET /metrics:
    // http_requests_total{route,code}, http_request_duration_seconds{route} (histogram),
    // http_requests_in_flight, chat_database_pool_size, chat_database_pool_in_use and
    // chat_database_errors_total.
    std::string to_prometheus(const ScrapeGauges& gauges) const;

    // Upper bounds (seconds) of the latency histogram's buckets; +Inf follows.
    static constexpr std::array<double, 14> k_latency_buckets_s{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  private:
    static constexpr std::size_t k_max_status = 600;
    static constexpr std::size_t k_routes = static_cast<std::size_t>(Route::count_);

    struct RouteSeries {
        std::array<std::atomic<std::uint64_t>, k_max_status> by_status{};
        // Non-cumulative: [i] counts durations in (bucket i-1, bucket i]; the last is +Inf.
        std::array<std::atomic<std::uint64_t>, k_latency_buckets_s.size() + 1> buckets{};
        std::atomic<std::uint64_t> duration_ns_sum{0};
        std::atomic<std::uint64_t> count{0};
    };

    std::atomic<std::uint64_t> m_requests_total{0};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Route::count_)> m_by_route{};
    std::array<std::atomic<std::uint64_t>, k_max_status> m_status_counts{};
    std::atomic<std::uint64_t> m_database_errors{0};
    std::array<RouteSeries, k_routes> m_series{};
};

}  // namespace chat
