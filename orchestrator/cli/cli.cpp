// Verb dispatch and the verbs themselves. Each verb: parse its arguments, do its one job,
// return an exit code from core/exit_code.hpp. Errors below this layer arrive as Result.
#include "cli/cli.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cli/args.hpp"
#include "cli/builtin_plugins.hpp"
#include "cli/compare.hpp"
#include "cli/console.hpp"
#include "cli/github.hpp"
#include "cli/logging.hpp"
#include "config/loader.hpp"
#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/exit_code.hpp"
#include "core/redact.hpp"
#include "core/schemas.hpp"
#include "pipeline/baseline.hpp"
#include "pipeline/runner.hpp"

#ifndef STAGEGATE_VERSION
#define STAGEGATE_VERSION "0.0.0-dev"
#endif

namespace orch::cli {

namespace {

// --- Signals: the first SIGINT/SIGTERM asks the run to stop and report; the second kills
// the backend's process group and exits at once.
std::atomic<int> g_interrupts{0};
std::atomic<int> g_backend_pid{0};

extern "C" void on_signal(int) {
    int count = g_interrupts.fetch_add(1) + 1;
    if (count >= 2) {
        int pid = g_backend_pid.load();
        if (pid > 0) {
            ::kill(-pid, SIGKILL);
        }
        ::_exit(k_exit_interrupted);
    }
}

class SignalScope {
  public:
    SignalScope() {
        g_interrupts.store(0);
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &m_old_int);
        ::sigaction(SIGTERM, &action, &m_old_term);
    }
    ~SignalScope() {
        ::sigaction(SIGINT, &m_old_int, nullptr);
        ::sigaction(SIGTERM, &m_old_term, nullptr);
    }
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;

  private:
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
};

// --- Process hygiene: while a run lasts, stagegate is a child subreaper, so a daemon the
// backend starts (fork, setsid, parent exits) is re-parented to stagegate instead of init
// and BackendProcess::stop still finds and ends it.
class SubreaperScope {
  public:
    SubreaperScope() {
        ::prctl(PR_GET_CHILD_SUBREAPER, &m_was);
        ::prctl(PR_SET_CHILD_SUBREAPER, 1UL);
    }
    ~SubreaperScope() { ::prctl(PR_SET_CHILD_SUBREAPER, static_cast<unsigned long>(m_was)); }
    SubreaperScope(const SubreaperScope&) = delete;
    SubreaperScope& operator=(const SubreaperScope&) = delete;

  private:
    int m_was = 0;
};

constexpr const char* k_usage = R"(stagegate: staged load tests as one trustworthy command

Usage:
  stagegate run PIPELINE.yaml [options]     run the pipeline, judge every stage, write reports
  stagegate validate PIPELINE.yaml          parse and check; print problems; run nothing
  stagegate report RESULTS.json [--format md|html|junit|json] [-o FILE]
  stagegate compare BEFORE.json AFTER.json [--format md|json] [--all]
  stagegate schema [pipeline|results|stage-result]
  stagegate --version | --help              (and --help on every verb)

Exit codes: 0 PASS, 1 FAIL, 2 INVALID, 3 ERROR, 4 INCONCLUSIVE, 130 INTERRUPTED.
)";

constexpr const char* k_run_help = R"(Usage: stagegate run PIPELINE.yaml [options]

Launches the backend (unless the pipeline has no `backend:`), waits until it is healthy,
runs each stage with cooldowns and health checks, judges it against its criteria and moves
on only when it passes. Writes report.md, report.html, results.json, junit.xml,
backend.log and stagegate.log into the output folder.

Options:
  --out DIR               output folder (default stagegate-out/<run-id>/)
  --only STAGE            run only this stage (repeatable)
  --from STAGE            start at this stage
  --set KEY.PATH=VALUE    override a pipeline value, e.g. --set 'stages[*].duration=5s',
                          --set stages.smoke.vus=2, --set defaults.cooldown=1s (repeatable)
  --baseline RESULTS.json judge baseline criteria (send.p95 < baseline + 10%) against
                          the matching stage of an earlier run's results.json
  --threads N             load generator threads (default: number of cores)
  --no-progress           no live progress lines
  --log-level LEVEL       trace|debug|info|warn|error (default info) for stagegate.log
)";

constexpr const char* k_validate_help =
    R"(Usage: stagegate validate PIPELINE.yaml [--set KEY.PATH=VALUE]...

Parses and checks the pipeline and prints every problem as file:line:column: path: message.
Runs nothing, starts nothing, writes nothing. Exit 0 when valid, 2 when not.
)";

