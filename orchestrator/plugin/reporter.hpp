// The Reporter interface: renders a RunReport into one output format. The base class owns
// writing (atomically, into the output folder); a reporter only renders.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "report/run_report.hpp"

namespace orch {

// --- Interface ---

class Reporter {
  public:
    virtual ~Reporter() = default;
    /// Format name for `stagegate report --format`: "md", "html", "junit", "json".
    virtual std::string_view format() const = 0;
    /// File name in the output folder: "report.md", "junit.xml", ...
    virtual std::string_view file_name() const = 0;
    /// What the format is, in a few words, for `stagegate help report` (and the man page).
    virtual std::string_view summary() const { return {}; }
    /// The whole document. Must not throw.
    virtual std::string render(const RunReport& report) const = 0;

    /// render() of `report` with every registered secret shown as `***`: the model is
    /// redacted before rendering (escaping would hide a secret from redact()) and the text
    /// after. Use this, not render(), for anything a person or a file receives.
    std::string render_redacted(const RunReport& report) const;

    /// Writes render_redacted() to `dir / file_name()` atomically (temp file + rename).
    Result<void> write_to(const std::filesystem::path& dir, const RunReport& report) const;
};

using ReporterFactory = std::function<std::unique_ptr<Reporter>()>;

/// Reporters by format name. Registering a name twice is a programming error.
class ReporterRegistry {
  public:
    void add(std::string format, ReporterFactory factory);
    /// An unknown format is invalid_input listing the valid ones.
    Result<std::unique_ptr<Reporter>> create(std::string_view format) const;
    std::vector<std::string> formats() const;

  private:
    std::vector<std::pair<std::string, ReporterFactory>> m_factories;
};

}  // namespace orch
