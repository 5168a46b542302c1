// Verb dispatch and the verbs themselves. Each verb: parse its arguments, do its one job,
// return an exit code from core/exit_code.hpp. Errors below this layer arrive as Result.
#include "cli/cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/builtin_plugins.hpp"
#include "cli/compare.hpp"
#include "cli/completion.hpp"
#include "cli/console.hpp"
#include "cli/github.hpp"
#include "cli/logging.hpp"
#include "cli/man_page.hpp"
#include "cli/render_command.hpp"
#include "cli/serve_verb.hpp"
#include "cli/terminal.hpp"
#include "cli/verb_args.hpp"
#include "config/loader.hpp"
#include "config/sha256.hpp"
#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/did_you_mean.hpp"
#include "core/exit_code.hpp"
#include "core/open_files.hpp"
#include "core/redact.hpp"
#include "core/schemas.hpp"
#include "core/segment.hpp"
#include "pipeline/baseline.hpp"
#include "pipeline/output_lock.hpp"
#include "pipeline/part_merge.hpp"
#include "pipeline/runner.hpp"

#ifndef STAGEGATE_VERSION
#define STAGEGATE_VERSION "0.0.0-dev"
#endif

namespace orch::cli {

namespace {

// --- Signals: the first SIGINT/SIGTERM asks the run to stop and report; the second kills
// the backend's process group and exits at once. The handler also writes a byte to
// g_interrupt_pipe, which wakes the runner's InterruptRelay (no thread polls the counter).
std::atomic<int> g_interrupts{0};
std::atomic<int> g_backend_pid{0};
int g_interrupt_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
    int count = g_interrupts.fetch_add(1) + 1;
    if (g_interrupt_pipe[1] >= 0) {
        const int saved_errno = errno;
        char byte = 1;
        [[maybe_unused]] auto written = ::write(g_interrupt_pipe[1], &byte, 1);
        errno = saved_errno;
    }
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
        // Non-blocking: a handler never waits on a full pipe (one byte is enough to wake).
        if (::pipe2(g_interrupt_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
            g_interrupt_pipe[0] = g_interrupt_pipe[1] = -1;
        }
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &m_old_int);
        ::sigaction(SIGTERM, &action, &m_old_term);
        // A closed stdout (`stagegate run P | head`) must not kill the run before it writes
        // its reports: writes to it then just fail. The backend gets SIGPIPE back (spawn
        // resets every signal).
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        ::sigaction(SIGPIPE, &ignore, &m_old_pipe);
    }
    ~SignalScope() {
        ::sigaction(SIGINT, &m_old_int, nullptr);
        ::sigaction(SIGTERM, &m_old_term, nullptr);
        ::sigaction(SIGPIPE, &m_old_pipe, nullptr);
        for (int& fd : g_interrupt_pipe) {
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
        }
    }
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;

  private:
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
    struct sigaction m_old_pipe {};
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

// @REPORT_FORMATS@: the registered report formats (cli/builtin_plugins.def), see usage().
constexpr const char* k_usage = R"(stagegate: staged load tests as one trustworthy command

Usage:
  stagegate run PIPELINE.yaml [options]     run the pipeline, judge every stage, write reports
  stagegate validate PIPELINE.yaml          parse and check; print problems; run nothing
  stagegate report RESULTS.json [--format @REPORT_FORMATS@]
                  [-o FILE]
  stagegate compare BEFORE.json AFTER.json [--format md|json] [--all]
  stagegate merge PART.json... --out DIR [--allow-missing]
                                            add up the parts of a segmented run, judge, report
  stagegate schema [pipeline|results|stage-result]
  stagegate serve --pipelines DIR --token-file F [--listen 127.0.0.1:8686] [--out DIR]
                  [--max-queued N]          HTTP service running pipelines for rollouts
  stagegate render k8s|github PIPELINE.yaml --parallelism N [--image IMAGE] [--results-claim PVC]
                                            print a Kubernetes Job / GitHub workflow that runs
                                            it as N segments and merges them
  stagegate completion bash|zsh|fish        print a shell completion script
  stagegate help [VERB]                     this text, or a verb's help (as VERB --help)
  stagegate --version | --help              (and --help on every verb)

Exit codes: 0 PASS, 1 FAIL, 2 INVALID, 3 ERROR, 4 INCONCLUSIVE, 130 INTERRUPTED.
)";