constexpr const char* k_report_help =
    R"(Usage: stagegate report RESULTS.json [--format md|html|junit|json] [-o FILE]

Re-renders a report from a results.json (default format md, to standard output).
)";

constexpr const char* k_compare_help =
    R"(Usage: stagegate compare BEFORE.json AFTER.json [--format md|json] [--all]

Prints the before-vs-after tables (metric, before, after, change with units, better/worse)
for every stage that ran in both runs, for its totals and per operation. Changes within
noise are left out: latency that moved less than 5% or less than 0.2 ms, any other metric
less than 1%. --all shows them too (marked "within noise"). Exit 0.
)";

constexpr const char* k_schema_help = R"(Usage: stagegate schema [pipeline|results|stage-result]

Prints a JSON Schema: of the pipeline file (default), of results.json, or of the stage
result file the `command` executor reads.
)";

int invalid(Context& ctx, const std::string& message) {
    ctx.err << "stagegate: " << shown_lines(message) << "\n";
    return k_exit_invalid;
}

std::string new_run_id() {
    std::random_device rd;
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(rd() & 0xffff));
    return compact_utc(std::chrono::system_clock::now()) + "-" + suffix;
}

LoadOptions load_options(Context& ctx, const ParsedArgs& args) {
    LoadOptions options;
    options.overrides = args.all("--set");
    options.getenv = ctx.getenv;
    return options;
}

void print_load_problems(Context& ctx, const Error& error) {
    if (!error.context.empty()) {
        ctx.err << shown_lines(error.context);
        if (error.context.back() != '\n') {
            ctx.err << "\n";
        }
    }
    ctx.err << "stagegate: " << shown_lines(error.message) << "; nothing was run\n";
}

Result<RunReport> read_results(const std::string& path) {
    auto text = read_file(path);
    if (!text) {
        return tl::unexpected(text.error());
    }
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded()) {
        return fail(ErrorCode::invalid_input, path + " is not JSON (expected a results.json)");
    }
    auto report = run_report_from_json(json);
    if (!report) {
        return fail(ErrorCode::invalid_input, path + ": " + report.error().message);
    }
    return report;
}

/// `--baseline RESULTS.json`: reads and checks the file and resolves the pipeline's
/// baseline criteria against it. Without the option, a baseline criterion is an error that
/// names where it is written.
Result<void> apply_baseline_option(Pipeline& pipeline, const std::optional<std::string>& path) {
    if (!path) {
        auto relative = baseline_criteria(pipeline);
        if (relative.empty()) {
            return {};
        }
        const CriterionSpec& first = *relative.front();
        return fail(ErrorCode::invalid_input,
                    pipeline.file.string() + ":" + std::to_string(first.pos.line) + ":" +
                        std::to_string(first.pos.column) + ": criterion \"" + first.criterion.expr +
                        "\" is relative to a baseline run: pass --baseline RESULTS.json (the "
                        "results.json of an earlier run); nothing was run");
    }
    auto baseline = read_results(*path);
    if (!baseline) {
        return fail(ErrorCode::invalid_input,
                    "--baseline: " + baseline.error().message +
                        " (pass the results.json of an earlier stagegate run); nothing was run");
    }
    apply_baseline(pipeline, *baseline);
    return {};
}

// --- Verbs ---

int cmd_validate(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help"}, {}, {"--set"}, {{"-h", "--help"}}};
    auto args = parse_args(rest, spec, "validate");
    if (!args) {
        return invalid(ctx, args.error().message);
    }
    if (args->has("--help")) {
        ctx.out << k_validate_help;
        return k_exit_pass;
    }
    if (args->positionals.size() != 1) {
        return invalid(ctx, "validate takes one pipeline file (see stagegate validate --help)");
    }
    auto pipeline = load_pipeline(args->positionals[0], load_options(ctx, *args));
    if (!pipeline) {
        print_load_problems(ctx, pipeline.error());
        return k_exit_invalid;
    }
    auto executor = executors().create(pipeline->scenario.executor, *pipeline);
    if (!executor) {
        return invalid(ctx, args->positionals[0] + ": " + executor.error().message);
    }
    std::size_t criteria = 0;
    for (const auto& stage : pipeline->stages) {
        criteria += stage.criteria.size();
    }
    ctx.out << args->positionals[0] << ": valid (" << pipeline->stages.size() << " stage"
            << (pipeline->stages.size() == 1 ? "" : "s") << ", "
            << pipeline->operation_names().size() << " operations, " << criteria
            << " criteria, executor " << pipeline->scenario.executor << ")\n";
    if (std::size_t relative = baseline_criteria(*pipeline).size(); relative > 0) {
        ctx.out << "note: " << relative << " baseline criteri" << (relative == 1 ? "on" : "a")
                << " (relative to an earlier run): stagegate run needs --baseline RESULTS.json\n";
    }
    return k_exit_pass;
}

