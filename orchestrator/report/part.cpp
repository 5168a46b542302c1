#include "report/part.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace orch {

namespace {

using ojson = nlohmann::ordered_json;

ojson record_json(const HistogramRecord& r) {
    ojson j = ojson::object();
    j["count"] = r.count;
    j["min"] = r.min;
    j["max"] = r.max;
    j["sum"] = r.sum;
    j["overflow"] = r.overflow;
    j["hdr"] = r.hdr;
    return j;
}

ojson histogram_json(const HdrHistogram& histogram) {
    return record_json(encode_histogram(histogram));
}

ojson operation_json(const OperationStats& stats) {
    ojson j = ojson::object();
    j["requests"] = stats.requests();
    j["failures"] = stats.failures();
    ojson errors = ojson::object();
    for (ErrorKind kind : k_error_kinds) {
        if (std::uint64_t n = stats.errors(kind); n > 0) {
            errors[std::string(error_kind_name(kind))] = n;
        }
    }
    j["errors"] = std::move(errors);
    ojson classes = ojson::array();
    for (std::size_t i = 0; i < 6; ++i) {
        classes.push_back(stats.status_class(i));
    }
    j["status_classes"] = std::move(classes);
    j["phase_samples"] = stats.phase_samples();
    ojson phases = ojson::array();
    for (std::size_t i = 0; i < k_phase_count; ++i) {
        phases.push_back(static_cast<double>(stats.phase_sum_us(i)));
    }
    j["phase_sum_us"] = std::move(phases);
    ojson histograms = ojson::object();
    histograms["latency"] = histogram_json(stats.latency());
    histograms["latency_uncorrected"] = histogram_json(stats.latency_uncorrected());
    if (const HdrHistogram* succeeded = stats.latency_succeeded()) {
        histograms["succeeded"] = histogram_json(*succeeded);
    }
    if (const HdrHistogram* failed = stats.latency_failed()) {
        histograms["failed"] = histogram_json(*failed);
    }
    j["histograms"] = std::move(histograms);
    return j;
}

// --- Reading: every problem names where it is.

struct Reader {
    std::string problem;

    bool fail(const std::string& where, const std::string& what) {
        if (problem.empty()) {
            problem = where + ": " + what;
        }
        return false;
    }

    const nlohmann::json* member(const nlohmann::json& object, const std::string& key,
                                 const std::string& where) {
        if (!object.is_object()) {
            fail(where, "expected an object");
            return nullptr;
        }
        auto it = object.find(key);
        if (it == object.end()) {
            fail(where, "missing \"" + key + "\"");
            return nullptr;
        }
        return &*it;
    }

    std::uint64_t count(const nlohmann::json& object, const std::string& key,
                        const std::string& where) {
        const nlohmann::json* v = member(object, key, where);
        if (v == nullptr) {
            return 0;
        }
        if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
            fail(where + "." + key, "expected a whole number >= 0");
            return 0;
        }
        return v->get<std::uint64_t>();
    }

    std::optional<HistogramRecord> record(const nlohmann::json& j, const std::string& where) {
        HistogramRecord r;
        r.count = count(j, "count", where);
        r.overflow = count(j, "overflow", where);
        r.sum = count(j, "sum", where);
        auto signed_value = [&](const char* key) -> std::int64_t {
            const nlohmann::json* v = member(j, key, where);
            if (v == nullptr || !v->is_number_integer()) {
                fail(where + "." + key, "expected a whole number");
                return 0;
            }
            return v->get<std::int64_t>();
        };
        r.min = signed_value("min");
        r.max = signed_value("max");
        const nlohmann::json* hdr = member(j, "hdr", where);
        if (hdr == nullptr || !hdr->is_string()) {
            fail(where + ".hdr", "expected a base64 string");
            return std::nullopt;
        }
        r.hdr = hdr->get<std::string>();
        if (!problem.empty()) {
            return std::nullopt;
        }
        return r;
    }

    // Read, then decode, reporting the first problem: the error-propagation shape of every
    // typed reader (yaml_reader's duration() too); the steps differ.
    std::optional<HdrHistogram> histogram(const nlohmann::json& j, const std::string& where) {
        auto r = record(j, where);
        if (!r) {
            return std::nullopt;
        }
        auto decoded = decode_histogram(*r);
        if (!decoded) {
            fail(where, decoded.error().message);
            return std::nullopt;
        }
        return std::move(*decoded);
    }

