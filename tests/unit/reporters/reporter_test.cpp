#include "plugin/reporter.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/redact.hpp"
#include "plugins/reporters/html/html_reporter.hpp"
#include "plugins/reporters/json/json_reporter.hpp"
#include "plugins/reporters/junit/junit_reporter.hpp"
#include "plugins/reporters/markdown/markdown_reporter.hpp"
#include "sample_reports.hpp"
#include "test_files.hpp"

using namespace orch;

namespace {

ReporterRegistry builtin_registry() {
    ReporterRegistry r;
    r.add("json", [] { return make_json_reporter(); });
    r.add("md", [] { return make_markdown_reporter(); });
    r.add("junit", [] { return make_junit_reporter(); });
    r.add("html", [] { return make_html_reporter(); });
    return r;
}

std::vector<std::unique_ptr<Reporter>> all_reporters() {
    std::vector<std::unique_ptr<Reporter>> out;
    out.push_back(make_json_reporter());
    out.push_back(make_markdown_reporter());
    out.push_back(make_junit_reporter());
    out.push_back(make_html_reporter());
    return out;
}

}  // namespace

TEST_CASE("the registry creates reporters by format name, in registration order") {
    ReporterRegistry registry = builtin_registry();
    CHECK(registry.formats() == std::vector<std::string>{"json", "md", "junit", "html"});
    for (const auto& format : registry.formats()) {
        auto reporter = registry.create(format);
        REQUIRE(reporter);
        CHECK((*reporter)->format() == format);
    }
    CHECK((*registry.create("md"))->file_name() == "report.md");
    CHECK((*registry.create("junit"))->file_name() == "junit.xml");
    CHECK((*registry.create("html"))->file_name() == "report.html");
}

TEST_CASE("an unknown format is invalid_input listing the valid ones") {
    ReporterRegistry registry = builtin_registry();
    auto unknown = registry.create("xml");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::invalid_input);
    CHECK_THAT(unknown.error().message, Catch::Contains("\"xml\""));
    CHECK_THAT(unknown.error().message, Catch::Contains("json, md, junit, html"));

    auto typo = registry.create("jnuit");
    REQUIRE_FALSE(typo);
    CHECK_THAT(typo.error().message, Catch::Contains("did you mean \"junit\""));
}

TEST_CASE("registering a format twice is a programming error that aborts") {
    // In a child process, so the abort ends only the child.
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Die of the abort itself, not through Catch's crash handler; quiet the message.
        std::signal(SIGABRT, SIG_DFL);
        std::freopen("/dev/null", "w", stderr);
        ReporterRegistry registry;
        registry.add("md", [] { return make_markdown_reporter(); });
        registry.add("md", [] { return make_markdown_reporter(); });
        ::_exit(0);  // not reached when add() aborts
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
}

TEST_CASE("write_to writes the rendered file atomically into the folder") {
    testing::TempDir dir;
    RunReport report = samples::failed_run();
    for (const auto& reporter : all_reporters()) {
        const auto path = dir.path() / std::string(reporter->file_name());
        testing::write_text(path, "stale content from an earlier stage");
        REQUIRE(reporter->write_to(dir.path(), report));
        CHECK(testing::slurp(path) == reporter->render(report));
    }
    // Only the four outputs: no temp file is left behind.
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    CHECK(names ==
          std::vector<std::string>{"junit.xml", "report.html", "report.md", "results.json"});
}

TEST_CASE("write_to into a folder that cannot be written is an infrastructure error") {
    testing::TempDir dir;
    auto missing = dir.path() / "no" / "such" / "folder";
    auto result = make_markdown_reporter()->write_to(missing, samples::failed_run());
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::infrastructure);
    CHECK_THAT(result.error().message, Catch::Contains("report.md"));
}

TEST_CASE("a registered secret never reaches any output, even where escaping would hide it") {
    clear_secrets_for_testing();
    // Characters every format escapes differently: `_` (Markdown), `&` and `<` (XML, HTML),
    // `"` (JSON, XML, HTML).
    const std::string secret = "tok_EN&<sec\"ret>_42";
    register_secret(secret);
    RunReport report = samples::failed_run();
    report.base_url = "http://127.0.0.1:18080/?token=" + secret;
    report.reason = "backend said: Bearer " + secret;
    report.stages[1].hints.push_back("Authorization header " + secret + " was rejected");
    report.stages[1].criteria[0].note = secret;
    report.stages[0].health_after->body["echo"] = secret;
    report.stages[0].extra["command"] = "k6 run --env TOKEN=" + secret;
    report.backend_log_tail.push_back("auth " + secret);

    testing::TempDir dir;
    for (const auto& reporter : all_reporters()) {
        INFO(reporter->format());
        REQUIRE(reporter->write_to(dir.path(), report));
        std::string text = testing::slurp(dir.path() / std::string(reporter->file_name()));
        CHECK(text.find("tok_EN") == std::string::npos);
        CHECK(text.find("tok\\_EN") == std::string::npos);
        CHECK(text.find("sec&quot;ret") == std::string::npos);
        CHECK(text.find("sec\\\"ret") == std::string::npos);
        // Markdown shows *** escaped, so it reads as three asterisks.
        CHECK(text.find(reporter->format() == "md" ? "\\*\\*\\*" : "***") != std::string::npos);
        // render_redacted is what `stagegate report` prints: the same text.
        CHECK(reporter->render_redacted(report) == text);
    }
    clear_secrets_for_testing();
}
