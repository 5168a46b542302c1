#include "serve/server.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <ostream>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/clock.hpp"
#include "serve/run_queue.hpp"

namespace orch::serve {

namespace {

using nlohmann::json;

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump() + "\n", "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
    reply(res, status, json{{"error", message}});
}

/// Everything one serve instance shares between its request threads.
class Service {
  public:
    Service(const ServeOptions& options, std::ostream& log)
        : m_options(options),
          m_log(log),
          m_queue(QueueConfig{options.program, options.out_dir, options.max_queued}) {}

    void install(httplib::Server& server);
    void stop() { m_queue.stop(); }
    void hurry() { m_queue.hurry(); }

  private:
    bool bearer_ok(const httplib::Request& req) const;
    bool authorize(const httplib::Request& req, httplib::Response& res) const;
    /// DIR/NAME.yaml (or .yml) when NAME is plain and the file is a regular file inside DIR.
    std::optional<std::filesystem::path> pipeline_file(const std::string& name) const;
    json run_json(const RunRecord& run) const;
    json verdict_json(const std::string& pipeline) const;
    void post_runs(const httplib::Request& req, httplib::Response& res);
    void get_run_file(const httplib::Request& req, httplib::Response& res, const char* file,
                      const char* type);
    void post_flagger(const httplib::Request& req, httplib::Response& res);
    void record_flagger(const json& entry);

    ServeOptions m_options;
    std::ostream& m_log;
    std::mutex m_log_mutex;
    std::mutex m_record_mutex;
    RunQueue m_queue;
};

bool Service::bearer_ok(const httplib::Request& req) const {
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view prefix = "Bearer ";
    if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) {
        return false;
    }
    return tokens_equal(std::string_view(header).substr(prefix.size()), m_options.token);
}

bool Service::authorize(const httplib::Request& req, httplib::Response& res) const {
    if (bearer_ok(req)) {
        return true;
    }
    res.set_header("WWW-Authenticate", "Bearer");
    reply_error(res, 401,
                "missing or wrong token: send Authorization: Bearer TOKEN (the content of "
                "serve's --token-file)");
    return false;
}

std::optional<std::filesystem::path> Service::pipeline_file(const std::string& name) const {
    if (pipeline_name_problem(name)) {
        return std::nullopt;
    }
    std::error_code ec;
    auto dir = std::filesystem::canonical(m_options.pipelines_dir, ec);
    if (ec) {
        return std::nullopt;
    }
    for (const char* extension : {".yaml", ".yml"}) {
        auto candidate = dir / (name + extension);
        auto real = std::filesystem::canonical(candidate, ec);
        // A symlink that leads out of the folder is not "in DIR".
        if (!ec && std::filesystem::is_regular_file(real, ec) && real.parent_path() == dir) {
            return candidate;
        }
    }
    return std::nullopt;
}

json Service::run_json(const RunRecord& run) const {
    json body{{"id", run.id},
              {"pipeline", run.pipeline},
              {"state", run.state},
              {"origin", run.origin},
              {"created_at", run.created_at}};
    body["verdict"] = run.state == "finished"    ? json(verdict_for_exit(*run.exit_code))
                      : run.state == "cancelled" ? json("ERROR")
                                                 : json("RUNNING");
    body["exit_code"] = run.exit_code ? json(*run.exit_code) : json(nullptr);
    if (!run.checksum.empty()) {
        body["checksum"] = run.checksum;
    }
    if (!run.started_at.empty()) {
        body["started_at"] = run.started_at;
    }
    if (!run.finished_at.empty()) {
        body["finished_at"] = run.finished_at;
    }
    json set = json::array();
    for (const auto& text : run.overrides) {
        set.push_back(text);
    }
    body["set"] = set;
    body["links"] = {{"self", "/runs/" + run.id},
                     {"results", "/runs/" + run.id + "/results.json"},
                     {"report", "/runs/" + run.id + "/report.html"}};
    return body;
}

