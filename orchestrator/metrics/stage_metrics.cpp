// Per-request recording into fixed counters and histograms: everything is sized in the
// constructors, so record() is a handful of increments and never allocates.
#include "metrics/stage_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>

namespace orch {

ErrorKind error_kind_for_status(int status) noexcept {
    if (status == 429) {
        return ErrorKind::status_429;
    }
    if (status >= 400 && status < 500) {
        return ErrorKind::status_4xx;
    }
    if (status >= 500 && status < 600) {
        return ErrorKind::status_5xx;
    }
    return ErrorKind::expect;
}

bool is_generator_errno(long error) noexcept {
    return error == EMFILE || error == ENFILE || error == EADDRNOTAVAIL || error == ENOBUFS ||
           error == ENOMEM;
}

std::string_view error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::none:
            return "none";
        case ErrorKind::connection_refused:
            return "connection_refused";
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::connection_reset:
            return "connection_reset";
        case ErrorKind::connection_closed:
            return "connection_closed";
        case ErrorKind::dns:
            return "dns";
        case ErrorKind::tls:
            return "tls";
        case ErrorKind::status_4xx:
            return "status_4xx";
        case ErrorKind::status_429:
            return "status_429";
        case ErrorKind::status_5xx:
            return "status_5xx";
        case ErrorKind::expect:
            return "expect";
        case ErrorKind::interrupted:
            return "interrupted";
        case ErrorKind::other:
            return "other";
        case ErrorKind::generator:
            return "generator";
    }
    return "other";
}

OperationStats::OperationStats(std::size_t body_pattern_count, OutcomeLatency outcome)
    : m_pattern_hits(std::min<std::size_t>(body_pattern_count, 64), 0) {
    if (outcome == OutcomeLatency::split) {
        m_latency_succeeded.emplace();
        m_latency_failed.emplace();
    }
}

void OperationStats::record(const RequestSample& sample) noexcept {
    if (sample.error == ErrorKind::generator) {
        ++m_errors[static_cast<std::size_t>(ErrorKind::generator)];
        return;
    }
    ++m_requests;
    if (sample.error != ErrorKind::none) {
        ++m_failures;
        auto kind = static_cast<std::size_t>(sample.error);
        // An out-of-range kind (a cast from garbage) still counts, as "other".
        ++m_errors[kind < k_error_kind_count ? kind : static_cast<std::size_t>(ErrorKind::other)];
    }
    std::uint64_t mask = sample.body_pattern_mask;
    while (mask != 0) {
        auto bit = static_cast<std::size_t>(std::countr_zero(mask));
        mask &= mask - 1;
        if (bit < m_pattern_hits.size()) {
            ++m_pattern_hits[bit];
        }
    }
    std::size_t hundreds = sample.status / 100U;
    if (hundreds < m_status_classes.size()) {
        ++m_status_classes[hundreds];
    }
    if (sample.status != 0) {
        m_latency.record(sample.latency_us);
        m_latency_uncorrected.record(sample.latency_uncorrected_us);
        if (m_latency_succeeded) {
            (sample.error == ErrorKind::none ? *m_latency_succeeded : *m_latency_failed)
                .record(sample.latency_us);
        }
    }
    if (sample.has_phases) {
        ++m_phase_samples;
        const PhaseTimes& p = sample.phases;
        m_phase_sum_us[0] += static_cast<long double>(p.blocked);
        m_phase_sum_us[1] += static_cast<long double>(p.connecting);
        m_phase_sum_us[2] += static_cast<long double>(p.tls);
        m_phase_sum_us[3] += static_cast<long double>(p.sending);
        m_phase_sum_us[4] += static_cast<long double>(p.waiting);
        m_phase_sum_us[5] += static_cast<long double>(p.receiving);
    }
}

void OperationStats::merge(const OperationStats& other) noexcept {
    m_requests += other.m_requests;
    m_failures += other.m_failures;
    for (std::size_t i = 0; i < m_errors.size(); ++i) {
        m_errors[i] += other.m_errors[i];
    }
    for (std::size_t i = 0; i < m_status_classes.size(); ++i) {
        m_status_classes[i] += other.m_status_classes[i];
    }
    std::size_t patterns = std::min(m_pattern_hits.size(), other.m_pattern_hits.size());
    for (std::size_t i = 0; i < patterns; ++i) {
        m_pattern_hits[i] += other.m_pattern_hits[i];
    }
    m_latency.merge(other.m_latency);
    m_latency_uncorrected.merge(other.m_latency_uncorrected);
    if (m_latency_succeeded && other.m_latency_succeeded) {
        m_latency_succeeded->merge(*other.m_latency_succeeded);
        m_latency_failed->merge(*other.m_latency_failed);
    }
    for (std::size_t i = 0; i < k_phase_count; ++i) {
        m_phase_sum_us[i] += other.m_phase_sum_us[i];
    }
    m_phase_samples += other.m_phase_samples;
}

