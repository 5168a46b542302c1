// Per-request recording into fixed counters and histograms: counters are sized in the
// constructors and an operation's histograms on its first response, so record() is a
// handful of increments and allocates at most once per operation and thread.
#include "metrics/stage_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <new>
#include <optional>

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
    // No default: with -Wswitch -Werror a new enumerator without its case fails the build
    // (a lookup table would not); the same shape as every enum-to-text switch here.
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

/// The latency histograms of one OperationStats, allocated together on first use.
/// `latency_uncorrected` is kept apart only once a sample's uncorrected latency differs from
/// its latency (the open model); until then (always, in the closed model) it would be a
/// copy of `latency`, so `latency` serves for both and `latency_uncorrected` stays empty
/// and unallocated.
struct OperationStats::Histograms {
    HdrHistogram latency;
    HdrHistogram latency_uncorrected;
    bool uncorrected_apart = false;

    const HdrHistogram& uncorrected() const noexcept {
        return uncorrected_apart ? latency_uncorrected : latency;
    }
    /// From now on keep the uncorrected latencies apart: they start as a copy of latency.
    /// False without memory (then they stay shared).
    bool split_uncorrected() noexcept {
        if (uncorrected_apart) {
            return true;
        }
        try {
            latency_uncorrected = latency;
        } catch (const std::bad_alloc&) {
            return false;
        }
        uncorrected_apart = true;
        return true;
    }
    std::optional<HdrHistogram> latency_succeeded;  ///< set with OutcomeLatency::split
    std::optional<HdrHistogram> latency_failed;     ///< set with OutcomeLatency::split
};

namespace {

const HdrHistogram& empty_histogram() noexcept {
    static const HdrHistogram empty;
    return empty;
}

}  // namespace

OperationStats::OperationStats(std::size_t body_pattern_count, OutcomeLatency outcome)
    : m_outcome(outcome), m_pattern_hits(std::min<std::size_t>(body_pattern_count, 64), 0) {}

OperationStats::OperationStats(const OperationStats& other)
    : m_outcome(other.m_outcome),
      m_requests(other.m_requests),
      m_failures(other.m_failures),
      m_errors(other.m_errors),
      m_status_classes(other.m_status_classes),
      m_pattern_hits(other.m_pattern_hits),
      m_histograms(other.m_histograms ? std::make_unique<Histograms>(*other.m_histograms)
                                      : nullptr),
      m_phase_sum_us(other.m_phase_sum_us),
      m_phase_samples(other.m_phase_samples) {}

OperationStats& OperationStats::operator=(const OperationStats& other) {
    if (this != &other) {
        OperationStats copy(other);
        *this = std::move(copy);
    }
    return *this;
}

OperationStats::OperationStats(OperationStats&&) noexcept = default;
OperationStats& OperationStats::operator=(OperationStats&&) noexcept = default;
OperationStats::~OperationStats() = default;

bool OperationStats::allocate_histograms() noexcept {
    try {
        m_histograms = std::make_unique<Histograms>();
        if (m_outcome == OutcomeLatency::split) {
            m_histograms->latency_succeeded.emplace();
            m_histograms->latency_failed.emplace();
        }
        return true;
    } catch (const std::bad_alloc&) {
        m_histograms.reset();
        return false;
    }
}

const HdrHistogram& OperationStats::latency() const noexcept {
    return m_histograms ? m_histograms->latency : empty_histogram();
}

const HdrHistogram& OperationStats::latency_uncorrected() const noexcept {
    return m_histograms ? m_histograms->uncorrected() : empty_histogram();
}

const HdrHistogram* OperationStats::latency_succeeded() const noexcept {
    if (m_outcome != OutcomeLatency::split) {
        return nullptr;
    }
    return m_histograms ? &*m_histograms->latency_succeeded : &empty_histogram();
}

