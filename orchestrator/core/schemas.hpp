// The JSON Schemas in schemas/, built into the binary (`stagegate schema`).
#pragma once

#include <string_view>

namespace orch::schemas {

// --- Interface ---

std::string_view pipeline();      ///< schemas/pipeline.schema.json
std::string_view results();       ///< schemas/results.schema.json
std::string_view stage_result();  ///< schemas/stage-result.schema.json

}  // namespace orch::schemas