void OperationStats::reset() noexcept {
    m_requests = 0;
    m_failures = 0;
    m_errors.fill(0);
    m_status_classes.fill(0);
    std::fill(m_pattern_hits.begin(), m_pattern_hits.end(), 0);
    m_latency.reset();
    m_latency_uncorrected.reset();
    if (m_latency_succeeded) {
        m_latency_succeeded->reset();
        m_latency_failed->reset();
    }
    m_phase_sum_us.fill(0);
    m_phase_samples = 0;
}

double OperationStats::phase_mean_us(std::size_t phase) const noexcept {
    if (phase >= k_phase_count || m_phase_samples == 0) {
        return 0.0;
    }
    return static_cast<double>(m_phase_sum_us[phase] / static_cast<long double>(m_phase_samples));
}

StageMetrics::StageMetrics(std::size_t operation_count, std::size_t body_pattern_count)
    : m_body_pattern_count(body_pattern_count),
      m_totals(body_pattern_count, OutcomeLatency::split),
      m_operations(operation_count, OperationStats(body_pattern_count)) {}

void StageMetrics::record(const RequestSample& sample) noexcept {
    m_totals.record(sample);
    if (sample.operation < m_operations.size()) {
        m_operations[sample.operation].record(sample);
    }
}

std::string tag_value_name(std::string_view raw) {
    std::string out;
    for (char c : raw.substr(0, 64)) {
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
        out += keep ? c : '_';
    }
    return out.empty() ? std::string(k_tag_value_none) : out;
}

namespace {

/// The slot of `value` in `values`, added when new; past k_max_tag_values distinct values,
/// the k_tag_value_other slot.
OperationStats& tag_slot(std::vector<TagValueStats>& values, std::string_view value,
                         std::size_t body_pattern_count) {
    for (auto& v : values) {
        if (v.value == value) {
            return v.stats;
        }
    }
    std::size_t distinct = values.size();
    for (const auto& v : values) {
        if (v.value == k_tag_value_other) {
            --distinct;
        }
    }
    if (distinct >= k_max_tag_values && value != k_tag_value_other) {
        return tag_slot(values, k_tag_value_other, body_pattern_count);
    }
    values.push_back(TagValueStats{std::string(value), OperationStats(body_pattern_count)});
    return values.back().stats;
}

}  // namespace

void StageMetrics::record_tag(std::size_t tag, std::string_view value,
                              const RequestSample& sample) {
    if (tag >= m_tags.size()) {
        m_tags.resize(tag + 1);
    }
    tag_slot(m_tags[tag], value, m_body_pattern_count).record(sample);
}

void StageMetrics::merge(const StageMetrics& other) noexcept {
    m_totals.merge(other.m_totals);
    if (m_tags.size() < other.m_tags.size()) {
        m_tags.resize(other.m_tags.size());
    }
    for (std::size_t t = 0; t < other.m_tags.size(); ++t) {
        for (const auto& v : other.m_tags[t]) {
            if (v.stats.requests() > 0 || v.stats.errors(ErrorKind::generator) > 0) {
                tag_slot(m_tags[t], v.value, m_body_pattern_count).merge(v.stats);
            }
        }
    }
    std::size_t n = std::min(m_operations.size(), other.m_operations.size());
    for (std::size_t i = 0; i < n; ++i) {
        m_operations[i].merge(other.m_operations[i]);
    }
    m_scheduled += other.m_scheduled;
    m_dropped += other.m_dropped;
    m_dropped_all_busy += other.m_dropped_all_busy;
    m_iterations += other.m_iterations;
}

void StageMetrics::reset() noexcept {
    m_totals.reset();
    for (auto& op : m_operations) {
        op.reset();
    }
    for (auto& values : m_tags) {
        for (auto& v : values) {
            v.stats.reset();
        }
    }
    m_scheduled = 0;
    m_dropped = 0;
    m_dropped_all_busy = 0;
    m_iterations = 0;
}

}  // namespace orch
