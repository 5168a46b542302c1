#include "plugins/reporters/markdown/capacity_section.hpp"

#include "plugins/reporters/markdown/markdown_text.hpp"
#include "report/capacity.hpp"
#include "report/report_format.hpp"

namespace orch::markdown {

void write_capacity(std::string& out, const RunReport& report) {
    CapacityAnalysis a = analyse_capacity(report);
    if (a.points.empty()) {
        return;
    }
    out += "## Capacity\n\n" + escape(capacity_summary(a)) + "\n\n";
    Table table({{"Stage"},
                 {"Concurrency", Align::right},
                 {"Throughput", Align::right},
                 {"Fitted", Align::right},
                 {"On the curve"},
                 {"In flight (Little's law)", Align::right},
                 {"In flight / VUs", Align::right}});
    for (std::size_t i = 0; i < a.points.size(); ++i) {
        const CapacityPoint& p = a.points[i];
        auto ratio = littles_law_ratio(p);
        table.add_row({escape(p.stage), format_trimmed(p.concurrency, 2), format_rate(p.throughput),
                       a.fit ? format_rate(a.fitted[i]) : std::string("\u2014"),
                       a.fit ? std::string(to_string(a.positions[i])) : std::string("\u2014"),
                       format_trimmed(p.in_flight, 2),
                       ratio ? format_trimmed(*ratio, 2) : std::string("\u2014")});
    }
    out += table.render() + "\n";
    out +=
        "Throughput counts successful requests per second. Concurrency is the VUs of a "
        "closed-model stage and the measured in flight (requests per second \u00d7 mean "
        "latency) of an open-model one. In flight / VUs near 1 means the VUs were always "
        "waiting on a request (Little's law holds); well below 1, they spent time thinking "
        "or waiting on the client side.\n\n";
}

}  // namespace orch::markdown
