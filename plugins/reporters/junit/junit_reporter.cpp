#include "plugins/reporters/junit/junit_reporter.hpp"

#include <fmt/format.h>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "report/markup_escape.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"

namespace orch {

namespace {

std::string attr(std::string_view text) {
    return escape_markup(text, MarkupContext::attribute);
}

std::string body(std::string_view text) {
    return escape_markup(text, MarkupContext::text);
}

// Seconds as xs SUREFIRE_TIME: digits and a decimal point, never negative or NaN.
std::string junit_time(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) {
        seconds = 0;
    }
    return fmt::format("{:.3f}", seconds);
}

struct Counts {
    int tests = 0;
    int failures = 0;
    int errors = 0;
    int skipped = 0;
    double time = 0;

    void add(const Counts& other) {
        tests += other.tests;
        failures += other.failures;
        errors += other.errors;
        skipped += other.skipped;
        time += other.time;
    }
};

// Where a testcase's failure points: the pipeline file and, for a criterion, its line
// (GitLab and most JUnit readers show `file`; `line` is the common extension).
struct CasePlace {
    std::string_view file;
    int line = 0;
};

// A testcase's time is its stage's measured duration (0 for a stage that did not run).
std::string testcase_open(std::string_view suite, std::string_view name, double time,
                          CasePlace place) {
    std::string out = "    <testcase classname=\"" + attr("stagegate." + std::string(suite)) +
                      "\" name=\"" + attr(name) + "\" time=\"" + junit_time(time) + "\"";
    if (!place.file.empty()) {
        out += " file=\"" + attr(place.file) + "\"";
    }
    if (place.line > 0) {
        out += " line=\"" + std::to_string(place.line) + "\"";
    }
    return out;
}

double stage_time(const StageReport& stage) {
    return stage_ran(stage) ? stage.duration_s : 0;
}

// The first line of the stage's first hint, for the failure text: GitLab shows only that.
std::string first_hint(const StageReport& stage) {
    if (stage.hints.empty()) {
        return {};
    }
    const std::string& hint = stage.hints.front();
    return "\nhint: " + hint.substr(0, hint.find('\n'));
}

// "612.4 ms, target < 250 ms (2.4x worse)"; "no data, target < 250 ms".
std::string miss_summary(const CriterionResult& r) {
    std::string text = format_actual(r) + ", target " + format_target(r.criterion);
    std::string margin = format_margin(r.margin);
    if (r.actual && margin != "\u2014") {
        text += " (" + margin + ")";
    }
    return text;
}

std::string miss_details(const CriterionResult& r) {
    std::string text = r.criterion.expr + "\ntarget " + format_target(r.criterion) + " / actual " +
                       format_actual(r);
    if (r.margin) {
        text += "\nmargin: " + format_margin(r.margin);
    }
    if (!r.note.empty()) {
        text += "\nnote: " + r.note;
    }
    return text;
}

std::string criterion_case(const StageReport& stage, const CriterionResult& r, Counts& counts,
                           std::string_view file) {
    ++counts.tests;
    std::string name = r.criterion.name.empty() ? r.criterion.expr : r.criterion.name;
    std::string out = testcase_open(stage.name, name, stage_time(stage), {file, r.criterion.line});
    if (!stage_ran(stage)) {
        ++counts.skipped;
        std::string why = stage.reason.empty() ? "stage not run" : stage.reason;
        return out + ">\n      <skipped message=\"" + attr(why) + "\"/>\n    </testcase>\n";
    }
    if (r.pass) {
        return out + "/>\n";
    }
    if (r.criterion.severity == Severity::warn) {
        return out + ">\n      <system-out>" + body("WARN (not failing): " + miss_details(r)) +
               "</system-out>\n    </testcase>\n";
    }
    ++counts.failures;
    return out + ">\n      <failure message=\"" + attr(miss_summary(r)) + "\" type=\"criterion\">" +
           body(miss_details(r) + first_hint(stage)) + "</failure>\n    </testcase>\n";
}

// The stage's verdict needs its own testcase when no failed criterion explains it.
std::string stage_case(const StageReport& stage, Counts& counts, std::string_view file) {
    if (stage.verdict == Verdict::pass || !stage_ran(stage)) {
        return {};
    }
    bool explained = false;
    for (const auto& r : stage.criteria) {
        explained = explained || (!r.pass && r.criterion.severity == Severity::fail);
    }
    if (stage.verdict == Verdict::fail && explained) {
        return {};
    }
    ++counts.tests;
    std::string reason =
        stage.reason.empty() ? std::string(to_string(stage.verdict)) : stage.reason;
    std::string element = stage.verdict == Verdict::fail ? "failure" : "error";
    if (stage.verdict == Verdict::fail) {
        ++counts.failures;
    } else {
        ++counts.errors;
    }
    std::string type(to_string(stage.verdict));
    for (char& c : type) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return testcase_open(stage.name, "stage", stage_time(stage), {file}) + ">\n      <" + element +
           " message=\"" + attr(reason) + "\" type=\"" + attr(type) + "\">" +
           body(reason + first_hint(stage)) + "</" + element + ">\n    </testcase>\n";
}

std::string property(std::string_view name, std::string_view value) {
    return "      <property name=\"" + attr(name) + "\" value=\"" + attr(value) + "\"/>\n";
}

std::string stage_suite(const StageReport& stage, Counts& counts, std::string_view file) {
    std::string cases;
    for (const auto& r : stage.criteria) {
        cases += criterion_case(stage, r, counts, file);
    }
    cases += stage_case(stage, counts, file);
    if (stage_has_no_gate(stage)) {
        // Shown as skipped, so a CI test view never counts an unchecked stage as a pass.
        ++counts.tests;
        ++counts.skipped;
        cases += testcase_open(stage.name, "stage", stage_time(stage), {file}) +
                 ">\n      <skipped message=\"" + attr(k_no_gate_note) + "\"/>\n    </testcase>\n";
    }
    if (!stage_ran(stage) && stage.criteria.empty()) {
        ++counts.tests;
        ++counts.skipped;
        std::string why = stage.reason.empty() ? "stage not run" : stage.reason;
        cases += testcase_open(stage.name, "stage", 0, {file}) + ">\n      <skipped message=\"" +
                 attr(why) + "\"/>\n    </testcase>\n";
    }
    counts.time = stage_ran(stage) && std::isfinite(stage.duration_s) ? stage.duration_s : 0;

    std::string out =
        "  <testsuite name=\"" + attr(stage.name) + "\" tests=\"" + std::to_string(counts.tests) +
        "\" failures=\"" + std::to_string(counts.failures) + "\" errors=\"" +
        std::to_string(counts.errors) + "\" skipped=\"" + std::to_string(counts.skipped) +
        "\" time=\"" + junit_time(counts.time) + "\"";
    if (!stage.started_at.empty()) {
        out += " timestamp=\"" + attr(stage.started_at) + "\"";
    }
    out += ">\n    <properties>\n";
    out += property("verdict", to_string(stage.verdict));
    out += property("reason", stage.reason);
    if (stage_has_no_gate(stage)) {
        out += property("gate", "none");
    }
    out += property("load", format_load(stage));
    if (auto requests = stage.metrics.get("requests")) {
        out += property("requests", format_count(*requests));
    }
    out += "    </properties>\n" + cases;
    if (!stage.hints.empty()) {
        std::string hints;
        for (const auto& hint : stage.hints) {
            hints += "hint: " + hint + "\n";
        }
        out += "    <system-out>" + body(hints) + "</system-out>\n";
    }
    out += "  </testsuite>\n";
    return out;
}

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class JunitReporter final : public Reporter {
  public:
    std::string_view format() const override { return "junit"; }
    std::string_view summary() const override { return "JUnit XML for CI test views (junit.xml)"; }
    std::string_view file_name() const override { return "junit.xml"; }

    std::string render(const RunReport& report) const override {
        Counts total;
        std::string suites;
        for (const auto& stage : report.stages) {
            Counts counts;
            suites += stage_suite(stage, counts, report.pipeline_file);
            total.add(counts);
        }
        // A run that failed before or around its stages still fails in the CI view.
        if (report.verdict != Verdict::pass && total.failures == 0 && total.errors == 0) {
            std::string reason =
                report.reason.empty() ? std::string(to_string(report.verdict)) : report.reason;
            suites +=
                "  <testsuite name=\"stagegate\" tests=\"1\" failures=\"0\" errors=\"1\" "
                "skipped=\"0\" time=\"0.000\">\n" +
                testcase_open("run", "run", 0, {report.pipeline_file}) +
                ">\n      <error message=\"" + attr(reason) + "\" type=\"" +
                attr(to_string(report.verdict)) + "\">" + body(reason) +
                "</error>\n    </testcase>\n  </testsuite>\n";
            ++total.tests;
            ++total.errors;
        }
        std::string name = "stagegate: " + report.pipeline_name;
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" + attr(name) +
               "\" tests=\"" + std::to_string(total.tests) + "\" failures=\"" +
               std::to_string(total.failures) + "\" errors=\"" + std::to_string(total.errors) +
               "\" time=\"" + junit_time(total.time) + "\">\n" + suites + "</testsuites>\n";
    }
};

}  // namespace

std::unique_ptr<Reporter> make_junit_reporter() {
    return std::make_unique<JunitReporter>();
}

}  // namespace orch
