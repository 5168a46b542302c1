// One load-generating thread: owns a Transport (lean or libcurl, transport.hpp), its VUs or
// in-flight slots, and its own StageMetrics, so the request path takes no lock. Once per
// second the coordinator bumps StageControl::epoch and wakes the worker; at the top of its
// loop the worker merges what it recorded since into the stage's one hand-off slot (under the
// control mutex) and starts a fresh interval. Every sample lands in exactly one hand-off.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "config/pipeline.hpp"
#include "core/result.hpp"
#include "metrics/stage_metrics.hpp"
#include "plugins/executors/builtin/arrival_schedule.hpp"
#include "plugins/executors/builtin/failure_class.hpp"
#include "plugins/executors/builtin/prng.hpp"
#include "plugins/executors/builtin/request_plan.hpp"
#include "plugins/executors/builtin/transport.hpp"

namespace orch::builtin {

// --- Interface ---

/// What the coordinator and the workers of one stage share.
struct StageControl {
    Clock::time_point start;  ///< the stage's time zero
    Clock::time_point end;    ///< start + duration: no request starts at or after it
    Duration graceful_stop{0};
    std::atomic<std::uint64_t> epoch{0};  ///< bumped by the coordinator once per interval
    std::atomic<bool> stop{false};        ///< the stop token fired
    std::mutex mutex;                     ///< guards `handoff` and every worker's flags
    std::condition_variable changed;      ///< a worker handed off or finished; stop fired
    /// The one hand-off slot of the stage (owned by the coordinator; guarded by `mutex`):
    /// each worker merges its interval into it, the coordinator swaps it out once per
    /// interval. One shared slot, not one per worker: it holds each operation once.
    StageMetrics* handoff = nullptr;
};

/// A failed request kept for the report (at most a few per operation).
struct FailureSample {
    std::uint32_t operation = 0;
    int status = 0;
    ErrorKind error = ErrorKind::none;
    std::string message;  ///< transport error text, empty for HTTP failures
    std::string body;     ///< first bytes of the response body
};

struct WorkerSetup {
    const ScenarioPlan* plan = nullptr;
    const StageSpec* stage = nullptr;
    StageControl* control = nullptr;
    std::uint32_t index = 0;  ///< this worker's number, 0-based
    std::uint32_t count = 1;  ///< workers in the stage
    /// Closed model: global 0-based numbers of this worker's VUs; total VUs in the stage.
    std::vector<std::uint32_t> vus;
    std::uint32_t total_vus = 0;
    /// Open model: this worker's in-flight slots and the global id of its first slot.
    std::uint32_t open_slots = 0;
    std::uint32_t first_slot_id = 1;
    /// Open model: this worker takes the stage's arrivals arrival_offset + arrival_stride * j
    /// (j = 0, 1, ...): its stripe of its segment's stripe (core/segment.hpp).
    std::uint64_t arrival_offset = 0;
    std::uint64_t arrival_stride = 1;
    std::uint64_t seed = 0;
};

class Worker final : public CompletionSink {
  public:
    /// Failure samples kept per operation.
    static constexpr std::size_t k_samples_per_operation = 5;
    /// Open model: a due request still not started after this long is dropped.
    static constexpr std::chrono::seconds k_max_lateness{1};
    /// After the stop token, in-flight requests get at most this (or graceful_stop).
    static constexpr std::chrono::seconds k_stop_token_grace{1};

    /// A worker ready to run; errors: the transport could not be created.
    static Result<std::unique_ptr<Worker>> create(WorkerSetup setup);
    ~Worker() override;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// The thread body: runs the stage to its end (and graceful stop), then hands off the
    /// rest and sets finished.
    void run();

    /// Wakes the worker if it waits for I/O. Any thread.
    void wakeup() { m_transport->wakeup(); }

    // Coordinator side, with StageControl::mutex held:
    bool handed_off(std::uint64_t epoch) const noexcept { return m_handed_epoch >= epoch; }
    bool finished() const noexcept { return m_finished; }

    /// Requests in flight now (open model: the active slots). Any thread.
    int in_flight() const noexcept { return m_in_flight.load(std::memory_order_relaxed); }

    // After the thread ended:
    double cpu_seconds() const noexcept { return m_cpu_seconds; }
    /// Response body bytes as received (compressed ones compressed) and after decoding.
    std::uint64_t body_bytes_wire() const noexcept { return m_body_bytes_wire; }
    std::uint64_t body_bytes_decoded() const noexcept { return m_body_bytes_decoded; }
    const std::vector<std::vector<FailureSample>>& failure_samples() const noexcept {
        return m_failures;
    }
    /// Failed responses whose body tells pool exhaustion or a database error, by class.
    const std::array<FailureClassStats, k_failure_class_count>& failure_classes() const noexcept {
        return m_failure_classes;
    }

    void on_complete(std::uint32_t connection) override;

  private:
    struct Vu;
    using Wakeup = std::pair<Clock::time_point, std::uint32_t>;

    Worker(WorkerSetup setup, std::unique_ptr<Transport> transport);

    bool open_model() const noexcept { return m_setup.stage->rate.has_value(); }
    bool may_start(Clock::time_point now) const noexcept;
    void hand_off_if_asked();
    void begin_stopping(Clock::time_point now);
    void start_due(Clock::time_point now);
    void start_due_closed(Clock::time_point now);
    void start_due_open(Clock::time_point now, Clock::time_point due_limit);
    Clock::time_point next_wakeup(Clock::time_point now) const noexcept;
    void begin_iteration(Vu& vu);
    void start_step(Vu& vu);
    void end_iteration(Vu& vu, Clock::time_point now, Duration min_pause = Duration{0});
    void count_drop() noexcept;
    void abort_in_flight(Clock::time_point now);
    /// With scenario.tag_responses: records `sample` under each tag's value, read from the
    /// response's header block (no response, or no such header: "none").
    void record_tags(const RequestSample& sample, std::string_view raw_headers);
    void keep_failure(const CompiledRequest& request, const Exchange& exchange, ErrorKind kind);
    Clock::time_point slot_due(std::uint64_t local_slot) const noexcept;

    WorkerSetup m_setup;
    const ScenarioPlan& m_plan;
    StageControl& m_control;
    std::unique_ptr<Transport> m_transport;
    std::vector<Vu> m_vus;
    Duration m_think_time{0};

    StageMetrics m_interval;           ///< this thread only
    std::uint64_t m_handed_epoch = 0;  ///< guarded by StageControl::mutex
    bool m_finished = false;           ///< guarded by StageControl::mutex
    std::uint64_t m_seen_epoch = 0;

    bool m_stopping = false;
    Clock::time_point m_deadline{};
    alignas(64) std::atomic<int> m_in_flight{0};

    // Closed model: VUs waiting to (re)start, earliest first.
    std::priority_queue<Wakeup, std::vector<Wakeup>, std::greater<>> m_sleeping;
    // Open model: this worker takes global requests arrival_offset + arrival_stride * j
    std::optional<ArrivalSchedule> m_schedule;
    std::uint64_t m_next_slot = 0;      ///< j of the next request not yet started or dropped
    std::uint64_t m_slot_count = 0;     ///< how many j exist in the stage
    std::vector<std::uint32_t> m_free;  ///< idle in-flight slots

    std::vector<std::vector<FailureSample>> m_failures;  ///< by metric index
    std::array<FailureClassStats, k_failure_class_count> m_failure_classes{};
    double m_cpu_seconds = 0;
    std::uint64_t m_body_bytes_wire = 0;
    std::uint64_t m_body_bytes_decoded = 0;
};

}  // namespace orch::builtin
