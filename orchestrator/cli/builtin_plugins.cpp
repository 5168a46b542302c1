#include "cli/builtin_plugins.hpp"

#include "plugins/executors/builtin/builtin_executor.hpp"
#include "plugins/executors/command/command_executor.hpp"
#include "plugins/executors/k6/k6_executor.hpp"
#include "plugins/reporters/gitlab/gitlab_reporter.hpp"
#include "plugins/reporters/html/html_reporter.hpp"
#include "plugins/reporters/json/json_reporter.hpp"
#include "plugins/reporters/junit/junit_reporter.hpp"
#include "plugins/reporters/markdown/markdown_reporter.hpp"
#include "plugins/reporters/openmetrics/openmetrics_reporter.hpp"

namespace orch::cli {

const ExecutorRegistry& executors() {
    static const ExecutorRegistry registry = [] {
        ExecutorRegistry r;
        // One line per executor: its folder exports everything else (keys, reader, factory).
        r.add(builtin_executor_plugin());
        r.add(k6_executor_plugin());
        r.add(command_executor_plugin());
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
        r.add("openmetrics", [] { return make_openmetrics_reporter(); });
        r.add("gitlab-load-performance", [] { return make_gitlab_reporter(); });
        return r;
    }();
    return registry;
}

}  // namespace orch::cli
