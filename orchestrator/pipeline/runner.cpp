// The run, top to bottom: each step is a named function below `run_pipeline`, which reads
// like the by-hand procedure it replaces. Teardown (stopping the backend, writing the
// reports) runs on every path; the first reason for stopping is the one reported.
#include "pipeline/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/did_you_mean.hpp"
#include "core/policy.hpp"
#include "core/redact.hpp"
#include "pipeline/backend_watch.hpp"
#include "pipeline/hints.hpp"
#include "pipeline/hooks.hpp"
#include "pipeline/interrupt_relay.hpp"
#include "pipeline/prom_judge.hpp"
#include "pipeline/stage_judge.hpp"
#include "pipeline/supervisor.hpp"
#include "report/bounded_series.hpp"

namespace orch {

namespace {

/// The operation mix the scenario asks for, in percent of requests: each request of an
/// operation (every step of a flow) is sent once per pick, picks follow the weights.
std::map<std::string, double, std::less<>> asked_mix(const Scenario& scenario) {
    std::map<std::string, double, std::less<>> mix;
    double total = 0;
    for (const auto& op : scenario.operations) {
        total += op.weight * static_cast<double>(op.steps.size());
    }
    if (total <= 0) {
        return mix;
    }
    for (const auto& op : scenario.operations) {
        for (const auto& step : op.steps) {
            mix[step.name] += op.weight * 100.0 / total;
        }
    }
    return mix;
}

std::string rate_text(const StageSpec& stage) {
    if (!stage.rate) {
        return {};
    }
    auto per_s = [](double r) { return fmt::format("{:g}/s", r); };
    if (stage.rate->from_per_s == stage.rate->to_per_s) {
        return per_s(stage.rate->from_per_s);
    }
    return per_s(stage.rate->from_per_s) + ".." + per_s(stage.rate->to_per_s);
}

HealthSample health_sample(const HealthAnswer& answer) {
    HealthSample sample;
    sample.at = iso8601_now();
    sample.status = answer.status;
    sample.body = answer.json;
    if (!answer.json->is_null()) {
        sample.uptime_s = json_number_at(*answer.json, "/uptime_s");
        if (auto rss = json_number_at(*answer.json, "/memory/rss")) {
            sample.rss_mb = *rss / (1024.0 * 1024.0);
        }
    }
    return sample;
}

/// Writes every reporter's file; stops at the first that cannot be written (disk full,
/// permissions, I/O error) and returns its error, which names the file and the cause.
Result<void> write_reports(const RunReport& report, const std::vector<const Reporter*>& reporters,
                           const std::filesystem::path& out_dir) {
    for (const Reporter* reporter : reporters) {
        if (auto ok = reporter->write_to(out_dir, report); !ok) {
            Error error = ok.error();
            error.code = ErrorCode::infrastructure;
            error.message += " (free some space or choose another folder with --out)";
            return tl::unexpected(std::move(error));
        }
    }
    return {};
}

/// After a write failed: the report says ERROR, and every file is written again with that
/// verdict, or removed when even that fails, so nothing on disk claims another verdict.
void record_write_failure(RunReport& report, const Error& error,
                          const std::vector<const Reporter*>& reporters,
                          const std::filesystem::path& out_dir) {
    if (report.verdict != Verdict::error || report.reason.empty()) {
        report.verdict = Verdict::error;
        report.reason = error.message;
    }
    report.exit_code = exit_code_for(report.verdict);
    // The console shows it once: spdlog's console sink prints errors to stderr already.
    spdlog::error("{}", error.message);
    for (const Reporter* reporter : reporters) {
        if (!reporter->write_to(out_dir, report)) {
            // The earlier version's room may be just enough for this one: remove, try again.
            std::error_code ec;
            std::filesystem::remove(out_dir / std::string(reporter->file_name()), ec);
            (void)reporter->write_to(out_dir, report);
        }
    }
}

/// Sets the run's verdict from its stages (the worst wins) unless it already ended badly.
void conclude(RunReport& report) {
    Verdict verdict = report.verdict;
    bool any_ran = false;
    for (const auto& stage : report.stages) {
        if (stage.verdict == Verdict::skipped) {
            continue;
        }
        any_ran = true;
        if (severity_rank(stage.verdict) > severity_rank(verdict)) {
            verdict = stage.verdict;
        }
        if (stage.verdict == Verdict::pass) {
            report.highest_passed_stage = stage.name;
        }
    }
    if (!any_ran && verdict == Verdict::pass && !report.stages.empty()) {
        verdict = Verdict::error;
        if (report.reason.empty()) {
            report.reason = "no stage ran";
        }
    }
    report.verdict = verdict;
    report.exit_code = exit_code_for(verdict);
    if (report.reason.empty()) {
        for (const auto& stage : report.stages) {
            if (stage.verdict == verdict && verdict != Verdict::pass) {
                report.reason = "stage \"" + stage.name + "\": " + stage.reason;
                break;
            }
        }
        if (report.reason.empty() && verdict == Verdict::pass) {
            report.reason = "every stage met every fail criterion";
        }
    }
    report.recommendation = next_stage_recommendation(report);
    report.finished_at = iso8601_now();
}

/// Observer handed to the executor: series, abort criteria, progress.
class StageObserverImpl final : public StageObserver {
  public:
    StageObserverImpl(const StageSpec& stage, StageJudge& judge, std::stop_source& stop,
                      RunListener& listener, const BackendWatch& watch, const MetricNames& names)
        : m_stage(stage),
          m_judge(judge),
          m_stop(stop),
          m_listener(listener),
          m_watch(watch),
          m_names(names) {}

