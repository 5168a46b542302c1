// Writes N synthetic segment parts (results.json, as `stagegate run --segment I/N` writes
// them) of one long stage, for bench/segments: the size of a 10-minute part and the time
// `stagegate merge` takes over 10 of them, without running 10 minutes of load. Latencies
// are log-normal (median ~5 ms, long tail) over two operations, every second of the stage
// with its own histogram, recorded with the same StageMetrics and codec a run uses.
//
// usage: segment-parts OUT_DIR [--parts 10] [--seconds 600] [--rate 1000]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "report/run_report.hpp"

using namespace orch;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: segment-parts OUT_DIR [--parts N] [--seconds S] [--rate R]\n");
        return 2;
    }
    std::filesystem::path out = argv[1];
    int parts = 10;
    int seconds = 600;
    int rate = 1000;  // requests per second of the whole stage
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        int value = std::atoi(argv[i + 1]);
        if (flag == "--parts") {
            parts = value;
        } else if (flag == "--seconds") {
            seconds = value;
        } else if (flag == "--rate") {
            rate = value;
        }
    }
    std::filesystem::create_directories(out);
    const std::vector<std::string> operations{"send", "history"};
    const std::int64_t start = 1796292900;
    for (int p = 0; p < parts; ++p) {
        std::mt19937_64 random(static_cast<std::uint64_t>(p) + 1);
        std::lognormal_distribution<double> latency(8.5, 0.8);
        StageMetrics totals(operations.size(), 0);
        auto part = std::make_shared<StagePart>(StageMetrics(operations.size(), 0));
        Segment segment{static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(parts)};
        for (int s = 0; s < seconds; ++s) {
            StageMetrics second(operations.size(), 0);
            auto n = segment.share(static_cast<std::uint64_t>(rate));
            for (std::uint64_t k = 0; k < n; ++k) {
                RequestSample sample;
                sample.operation = static_cast<std::uint32_t>(k % 2);
                sample.status = 200;
                sample.latency_us = static_cast<std::int64_t>(latency(random));
                sample.latency_uncorrected_us = sample.latency_us;
                second.record(sample);
            }
            PartSecond ps;
            ps.second = start + s;
            ps.requests = second.totals().requests();
            ps.vus = 10;
            ps.latency = encode_histogram(second.totals().latency());
            for (const auto& op : second.operations()) {
                ps.operations.emplace_back(op.requests(), op.failures());
            }
            part->seconds.push_back(std::move(ps));
            totals.merge(second);
        }
        part->metrics = totals;
        part->verdict_from_criteria = true;
        part->late_s = 0.0;

        RunReport report;
        report.verdict = Verdict::pass;
        report.pipeline_name = "bench segments";
        report.pipeline_sha256 = "synthetic";
        report.run_id = "synthetic";
        report.executor = "builtin";
        report.part_info = PartInfo{segment, "synthetic-pipeline", "", p == 0};
        StageReport stage;
        stage.name = "long";
        stage.verdict = Verdict::pass;
        stage.reason = "synthetic";
        stage.started_at = "2026-12-03T10:15:00Z";
        stage.duration_s = seconds;
        stage.planned_duration_s = seconds;
        stage.rate = std::to_string(rate) + "/s";
        stage.operations = operations;
        stage.metrics = summarize(totals, MetricNames{operations, {}, {}}, seconds);
        CriterionResult c;
        c.criterion.expr = "p95 < 500ms";
        c.criterion.metric = "p95";
        c.criterion.target = 500;
        c.criterion.unit = MetricUnit::milliseconds;
        stage.criteria.push_back(c);
        stage.part = part;
        report.stages.push_back(std::move(stage));
        std::ofstream file(out / ("part" + std::to_string(p) + ".json"));
        file << to_ordered_json(report).dump() << "\n";
    }
    return 0;
}
