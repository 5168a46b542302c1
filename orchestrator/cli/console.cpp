#include "cli/console.hpp"

#include <fmt/format.h>
#include <cmath>
#include <ostream>

#include "cli/github.hpp"
#include "core/redact.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"
#include "report/stage_analysis.hpp"

namespace orch::cli {

namespace {

// "612 ms", "581 µs", "1.79 s", or "-" without data.
std::string opt_ms(const Snapshot& s, const std::string& name) {
    auto v = s.get(name);
    return v ? format_latency(*v) : std::string("-");
}

// Pads to `width` columns (code points, so "µs" counts as two).
std::string pad(std::string text, std::size_t width) {
    std::size_t columns = 0;
    for (unsigned char c : text) {
        columns += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    if (columns < width) {
        text.append(width - columns, ' ');
    }
    return text;
}

std::string bar(double fraction, std::size_t width) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    auto filled = static_cast<std::size_t>(std::lround(fraction * static_cast<double>(width)));
    return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

}  // namespace

std::string shown(std::string_view text) {
    return neutralize_workflow_commands(redact(text));
}

std::string shown_lines(std::string_view text) {
    return neutralize_workflow_lines(redact(text));
}

std::string verdict_text(Verdict verdict, bool color) {
    std::string text(to_string(verdict));
    if (!color) {
        return text;
    }
    const char* code = "";
    switch (verdict) {
        case Verdict::pass:
            code = "\033[1;32m";
            break;
        case Verdict::fail:
        case Verdict::error:
        case Verdict::invalid:
            code = "\033[1;31m";
            break;
        case Verdict::inconclusive:
        case Verdict::interrupted:
            code = "\033[1;33m";
            break;
        case Verdict::skipped:
            code = "\033[2m";
            break;
    }
    return code + text + "\033[0m";
}

ConsoleListener::ConsoleListener(std::ostream& out, ProgressMode progress, bool color)
    : m_out(out), m_progress(progress), m_color(color) {}

void ConsoleListener::clear_progress_line() {
    if (m_progress_drawn) {
        m_out << "\r\033[2K";
        m_progress_drawn = false;
    }
}

void ConsoleListener::on_message(std::string_view line) {
    std::lock_guard lock(m_mutex);
    clear_progress_line();
    m_out << "stagegate: " << shown(line) << std::endl;
}

void ConsoleListener::on_stage_start(const StageSpec& stage, std::size_t index, std::size_t count) {
    std::lock_guard lock(m_mutex);
    clear_progress_line();
    m_last_periodic_s = 0;
    std::string load;
    if (stage.observe) {
        load = "observe (no load)";
    } else if (stage.rate) {
        load = fmt::format("{:g}/s", stage.rate->from_per_s);
        if (stage.rate->to_per_s != stage.rate->from_per_s) {
            load += ".." + fmt::format("{:g}/s", stage.rate->to_per_s);
        }
    } else {
        load = std::to_string(stage.vus) + " VUs";
        if (stage.ramp_up.count() > 0 || stage.ramp_down.count() > 0) {
            load += " (ramp up " + format_duration(stage.ramp_up) + ", down " +
                    format_duration(stage.ramp_down) + ")";
        }
    }
    if (m_group_stages) {
        m_out << "::group::stage " << index + 1 << "/" << count << " "
              << escape_command_data(shown(stage.name)) << "\n";
        m_group_open = true;
    }
    m_out << "stagegate: stage " << index + 1 << "/" << count << " \"" << shown(stage.name)
          << "\": " << load << " for " << format_duration(stage.duration) << std::endl;
}

void ConsoleListener::on_progress(const StageSpec& stage, double elapsed_s, int vus,
                                  const Snapshot& so_far) {
    if (m_progress == ProgressMode::off) {
        return;
    }
    std::lock_guard lock(m_mutex);
    double total_s = to_seconds(stage.duration);
    std::string line =
        pad(shown(stage.name), 10) + " " + fmt::format("{:>5.0f}s", elapsed_s) + "/" +
        fmt::format("{:.0f}s", total_s) + " " + bar(elapsed_s / std::max(total_s, 1e-9), 20) +
        " vus " + std::to_string(vus) + "  rps " +
        format_significant(so_far.get("rps").value_or(0)) + "  p95 " + opt_ms(so_far, "p95") +
        "  errors " + format_count(so_far.get("errors").value_or(0));
    if (m_progress == ProgressMode::redraw) {
        m_out << "\r\033[2K" << line << std::flush;
        m_progress_drawn = true;
    } else if (elapsed_s - m_last_periodic_s >= 10.0 - 1e-6) {
        m_last_periodic_s = elapsed_s;
        m_out << "stagegate: " << line << std::endl;
    }
}

void ConsoleListener::on_stage_end(const StageReport& stage) {
    std::lock_guard lock(m_mutex);
    clear_progress_line();
    if (m_group_open) {
        m_out << "::endgroup::\n";
        m_group_open = false;
    }
    m_out << "stagegate: " << stage_end_line(stage, m_color) << std::endl;
    if (stage_has_no_gate(stage)) {
        m_out << "stagegate: stage \"" << shown(stage.name) << "\": " << k_no_gate_note
              << " (add criteria; run --strict to refuse this)" << std::endl;
    }
    // A met baseline criterion's target is computed: show it and what it came from (a
    // missed one is in the failure block at the end, with its target).
    for (const auto& result : stage.criteria) {
        const Criterion& c = result.criterion;
        if (!c.relative || !result.pass) {
            continue;
        }
        m_out << "    baseline  " << shown(c.name.empty() ? c.expr : c.name) << "  (actual "
              << (result.actual ? format_short(*result.actual, c.unit) : std::string("no data"))
              << ", target " << format_target(c) << ", baseline "
              << (c.baseline ? format_short(*c.baseline, c.unit) : std::string("no data")) << ")"
              << std::endl;
    }
    for (const auto& hint : stage.hints) {
        m_out << "    hint: " << shown(hint) << std::endl;
    }
}

void ConsoleListener::on_cooldown(std::string_view next_stage, double remaining_s, double total_s) {
    if (m_progress != ProgressMode::redraw) {
        return;
    }
    std::lock_guard lock(m_mutex);
    if (remaining_s <= 0) {
        clear_progress_line();
        m_out << std::flush;
        return;
    }
    m_out << "\r\033[2K"
          << "cooldown before \"" << shown(next_stage)
          << "\": " << fmt::format("{:.0f}", std::ceil(remaining_s - 1e-6)) << "s left "
          << bar(1.0 - remaining_s / std::max(total_s, 1e-9), 20) << std::flush;
    m_progress_drawn = true;
}

std::string stage_end_line(const StageReport& stage, bool color) {
    std::string line =
        "stage \"" + shown(stage.name) + "\" " + verdict_text(stage.verdict, color) + ": ";
    int missed = 0;
    int met = 0;
    for (const auto& r : stage.criteria) {
        met += r.pass ? 1 : 0;
        missed += !r.pass && r.criterion.severity == Severity::fail ? 1 : 0;
    }
    bool judged = stage.verdict == Verdict::pass ||
                  (stage.verdict == Verdict::fail && missed > 0 &&
                   stage.reason.find("criteria missed") != std::string::npos);
    if (!judged) {
        return line + shown(stage.reason);
    }
    line += std::to_string(met) + " of " + std::to_string(stage.criteria.size()) + " criteria met";
    const Snapshot& m = stage.metrics;
    if (auto requests = m.get("requests")) {
        line += "; " + format_count(*requests) + " requests";
        if (auto rps = m.get("rps")) {
            line += ", " + format_short(*rps, MetricUnit::per_second);
        }
        if (auto p95 = m.get("p95")) {
            line += ", p95 " + format_latency(*p95);
        }
    }
    if (missed > 0) {
        line += " (the misses are listed at the end)";
    }
    return line;
}

void print_failures(std::ostream& out, const RunReport& report, bool color) {
    std::vector<FailedCriterion> failed = failed_criteria(report);
    std::vector<const CriterionResult*> warned;
    std::vector<const StageReport*> warned_stage;
    for (const auto& stage : report.stages) {
        for (const auto& r : stage.criteria) {
            if (!r.pass && r.actual && r.criterion.severity == Severity::warn) {
                warned.push_back(&r);
                warned_stage.push_back(&stage);
            }
        }
    }
    if (failed.empty() && warned.empty()) {
        return;
    }
    std::size_t stage_width = 5;
    std::size_t criterion_width = 9;
    std::size_t target_width = 6;
    std::size_t actual_width = 6;
    struct Row {
        std::string status, stage, criterion, target, actual, distance;
    };
    std::vector<Row> rows;
    auto add = [&](const StageReport& stage, const CriterionResult& r, std::string status) {
        Row row{std::move(status),
                shown(stage.name),
                shown(r.criterion.name.empty() ? r.criterion.expr : r.criterion.name),
                format_target(r.criterion),
                r.actual ? format_short(*r.actual, r.criterion.unit) : std::string("no data"),
                format_distance(r)};
        if (!r.note.empty() && !r.actual) {
            row.distance = shown(r.note);
        }
        stage_width = std::max(stage_width, row.stage.size());
        criterion_width = std::max(criterion_width, row.criterion.size());
        target_width = std::max(target_width, row.target.size());
        actual_width = std::max(actual_width, row.actual.size());
        rows.push_back(std::move(row));
    };
    for (const auto& f : failed) {
        add(*f.stage, *f.result, "FAIL");
    }
    for (std::size_t i = 0; i < warned.size(); ++i) {
        add(*warned_stage[i], *warned[i], "warn");
    }
    std::vector<std::string> heading;
    if (!failed.empty()) {
        heading.push_back(fmt::format("failures ({})", failed.size()));
    }
    if (!warned.empty()) {
        heading.push_back(fmt::format("warnings ({})", warned.size()));
    }
    out << "\n" << fmt::format("{}", fmt::join(heading, ", ")) << ":\n";
    out << "  " << pad("", 5) << pad("stage", stage_width + 2)
        << pad("criterion", criterion_width + 2) << pad("target", target_width + 2)
        << pad("actual", actual_width + 2) << "off by\n";
    for (const auto& row : rows) {
        std::string status = row.status;
        if (color) {
            status = (row.status == "FAIL" ? "\033[1;31m" : "\033[1;33m") + status + "\033[0m";
        }
        out << "  " << status << " " << pad(row.stage, stage_width + 2)
            << pad(row.criterion, criterion_width + 2) << pad(row.target, target_width + 2)
            << pad(row.actual, actual_width + 2) << row.distance << "\n";
    }
}

void print_summary(std::ostream& out, const RunReport& report, bool color) {
    out << "\n"
        << pad("stage", 14) << pad("load", 14) << pad("requests", 10) << pad("rps", 9)
        << pad("success", 9) << pad("p95", 10) << pad("p99", 10) << "verdict\n";
    auto latency = [](const Snapshot& m, const char* name) {
        auto v = m.get(name);
        return v ? format_latency(*v) : std::string("-");
    };
    for (const auto& stage : report.stages) {
        const Snapshot& m = stage.metrics;
        std::string load = stage.observe        ? std::string("observe")
                           : stage.rate.empty() ? std::to_string(stage.vus) + " VUs"
                                                : stage.rate;
        if (stage.traffic_percent) {
            load += " " + fmt::format("{:g}%", *stage.traffic_percent);
        }
        bool ran = stage.verdict != Verdict::skipped && m.get("requests");
        out << pad(shown(stage.name), 14) << pad(load, 14)
            << pad(ran ? format_count(m.get("requests").value_or(0)) : "-", 10)
            << pad(ran ? format_short(m.get("rps").value_or(0), MetricUnit::per_second) : "-", 9)
            << pad(m.get("success_rate") ? format_short(*m.get("success_rate"), MetricUnit::percent)
                                         : "-",
                   9)
            << pad(latency(m, "p95"), 10) << pad(latency(m, "p99"), 10)
            << verdict_text(stage.verdict, color) << (stage_has_no_gate(stage) ? " (no gate)" : "")
            << "\n";
    }
    if (!report.hooks.empty()) {
        out << "\nhooks (output in hooks.log):\n";
        for (const auto& hook : report.hooks) {
            out << "  " << shown(format_hook(hook)) << "\n";
        }
    }
    print_failures(out, report, color);
    out << "\nverdict: " << verdict_text(report.verdict, color) << " (exit " << report.exit_code
        << ")";
    if (!report.reason.empty()) {
        // Missed criteria are listed above: the verdict line names the count, not them again.
        std::string reason = report.reason;
        constexpr std::string_view k_missed = "criteria missed";
        if (auto at = reason.find(k_missed);
            at != std::string::npos && !failed_criteria(report).empty()) {
            reason = reason.substr(0, at + k_missed.size()) + " (listed above)";
        }
        out << ": " << shown(reason);
    }
    out << "\n";
    if (!report.recommendation.empty()) {
        out << "next: " << shown(report.recommendation) << "\n";
    }
    out.flush();
}

}  // namespace orch::cli