    void on_interval(const Interval& interval) override {
        if (interval.delta == nullptr) {
            return;
        }
        const StageMetrics& delta = *interval.delta;
        SeriesPoint point;
        point.t_s = interval.elapsed_s;
        double length = interval.length_s > 0 ? interval.length_s : 1.0;
        point.rps = static_cast<double>(delta.totals().requests()) / length;
        point.errors = static_cast<double>(delta.totals().failures());
        set_quantiles(delta.totals().latency(), point.p50, point.p95, point.p99);
        if (const HdrHistogram* succeeded = delta.totals().latency_succeeded()) {
            set_quantiles(*succeeded, point.succeeded_p50, point.succeeded_p95,
                          point.succeeded_p99);
        }
        if (const HdrHistogram* failed = delta.totals().latency_failed()) {
            set_quantiles(*failed, point.failed_p50, point.failed_p95, point.failed_p99);
        }
        for (std::size_t i = 0; i < delta.operations().size() && i < m_names.operations.size();
             ++i) {
            const OperationStats& stats = delta.operations()[i];
            if (stats.requests() == 0) {
                continue;
            }
            OperationPoint op;
            op.rps = static_cast<double>(stats.requests()) / length;
            op.errors = static_cast<double>(stats.failures());
            set_quantiles(stats.latency(), op.p50, op.p95, op.p99);
            point.operations.emplace(m_names.operations[i], op);
        }
        point.vus = interval.active_vus;
        BackendFacts facts = m_watch.facts();
        point.rss_mb = facts.rss_end_mb;
        m_series.add(point);
        if (m_part_seconds != nullptr) {
            add_part_second(delta, interval, length);
        }

        // Built-in guard, criteria or not: when every request of the stage's first second
        // failed to connect, nothing is listening there; firing on for the whole stage
        // would only pile up refused requests.
        if (!m_first_second_judged) {
            m_first_second_requests += delta.totals().requests();
            m_first_second_refused += delta.totals().errors(ErrorKind::connection_refused);
            if (interval.elapsed_s >= 1.0 - 1e-3) {
                m_first_second_judged = true;
                if (m_first_second_requests > 0 &&
                    m_first_second_refused == m_first_second_requests) {
                    m_nothing_listening = m_first_second_requests;
                    m_stop.request_stop();
                }
            }
        }

        auto breach = m_judge.on_interval(delta, interval.elapsed_s, length, interval.totals);
        if (breach && !m_abort) {
            m_abort = breach;
            m_stop.request_stop();
        }
        const StageMetrics& totals =
            interval.totals != nullptr ? *interval.totals : m_judge.running_totals();
        Snapshot so_far = summarize(totals, m_names, std::max(interval.elapsed_s, 1e-3));
        m_listener.on_progress(m_stage, interval.elapsed_s, interval.active_vus, so_far);
    }

    const std::optional<CriterionResult>& abort_breach() const { return m_abort; }

    /// How many requests the stage's first second sent when every one of them failed to
    /// connect (the built-in closed-port guard fired), else nullopt.
    std::optional<std::uint64_t> nothing_listening() const { return m_nothing_listening; }

    /// Keep a lossless per-second series (run --segment) in `seconds`.
    void keep_part_seconds(std::vector<PartSecond>* seconds) { m_part_seconds = seconds; }

    /// The series for results.json, once the executor has returned.
    void store_series(StageReport& report) const {
        report.series = m_series.points();
        report.series_bucket_s = static_cast<double>(m_series.bucket_intervals());
    }

  private:
    /// The interval under the wall-clock second its middle falls in, so that segments
    /// started together (--start-at) key the same second alike.
    void add_part_second(const StageMetrics& delta, const Interval& interval, double length) {
        std::chrono::duration<double> now = std::chrono::system_clock::now().time_since_epoch();
        auto second = static_cast<std::int64_t>(std::floor(now.count() - length / 2));
        if (m_part_seconds->empty() || m_part_seconds->back().second != second) {
            PartSecond fresh;
            fresh.second = second;
            fresh.operations.assign(m_names.operations.size(), {0, 0});
            fresh.latency = encode_histogram(HdrHistogram());
            m_part_seconds->push_back(std::move(fresh));
            m_part_latency.reset();
        }
        PartSecond& p = m_part_seconds->back();
        p.requests += delta.totals().requests();
        p.failures += delta.totals().failures();
        p.vus = std::max(p.vus, interval.active_vus);
        for (std::size_t i = 0; i < delta.operations().size() && i < p.operations.size(); ++i) {
            p.operations[i].first += delta.operations()[i].requests();
            p.operations[i].second += delta.operations()[i].failures();
        }
        m_part_latency.merge(delta.totals().latency());
        p.latency = encode_histogram(m_part_latency);
    }

    static void set_quantiles(const HdrHistogram& latency, std::optional<double>& p50,
                              std::optional<double>& p95, std::optional<double>& p99) {
        if (!latency.empty()) {
            p50 = static_cast<double>(latency.value_at_percentile(50)) / 1000.0;
            p95 = static_cast<double>(latency.value_at_percentile(95)) / 1000.0;
            p99 = static_cast<double>(latency.value_at_percentile(99)) / 1000.0;
        }
    }

