#include "plugins/executors/builtin/request_builder.hpp"

#include <charconv>

#include "config/template.hpp"

namespace orch::builtin {

namespace {

template <class Integer>
void assign_integer(Integer value, std::string& out) {
    char buffer[24];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.assign(buffer, error == std::errc() ? end : buffer);
}

}  // namespace

void init_variables(const ScenarioPlan& plan, std::uint32_t vu_id, const std::string& stage,
                    std::vector<std::string>& values) {
    values.assign(plan.slots.size(), std::string());
    for (std::size_t i = 0; i < plan.slots.size(); ++i) {
        if (plan.slots[i].kind == SlotKind::vu) {
            assign_integer(vu_id, values[i]);
        } else if (plan.slots[i].kind == SlotKind::stage) {
            values[i] = stage;
        }
    }
}

void draw_variables(const ScenarioPlan& plan, Prng& prng, std::uint64_t iteration,
                    std::vector<std::string>& values) {
    for (std::size_t i = 0; i < plan.slots.size(); ++i) {
        const VariableSlot& slot = plan.slots[i];
        if (!slot.used) {
            continue;
        }
        switch (slot.kind) {
            case SlotKind::uuid:
                format_uuid_v4(prng, values[i]);
                break;
            case SlotKind::iter:
                assign_integer(iteration, values[i]);
                break;
            case SlotKind::random_int:
                assign_integer(prng.next_in(slot.min, slot.max), values[i]);
                break;
            case SlotKind::one_of:
                if (!slot.values.empty()) {
                    values[i] = slot.values[prng.next() % slot.values.size()];
                }
                break;
            case SlotKind::vu:
            case SlotKind::stage:
            case SlotKind::capture:
                break;
        }
    }
}

void build_request(const ScenarioPlan& plan, const CompiledRequest& request,
                   std::span<const std::string> values, Exchange& exchange) {
    exchange.method = request.method.c_str();
    if (request.url) {
        exchange.shared_url = &*request.url;  // static: parsed once, when the plan was made
    } else {
        // Rendered into scratch space that keeps its capacity, then split: for a relative
        // path only the target is derived, the base's origin was parsed with the plan.
        exchange.shared_url = nullptr;
        exchange.rendered_path.clear();
        append_filled(request.path, values, exchange.rendered_path);
        if (request.absolute) {
            parse_request_url(exchange.rendered_path, exchange.own_url);
        } else {
            append_request_path(plan.base, exchange.rendered_path, exchange.own_url);
        }
    }

    exchange.has_body = request.body.has_value();
    exchange.body.clear();
    if (request.body) {
        append_filled(*request.body, values, exchange.body);
    }

    exchange.headers.clear();
    for (const auto& [name, value] : request.constant_headers) {
        exchange.headers.push_back({name, value});
    }
    if (exchange.header_values.size() < request.templated_headers.size()) {
        exchange.header_values.resize(request.templated_headers.size());
    }
    for (std::size_t i = 0; i < request.templated_headers.size(); ++i) {
        const auto& [name, value] = request.templated_headers[i];
        std::string& text = exchange.header_values[i];
        text.clear();
        append_filled(value, values, text);
        // A value must not end the header line early (header injection).
        for (char& c : text) {
            if (c == '\r' || c == '\n') {
                c = ' ';
            }
        }
        exchange.headers.push_back({name, text});
    }
    exchange.deadline =
        request.timeout > Duration::zero()
            ? Clock::now() + std::chrono::duration_cast<Clock::duration>(request.timeout)
            : Clock::time_point::max();
    exchange.body_limit = request.body_limit;
    exchange.want_headers = request.want_headers || !plan.tag_headers.empty();
    exchange.decode = request.decode_compressed;
}

void format_uuid_v4(Prng& prng, std::string& out) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::uint64_t high = prng.next();
    std::uint64_t low = prng.next();
    high = (high & ~std::uint64_t{0xf000}) | std::uint64_t{0x4000};      // version 4
    low = (low & ~(std::uint64_t{3} << 62)) | (std::uint64_t{2} << 62);  // variant 10xx
    char text[36];
    std::size_t pos = 0;
    auto put = [&](std::uint64_t word, int first_digit, int digits) {
        for (int d = first_digit; d < first_digit + digits; ++d) {
            text[pos++] = k_hex[(word >> (60 - 4 * d)) & 0xf];
        }
    };
    put(high, 0, 8);
    text[pos++] = '-';
    put(high, 8, 4);
    text[pos++] = '-';
    put(high, 12, 4);
    text[pos++] = '-';
    put(low, 0, 4);
    text[pos++] = '-';
    put(low, 4, 12);
    out.assign(text, sizeof(text));
}

}  // namespace orch::builtin
