#include "cli/render_command.hpp"

#include <chrono>
#include <ostream>

#include "cli/args.hpp"
#include "cli/console.hpp"
#include "cli/verb_args.hpp"
#include "config/loader.hpp"
#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "core/did_you_mean.hpp"
#include "core/exit_code.hpp"
#include "render/render.hpp"

namespace orch::cli {

const char* const k_render_help =
    R"(Usage: stagegate render k8s PIPELINE.yaml --parallelism N --image IMAGE --results-claim PVC
       stagegate render github PIPELINE.yaml --parallelism N [--image IMAGE]

Prints what runs the pipeline as N segments (`stagegate run --segment I/N --start-at T
--no-backend`) and merges the parts (`stagegate merge`) into one verdict:
  k8s     a ConfigMap with the pipeline, an Indexed Job (completions = parallelism = N)
          whose pods write their parts to the claim, and a merge Job that waits for the
          N parts (bounded) and runs stagegate merge; the merge Job's outcome is the gate.
          The claim must be ReadWriteMany (every pod writes to it). The first pod fixes
          the start time for all: its clock + --lead (default 60 s).
  github  a workflow: a plan job fixes the start (its clock + --lead, default 180 s), a
          matrix job runs one segment each with the stagegate action and uploads it as
          the artifact part-I, a merge job (in --image, default ghcr.io/stagegate/stagegate)
          downloads them, runs stagegate merge and fails the workflow unless PASS.
Every segment runs with --no-backend: the target must be a service every pod or runner
reaches. The pipeline is checked first; an invalid one is INVALID (exit 2).

Options:
  --parallelism N      segments, 1 to 256
  --image IMAGE        container image with stagegate as its entrypoint
  --results-claim PVC  k8s: the PersistentVolumeClaim that holds parts and reports
  --lead SECONDS       how far ahead of the first pod's (plan job's) clock the start is
)";

namespace {

std::optional<int> whole_number(const std::string& text, int low, int high) {
    char* end = nullptr;
    long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || end == text.c_str() || *end != '\0' || n < low || n > high) {
        return std::nullopt;
    }
    return static_cast<int>(n);
}

}  // namespace

int cmd_render(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help"},
                 {"--parallelism", "--image", "--results-claim", "--lead"},
                 {},
                 {{"-h", "--help"}}};
    auto args = verb_args(ctx, rest, spec, "render", k_render_help);
    if (!args) {
        return args.error();
    }
    if (args->positionals.size() != 2) {
        return invalid(ctx,
                       "render takes a target (k8s or github) and one pipeline file (see "
                       "stagegate render --help)");
    }
    const std::string& target = args->positionals[0];
    if (target != "k8s" && target != "github") {
        return invalid(ctx, "render " + target + ": unknown target; use k8s or github" +
                                did_you_mean(target, {"k8s", "github"}));
    }
    auto n_text = args->value("--parallelism");
    if (!n_text) {
        return invalid(ctx, "render " + target + " needs --parallelism N (1 to 256 segments)");
    }
    auto n = whole_number(*n_text, 1, 256);
    if (!n) {
        return invalid(ctx, "--parallelism " + *n_text + ": use a whole number from 1 to 256");
    }
    std::optional<int> lead;
    if (auto text = args->value("--lead")) {
        lead = whole_number(*text, 0, 86400);
        if (!lead) {
            return invalid(ctx, "--lead " + *text + ": use whole seconds from 0 to 86400");
        }
    }
    if (target == "k8s" && !args->value("--image")) {
        return invalid(ctx,
                       "render k8s needs --image IMAGE: the container image the pods run "
                       "(stagegate as its entrypoint, e.g. ghcr.io/stagegate/stagegate)");
    }
    if (target == "github" && args->value("--results-claim")) {
        return invalid(ctx,
                       "--results-claim is for render k8s; a workflow keeps its parts as "
                       "artifacts");
    }

    const std::filesystem::path file = args->positionals[1];
    auto text = read_file(file);
    if (!text) {
        return invalid(ctx, file.string() + ": cannot read the pipeline file (check the path)");
    }
    LoadOptions options;
    options.getenv = ctx.getenv;
    auto pipeline = load_pipeline_diagnostics(file, options);
    if (!pipeline) {
        for (const auto& problem : pipeline.error().problems) {
            ctx.err << shown_lines(problem.format()) << "\n";
        }
        return invalid(ctx, file.string() + ": the pipeline is not valid (" +
                                std::to_string(pipeline.error().problems.size()) +
                                " problem(s)); nothing was rendered");
    }

    RenderInput input;
    input.pipeline = &*pipeline;
    input.pipeline_text = std::move(*text);
    input.file = file;
    input.parallelism = *n;
    input.run_id = compact_utc(std::chrono::system_clock::now());
    for (char& c : input.run_id) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    Result<std::string> rendered;
    if (target == "k8s") {
        K8sOptions k8s;
        k8s.image = *args->value("--image");
        k8s.results_claim = args->value("--results-claim").value_or("");
        k8s.lead_s = lead.value_or(k8s.lead_s);
        rendered = render_k8s(input, k8s);
    } else {
        GithubOptions github;
        github.image = args->value("--image").value_or(github.image);
        github.lead_s = lead.value_or(github.lead_s);
        rendered = render_github(input, github);
    }
    if (!rendered) {
        return invalid(ctx, rendered.error().message);
    }
    if (pipeline->backend) {
        ctx.err << "stagegate: note: the pipeline launches a backend; every segment runs with "
                   "--no-backend, so "
                << pipeline->target.base_url << " must already serve and be reachable from "
                << (target == "k8s" ? "every pod" : "every runner") << "\n";
    }
    ctx.out << *rendered;
    return k_exit_pass;
}

}  // namespace orch::cli
