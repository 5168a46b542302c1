#include "render/render.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/loader.hpp"

using namespace orch;

namespace {

const char* const k_pipeline = R"(version: 1
name: checkout API
target: { base_url: http://checkout.internal:8080 }
scenario:
  operations:
    - { name: home, path: / }
defaults: { cooldown: 10s }
stages:
  - { name: warm, vus: 5, duration: 1m, criteria: ["success_rate == 100%"] }
  - { name: peak, vus: 20, duration: 2m, ramp_up: 30s, criteria: ["success_rate == 100%"] }
)";

Pipeline loaded() {
    auto pipeline = load_pipeline_text(k_pipeline, "Checkout_API.v2.yaml");
    REQUIRE(pipeline);
    return *pipeline;
}

RenderInput input_for(const Pipeline& pipeline, int n) {
    RenderInput input;
    input.pipeline = &pipeline;
    input.pipeline_text = k_pipeline;
    input.file = "load/Checkout_API.v2.yaml";
    input.parallelism = n;
    input.run_id = "20261203t093000z";
    return input;
}

K8sOptions k8s_options() {
    K8sOptions options;
    options.image = "ghcr.io/stagegate/stagegate:1";
    options.results_claim = "load-results";
    return options;
}

}  // namespace

TEST_CASE("names become DNS-1123 labels") {
    CHECK(dns1123_label("Checkout_API.v2") == "checkout-api-v2");
    CHECK(dns1123_label("--a--b--") == "a-b");
    CHECK(dns1123_label("9lives") == "p-9lives");
    CHECK(dns1123_label("...") == "stagegate");
    CHECK(dns1123_label("é-api") == "api");
    CHECK(dns1123_label(std::string(100, 'x')).size() == 63);
    CHECK(dns1123_label("abc-def", 4) == "abc");  // no trailing '-' after the cut
    CHECK(render_base_name("dir/My Pipeline.yaml") == "my-pipeline");
}

TEST_CASE("the planned time counts stages, ramps, graceful stops and cooldowns") {
    Pipeline pipeline = loaded();
    // 60 + 5 + 10, then 120 + 30 + 5 + 10
    CHECK(planned_seconds(pipeline) == 240);
}

TEST_CASE("render k8s: a ConfigMap, an Indexed Job of N pods and a merge Job") {
    Pipeline pipeline = loaded();
    auto text = render_k8s(input_for(pipeline, 3), k8s_options());
    REQUIRE(text);
    std::vector<YAML::Node> docs = YAML::LoadAll(*text);
    REQUIRE(docs.size() == 3);
    CHECK(docs[0]["kind"].as<std::string>() == "ConfigMap");
    CHECK(docs[0]["data"]["pipeline.yaml"].as<std::string>() == k_pipeline);
    CHECK(docs[0]["metadata"]["name"].as<std::string>() ==
          "checkout-api-v2-20261203t093000z-pipeline");

    const YAML::Node& segments = docs[1];
    CHECK(segments["kind"].as<std::string>() == "Job");
    CHECK(segments["spec"]["completionMode"].as<std::string>() == "Indexed");
    CHECK(segments["spec"]["completions"].as<int>() == 3);
    CHECK(segments["spec"]["parallelism"].as<int>() == 3);
    CHECK(segments["spec"]["backoffLimit"].as<int>() == 0);
    const YAML::Node pod = segments["spec"]["template"]["spec"];
    CHECK(pod["volumes"][1]["persistentVolumeClaim"]["claimName"].as<std::string>() ==
          "load-results");
    const YAML::Node container = pod["containers"][0];
    CHECK(container["image"].as<std::string>() == "ghcr.io/stagegate/stagegate:1");
    std::string script = container["args"][0].as<std::string>();
    CHECK(script.find("stagegate run /p/pipeline.yaml --segment \"$i/$N\" --start-at "
                      "\"$start_at\" --no-backend") != std::string::npos);
    CHECK(script.find("i=\"$JOB_COMPLETION_INDEX\"") != std::string::npos);

    const YAML::Node& merge = docs[2];
    CHECK(merge["metadata"]["name"].as<std::string>() == "checkout-api-v2-20261203t093000z-merge");
    CHECK(merge["spec"]["completions"].as<int>() == 1);
    CHECK_FALSE(merge["spec"]["completionMode"]);
    std::string merge_script =
        merge["spec"]["template"]["spec"]["containers"][0]["args"][0].as<std::string>();
    CHECK(merge_script.find("exec stagegate merge \"$@\" $missing --out \"$RUN_DIR/merged\"") !=
          std::string::npos);
    // The merge waits for the lead, the plan (240 s) and 600 s of slack.
    bool found = false;
    for (const auto& env : merge["spec"]["template"]["spec"]["containers"][0]["env"]) {
        if (env["name"].as<std::string>() == "WAIT_S") {
            CHECK(env["value"].as<std::string>() == "900");
            found = true;
        }
    }
    CHECK(found);
}

TEST_CASE("render k8s refuses what cannot work") {
    Pipeline pipeline = loaded();
    K8sOptions options = k8s_options();
    CHECK_FALSE(render_k8s(input_for(pipeline, 0), options));
    CHECK_FALSE(render_k8s(input_for(pipeline, 257), options));
    options.image.clear();
    auto no_image = render_k8s(input_for(pipeline, 2), options);
    REQUIRE_FALSE(no_image);
    CHECK(no_image.error().code == ErrorCode::invalid_input);
    CHECK(no_image.error().message.find("--image") != std::string::npos);
    options = k8s_options();
    options.results_claim.clear();
    auto no_claim = render_k8s(input_for(pipeline, 2), options);
    REQUIRE_FALSE(no_claim);
    CHECK(no_claim.error().message.find("ReadWriteMany") != std::string::npos);
}

TEST_CASE("render github: plan, a matrix of N segments, a merge that gates") {
    Pipeline pipeline = loaded();
    auto text = render_github(input_for(pipeline, 4), GithubOptions{});
    REQUIRE(text);
    YAML::Node wf = YAML::Load(*text);
    CHECK(wf["jobs"]["segment"]["strategy"]["matrix"]["index"].size() == 4);
    CHECK(wf["jobs"]["segment"]["strategy"]["matrix"]["index"][3].as<int>() == 3);
    const YAML::Node step = wf["jobs"]["segment"]["steps"][1];
    CHECK(step["uses"].as<std::string>() == "stagegate/stagegate@v1");
    CHECK(step["with"]["pipeline"].as<std::string>() == "load/Checkout_API.v2.yaml");
    CHECK(step["with"]["args"].as<std::string>() ==
          "--segment ${{ matrix.index }}/4 --start-at ${{ needs.plan.outputs.start-at }} "
          "--no-backend");
    CHECK(wf["jobs"]["merge"]["needs"].as<std::string>() == "segment");
    CHECK(wf["jobs"]["merge"]["steps"][1]["run"].as<std::string>() ==
          "stagegate merge parts/part-*/results.json --out merged");
    CHECK_FALSE(render_github(input_for(pipeline, 0), GithubOptions{}));
}