    BoundedSeries m_series;
    const StageSpec& m_stage;
    StageJudge& m_judge;
    std::stop_source& m_stop;
    RunListener& m_listener;
    const BackendWatch& m_watch;
    const MetricNames& m_names;
    std::optional<CriterionResult> m_abort;
    bool m_first_second_judged = false;
    std::uint64_t m_first_second_requests = 0;
    std::uint64_t m_first_second_refused = 0;
    std::optional<std::uint64_t> m_nothing_listening;
    std::vector<PartSecond>* m_part_seconds = nullptr;
    HdrHistogram m_part_latency;  ///< of the part second being filled
};

/// A metric that the generator's own limits distort: latency (its queue), request counts and
/// throughput (what it could not send), and errors.generator itself.
bool generator_shaped(const Criterion& criterion) {
    if (criterion.unit == MetricUnit::milliseconds) {
        return true;
    }
    std::string_view metric = criterion.metric;
    for (std::string_view name : {"requests", "rps", "iterations", "errors.generator"}) {
        if (metric == name ||
            (metric.size() > name.size() && metric.substr(metric.size() - name.size()) == name &&
             metric[metric.size() - name.size() - 1] == '.')) {
            return true;
        }
    }
    return false;
}

/// The wall clock in unix seconds (Prometheus' time axis).
double unix_seconds_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string describe_criterion_miss(const CriterionResult& r) {
    std::string text = r.criterion.name;
    if (r.criterion.lacks_baseline()) {
        text += " (no baseline data)";
    } else if (r.actual) {
        text += fmt::format(" (actual {:g}", *r.actual) + std::string(unit_label(r.criterion.unit));
        if (r.criterion.relative) {
            text += fmt::format(", target {:g}", r.criterion.target) +
                    std::string(unit_label(r.criterion.unit));
        }
        text += ")";
    } else {
        text += " (no data)";
    }
    return text;
}

/// Everything one run shares between its steps.
struct RunState {
    const Pipeline& pipeline;
    Executor& executor;
    const std::vector<const Reporter*>& reporters;
    const RunOptions& options;
    RunListener& listener;
    RunContext context;
    MetricNames names;
    std::stop_source run_stop;  ///< fired on SIGINT/SIGTERM
    std::atomic<int> no_interrupts{0};
    std::optional<HookRunner> hooks;
    const std::atomic<int>& interrupts() const {
        return options.interrupts != nullptr ? *options.interrupts : no_interrupts;
    }
    RunClock& clock() const {
        return options.clock != nullptr ? *options.clock : steady_run_clock();
    }
};

/// The executor a stage runs with: the run's, or for a stage with its own `target:` one
/// made for a copy of the pipeline with that target merged in.
struct StageExecutor {
    Executor* executor = nullptr;
    RunContext context;
    std::unique_ptr<Pipeline> pipeline;
    std::unique_ptr<Executor> owned;
};

Result<StageExecutor> executor_for(RunState& state, const StageSpec& stage) {
    StageExecutor chosen;
    chosen.executor = &state.executor;
    chosen.context = state.context;
    if (!stage.target) {
        return chosen;
    }
    if (!state.options.make_executor) {
        return fail(ErrorCode::infrastructure,
                    "stage \"" + stage.name +
                        "\" has its own target, and this run cannot make "
                        "an executor for it");
    }
    chosen.pipeline = std::make_unique<Pipeline>(state.pipeline);
    chosen.pipeline->target = *stage.target;
    auto made = state.options.make_executor(*chosen.pipeline);
    if (!made) {
        return tl::unexpected(made.error());
    }
    chosen.owned = std::move(*made);
    ORCH_TRY(chosen.owned->prepare(chosen.context));
    chosen.executor = chosen.owned.get();
    return chosen;
}

/// An observe stage's "load": none. Waits the stage's length (the watch polls health and
/// stops early on a crash, an unhealthy answer or an interrupt) and returns an empty run, so
/// the stage is judged like any other, on backend (and Prometheus) metrics only.
Result<StageRun> observe_only(const RunState& state, const StageSpec& stage, BackendWatch& watch,
                              std::stop_token stop) {
    state.listener.on_message("observing for " + format_duration(stage.duration) +
                              " (no synthetic load)");
    Stopwatch clock;
    const double total_s = to_seconds(stage.duration);
    while (!stop.stop_requested()) {
        double remaining_s = total_s - clock.seconds();
        if (remaining_s <= 0) {
            break;
        }
        watch.wait(std::min(remaining_s, 1.0));
    }
    StageRun run(StageMetrics(state.names.operations.size(), state.names.body_patterns.size()));
    run.duration_s = clock.seconds();
    run.stopped_early = stop.stop_requested();
    return run;
}

/// Runs one stage against a healthy backend; fills `stage_report`.
void run_stage(RunState& state, BackendSupervisor& supervisor, const StageSpec& stage,
               StageReport& stage_report, const StageReport* previous,
               std::optional<double> late_s) {
    stage_report.started_at = iso8601_now();
    const Pipeline& pipeline = state.pipeline;
    StageExecutor load;
    if (!stage.observe) {
        auto chosen = executor_for(state, stage);
        if (!chosen) {
            stage_report.verdict = Verdict::error;
            stage_report.reason = "executor failed: " + chosen.error().message;
            return;
        }
        load = std::move(*chosen);
    }

    if (pipeline.defaults.health_check_before_stage && pipeline.health) {
        HealthAnswer before = supervisor.check_health();
        stage_report.health_before = health_sample(before);
        if (!before.healthy) {
            stage_report.verdict = Verdict::fail;
            stage_report.reason = "backend unhealthy before the stage: health check " +
                                  supervisor.health_target() + " got " +
                                  health_failure_in_words(before);
            return;
        }
    }

    std::stop_source stage_stop;
    std::stop_callback relay(state.run_stop.get_token(),
                             [&stage_stop] { stage_stop.request_stop(); });
    std::optional<BackendWatch> watch;
    watch.emplace(supervisor, stage_stop, state.interrupts(),
                  pipeline.health ? BackendWatch::HealthPolling::every_second
                                  : BackendWatch::HealthPolling::off,
                  state.clock());
    StageJudge judge(stage, state.names,
                     [&watch](Snapshot& snapshot) { watch->facts().add_to(snapshot); });
    StageObserverImpl observer(stage, judge, stage_stop, state.listener, *watch, state.names);
    std::vector<PartSecond> part_seconds;
    if (state.options.part) {
        observer.keep_part_seconds(&part_seconds);
    }
    Stopwatch clock;
    StageWindow window{unix_seconds_now(), 0};
    auto run = stage.observe ? observe_only(state, stage, *watch, stage_stop.get_token())
                             : load.executor->run_stage(load.context, stage, observer,
                                                        stage_stop.get_token());
    observer.store_series(stage_report);
    BackendFacts facts = watch->facts();
    watch.reset();
    stage_report.duration_s = clock.seconds();
    window.end_s = unix_seconds_now();

    if (!run) {
        stage_report.verdict = Verdict::error;
        stage_report.reason = "executor failed: " + run.error().message;
        return;
    }
    stage_report.duration_s = run->duration_s > 0 ? run->duration_s : stage_report.duration_s;
    Snapshot snapshot =
        summarize(run->totals, state.names, std::max(stage_report.duration_s, 1e-3));
    facts.add_to(snapshot);
    if (facts.rss_start_mb && !stage_report.health_before) {
        stage_report.health_before = HealthSample{};
    }
    stage_report.metrics = snapshot;
    stage_report.criteria = judge.judge(snapshot);
    // prom("...") criteria: a stage-end step of their own, needing only the stage's window.
    std::optional<std::string> prom_error;
    if (!facts.interrupted && state.interrupts().load() == 0) {
        if (auto judged =
                judge_prom_criteria(pipeline.prometheus, stage, window, stage_report.criteria);
            !judged) {
            prom_error = judged.error().message;
        }
    }
    std::shared_ptr<StagePart> part;
    if (state.options.part) {
        part = std::make_shared<StagePart>(run->totals);
        part->body_patterns = state.names.body_patterns;
        part->seconds = std::move(part_seconds);
        part->late_s = late_s;
        stage_report.part = part;
    }
    stage_report.extra = run->extra;
    stage_report.extra["generator_cpu_percent"] = run->generator_cpu_percent;
    if (!run->generator_note.empty()) {
        stage_report.extra["generator_note"] = run->generator_note;
    }
    // Health once more when the stage ends: a backend that turned bad after the last poll
    // fails this stage, not the next one.
    std::optional<std::string> unhealthy;
    if (facts.unhealthy_at_s) {
        unhealthy = "backend turned unhealthy " + fmt::format("{:.1f}s", *facts.unhealthy_at_s) +
                    " into the stage: health check " + supervisor.health_target() + " got " +
                    facts.unhealthy_because;
    }
    if (!facts.exit && pipeline.health) {
        HealthAnswer after = supervisor.check_health();
        stage_report.health_after = health_sample(after);
        if (!after.healthy && !unhealthy && !facts.interrupted) {
            unhealthy = "backend unhealthy when the stage ended: health check " +
                        supervisor.health_target() + " got " + health_failure_in_words(after);
        }
    }

    // The verdict: the first reason for stopping wins.
    std::vector<std::string> missed;
    bool every_miss_generator_shaped = true;
    int warned = 0;
    for (const auto& r : stage_report.criteria) {
        if (!r.pass && r.criterion.severity == Severity::fail) {
            missed.push_back(describe_criterion_miss(r));
            every_miss_generator_shaped =
                every_miss_generator_shaped && generator_shaped(r.criterion);
        } else if (!r.pass) {
            ++warned;
        }
    }
    if (facts.interrupted || state.interrupts().load() > 0) {
        stage_report.verdict = Verdict::interrupted;
        stage_report.reason =
            fmt::format("interrupted {:.1f}s into the stage", stage_report.duration_s);
    } else if (facts.output_error) {
        stage_report.verdict = Verdict::error;
        stage_report.reason = "stopped: " + *facts.output_error;
    } else if (prom_error) {
        stage_report.verdict = Verdict::error;
        stage_report.reason = *prom_error;
    } else if (facts.exit) {
        stage_report.verdict = Verdict::fail;
        stage_report.reason = "backend crashed " + fmt::format("{:.1f}s", facts.exit_at_s) +
                              " into the stage: " + facts.exit->describe();
    } else if (observer.nothing_listening()) {
        stage_report.verdict = Verdict::error;
        stage_report.reason =
            "nothing is listening at " +
            redact((load.pipeline ? *load.pipeline : state.pipeline).target.base_url) + ": all " +
            std::to_string(*observer.nothing_listening()) +
            " requests of the stage's first second failed to connect (" +
            "connection refused); the stage was stopped. Start the service, "
            "or point target.base_url at it";
    } else if (unhealthy) {
        stage_report.verdict = Verdict::fail;
        stage_report.reason = *unhealthy;
    } else if (observer.abort_breach()) {
        stage_report.verdict = Verdict::fail;
        stage_report.reason = "aborted: " + describe_criterion_miss(*observer.abort_breach()) +
                              ", " + observer.abort_breach()->note;
    } else if (run->generator_limited && every_miss_generator_shaped) {
        // Not a FAIL of the backend: what missed was measured through the generator's limits.
        stage_report.verdict = Verdict::inconclusive;
        stage_report.reason = "the load generator hit its own limits: " + run->generator_note;
        if (!missed.empty()) {
            std::string list;
            for (const auto& m : missed) {
                list += (list.empty() ? "" : "; ") + m;
            }
            stage_report.reason += " (so these misses are not the backend's: " + list + ")";
        }
    } else if (!missed.empty()) {
        if (part) {
            part->verdict_from_criteria = true;
        }
        stage_report.verdict = Verdict::fail;
        std::string list;
        for (const auto& m : missed) {
            list += (list.empty() ? "" : "; ") + m;
        }
        stage_report.reason = std::to_string(missed.size()) + " of " +
                              std::to_string(stage_report.criteria.size()) +
                              " criteria missed: " + list;
    } else if (run->generator_behind) {
        stage_report.verdict = Verdict::inconclusive;
        stage_report.reason = "the load generator fell behind: " + run->generator_note;
    } else {
        if (part) {
            part->verdict_from_criteria = true;
        }
        stage_report.verdict = Verdict::pass;
        stage_report.reason =
            "all " + std::to_string(stage_report.criteria.size()) + " criteria met";
        if (warned > 0) {
            stage_report.reason +=
                " (" + std::to_string(warned) + " warning" + (warned > 1 ? "s" : "") + ")";
        }
    }
    stage_report.hints = root_cause_hints(pipeline, stage_report, previous);
}

/// Waits out the cooldown before `next_stage`, watching the backend. Returns the reason the
/// backend can no longer be used (it exited: how, and when), or an empty string.
std::string cooldown(RunState& state, BackendSupervisor& supervisor, Duration length,
                     const std::string& next_stage) {
    if (length.count() <= 0) {
        return {};
    }
    state.listener.on_message("cooldown " + format_duration(length));
    std::stop_source cooldown_stop;
    std::stop_callback relay(state.run_stop.get_token(),
                             [&cooldown_stop] { cooldown_stop.request_stop(); });
    BackendWatch watch(supervisor, cooldown_stop, state.interrupts(),
                       BackendWatch::HealthPolling::off, state.clock());
    // In steps of a second, so a person sees the countdown.
    double total_s = to_seconds(length);
    const double started_s = state.clock().now_s();
    double remaining_s = total_s;
    while (remaining_s > 0 && !cooldown_stop.stop_requested()) {
        state.listener.on_cooldown(next_stage, remaining_s, total_s);
        state.clock().wait(std::min(remaining_s, 1.0), cooldown_stop.get_token());
        remaining_s = total_s - (state.clock().now_s() - started_s);
    }
    state.listener.on_cooldown(next_stage, 0, total_s);
    BackendFacts facts = watch.facts();
    if (facts.exit) {
        return "backend crashed " + fmt::format("{:.1f}s", facts.exit_at_s) +
               " into the cooldown before \"" + next_stage + "\": " + facts.exit->describe();
    }
    return {};
}

/// Where a hook of `stage` (null: a run-level hook) runs, for its STAGEGATE_* variables.
HookPoint hook_point(const StageSpec* stage, int index, std::string verdict) {
    HookPoint point;
    if (stage != nullptr) {
        point.stage = stage->name;
        point.stage_index = index;
        point.traffic_percent = stage->traffic_percent;
    }
    point.verdict = std::move(verdict);
    return point;
}

/// Runs the hook of `kind` in `hooks`, if there is one, after writing results.json (the
/// hook's STAGEGATE_RESULTS: the results so far); records it in the report. Returns its
/// record, or nullopt when there is no such hook.
std::optional<HookRecord> run_hook(RunState& state, RunReport& report,
                                   const std::vector<HookSpec>& hooks, HookKind kind,
                                   const HookPoint& point, OnInterrupt on_interrupt) {
    const HookSpec* hook = find_hook(hooks, kind);
    if (hook == nullptr || !state.hooks) {
        return std::nullopt;
    }
    for (const Reporter* reporter : state.reporters) {
        if (reporter->file_name() == "results.json") {
            (void)reporter->write_to(state.options.out_dir, report);
        }
    }
    std::string where = point.stage.empty() ? "" : "stage \"" + point.stage + "\" ";
    state.listener.on_message(where + hook_kind_name(kind) +
                              " hook: " + redact(hook->command.front()));
    HookRecord record = state.hooks->run(*hook, point, on_interrupt);
    if (!record.succeeded()) {
        state.listener.on_message(where + HookRunner::describe_failure(record));
    }
    report.hooks.push_back(record);
    return record;
}

/// A hook that reports (after, after_run) or rolls back (on_fail) failed: the verdict
/// stands, every report says so.
void warn_hook_failed(RunReport& report, const std::optional<HookRecord>& record) {
    if (record && !record->succeeded()) {
        std::string where = record->stage.empty() ? "" : "stage \"" + record->stage + "\": ";
        report.warnings.push_back(where + HookRunner::describe_failure(*record));
    }
}

/// A verdict that calls for the rollback (on_fail hooks).
bool calls_for_rollback(Verdict verdict) {
    return verdict == Verdict::fail || verdict == Verdict::error || verdict == Verdict::interrupted;
}

/// The stage's `after` hook (with its verdict) and, when it did not pass, its `on_fail`.
void run_stage_end_hooks(RunState& state, RunReport& report, const StageSpec& stage, int index,
                         Verdict verdict) {
    std::string verdict_text(to_string(verdict));
    warn_hook_failed(report,
                     run_hook(state, report, stage.hooks, HookKind::after,
                              hook_point(&stage, index, verdict_text), OnInterrupt::stop_hook));
    if (calls_for_rollback(verdict)) {
        warn_hook_failed(report,
                         run_hook(state, report, stage.hooks, HookKind::on_fail,
                                  hook_point(&stage, index, verdict_text), OnInterrupt::run_on));
    }
}

/// Waits (interruptibly) until `planned_ns` on the wall clock; returns how late it is then,
/// in seconds (0 when on time).
double wait_for_planned_start(RunState& state, std::int64_t planned_ns, const std::string& stage) {
    auto now_ns = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    if (planned_ns > now_ns()) {
        state.listener.on_message(
            "waiting until --start-at for \"" + stage + "\" (" +
            fmt::format("{:.1f} s", static_cast<double>(planned_ns - now_ns()) / 1e9) + ")");
    }
    while (planned_ns > now_ns() && !state.run_stop.stop_requested() &&
           state.interrupts().load() == 0) {
        std::int64_t left = planned_ns - now_ns();
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::min<std::int64_t>(left, 20'000'000)));
    }
    return std::max(0.0, static_cast<double>(now_ns() - planned_ns) / 1e9);
}

