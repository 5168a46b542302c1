#include "cli/builtin_plugins.hpp"

#if __has_include("plugins/executors/builtin/builtin_executor.hpp")
#include "plugins/executors/builtin/builtin_executor.hpp"
#define STAGEGATE_HAS_BUILTIN 1
#endif
#include "plugins/reporters/html/html_reporter.hpp"
#include "plugins/reporters/json/json_reporter.hpp"
#include "plugins/reporters/junit/junit_reporter.hpp"
#include "plugins/reporters/markdown/markdown_reporter.hpp"

namespace orch::cli {

const ExecutorRegistry& executors() {
    static const ExecutorRegistry registry = [] {
        ExecutorRegistry r;
#ifdef STAGEGATE_HAS_BUILTIN
        r.add("builtin", [](const Pipeline& p) { return make_builtin_executor(p); });
#endif
        return r;
    }();
    return registry;
}

const ReporterRegistry& reporters() {
    static const ReporterRegistry registry = [] {
        ReporterRegistry r;
        r.add("json", [] { return make_json_reporter(); });
        r.add("md", [] { return make_markdown_reporter(); });
        r.add("junit", [] { return make_junit_reporter(); });
        r.add("html", [] { return make_html_reporter(); });
        return r;
    }();
    return registry;
}

}  // namespace orch::cli
