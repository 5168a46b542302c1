#include "plugins/reporters/json/json_reporter.hpp"

#include <nlohmann/json.hpp>

namespace orch {

namespace {

// The same opening as every reporter (format, file name, render): the Reporter interface,
// written out in each reporter's own folder so that a reporter is added by its folder alone.
class JsonReporter final : public Reporter {
  public:
    std::string_view format() const override { return "json"; }
    std::string_view summary() const override { return "the results file (results.json)"; }
    std::string_view file_name() const override { return "results.json"; }

    std::string render(const RunReport& report) const override {
        // Keys in reading order; invalid UTF-8 (from a backend's body) is replaced, never
        // thrown.
        return to_ordered_json(report).dump(2, ' ', false,
                                            nlohmann::ordered_json::error_handler_t::replace) +
               "\n";
    }
};

}  // namespace

std::unique_ptr<Reporter> make_json_reporter() {
    return std::make_unique<JsonReporter>();
}

}  // namespace orch