/// k_usage with the registered report formats in the synopsis of `stagegate report`.
std::string usage() {
    return with_report_formats(k_usage, "|");
}

constexpr const char* k_run_help = R"(Usage: stagegate run PIPELINE.yaml [options]

Launches the backend (unless the pipeline has no `backend:`), waits until it is healthy,
runs each stage with cooldowns and health checks, judges it against its criteria and moves
on only when it passes. Writes report.md, report.html, results.json, junit.xml,
backend.log and stagegate.log into the output folder.

Options:
  --out DIR               output folder (default stagegate-out/<run-id>/)
  --only STAGE            run only this stage (repeatable)
  --from STAGE            start at this stage
  --set KEY.PATH=VALUE    override a pipeline value, e.g. --set stages.smoke.vus=2,
                          --set defaults.cooldown=1s (repeatable)
  --time-scale F          multiply every stage's duration, ramps and cooldown by F
                          (0.1: a run ten times shorter, same shape; think time and
                          timeouts stay as written)
  --baseline RESULTS.json judge baseline criteria (send.p95 < baseline + 10%) against
                          the matching stage of an earlier run's results.json
  --threads N             load generator threads (default: number of cores)
  --segment I/N           run only segment I (0 to N-1) of every stage: every N-th VU
                          (closed model) or arrival (open model), numbered as in the whole
                          run; results.json keeps a lossless part for `stagegate merge`
  --start-at TIME         start stage 1 at TIME (RFC 3339, e.g. 2026-12-03T10:15:00Z) and
                          each later stage at its planned time, so segments run in step; a
                          segment more than 1 s late says so (the merge is INCONCLUSIVE)
  --no-backend            do not launch `backend:` (another segment owns it): attach to the
                          target, with the pipeline's health checks
  --no-progress           no live progress lines
  --strict                refuse (exit 2) a stage without a fail criterion, which could
                          only PASS (without it such a stage is reported as "no gate")
  --                      end of options: what follows is the pipeline file
  --log-level LEVEL       trace|debug|info|warn|error (default info) for stagegate.log
)";

constexpr const char* k_validate_help =
    R"(Usage: stagegate validate PIPELINE.yaml [--set KEY.PATH=VALUE]... [--time-scale F]

Parses and checks the pipeline and prints every problem as file:line:column: path: message
(in a GitHub job also as annotations at those places, the step summary and verdict=INVALID).
Runs nothing, starts nothing, writes nothing. Exit 0 when valid, 2 when not.
)";

constexpr const char* k_report_help =
    R"(Usage: stagegate report RESULTS.json [--format FORMAT] [-o FILE]

Re-renders a report from a results.json (default format md, to standard output).
Formats:
@REPORT_FORMAT_LIST@)";

constexpr const char* k_compare_help =
    R"(Usage: stagegate compare BEFORE.json AFTER.json [--format md|json] [--all]

Prints the before-vs-after tables (metric, before, after, change with units, better/worse)
for every stage that ran in both runs, for its totals and per operation. Changes within
noise are left out: latency that moved less than 5% or less than 0.2 ms, any other metric
less than 1%. --all shows them too (marked "within noise"). Exit 0.
)";

constexpr const char* k_merge_help =
    R"(Usage: stagegate merge PART.json... --out DIR [--allow-missing]

