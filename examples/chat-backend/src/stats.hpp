// Request counters behind GET /stats, so tests can compare "requests the load generator sent"
// with "requests this backend served". Lock-free: every field is a relaxed atomic.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

namespace chat {

enum class Route : std::size_t {
    health,
    stats,
    post_message,
    list_messages,
    post_read,
    unmatched,
    count_,
};

std::string_view route_name(Route route);

// /health and /stats are observability routes: they are not faulted, not rate limited, and not
// part of requests_total / status_counts.
constexpr bool is_observability_route(Route route) {
    return route == Route::health || route == Route::stats;
}

class Stats {
  public:
    void record_request(Route route);
    void record_status(Route route, int status);
    void record_database_error() { m_database_errors.fetch_add(1, std::memory_order_relaxed); }

    std::uint64_t requests_total() const { return m_requests_total.load(); }
    std::uint64_t database_errors() const { return m_database_errors.load(); }

    // {"requests_total":N,"requests_by_route":{...},"status_counts":{"201":N,...},
    //  "database_errors":N}
    nlohmann::ordered_json to_json() const;

  private:
    static constexpr std::size_t k_max_status = 600;

    std::atomic<std::uint64_t> m_requests_total{0};
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Route::count_)> m_by_route{};
    std::array<std::atomic<std::uint64_t>, k_max_status> m_status_counts{};
    std::atomic<std::uint64_t> m_database_errors{0};
};

}  // namespace chat
