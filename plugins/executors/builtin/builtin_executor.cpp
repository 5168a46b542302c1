// The coordinator of the builtin engine: splits a stage's VUs (or its arrival schedule)
// over worker threads, collects each worker's interval once a second, reports it to the
// observer, and adds it to the stage totals, so the totals are exactly the sum of the
// intervals. Workers run the requests (worker.hpp); the transport does the I/O.
#include "plugins/executors/builtin/builtin_executor.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include "core/open_files.hpp"
#include "core/policy.hpp"
#include "core/utf8.hpp"
#include "plugins/executors/builtin/curl_transport.hpp"
#include "plugins/executors/builtin/request_plan.hpp"
#include "plugins/executors/builtin/worker.hpp"

namespace orch {

namespace {

using builtin::Clock;
using builtin::StageControl;
using builtin::Worker;

/// Above this share of its threads' time the generator itself limits the load.
constexpr double k_saturated_cpu_percent = 95;
/// At the stage end, the coordinator waits this long for the last requests before it
/// closes the interval, so the final interval is not a sliver of a few milliseconds.
constexpr auto k_end_settle = std::chrono::milliseconds(250);
/// How long the coordinator waits for the workers to hand their interval over.
constexpr auto k_handoff_wait = std::chrono::milliseconds(100);
/// Descriptors a worker holds besides its connections (epoll and eventfd, or libcurl's
/// multi handle and its wakeup pair).
constexpr std::uint64_t k_files_per_worker = 4;

double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

std::string percent_text(double value) {
    return fmt::format("{:.1f}%", value);
}

/// VUs of `segment` active `elapsed` into a closed-model stage, by the same linear ramps the
/// workers use.
int closed_active_vus(const StageSpec& stage, const Segment& segment, Duration elapsed) {
    if (elapsed >= stage.duration) {
        return 0;
    }
    int active = 0;
    for (int n = static_cast<int>(segment.index); n < stage.vus;
         n += static_cast<int>(segment.count)) {
        Duration start = policy::ramp_up_start(stage.ramp_up, n, stage.vus);
        Duration stop = stage.duration - policy::ramp_down_lead(stage.ramp_down, n, stage.vus);
        if (start <= elapsed && elapsed < stop) {
            ++active;
        }
    }
    return active;
}

class BuiltinExecutor final : public Executor {
  public:
    explicit BuiltinExecutor(builtin::ScenarioPlan plan)
        : m_plan(std::move(plan)), m_seed(std::random_device{}()) {
        m_seed = (m_seed << 32) ^ std::random_device{}();
    }

    Result<void> prepare(const RunContext& context) override;
    Result<StageRun> run_stage(const RunContext& context, const StageSpec& stage,
                               StageObserver& observer, std::stop_token stop) override;

  private:
    nlohmann::json failure_samples_json(const std::vector<std::unique_ptr<Worker>>& workers) const;
    nlohmann::json failure_classes_json(const std::vector<std::unique_ptr<Worker>>& workers) const;

