#include "report/tag_rows.hpp"

#include <algorithm>
#include <tuple>

#include "metrics/stage_metrics.hpp"

namespace orch {

std::vector<TagValueRow> stage_tag_rows(const StageReport& stage) {
    constexpr std::string_view k_prefix = "tags.";
    constexpr std::string_view k_suffix = ".requests";
    std::vector<TagValueRow> rows;
    const auto& values = stage.metrics.values();
    for (auto it = values.lower_bound(k_prefix); it != values.end(); ++it) {
        std::string_view name = it->first;
        if (name.substr(0, k_prefix.size()) != k_prefix) {
            break;
        }
        if (name.size() <= k_suffix.size() ||
            name.substr(name.size() - k_suffix.size()) != k_suffix) {
            continue;
        }
        std::string_view middle =
            name.substr(k_prefix.size(), name.size() - k_prefix.size() - k_suffix.size());
        std::size_t dot = middle.find('.');
        if (dot == std::string_view::npos || middle.find('.', dot + 1) != std::string_view::npos) {
            continue;  // e.g. tags.version.v2.errors.body.x: not a value's own "requests"
        }
        rows.push_back(TagValueRow{std::string(middle.substr(0, dot)),
                                   std::string(middle.substr(dot + 1)),
                                   std::string(name.substr(0, name.size() - k_suffix.size()))});
    }
    std::sort(rows.begin(), rows.end(), [&](const TagValueRow& a, const TagValueRow& b) {
        int la = a.value == k_tag_value_other ? 2 : a.value == k_tag_value_none ? 1 : 0;
        int lb = b.value == k_tag_value_other ? 2 : b.value == k_tag_value_none ? 1 : 0;
        return std::tie(a.tag, la, a.value) < std::tie(b.tag, lb, b.value);
    });
    return rows;
}

bool stage_tags_overflowed(const std::vector<TagValueRow>& rows) {
    return std::any_of(rows.begin(), rows.end(),
                       [](const TagValueRow& r) { return r.value == k_tag_value_other; });
}

}  // namespace orch