int cmd_schema(Context& ctx, const std::vector<std::string>& rest) {
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        ctx.out << k_schema_help;
        return k_exit_pass;
    }
    std::string which = rest.empty() ? "pipeline" : rest[0];
    if (rest.size() > 1) {
        return invalid(ctx, "schema takes at most one name (pipeline, results, stage-result)");
    }
    if (which == "pipeline") {
        ctx.out << schemas::pipeline();
    } else if (which == "results") {
        ctx.out << schemas::results();
    } else if (which == "stage-result") {
        ctx.out << schemas::stage_result();
    } else {
        return invalid(ctx, "unknown schema \"" + which + "\" (pipeline, results, stage-result)");
    }
    return k_exit_pass;
}

int cmd_report(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help"}, {"--format", "--output"}, {}, {{"-h", "--help"}, {"-o", "--output"}}};
    auto args = parse_args(rest, spec, "report");
    if (!args) {
        return invalid(ctx, args.error().message);
    }
    if (args->has("--help")) {
        ctx.out << k_report_help;
        return k_exit_pass;
    }
    if (args->positionals.size() != 1) {
        return invalid(ctx, "report takes one results.json (see stagegate report --help)");
    }
    auto reporter = reporters().create(args->value("--format").value_or("md"));
    if (!reporter) {
        return invalid(ctx, reporter.error().message);
    }
    auto report = read_results(args->positionals[0]);
    if (!report) {
        return invalid(ctx, report.error().message);
    }
    std::string text = (*reporter)->render_redacted(*report);
    if (auto output = args->value("--output")) {
        if (auto ok = write_file_atomically(*output, text); !ok) {
            ctx.err << "stagegate: " << ok.error().message << "\n";
            return k_exit_error;
        }
        ctx.err << "stagegate: wrote " << *output << "\n";
    } else {
        ctx.out << text;
    }
    return k_exit_pass;
}

int cmd_compare(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help", "--all"}, {"--format"}, {}, {{"-h", "--help"}}};
    auto args = parse_args(rest, spec, "compare");
    if (!args) {
        return invalid(ctx, args.error().message);
    }
    if (args->has("--help")) {
        ctx.out << k_compare_help;
        return k_exit_pass;
    }
    if (args->positionals.size() != 2) {
        return invalid(ctx, "compare takes two results.json files (see stagegate compare --help)");
    }
    std::string format = args->value("--format").value_or("md");
    if (format != "md" && format != "json") {
        return invalid(ctx, "--format " + format + ": use md or json");
    }
    auto before = read_results(args->positionals[0]);
    if (!before) {
        return invalid(ctx, before.error().message);
    }
    auto after = read_results(args->positionals[1]);
    if (!after) {
        return invalid(ctx, after.error().message);
    }
    auto rows = compare_runs(*before, *after);
    bool all = args->has("--all");
    if (format == "json") {
        ctx.out << comparison_json(rows, all).dump(2) << "\n";
    } else {
        ctx.out << redact(comparison_markdown(*before, *after, rows, all));
    }
    return k_exit_pass;
}

