// Hooks run one at a time, in the runner's thread: spawn (as the backend), poll for the exit
// every 20 ms, stop the group at the timeout. The hook writes into a private temporary file
// (mode 0600, removed at once) that is then copied line by line, redacted, into hooks.log:
// a secret a hook prints never reaches the output folder.
#include "pipeline/hooks.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/redact.hpp"
#include "process/backend_process.hpp"

namespace orch {

namespace {

/// A hook's output copied into hooks.log past this is cut (with a line saying so).
constexpr std::uintmax_t k_max_copied_bytes = 1024 * 1024;
constexpr auto k_poll = std::chrono::milliseconds(20);
constexpr auto k_stop_grace = std::chrono::seconds(2);

std::string number_text(double value) {
    return fmt::format("{:g}", value);
}

std::string argv_text(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& word : argv) {
        text += (text.empty() ? "" : " ") + word;
    }
    return text;
}

/// A private temporary file for one hook's output; removed by the destructor.
class TempOutput {
  public:
    TempOutput() {
        std::error_code ec;
        std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
        std::string pattern = (ec ? std::filesystem::path("/tmp") : dir) / "stagegate-hook-XXXXXX";
        int fd = ::mkstemp(pattern.data());  // 0600
        if (fd >= 0) {
            ::close(fd);
            m_path = pattern;
        }
    }
    ~TempOutput() {
        if (!m_path.empty()) {
            std::error_code ec;
            std::filesystem::remove(m_path, ec);
        }
    }
    TempOutput(const TempOutput&) = delete;
    TempOutput& operator=(const TempOutput&) = delete;
    const std::filesystem::path& path() const { return m_path; }

  private:
    std::filesystem::path m_path;
};

}  // namespace

const HookSpec* find_hook(const std::vector<HookSpec>& hooks, HookKind kind) {
    auto it = std::find_if(hooks.begin(), hooks.end(),
                           [kind](const HookSpec& hook) { return hook.kind == kind; });
    return it == hooks.end() ? nullptr : &*it;
}

HookRunner::HookRunner(HookRunContext context, const std::atomic<int>* interrupts)
    : m_context(std::move(context)), m_interrupts(interrupts) {}

HookRecord HookRunner::run(const HookSpec& hook, const HookPoint& point, OnInterrupt on_interrupt) {
    HookRecord record;
    record.stage = point.stage;
    record.kind = hook_kind_name(hook.kind);
    for (const auto& word : hook.command) {
        record.argv.push_back(redact(word));
    }

    BackendSpec spec;
    spec.command = hook.command;
    spec.cwd = m_context.base_dir;
    spec.stop_timeout = k_stop_grace;
    spec.env = {
        {"STAGEGATE_RUN_ID", m_context.run_id},
        {"STAGEGATE_PIPELINE", m_context.pipeline_name},
        {"STAGEGATE_STAGE", point.stage},
        {"STAGEGATE_STAGE_INDEX", point.stage_index >= 0 ? std::to_string(point.stage_index) : ""},
        {"STAGEGATE_TRAFFIC",
         point.traffic_percent ? number_text(*point.traffic_percent) : std::string()},
        {"STAGEGATE_VERDICT", point.verdict},
        {"STAGEGATE_RESULTS", (m_context.out_dir / "results.json").string()},
        {"STAGEGATE_OUT", m_context.out_dir.string()},
        {"STAGEGATE_HOOK", record.kind},
    };

    TempOutput output;
    Stopwatch clock;
    if (output.path().empty()) {
        record.error = "cannot create a temporary file for its output";
        append_log(record, {});
        return record;
    }
    auto spawned = BackendProcess::spawn(spec, m_context.base_dir, output.path());
    if (!spawned) {
        std::string message = spawned.error().message;
        if (message.rfind("backend ", 0) == 0) {
            message = "hook " + message.substr(8);
        }
        record.error = redact(message);
        record.duration_s = clock.seconds();
        append_log(record, output.path());
        return record;
    }
    BackendProcess& process = **spawned;
    spdlog::info("{} hook started (pid {}): {}", record.kind, process.pid(),
                 argv_text(record.argv));
    const double timeout_s = to_seconds(hook.timeout);
    std::optional<ExitInfo> exit;
    while (!(exit = process.exited())) {
        if (clock.seconds() >= timeout_s) {
            record.timed_out = true;
            break;
        }
        if (on_interrupt == OnInterrupt::stop_hook && m_interrupts != nullptr &&
            m_interrupts->load() > 0) {
            record.error = "stopped: the run was interrupted";
            break;
        }
        std::this_thread::sleep_for(k_poll);
    }
    // Also after a normal exit: stop() ends what the hook left running in its group.
    ExitInfo ended = process.stop(k_stop_grace);
    record.duration_s = clock.seconds();
    if (exit) {
        ended = *exit;
    }
    if (exit && ended.signal == 0) {
        record.exit_code = ended.exit_code;
    } else if (record.timed_out) {
        record.error =
            "timed out after " + format_duration(hook.timeout) + " (its process group was stopped)";
    } else if (record.error.empty()) {
        record.error = ended.describe();
    }
    append_log(record, output.path());
    return record;
}

void HookRunner::append_log(const HookRecord& record, const std::filesystem::path& output) const {
    std::ofstream log(m_context.out_dir / "hooks.log", std::ios::app);
    if (!log) {
        spdlog::warn("cannot write {}", (m_context.out_dir / "hooks.log").string());
        return;
    }
    std::string where = record.stage.empty() ? "run" : "stage " + record.stage;
    log << "== " << iso8601_now() << " " << where << " " << record.kind
        << " hook: " << argv_text(record.argv) << "\n";
    std::error_code ec;
    if (!output.empty() && std::filesystem::exists(output, ec)) {
        std::ifstream in(output);
        std::string line;
        std::uintmax_t copied = 0;
        bool cut = false;
        while (std::getline(in, line)) {
            if (copied >= k_max_copied_bytes) {
                cut = true;
                break;
            }
            copied += line.size() + 1;
            log << redact(line) << "\n";
        }
        if (cut) {
            log << "[... output past " << k_max_copied_bytes << " bytes not kept ...]\n";
        }
    }
    log << "== " << record.kind << " hook ";
    if (record.exit_code) {
        log << "exited with code " << *record.exit_code;
    } else {
        log << record.error;
    }
    log << " after " << number_text(record.duration_s) << "s\n";
}

std::string HookRunner::describe_failure(const HookRecord& record) {
    std::string text = record.kind + " hook [" + argv_text(record.argv) + "] ";
    if (record.timed_out) {
        return text + record.error + " (its output is in hooks.log)";
    }
    if (record.exit_code) {
        text += "exited with code " + std::to_string(*record.exit_code);
    } else {
        text += record.error;
    }
    return text + fmt::format(" after {:.1f}s (its output is in hooks.log)", record.duration_s);
}

}  // namespace orch
