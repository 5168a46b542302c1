// The measurement model every executor fills: per request, one RequestSample goes into a
// StageMetrics (totals plus one OperationStats per operation). Each worker thread owns its
// own StageMetrics; they are merged at snapshot time, so recording takes no lock.
// An operation's histograms are allocated when it first records a response, not up front:
// operations x worker threads that never record cost a few hundred bytes each. Each
// histogram then allocates its counters a chunk at a time (hdr_histogram.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/hdr_histogram.hpp"

namespace orch {

// --- Interface ---

/// Why a request failed. The kinds are disjoint; Snapshot derives `errors.status_4xx` as
/// status_4xx + status_429 (a 429 is a 4xx too). `generator` is not a failure of the
/// backend: the load generator could not send the request at all (out of file descriptors,
/// ephemeral ports or buffers), so it is counted apart and not as a request sent.
enum class ErrorKind : std::uint8_t {
    none = 0,
    connection_refused,
    timeout,
    connection_reset,
    connection_closed,  ///< the server closed the connection before any byte of the answer
    dns,
    tls,
    status_4xx,   ///< a 4xx other than 429 that the expectation did not allow
    status_429,   ///< 429 Too Many Requests (not allowed by the expectation)
    status_5xx,   ///< a 5xx that the expectation did not allow
    expect,       ///< status allowed, but a body/header/json expectation failed
    interrupted,  ///< still in flight when the stage's graceful stop ran out
    other,        ///< any other transport failure (protocol error, too many redirects...)
    generator,    ///< not sent: EMFILE, ENFILE, EADDRNOTAVAIL, ENOBUFS, ENOMEM in the generator
};
inline constexpr std::size_t k_error_kind_count = 14;

/// Every kind that has an `errors.<kind>` metric (all but none), in the SPEC's order: the one
/// list that snapshots, reports and summaries iterate.
inline constexpr std::array<ErrorKind, k_error_kind_count - 1> k_error_kinds = {
    ErrorKind::connection_refused,
    ErrorKind::timeout,
    ErrorKind::connection_reset,
    ErrorKind::connection_closed,
    ErrorKind::dns,
    ErrorKind::tls,
    ErrorKind::status_4xx,
    ErrorKind::status_429,
    ErrorKind::status_5xx,
    ErrorKind::expect,
    ErrorKind::interrupted,
    ErrorKind::other,
    ErrorKind::generator};

/// True for an errno that means the load generator itself ran out of something (file
/// descriptors, ephemeral ports, kernel buffers or memory), not that the backend failed.
bool is_generator_errno(long error) noexcept;

/// The metric name of a kind: "connection_refused", "status_429", ... ("none" for none).
std::string_view error_kind_name(ErrorKind kind);

/// The kind of a response whose `status` was not allowed: status_429, status_4xx,
/// status_5xx, or expect for any other status. Every executor classifies statuses so.
ErrorKind error_kind_for_status(int status) noexcept;

/// Mean-phase breakdown of one request, microseconds (libcurl's phases; SPEC `timing.*`).
struct PhaseTimes {
    std::int64_t blocked = 0;     ///< queued before a connection was available
    std::int64_t connecting = 0;  ///< TCP connect
    std::int64_t tls = 0;         ///< TLS handshake
    std::int64_t sending = 0;
    std::int64_t waiting = 0;  ///< time to first byte after sending
    std::int64_t receiving = 0;
};
inline constexpr std::size_t k_phase_count = 6;

/// One finished request, as an executor reports it.
struct RequestSample {
    std::uint32_t operation = 0;  ///< index into the pipeline's operation names
    std::uint16_t status = 0;     ///< HTTP status; 0 when no response arrived
    ErrorKind error = ErrorKind::none;
    /// Latency in microseconds. Open model: from the scheduled send time (no coordinated
    /// omission). Closed model: from the actual send. Recorded only when status != 0.
    std::int64_t latency_us = 0;
    /// Latency from the actual send time (same as latency_us in the closed model).
    std::int64_t latency_uncorrected_us = 0;
    bool has_phases = false;
    PhaseTimes phases{};
    /// Bit i set: the failed response's body matched body pattern i (at most 64 patterns).
    std::uint64_t body_pattern_mask = 0;
};

/// Whether an OperationStats keeps, beside the latency of every response, the latency of
/// successful and of failed responses apart (two more histograms).
enum class OutcomeLatency : std::uint8_t {
    combined,  ///< one histogram of every response (per operation)
    split,     ///< also succeeded/failed apart (a stage's totals, for the series)
};

/// Counters and histograms of one operation (or of all operations together).
class OperationStats {
  public:
    explicit OperationStats(std::size_t body_pattern_count = 0,
                            OutcomeLatency outcome = OutcomeLatency::combined);
    OperationStats(const OperationStats& other);
    OperationStats& operator=(const OperationStats& other);
    OperationStats(OperationStats&&) noexcept;
    OperationStats& operator=(OperationStats&&) noexcept;
    ~OperationStats();

