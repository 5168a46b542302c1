#include "cli/serve_verb.hpp"

#include <ostream>

#include "cli/args.hpp"
#include "cli/verb_args.hpp"
#include "core/atomic_file.hpp"
#include "core/exit_code.hpp"
#include "serve/server.hpp"

namespace orch::cli {

const char* const k_serve_help =
    R"(Usage: stagegate serve --pipelines DIR --token-file FILE [--listen ADDR:PORT] [--out DIR]
                       [--max-queued N]

A small HTTP service that runs the pipelines of one folder for rollout controllers (Argo
Rollouts' web provider, Flagger webhooks, scripts). Each run is `stagegate run DIR/NAME.yaml
--out OUT/runs/ID` in its own process group, one run at a time; the rest wait in a queue.
Every request needs Authorization: Bearer TOKEN (Flagger: metadata.token).

  POST /runs {"pipeline": NAME, "set": {KEY.PATH: VALUE}}   202 {id, ...}; 409 while NAME
                                       runs or waits; 429 when the queue is full
  GET  /runs/ID                        state and verdict
  GET  /runs/ID/results.json           GET /runs/ID/report.html
  GET  /pipelines/NAME/verdict         always 200 {"verdict": PASS|FAIL|ERROR|INCONCLUSIVE|
                                       RUNNING, "exit_code", "run"} (INCONCLUSIVE: no run yet)
  POST /flagger/NAME[/HOOK]            Flagger webhooks (README "Flagger" for the table)

`set` may not touch backend, hooks, executor, command, script, binary, env or
extra_args (400); bodies over 64 KiB are 413.

Options:
  --pipelines DIR      the only folder runs come from (NAME is DIR/NAME.yaml)
  --token-file FILE    the bearer token (the file's first line; at least 16 characters)
  --listen ADDR:PORT   default 127.0.0.1:8686 (loopback; a warning for any other address)
  --out DIR            where runs write (default stagegate-serve/): OUT/runs/ID/,
                       OUT/flagger.jsonl (the webhooks received, without tokens)
  --max-queued N       runs that may wait while one runs (default 4); more are 429

SIGTERM or SIGINT: stops taking requests, sends SIGTERM to the running pipeline (which stops
its backend and writes its reports), waits for it, exits 0. A second signal is passed on to
the run, which then ends at once.
)";

int cmd_serve(Context& ctx, const std::vector<std::string>& rest) {
    ArgSpec spec{{"--help"},
                 {"--listen", "--pipelines", "--token-file", "--out", "--max-queued"},
                 {},
                 {{"-h", "--help"}}};
    auto args = verb_args(ctx, rest, spec, "serve", k_serve_help);
    if (!args) {
        return args.error();
    }
    auto invalid = [&](const std::string& message) {
        ctx.err << "stagegate: " << message << "\n";
        return k_exit_invalid;
    };
    if (!args->positionals.empty()) {
        return invalid("serve takes no file arguments (see stagegate serve --help)");
    }
    auto pipelines = args->value("--pipelines");
    auto token_file = args->value("--token-file");
    if (!pipelines || !token_file) {
        return invalid(
            "serve needs --pipelines DIR and --token-file FILE (see stagegate serve --help)");
    }
    serve::ServeOptions options;
    options.pipelines_dir = *pipelines;
    options.out_dir = args->value("--out").value_or("stagegate-serve");
    if (auto listen = args->value("--listen")) {
        auto address = serve::parse_listen(*listen);
        if (!address) {
            return invalid(address.error().message);
        }
        options.listen = *address;
    }
    if (auto text = args->value("--max-queued")) {
        if (text->empty() || text->size() > 4 ||
            text->find_first_not_of("0123456789") != std::string::npos) {
            return invalid("--max-queued " + *text + ": a whole number from 0 to 9999");
        }
        options.max_queued = std::stoul(*text);
    }
    auto token = read_file(*token_file);
    if (!token) {
        return invalid("--token-file: " + token.error().message);
    }
    std::string first_line = token->substr(0, token->find('\n'));
    while (!first_line.empty() && (first_line.back() == '\r' || first_line.back() == ' ')) {
        first_line.pop_back();
    }
    if (first_line.size() < 16) {
        return invalid("--token-file " + *token_file +
                       ": the token (its first line) has fewer than 16 characters; e.g. "
                       "head -c 32 /dev/urandom | base64 > " +
                       *token_file);
    }
    options.token = first_line;
    options.program = "/proc/self/exe";
    if (!serve::is_loopback(options.listen.host)) {
        ctx.err << "stagegate: warning: serve listens on " << options.listen.host
                << ", not loopback: anyone who can reach it and has the token can start runs\n";
    }
    auto served = serve::serve(options, ctx.err);
    if (!served) {
        ctx.err << "stagegate: " << served.error().message << "\n";
        return served.error().code == ErrorCode::invalid_input ? k_exit_invalid : k_exit_error;
    }
    return k_exit_pass;
}

}  // namespace orch::cli
