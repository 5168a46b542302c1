#include "cli/console.hpp"

#include <cmath>
#include <cstdio>
#include <ostream>

#include "cli/github.hpp"
#include "core/redact.hpp"
#include "report/report_format.hpp"
#include "report/run_summary.hpp"

namespace orch::cli {

namespace {

std::string num(const char* format, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, value);
    return buf;
}

std::string opt_ms(const Snapshot& s, const std::string& name) {
    auto v = s.get(name);
    return v ? num("%.1f", *v) : std::string("-");
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) {
        text.append(width - text.size(), ' ');
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
    if (stage.rate) {
        load = num("%g/s", stage.rate->from_per_s);
        if (stage.rate->to_per_s != stage.rate->from_per_s) {
            load += ".." + num("%g/s", stage.rate->to_per_s);
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
        pad(shown(stage.name), 10) + " " + num("%5.0fs", elapsed_s) + "/" + num("%.0fs", total_s) +
        " " + bar(elapsed_s / std::max(total_s, 1e-9), 20) + " vus " + std::to_string(vus) +
        "  rps " + num("%.1f", so_far.get("rps").value_or(0)) + "  p95 " + opt_ms(so_far, "p95") +
        "ms  errors " + num("%.0f", so_far.get("errors").value_or(0));
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
    m_out << "stagegate: stage \"" << shown(stage.name) << "\" "
          << verdict_text(stage.verdict, m_color) << ": " << shown(stage.reason) << std::endl;
    if (stage_has_no_gate(stage)) {
        m_out << "stagegate: stage \"" << shown(stage.name) << "\": " << k_no_gate_note
              << " (add criteria; run --strict to refuse this)" << std::endl;
    }
    for (const auto& result : stage.criteria) {
        std::string status = result.pass                                   ? "ok  "
                             : result.criterion.severity == Severity::warn ? "warn"
                                                                           : "FAIL";
        std::string actual = result.actual ? num("%g", *result.actual) +
                                                 std::string(unit_label(result.criterion.unit))
                                           : "no data";
        // A baseline criterion's target is computed: show it and what it came from.
        std::string relative;
        if (result.criterion.baseline) {
            relative = ", target " + format_target(result.criterion) + ", baseline " +
                       num("%g", *result.criterion.baseline) +
                       std::string(unit_label(result.criterion.unit));
        } else if (result.criterion.relative) {
            relative = ", no baseline data";
        }
        m_out << "    " << status << "  " << shown(result.criterion.name) << "  (actual " << actual
              << relative << ")" << std::endl;
    }
    for (const auto& hint : stage.hints) {
        m_out << "    hint: " << shown(hint) << std::endl;
    }
}

void print_summary(std::ostream& out, const RunReport& report, bool color) {
    out << "\n"
        << pad("stage", 14) << pad("load", 14) << pad("requests", 10) << pad("rps", 9)
        << pad("success", 9) << pad("p95 ms", 9) << pad("p99 ms", 9) << "verdict\n";
    for (const auto& stage : report.stages) {
        const Snapshot& m = stage.metrics;
        std::string load = stage.rate.empty() ? std::to_string(stage.vus) + " VUs" : stage.rate;
        bool ran = stage.verdict != Verdict::skipped && m.get("requests");
        out << pad(shown(stage.name), 14) << pad(load, 14)
            << pad(ran ? num("%.0f", m.get("requests").value_or(0)) : "-", 10)
            << pad(ran ? num("%.1f", m.get("rps").value_or(0)) : "-", 9)
            << pad(m.get("success_rate") ? num("%.2f%%", *m.get("success_rate")) : "-", 9)
            << pad(opt_ms(m, "p95"), 9) << pad(opt_ms(m, "p99"), 9)
            << verdict_text(stage.verdict, color) << (stage_has_no_gate(stage) ? " (no gate)" : "")
            << "\n";
    }
    out << "\nverdict: " << verdict_text(report.verdict, color) << " (exit " << report.exit_code
        << ")";
    if (!report.reason.empty()) {
        out << ": " << shown(report.reason);
    }
    out << "\n";
    if (!report.recommendation.empty()) {
        out << "next: " << shown(report.recommendation) << "\n";
    }
    out.flush();
}

}  // namespace orch::cli
