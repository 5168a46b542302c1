#include "report/bounded_series.hpp"

#include <algorithm>

namespace orch {

namespace {

std::optional<double> max_of(const std::optional<double>& a, const std::optional<double>& b) {
    if (a && b) {
        return std::max(*a, *b);
    }
    return a ? a : b;
}

double weighted_mean(double a, std::size_t a_count, double b, std::size_t b_count) {
    std::size_t total = a_count + b_count;
    return total == 0 ? 0
                      : (a * static_cast<double>(a_count) + b * static_cast<double>(b_count)) /
                            static_cast<double>(total);
}

/// The traffic fields SeriesPoint and OperationPoint share: rps the mean, errors the sum,
/// quantiles the maximum.
template <typename Point>
void merge_traffic(Point& into, std::size_t into_count, const Point& next, std::size_t next_count) {
    into.rps = weighted_mean(into.rps, into_count, next.rps, next_count);
    into.errors += next.errors;
    into.p50 = max_of(into.p50, next.p50);
    into.p95 = max_of(into.p95, next.p95);
    into.p99 = max_of(into.p99, next.p99);
}

}  // namespace

void merge_series_point(SeriesPoint& into, std::size_t into_count, const SeriesPoint& next,
                        std::size_t next_count) {
    into.t_s = std::max(into.t_s, next.t_s);
    merge_traffic(into, into_count, next, next_count);
    for (auto member :
         {&SeriesPoint::succeeded_p50, &SeriesPoint::succeeded_p95, &SeriesPoint::succeeded_p99,
          &SeriesPoint::failed_p50, &SeriesPoint::failed_p95, &SeriesPoint::failed_p99}) {
        into.*member = max_of(into.*member, next.*member);
    }
    into.rss_mb = max_of(into.rss_mb, next.rss_mb);
    into.vus = std::max(into.vus, next.vus);
    // An operation absent from one side sent nothing there: it merges with an empty point
    // (rate 0, no errors, no quantiles).
    static const OperationPoint k_nothing;
    for (auto& [name, op] : into.operations) {
        if (next.operations.find(name) == next.operations.end()) {
            merge_traffic(op, into_count, k_nothing, next_count);
        }
    }
    for (const auto& [name, op] : next.operations) {
        auto it = into.operations.try_emplace(name).first;
        merge_traffic(it->second, into_count, op, next_count);
    }
}

BoundedSeries::BoundedSeries(std::size_t limit) : m_limit(std::max<std::size_t>(limit, 2)) {}

void BoundedSeries::add(const SeriesPoint& point) {
    if (m_pending_count == 0) {
        m_pending = point;
    } else {
        merge_series_point(m_pending, m_pending_count, point, 1);
    }
    ++m_pending_count;
    if (m_pending_count == m_width) {
        m_full.push_back(std::move(m_pending));
        m_pending = SeriesPoint{};
        m_pending_count = 0;
    }
    if (m_full.size() + (m_pending_count > 0 ? 1 : 0) <= m_limit) {
        return;
    }
    // Over the limit: merge pairs of full points; the bucket doubles.
    std::vector<SeriesPoint> merged;
    merged.reserve(m_full.size() / 2 + 1);
    std::size_t i = 0;
    for (; i + 1 < m_full.size(); i += 2) {
        SeriesPoint pair = std::move(m_full[i]);
        merge_series_point(pair, m_width, m_full[i + 1], m_width);
        merged.push_back(std::move(pair));
    }
    if (i < m_full.size()) {
        // An odd full point left over joins the pending one (w + pending < 2w intervals).
        SeriesPoint rest = std::move(m_full[i]);
        if (m_pending_count > 0) {
            merge_series_point(rest, m_width, m_pending, m_pending_count);
        }
        m_pending = std::move(rest);
        m_pending_count += m_width;
    }
    m_full = std::move(merged);
    m_width *= 2;
}

std::vector<SeriesPoint> BoundedSeries::points() const {
    std::vector<SeriesPoint> out = m_full;
    if (m_pending_count > 0) {
        out.push_back(m_pending);
    }
    return out;
}

}  // namespace orch