Adds up the results.json parts that `stagegate run P --segment I/N` wrote (one per segment):
counts add, latency histograms merge bucket for bucket (percentiles as if one process had
measured everything), per-second series add by wall-clock second, backend figures come from
the segment that launched the backend. Then every stage's criteria are judged on the merged
stage and report.md, report.html, results.json and junit.xml are written into DIR, with the
exit code of one run. INVALID (exit 2, the file named): parts of different pipelines (file,
--set, --time-scale), a duplicate or missing segment, a corrupt histogram, another results
version. --allow-missing judges without a missing segment: the result is INCONCLUSIVE.
)";

constexpr const char* k_schema_help = R"(Usage: stagegate schema [pipeline|results|stage-result]

Prints a JSON Schema: of the pipeline file (default), of results.json, or of the stage
result file the `command` executor reads.
)";

constexpr const char* k_completion_help = R"(Usage: stagegate completion bash|zsh|fish

Prints the shell completion script: verbs, options, --format values, pipeline files
(*.yaml, *.yml) for run and validate, results files (*.json) for report and compare.
  bash: source <(stagegate completion bash)
  zsh:  stagegate completion zsh > "${fpath[1]}/_stagegate"
  fish: stagegate completion fish > ~/.config/fish/completions/stagegate.fish
The Debian package installs all three.
)";

constexpr const char* k_help_help = R"(Usage: stagegate help [VERB] | stagegate help --man

Prints the overview, or the help of VERB (the same text as stagegate VERB --help).
--man prints the manual page stagegate(1) in roff, built from these texts.
)";

/// k_report_help with the registered formats, each with its reporter's summary.
std::string_view report_help() {
    static const std::string text = with_report_format_list(k_report_help);
    return text;
}

/// Every verb and its help text, in the order of the overview.
const std::vector<std::pair<std::string_view, std::string_view>>& verb_helps() {
    static const std::vector<std::pair<std::string_view, std::string_view>> helps{
        {"run", k_run_help},
        {"validate", k_validate_help},
        {"report", report_help()},
        {"compare", k_compare_help},
        {"merge", k_merge_help},
        {"schema", k_schema_help},
        {"serve", k_serve_help},
        {"render", k_render_help},
        {"completion", k_completion_help},
        {"help", k_help_help}};
    return helps;
}

std::vector<std::string> verb_names() {
    std::vector<std::string> names;
    for (const auto& [name, help] : verb_helps()) {
        names.emplace_back(name);
    }
    return names;
}

std::string new_run_id() {
    std::random_device rd;
    return fmt::format("{}-{:04x}", compact_utc(std::chrono::system_clock::now()),
                       static_cast<unsigned>(rd() & 0xffff));
}

/// Sets `field` to `parse` of option `name`'s value when the option is given; the parser's
/// error when the value does not parse.
template <class Parse, class Field>
Result<void> parse_option(const ParsedArgs& args, const std::string& name, Parse parse,
                          Field& field) {
    if (auto text = args.value(name)) {
        auto value = parse(*text);
        if (!value) {
            return tl::unexpected(value.error());
        }
        field = *value;
    }
    return {};
}