    /// Counts the sample; a `generator` sample only in errors(generator): it was never sent,
    /// so it is neither a request nor a failure of the backend. The first sample with a
    /// response allocates the histograms (once); after that, only a latency that is the
    /// first in its histogram chunk allocates (that chunk, once). Should an allocation
    /// fail, the sample is counted but its latency is not recorded.
    void record(const RequestSample& sample) noexcept;
    /// Adds `other` in; allocates the histograms here only if `other` has latencies. Without
    /// memory for them, the latencies of `other` are left out (the counts are not).
    void merge(const OperationStats& other) noexcept;
    /// Forgets every sample; keeps the histograms once allocated (so recording again does
    /// not allocate).
    void reset() noexcept;

    std::uint64_t requests() const noexcept { return m_requests; }
    std::uint64_t failures() const noexcept { return m_failures; }
    std::uint64_t errors(ErrorKind kind) const noexcept {
        return m_errors[static_cast<std::size_t>(kind)];
    }
    std::uint64_t body_pattern_hits(std::size_t pattern) const noexcept {
        return pattern < m_pattern_hits.size() ? m_pattern_hits[pattern] : 0;
    }
    /// Count of responses by status class: index 1..5 for 1xx..5xx, 0 for no response.
    std::uint64_t status_class(std::size_t hundreds) const noexcept {
        return hundreds < m_status_classes.size() ? m_status_classes[hundreds] : 0;
    }
    /// The latency of every response (an empty histogram before the first one).
    const HdrHistogram& latency() const noexcept;
    const HdrHistogram& latency_uncorrected() const noexcept;
    /// With OutcomeLatency::split, the latency of the responses that succeeded / that failed
    /// (a status or expectation not allowed: 4xx, 429, 5xx, expect); nullptr otherwise. A
    /// failure without a response (timeout, refused, reset, interrupted...) has no latency
    /// and is in neither, as in latency(): latency() holds exactly the samples of both.
    const HdrHistogram* latency_succeeded() const noexcept;
    const HdrHistogram* latency_failed() const noexcept;
    /// Mean phase time in microseconds over the samples that had phases; 0 when none.
    double phase_mean_us(std::size_t phase) const noexcept;
    std::uint64_t phase_samples() const noexcept { return m_phase_samples; }
    /// Sum of `phase` over the samples that had phases, microseconds (exact).
    long double phase_sum_us(std::size_t phase) const noexcept {
        return phase < k_phase_count ? m_phase_sum_us[phase] : 0;
    }

    /// Every figure of an OperationStats, as a serialized part holds them (report/part.cpp).
    struct Figures {
        std::uint64_t requests = 0;
        std::uint64_t failures = 0;
        std::array<std::uint64_t, k_error_kind_count> errors{};
        std::array<std::uint64_t, 6> status_classes{};
        std::vector<std::uint64_t> pattern_hits;
        HdrHistogram latency;
        HdrHistogram latency_uncorrected;
        std::optional<HdrHistogram> latency_succeeded;  ///< both or neither (split)
        std::optional<HdrHistogram> latency_failed;
        std::array<long double, k_phase_count> phase_sum_us{};
        std::uint64_t phase_samples = 0;
    };
    /// An OperationStats holding exactly `figures`.
    static OperationStats from_figures(Figures figures);

    /// Bytes this object holds (itself, its pattern counters and its histograms if
    /// allocated), for memory checks.
    std::size_t memory_bytes() const noexcept;
    /// Whether the histograms are allocated (after the first response recorded or merged).
    bool has_histograms() const noexcept { return m_histograms != nullptr; }

  private:
    struct Histograms;
    bool allocate_histograms() noexcept;