// Always a JSON object with `verdict` (Argo's web provider turns a non-2xx answer or a
// missing key into a measurement Error, not a failure).
json Service::verdict_json(const std::string& pipeline) const {
    json body{{"pipeline", pipeline}, {"run", nullptr}, {"exit_code", nullptr}};
    if (auto problem = pipeline_name_problem(pipeline)) {
        body["verdict"] = "ERROR";
        body["reason"] = *problem;
        return body;
    }
    if (!pipeline_file(pipeline)) {
        body["verdict"] = "ERROR";
        body["reason"] = "no pipeline " + pipeline + ".yaml in serve's --pipelines folder";
        return body;
    }
    auto run = m_queue.latest(pipeline);
    if (!run) {
        // No evidence is no pass: INCONCLUSIVE, which the shipped Argo template judges Failed.
        body["verdict"] = "INCONCLUSIVE";
        body["reason"] = "no run of this pipeline since serve started: start one with POST /runs";
        return body;
    }
    json full = run_json(*run);
    body["verdict"] = full["verdict"];
    body["exit_code"] = full["exit_code"];
    body["run"] = run->id;
    body["state"] = run->state;
    if (run->state == "cancelled") {
        body["reason"] = "serve stopped before the run started";
    }
    return body;
}

void Service::post_runs(const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res)) {
        return;
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
        reply_error(res, 400,
                    "the body is not a JSON object: send {\"pipeline\": \"NAME\", \"set\": {...}}");
        return;
    }
    for (const auto& [key, value] : body.items()) {
        if (key != "pipeline" && key != "set") {
            reply_error(res, 400, "unknown key \"" + key + "\" (pipeline, set)");
            return;
        }
    }
    if (!body.contains("pipeline") || !body["pipeline"].is_string()) {
        reply_error(res, 400, "\"pipeline\" (a string, the file name without .yaml) is missing");
        return;
    }
    std::string name = body["pipeline"].get<std::string>();
    if (auto problem = pipeline_name_problem(name)) {
        reply_error(res, 400, "pipeline \"" + name + "\": " + *problem);
        return;
    }
    auto overrides = set_overrides(body.contains("set") ? body["set"] : json(nullptr));
    if (!overrides) {
        reply_error(res, 400, overrides.error().message);
        return;
    }
    auto file = pipeline_file(name);
    if (!file) {
        reply_error(res, 404, "no pipeline " + name + ".yaml in serve's --pipelines folder");
        return;
    }
    auto submitted = m_queue.submit(name, *file, *overrides, "", "api");
    switch (submitted.outcome) {
        case RunQueue::Outcome::accepted:
            reply(res, 202, run_json(*m_queue.get(submitted.id)));
            return;
        case RunQueue::Outcome::busy:
            reply(res, 409,
                  json{{"error", "pipeline " + name + " has a run queued or running"},
                       {"run", submitted.id}});
            return;
        case RunQueue::Outcome::full:
            res.set_header("Retry-After", "10");
            reply_error(res, 429, "the queue is full (--max-queued): try again later");
            return;
        case RunQueue::Outcome::stopping:
            reply_error(res, 503, "serve is stopping");
            return;
    }
}

void Service::get_run_file(const httplib::Request& req, httplib::Response& res, const char* file,
                           const char* type) {
    if (!authorize(req, res)) {
        return;
    }
    std::string id = req.matches[1];
    auto run = plain_run_id(id) ? m_queue.get(id) : std::nullopt;
    if (!run) {
        reply_error(res, 404, "no run " + id);
        return;
    }
    if (file == nullptr) {
        reply(res, 200, run_json(*run));
        return;
    }
    auto content = read_file(m_options.out_dir / "runs" / id / file);
    if (!content) {
        reply(res, 404,
              json{{"error", std::string(file) + " is not written yet"}, {"state", run->state}});
        return;
    }
    res.status = 200;
    res.set_content(*content, type);
}

void Service::record_flagger(const json& entry) {
    std::lock_guard lock(m_record_mutex);
    std::ofstream out(m_options.out_dir / "flagger.jsonl", std::ios::app);
    out << entry.dump() << "\n";
}