    std::optional<OperationStats> operation(const nlohmann::json& j, const std::string& where,
                                            std::size_t pattern_count) {
        OperationStats::Figures f;
        f.requests = count(j, "requests", where);
        f.failures = count(j, "failures", where);
        if (const nlohmann::json* errors = member(j, "errors", where); errors != nullptr) {
            if (!errors->is_object()) {
                fail(where + ".errors", "expected an object");
            } else {
                for (auto it = errors->begin(); it != errors->end(); ++it) {
                    bool known = false;
                    for (ErrorKind kind : k_error_kinds) {
                        if (error_kind_name(kind) == it.key()) {
                            f.errors[static_cast<std::size_t>(kind)] =
                                count(*errors, it.key(), where + ".errors");
                            known = true;
                        }
                    }
                    if (!known) {
                        fail(where + ".errors." + it.key(), "unknown error kind");
                    }
                }
            }
        }
        const nlohmann::json* classes = member(j, "status_classes", where);
        if (classes != nullptr && (!classes->is_array() || classes->size() != 6)) {
            fail(where + ".status_classes", "expected 6 counts");
        } else if (classes != nullptr) {
            for (std::size_t i = 0; i < 6; ++i) {
                if (!(*classes)[i].is_number_unsigned()) {
                    fail(where + ".status_classes", "expected whole numbers");
                    break;
                }
                f.status_classes[i] = (*classes)[i].get<std::uint64_t>();
            }
        }
        f.pattern_hits.assign(pattern_count, 0);
        if (auto it = j.find("body_pattern_hits"); j.is_object() && it != j.end()) {
            if (!it->is_array() || it->size() != pattern_count) {
                fail(where + ".body_pattern_hits", "expected one count per body pattern");
            } else {
                for (std::size_t i = 0; i < pattern_count; ++i) {
                    f.pattern_hits[i] =
                        (*it)[i].is_number_unsigned() ? (*it)[i].get<std::uint64_t>() : 0;
                }
            }
        }
        f.phase_samples = count(j, "phase_samples", where);
        const nlohmann::json* phases = member(j, "phase_sum_us", where);
        if (phases != nullptr && (!phases->is_array() || phases->size() != k_phase_count)) {
            fail(where + ".phase_sum_us", "expected 6 numbers");
        } else if (phases != nullptr) {
            for (std::size_t i = 0; i < k_phase_count; ++i) {
                f.phase_sum_us[i] = (*phases)[i].is_number() ? (*phases)[i].get<double>() : 0.0L;
            }
        }
        const nlohmann::json* histograms = member(j, "histograms", where);
        if (histograms == nullptr) {
            return std::nullopt;
        }
        std::string at = where + ".histograms";
        const nlohmann::json* latency = member(*histograms, "latency", at);
        const nlohmann::json* uncorrected = member(*histograms, "latency_uncorrected", at);
        if (latency == nullptr || uncorrected == nullptr) {
            return std::nullopt;
        }
        auto l = histogram(*latency, at + ".latency");
        auto u = histogram(*uncorrected, at + ".latency_uncorrected");
        if (!l || !u) {
            return std::nullopt;
        }
        f.latency = std::move(*l);
        f.latency_uncorrected = std::move(*u);
        if (histograms->contains("succeeded") || histograms->contains("failed")) {
            const nlohmann::json* s = member(*histograms, "succeeded", at);
            const nlohmann::json* fl = member(*histograms, "failed", at);
            if (s == nullptr || fl == nullptr) {
                return std::nullopt;
            }
            f.latency_succeeded = histogram(*s, at + ".succeeded");
            f.latency_failed = histogram(*fl, at + ".failed");
            if (!f.latency_succeeded || !f.latency_failed) {
                return std::nullopt;
            }
        }
        if (!problem.empty()) {
            return std::nullopt;
        }
        if (f.latency.count() > f.requests) {
            fail(at + ".latency", "holds more responses than the part has requests");
            return std::nullopt;
        }
        return OperationStats::from_figures(std::move(f));
    }
};

}  // namespace