void begin_report(RunState& state, RunReport& report, const std::vector<const StageSpec*>& stages) {
    const Pipeline& p = state.pipeline;
    report.pipeline_name = p.name;
    report.pipeline_file = p.file.string();
    report.pipeline_sha256 = p.sha256;
    report.run_id = state.options.run_id;
    report.started_at = iso8601_now();
    report.version = state.options.version;
    report.executor = p.scenario.executor;
    report.base_url = redact(p.target.base_url);
    report.part_info = state.options.part;
    for (const StageSpec* stage : stages) {
        StageReport s;
        s.name = stage->name;
        s.verdict = Verdict::skipped;
        s.reason = "not run";
        s.vus = stage->vus;
        s.rate = rate_text(*stage);
        s.max_vus = stage->rate ? stage->max_vus : 0;
        s.planned_duration_s = to_seconds(stage->duration);
        s.operations = state.names.operations;
        s.mix = asked_mix(p.scenario);
        s.think_time_s = to_seconds(stage->think_time.value_or(p.scenario.think_time));
        s.traffic_percent = stage->traffic_percent;
        s.observe = stage->observe.has_value();
        if (s.observe) {
            s.mix.clear();
            s.think_time_s = 0;
        }
        for (const auto& c : stage->criteria) {
            CriterionResult r;
            r.criterion = c.criterion;
            r.note = "not run";
            s.criteria.push_back(r);
        }
        report.stages.push_back(std::move(s));
    }
}

