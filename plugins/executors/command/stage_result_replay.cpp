#include "plugins/executors/command/stage_result_replay.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace orch {

namespace {

std::int64_t ms_to_us(double ms) {
    return std::llround(ms * 1000.0);
}

// Nearest rank of percentile `p` among `count` samples, in [1, count]. The epsilon keeps
// 95% of 100 at rank 95 despite binary floating point.
std::uint64_t nearest_rank(double p, std::uint64_t count) {
    long double exact = static_cast<long double>(p) * static_cast<long double>(count) / 100.0L;
    auto rank = static_cast<std::uint64_t>(std::ceil(exact - 1e-9L));
    return std::clamp<std::uint64_t>(rank, 1, count);
}

// Hands out the reported statuses, so the status classes come out as the tool counted them.
class StatusPool {
  public:
    explicit StatusPool(std::vector<std::pair<int, std::uint64_t>> counts)
        : m_counts(std::move(counts)) {}

    int take(const std::function<bool(int)>& fits, int fallback) {
        for (auto& [status, left] : m_counts) {
            if (left > 0 && fits(status)) {
                --left;
                return status;
            }
        }
        return fallback;
    }

  private:
    std::vector<std::pair<int, std::uint64_t>> m_counts;
};

void replay_operation(const StageResultOperation& operation, std::uint32_t index,
                      StageMetrics& into) {
    RequestSample sample;
    sample.operation = index;
    auto count_of = [&](ErrorKind kind) {
        return operation.errors[static_cast<std::size_t>(kind)];
    };

    // No response: status 0, no latency.
    for (ErrorKind kind :
         {ErrorKind::connection_refused, ErrorKind::timeout, ErrorKind::connection_reset,
          ErrorKind::connection_closed, ErrorKind::dns, ErrorKind::tls, ErrorKind::interrupted,
          ErrorKind::other, ErrorKind::generator}) {
        sample.error = kind;
        for (std::uint64_t i = count_of(kind); i > 0; --i) {
            into.record(sample);
        }
    }

    const std::uint64_t answered = operation.requests - operation.unanswered();
    LatencySynthesis latencies(operation.latency, answered);
    StatusPool pool(operation.status_counts);
    auto record_answered = [&](ErrorKind kind, std::uint64_t n,
                               const std::function<bool(int)>& fits, int fallback) {
        sample.error = kind;
        for (; n > 0; --n) {
            sample.status = static_cast<std::uint16_t>(pool.take(fits, fallback));
            sample.latency_us = latencies.has_values() ? latencies.next() : 0;
            sample.latency_uncorrected_us = sample.latency_us;
            into.record(sample);
        }
    };
    auto is_ok = [](int s) { return s < 400; };
    record_answered(
        ErrorKind::status_429, count_of(ErrorKind::status_429), [](int s) { return s == 429; },
        429);
    record_answered(
        ErrorKind::status_4xx, count_of(ErrorKind::status_4xx),
        [](int s) { return s >= 400 && s < 500 && s != 429; }, 400);
    record_answered(
        ErrorKind::status_5xx, count_of(ErrorKind::status_5xx), [](int s) { return s >= 500; },
        500);
    record_answered(ErrorKind::expect, count_of(ErrorKind::expect), is_ok, 200);
    const std::uint64_t answered_errors =
        count_of(ErrorKind::status_429) + count_of(ErrorKind::status_4xx) +
        count_of(ErrorKind::status_5xx) + count_of(ErrorKind::expect);
    record_answered(ErrorKind::none, answered - answered_errors, is_ok, 200);
}

}  // namespace

LatencySynthesis::LatencySynthesis(const StageResultLatency& latency, std::uint64_t count)
    : m_latency(latency), m_count(count) {
    if (count == 0) {
        return;
    }
    if (latency.form == StageResultLatency::Form::percentiles) {
        // (rank, value) anchors; percentiles sharing a rank keep the highest one, so max
        // (and the higher percentile) always comes back.
        for (const auto& [p, ms] : latency.percentiles) {
            std::uint64_t rank = nearest_rank(p, count);
            if (!m_anchors.empty() && m_anchors.back().first == rank) {
                m_anchors.back().second = ms_to_us(ms);
            } else {
                m_anchors.emplace_back(rank, ms_to_us(ms));
            }
        }
        m_has_values = !m_anchors.empty();
    } else if (latency.form == StageResultLatency::Form::histogram) {
        for (const auto& [bound, n] : latency.histogram) {
            m_described += n;
        }
        m_has_values = m_described > 0;
    }
}

std::int64_t LatencySynthesis::next() {
    if (!m_has_values) {
        return 0;
    }
    m_rank = std::min(m_rank + 1, m_count);
    return m_latency.form == StageResultLatency::Form::percentiles ? from_percentiles(m_rank)
                                                                   : from_histogram(m_rank);
}

std::int64_t LatencySynthesis::from_percentiles(std::uint64_t rank) {
    while (m_next_anchor < m_anchors.size() && m_anchors[m_next_anchor].first < rank) {
        ++m_next_anchor;
    }
    if (m_next_anchor == m_anchors.size()) {
        return m_anchors.back().second;  // above the highest anchor: flat
    }
    if (m_next_anchor == 0 || m_anchors[m_next_anchor].first == rank) {
        return m_anchors[m_next_anchor].second;  // an anchor, or below the lowest: flat
    }
    const auto& [low_rank, low] = m_anchors[m_next_anchor - 1];
    const auto& [high_rank, high] = m_anchors[m_next_anchor];
    long double fraction =
        static_cast<long double>(rank - low_rank) / static_cast<long double>(high_rank - low_rank);
    return low + std::llround(static_cast<long double>(high - low) * fraction);
}

std::int64_t LatencySynthesis::from_histogram(std::uint64_t rank) {
    auto target = static_cast<std::uint64_t>(
        std::ceil(static_cast<long double>(rank) * static_cast<long double>(m_described) /
                      static_cast<long double>(m_count) -
                  1e-9L));
    target = std::clamp<std::uint64_t>(target, 1, m_described);
    while (m_below + m_latency.histogram[m_bucket].second < target) {
        m_below += m_latency.histogram[m_bucket].second;
        ++m_bucket;
    }
    return ms_to_us(m_latency.histogram[m_bucket].first);
}

std::vector<std::int64_t> synthesize_latencies_us(const StageResultLatency& latency,
                                                  std::uint64_t count) {
    std::vector<std::int64_t> values;
    LatencySynthesis synthesis(latency, count);
    if (!synthesis.has_values()) {
        return values;
    }
    values.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        values.push_back(synthesis.next());
    }
    return values;
}

std::vector<std::string> replay_stage_result(const StageResult& result,
                                             const std::vector<std::string>& operation_names,
                                             StageMetrics& into) {
    std::vector<std::string> unmatched;
    for (const auto& operation : result.operations) {
        std::uint32_t index = k_command_totals_only;
        auto it = std::find(operation_names.begin(), operation_names.end(), operation.name);
        if (!operation.name.empty() && it != operation_names.end()) {
            index = static_cast<std::uint32_t>(it - operation_names.begin());
        } else if (!operation.name.empty()) {
            unmatched.push_back(operation.name);
        }
        replay_operation(operation, index, into);
    }
    if (result.iterations) {
        into.count_iteration(*result.iterations);
    }
    if (result.scheduled) {
        into.count_scheduled(*result.scheduled);
    }
    if (result.dropped) {
        into.count_dropped(*result.dropped);
    }
    return unmatched;
}

}  // namespace orch
