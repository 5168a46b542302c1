#include "pipeline/part_merge.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/policy.hpp"
#include "pipeline/runner.hpp"

namespace orch {

namespace {

std::string seconds_text(double s) {
    return fmt::format("{:.1f} s", s);
}

std::string describe_miss(const CriterionResult& r) {
    std::string text = r.criterion.name;
    if (r.actual) {
        text += fmt::format(" (actual {:g}{})", *r.actual, unit_label(r.criterion.unit));
    } else {
        text += " (no data)";
    }
    return text;
}

Result<void> check_parts(const std::vector<PartFile>& parts, const MergeOptions& options,
                         std::vector<std::uint32_t>& missing) {
    if (parts.empty()) {
        return fail(ErrorCode::invalid_input, "merge needs at least one part");
    }
    for (const auto& p : parts) {
        if (!p.report.part_info) {
            return fail(ErrorCode::invalid_input,
                        p.path +
                            ": not a segment part (no \"segment\": write parts with "
                            "stagegate run PIPELINE --segment I/N)");
        }
    }
    const PartFile& first = parts.front();
    const PartInfo& one = *first.report.part_info;
    std::map<std::uint32_t, const PartFile*> seen;
    for (const auto& p : parts) {
        const PartInfo& info = *p.report.part_info;
        if (info.pipeline_hash != one.pipeline_hash) {
            return fail(ErrorCode::invalid_input,
                        p.path + ": a part of another pipeline than " + first.path +
                            " (pipeline hash " + info.pipeline_hash.substr(0, 12) + " vs " +
                            one.pipeline_hash.substr(0, 12) +
                            "; the file, every --set and --time-scale must be the same)");
        }
        if (info.segment.count != one.segment.count) {
            return fail(ErrorCode::invalid_input,
                        p.path + ": segment " + info.segment.text() + " but " + first.path +
                            " is of " + std::to_string(one.segment.count) + " segments");
        }
        if (auto [it, fresh] = seen.emplace(info.segment.index, &p); !fresh) {
            return fail(ErrorCode::invalid_input, p.path + ": segment " + info.segment.text() +
                                                      " again (also " + it->second->path + ")");
        }
        std::vector<std::string> names;
        std::vector<std::string> first_names;
        for (const auto& s : p.report.stages) {
            names.push_back(s.name);
        }
        for (const auto& s : first.report.stages) {
            first_names.push_back(s.name);
        }
        if (names != first_names) {
            return fail(ErrorCode::invalid_input,
                        p.path + ": other stages than " + first.path +
                            " (run every segment with the same --only and --from)");
        }
        for (const auto& s : p.report.stages) {
            if (s.verdict != Verdict::skipped && !s.part) {
                return fail(ErrorCode::invalid_input,
                            p.path + ": stage \"" + s.name + "\" ran but has no \"part\"");
            }
        }
    }
    for (std::uint32_t i = 0; i < one.segment.count; ++i) {
        if (seen.find(i) == seen.end()) {
            missing.push_back(i);
        }
    }
    if (!missing.empty() && !options.allow_missing) {
        std::vector<std::string> names;
        for (std::uint32_t i : missing) {
            names.push_back(Segment{i, one.segment.count}.text());
        }
        const std::string list = fmt::format("{}", fmt::join(names, ", "));
        return fail(ErrorCode::invalid_input,
                    "segment " + list + " missing (the parts given: " +
                        std::to_string(parts.size()) + " of " + std::to_string(one.segment.count) +
                        "); give every part, or --allow-missing to judge without it "
                        "(INCONCLUSIVE)");
    }
    return {};
}

/// The part that launched the backend, else the first (lowest segment) part.
const PartFile& backend_owner(const std::vector<const PartFile*>& sorted) {
    for (const PartFile* p : sorted) {
        if (p->report.part_info->owns_backend) {
            return *p;
        }
    }
    return *sorted.front();
}

std::vector<SeriesPoint> merged_series(const std::vector<const StagePart*>& parts,
                                       const std::vector<std::string>& operations) {
    struct Second {
        std::uint64_t requests = 0;
        std::uint64_t failures = 0;
        int vus = 0;
        HdrHistogram latency;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> operations;
    };
    std::map<std::int64_t, Second> by_second;
    for (const StagePart* part : parts) {
        for (const auto& s : part->seconds) {
            Second& into = by_second[s.second];
            into.requests += s.requests;
            into.failures += s.failures;
            into.vus += s.vus;
            if (auto latency = decode_histogram(s.latency)) {  // checked when read
                into.latency.merge(*latency);
            }
            into.operations.resize(operations.size());
            for (std::size_t i = 0; i < s.operations.size() && i < operations.size(); ++i) {
                into.operations[i].first += s.operations[i].first;
                into.operations[i].second += s.operations[i].second;
            }
        }
    }
    std::vector<SeriesPoint> series;
    if (by_second.empty()) {
        return series;
    }
    std::int64_t first = by_second.begin()->first;
    for (const auto& [second, s] : by_second) {
        SeriesPoint p;
        p.t_s = static_cast<double>(second - first + 1);
        p.rps = static_cast<double>(s.requests);
        p.errors = static_cast<double>(s.failures);
        p.vus = s.vus;
        if (!s.latency.empty()) {
            p.p50 = static_cast<double>(s.latency.value_at_percentile(50)) / 1000.0;
            p.p95 = static_cast<double>(s.latency.value_at_percentile(95)) / 1000.0;
            p.p99 = static_cast<double>(s.latency.value_at_percentile(99)) / 1000.0;
        }
        for (std::size_t i = 0; i < s.operations.size(); ++i) {
            if (s.operations[i].first > 0) {
                OperationPoint op;
                op.rps = static_cast<double>(s.operations[i].first);
                op.errors = static_cast<double>(s.operations[i].second);
                p.operations.emplace(operations[i], op);
            }
        }
        series.push_back(std::move(p));
    }
    return series;
}

StageReport merge_stage(const std::vector<const PartFile*>& sorted, std::size_t k,
                        const std::vector<std::uint32_t>& missing, std::uint32_t count) {
    const StageReport& model = sorted.front()->report.stages[k];
    // The plan (name, load, mix, operations, criteria, cooldown, traffic, observe, reason) is
    // the first part's: copied whole, so that a planned field added to StageReport is merged
    // without a line here; what that part measured is cleared, to be merged from all parts.
    StageReport stage = model;
    const StageReport unmeasured;
    std::tie(stage.verdict, stage.started_at, stage.duration_s, stage.metrics, stage.series,
             stage.series_bucket_s, stage.health_before, stage.health_after, stage.hints,
             stage.extra, stage.part) =
        std::tie(unmeasured.verdict, unmeasured.started_at, unmeasured.duration_s,
                 unmeasured.metrics, unmeasured.series, unmeasured.series_bucket_s,
                 unmeasured.health_before, unmeasured.health_after, unmeasured.hints,
                 unmeasured.extra, unmeasured.part);

    std::vector<const StagePart*> parts;
    std::vector<std::string> not_run;
    const StageReport* worst_other = nullptr;
    std::string worst_other_segment;
    std::vector<std::string> late;
    nlohmann::json segments = nlohmann::json::array();
    for (const PartFile* p : sorted) {
        const StageReport& s = p->report.stages[k];
        std::string segment = p->report.part_info->segment.text();
        if (s.verdict == Verdict::skipped || !s.part) {
            not_run.push_back(segment);
            continue;
        }
        parts.push_back(s.part.get());
        if (stage.started_at.empty() || s.started_at < stage.started_at) {
            stage.started_at = s.started_at;
        }
        stage.duration_s = std::max(stage.duration_s, s.duration_s);
        if (!s.part->verdict_from_criteria && s.verdict != Verdict::pass &&
            (worst_other == nullptr ||
             severity_rank(s.verdict) > severity_rank(worst_other->verdict))) {
            worst_other = &s;
            worst_other_segment = segment;
        }
        if (s.part->late_s && *s.part->late_s > policy::k_late_start_tolerance_s) {
            late.push_back("segment " + segment + " started " + seconds_text(*s.part->late_s) +
                           " late");
        }
        nlohmann::json entry = {{"segment", segment},
                                {"requests", s.part->metrics.totals().requests()},
                                {"verdict", std::string(to_string(s.verdict))}};
        entry["late_s"] = s.part->late_s ? nlohmann::json(*s.part->late_s) : nlohmann::json();
        if (auto cpu = s.extra->find("generator_cpu_percent"); cpu != s.extra->end()) {
            entry["generator_cpu_percent"] = *cpu;
        }
        segments.push_back(std::move(entry));
    }
    if (parts.empty()) {
        return stage;  // no segment ran it: skipped, with the first part's reason
    }
    stage.extra["segments"] = std::move(segments);

    StageMetrics merged(model.operations.size(), parts.front()->body_patterns.size());
    for (const StagePart* part : parts) {
        merged.merge(part->metrics);
    }
    MetricNames names{model.operations, parts.front()->body_patterns, {}};  // parts carry no tags
    stage.metrics = summarize(merged, names, std::max(stage.duration_s, 1e-3));
    const PartFile& owner = backend_owner(sorted);
    const StageReport& owned = owner.report.stages[k];
    for (const auto& [name, value] : owned.metrics.values()) {
        if (name.rfind("backend.", 0) == 0) {
            stage.metrics.set(name, value);
        }
    }
    stage.health_before = owned.health_before;
    stage.health_after = owned.health_after;
    stage.series = merged_series(parts, model.operations);

    std::vector<std::string> missed;
    int warned = 0;
    for (auto& result : stage.criteria) {
        CriterionResult judged = evaluate(result.criterion, stage.metrics);
        if (result.criterion.window) {
            judged.note = "judged on the merged stage as a whole (windows are not merged)";
        }
        result = judged;
        if (!result.pass && result.criterion.severity == Severity::fail) {
            missed.push_back(describe_miss(result));
        } else if (!result.pass) {
            ++warned;
        }
    }
    std::string incomplete;
    if (!not_run.empty()) {
        incomplete = fmt::format("segment {} did not run this stage", fmt::join(not_run, ", "));
    } else if (!missing.empty()) {
        incomplete = std::to_string(missing.size()) + " of " + std::to_string(count) +
                     " segments missing (--allow-missing): the merged stage is not the "
                     "whole load";
    }
    for (const auto& l : late) {
        incomplete += (incomplete.empty() ? "" : "; ") + l;
    }
    if (worst_other != nullptr) {
        stage.verdict = worst_other->verdict;
        stage.reason = "segment " + worst_other_segment + ": " + worst_other->reason;
    } else if (!incomplete.empty()) {
        stage.verdict = Verdict::inconclusive;
        stage.reason = incomplete;
        if (!missed.empty()) {
            stage.reason += " (criteria missed on what ran: " + std::to_string(missed.size()) + ")";
        }
    } else if (!missed.empty()) {
        stage.verdict = Verdict::fail;
        std::string list;
        for (const auto& m : missed) {
            list += (list.empty() ? "" : "; ") + m;
        }
        stage.reason = std::to_string(missed.size()) + " of " +
                       std::to_string(stage.criteria.size()) + " criteria missed: " + list;
    } else {
        stage.verdict = Verdict::pass;
        stage.reason = "all " + std::to_string(stage.criteria.size()) + " criteria met";
        if (warned > 0) {
            stage.reason +=
                " (" + std::to_string(warned) + " warning" + (warned > 1 ? "s" : "") + ")";
        }
    }
    return stage;
}

}  // namespace

Result<RunReport> merge_parts(const std::vector<PartFile>& parts, const MergeOptions& options) {
    std::vector<std::uint32_t> missing;
    ORCH_TRY(check_parts(parts, options, missing));
    std::vector<const PartFile*> sorted;
    for (const auto& p : parts) {
        sorted.push_back(&p);
    }
    std::sort(sorted.begin(), sorted.end(), [](const PartFile* a, const PartFile* b) {
        return a->report.part_info->segment.index < b->report.part_info->segment.index;
    });
    const RunReport& first = sorted.front()->report;
    const std::uint32_t count = first.part_info->segment.count;
    RunReport report;
    report.pipeline_name = first.pipeline_name;
    report.pipeline_file = first.pipeline_file;
    report.pipeline_sha256 = first.pipeline_sha256;
    report.run_id = options.run_id;
    report.version = options.version;
    report.executor = first.executor;
    report.base_url = first.base_url;
    report.started_at = first.started_at;
    for (const PartFile* p : sorted) {
        report.started_at = std::min(report.started_at, p->report.started_at);
        for (const auto& w : p->report.warnings) {
            std::string line = "segment " + p->report.part_info->segment.text() + ": " + w;
            if (std::find(report.warnings.begin(), report.warnings.end(), line) ==
                report.warnings.end()) {
                report.warnings.push_back(line);
            }
        }
    }
    std::string merged_note = "merged from " + std::to_string(parts.size()) + " of " +
                              std::to_string(count) + " segments";
    report.warnings.insert(report.warnings.begin(), merged_note);
    report.backend_log_tail = backend_owner(sorted).report.backend_log_tail;

    // A part that ended before or around its stages (ERROR, INTERRUPTED) ends the merge so.
    for (const PartFile* p : sorted) {
        Verdict v = p->report.verdict;
        if ((v == Verdict::error || v == Verdict::interrupted) &&
            severity_rank(v) > severity_rank(report.verdict)) {
            report.verdict = v;
            report.reason =
                "segment " + p->report.part_info->segment.text() + ": " + p->report.reason;
        }
    }
    for (std::size_t k = 0; k < first.stages.size(); ++k) {
        report.stages.push_back(merge_stage(sorted, k, missing, count));
    }
    // As in a run: the first stage that did not pass ends it, the later ones are skipped.
    for (std::size_t k = 0; k < report.stages.size(); ++k) {
        StageReport& s = report.stages[k];
        if (s.verdict != Verdict::pass && s.verdict != Verdict::skipped) {
            for (std::size_t later = k + 1; later < report.stages.size(); ++later) {
                report.stages[later].verdict = Verdict::skipped;
                report.stages[later].reason = "skipped: stage \"" + s.name + "\" did not pass";
                report.stages[later].part.reset();
            }
            break;
        }
    }
    conclude_run(report);
    return report;
}

}  // namespace orch
