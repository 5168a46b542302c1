// Renders what runs one pipeline as N segments on an engine people already run: a
// Kubernetes ConfigMap + Indexed Job + merge Job, or a GitHub Actions workflow with a matrix
// job and a merge job. Pure text out; `stagegate render` (cli/) prints it. README.md,
// "More load than one machine".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/pipeline.hpp"
#include "core/result.hpp"

namespace orch {

// --- Interface ---

/// What both renderers need: the loaded pipeline, its file's text and how many segments.
struct RenderInput {
    const Pipeline* pipeline = nullptr;
    std::string pipeline_text;   ///< the file's bytes, put as they are into the ConfigMap
    std::filesystem::path file;  ///< as given on the command line (the workflow runs it)
    int parallelism = 0;         ///< N >= 1
    std::string run_id;          ///< names this rendering's parts: `[0-9a-z-]`, non-empty
};

/// Kubernetes: what the cluster needs beyond the input.
struct K8sOptions {
    std::string image;          ///< container image with stagegate as entrypoint (required)
    std::string results_claim;  ///< a ReadWriteMany PersistentVolumeClaim (required)
    int lead_s = 60;            ///< the first pod fixes the start at its clock + lead_s
};

/// GitHub Actions: the image the merge job runs `stagegate merge` in.
struct GithubOptions {
    std::string image = "ghcr.io/stagegate/stagegate";
    int lead_s = 120;  ///< the plan job fixes the start at its clock + lead_s
};

/// A DNS-1123 label from `text`: lower case, `[a-z0-9-]`, starting with a letter, no
/// leading/trailing/double '-', at most `max` characters; "stagegate" when nothing is left.
std::string dns1123_label(std::string_view text, std::size_t max = 63);

/// The base name of the rendered objects: the pipeline file's name without extension.
std::string render_base_name(const std::filesystem::path& file);

/// Seconds a whole run of the pipeline plans to take (stages, ramps, cooldowns, graceful
/// stops); bounds the merge step's wait.
long planned_seconds(const Pipeline& pipeline);

/// `stagegate render k8s`: a multi-document YAML (ConfigMap, Indexed Job, merge Job).
/// invalid_input when N < 1, the image or the claim is empty.
Result<std::string> render_k8s(const RenderInput& input, const K8sOptions& options);

/// `stagegate render github`: a workflow (plan, matrix `segment`, `merge`).
/// invalid_input when N < 1 or N > 256 (GitHub's matrix limit).
Result<std::string> render_github(const RenderInput& input, const GithubOptions& options);

}  // namespace orch
