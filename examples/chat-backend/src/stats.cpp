#include "stats.hpp"

#include <string>

namespace chat {

std::string_view route_name(Route route) {
    switch (route) {
        case Route::health:
            return "GET /health";
        case Route::stats:
            return "GET /stats";
        case Route::post_message:
            return "POST /conversations/{id}/messages";
        case Route::list_messages:
            return "GET /conversations/{id}/messages";
        case Route::post_read:
            return "POST /messages/{id}/reads";
        case Route::unmatched:
        case Route::count_:
            break;
    }
    return "unmatched";
}

void Stats::record_request(Route route) {
    m_by_route[static_cast<std::size_t>(route)].fetch_add(1, std::memory_order_relaxed);
    if (!is_observability_route(route)) {
        m_requests_total.fetch_add(1, std::memory_order_relaxed);
    }
}

void Stats::record_status(Route route, int status) {
    if (is_observability_route(route) || status < 0 ||
        static_cast<std::size_t>(status) >= k_max_status) {
        return;
    }
    m_status_counts[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
}

nlohmann::ordered_json Stats::to_json() const {
    nlohmann::ordered_json by_route = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < m_by_route.size(); ++i) {
        by_route[std::string(route_name(static_cast<Route>(i)))] = m_by_route[i].load();
    }
    nlohmann::ordered_json statuses = nlohmann::ordered_json::object();
    for (std::size_t status = 0; status < m_status_counts.size(); ++status) {
        if (auto count = m_status_counts[status].load(); count > 0) {
            statuses[std::to_string(status)] = count;
        }
    }
    nlohmann::ordered_json out;
    out["requests_total"] = m_requests_total.load();
    out["requests_by_route"] = std::move(by_route);
    out["status_counts"] = std::move(statuses);
    out["database_errors"] = m_database_errors.load();
    return out;
}

}  // namespace chat