ojson stage_part_json(const StagePart& part, const std::vector<std::string>& operations) {
    const StageMetrics& m = part.metrics;
    ojson j = ojson::object();
    j["late_s"] = part.late_s ? ojson(*part.late_s) : ojson(nullptr);
    j["verdict_from_criteria"] = part.verdict_from_criteria;
    ojson patterns = ojson::array();
    for (const auto& name : part.body_patterns) {
        patterns.push_back(name);
    }
    j["body_patterns"] = std::move(patterns);
    j["iterations"] = m.iterations();
    j["scheduled"] = m.scheduled();
    j["dropped"] = m.dropped();
    j["dropped_all_busy"] = m.dropped_all_busy();
    auto with_hits = [&](const OperationStats& stats) {
        ojson o = operation_json(stats);
        ojson hits = ojson::array();
        for (std::size_t i = 0; i < part.body_patterns.size(); ++i) {
            hits.push_back(stats.body_pattern_hits(i));
        }
        o["body_pattern_hits"] = std::move(hits);
        return o;
    };
    j["totals"] = with_hits(m.totals());
    ojson by_operation = ojson::object();
    for (std::size_t i = 0; i < operations.size() && i < m.operations().size(); ++i) {
        by_operation[operations[i]] = with_hits(m.operations()[i]);
    }
    j["operations"] = std::move(by_operation);
    ojson series = ojson::array();
    for (const auto& s : part.seconds) {
        ojson p = ojson::object();
        p["second"] = s.second;
        p["requests"] = s.requests;
        p["failures"] = s.failures;
        p["vus"] = s.vus;
        p["latency"] = record_json(s.latency);
        ojson ops = ojson::object();
        for (std::size_t i = 0; i < s.operations.size() && i < operations.size(); ++i) {
            if (s.operations[i].first > 0 || s.operations[i].second > 0) {
                ops[operations[i]] = ojson::array({s.operations[i].first, s.operations[i].second});
            }
        }
        p["operations"] = std::move(ops);
        series.push_back(std::move(p));
    }
    j["series"] = std::move(series);
    return j;
}

