#include "cli/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "cli/console.hpp"
#include "core/redact.hpp"

namespace orch::cli {

namespace {

/// Forwards to `inner` with the message redacted; only sink_it_/flush_ are ours (spdlog's
/// base_sink takes the lock).
/// On the console (a CI job log) the message is also neutralized: it cannot start a GitHub
/// workflow command.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    enum class Target { file, console };
    RedactingSink(spdlog::sink_ptr inner, Target target)
        : m_inner(std::move(inner)), m_target(target) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string_view payload(msg.payload.data(), msg.payload.size());
        std::string text = m_target == Target::console ? shown_lines(payload) : redact(payload);
        spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, text);
        if (m_inner->should_log(msg.level)) {
            m_inner->log(copy);
        }
    }
    void flush_() override { m_inner->flush(); }

  private:
    spdlog::sink_ptr m_inner;
    Target m_target;
};

}  // namespace

Result<int> parse_log_level(const std::string& text) {
    auto level = spdlog::level::from_str(text);
    if (level == spdlog::level::off || text == "critical" || text == "err") {
        return fail(ErrorCode::invalid_input,
                    "--log-level " + text + ": use trace, debug, info, warn or error");
    }
    return static_cast<int>(level);
}

void setup_logging(const std::filesystem::path& log_file, int level) {
    std::vector<spdlog::sink_ptr> sinks;
    auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    console->set_level(
        std::max(spdlog::level::warn, static_cast<spdlog::level::level_enum>(level)));
    console->set_pattern("stagegate: %l: %v");
    sinks.push_back(std::make_shared<RedactingSink>(console, RedactingSink::Target::console));
    if (!log_file.empty()) {
        try {
            auto file =
                std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file.string(), true);
            file->set_level(static_cast<spdlog::level::level_enum>(level));
            file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
            sinks.push_back(std::make_shared<RedactingSink>(file, RedactingSink::Target::file));
        } catch (const spdlog::spdlog_ex&) {
            // The output folder was checked writable before; a failure here only loses the log.
        }
    }
    for (auto& sink : sinks) {
        sink->set_level(spdlog::level::trace);
    }
    auto logger = std::make_shared<spdlog::logger>("stagegate", sinks.begin(), sinks.end());
    logger->set_level(static_cast<spdlog::level::level_enum>(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace orch::cli