void Service::post_flagger(const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    std::string url_hook = req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
    json body = json::parse(req.body, nullptr, false);
    const json* metadata = nullptr;
    if (!body.is_discarded() && body.is_object() && body.contains("metadata") &&
        body["metadata"].is_object()) {
        metadata = &body["metadata"];
    }
    auto meta = [&](const char* key) -> std::optional<std::string> {
        if (metadata != nullptr && metadata->contains(key) && (*metadata)[key].is_string()) {
            return (*metadata)[key].get<std::string>();
        }
        return std::nullopt;
    };
    // Flagger cannot send headers: its webhooks carry the token in metadata.token.
    auto meta_token = meta("token");
    if (!bearer_ok(req) && !(meta_token && tokens_equal(*meta_token, m_options.token))) {
        reply_error(res, 401,
                    "missing or wrong token: put it in the webhook's metadata.token (or send "
                    "Authorization: Bearer TOKEN)");
        return;
    }
    if (body.is_discarded() || !body.is_object()) {
        reply_error(res, 400, "the body is not Flagger's JSON payload");
        return;
    }
    auto meta_hook = meta("hook");
    std::string hook_word = !url_hook.empty() ? url_hook : meta_hook.value_or("");
    if (!url_hook.empty() && meta_hook && *meta_hook != url_hook) {
        reply_error(res, 400,
                    "the URL says hook " + url_hook + " but metadata.hook says " + *meta_hook);
        return;
    }
    auto hook = flagger_hook_from_string(hook_word);
    if (!hook) {
        reply_error(res, 400,
                    (hook_word.empty() ? std::string("which hook? ")
                                       : "hook \"" + hook_word + "\" is not handled; ") +
                        "use /flagger/NAME/HOOK or metadata.hook with pre-rollout, rollout, "
                        "confirm-promotion, rollback, post-rollout or event");
        return;
    }
    if (auto problem = pipeline_name_problem(name)) {
        reply_error(res, 400, "pipeline \"" + name + "\": " + *problem);
        return;
    }
    auto file = pipeline_file(name);
    if (!file) {
        reply_error(res, 404, "no pipeline " + name + ".yaml in serve's --pipelines folder");
        return;
    }
    std::string checksum = body.contains("checksum") && body["checksum"].is_string()
                               ? body["checksum"].get<std::string>()
                               : std::string();
    json entry{{"received_at", iso8601_utc(std::chrono::system_clock::now())},
               {"pipeline", name},
               {"hook", to_string(*hook)}};
    for (const char* key : {"name", "namespace", "phase", "checksum"}) {
        if (body.contains(key) && body[key].is_string()) {
            entry[key] = body[key];
        }
    }
    if (metadata != nullptr) {
        json kept = *metadata;
        kept.erase("token");
        entry["metadata"] = kept;
    }
    bool needs_checksum = *hook != FlaggerHook::post_rollout && *hook != FlaggerHook::event;
    if (needs_checksum && checksum.empty()) {
        reply_error(res, 400, "the payload has no \"checksum\" (Flagger's revision)");
        return;
    }
    json answer;
    int status = 200;
    std::optional<RunRecord> run =
        needs_checksum ? m_queue.for_checksum(name, checksum) : std::nullopt;
    if (*hook == FlaggerHook::pre_rollout) {
        if (run) {
            status = 202;
            answer = {{"reason", "a run for this checksum exists already"}, {"run", run->id}};
        } else {
            auto submitted = m_queue.submit(name, *file, {}, checksum, "flagger");
            switch (submitted.outcome) {
                case RunQueue::Outcome::accepted:
                    status = 202;
                    answer = {{"reason", "run started"}, {"run", submitted.id}};
                    break;
                case RunQueue::Outcome::busy:
                    status = 409;
                    answer = {{"error", "pipeline " + name + " has another run queued or running"},
                              {"run", submitted.id}};
                    break;
                case RunQueue::Outcome::full:
                    status = 429;
                    res.set_header("Retry-After", "10");
                    answer = {{"error", "the queue is full (--max-queued): try again later"}};
                    break;
                case RunQueue::Outcome::stopping:
                    status = 503;
                    answer = {{"error", "serve is stopping"}};
                    break;
            }
        }
    } else {
        RunState state = RunState::none;
        if (run) {
            if (run->state == "queued") {
                state = RunState::queued;
            } else if (run->state == "running") {
                state = RunState::running;
            } else if (run->state == "finished" && run->exit_code == 0) {
                state = RunState::passed;
            } else {
                state = RunState::failed;
            }
        }
        FlaggerAnswer decided = flagger_answer(*hook, state);
        status = decided.status;
        answer = {{status < 300 ? "reason" : "error", decided.reason}};
        if (run) {
            answer["run"] = run->id;
            json full = run_json(*run);
            answer["verdict"] = full["verdict"];
            answer["exit_code"] = full["exit_code"];
        }
    }
    entry["status"] = status;
    if (answer.contains("run")) {
        entry["run"] = answer["run"];
    }
    record_flagger(entry);
    reply(res, status, answer);
}