    builtin::ScenarioPlan m_plan;
    std::uint64_t m_seed;
    std::uint64_t m_stages_run = 0;
};

Result<void> BuiltinExecutor::prepare(const RunContext& context) {
    (void)context;
    ORCH_TRY(builtin::init_curl_once());
    const std::string& url = m_plan.base_url;
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0) {
        return fail(ErrorCode::invalid_input,
                    "target.base_url: \"" + url + "\" has no scheme (e.g. http://127.0.0.1:8080)");
    }
    std::string scheme = url.substr(0, scheme_end);
    if (!builtin::curl_supports_scheme(scheme)) {
        return fail(ErrorCode::infrastructure,
                    "target.base_url: this libcurl does not support \"" + scheme + "\"");
    }
    return {};
}

Result<StageRun> BuiltinExecutor::run_stage(const RunContext& context, const StageSpec& stage,
                                            StageObserver& observer, std::stop_token stop) {
    ORCH_TRY(builtin::init_curl_once());
    const bool open = stage.rate.has_value();
    if (stage.duration <= Duration::zero()) {
        return fail(ErrorCode::invalid_input, "stage \"" + stage.name + "\": duration must be > 0");
    }
    if (!open && stage.vus <= 0) {
        return fail(ErrorCode::invalid_input,
                    "stage \"" + stage.name + "\": the builtin executor needs vus or rate");
    }
    // Open model without max_vus: room for one second of requests at the peak rate, as
    // many as the open-files limit allows.
    // A segment runs its share of the VUs (of max_vus in the open model: at least one).
    const Segment& segment = context.segment;
    int max_in_flight = static_cast<int>(segment.share(static_cast<std::uint64_t>(stage.vus)));
    const double peak = open ? std::max(stage.rate->from_per_s, stage.rate->to_per_s) : 0;
    int first_slot_id = 1;
    if (open) {
        auto whole = static_cast<std::uint64_t>(stage.max_vus > 0 ? stage.max_vus
                                                                  : default_max_vus(*stage.rate));
        max_in_flight = std::max(1, static_cast<int>(segment.share(whole)));
        first_slot_id = 1 + static_cast<int>(segment.shares_before(whole));
    }
    unsigned threads = context.threads > 0 ? static_cast<unsigned>(context.threads)
                                           : std::max(1U, std::thread::hardware_concurrency());
    auto workers_for = [threads](int connections) {
        return static_cast<std::uint32_t>(
            std::min<std::int64_t>(threads, std::max(1, connections)));
    };
    const OpenFiles files = open_files();
    if (open && !stage.max_vus_set) {
        std::uint64_t fit =
            connections_that_fit(files, workers_for(max_in_flight), k_files_per_worker);
        if (fit > 0 && static_cast<std::uint64_t>(max_in_flight) > fit) {
            max_in_flight = static_cast<int>(fit);
        }
    }
    // Every connection is a descriptor of this process: a stage that cannot have them all
    // would fail inside the generator (EMFILE) and be taken for the backend's failure.
    std::string too_many = open_files_problem(
        files, static_cast<std::uint64_t>(max_in_flight), workers_for(max_in_flight),
        k_files_per_worker, "stage \"" + stage.name + "\"", open ? "max_vus" : "vus");
    if (!too_many.empty()) {
        return fail(ErrorCode::infrastructure, too_many);
    }
    auto worker_count = workers_for(max_in_flight);

    const std::size_t operation_count = m_plan.operation_names.size();
    const std::size_t pattern_count = m_plan.body_patterns.size();
    StageControl control;
    control.graceful_stop = stage.graceful_stop;
    StageMetrics handoff(operation_count, pattern_count);  // guarded by control.mutex
    control.handoff = &handoff;
    std::uint64_t stage_seed = m_seed + 0x9e3779b97f4a7c15ULL * ++m_stages_run;
    std::vector<std::unique_ptr<Worker>> workers;
    auto next_slot_id = static_cast<std::uint32_t>(first_slot_id);
    std::vector<std::uint32_t> segment_vus;  // global 0-based numbers of this segment's VUs
    for (auto n = segment.index; !open && n < static_cast<std::uint32_t>(stage.vus);
         n += segment.count) {
        segment_vus.push_back(n);
    }
    for (std::uint32_t w = 0; w < worker_count; ++w) {
        builtin::WorkerSetup setup;
        setup.plan = &m_plan;
        setup.stage = &stage;
        setup.control = &control;
        setup.index = w;
        setup.count = worker_count;
        setup.seed = builtin::splitmix64(stage_seed);
        if (open) {
            auto slots = static_cast<std::uint32_t>(max_in_flight) / worker_count +
                         (w < static_cast<std::uint32_t>(max_in_flight) % worker_count ? 1 : 0);
            setup.open_slots = slots;
            setup.first_slot_id = next_slot_id;
            next_slot_id += slots;
            setup.arrival_offset = segment.index + std::uint64_t{segment.count} * w;
            setup.arrival_stride = std::uint64_t{segment.count} * worker_count;
        } else {
            setup.total_vus = static_cast<std::uint32_t>(stage.vus);
            for (std::size_t k = w; k < segment_vus.size(); k += worker_count) {
                setup.vus.push_back(segment_vus[k]);
            }
        }
        auto worker = Worker::create(std::move(setup));
        if (!worker) {
            return tl::unexpected(worker.error());
        }
        workers.push_back(std::move(*worker));
    }

    control.start = Clock::now();
    control.end = control.start + std::chrono::duration_cast<Clock::duration>(stage.duration);
    Clock::time_point stopped_at = Clock::time_point::max();
    std::stop_callback on_stop(stop, [&] {
        {
            std::lock_guard lock(control.mutex);
            stopped_at = std::min(stopped_at, Clock::now());
            control.stop.store(true);
        }
        control.changed.notify_all();
        for (auto& worker : workers) {
            worker->wakeup();
        }
    });

    std::vector<std::thread> running;
    running.reserve(workers.size());
    try {
        for (auto& worker : workers) {
            running.emplace_back([&worker] { worker->run(); });
        }
    } catch (const std::system_error& error) {
        control.stop.store(true);
        for (auto& worker : workers) {
            worker->wakeup();
        }
        for (auto& thread : running) {
            thread.join();
        }
        return fail(ErrorCode::infrastructure,
                    std::string("cannot start a load worker thread: ") + error.what());
    }

    StageMetrics totals(operation_count, pattern_count);
    StageMetrics delta(operation_count, pattern_count);
    Clock::time_point previous = control.start;
    Clock::time_point next_tick = control.start + std::chrono::seconds(1);
    std::uint64_t epoch = 0;
    auto all_finished = [&] {
        return std::all_of(workers.begin(), workers.end(),
                           [](const auto& worker) { return worker->finished(); });
    };
    for (;;) {
        std::unique_lock lock(control.mutex);
        control.changed.wait_until(lock, next_tick, all_finished);
        if (!all_finished() && Clock::now() >= control.end) {
            control.changed.wait_until(lock, Clock::now() + k_end_settle, all_finished);
        }
        if (!all_finished()) {
            control.epoch.store(++epoch, std::memory_order_release);
            lock.unlock();
            for (auto& worker : workers) {
                worker->wakeup();
            }
            lock.lock();
            control.changed.wait_until(lock, Clock::now() + k_handoff_wait, [&] {
                return std::all_of(workers.begin(), workers.end(), [&](const auto& worker) {
                    return worker->finished() || worker->handed_off(epoch);
                });
            });
        }
        // A worker that missed this hand-off keeps its samples for the next one; a finished
        // worker has handed off everything, so when all are finished nothing is left out.
        // The workers' hand-offs so far become this interval; the emptied previous one
        // (allocations kept) takes the next hand-offs.
        delta.reset();
        std::swap(delta, handoff);
        const bool done = all_finished();
        lock.unlock();

        Clock::time_point now = Clock::now();
        int active = 0;
        if (open) {
            for (const auto& worker : workers) {
                active += worker->in_flight();
            }
        } else if (!control.stop.load()) {
            active = closed_active_vus(stage, segment,
                                       std::chrono::duration_cast<Duration>(now - control.start));
        }
        Interval interval;
        interval.elapsed_s = seconds_between(control.start, now);
        interval.length_s = seconds_between(previous, now);
        interval.active_vus = active;
        interval.delta = &delta;
        totals.merge(delta);
        interval.totals = &totals;
        observer.on_interval(interval);
        previous = now;
        if (done) {
            break;
        }
        while (next_tick <= now) {
            next_tick += std::chrono::seconds(1);
        }
    }
    for (auto& thread : running) {
        thread.join();
    }
    Clock::time_point finished_at = previous;

    StageRun run(std::move(totals));
    run.duration_s = seconds_between(control.start, finished_at);
    {
        std::lock_guard lock(control.mutex);
        run.stopped_early = stopped_at < control.end;
    }
    double cpu_seconds = 0;
    for (const auto& worker : workers) {
        cpu_seconds += worker->cpu_seconds();
    }
    double wall = std::max(run.duration_s, 1e-6);
    run.generator_cpu_percent = cpu_seconds / (wall * static_cast<double>(workers.size())) * 100;

    std::vector<std::string> notes;
    const StageMetrics& measured = run.totals;
    if (std::uint64_t unsent = measured.totals().errors(ErrorKind::generator); unsent > 0) {
        notes.push_back(std::to_string(unsent) +
                        " requests could not be sent: the load generator ran out of file "
                        "descriptors, ephemeral ports or buffers (errors.generator; open-files "
                        "limit " +
                        std::to_string(files.soft) + ")");
        run.generator_limited = true;
    }
    const bool all_busy =
        open && policy::too_many_dropped(measured.dropped_all_busy(), measured.scheduled());
    if (all_busy) {
        // Little's law: in flight = arrival rate x time in flight; p99 of the actual
        // exchange time (without the wait for a VU) covers all but the slowest requests.
        const HdrHistogram& exchange = measured.totals().latency_uncorrected();
        std::string advice = std::to_string(measured.dropped_all_busy()) + " of " +
                             std::to_string(measured.scheduled()) + " scheduled requests (" +
                             percent_text(100.0 * static_cast<double>(measured.dropped_all_busy()) /
                                          static_cast<double>(measured.scheduled())) +
                             ") were dropped because all " + std::to_string(max_in_flight) +
                             " allowed VUs (max_vus) were busy";
        if (!exchange.empty()) {
            double p99_s = static_cast<double>(exchange.value_at_percentile(99)) / 1e6;
            auto fits = static_cast<std::uint64_t>(std::ceil(peak * p99_s));
            const std::string figures =
                fmt::format(" (peak rate {:g}/s x p99 {:.0f} ms)", peak, p99_s * 1000);
            if (fits > static_cast<std::uint64_t>(max_in_flight)) {
                advice += ": max_vus " + std::to_string(fits) + " would fit" + figures;
            } else {
                advice += ": raise max_vus above " + std::to_string(max_in_flight) +
                          " (the busy VUs waited on requests slower than p99" + figures + ")";
                fits = static_cast<std::uint64_t>(max_in_flight) * 2;
            }
            std::uint64_t allowed = connections_that_fit(files, worker_count, k_files_per_worker);
            if (fits > allowed) {
                advice += "; that is more than the open-files limit allows (" +
                          std::to_string(allowed) + " connections): raise `ulimit -n` too";
            }
        } else {
            advice += ": raise max_vus (no response arrived to size it from)";
        }
        notes.push_back(advice);
        run.extra["max_vus_advice"] = advice + ".";
        run.generator_limited = true;
    }
    if (!all_busy && open && policy::too_many_dropped(measured.dropped(), measured.scheduled())) {
        notes.push_back(std::to_string(measured.dropped()) + " of " +
                        std::to_string(measured.scheduled()) + " scheduled requests (" +
                        percent_text(100.0 * static_cast<double>(measured.dropped()) /
                                     static_cast<double>(measured.scheduled())) +
                        ") could not be sent within " +
                        std::to_string(Worker::k_max_lateness.count()) +
                        " s of their time (max_vus " + std::to_string(max_in_flight) +
                        " in flight, or the generator was too slow)");
    }
    if (run.generator_cpu_percent > k_saturated_cpu_percent) {
        notes.push_back("load generator CPU saturated: " + percent_text(run.generator_cpu_percent) +
                        " of " + std::to_string(workers.size()) + " worker thread(s)");
    }
    run.generator_behind = !notes.empty();
    for (const auto& note : notes) {
        run.generator_note += (run.generator_note.empty() ? "" : "; ") + note;
    }
    run.extra["failure_samples"] = failure_samples_json(workers);
    if (nlohmann::json classes = failure_classes_json(workers); !classes.empty()) {
        run.extra["failure_classes"] = std::move(classes);
    }
    run.extra["transport"] = m_plan.transport == Transport::lean ? "lean" : "curl";
    std::uint64_t wire = 0;
    std::uint64_t decoded = 0;
    for (const auto& worker : workers) {
        wire += worker->body_bytes_wire();
        decoded += worker->body_bytes_decoded();
    }
    run.extra["body_bytes"] = {{"wire", wire}, {"decoded", decoded}};
    run.extra["workers"] = workers.size();
    run.extra["iterations"] = run.totals.iterations();
    if (open) {
        run.extra["scheduled"] = run.totals.scheduled();
        run.extra["dropped"] = run.totals.dropped();
        run.extra["dropped_all_busy"] = run.totals.dropped_all_busy();
        run.extra["max_in_flight"] = max_in_flight;
    }
    return run;
}

/// Failed responses classified by their body (pool exhaustion, database errors), over all
/// workers: count, and the first one's status, operation and body.
nlohmann::json BuiltinExecutor::failure_classes_json(
    const std::vector<std::unique_ptr<Worker>>& workers) const {
    nlohmann::json classes = nlohmann::json::object();
    for (std::size_t k = 1; k < builtin::k_failure_class_count; ++k) {
        std::uint64_t count = 0;
        const builtin::FailureClassStats* first = nullptr;
        for (const auto& worker : workers) {
            const auto& stats = worker->failure_classes()[k];
            count += stats.count;
            if (first == nullptr && stats.count > 0) {
                first = &stats;
            }
        }
        if (first != nullptr) {
            classes[std::string(builtin::failure_class_name(static_cast<builtin::FailureClass>(
                k)))] = {{"count", count},
                         {"status", first->status},
                         {"operation", first->operation < m_plan.operation_names.size()
                                           ? m_plan.operation_names[first->operation]
                                           : std::string()},
                         {"body", valid_utf8(first->body)}};
        }
    }
    return classes;
}

nlohmann::json BuiltinExecutor::failure_samples_json(
    const std::vector<std::unique_ptr<Worker>>& workers) const {
    nlohmann::json samples = nlohmann::json::array();
    for (std::size_t operation = 0; operation < m_plan.operation_names.size(); ++operation) {
        std::size_t kept = 0;
        for (const auto& worker : workers) {
            for (const auto& sample : worker->failure_samples()[operation]) {
                if (kept++ >= Worker::k_samples_per_operation) {
                    break;
                }
                nlohmann::json entry = {
                    {"operation", m_plan.operation_names[operation]},
                    {"status", sample.status},
                    {"error", std::string(error_kind_name(sample.error))},
                    {"body", valid_utf8(sample.body)},
                };
                if (!sample.message.empty()) {
                    entry["message"] = valid_utf8(sample.message);
                }
                samples.push_back(std::move(entry));
            }
        }
    }
    return samples;
}

}  // namespace

Result<std::unique_ptr<Executor>> make_builtin_executor(const Pipeline& pipeline) {
    auto plan = builtin::compile_plan(pipeline);
    if (!plan) {
        return tl::unexpected(plan.error());
    }
    return std::unique_ptr<Executor>(std::make_unique<BuiltinExecutor>(std::move(*plan)));
}

ExecutorPlugin builtin_executor_plugin() {
    // No keys of its own: it sends scenario.operations, which every scenario has.
    ExecutorSection section;
    section.name = "builtin";
    section.sends_operations = true;
    section.records_response_tags = true;
    section.splits_stages = true;
    return ExecutorPlugin{std::move(section), make_builtin_executor};
}

}  // namespace orch