Result<LoadOptions> load_options(Context& ctx, const ParsedArgs& args) {
    LoadOptions options;
    options.executors = &executors().sections();
    options.overrides = args.all("--set");
    options.getenv = ctx.getenv;
    ORCH_TRY(parse_option(args, "--time-scale", parse_time_scale, options.time_scale));
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

/// An INVALID `run`: besides the message on stderr (already printed), with `--out DIR`
/// junit.xml in DIR with one failing testcase per problem (without --out the folder's name
/// would be new each run, so no CI job could collect it: nothing is written), and for
/// GitHub the step summary, `verdict=INVALID` and one annotation per problem at its place.
int invalid_run(Context& ctx, const ParsedArgs& args, const std::vector<InvalidProblem>& problems) {
    if (auto out_dir = args.value("--out")) {
        std::error_code ec;
        std::filesystem::create_directories(*out_dir, ec);
        std::filesystem::path junit = std::filesystem::path(*out_dir) / "junit.xml";
        if (auto ok = write_file_atomically(junit, invalid_junit(problems)); ok) {
            ctx.err << "stagegate: the problems are also in " << shown(junit.string()) << "\n";
        } else {
            ctx.err << "stagegate: warning: " << shown(ok.error().message) << "\n";
        }
    }
    if (std::string warning = publish_invalid_to_github(problems, ctx.out, ctx.getenv);
        !warning.empty()) {
        ctx.err << "stagegate: warning: " << shown(warning) << "\n";
    }
    return k_exit_invalid;
}

/// As `invalid`, for a problem of `run` found after the command line was read.
int invalid_run(Context& ctx, const ParsedArgs& args, const std::string& message,
                InvalidProblem problem = {}) {
    invalid(ctx, message);
    problem.message = message;
    return invalid_run(ctx, args, std::vector<InvalidProblem>{problem});
}

std::vector<InvalidProblem> invalid_problems(const LoadFailure& failure) {
    std::vector<InvalidProblem> problems;
    for (const auto& diagnostic : failure.problems) {
        InvalidProblem problem;
        bool in_file = diagnostic.file != "--set";
        problem.file = in_file ? diagnostic.file : std::string();
        problem.line = in_file ? diagnostic.pos.line : 0;
        problem.column = in_file ? diagnostic.pos.column : 0;
        problem.message = (in_file ? std::string() : diagnostic.file + ": ") +
                          (diagnostic.path.empty() ? std::string() : diagnostic.path + ": ") +
                          diagnostic.message;
        problems.push_back(std::move(problem));
    }
    return problems;
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
    ArgSpec spec{{"--help"}, {"--time-scale"}, {"--set"}, {{"-h", "--help"}}};
    auto args = verb_args(ctx, rest, spec, "validate", k_validate_help);
    if (!args) {
        return args.error();
    }
    if (args->positionals.size() != 1) {
        return invalid(ctx, "validate takes one pipeline file (see stagegate validate --help)");
    }
    auto loading = load_options(ctx, *args);
    if (!loading) {
        return invalid(ctx, loading.error().message);
    }
    auto pipeline = load_pipeline_diagnostics(args->positionals[0], *loading);
    if (!pipeline) {
        print_load_problems(ctx, to_error(pipeline.error(), args->positionals[0]));
        // In a GitHub job: the summary, verdict=INVALID and an annotation per problem.
        if (std::string warning =
                publish_invalid_to_github(invalid_problems(pipeline.error()), ctx.out, ctx.getenv);
            !warning.empty()) {
            ctx.err << "stagegate: warning: " << shown(warning) << "\n";
        }
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

int cmd_completion(Context& ctx, const std::vector<std::string>& rest) {
    if (!rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        ctx.out << k_completion_help;
        return k_exit_pass;
    }
    if (rest.size() != 1) {
        return invalid(ctx, "completion takes one shell name: bash, zsh or fish");
    }
    auto script = completion_script(rest[0]);
    if (!script) {
        return invalid(ctx, "no completion for \"" + rest[0] + "\" (bash, zsh, fish)");
    }
    ctx.out << *script;
    return k_exit_pass;
}

int cmd_help(Context& ctx, const std::vector<std::string>& rest) {
    if (rest.empty()) {
        ctx.out << usage();
        return k_exit_pass;
    }
    if (rest.size() != 1) {
        return invalid(ctx, "help takes one verb (see stagegate help)");
    }
    if (rest[0] == "--man") {
        ctx.out << man_page(version(), usage(), verb_helps());
        return k_exit_pass;
    }
    if (rest[0] == "--help" || rest[0] == "-h") {
        ctx.out << k_help_help;
        return k_exit_pass;
    }
    for (const auto& [name, help] : verb_helps()) {
        if (name == rest[0]) {
            ctx.out << help;
            return k_exit_pass;
        }
    }
    return invalid(ctx, "no help for \"" + rest[0] + "\"" + did_you_mean(rest[0], verb_names()) +
                            "; verbs: run, validate, report, compare, merge, schema, serve, "
                            "render, completion, help");
}

int cmd_report(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help"}, {"--format", "--output"}, {}, {{"-h", "--help"}, {"-o", "--output"}}};
    auto args = verb_args(ctx, rest, spec, "report", report_help());
    if (!args) {
        return args.error();
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
    auto args = verb_args(ctx, rest, spec, "compare", k_compare_help);
    if (!args) {
        return args.error();
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

/// --segment and --start-at as given (checked before the pipeline is read: exit 2).
struct SegmentOptions {
    std::optional<Segment> segment;
    std::optional<std::int64_t> start_at_ns;
};

Result<SegmentOptions> segment_options(const ParsedArgs& args) {
    SegmentOptions options;
    ORCH_TRY(parse_option(args, "--segment", parse_segment, options.segment));
    ORCH_TRY(parse_option(args, "--start-at", parse_rfc3339, options.start_at_ns));
    return options;
}

/// --segment, --start-at and --no-backend on a loaded pipeline: the part's identity (the
/// hash covers the file, every --set and --time-scale, so parts of differently overridden
/// runs do not merge) and, with --no-backend, attach mode (no launch; health as the
/// pipeline asks).
Result<void> apply_segment_options(Pipeline& pipeline, const ParsedArgs& args,
                                   const SegmentOptions& segmenting, RunOptions& options) {
    options.start_at_ns = segmenting.start_at_ns;
    bool no_backend = args.has("--no-backend");
    if (no_backend) {
        pipeline.backend.reset();
    }
    if (!segmenting.segment) {
        return {};
    }
    std::vector<std::string> splitting;
    bool splits = false;
    for (const auto& section : executors().sections()) {
        if (section.splits_stages) {
            splitting.push_back(section.name);
            splits = splits || section.name == pipeline.scenario.executor;
        }
    }
    if (!splits) {
        return fail(ErrorCode::invalid_input,
                    "--segment: the " + pipeline.scenario.executor +
                        " executor does not split a stage (executors that do: " +
                        join_names(splitting) + ")");
    }
    PartInfo info;
    info.segment = *segmenting.segment;
    std::string identity = pipeline.sha256;
    for (const auto& set : args.all("--set")) {
        identity += "\n--set " + set;
    }
    identity += fmt::format("\n--time-scale {:.17g}", pipeline.time_scale);
    info.pipeline_hash = sha256_hex(identity);
    info.start_at = args.value("--start-at").value_or("");
    info.owns_backend = pipeline.backend.has_value();
    options.part = std::move(info);
    return {};
}

int cmd_merge(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help", "--allow-missing", "--no-progress"}, {"--out"}, {}, {{"-h", "--help"}}};
    auto args = verb_args(ctx, rest, spec, "merge", k_merge_help);
    if (!args) {
        return args.error();
    }
    if (args->positionals.empty()) {
        return invalid(ctx,
                       "merge takes the parts' results.json files (see stagegate merge --help)");
    }
    auto out = args->value("--out");
    if (!out) {
        return invalid(ctx, "merge needs --out DIR for the merged reports");
    }
    std::vector<PartFile> parts;
    for (const auto& path : args->positionals) {
        auto report = read_results(path);
        if (!report) {
            return invalid(ctx, report.error().message);
        }
        parts.push_back(PartFile{path, std::move(*report)});
    }
    MergeOptions options;
    options.allow_missing = args->has("--allow-missing");
    options.run_id = new_run_id();
    options.version = version();
    auto merged = merge_parts(parts, options);
    if (!merged) {
        return invalid(ctx, merged.error().message);
    }
    if (auto ok = prepare_output_dir(*out); !ok) {
        ctx.err << "stagegate: " << shown_lines(ok.error().message) << "\n";
        return k_exit_error;
    }
    for (const auto& format : {"json", "md", "junit", "html"}) {
        auto reporter = reporters().create(format);
        if (!reporter) {
            continue;
        }
        if (auto ok = (*reporter)->write_to(*out, *merged); !ok) {
            ctx.err << "stagegate: " << shown_lines(ok.error().message) << "\n";
            return k_exit_error;
        }
    }
    TerminalStyle style = terminal_style(ctx.stdout_is_tty, ctx.getenv);
    print_summary(ctx.out, *merged, style.color);
    ctx.out << "reports: " << *out << "/report.md (also report.html, results.json, junit.xml)\n";
    return merged->exit_code;
}

int cmd_run(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help", "--no-progress", "--strict", "--no-backend"},
                 {"--out", "--from", "--baseline", "--threads", "--log-level", "--time-scale",
                  "--segment", "--start-at"},
                 {"--only", "--set"},
                 {{"-h", "--help"}}};
    auto args = verb_args(ctx, rest, spec, "run", k_run_help);
    if (!args) {
        return args.error();
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
    auto segmenting = segment_options(*args);
    if (!segmenting) {
        return invalid(ctx, segmenting.error().message);
    }
    auto loading = load_options(ctx, *args);
    if (!loading) {
        return invalid_run(ctx, *args, loading.error().message);
    }
    auto pipeline = load_pipeline_diagnostics(file, *loading);
    if (!pipeline) {
        print_load_problems(ctx, to_error(pipeline.error(), file));
        return invalid_run(ctx, *args, invalid_problems(pipeline.error()));
    }
    if (auto ok = apply_segment_options(*pipeline, *args, *segmenting, options); !ok) {
        return invalid_run(ctx, *args, file + ": " + ok.error().message);
    }
    if (auto ok = apply_baseline_option(*pipeline, args->value("--baseline")); !ok) {
        InvalidProblem where;
        if (auto relative = baseline_criteria(*pipeline);
            !relative.empty() && !args->value("--baseline")) {
            where = {file, relative.front()->pos.line, relative.front()->pos.column, ""};
        }
        return invalid_run(ctx, *args, ok.error().message, where);
    }
    options.only = args->all("--only");
    options.from = args->value("--from").value_or("");
    auto stages = select_stages(*pipeline, options);
    if (!stages) {
        return invalid_run(ctx, *args, stages.error().message);
    }
    if (args->has("--strict")) {
        std::vector<std::string> ungated_names;
        for (const StageSpec* stage : *stages) {
            if (std::none_of(stage->criteria.begin(), stage->criteria.end(), [](const auto& c) {
                    return c.criterion.severity == Severity::fail;
                })) {
                ungated_names.push_back(stage->name);
            }
        }
        const std::string ungated = join_names(ungated_names);
        if (!ungated.empty()) {
            return invalid_run(ctx, *args,
                               file + ": --strict: no fail criterion in stage " + ungated +
                                   ": nothing could fail it (add criteria to the stage or to "
                                   "defaults.criteria)");
        }
    }
    auto executor = executors().create(pipeline->scenario.executor, *pipeline);
    if (!executor) {
        return invalid_run(ctx, *args, file + ": " + executor.error().message,
                           InvalidProblem{file, 0, 0, ""});
    }
    options.run_id = new_run_id();
    options.version = version();
    options.out_dir = args->value("--out").value_or("stagegate-out/" + options.run_id);
    if (auto ok = prepare_output_dir(options.out_dir); !ok) {
        ctx.err << "stagegate: " << shown_lines(ok.error().message) << "\n";
        return k_exit_error;
    }
    // Held until the run returns: a second run into this folder fails at once, and what an
    // earlier run left here goes before anything of this run is written.
    auto out_lock = OutputLock::acquire(options.out_dir);
    if (!out_lock) {
        ctx.err << "stagegate: " << shown_lines(out_lock.error().message) << "\n";
        return k_exit_error;
    }
    if (auto ok = clear_previous_outputs(options.out_dir); !ok) {
        ctx.err << "stagegate: " << shown_lines(ok.error().message) << "\n";
        return k_exit_error;
    }
    setup_logging(options.out_dir / "stagegate.log", *level);
    spdlog::info("stagegate {} run {} of {}", version(), options.run_id, file);
    // Every connection of a stage is a descriptor: take all the room the hard limit gives.
    OpenFiles files = raise_open_files_limit();
    spdlog::info("open-files limit {} (hard limit {}), {} in use", files.soft, files.hard,
                 files.in_use);

    std::vector<std::unique_ptr<Reporter>> owned;
    std::vector<const Reporter*> writers;
    for (const auto& format : {"json", "md", "junit", "html"}) {
        if (auto reporter = reporters().create(format)) {
            writers.push_back(reporter->get());
            owned.push_back(std::move(*reporter));
        }
    }
    TerminalStyle style = terminal_style(ctx.stdout_is_tty, ctx.getenv);
    bool color = style.color;
    ProgressMode progress = args->has("--no-progress") ? ProgressMode::off
                            : style.redraw             ? ProgressMode::redraw
                                                       : ProgressMode::periodic;
    ConsoleListener console(ctx.out, progress, color);
    console.group_stages(ctx.getenv("GITHUB_ACTIONS").value_or("") == "true");
    ctx.out << "stagegate: run " << options.run_id << " of \"" << shown(pipeline->name)
            << "\", output in " << options.out_dir.string() << std::endl;

    SignalScope signals;
    SubreaperScope subreaper;
    options.interrupts = &g_interrupts;
    options.interrupt_fd = g_interrupt_pipe[0];
    options.backend_pid = &g_backend_pid;
    options.make_executor = [](const Pipeline& stage_pipeline) {
        return executors().create(stage_pipeline.scenario.executor, stage_pipeline);
    };
    RunReport report = run_pipeline(*pipeline, **executor, writers, options, console);

    print_summary(ctx.out, report, color);
    ctx.out << "reports: " << options.out_dir.string() << "/report.md (also report.html, "
            << "results.json, junit.xml)\n";
    std::string summary;
    if (auto md = reporters().create("md")) {
        summary = (*md)->render_redacted(report);
    }
    auto stage_line = [&](const std::string& name) {
        for (const auto& stage : pipeline->stages) {
            if (stage.name == name) {
                return std::pair<int, int>{stage.pos.line, stage.pos.column};
            }
        }
        return std::pair<int, int>{0, 0};
    };
    std::string warning =
        publish_to_github(report, summary, (options.out_dir / "results.json").string(), ctx.out,
                          ctx.getenv, stage_line);
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
        ctx.err << usage();
        return k_exit_invalid;
    }
    const std::string& verb = ctx.args[0];
    std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
    try {
        if (verb == "--help" || verb == "-h") {
            ctx.out << usage();
            return k_exit_pass;
        }
        using Command = int (*)(Context&, const std::vector<std::string>&);
        static constexpr std::pair<std::string_view, Command> k_commands[] = {
            {"help", cmd_help},         {"completion", cmd_completion}, {"run", cmd_run},
            {"validate", cmd_validate}, {"report", cmd_report},         {"merge", cmd_merge},
            {"compare", cmd_compare},   {"schema", cmd_schema},         {"serve", cmd_serve},
            {"render", cmd_render},
        };
        if (verb == "--version" || verb == "version") {
            ctx.out << "stagegate " << version() << "\n";
            return k_exit_pass;
        }
        for (const auto& [name, command] : k_commands) {
            if (verb == name) {
                return command(ctx, rest);
            }
        }
    } catch (const std::exception& e) {
        // Nothing below cli/ should throw; if something does, say so instead of aborting.
        ctx.err << "stagegate: internal error: " << shown_lines(e.what()) << "\n";
        return k_exit_error;
    }
    return invalid(
        ctx, "unknown command \"" + verb + "\"" +
                 did_you_mean(verb, verb_names(),
                              "commands: run, validate, report, compare, merge, schema, serve, "
                              "render, completion, help; see stagegate --help"));
}

}  // namespace orch::cli