const HdrHistogram* OperationStats::latency_failed() const noexcept {
    if (m_outcome != OutcomeLatency::split) {
        return nullptr;
    }
    return m_histograms ? &*m_histograms->latency_failed : &empty_histogram();
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
    if (sample.status != 0 && (m_histograms || allocate_histograms())) {
        Histograms& h = *m_histograms;
        if (h.uncorrected_apart ||
            (sample.latency_uncorrected_us != sample.latency_us && h.split_uncorrected())) {
            h.latency_uncorrected.record(sample.latency_uncorrected_us);
        }
        h.latency.record(sample.latency_us);
        if (h.latency_succeeded) {
            (sample.error == ErrorKind::none ? *h.latency_succeeded : *h.latency_failed)
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
    // An allocated but empty (reset) `other` adds nothing: no allocation here for it.
    const Histograms* from = other.m_histograms.get();
    if (from != nullptr && !(from->latency.empty() && from->uncorrected().empty()) &&
        (m_histograms || allocate_histograms())) {
        Histograms& to = *m_histograms;
        if (to.uncorrected_apart || (from->uncorrected_apart && to.split_uncorrected())) {
            to.latency_uncorrected.merge(from->uncorrected());
        }
        to.latency.merge(from->latency);
        if (to.latency_succeeded && from->latency_succeeded) {
            to.latency_succeeded->merge(*from->latency_succeeded);
            to.latency_failed->merge(*from->latency_failed);
        }
    }
    for (std::size_t i = 0; i < k_phase_count; ++i) {
        m_phase_sum_us[i] += other.m_phase_sum_us[i];
    }
    m_phase_samples += other.m_phase_samples;
}

OperationStats OperationStats::from_figures(Figures figures) {
    OperationStats stats(figures.pattern_hits.size(), figures.latency_succeeded
                                                          ? OutcomeLatency::split
                                                          : OutcomeLatency::combined);
    stats.m_requests = figures.requests;
    stats.m_failures = figures.failures;
    stats.m_errors = figures.errors;
    stats.m_status_classes = figures.status_classes;
    stats.m_pattern_hits = std::move(figures.pattern_hits);
    // A part's operation that never recorded keeps no histograms, as when it was recorded.
    if (!figures.latency.empty() || !figures.latency_uncorrected.empty() ||
        figures.latency_succeeded || figures.latency_failed) {
        stats.m_histograms = std::make_unique<Histograms>();
        stats.m_histograms->latency = std::move(figures.latency);
        stats.m_histograms->latency_uncorrected = std::move(figures.latency_uncorrected);
        if (figures.latency_succeeded && figures.latency_failed) {
            stats.m_histograms->latency_succeeded = std::move(figures.latency_succeeded);
            stats.m_histograms->latency_failed = std::move(figures.latency_failed);
        }
    }
    stats.m_phase_sum_us = figures.phase_sum_us;
    stats.m_phase_samples = figures.phase_samples;
    return stats;
}

void OperationStats::reset() noexcept {
    m_requests = 0;
    m_failures = 0;
    m_errors.fill(0);
    m_status_classes.fill(0);
    std::fill(m_pattern_hits.begin(), m_pattern_hits.end(), 0);
    if (m_histograms) {
        Histograms& h = *m_histograms;
        h.latency.reset();
        h.latency_uncorrected.reset();
        if (h.latency_succeeded) {
            h.latency_succeeded->reset();
            h.latency_failed->reset();
        }
    }
    m_phase_sum_us.fill(0);
    m_phase_samples = 0;
}

std::size_t OperationStats::memory_bytes() const noexcept {
    std::size_t bytes = sizeof(*this) + m_pattern_hits.capacity() * sizeof(std::uint64_t);
    if (m_histograms) {
        const Histograms& h = *m_histograms;
        // Each memory_bytes() counts its own object, which sizeof(Histograms) holds already.
        bytes += sizeof(Histograms) + h.latency.memory_bytes() - sizeof(HdrHistogram) +
                 h.latency_uncorrected.memory_bytes() - sizeof(HdrHistogram);
        if (h.latency_succeeded) {
            bytes += h.latency_succeeded->memory_bytes() - sizeof(HdrHistogram) +
                     h.latency_failed->memory_bytes() - sizeof(HdrHistogram);
        }
    }
    return bytes;
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

std::size_t StageMetrics::memory_bytes() const noexcept {
    std::size_t bytes = sizeof(*this) + m_totals.memory_bytes() - sizeof(OperationStats);
    bytes += (m_operations.capacity() - m_operations.size()) * sizeof(OperationStats);
    for (const auto& op : m_operations) {
        bytes += op.memory_bytes();
    }
    return bytes;
}

void StageMetrics::merge_operations(const OperationStats& totals,
                                    const std::vector<OperationStats>& operations) noexcept {
    m_totals.merge(totals);
    std::size_t n = std::min(m_operations.size(), operations.size());
    for (std::size_t i = 0; i < n; ++i) {
        m_operations[i].merge(operations[i]);
    }
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