Result<StagePart> stage_part_from_json(const nlohmann::json& j,
                                       const std::vector<std::string>& operations,
                                       const std::string& where) {
    Reader r;
    std::vector<std::string> patterns;
    if (const nlohmann::json* names = r.member(j, "body_patterns", where); names != nullptr) {
        if (!names->is_array()) {
            r.fail(where + ".body_patterns", "expected an array of names");
        } else {
            for (const auto& n : *names) {
                patterns.push_back(n.is_string() ? n.get<std::string>() : std::string());
            }
        }
    }
    StagePart part(StageMetrics(operations.size(), patterns.size()));
    part.body_patterns = patterns;
    if (auto it = j.find("late_s"); j.is_object() && it != j.end() && it->is_number()) {
        part.late_s = it->get<double>();
    }
    if (auto it = j.find("verdict_from_criteria"); j.is_object() && it != j.end()) {
        part.verdict_from_criteria = it->is_boolean() && it->get<bool>();
    }
    std::uint64_t iterations = r.count(j, "iterations", where);
    std::uint64_t scheduled = r.count(j, "scheduled", where);
    std::uint64_t dropped = r.count(j, "dropped", where);
    std::uint64_t busy = r.count(j, "dropped_all_busy", where);
    if (busy > dropped) {
        r.fail(where + ".dropped_all_busy", "more than dropped");
    }
    std::optional<OperationStats> totals;
    if (const nlohmann::json* t = r.member(j, "totals", where); t != nullptr) {
        totals = r.operation(*t, where + ".totals", patterns.size());
    }
    std::vector<OperationStats> ops;
    if (const nlohmann::json* by_op = r.member(j, "operations", where); by_op != nullptr) {
        for (const auto& name : operations) {
            auto it = by_op->is_object() ? by_op->find(name) : by_op->end();
            if (!by_op->is_object() || it == by_op->end()) {
                r.fail(where + ".operations", "missing operation \"" + name + "\"");
                break;
            }
            auto stats = r.operation(*it, where + ".operations." + name, patterns.size());
            if (!stats) {
                break;
            }
            ops.push_back(std::move(*stats));
        }
    }
    if (const nlohmann::json* series = r.member(j, "series", where); series != nullptr) {
        if (!series->is_array()) {
            r.fail(where + ".series", "expected an array");
        } else {
            for (std::size_t i = 0; i < series->size() && r.problem.empty(); ++i) {
                const nlohmann::json& p = (*series)[i];
                std::string at = where + ".series[" + std::to_string(i) + "]";
                PartSecond s;
                const nlohmann::json* second = r.member(p, "second", at);
                if (second != nullptr && !second->is_number_integer()) {
                    r.fail(at + ".second", "expected a Unix time in whole seconds");
                }
                s.second = second != nullptr && second->is_number_integer()
                               ? second->get<std::int64_t>()
                               : 0;
                s.requests = r.count(p, "requests", at);
                s.failures = r.count(p, "failures", at);
                s.vus = static_cast<int>(r.count(p, "vus", at));
                if (const nlohmann::json* latency = r.member(p, "latency", at);
                    latency != nullptr) {
                    if (auto record = r.record(*latency, at + ".latency")) {
                        // Checked here so a corrupt second is refused when read, not later.
                        if (auto ok = decode_histogram(*record); !ok) {
                            r.fail(at + ".latency", ok.error().message);
                        }
                        s.latency = std::move(*record);
                    }
                }
                s.operations.assign(operations.size(), {0, 0});
                if (auto it = p.find("operations"); it != p.end() && it->is_object()) {
                    for (std::size_t k = 0; k < operations.size(); ++k) {
                        auto op = it->find(operations[k]);
                        if (op != it->end() && op->is_array() && op->size() == 2 &&
                            (*op)[0].is_number_unsigned() && (*op)[1].is_number_unsigned()) {
                            s.operations[k] = {(*op)[0].get<std::uint64_t>(),
                                               (*op)[1].get<std::uint64_t>()};
                        }
                    }
                }
                part.seconds.push_back(std::move(s));
            }
        }
    }
    if (!r.problem.empty() || !totals) {
        return fail(ErrorCode::invalid_input,
                    r.problem.empty() ? where + ": unreadable totals" : r.problem);
    }
    part.metrics.merge_operations(*totals, ops);
    part.metrics.count_iteration(iterations);
    part.metrics.count_scheduled(scheduled);
    part.metrics.count_dropped_all_busy(busy);
    part.metrics.count_dropped(dropped - busy);
    return part;
}

ojson part_info_json(const PartInfo& info) {
    ojson j = ojson::object();
    j["index"] = info.segment.index;
    j["count"] = info.segment.count;
    j["pipeline_hash"] = info.pipeline_hash;
    j["start_at"] = info.start_at.empty() ? ojson(nullptr) : ojson(info.start_at);
    j["owns_backend"] = info.owns_backend;
    return j;
}

Result<PartInfo> part_info_from_json(const nlohmann::json& j) {
    Reader r;
    PartInfo info;
    std::uint64_t index = r.count(j, "index", "segment");
    std::uint64_t count = r.count(j, "count", "segment");
    if (r.problem.empty() && (count < 1 || index >= count || count > 1000000)) {
        r.fail("segment", "index " + std::to_string(index) + " of " + std::to_string(count) +
                              " is not a segment (0 <= index < count)");
    }
    info.segment = Segment{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count)};
    const nlohmann::json* hash = r.member(j, "pipeline_hash", "segment");
    if (hash != nullptr && (!hash->is_string() || hash->get<std::string>().empty())) {
        r.fail("segment.pipeline_hash", "expected the pipeline's hash");
    } else if (hash != nullptr) {
        info.pipeline_hash = hash->get<std::string>();
    }
    if (auto it = j.find("start_at"); j.is_object() && it != j.end() && it->is_string()) {
        info.start_at = it->get<std::string>();
    }
    if (auto it = j.find("owns_backend"); j.is_object() && it != j.end() && it->is_boolean()) {
        info.owns_backend = it->get<bool>();
    }
    if (!r.problem.empty()) {
        return fail(ErrorCode::invalid_input, r.problem);
    }
    return info;
}

}  // namespace orch