RunReport finish(RunState& state, RunReport& report, BackendSupervisor* supervisor) {
    if (supervisor != nullptr) {
        if (supervisor->launched()) {
            state.listener.on_message("stopping backend");
        }
        ExitInfo ended = supervisor->stop();
        (void)ended;
        if (state.options.backend_pid != nullptr) {
            state.options.backend_pid->store(0);
        }
        report.backend_log_tail = supervisor->log_tail(20);
    }
    if (supervisor != nullptr && report.verdict != Verdict::error) {
        if (auto log = supervisor->log_error()) {
            report.verdict = Verdict::error;
            report.reason = *log;
        }
    }
    conclude(report);
    // The run's own hooks, with its verdict: the rollback first, then the notification.
    std::string verdict(to_string(report.verdict));
    if (calls_for_rollback(report.verdict)) {
        warn_hook_failed(report, run_hook(state, report, state.pipeline.hooks, HookKind::on_fail,
                                          hook_point(nullptr, -1, verdict), OnInterrupt::run_on));
    }
    warn_hook_failed(report, run_hook(state, report, state.pipeline.hooks, HookKind::after_run,
                                      hook_point(nullptr, -1, verdict), OnInterrupt::run_on));
    if (auto ok = write_reports(report, state.reporters, state.options.out_dir); !ok) {
        record_write_failure(report, ok.error(), state.reporters, state.options.out_dir);
    }
    return report;
}

}  // namespace

