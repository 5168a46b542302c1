#include "cli/builtin_plugins.hpp"

#include <memory>
#include <string>
#include <string_view>

// Each line of builtin_plugins.def declares its plugin's one exported function here (so no
// plugin header is included: the folder's name gives the function's name)...
namespace orch {
#define ORCH_EXECUTOR(NAME) ExecutorPlugin NAME##_executor_plugin();
#define ORCH_REPORTER(NAME, FORMAT) std::unique_ptr<Reporter> make_##NAME##_reporter();
#include "cli/builtin_plugins.def"
#undef ORCH_EXECUTOR
#undef ORCH_REPORTER
}  // namespace orch

namespace orch::cli {

// ... and registers it by its name.
const ExecutorRegistry& executors() {
    static const ExecutorRegistry registry = [] {
        ExecutorRegistry r;
#define ORCH_EXECUTOR(NAME) r.add(NAME##_executor_plugin());
#define ORCH_REPORTER(NAME, FORMAT)
#include "cli/builtin_plugins.def"
#undef ORCH_EXECUTOR
#undef ORCH_REPORTER
        return r;
    }();
    return registry;
}

const ReporterRegistry& reporters() {
    static const ReporterRegistry registry = [] {
        ReporterRegistry r;
#define ORCH_EXECUTOR(NAME)
#define ORCH_REPORTER(NAME, FORMAT) r.add(FORMAT, [] { return make_##NAME##_reporter(); });
#include "cli/builtin_plugins.def"
#undef ORCH_EXECUTOR
#undef ORCH_REPORTER
        return r;
    }();
    return registry;
}

std::string with_report_formats(std::string_view text, std::string_view separator) {
    std::string formats;
    for (const auto& format : reporters().formats()) {
        formats += (formats.empty() ? "" : std::string(separator)) + format;
    }
    constexpr std::string_view k_token = "@REPORT_FORMATS@";
    std::string out(text);
    for (auto at = out.find(k_token); at != std::string::npos;
         at = out.find(k_token, at + formats.size())) {
        out.replace(at, k_token.size(), formats);
    }
    return out;
}

}  // namespace orch::cli
