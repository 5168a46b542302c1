// The NDJSON reader on the three recorded k6 runs. The expected numbers were counted in the
// fixture files themselves (README: run 1 = 330 requests, 7x429 and 3x500 injected).
#include "plugins/executors/k6/k6_output_reader.hpp"

#include <catch2/catch.hpp>

#include "k6_test_support.hpp"
#include "plugin/line_follower.hpp"

using namespace orch;

namespace {

constexpr std::uint32_t k_send = 0;
constexpr std::uint32_t k_history = 1;

struct Read {
    StageMetrics metrics{2, 0};
    std::uint64_t http_reqs = 0;
    std::uint64_t recorded = 0;
    std::uint64_t untagged = 0;
    std::vector<std::string> unknown;
    std::optional<int> vus;
    std::uint64_t malformed = 0;
};

Read read_fixture(const std::string& file,
                  const std::vector<std::string>& operations = {"send", "history"},
                  const std::string& tag = "operation") {
    Read read;
    read.metrics = StageMetrics(operations.size(), 0);
    K6OutputReader reader(operations, tag);
    for (const auto& line : test::read_lines(test::k6_fixture(file))) {
        reader.feed_line(line, read.metrics);
    }
    reader.finish(read.metrics);
    read.http_reqs = reader.http_reqs();
    read.recorded = reader.requests_recorded();
    read.untagged = reader.untagged_requests();
    read.unknown = reader.unknown_operations();
    read.vus = reader.active_vus();
    read.malformed = reader.malformed_lines();
    return read;
}

std::uint64_t errors(const OperationStats& stats, ErrorKind kind) {
    return stats.errors(kind);
}

}  // namespace

TEST_CASE("run 1 (errors injected): 330 requests, 7x429 and 3x500, by operation") {
    Read read = read_fixture("out.ndjson");
    const OperationStats& totals = read.metrics.totals();
    CHECK(read.http_reqs == 330);
    CHECK(read.recorded == 330);
    CHECK(totals.requests() == 330);
    CHECK(totals.failures() == 10);
    CHECK(errors(totals, ErrorKind::status_429) == 7);
    CHECK(errors(totals, ErrorKind::status_5xx) == 3);
    CHECK(totals.status_class(2) == 320);
    CHECK(totals.status_class(4) == 7);
    CHECK(totals.status_class(5) == 3);
    CHECK(read.untagged == 0);
    CHECK(read.malformed == 0);
    CHECK(read.vus == 5);
    CHECK(read.metrics.iterations() == 330);

    const OperationStats& send = read.metrics.operations()[k_send];
    CHECK(send.requests() == 218);  // = http_reqs{operation:send}.count in the summary export
    CHECK(errors(send, ErrorKind::status_429) == 6);
    CHECK(errors(send, ErrorKind::status_5xx) == 2);
    const OperationStats& history = read.metrics.operations()[k_history];
    CHECK(history.requests() == 112);
    CHECK(errors(history, ErrorKind::status_429) == 1);
    CHECK(errors(history, ErrorKind::status_5xx) == 1);
}

TEST_CASE("run 1: latency and phase means equal k6's own averages") {
    // summary-export.json: http_req_duration avg 1.5367998 ms, waiting 1.4529894 ms,
    // blocked 0.0112698 ms, {operation:send} 1.5117400 ms, {operation:history} 1.5855768 ms.
    // Each point is rounded to 1 us, so means agree within 1 us.
    Read read = read_fixture("out.ndjson");
    const OperationStats& totals = read.metrics.totals();
    CHECK(totals.latency().count() == 330);
    CHECK(totals.latency().mean() == Approx(1536.7998).margin(1.0));
    CHECK(totals.latency().max() == 4892);  // max 4.892198 ms
    CHECK(read.metrics.operations()[k_send].latency().mean() == Approx(1511.7400).margin(1.0));
    CHECK(read.metrics.operations()[k_history].latency().mean() == Approx(1585.5768).margin(1.0));
    CHECK(totals.phase_samples() == 330);
    CHECK(totals.phase_mean_us(4) == Approx(1452.9894).margin(1.0));  // waiting
    CHECK(totals.phase_mean_us(0) == Approx(11.2698).margin(1.0));    // blocked
    CHECK(totals.phase_mean_us(2) == 0.0);                            // tls: plain HTTP
}

