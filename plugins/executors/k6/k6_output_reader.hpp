// The reader of k6's `--out json=FILE` output (the third part of the k6 plugin, as Taurus'
// K6LogReader): one NDJSON line at a time in, RequestSamples out. Pure: it never touches a
// file, so the runner can feed it lines as k6 appends them and tests can feed it any split.
//
// One HTTP request is nine consecutive Points with the same `time` and tags: http_reqs,
// http_req_duration, the six phases (blocked, connecting, tls_handshaking, sending,
// waiting, receiving) and http_req_failed. The reader opens a request at its
// http_req_duration point (latency, status, error kind, operation) and records it once its
// six phase points have joined it (matched on time + url + method + status), so every
// sample carries its own phases. Requests still open at the end (or when more than a few
// thousand are open at once) are recorded with the phases they have.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "metrics/stage_metrics.hpp"

namespace orch {

// --- Interface ---

/// RequestSample::operation of a request whose operation tag is missing or names no
/// pipeline operation: StageMetrics::record counts it in the totals only.
inline constexpr std::uint32_t k_k6_totals_only = 0xFFFFFFFFU;

class K6OutputReader {
  public:
    /// `operation_names`: Pipeline::operation_names() (a request tagged
    /// `operation_tag: NAME` is recorded under NAME's index). `open_model`: also count
    /// k6's iterations + dropped_iterations as scheduled (StageMetrics::count_scheduled).
    K6OutputReader(const std::vector<std::string>& operation_names, std::string operation_tag,
                   bool open_model = false);

    /// Reads one line (without its newline). Finished requests, iterations and dropped
    /// iterations are recorded into `into`. Lines that are not JSON are counted and skipped.
    void feed_line(std::string_view line, StageMetrics& into);

    /// End of the output: records every request still waiting for phase points.
    void finish(StageMetrics& into);

    /// Sum of the `http_reqs` points seen (k6's own request count).
    std::uint64_t http_reqs() const { return m_http_reqs; }
    /// Requests recorded (one per http_req_duration point).
    std::uint64_t requests_recorded() const { return m_recorded; }
    /// Requests recorded into the totals only: no operation tag, or a tag value that is not
    /// a pipeline operation.
    std::uint64_t untagged_requests() const { return m_untagged; }
    /// Operation tag values that name no pipeline operation (the first 20, sorted by first
    /// appearance).
    const std::vector<std::string>& unknown_operations() const { return m_unknown_operations; }
    /// The last value of k6's `vus` gauge, if any was seen.
    std::optional<int> active_vus() const { return m_active_vus; }
    std::uint64_t malformed_lines() const { return m_malformed; }

  private:
    struct Pending {
        std::string key;
        RequestSample sample;
        unsigned phases_seen = 0;  ///< bit i: phase i joined
    };
    void open_request(const std::string& key, double value_ms, const nlohmann::json& tags);
    void join_phase(const std::string& key, std::size_t phase, double value_ms, StageMetrics& into);
    void record(Pending& pending, StageMetrics& into);

    std::unordered_map<std::string, std::uint32_t> m_operation_index;
    std::string m_operation_tag;
    bool m_open_model;
    std::deque<Pending> m_pending;
    std::uint64_t m_http_reqs = 0;
    std::uint64_t m_recorded = 0;
    std::uint64_t m_untagged = 0;
    std::uint64_t m_malformed = 0;
    std::vector<std::string> m_unknown_operations;
    std::optional<int> m_active_vus;
};

}  // namespace orch
