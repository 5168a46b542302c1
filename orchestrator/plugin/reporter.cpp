// Reporter::write_to (redact, render, redact again, write atomically) and the registry of
// reporters by format name. Redaction happens here, once, so no reporter can leak a secret
// by forgetting it.
#include "plugin/reporter.hpp"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/did_you_mean.hpp"
#include "core/redact.hpp"
#include "core/units.hpp"
#include "report/redacted_report.hpp"

namespace orch {

std::string Reporter::render_redacted(const RunReport& report) const {
    return redact(render(redacted_report(report)));
}

Result<void> Reporter::write_to(const std::filesystem::path& dir, const RunReport& report) const {
    std::string text;
    try {
        text = render_redacted(report);
    } catch (const std::exception& e) {
        // render() must not throw; a reporter that does is a bug, reported, not a crash.
        return fail(ErrorCode::internal,
                    "the " + std::string(format()) + " reporter failed: " + e.what());
    }
    return write_file_atomically(dir / std::string(file_name()), text);
}

void ReporterRegistry::add(std::string format, ReporterFactory factory) {
    for (const auto& entry : m_factories) {
        if (entry.first == format) {
            fmt::print(stderr,
                       "stagegate: internal error: reporter format \"{}\" registered twice\n",
                       format);
            std::abort();
        }
    }
    m_factories.emplace_back(std::move(format), std::move(factory));
}

Result<std::unique_ptr<Reporter>> ReporterRegistry::create(std::string_view format) const {
    for (const auto& [name, factory] : m_factories) {
        if (name == format) {
            return factory();
        }
    }
    const std::vector<std::string> valid = formats();
    return fail(ErrorCode::invalid_input, "unknown report format \"" + std::string(format) + "\"" +
                                              did_you_mean(format, valid) + "; valid formats: " +
                                              (valid.empty() ? "none" : join_names(valid)));
}

std::vector<std::string> ReporterRegistry::formats() const {
    std::vector<std::string> names;
    for (const auto& [name, factory] : m_factories) {
        names.push_back(name);
    }
    return names;
}

}  // namespace orch
