#include "config/secret_names.hpp"

#include <string>

#include "core/redact.hpp"

namespace orch {

namespace {

void check(DiagnosticList& diagnostics, SourcePos pos, const std::string& path,
           std::string_view what, std::string_view name) {
    if (!contains_secret(name)) {
        return;
    }
    diagnostics.add(pos, path,
                    std::string(what) +
                        " contains the value of a secret (a secret header's value or a "
                        "secret-named ${VAR}): names are shown as written in every report, so "
                        "rename it or change the secret");
}

}  // namespace

void check_names_hold_no_secret(const Pipeline& pipeline, DiagnosticList& diagnostics) {
    // The file's own name only: the folders above it are not names the user gave the
    // pipeline (a short secret such as "dev" may well be a folder on the way).
    check(diagnostics, SourcePos{}, "", "the pipeline's file name",
          pipeline.file.filename().string());
    check(diagnostics, SourcePos{1, 1}, "name", "the pipeline name", pipeline.name);
    for (std::size_t i = 0; i < pipeline.scenario.operations.size(); ++i) {
        const OperationSpec& operation = pipeline.scenario.operations[i];
        SourcePos pos = operation.steps.empty() ? SourcePos{} : operation.steps.front().pos;
        std::string path = "scenario.operations[" + std::to_string(i) + "]";
        check(diagnostics, pos, path, "the operation name", operation.name);
        if (operation.is_flow) {
            for (std::size_t s = 0; s < operation.steps.size(); ++s) {
                check(diagnostics, operation.steps[s].pos,
                      path + ".steps[" + std::to_string(s) + "]", "the step name",
                      operation.steps[s].name);
            }
        }
    }
    for (const BodyPattern& pattern : pipeline.body_patterns) {
        check(diagnostics, SourcePos{}, "body_patterns", "a body pattern name", pattern.name);
    }
    auto check_criteria = [&](const std::vector<CriterionSpec>& criteria, const std::string& path) {
        for (std::size_t c = 0; c < criteria.size(); ++c) {
            const Criterion& criterion = criteria[c].criterion;
            std::string at = path + "[" + std::to_string(c) + "]";
            check(diagnostics, criteria[c].pos, at, "the criterion", criterion.expr);
            if (criterion.name != criterion.expr) {
                check(diagnostics, criteria[c].pos, at, "the criterion's name", criterion.name);
            }
        }
    };
    check_criteria(pipeline.defaults.criteria, "defaults.criteria");
    for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
        const StageSpec& stage = pipeline.stages[i];
        std::string path = "stages[" + std::to_string(i) + "]";
        check(diagnostics, stage.pos, path + ".name", "the stage name", stage.name);
        // defaults.criteria come first in every stage: checked once above.
        std::vector<CriterionSpec> own(
            stage.criteria.begin() + static_cast<std::ptrdiff_t>(std::min(
                                         pipeline.defaults.criteria.size(), stage.criteria.size())),
            stage.criteria.end());
        check_criteria(own, path + ".criteria");
    }
}

}  // namespace orch
