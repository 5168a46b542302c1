// What a person sees on the terminal: live progress while a stage runs (redrawn in place
// on a TTY, a plain line every 10 s otherwise, nothing with --no-progress), a line per
// finished stage, and at the end the stage table and the verdict. NO_COLOR is respected.
#pragma once

#include <iosfwd>
#include <mutex>

#include "pipeline/runner.hpp"

namespace orch::cli {

// --- Interface ---

enum class ProgressMode { off, redraw, periodic };

class ConsoleListener final : public RunListener {
  public:
    ConsoleListener(std::ostream& out, ProgressMode progress, bool color);
    void on_message(std::string_view line) override;
    void on_stage_start(const StageSpec& stage, std::size_t index, std::size_t count) override;
    void on_progress(const StageSpec& stage, double elapsed_s, int vus,
                     const Snapshot& so_far) override;
    void on_stage_end(const StageReport& stage) override;
    /// A TTY sees "cooldown before "load": 12s left" redrawn each second; otherwise the
    /// runner's one start line ("cooldown 30s") is all.
    void on_cooldown(std::string_view next_stage, double remaining_s, double total_s) override;

    /// In a GitHub Actions job: each stage's lines (start, progress) inside a
    /// `::group::stage I/N NAME` ... `::endgroup::` block of the log, folded by default; the
    /// stage's verdict, criteria and hints follow the block, so they stay visible.
    void group_stages(bool on) { m_group_stages = on; }

  private:
    void clear_progress_line();
    bool m_group_stages = false;
    bool m_group_open = false;
    std::ostream& m_out;
    ProgressMode m_progress;
    bool m_color;
    bool m_progress_drawn = false;
    double m_last_periodic_s = -1;
    std::mutex m_mutex;
};

/// Text from the pipeline, the backend or the responses as the console and stderr show it:
/// secrets redacted, unable to start a GitHub workflow command in the job log. `shown`
/// keeps it on one line; `shown_lines` keeps its lines (diagnostics, error messages).
std::string shown(std::string_view text);
std::string shown_lines(std::string_view text);

/// The final stage table, every missed criterion once (print_failures) and the verdict line
/// (also used by `stagegate report` to the console).
void print_summary(std::ostream& out, const RunReport& report, bool color);

/// Every missed criterion of the run, once, in one block: stage, criterion, target, actual
/// and how far off, in the criterion's own unit ("362 ms over") or percentage points.
/// Nothing when every criterion was met.
void print_failures(std::ostream& out, const RunReport& report, bool color);

/// One line for a finished stage: its verdict and, when criteria decided it, how many were
/// met with the headline numbers rounded ("6 of 8 criteria met; 6,015 requests, 50.1/s,
/// p95 590 ms"); otherwise its reason.
std::string stage_end_line(const StageReport& stage, bool color);

/// "PASS" etc., coloured when `color`.
std::string verdict_text(Verdict verdict, bool color);

}  // namespace orch::cli
