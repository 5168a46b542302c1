// The per-tag-value rows the reports' "By response tag" tables show.
#include <catch2/catch.hpp>

#include "report/tag_rows.hpp"

using namespace orch;

TEST_CASE("a stage's tag values are listed by tag, none and other last") {
    StageReport stage;
    stage.metrics.set("requests", 10);
    stage.metrics.set("tags.version.v2.requests", 3);
    stage.metrics.set("tags.version.v2.errors.body.prisma", 1);
    stage.metrics.set("tags.version.other.requests", 1);
    stage.metrics.set("tags.version.none.requests", 1);
    stage.metrics.set("tags.version.v1.requests", 5);
    stage.metrics.set("tags.region.eu.requests", 10);
    auto rows = stage_tag_rows(stage);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].tag == "region");
    CHECK(rows[1].value == "v1");
    CHECK(rows[2].value == "v2");
    CHECK(rows[2].prefix == "tags.version.v2");
    CHECK(rows[3].value == "none");
    CHECK(rows[4].value == "other");
    CHECK(stage_tags_overflowed(rows));
}

TEST_CASE("a stage without tagged metrics has no tag rows") {
    StageReport stage;
    stage.metrics.set("requests", 10);
    stage.metrics.set("send.requests", 10);
    CHECK(stage_tag_rows(stage).empty());
    CHECK_FALSE(stage_tags_overflowed({}));
}
