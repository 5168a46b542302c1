// The worker's event loop. Each pass: hand off the interval if asked, decide whether the
// stage is stopping, start whatever is due (closed model: VUs whose ramp-up start or think
// time is over; open model: scheduled requests while a slot is free), then let the
// transport wait for I/O until the next due time and report completions. A completion
// records its sample, runs captures, and starts the flow's next step or ends the iteration.
#include "plugins/executors/builtin/worker.hpp"

#include <time.h>

#include <algorithm>

#include "core/policy.hpp"
#include "plugins/executors/builtin/curl_transport.hpp"
#include "plugins/executors/builtin/lean_transport.hpp"
#include "plugins/executors/builtin/request_builder.hpp"
#include "plugins/executors/builtin/response_check.hpp"

namespace orch::builtin {

namespace {

constexpr std::size_t k_sample_body_bytes = 512;
constexpr auto k_max_poll = std::chrono::milliseconds(200);
/// Closed model: a VU whose request the generator could not send waits this long.
constexpr Duration k_generator_backoff = std::chrono::milliseconds(10);

std::int64_t micros(Clock::duration duration) {
    return std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
}

double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

/// A closed-model VU, or an open-model in-flight slot: its own variables, PRNG and Exchange.
struct Worker::Vu {
    std::uint32_t connection = 0;
    Prng prng;
    std::uint64_t iteration = 0;
    std::vector<std::string> values;
    std::uint32_t operation = 0;
    std::uint32_t step = 0;
    Clock::time_point scheduled{};  ///< open model: when the iteration's first step was due
    Clock::time_point start_at{};   ///< closed model: ramp-up start
    Clock::time_point stop_at{};    ///< closed model: ramp-down stop
    bool in_flight = false;
    Exchange exchange;
};

Result<std::unique_ptr<Worker>> Worker::create(WorkerSetup setup) {
    std::size_t connections = setup.stage->rate ? setup.open_slots : setup.vus.size();
    auto transport = setup.plan->transport == orch::Transport::lean
                         ? make_lean_transport(connections, setup.plan->target)
                         : make_curl_transport(connections, setup.plan->target);
    if (!transport) {
        return tl::unexpected(transport.error());
    }
    return std::unique_ptr<Worker>(new Worker(std::move(setup), std::move(*transport)));
}

Worker::Worker(WorkerSetup setup, std::unique_ptr<Transport> transport)
    : m_setup(std::move(setup)),
      m_plan(*m_setup.plan),
      m_control(*m_setup.control),
      m_transport(std::move(transport)),
      m_interval(m_plan.operation_names.size(), m_plan.body_patterns.size()),
      m_failures(m_plan.operation_names.size()) {
    const StageSpec& stage = *m_setup.stage;
    m_think_time = stage.think_time.value_or(m_plan.think_time);
    if (open_model()) {
        m_schedule.emplace(*stage.rate, stage.duration);
        std::uint64_t total = m_schedule->total();
        const std::uint64_t offset = m_setup.arrival_offset;
        const std::uint64_t stride = std::max<std::uint64_t>(m_setup.arrival_stride, 1);
        m_slot_count = total > offset ? (total - offset - 1) / stride + 1 : 0;
        m_vus.resize(m_setup.open_slots);
        m_free.reserve(m_vus.size());
        for (std::uint32_t i = 0; i < m_vus.size(); ++i) {
            std::uint32_t id = m_setup.first_slot_id + i;
            m_vus[i].connection = i;
            m_vus[i].prng = Prng(m_setup.seed ^ (std::uint64_t{id} * 0x9e3779b97f4a7c15ULL));
            init_variables(m_plan, id, stage.name, m_vus[i].values);
            m_free.push_back(static_cast<std::uint32_t>(m_vus.size() - 1 - i));
        }
    } else {
        m_vus.resize(m_setup.vus.size());
        std::vector<Wakeup> heap;
        heap.reserve(m_vus.size() + 1);
        m_sleeping = decltype(m_sleeping)(std::greater<>(), std::move(heap));
        for (std::uint32_t i = 0; i < m_vus.size(); ++i) {
            std::uint32_t number = m_setup.vus[i];  // 0-based across the stage
            Vu& vu = m_vus[i];
            vu.connection = i;
            vu.prng = Prng(m_setup.seed ^ (std::uint64_t{number + 1} * 0x9e3779b97f4a7c15ULL));
            init_variables(m_plan, number + 1, stage.name, vu.values);
        }
    }
}

Worker::~Worker() = default;

bool Worker::may_start(Clock::time_point now) const noexcept {
    return !m_stopping && now < m_control.end && !m_control.stop.load(std::memory_order_relaxed);
}

void Worker::hand_off_if_asked() {
    std::uint64_t epoch = m_control.epoch.load(std::memory_order_acquire);
    if (epoch == m_seen_epoch) {
        return;
    }
    m_seen_epoch = epoch;
    {
        std::lock_guard lock(m_control.mutex);
        m_control.handoff->merge(m_interval);
        m_handed_epoch = epoch;
    }
    m_control.changed.notify_all();
    m_interval.reset();
}

void Worker::run() {
    double cpu_start = thread_cpu_seconds();
    if (!open_model()) {
        // Linear ramps (core/policy.hpp).
        const StageSpec& stage = *m_setup.stage;
        auto ramp_up = std::chrono::duration_cast<Clock::duration>(stage.ramp_up);
        auto ramp_down = std::chrono::duration_cast<Clock::duration>(stage.ramp_down);
        auto total = static_cast<std::int64_t>(std::max<std::uint32_t>(m_setup.total_vus, 1));
        for (std::uint32_t i = 0; i < m_vus.size(); ++i) {
            Vu& vu = m_vus[i];
            auto number = static_cast<std::int64_t>(m_setup.vus[i]);
            vu.start_at = m_control.start + policy::ramp_up_start(ramp_up, number, total);
            vu.stop_at = m_control.end - policy::ramp_down_lead(ramp_down, number, total);
            m_sleeping.emplace(vu.start_at, vu.connection);
        }
    }
    for (;;) {
        Clock::time_point now = Clock::now();
        hand_off_if_asked();
        if (!m_stopping && (now >= m_control.end || m_control.stop.load())) {
            begin_stopping(now);
        }
        if (m_stopping) {
            if (m_in_flight.load(std::memory_order_relaxed) == 0) {
                break;
            }
            if (now >= m_deadline) {
                abort_in_flight(now);
                break;
            }
        } else {
            start_due(now);
        }
        auto wait = std::max(next_wakeup(now) - now, Clock::duration::zero());
        m_transport->poll(std::chrono::duration_cast<Duration>(wait), *this);
    }
    m_cpu_seconds = thread_cpu_seconds() - cpu_start;
    {
        std::lock_guard lock(m_control.mutex);
        m_control.handoff->merge(m_interval);
        m_finished = true;
    }
    m_control.changed.notify_all();
    m_interval.reset();
}

void Worker::begin_stopping(Clock::time_point now) {
    bool stopped_by_token = m_control.stop.load() && now < m_control.end;
    Clock::time_point stop_time = stopped_by_token ? now : m_control.end;
    if (open_model()) {
        // Requests due before the stop that a free slot can still take are started (the loop
        // may notice the end a little late); the others were due and never sent: dropped.
        if (!stopped_by_token) {
            start_due_open(now, stop_time);
        }
        while (m_next_slot < m_slot_count && slot_due(m_next_slot) < stop_time) {
            m_interval.count_scheduled();
            count_drop();
            ++m_next_slot;
        }
    }
    m_stopping = true;
    Duration grace = m_control.graceful_stop;
    if (stopped_by_token) {
        grace = std::min<Duration>(grace, k_stop_token_grace);
    }
    m_deadline = std::max(now, stop_time) + grace;
}

void Worker::start_due(Clock::time_point now) {
    if (open_model()) {
        start_due_open(now, m_control.end);
    } else {
        start_due_closed(now);
    }
}

void Worker::start_due_closed(Clock::time_point now) {
    while (!m_sleeping.empty() && m_sleeping.top().first <= now) {
        Vu& vu = m_vus[m_sleeping.top().second];
        m_sleeping.pop();
        if (now < vu.stop_at) {
            begin_iteration(vu);
        }
    }
}

Clock::time_point Worker::slot_due(std::uint64_t local_slot) const noexcept {
    std::uint64_t global = m_setup.arrival_offset + local_slot * m_setup.arrival_stride;
    return m_control.start + std::chrono::duration_cast<Clock::duration>(m_schedule->due(global));
}

void Worker::start_due_open(Clock::time_point now, Clock::time_point due_limit) {
    while (m_next_slot < m_slot_count) {
        Clock::time_point due = slot_due(m_next_slot);
        if (due > now || due >= due_limit) {
            return;
        }
        if (now - due > k_max_lateness) {
            m_interval.count_scheduled();
            count_drop();
            ++m_next_slot;
            continue;
        }
        if (m_free.empty()) {
            return;  // waits for a slot; dropped if none frees up in time
        }
        Vu& vu = m_vus[m_free.back()];
        m_free.pop_back();
        m_interval.count_scheduled();
        ++m_next_slot;
        vu.scheduled = due;
        begin_iteration(vu);
    }
}

void Worker::count_drop() noexcept {
    // No idle slot: the request waited for a VU that never came (max_vus too small for the
    // rate and the latency). A free slot means the loop itself came too late.
    if (m_free.empty()) {
        m_interval.count_dropped_all_busy();
    } else {
        m_interval.count_dropped();
    }
}

Clock::time_point Worker::next_wakeup(Clock::time_point now) const noexcept {
    Clock::time_point wake = now + k_max_poll;
    if (m_stopping) {
        return std::min(wake, m_deadline);
    }
    wake = std::min(wake, m_control.end);
    if (open_model()) {
        if (m_next_slot < m_slot_count) {
            Clock::time_point due = slot_due(m_next_slot);
            wake = std::min(wake, m_free.empty() ? due + k_max_lateness : due);
        }
    } else if (!m_sleeping.empty()) {
        wake = std::min(wake, m_sleeping.top().first);
    }
    return wake;
}

void Worker::begin_iteration(Vu& vu) {
    vu.operation = static_cast<std::uint32_t>(m_plan.pick_operation(vu.prng));
    vu.step = 0;
    draw_variables(m_plan, vu.prng, vu.iteration, vu.values);
    ++vu.iteration;
    start_step(vu);
}

void Worker::start_step(Vu& vu) {
    const CompiledRequest& request = m_plan.operations[vu.operation].steps[vu.step];
    build_request(m_plan, request, vu.values, vu.exchange);
    vu.in_flight = true;
    m_in_flight.fetch_add(1, std::memory_order_relaxed);
    m_transport->start(vu.connection, vu.exchange);
}

void Worker::on_complete(std::uint32_t connection) {
    Vu& vu = m_vus[connection];
    vu.in_flight = false;
    m_in_flight.fetch_sub(1, std::memory_order_relaxed);
    const CompiledRequest& request = m_plan.operations[vu.operation].steps[vu.step];
    const Exchange& exchange = vu.exchange;
    m_body_bytes_wire += exchange.body_bytes_wire;
    m_body_bytes_decoded += exchange.body_bytes;

    RequestSample sample;
    sample.operation = request.metric_index;
    sample.status = static_cast<std::uint16_t>(std::clamp(exchange.status, 0, 65535));
    sample.latency_uncorrected_us = micros(exchange.done_at - exchange.sent_at);
    // Open model: the first step is late by however long it waited past its due time, so
    // its latency counts from then (no coordinated omission); later steps of a flow start
    // when the previous one ends, which is their due time.
    bool corrected = open_model() && vu.step == 0;
    sample.latency_us =
        corrected ? micros(exchange.done_at - vu.scheduled) : sample.latency_uncorrected_us;

    nlohmann::json body_json;
    if (exchange.transport_error != ErrorKind::none) {
        sample.error = exchange.transport_error;
    } else {
        if (request.needs_json) {
            body_json = nlohmann::json::parse(exchange.response_body, nullptr, false);
        }
        sample.error =
            judge_response(request, exchange.status, exchange.response_body,
                           exchange.response_headers, request.needs_json ? &body_json : nullptr);
    }
    if (exchange.has_phases) {
        sample.has_phases = true;
        sample.phases = exchange.phases;
        // The engine's own hand-over and pick-up delay is time the request was blocked.
        sample.phases.blocked +=
            std::max<std::int64_t>(0, sample.latency_uncorrected_us - exchange.transfer_us);
    }
    if (sample.error != ErrorKind::none && exchange.status != 0 && !m_plan.body_patterns.empty()) {
        sample.body_pattern_mask =
            match_body_patterns(m_plan.body_patterns, exchange.response_body);
    }
    m_interval.record(sample);
    record_tags(sample, exchange.status != 0 ? std::string_view(exchange.response_headers)
                                             : std::string_view());
    if (sample.error != ErrorKind::none && exchange.status >= 400) {
        FailureClass kind = classify_failure_body(exchange.response_body);
        if (kind != FailureClass::none) {
            FailureClassStats& stats = m_failure_classes[static_cast<std::size_t>(kind)];
            if (stats.count++ == 0) {
                stats.status = exchange.status;
                stats.operation = request.metric_index;
                stats.body = exchange.response_body.substr(
                    0, std::min(exchange.response_body.size(), k_sample_body_bytes));
            }
        }
    }

    Clock::time_point now = exchange.done_at;
    if (sample.error != ErrorKind::none) {
        // A failed step ends the iteration: the flow's later steps are not sent (and so
        // are counted nowhere).
        keep_failure(request, exchange, sample.error);
        // Out of descriptors or ports: starting again at once would only spin the CPU.
        end_iteration(vu, now,
                      sample.error == ErrorKind::generator ? k_generator_backoff : Duration{0});
        return;
    }
    for (const auto& [slot, pointer] : request.captures) {
        capture_value(body_json, pointer, vu.values[slot]);
    }
    const auto& steps = m_plan.operations[vu.operation].steps;
    if (vu.step + 1 < steps.size() && may_start(now)) {
        ++vu.step;
        start_step(vu);
        return;
    }
    end_iteration(vu, now);
}

void Worker::end_iteration(Vu& vu, Clock::time_point now, Duration min_pause) {
    m_interval.count_iteration();
    if (open_model()) {
        m_free.push_back(vu.connection);
        return;
    }
    if (!may_start(now) || now >= vu.stop_at) {
        return;  // this VU is done
    }
    Duration pause = std::max(m_think_time, min_pause);
    if (pause <= Duration::zero()) {
        begin_iteration(vu);
        return;
    }
    m_sleeping.emplace(now + std::chrono::duration_cast<Clock::duration>(pause), vu.connection);
}

void Worker::abort_in_flight(Clock::time_point now) {
    for (auto& vu : m_vus) {
        if (!vu.in_flight) {
            continue;
        }
        m_transport->abort(vu.connection);
        vu.in_flight = false;
        m_in_flight.fetch_sub(1, std::memory_order_relaxed);
        const CompiledRequest& request = m_plan.operations[vu.operation].steps[vu.step];
        RequestSample sample;
        sample.operation = request.metric_index;
        sample.error = ErrorKind::interrupted;
        sample.latency_uncorrected_us = micros(now - vu.exchange.sent_at);
        sample.latency_us = sample.latency_uncorrected_us;
        m_interval.record(sample);
        record_tags(sample, {});
        vu.exchange.status = 0;
        vu.exchange.response_body.clear();
        vu.exchange.error_message = "still in flight when graceful_stop ran out";
        keep_failure(request, vu.exchange, ErrorKind::interrupted);
    }
}

void Worker::record_tags(const RequestSample& sample, std::string_view raw_headers) {
    for (std::size_t t = 0; t < m_plan.tag_headers.size(); ++t) {
        std::string_view value;
        if (!find_header(raw_headers, m_plan.tag_headers[t], value)) {
            value = {};
        }
        m_interval.record_tag(t, tag_value_name(value), sample);
    }
}

void Worker::keep_failure(const CompiledRequest& request, const Exchange& exchange,
                          ErrorKind kind) {
    auto& kept = m_failures[request.metric_index];
    if (kept.size() >= k_samples_per_operation) {
        return;
    }
    FailureSample sample;
    sample.operation = request.metric_index;
    sample.status = exchange.status;
    sample.error = kind;
    sample.message = exchange.error_message;
    sample.body = exchange.response_body.substr(
        0, std::min(exchange.response_body.size(), k_sample_body_bytes));
    kept.push_back(std::move(sample));
}

}  // namespace orch::builtin
