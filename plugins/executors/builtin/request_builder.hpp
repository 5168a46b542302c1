// Turns a compiled request plus a VU's variable values into a ready Exchange: draws the
// per-iteration variables (uuid, iter, random_int, one_of) and fills URL, headers, body and
// deadline into the Exchange's reused buffers.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plugins/executors/builtin/prng.hpp"
#include "plugins/executors/builtin/request_plan.hpp"
#include "plugins/executors/builtin/transport.hpp"

namespace orch::builtin {

// --- Interface ---

/// Sets the slots that never change for a VU (vu, stage); the rest start empty.
void init_variables(const ScenarioPlan& plan, std::uint32_t vu_id, const std::string& stage,
                    std::vector<std::string>& values);

/// Draws the per-iteration slots a template uses (VariableSlot::used) into `values`;
/// `iteration` fills `iter`; unused slots keep their value. Captures keep their value.
void draw_variables(const ScenarioPlan& plan, Prng& prng, std::uint64_t iteration,
                    std::vector<std::string>& values);

/// Fills `exchange`'s request part for `request` with `values`: the plan's parsed URL when
/// it is static, else the rendered one (base_url + path); header fields (values without
/// CR/LF); body; the deadline (now + the request's timeout).
void build_request(const ScenarioPlan& plan, const CompiledRequest& request,
                   std::span<const std::string> values, Exchange& exchange);

/// A random (version 4, RFC 4122 variant) UUID in lower-case 8-4-4-4-12 form.
void format_uuid_v4(Prng& prng, std::string& out);

}  // namespace orch::builtin
