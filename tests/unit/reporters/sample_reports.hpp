// Hand-built RunReports with realistic numbers, shared by the report and reporter tests:
// a failed run (smoke PASS, load FAIL on send latency and success rate, capacity SKIPPED;
// operations send and history; hints; backend log tail), a passing run, a run whose
// backend never became healthy, and a run full of hostile names (markup characters,
// pipes, backticks, control characters, invalid UTF-8).
#pragma once

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/run_report.hpp"

namespace orch::samples {

/// Latency figures of one operation (or the totals), ms.
struct Latency {
    double min, avg, p50, p75, p90, p95, p99, p999, max;
};

/// Adds the request metrics summarize() produces for `prefix` ("" or "send.").
inline void add_request_metrics(Snapshot& s, const std::string& prefix, double requests,
                                double duration_s, double failed, const Latency& l) {
    s.set(prefix + "requests", requests);
    s.set(prefix + "rps", requests / duration_s);
    s.set(prefix + "success_rate", 100 * (requests - failed) / requests);
    s.set(prefix + "error_rate", 100 * failed / requests);
    s.set(prefix + "errors", failed);
    for (const char* kind :
         {"connection_refused", "timeout", "connection_reset", "dns", "tls", "status_4xx",
          "status_429", "status_5xx", "expect", "interrupted", "other"}) {
        s.set(prefix + "errors." + kind, 0);
    }
    s.set(prefix + "min", l.min);
    s.set(prefix + "avg", l.avg);
    s.set(prefix + "p50", l.p50);
    s.set(prefix + "p75", l.p75);
    s.set(prefix + "p90", l.p90);
    s.set(prefix + "p95", l.p95);
    s.set(prefix + "p99", l.p99);
    s.set(prefix + "p999", l.p999);
    s.set(prefix + "max", l.max);
}

inline void add_timing(Snapshot& s, const std::string& prefix, double waiting) {
    s.set(prefix + "timing.blocked", 0.04);
    s.set(prefix + "timing.connecting", 0.21);
    s.set(prefix + "timing.tls", 0);
    s.set(prefix + "timing.sending", 0.03);
    s.set(prefix + "timing.waiting", waiting);
    s.set(prefix + "timing.receiving", 0.12);
}

inline Criterion make_criterion(std::string expr, std::string metric, CompareOp op, double target,
                                MetricUnit unit, Severity severity = Severity::fail,
                                std::string name = {}) {
    Criterion c;
    c.expr = std::move(expr);
    c.name = name.empty() ? c.expr : std::move(name);
    c.metric = std::move(metric);
    c.op = op;
    c.target = target;
    c.unit = unit;
    c.severity = severity;
    return c;
}

/// `criterion` judged against `actual` the way the evaluator does (margin for < <= > >=).
inline CriterionResult judged(Criterion criterion, std::optional<double> actual,
                              std::string note = {}) {
    CriterionResult r;
    r.actual = actual;
    r.note = std::move(note);
    if (actual) {
        const double a = *actual;
        const double t = criterion.target;
        switch (criterion.op) {
            case CompareOp::lt:
                r.pass = a < t;
                break;
            case CompareOp::le:
                r.pass = a <= t;
                break;
            case CompareOp::gt:
                r.pass = a > t;
                break;
            case CompareOp::ge:
                r.pass = a >= t;
                break;
            case CompareOp::eq:
                r.pass = a == t;
                break;
            case CompareOp::ne:
                r.pass = a != t;
                break;
        }
        if (a != 0 && t != 0) {
            if (criterion.op == CompareOp::lt || criterion.op == CompareOp::le) {
                r.margin = t / a;
            } else if (criterion.op == CompareOp::gt || criterion.op == CompareOp::ge) {
                r.margin = a / t;
            }
        }
    } else if (r.note.empty()) {
        r.note = "no data";
    }
    r.criterion = std::move(criterion);
    return r;
}

/// The pipeline's criteria (defaults first, then the stage's own) judged on `s`.
inline std::vector<CriterionResult> judge_chat_criteria(const Snapshot& s) {
    auto get = [&](const char* name) {
        return s.values().count(name) ? std::optional<double>(s.values().at(name)) : std::nullopt;
    };
    std::vector<CriterionResult> out;
    out.push_back(
        judged(make_criterion("errors.connection_refused == 0", "errors.connection_refused",
                              CompareOp::eq, 0, MetricUnit::count),
               get("errors.connection_refused")));
    out.push_back(judged(make_criterion("success_rate > 99%", "success_rate", CompareOp::gt, 99,
                                        MetricUnit::percent),
                         get("success_rate")));
    out.push_back(judged(make_criterion("backend.crashes == 0", "backend.crashes", CompareOp::eq, 0,
                                        MetricUnit::count),
                         get("backend.crashes")));
    out.push_back(judged(make_criterion("send.p95 < 250ms", "send.p95", CompareOp::lt, 250,
                                        MetricUnit::milliseconds),
                         get("send.p95")));
    out.push_back(
        judged(make_criterion("history.p95 < 350ms", "history.p95", CompareOp::lt, 350,
                              MetricUnit::milliseconds, Severity::fail, "History P95 latency"),
               get("history.p95")));
    Criterion abort = make_criterion("errors.status_429 == 0", "errors.status_429", CompareOp::eq,
                                     0, MetricUnit::count);
    abort.abort = true;
    out.push_back(judged(abort, get("errors.status_429")));
    Criterion windowed = make_criterion("send.p99 < 2s over 10s", "send.p99", CompareOp::lt, 2000,
                                        MetricUnit::milliseconds);
    windowed.window = std::chrono::seconds(10);
    out.push_back(judged(windowed, get("send.p99"), "worst 10s window at 40s"));
    out.push_back(judged(make_criterion("backend.memory_growth < 20%", "backend.memory_growth",
                                        CompareOp::lt, 20, MetricUnit::percent, Severity::warn),
                         get("backend.memory_growth")));
    return out;
}

inline std::vector<SeriesPoint> make_series(int seconds, double rps, double p95, double rss_mb,
                                            int vus, double errors_per_s = 0) {
    std::vector<SeriesPoint> series;
    for (int t = 1; t <= seconds; ++t) {
        SeriesPoint p;
        p.t_s = t;
        p.rps = rps * (0.9 + 0.2 * ((t * 7) % 10) / 10.0);
        p.errors = errors_per_s;
        p.p50 = p95 * 0.45;
        p.p95 = p95 * (0.8 + 0.4 * ((t * 3) % 10) / 10.0);
        p.p99 = p95 * 1.9;
        // Successful responses apart; failures (when any) answer fast, as 500s and 429s do.
        p.succeeded_p50 = *p.p50;
        p.succeeded_p95 = errors_per_s > 0 ? *p.p95 * 1.1 : *p.p95;
        p.succeeded_p99 = *p.p99;
        if (errors_per_s > 0) {
            p.failed_p50 = 1.5;
            p.failed_p95 = 3.0 + (t % 5) * 0.25;
            p.failed_p99 = 6.0;
        }
        p.rss_mb = rss_mb + 0.05 * t;
        p.vus = vus;
        OperationPoint send;
        send.rps = p.rps * 0.7;
        send.errors = errors_per_s;
        send.p50 = *p.p50;
        send.p95 = *p.p95;
        send.p99 = *p.p99;
        OperationPoint history = send;
        history.rps = p.rps * 0.3;
        history.errors = 0;
        p.operations.emplace("send", send);
        p.operations.emplace("history", history);
        series.push_back(p);
    }
    return series;
}

inline HealthSample make_health(std::string at, double uptime_s, double rss_mb,
                                int database_errors) {
    HealthSample h;
    h.at = std::move(at);
    h.status = 200;
    h.uptime_s = uptime_s;
    h.rss_mb = rss_mb;
    *h.body = {{"status", "ok"},
               {"uptime_s", uptime_s},
               {"memory", {{"rss", rss_mb * 1024 * 1024}}},
               {"database", {{"overall", "healthy"}, {"errors", database_errors}}}};
    return h;
}

inline StageReport smoke_stage() {
    StageReport s;
    s.name = "smoke";
    s.verdict = Verdict::pass;
    s.reason = "all 8 criteria met";
    s.started_at = "2026-11-27T09:00:02Z";
    s.duration_s = 30.01;
    s.vus = 5;
    s.planned_duration_s = 30;
    s.operations = {"send", "history"};
    s.mix = {{"send", 70.0}, {"history", 30.0}};
    s.think_time_s = 0.1;
    Snapshot& m = s.metrics;
    add_request_metrics(m, "", 1500, 30.01, 0,
                        {2.9, 13.1, 10.8, 15.2, 20.3, 27.9, 44.6, 80.2, 91.7});
    add_request_metrics(m, "send.", 1050, 30.01, 0,
                        {3.1, 12.4, 10.2, 14.8, 19.5, 23.7, 41.2, 77.9, 88.4});
    add_request_metrics(m, "history.", 450, 30.01, 0,
                        {2.9, 14.9, 12.1, 16.3, 22.4, 31.5, 52.0, 91.7, 91.7});
    m.set("errors.body.prisma", 0);
    m.set("send.errors.body.prisma", 0);
    m.set("history.errors.body.prisma", 0);
    add_timing(m, "", 12.2);
    add_timing(m, "send.", 11.5);
    add_timing(m, "history.", 13.8);
    m.set("iterations", 1500);
    m.set("backend.crashes", 0);
    m.set("backend.health_failures", 0);
    m.set("backend.rss_start", 48.2);
    m.set("backend.rss_end", 51.0);
    m.set("backend.rss_peak", 52.3);
    m.set("backend.memory_growth", 5.8);
    m.set("backend.health./database/errors", 0);
    m.set("backend.health./uptime_s", 35);
    s.criteria = judge_chat_criteria(m);
    s.series = make_series(30, 50, 27.9, 48.2, 5);
    s.health_before = make_health("2026-11-27T09:00:02Z", 4.8, 48.2, 0);
    s.health_after = make_health("2026-11-27T09:00:32Z", 35.0, 51.0, 0);
    *s.extra = {{"generator_cpu_percent", 7.5}};
    return s;
}

inline StageReport load_stage() {
    StageReport s;
    s.name = "load";
    s.verdict = Verdict::fail;
    s.reason =
        "2 of 8 fail criteria missed: success_rate > 99% (86.27%), send.p95 < 250ms (612.4 ms)";
    s.started_at = "2026-11-27T09:02:32Z";
    s.duration_s = 120.02;
    s.vus = 20;
    s.planned_duration_s = 120;
    s.operations = {"send", "history"};
    s.mix = {{"send", 70.0}, {"history", 30.0}};
    s.think_time_s = 0.1;
    Snapshot& m = s.metrics;
    add_request_metrics(m, "", 6015, 120.02, 826,
                        {3.0, 211.8, 98.4, 240.7, 480.3, 590.1, 1790.5, 2850.0, 3012.6});
    add_request_metrics(m, "send.", 4210, 120.02, 826,
                        {3.4, 268.5, 131.0, 302.6, 520.8, 612.4, 1840.2, 2901.3, 3012.6});
    add_request_metrics(m, "history.", 1805, 120.02, 0,
                        {3.0, 79.6, 61.2, 88.0, 120.4, 145.0, 230.9, 402.2, 455.1});
    m.set("errors.status_5xx", 826);
    m.set("send.errors.status_5xx", 826);
    m.set("errors.body.prisma", 826);
    m.set("send.errors.body.prisma", 826);
    m.set("history.errors.body.prisma", 0);
    add_timing(m, "", 205.3);
    add_timing(m, "send.", 262.0);
    add_timing(m, "history.", 73.1);
    m.set("iterations", 6015);
    m.set("backend.crashes", 0);
    m.set("backend.health_failures", 0);
    m.set("backend.rss_start", 51.3);
    m.set("backend.rss_end", 68.8);
    m.set("backend.rss_peak", 70.1);
    m.set("backend.memory_growth", 34.1);
    m.set("backend.health./database/errors", 37);
    m.set("backend.health./uptime_s", 158);
    s.criteria = judge_chat_criteria(m);
    s.series = make_series(120, 50, 590.1, 51.3, 20, 6.9);
    s.health_before = make_health("2026-11-27T09:02:32Z", 36.0, 51.3, 0);
    s.health_after = make_health("2026-11-27T09:04:32Z", 158.0, 68.8, 37);
    s.hints = {
        "send.p95 rose 26x from smoke (23.7 ms) to load (612.4 ms) while history.p95 stayed at "
        "145.0 ms: the slowdown is in writes",
        "826 failed send responses matched body pattern prisma and "
        "backend.health./database/errors rose from 0 to 37: database connection pool "
        "exhaustion (try DATABASE_POOL_SIZE)"};
    *s.extra = {{"generator_cpu_percent", 21.0},
                {"failure_samples",
                 nlohmann::json::array(
                     {{{"operation", "send"},
                       {"status", 500},
                       {"error", "status_5xx"},
                       {"body",
                        "{\"error\":\"PrismaClientKnownRequestError: Timed out fetching a new "
                        "connection from the connection pool. (Current connection pool timeout: "
                        "10, connection limit: 10)\",\"code\":\"P2024\",\"request_id\":"
                        "\"7f3a-0001\"}"}},
                      {{"operation", "send"},
                       {"status", 500},
                       {"error", "status_5xx"},
                       {"body",
                        "{\"error\":\"prisma: Timed out fetching a new connection\",\"code\":"
                        "\"P2024\"}"}}})}};
    return s;
}

inline StageReport capacity_stage(const std::string& reason) {
    StageReport s;
    s.name = "capacity";
    s.verdict = Verdict::skipped;
    s.reason = reason;
    s.rate = "200/s";
    s.max_vus = 200;
    s.planned_duration_s = 120;
    s.operations = {"send", "history"};
    s.mix = {{"send", 70.0}, {"history", 30.0}};
    for (auto r : judge_chat_criteria(Snapshot{})) {
        r.note = "not run";
        s.criteria.push_back(std::move(r));
    }
    return s;
}

inline RunReport base_run() {
    RunReport r;
    r.pipeline_name = "chat-api progressive load";
    r.pipeline_file = "pipelines/chat.yaml";
    r.pipeline_sha256 = "3f1c9a7be0d24c51a6e8f0b2d7c4e9a1b5f3d8c2e7a6b4f1d0c9e8a7b6c5d4e3";
    r.run_id = "20261127-090000-7f3a";
    r.started_at = "2026-11-27T09:00:00Z";
    r.finished_at = "2026-11-27T09:04:35Z";
    r.version = "0.1.0";
    r.executor = "builtin";
    r.base_url = "http://127.0.0.1:18080";
    return r;
}

/// smoke PASS, load FAIL, capacity SKIPPED.
inline RunReport failed_run() {
    RunReport r = base_run();
    r.verdict = Verdict::fail;
    r.exit_code = 1;
    r.reason =
        "stage \"load\": 2 of 8 fail criteria missed: success_rate > 99% (86.27%), "
        "send.p95 < 250ms (612.4 ms)";
    r.stages = {smoke_stage(), load_stage(),
                capacity_stage("skipped: stage \"load\" did not pass")};
    r.highest_passed_stage = "smoke";
    r.backend_log_tail = {
        "2026-11-27T09:04:30Z INFO POST /conversations/c2/messages 201 3ms",
        "2026-11-27T09:04:31Z ERROR prisma: Timed out fetching a new connection from the pool",
        "2026-11-27T09:04:31Z ERROR ```query``` failed after 2000ms (pool size 10)"};
    r.recommendation =
        "Stay at \"smoke\" (5 VUs): \"load\" failed on send latency and success "
        "rate. Raise DATABASE_POOL_SIZE and rerun from \"load\".";
    return r;
}

/// smoke PASS, load PASS (with load's numbers healthy).
inline RunReport passing_run() {
    RunReport r = base_run();
    r.verdict = Verdict::pass;
    r.exit_code = 0;
    r.reason = "every stage met every fail criterion";
    StageReport load = smoke_stage();
    load.name = "load";
    load.vus = 20;
    load.planned_duration_s = 120;
    load.duration_s = 120.0;
    r.stages = {smoke_stage(), load};
    r.highest_passed_stage = "load";
    r.recommendation = "All stages passed: add a bigger stage to find the limit.";
    return r;
}

/// The backend never became healthy: ERROR, no stage ran.
inline RunReport error_run() {
    RunReport r = base_run();
    r.verdict = Verdict::error;
    r.exit_code = 3;
    r.reason = "backend never became healthy: GET /health answered 503 for 30s";
    r.stages = {capacity_stage("not run: the backend never became healthy")};
    r.stages[0].name = "smoke";
    r.backend_log_tail = {"listening on 127.0.0.1:18080", "database: cannot open /nonexistent/db"};
    return r;
}

inline const std::string k_hostile_stage = "st|age <b>&amp; \"q\" 'a'\x01\x1b[31m`tick`\xff";
inline const std::string k_hostile_operation = "op|x<&>`";

/// A failed run whose names and texts hold markup, pipes, control characters and invalid
/// UTF-8; every output must stay well-formed and show them as text.
inline RunReport hostile_run() {
    RunReport r = failed_run();
    r.pipeline_name = "evil <script>alert('x')</script> | pipe & \"quotes\"";
    r.reason = "reason with \x02 control & <tags>";
    StageReport& s = r.stages[1];
    s.name = k_hostile_stage;
    s.reason = "# not a heading | not a cell <i>x</i>";
    s.operations = {k_hostile_operation, "history"};
    Snapshot renamed;
    for (const auto& [name, value] : s.metrics.values()) {
        if (name.rfind("send.", 0) == 0) {
            renamed.set(k_hostile_operation + name.substr(4), value);
        } else {
            renamed.set(name, value);
        }
    }
    s.metrics = renamed;
    s.criteria[3].criterion.expr = k_hostile_operation + ".p95 < 250ms";
    s.criteria[3].criterion.name = "latency | of <op> & \"friends\"\x03";
    s.criteria[3].criterion.metric = k_hostile_operation + ".p95";
    s.hints.push_back("<img src=x onerror=alert(1)> ``` | *bold* _u_ [link](javascript:x)");
    r.stages[2].name = "skip|ped <x>\x07";
    r.highest_passed_stage = "smoke";
    r.backend_log_tail.push_back("\x1b[31mred\x1b[0m <b> ```` fence \xc3\x28 end");
    return r;
}

}  // namespace orch::samples
