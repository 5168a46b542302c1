#include "pipeline/hints.hpp"

#include <fmt/format.h>
#include <cmath>
#include <nlohmann/json.hpp>

#include "http/health_probe.hpp"

namespace orch {

namespace {

double get_or(const Snapshot& s, const std::string& name, double fallback = 0) {
    return s.get(name).value_or(fallback);
}

/// A body quoted in a hint: one line, at most 200 bytes (the console and reports redact).
std::string quoted_body(std::string body) {
    for (char& c : body) {
        if (c == '\n' || c == '\r' || c == '\t') {
            c = ' ';
        }
    }
    if (body.size() > 200) {
        body = body.substr(0, 200) + "...";
    }
    return body;
}

/// True when a health answer of the stage showed its database pool full (`pool.in_use` >=
/// `pool.size`, as the demo backend and many services report it): the last one polled
/// during the stage (backend.health.*), or the checks before and after it.
bool health_shows_pool_full(const StageReport& stage) {
    auto polled_in_use = stage.metrics.get("backend.health./pool/in_use");
    auto polled_size = stage.metrics.get("backend.health./pool/size");
    if (polled_in_use && polled_size && *polled_size > 0 && *polled_in_use >= *polled_size) {
        return true;
    }
    for (const auto* sample : {&stage.health_before, &stage.health_after}) {
        if (!*sample || !(*sample)->body->is_object()) {
            continue;
        }
        auto in_use = json_number_at(*(*sample)->body, "/pool/in_use");
        auto size = json_number_at(*(*sample)->body, "/pool/size");
        if (in_use && size && *size > 0 && *in_use >= *size) {
            return true;
        }
    }
    return false;
}

/// The pool-exhaustion and database-error hints from the executor's `failure_classes`
/// (builtin: failed responses classified by their body), each with a sample, its status
/// and the count.
void add_failure_class_hints(const StageReport& stage, std::vector<std::string>& hints) {
    if (!stage.extra->contains("failure_classes")) {
        return;
    }
    const auto& classes = stage.extra["failure_classes"];
    auto described = [](const nlohmann::json& c) {
        return fmt::format("{:.0f} failed responses (status {:.0f}", c.value("count", 0.0),
                           c.value("status", 0.0)) +
               ", first on operation \"" + c.value("operation", std::string()) + "\")";
    };
    if (classes.contains("pool")) {
        const auto& c = classes["pool"];
        std::string hint = described(c) +
                           " say the database connection pool ran dry: more concurrent "
                           "requests than pool connections, or queries holding them too long. "
                           "A capacity fix: enlarge the pool (DATABASE_POOL_SIZE, Prisma's "
                           "connection_limit) or shorten the queries";
        if (health_shows_pool_full(stage)) {
            hint += "; the health answer showed the pool full (pool.in_use == pool.size)";
        }
        hints.push_back(hint + ". Sample body: " + quoted_body(c.value("body", std::string())) +
                        " (evidence: failure_classes.pool).");
    }
    if (classes.contains("database")) {
        const auto& c = classes["database"];
        hints.push_back(described(c) +
                        " are database or schema errors (unknown field, constraint, column "
                        "data): the query itself is wrong, a code or migration fix, not "
                        "capacity. Sample body: " +
                        quoted_body(c.value("body", std::string())) +
                        " (evidence: failure_classes.database).");
    }
}

/// The first 400/422 sample body of `operation`, as "400 {...}", or "".
std::string validation_sample(const StageReport& stage, const std::string& operation) {
    if (!stage.extra->contains("failure_samples")) {
        return {};
    }
    for (const auto& sample : stage.extra["failure_samples"]) {
        int status = sample.value("status", 0);
        if (sample.value("operation", std::string()) == operation &&
            (status == 400 || status == 422)) {
            return std::to_string(status) + " " + quoted_body(sample.value("body", std::string()));
        }
    }
    return {};
}

}  // namespace

std::vector<std::string> root_cause_hints(const Pipeline& pipeline, const StageReport& stage,
                                          const StageReport* previous) {
    std::vector<std::string> hints;
    const Snapshot& m = stage.metrics;
    // The generator's own limits come first and alone: what the backend seemed to do under
    // them (timeouts, latency) is not evidence about the backend.
    double unsent = get_or(m, "errors.generator");
    if (unsent > 0) {
        std::string hint = fmt::format(
            "{:.0f} requests were never sent: the load generator (stagegate "
            "itself, not the backend) ran out of file descriptors, "
            "ephemeral ports or buffers",
            unsent);
        if (stage.extra->contains("failure_samples")) {
            for (const auto& sample : stage.extra["failure_samples"]) {
                if (sample.value("error", "") == "generator" && sample.contains("message")) {
                    hint += " (\"" + sample.value("message", "") + "\")";
                    break;
                }
            }
        }
        hints.push_back(hint +
                        ". Raise the open-files limit (`ulimit -n`), lower vus or max_vus, or "
                        "split the load over machines (evidence: errors.generator).");
        return hints;
    }
    if (stage.extra->contains("max_vus_advice")) {
        hints.push_back(stage.extra["max_vus_advice"].get<std::string>() +
                        " The latency then includes the generator's own queue, so it is not "
                        "evidence about the backend (evidence: dropped).");
        return hints;
    }
    double requests = get_or(m, "requests");
    if (requests <= 0) {
        return hints;
    }
    double refused = get_or(m, "errors.connection_refused");
    if (refused > 0 && refused >= 0.5 * requests) {
        hints.push_back(
            fmt::format("{:.0f} of {:.0f} requests were refused: the backend is not running or "
                        "listens on another port than ",
                        refused, requests) +
            pipeline.target.base_url + " (evidence: errors.connection_refused).");
    }
    double tls = get_or(m, "errors.tls");
    if (tls > 0) {
        hints.push_back(
            fmt::format("{:.0f} of {:.0f} requests failed in TLS (certificate not trusted, name "
                        "mismatch, expired, or the handshake refused): the failure samples "
                        "give OpenSSL's reason; target.tls (ca_file, server_name, "
                        "client_cert/client_key, min_version) sets what is verified and "
                        "presented (evidence: errors.tls).",
                        tls, requests));
    }
    double limited = get_or(m, "errors.status_429");
    if (limited > 0) {
        hints.push_back(
            fmt::format("{:.0f} requests got 429 Too Many Requests: a rate limiter is active "
                        "and will cap the test (evidence: errors.status_429; the demo "
                        "backend takes DISABLE_RATE_LIMIT=true).",
                        limited));
    }
    add_failure_class_hints(stage, hints);
    for (const auto& pattern : pipeline.body_patterns) {
        double hits = get_or(m, "errors.body." + pattern.name);
        if (hits > 0) {
            std::string hint = fmt::format("{:.0f} failed responses matched body pattern ", hits) +
                               "\"" + pattern.name +
                               "\": application errors, not load-generator errors (evidence: "
                               "errors.body." +
                               pattern.name + ")";
            if (stage.extra->contains("failure_samples")) {
                for (const auto& sample : stage.extra["failure_samples"]) {
                    std::string body = sample.value("body", "");
                    if (!body.empty()) {
                        if (body.size() > 200) {
                            body = body.substr(0, 200) + "...";
                        }
                        hint += "; sample body: " + body;
                        break;
                    }
                }
            }
            hints.push_back(hint + ".");
        }
    }
    // 4xx on one operation only: the load script's request is wrong (the made-up cursor).
    std::vector<std::string> ops_with_4xx;
    for (const auto& op : stage.operations) {
        if (get_or(m, op + ".errors.status_4xx") > 0) {
            ops_with_4xx.push_back(op);
        }
    }
    if (ops_with_4xx.size() == 1 && stage.operations.size() > 1) {
        const std::string& op = ops_with_4xx.front();
        double n = get_or(m, op + ".errors.status_4xx") - get_or(m, op + ".errors.status_429");
        if (n > 0) {
            std::string sample = validation_sample(stage, op);
            hints.push_back(fmt::format("{:.0f} client errors (4xx) on operation ", n) + "\"" + op +
                            "\" only: its request is likely wrong in the load script (a made-up "
                            "id or cursor, a missing field), not the backend (evidence: " +
                            op + ".errors.status_4xx)" +
                            (sample.empty() ? "" : "; the backend answered " + sample) + ".");
        }
    } else {
        // Validation answers (400/422) on any operation: the decisive body, under its name.
        for (const auto& op : ops_with_4xx) {
            std::string sample = validation_sample(stage, op);
            double n = get_or(m, op + ".errors.status_4xx") - get_or(m, op + ".errors.status_429");
            if (!sample.empty() && n > 0) {
                hints.push_back("operation \"" + op + "\": " + fmt::format("{:.0f}", n) +
                                " requests rejected as invalid, the backend answered " + sample +
                                ": the load script's request does not fit the API (evidence: " +
                                op + ".errors.status_4xx).");
            }
        }
    }
    // Saturation: latency or timeouts rising with load while the backend is alive.
    double timeouts = get_or(m, "errors.timeout");
    auto p95 = m.get("p95");
    if (previous != nullptr && p95) {
        auto prev_p95 = previous->metrics.get("p95");
        // Only when latency is what failed: a 3x rise from 5 ms to 15 ms within every
        // target is not worth a person's attention.
        bool latency_missed = false;
        for (const auto& result : stage.criteria) {
            latency_missed = latency_missed || (!result.pass && result.actual &&
                                                result.criterion.unit == MetricUnit::milliseconds);
        }
        if (prev_p95 && *prev_p95 > 0 && *p95 > 3 * *prev_p95 && latency_missed &&
            get_or(m, "backend.crashes") == 0) {
            double rps = get_or(m, "rps");
            double mean_s = get_or(m, "avg") / 1000.0;
            hints.push_back(
                fmt::format("p95 latency rose {:.1f}x from the previous stage ({:.1f} ms -> {:.1f} "
                            "ms) while "
                            "the backend stayed up: saturation or pool exhaustion. Little's law: "
                            "in-flight = rps x mean latency = {:.1f} requests",
                            *p95 / *prev_p95, *prev_p95, *p95, rps * mean_s) +
                "; compare with the backend's worker and connection-pool sizes.");
        }
    }
    if (timeouts > 0 && get_or(m, "backend.crashes") == 0) {
        hints.push_back(
            fmt::format("{:.0f} requests timed out while the backend was alive: it is "
                        "saturated or blocked (evidence: errors.timeout).",
                        timeouts));
    }
    return hints;
}

std::string next_stage_recommendation(const RunReport& report) {
    const StageReport* highest = nullptr;
    const StageReport* failed = nullptr;
    for (const auto& stage : report.stages) {
        if (stage.verdict == Verdict::pass) {
            highest = &stage;
        } else if (failed == nullptr && stage.verdict != Verdict::skipped) {
            failed = &stage;
        }
    }
    auto describe = [](const StageReport& s) {
        std::string load = s.rate.empty() ? std::to_string(s.vus) + " VUs" : s.rate;
        double rps = s.metrics.get("rps").value_or(0);
        auto p95 = s.metrics.get("p95");
        std::string text = "\"" + s.name + "\" (" + load;
        text += fmt::format(", {:.1f} req/s", rps);
        if (p95) {
            text += fmt::format(", p95 {:.1f} ms", *p95);
        }
        return text + ")";
    };
    if (failed != nullptr) {
        std::string text = "Stage \"" + failed->name + "\" did not pass (" +
                           std::string(to_string(failed->verdict)) + "): " + failed->reason +
                           ". Fix that first, then re-run from it with `--from " + failed->name +
                           "`.";
        if (highest != nullptr) {
            text += " The highest load that passed was " + describe(*highest) + ".";
        }
        return text;
    }
    if (highest == nullptr) {
        return "No stage ran to completion.";
    }
    double rps = highest->metrics.get("rps").value_or(0);
    std::string text = "Every stage passed; the highest load was " + describe(*highest) + ". ";
    if (highest->rate.empty() && highest->vus > 0) {
        // Closed model: throughput scales with VUs only while latency holds, so the
        // projection is this stage's per-VU throughput times the next VU count.
        double per_vu = rps / highest->vus;
        int next_vus = highest->vus * 2;
        text += "Next: " + std::to_string(next_vus) + " VUs" +
                fmt::format(" \u2248 {:.0f} req/s, projected from this stage's {:.2f} req/s per VU",
                            per_vu * next_vus, per_vu) +
                " (linear: holds only while latency does not grow). Run it to find where the "
                "criteria start to fail.";
    } else {
        // Open model: the next stage sets its own arrival rate; the projection is the rate.
        text += fmt::format(
                    "Next: an arrival rate of {:.0f}/s, twice the {:.1f} req/s this stage achieved",
                    rps * 2, rps) +
                " (the rate is set, not projected; whether the backend keeps up is what the "
                "stage measures). Run it to find where the criteria start to fail.";
    }
    return text;
}

}  // namespace orch