int cmd_run(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help", "--no-progress"},
                 {"--out", "--from", "--baseline", "--threads", "--log-level"},
                 {"--only", "--set"},
                 {{"-h", "--help"}}};
    auto args = parse_args(rest, spec, "run");
    if (!args) {
        return invalid(ctx, args.error().message);
    }
    if (args->has("--help")) {
        ctx.out << k_run_help;
        return k_exit_pass;
    }
    if (args->positionals.size() != 1) {
        return invalid(ctx, "run takes one pipeline file (see stagegate run --help)");
    }
    auto level = parse_log_level(args->value("--log-level").value_or("info"));
    if (!level) {
        return invalid(ctx, level.error().message);
    }
    RunOptions options;
    if (auto threads = args->value("--threads")) {
        char* end = nullptr;
        long n = std::strtol(threads->c_str(), &end, 10);
        if (end == threads->c_str() || *end != '\0' || n < 1 || n > 256) {
            return invalid(ctx, "--threads " + *threads + ": use a whole number from 1 to 256");
        }
        options.threads = static_cast<int>(n);
    }
    const std::string& file = args->positionals[0];
    auto pipeline = load_pipeline(file, load_options(ctx, *args));
    if (!pipeline) {
        print_load_problems(ctx, pipeline.error());
        return k_exit_invalid;
    }
    if (auto ok = apply_baseline_option(*pipeline, args->value("--baseline")); !ok) {
        return invalid(ctx, ok.error().message);
    }
    options.only = args->all("--only");
    options.from = args->value("--from").value_or("");
    if (auto stages = select_stages(*pipeline, options); !stages) {
        return invalid(ctx, stages.error().message);
    }
    auto executor = executors().create(pipeline->scenario.executor, *pipeline);
    if (!executor) {
        return invalid(ctx, file + ": " + executor.error().message);
    }
    options.run_id = new_run_id();
    options.version = version();
    options.out_dir = args->value("--out").value_or("stagegate-out/" + options.run_id);
    if (auto ok = prepare_output_dir(options.out_dir); !ok) {
        ctx.err << "stagegate: " << shown_lines(ok.error().message) << "\n";
        return k_exit_error;
    }
    setup_logging(options.out_dir / "stagegate.log", *level);
    spdlog::info("stagegate {} run {} of {}", version(), options.run_id, file);

    std::vector<std::unique_ptr<Reporter>> owned;
    std::vector<const Reporter*> writers;
    for (const auto& format : {"json", "md", "junit", "html"}) {
        if (auto reporter = reporters().create(format)) {
            writers.push_back(reporter->get());
            owned.push_back(std::move(*reporter));
        }
    }
    bool color = ctx.stdout_is_tty && !ctx.getenv("NO_COLOR");
    ProgressMode progress = args->has("--no-progress") ? ProgressMode::off
                            : ctx.stdout_is_tty        ? ProgressMode::redraw
                                                       : ProgressMode::periodic;
    ConsoleListener console(ctx.out, progress, color);
    ctx.out << "stagegate: run " << options.run_id << " of \"" << shown(pipeline->name)
            << "\", output in " << options.out_dir.string() << std::endl;

    SignalScope signals;
    SubreaperScope subreaper;
    options.interrupts = &g_interrupts;
    options.backend_pid = &g_backend_pid;
    RunReport report = run_pipeline(*pipeline, **executor, writers, options, console);

    print_summary(ctx.out, report, color);
    ctx.out << "reports: " << options.out_dir.string() << "/report.md (also report.html, "
            << "results.json, junit.xml)\n";
    std::string summary;
    if (auto md = reporters().create("md")) {
        summary = (*md)->render_redacted(report);
    }
    std::string warning = publish_to_github(
        report, summary, (options.out_dir / "results.json").string(), ctx.out, ctx.getenv);
    if (!warning.empty()) {
        ctx.err << "stagegate: warning: " << shown(warning) << "\n";
    }
    spdlog::info("verdict {} (exit {})", to_string(report.verdict), report.exit_code);
    spdlog::default_logger()->flush();
    return report.exit_code;
}

}  // namespace

const char* version() {
    return STAGEGATE_VERSION;
}

int run(Context& ctx) {
    if (ctx.args.empty()) {
        ctx.err << k_usage;
        return k_exit_invalid;
    }
    const std::string& verb = ctx.args[0];
    std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
    try {
        if (verb == "--help" || verb == "-h" || verb == "help") {
            ctx.out << k_usage;
            return k_exit_pass;
        }
        if (verb == "--version" || verb == "version") {
            ctx.out << "stagegate " << version() << "\n";
            return k_exit_pass;
        }
        if (verb == "run") {
            return cmd_run(ctx, rest);
        }
        if (verb == "validate") {
            return cmd_validate(ctx, rest);
        }
        if (verb == "report") {
            return cmd_report(ctx, rest);
        }
        if (verb == "compare") {
            return cmd_compare(ctx, rest);
        }
        if (verb == "schema") {
            return cmd_schema(ctx, rest);
        }
    } catch (const std::exception& e) {
        // Nothing below cli/ should throw; if something does, say so instead of aborting.
        ctx.err << "stagegate: internal error: " << shown_lines(e.what()) << "\n";
        return k_exit_error;
    }
    std::vector<std::string> verbs{"run", "validate", "report", "compare", "schema"};
    std::string message = "unknown command \"" + verb + "\"";
    std::string suggestion = closest_match(verb, verbs);
    if (!suggestion.empty()) {
        message += " (did you mean \"" + suggestion + "\"?)";
    } else {
        message += " (commands: run, validate, report, compare, schema; see stagegate --help)";
    }
    return invalid(ctx, message);
}

}  // namespace orch::cli