    OutcomeLatency m_outcome;
    std::uint64_t m_requests = 0;
    std::uint64_t m_failures = 0;
    std::array<std::uint64_t, k_error_kind_count> m_errors{};
    std::array<std::uint64_t, 6> m_status_classes{};
    std::vector<std::uint64_t> m_pattern_hits;
    std::unique_ptr<Histograms> m_histograms;  ///< null until the first response
    std::array<long double, k_phase_count> m_phase_sum_us{};
    std::uint64_t m_phase_samples = 0;
};

/// Per-tag stats (scenario `tag_responses`): at most this many distinct values per tag; the
/// responses of any further value are counted under k_tag_value_other.
inline constexpr std::size_t k_max_tag_values = 16;
inline constexpr std::string_view k_tag_value_other = "other";
/// The value of a response without the tag's header.
inline constexpr std::string_view k_tag_value_none = "none";

/// `raw` as a metric name segment: letters, digits, '_' and '-' kept, any other byte '_'
/// (so "1.2.3" -> "1_2_3"), at most 64 bytes; empty -> k_tag_value_none.
std::string tag_value_name(std::string_view raw);

/// The responses of one value of one tag.
struct TagValueStats {
    std::string value;  ///< as tag_value_name() wrote it
    OperationStats stats;
};

/// Everything one worker (or a merged stage) measured: totals plus one OperationStats per
/// operation, per-tag-value stats when the scenario tags responses, and the open model's schedule
/// keeping. The totals keep the latency of succeeded and failed responses apart
/// (OutcomeLatency::split); operations do not.
class StageMetrics {
  public:
    StageMetrics(std::size_t operation_count, std::size_t body_pattern_count);

    /// Records into totals and into operations()[sample.operation]. Allocates only on an
    /// operation's first response (its histograms) and on a latency's first value in a
    /// histogram chunk, never on the steady path.
    void record(const RequestSample& sample) noexcept;
    void merge(const StageMetrics& other) noexcept;
    /// Adds `totals` and `operations` (as read back from a serialized part) into this
    /// stage's; operations past operation_count are ignored.
    void merge_operations(const OperationStats& totals,
                          const std::vector<OperationStats>& operations) noexcept;
    void reset() noexcept;

    /// Also records `sample` under value `value` (already a tag_value_name) of tag number
    /// `tag` (the scenario's tag_responses order). Allocates only for a value not seen yet
    /// (at most k_max_tag_values + 1 per tag); reset() keeps the values, zeroing their stats.
    void record_tag(std::size_t tag, std::string_view value, const RequestSample& sample);

    /// Open model: one request was due (scheduled) / was due but could not be sent on time.
    void count_scheduled(std::uint64_t n = 1) noexcept { m_scheduled += n; }
    void count_dropped(std::uint64_t n = 1) noexcept { m_dropped += n; }
    /// Open model: dropped while every allowed VU (max_vus) was busy; also counts as dropped.
    void count_dropped_all_busy(std::uint64_t n = 1) noexcept {
        m_dropped += n;
        m_dropped_all_busy += n;
    }
    /// Iterations (closed model) completed.
    void count_iteration(std::uint64_t n = 1) noexcept { m_iterations += n; }

    const OperationStats& totals() const noexcept { return m_totals; }
    const std::vector<OperationStats>& operations() const noexcept { return m_operations; }
    /// By tag number, the values seen (empty when no tag is configured).
    const std::vector<std::vector<TagValueStats>>& tags() const noexcept { return m_tags; }
    std::size_t body_pattern_count() const noexcept { return m_body_pattern_count; }
    std::uint64_t scheduled() const noexcept { return m_scheduled; }
    std::uint64_t dropped() const noexcept { return m_dropped; }
    std::uint64_t dropped_all_busy() const noexcept { return m_dropped_all_busy; }
    std::uint64_t iterations() const noexcept { return m_iterations; }
    /// Bytes held by the totals and every operation, for memory checks.
    std::size_t memory_bytes() const noexcept;

  private:
    std::size_t m_body_pattern_count;
    OperationStats m_totals;
    std::vector<OperationStats> m_operations;
    std::vector<std::vector<TagValueStats>> m_tags;
    std::uint64_t m_scheduled = 0;
    std::uint64_t m_dropped = 0;
    std::uint64_t m_dropped_all_busy = 0;
    std::uint64_t m_iterations = 0;
};

}  // namespace orch