void conclude_run(RunReport& report) {
    conclude(report);
}

std::int64_t planned_stage_start(std::int64_t start_at_ns, const Pipeline& pipeline,
                                 const std::vector<const StageSpec*>& stages, std::size_t index) {
    Duration offset{0};
    for (std::size_t k = 0; k < index && k < stages.size(); ++k) {
        offset += stages[k]->duration + std::chrono::seconds(1);
        offset += stages[k + 1]->cooldown.value_or(pipeline.defaults.cooldown);
    }
    return start_at_ns + std::chrono::duration_cast<std::chrono::nanoseconds>(offset).count();
}

Result<void> prepare_output_dir(const std::filesystem::path& out_dir) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
        return fail(ErrorCode::infrastructure, "output folder " + out_dir.string() +
                                                   " cannot be created: " + ec.message() +
                                                   " (choose another with --out)");
    }
    auto probe = out_dir / ".stagegate-write-test";
    {
        std::ofstream out(probe);
        out << "ok";
        if (!out) {
            return fail(ErrorCode::infrastructure,
                        "output folder " + out_dir.string() +
                            " is not writable (choose another with --out)");
        }
    }
    std::filesystem::remove(probe, ec);
    return {};
}

Result<std::vector<const StageSpec*>> select_stages(const Pipeline& pipeline,
                                                    const RunOptions& options) {
    std::vector<std::string> names;
    for (const auto& s : pipeline.stages) {
        names.push_back(s.name);
    }
    auto check = [&](const std::string& name, const char* flag) -> Result<void> {
        for (const auto& n : names) {
            if (n == name) {
                return {};
            }
        }
        return fail(ErrorCode::invalid_input,
                    std::string(flag) + " " + name + ": no stage named \"" + name + "\"" +
                        did_you_mean(name, names, "stages: " + join_names(names)));
    };
    for (const auto& name : options.only) {
        ORCH_TRY(check(name, "--only"));
    }
    if (!options.from.empty()) {
        ORCH_TRY(check(options.from, "--from"));
    }
    std::vector<const StageSpec*> selected;
    bool started = options.from.empty();
    for (const auto& stage : pipeline.stages) {
        if (!started && stage.name == options.from) {
            started = true;
        }
        if (!started) {
            continue;
        }
        if (!options.only.empty() &&
            std::find(options.only.begin(), options.only.end(), stage.name) == options.only.end()) {
            continue;
        }
        selected.push_back(&stage);
    }
    if (selected.empty()) {
        // Only reachable with both options: a run over no stage must never end PASS.
        std::string only;
        for (const auto& name : options.only) {
            only += (only.empty() ? "--only " : ", --only ") + name;
        }
        return fail(ErrorCode::invalid_input,
                    only + " and --from " + options.from +
                        " select no stage: every --only stage comes before the --from stage " +
                        "(drop one of the two options)");
    }
    return selected;
}

