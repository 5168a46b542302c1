#include "stats.hpp"

#include <charconv>
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
        case Route::metrics:
            return "GET /metrics";
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

void Stats::record_response(Route route, int status, std::chrono::nanoseconds duration) {
    if (is_observability_route(route)) {
        return;
    }
    RouteSeries& series = m_series[static_cast<std::size_t>(route)];
    if (status >= 0 && static_cast<std::size_t>(status) < k_max_status) {
        series.by_status[static_cast<std::size_t>(status)].fetch_add(1, std::memory_order_relaxed);
    }
    const auto ns =
        duration.count() < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(duration.count());
    const double seconds = static_cast<double>(ns) / 1e9;
    std::size_t bucket = 0;
    while (bucket < k_latency_buckets_s.size() && seconds > k_latency_buckets_s[bucket]) {
        ++bucket;
    }
    series.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    series.duration_ns_sum.fetch_add(ns, std::memory_order_relaxed);
    series.count.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// A label value in the exposition format escapes backslash, double quote and newline.
std::string label_value(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

// Shortest fixed-point text that reads back as the same double ("0.0005", "10"): le labels
// are matched as text by PromQL users, so no exponent form.
std::string number(double value) {
    char text[64];  // a u64 count of nanoseconds in seconds needs at most 30
    const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
    return std::string(text, result.ptr);
}

void help_and_type(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string Stats::to_prometheus(const ScrapeGauges& gauges) const {
    std::string out;
    out.reserve(8192);
    help_and_type(out, "http_requests_total",
                  "Requests answered, by route and status code (/health, /stats and /metrics "
                  "excluded).",
                  "counter");
    for (std::size_t r = 0; r < k_routes; ++r) {
        const auto route = static_cast<Route>(r);
        if (is_observability_route(route)) {
            continue;
        }
        const std::string route_label = label_value(route_name(route));
        for (std::size_t status = 0; status < k_max_status; ++status) {
            if (const auto count = m_series[r].by_status[status].load(); count > 0) {
                out.append("http_requests_total{route=\"").append(route_label);
                out.append("\",code=\"").append(std::to_string(status)).append("\"} ");
                out.append(std::to_string(count)).append("\n");
            }
        }
    }

    help_and_type(out, "http_request_duration_seconds",
                  "Time from routing to the response, faults included, by route.", "histogram");
    for (std::size_t r = 0; r < k_routes; ++r) {
        const auto route = static_cast<Route>(r);
        if (is_observability_route(route)) {
            continue;
        }
        const RouteSeries& series = m_series[r];
        const std::string prefix = "http_request_duration_seconds_bucket{route=\"" +
                                   label_value(route_name(route)) + "\",le=\"";
        // Read the buckets once, and derive _count from them so a scrape racing a request is
        // still a consistent histogram (the +Inf bucket equals _count).
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < series.buckets.size(); ++b) {
            cumulative += series.buckets[b].load();
            const std::string le =
                b < k_latency_buckets_s.size() ? number(k_latency_buckets_s[b]) : "+Inf";
            out.append(prefix).append(le).append("\"} ").append(std::to_string(cumulative));
            out.append("\n");
        }
        const std::string labels = "{route=\"" + label_value(route_name(route)) + "\"} ";
        out.append("http_request_duration_seconds_sum").append(labels);
        out.append(number(static_cast<double>(series.duration_ns_sum.load()) / 1e9)).append("\n");
        out.append("http_request_duration_seconds_count").append(labels);
        out.append(std::to_string(cumulative)).append("\n");
    }

    help_and_type(out, "http_requests_in_flight",
                  "Requests being handled now, this scrape included.", "gauge");
    out.append("http_requests_in_flight ").append(std::to_string(gauges.in_flight)).append("\n");
    help_and_type(out, "chat_database_pool_size",
                  "Connections in the database pool (DATABASE_POOL_SIZE).", "gauge");
    out.append("chat_database_pool_size ").append(std::to_string(gauges.pool_size)).append("\n");
    help_and_type(out, "chat_database_pool_in_use", "Pool connections leased by requests now.",
                  "gauge");
    out.append("chat_database_pool_in_use ").append(std::to_string(gauges.pool_in_use));
    out.append("\n");
    help_and_type(out, "chat_database_errors_total",
                  "Database errors: pool timeouts, injected FAULT_ERROR_RATE errors and SQLite "
                  "errors (the same number as /stats database_errors).",
                  "counter");
    out.append("chat_database_errors_total ").append(std::to_string(m_database_errors.load()));
    out.append("\n");
    return out;
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