TEST_CASE("run 2 (pass): 40 requests without an error") {
    Read read = read_fixture("out-pass.ndjson");
    CHECK(read.http_reqs == 40);
    CHECK(read.metrics.totals().requests() == 40);
    CHECK(read.metrics.totals().failures() == 0);
    CHECK(read.metrics.operations()[k_send].requests() == 27);
    CHECK(read.metrics.operations()[k_history].requests() == 13);
    CHECK(read.metrics.totals().latency().mean() == Approx(1350.2135).margin(1.0));
}

TEST_CASE("run 3 (refused): every request is connection_refused, with no latency") {
    Read read = read_fixture("out-refused.ndjson");
    const OperationStats& totals = read.metrics.totals();
    CHECK(read.http_reqs == 40);
    CHECK(totals.requests() == 40);
    CHECK(totals.failures() == 40);
    CHECK(errors(totals, ErrorKind::connection_refused) == 40);
    CHECK(totals.status_class(0) == 40);
    CHECK(totals.latency().count() == 0);  // no response, no latency
    CHECK(read.metrics.operations()[k_send].requests() == 31);
    CHECK(read.metrics.operations()[k_history].requests() == 9);
}

TEST_CASE("requests whose tag names no pipeline operation count in the totals only") {
    Read only_send = read_fixture("out.ndjson", {"send"});
    CHECK(only_send.metrics.totals().requests() == 330);
    CHECK(only_send.metrics.operations()[0].requests() == 218);
    CHECK(only_send.untagged == 112);
    CHECK(only_send.unknown == std::vector<std::string>{"history"});

    Read none = read_fixture("out.ndjson", {});
    CHECK(none.metrics.totals().requests() == 330);
    CHECK(none.untagged == 330);
}

TEST_CASE("scenario.operation_tag picks the tag that names the operation") {
    Read by_method = read_fixture("out.ndjson", {"GET", "POST"}, "method");
    CHECK(by_method.metrics.operations()[0].requests() == 112);
    CHECK(by_method.metrics.operations()[1].requests() == 218);
    CHECK(by_method.untagged == 0);
}

TEST_CASE("lines that are not JSON are counted and skipped") {
    StageMetrics metrics(2, 0);
    K6OutputReader reader({"send", "history"}, "operation");
    reader.feed_line("{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{", metrics);
    reader.feed_line("not json", metrics);
    reader.feed_line("", metrics);
    reader.finish(metrics);
    CHECK(reader.malformed_lines() == 2);
    CHECK(metrics.totals().requests() == 0);
}

TEST_CASE("a request missing phase points is still recorded at the end") {
    auto lines = test::read_lines(test::k6_fixture("out-pass.ndjson"));
    StageMetrics metrics(2, 0);
    K6OutputReader reader({"send", "history"}, "operation");
    for (const auto& line : lines) {
        if (line.find("\"metric\":\"http_req_receiving\",\"type\":\"Point\"") ==
            std::string::npos) {
            reader.feed_line(line, metrics);
        }
    }
    CHECK(metrics.totals().requests() < 40);  // waiting for their last phase
    reader.finish(metrics);
    CHECK(metrics.totals().requests() == 40);
    CHECK(metrics.totals().phase_samples() == 40);
}

TEST_CASE("reading the file as it grows, in odd-sized pieces, gives the same numbers") {
    const std::string text = test::slurp(test::k6_fixture("out.ndjson"));
    test::TempDir dir;
    const auto path = dir.path() / "growing.ndjson";
    std::ofstream out(path, std::ios::binary);
    LineFollower follower(path);
    StageMetrics metrics(2, 0);
    K6OutputReader reader({"send", "history"}, "operation");
    auto feed = [&](std::string_view line) { reader.feed_line(line, metrics); };
    std::size_t lines = 0;
    for (std::size_t at = 0, step = 1; at < text.size(); at += step, step = step * 7 % 65521 + 1) {
        out << text.substr(at, step);
        out.flush();
        lines += follower.poll(feed);
    }
    lines += follower.finish(feed);
    reader.finish(metrics);
    CHECK(lines == 5320);
    CHECK(metrics.totals().requests() == 330);
    CHECK(metrics.totals().errors(ErrorKind::status_429) == 7);
    CHECK(metrics.totals().latency().mean() == Approx(1536.7998).margin(1.0));
}