RunReport run_pipeline(const Pipeline& pipeline, Executor& executor,
                       const std::vector<const Reporter*>& reporters, const RunOptions& options,
                       RunListener& listener) {
    RunState state{pipeline, executor, reporters, options, listener, {}, {}, {}, {}, {}};
    state.context.out_dir = options.out_dir;
    state.context.threads = options.threads;
    if (options.part) {
        state.context.segment = options.part->segment;
    }
    state.names.operations = pipeline.operation_names();
    state.names.body_patterns = pipeline.body_pattern_names();
    state.names.tags = pipeline.tag_names();
    RunReport report;

    auto stages = select_stages(pipeline, options);
    if (!stages) {
        report.verdict = Verdict::invalid;
        report.reason = stages.error().message;
        report.exit_code = k_exit_invalid;
        return report;
    }
    begin_report(state, report, *stages);
    if (pipeline.target.insecure) {
        // Said on the console, in stagegate.log and in every report: a gate that silently
        // accepts any certificate could be testing an impostor.
        std::string warning =
            "target.insecure is true: TLS certificates are not verified (for the load and the "
            "health checks; target.tls.insecure is the same setting); remove it and trust the "
            "server's CA with target.tls.ca_file to test against a verified certificate";
        report.warnings.push_back(warning);
        listener.on_message("warning: " + warning);
        spdlog::warn("{}", warning);
    }
    if (pipeline.time_scale != 1.0) {
        // A verdict of a shortened (or lengthened) run says so wherever it is read.
        const std::string factor = fmt::format("{:g}", pipeline.time_scale);
        std::string note = std::string("--time-scale ") + factor +
                           ": stage durations, ramps and cooldowns are " + factor +
                           " times those in the pipeline";
        report.warnings.push_back(note);
        listener.on_message("note: " + note);
        spdlog::info("{}", note);
    }

    // SIGINT/SIGTERM: the signal handler's pipe fires the run's stop source.
    InterruptRelay interrupt_relay(options.interrupt_fd,
                                   [&state] { state.run_stop.request_stop(); });
    auto skip_after = [&](std::size_t index, const std::string& reason) {
        for (std::size_t k = index + 1; k < report.stages.size(); ++k) {
            report.stages[k].reason = reason;
        }
    };
    auto stop_with = [&](Verdict verdict, std::string reason, BackendSupervisor* supervisor) {
        report.verdict = verdict;
        report.reason = std::move(reason);
        return finish(state, report, supervisor);
    };

    // 1. Preflight: nothing starts unless the output folder, the executor and the port are fine.
    if (auto ok = prepare_output_dir(options.out_dir); !ok) {
        report.verdict = Verdict::error;
        report.reason = ok.error().message;
        report.exit_code = k_exit_error;
        return report;  // nowhere to write the reports
    }
    state.hooks.emplace(HookRunContext{options.run_id, pipeline.name, options.out_dir,
                                       std::filesystem::absolute(pipeline.file).parent_path()},
                        &state.interrupts());
    if (auto ok = executor.prepare(state.context); !ok) {
        return stop_with(Verdict::error, ok.error().message, nullptr);
    }
    if (auto hook = run_hook(state, report, pipeline.hooks, HookKind::before_run,
                             hook_point(nullptr, -1, ""), OnInterrupt::stop_hook);
        hook && !hook->succeeded()) {
        skip_after(static_cast<std::size_t>(-1), "not run: the before_run hook failed");
        if (state.interrupts().load() > 0) {
            return stop_with(Verdict::interrupted, "interrupted during the before_run hook",
                             nullptr);
        }
        return stop_with(Verdict::error, HookRunner::describe_failure(*hook), nullptr);
    }
    // 2. Backend: port preflight, launch (or attach) and wait until healthy.
    SupervisorOptions supervisor_options;
    supervisor_options.base_dir = std::filesystem::absolute(pipeline.file).parent_path();
    supervisor_options.log_path = options.out_dir / "backend.log";
    supervisor_options.on_waiting = [&listener](const std::string& line) {
        listener.on_message(line);
    };
    std::optional<BackendSupervisor> own_supervisor;
    BackendSupervisor& supervisor =
        options.backend != nullptr
            ? *options.backend
            : own_supervisor.emplace(pipeline, std::move(supervisor_options));
    listener.on_message(pipeline.backend ? "starting backend, waiting until healthy"
                                         : "attaching to " + redact(pipeline.target.base_url));
    auto ready = supervisor.start(state.run_stop.get_token());
    if (!ready) {
        if (state.interrupts().load() > 0) {
            return stop_with(Verdict::interrupted, "interrupted while waiting for the backend",
                             &supervisor);
        }
        std::string reason = ready.error().message;
        // Why it did not start belongs on the console, not only in report.md: the exit
        // status or signal is in the message, the log's last lines in the context.
        listener.on_message(reason);
        std::string_view context = ready.error().context;
        while (!context.empty()) {
            std::size_t end = std::min(context.find('\n'), context.size());
            listener.on_message(context.substr(0, end));
            context.remove_prefix(std::min(end + 1, context.size()));
        }
        return stop_with(Verdict::error, reason, &supervisor);
    }
    listener.on_message("backend healthy");
    if (options.backend_pid != nullptr && supervisor.pid()) {
        options.backend_pid->store(static_cast<int>(*supervisor.pid()));
    }

    // 3. Stages, in order; the first that does not pass stops the run.
    const StageReport* previous = nullptr;
    for (std::size_t i = 0; i < stages->size(); ++i) {
        const StageSpec& stage = *(*stages)[i];
        StageReport& stage_report = report.stages[i];
        if (i > 0) {
            Duration pause = stage.cooldown.value_or(pipeline.defaults.cooldown);
            stage_report.cooldown_s = std::max(to_seconds(pause), 0.0);
            std::string died = cooldown(state, supervisor, pause, stage.name);
            if (state.interrupts().load() > 0) {
                stage_report.reason = "not run: interrupted during the cooldown";
                return stop_with(Verdict::interrupted,
                                 "interrupted during the cooldown before \"" + stage.name + "\"",
                                 &supervisor);
            }
            if (auto log = supervisor.log_error()) {
                skip_after(i - 1, "skipped: backend.log could not be written");
                return stop_with(Verdict::error, *log, &supervisor);
            }
            if (!died.empty()) {
                stage_report.verdict = Verdict::fail;
                stage_report.reason = died;
                stage_report.started_at = iso8601_now();
                listener.on_message("stage \"" + stage.name + "\" FAIL: " + died);
                skip_after(i, "skipped: the backend crashed before stage \"" + stage.name + "\"");
                break;
            }
        }
        std::optional<double> late_s;
        if (options.start_at_ns) {
            late_s = wait_for_planned_start(
                state, planned_stage_start(*options.start_at_ns, pipeline, *stages, i), stage.name);
            if (state.interrupts().load() > 0) {
                stage_report.reason = "not run: interrupted while waiting for --start-at";
                return stop_with(Verdict::interrupted,
                                 "interrupted while waiting to start \"" + stage.name + "\"",
                                 &supervisor);
            }
            if (*late_s > policy::k_late_start_tolerance_s) {
                std::string late = "segment " + options.part->segment.text() + " started stage \"" +
                                   stage.name + "\" " + fmt::format("{:.1f} s", *late_s) +
                                   " after its planned time: the merged result will be "
                                   "INCONCLUSIVE";
                report.warnings.push_back(late);
                listener.on_message("warning: " + late);
                spdlog::warn("{}", late);
            }
        }
        listener.on_stage_start(stage, i, stages->size());
        const int index = static_cast<int>(i);
        if (auto hook = run_hook(state, report, stage.hooks, HookKind::before,
                                 hook_point(&stage, index, ""), OnInterrupt::stop_hook);
            hook && !hook->succeeded()) {
            // The stage is not run: the change it was to measure may not have happened.
            stage_report.started_at = iso8601_now();
            bool interrupted = state.interrupts().load() > 0;
            stage_report.verdict = interrupted ? Verdict::interrupted : Verdict::error;
            stage_report.reason = interrupted ? "interrupted during the before hook"
                                              : "not run: " + HookRunner::describe_failure(*hook);
        } else {
            run_stage(state, supervisor, stage, stage_report, previous, late_s);
        }
        listener.on_stage_end(stage_report);
        run_stage_end_hooks(state, report, stage, index, stage_report.verdict);
        report.highest_passed_stage.clear();
        conclude(report);  // interim verdict for the results written after each stage
        auto written = write_reports(report, reporters, options.out_dir);
        report.verdict = Verdict::pass;
        report.reason.clear();
        // The first output that failed is the reason: backend.log (during the stage) before
        // the results written after it.
        if (auto log = supervisor.log_error()) {
            skip_after(i, "skipped: backend.log could not be written");
            return stop_with(Verdict::error, *log, &supervisor);
        }
        if (!written) {
            // Results that cannot be written end the run: a gate whose files are missing
            // must not report PASS. The backend is stopped first (finish).
            skip_after(i, "skipped: the results could not be written");
            return stop_with(Verdict::error, written.error().message, &supervisor);
        }
        if (stage_report.verdict != Verdict::pass) {
            skip_after(i, "skipped: stage \"" + stage.name + "\" did not pass");
            break;
        }
        previous = &stage_report;
    }

    // 4. Teardown: stop the backend and write the final reports.
    return finish(state, report, &supervisor);
}

}  // namespace orch