void Service::install(httplib::Server& server) {
    server.set_payload_max_length(k_max_body_bytes);
    server.Post("/runs", [this](const auto& req, auto& res) { post_runs(req, res); });
    server.Get(R"(/runs/([^/]+))",
               [this](const auto& req, auto& res) { get_run_file(req, res, nullptr, nullptr); });
    server.Get(R"(/runs/([^/]+)/results\.json)", [this](const auto& req, auto& res) {
        get_run_file(req, res, "results.json", "application/json");
    });
    server.Get(R"(/runs/([^/]+)/report\.html)", [this](const auto& req, auto& res) {
        get_run_file(req, res, "report.html", "text/html; charset=utf-8");
    });
    server.Get(R"(/pipelines/([^/]+)/verdict)", [this](const auto& req, auto& res) {
        if (authorize(req, res)) {
            reply(res, 200, verdict_json(req.matches[1]));
        }
    });
    server.Post(R"(/flagger/([^/]+))",
                [this](const auto& req, auto& res) { post_flagger(req, res); });
    server.Post(R"(/flagger/([^/]+)/([^/]+))",
                [this](const auto& req, auto& res) { post_flagger(req, res); });
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) {
            return;
        }
        std::string message = res.status == 413 ? "the body is larger than 64 KiB"
                              : res.status == 404
                                  ? "no such endpoint: " + req.method + " " + req.path
                                  : "the request was refused";
        reply_error(res, res.status, message);
    });
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
        std::lock_guard lock(m_log_mutex);
        m_log << "stagegate serve: " << req.method << " " << req.path << " " << res.status << "\n"
              << std::flush;
    });
}

/// Blocks SIGTERM and SIGINT in this thread (and the threads it starts) while it lives, so
/// sigwait receives them; restores the old mask.
class BlockedSignals {
  public:
    BlockedSignals() {
        sigemptyset(&m_set);
        sigaddset(&m_set, SIGTERM);
        sigaddset(&m_set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
        // A client that hangs up mid-answer must not end serve.
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        ::sigaction(SIGPIPE, &ignore, &m_old_pipe);
    }
    ~BlockedSignals() {
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
        ::sigaction(SIGPIPE, &m_old_pipe, nullptr);
    }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    const sigset_t& set() const { return m_set; }

  private:
    sigset_t m_set{};
    sigset_t m_old{};
    struct sigaction m_old_pipe {};
};

}  // namespace

Result<void> serve(const ServeOptions& options, std::ostream& log) {
    std::error_code ec;
    if (!std::filesystem::is_directory(options.pipelines_dir, ec)) {
        return fail(ErrorCode::invalid_input,
                    "--pipelines " + options.pipelines_dir.string() + " is not a folder");
    }
    std::filesystem::create_directories(options.out_dir / "runs", ec);
    if (ec) {
        return fail(ErrorCode::infrastructure,
                    "cannot create " + (options.out_dir / "runs").string() + ": " + ec.message());
    }
    BlockedSignals signals;
    httplib::Server server;
    Service service(options, log);
    service.install(server);
    int port = options.listen.port;
    bool bound = port == 0 ? (port = server.bind_to_any_port(options.listen.host)) > 0
                           : server.bind_to_port(options.listen.host, port);
    if (!bound) {
        service.stop();
        return fail(ErrorCode::infrastructure,
                    "cannot listen on " + options.listen.host + ":" +
                        std::to_string(options.listen.port) +
                        " (taken, or not an address of this host): choose another --listen");
    }
    {
        log << "stagegate serve: listening on " << options.listen.host << ":" << port
            << ", pipelines from " << options.pipelines_dir.string() << ", runs in "
            << (options.out_dir / "runs").string() << "\n"
            << std::flush;
    }
    std::thread listener([&server] { server.listen_after_bind(); });
    int received = 0;
    sigwait(&signals.set(), &received);
    log << "stagegate serve: " << (received == SIGINT ? "SIGINT" : "SIGTERM")
        << ": stopping the running pipeline, then exiting\n"
        << std::flush;
    server.stop();
    listener.join();
    // The run gets its time to stop and write its reports; a second signal is passed on to
    // it, so it ends at once as `stagegate run` does on a second Ctrl-C.
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        service.stop();
        stopped = true;
    });
    const timespec tick{0, 100'000'000};
    while (!stopped) {
        if (sigtimedwait(&signals.set(), nullptr, &tick) > 0) {
            log << "stagegate serve: second signal: passed on to the running pipeline\n"
                << std::flush;
            service.hurry();
        }
    }
    stopper.join();
    log << "stagegate serve: stopped\n" << std::flush;
    return {};
}

}  // namespace orch::serve
