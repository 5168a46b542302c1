// The loader's top level: bytes -> YAML tree (syntax errors, binary data, documents),
// `--set` overrides, a bounded walk that refuses alias bombs and runaway nesting, then one
// validating pass (pipeline_reader.cpp) that records all problems before giving up.
#include "config/loader.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/overrides.hpp"
#include "config/pipeline_reader.hpp"
#include "config/secret_names.hpp"
#include "config/sha256.hpp"
#include "config/yaml_reader.hpp"
#include "core/redact.hpp"
#include "core/utf8.hpp"

namespace orch {

namespace {

constexpr std::size_t k_max_file_bytes = 16 * 1024 * 1024;
// Far above any real pipeline (a few hundred nodes; a 50000-entry env map still loads) and
// low enough that refusing an alias bomb stays quick: counting costs microseconds a node.
constexpr std::size_t k_max_nodes = 250'000;
constexpr int k_max_depth = 100;

// 1-based line and column of byte `offset` in `text`.
SourcePos position_at(std::string_view text, std::size_t offset) {
    SourcePos pos{1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    return pos;
}

// YAML is text: control characters (other than tab and line breaks) and invalid UTF-8 mean
// the file is something else. Returns the offset of the first bad byte.
std::optional<std::size_t> first_binary_byte(std::string_view text) {
    auto control = std::find_if(text.begin(), text.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f;
    });
    auto invalid = first_invalid_utf8(text);
    auto control_at = static_cast<std::size_t>(control - text.begin());
    if (control == text.end()) {
        return invalid;
    }
    return invalid ? std::min(*invalid, control_at) : control_at;
}

/// Counts every node reachable from `node` as a reader would visit it (aliases expanded):
/// false when the count passes k_max_nodes or the depth k_max_depth.
class TreeBudget {
  public:
    bool walk(const YAML::Node& node, int depth) {
        if (++m_nodes > k_max_nodes) {
            m_problem = "the file expands to more than " + std::to_string(k_max_nodes) +
                        " YAML nodes (aliases of aliases?): refusing it";
            m_where = node;
            return false;
        }
        if (depth > k_max_depth) {
            m_problem = "nesting is deeper than " + std::to_string(k_max_depth) +
                        " levels (or an alias contains itself)";
            m_where = node;
            return false;
        }
        if (node.IsMap()) {
            for (auto it = node.begin(); it != node.end(); ++it) {
                if (!walk(it->first, depth + 1) || !walk(it->second, depth + 1)) {
                    return false;
                }
            }
        } else if (node.IsSequence()) {
            for (const auto& item : node) {
                if (!walk(item, depth + 1)) {
                    return false;
                }
            }
        }
        return true;
    }
    const std::string& problem() const { return m_problem; }
    const YAML::Node& where() const { return m_where; }

  private:
    std::size_t m_nodes = 0;
    std::string m_problem;
    YAML::Node m_where;
};

/// Remembers where the last document began; ignores everything else.
class DocumentStarts : public YAML::EventHandler {
  public:
    void OnDocumentStart(const YAML::Mark& mark) override { m_start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
    const YAML::Mark& start() const { return m_start; }

  private:
    YAML::Mark m_start;
};

/// Where YAML::LoadAll would loop forever, if it would: yaml-cpp 0.7 (Debian 12) meets a
/// token no value can start with at the top of a document (a "," in block context) without
/// consuming it, and LoadAll then adds empty documents until memory runs out (upstream
/// jbeder/yaml-cpp#1040, fixed there by PR #1319). Found by tests/fuzz/. The same parse
/// with an event handler that keeps nothing shows it: a document starting where the
/// previous one started. Throws what LoadAll would throw.
std::optional<YAML::Mark> stuck_document(const std::string& yaml) {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    DocumentStarts starts;
    std::optional<int> previous;
    while (parser.HandleNextDocument(starts)) {
        if (previous && *previous == starts.start().pos) {
            return starts.start();
        }
        previous = starts.start().pos;
    }
    return std::nullopt;
}

/// The line of `text` that holds byte `offset` (0-based line index `line`).
std::string_view line_at(std::string_view text, int line) {
    std::size_t start = 0;
    for (int i = 0; i < line; ++i) {
        start = text.find('\n', start);
        if (start == std::string_view::npos) {
            return {};
        }
        ++start;
    }
    std::size_t end = text.find('\n', start);
    return text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
}

/// yaml-cpp's syntax messages made specific: where a tab indents a line, which alias has no
/// anchor, and that `${...}` / `{{...}}` inside `{ }` or `[ ]` need quotes.
void add_syntax_error(DiagnosticList& diagnostics, std::string_view text, const YAML::Mark& mark,
                      const std::string& message) {
    SourcePos pos = mark.is_null() ? SourcePos{1, 1} : SourcePos{mark.line + 1, mark.column + 1};
    int last_line = mark.is_null() ? 0 : mark.line;
    // A tab in the indentation of this line or one before it: YAML indents with spaces.
    for (int line = 0; line <= last_line; ++line) {
        std::string_view content = line_at(text, line);
        std::size_t indent = content.find_first_not_of(" \t");
        std::size_t tab = content.find('\t');
        if (tab != std::string_view::npos && (indent == std::string_view::npos || tab < indent)) {
            diagnostics.add(SourcePos{line + 1, static_cast<int>(tab) + 1}, "",
                            "YAML syntax error: a tab indents this line (YAML indents with spaces "
                            "only: replace the tab with spaces)");
            return;
        }
    }
    std::string detail = message;
    if (message == YAML::ErrorMsg::UNKNOWN_ANCHOR && !mark.is_null() &&
        static_cast<std::size_t>(mark.pos) < text.size()) {
        std::string_view rest = text.substr(static_cast<std::size_t>(mark.pos));
        std::size_t star = rest.find('*');
        if (star != std::string_view::npos && star < 4) {
            std::size_t end = rest.find_first_of(" \t\r\n,]}", star);
            std::string name(rest.substr(
                star + 1, end == std::string_view::npos ? std::string_view::npos : end - star - 1));
            detail = "alias *" + name + " refers to no anchor (define &" + name +
                     " before it, e.g. criteria: &" + name + " [...], then criteria: *" + name +
                     ")";
        }
    } else if (message.find("flow") != std::string::npos) {
        for (int line = std::max(0, last_line - 10); line <= last_line; ++line) {
            std::string_view content = line_at(text, line);
            if (content.find("${") != std::string_view::npos ||
                content.find("{{") != std::string_view::npos) {
                detail +=
                    " (inside { } or [ ], quote a value that holds ${...} or {{...}}, "
                    "e.g. { url: \"http://127.0.0.1:${PORT:-8080}\", id: \"{{id}}\" })";
                break;
            }
        }
    }
    diagnostics.add(pos, "", "YAML syntax error: " + detail);
}

std::optional<std::string> environment_lookup(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
        return std::nullopt;
    }
    return std::string(value);
}

Duration scaled(Duration duration, double factor) {
    return Duration(
        static_cast<Duration::rep>(std::llround(static_cast<double>(duration.count()) * factor)));
}

// `--time-scale`: the stage shape (duration, ramps, cooldowns) shrinks or grows as one.
void scale_durations(Pipeline& pipeline, double factor) {
    pipeline.time_scale = factor;
    pipeline.defaults.cooldown = scaled(pipeline.defaults.cooldown, factor);
    for (auto& stage : pipeline.stages) {
        stage.duration = std::max(Duration(1), scaled(stage.duration, factor));
        stage.ramp_up = std::min(stage.duration, scaled(stage.ramp_up, factor));
        stage.ramp_down = std::min(stage.duration - stage.ramp_up, scaled(stage.ramp_down, factor));
        if (stage.cooldown) {
            stage.cooldown = scaled(*stage.cooldown, factor);
        }
        if (stage.observe) {
            stage.observe = stage.duration;
        }
    }
}

tl::expected<Pipeline, LoadFailure> fail_with(DiagnosticList& diagnostics) {
    return tl::unexpected(LoadFailure{diagnostics.take()});
}

tl::expected<Pipeline, LoadFailure> load(std::string_view yaml, const std::string& file_label,
                                         const LoadOptions& options) {
    DiagnosticList diagnostics(file_label);
    Pipeline pipeline;
    pipeline.file = file_label;
    pipeline.sha256 = sha256_hex(yaml);
    // Absolute, so a relative `cwd:` or `script:` means the same wherever it is used from.
    std::filesystem::path base_dir = std::filesystem::path(file_label).parent_path();
    if (base_dir.empty()) {
        base_dir = ".";
    }
    std::error_code cwd_error;
    base_dir = std::filesystem::absolute(base_dir, cwd_error).lexically_normal();

    if (auto bad = first_binary_byte(yaml)) {
        diagnostics.add(
            position_at(yaml, *bad), "",
            fmt::format("byte 0x{:02x} is not YAML text (binary data, or not UTF-8): is this a "
                        "pipeline?",
                        static_cast<unsigned char>(yaml[*bad])));
        return fail_with(diagnostics);
    }

    std::vector<YAML::Node> documents;
    try {
        std::string text(yaml);
        if (auto stuck = stuck_document(text)) {
            auto at = static_cast<std::size_t>(stuck->pos);
            std::string found = at < text.size() ? "\"" + text.substr(at, 1) + "\"" : "this";
            diagnostics.add(SourcePos{stuck->line + 1, stuck->column + 1}, "",
                            "YAML syntax error: a value cannot start with " + found);
            return fail_with(diagnostics);
        }
        documents = YAML::LoadAll(text);
    } catch (const YAML::DeepRecursion& e) {
        diagnostics.add(SourcePos{e.mark.line + 1, e.mark.column + 1}, "",
                        "nesting is too deep for a pipeline");
        return fail_with(diagnostics);
    } catch (const YAML::Exception& e) {
        add_syntax_error(diagnostics, yaml, e.mark, e.msg);
        return fail_with(diagnostics);
    }
    if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
        diagnostics.add(SourcePos{1, 1}, "",
                        "the file is empty (a pipeline starts with version: 1)");
        return fail_with(diagnostics);
    }
    if (documents.size() > 1) {
        diagnostics.add(position_of(documents[1], SourcePos{1, 1}), "",
                        "the file holds " + std::to_string(documents.size()) +
                            " YAML documents (--- starts a new one): a pipeline is one document");
        return fail_with(diagnostics);
    }
    YAML::Node root = documents[0];
    if (!root.IsMap()) {
        diagnostics.add(position_of(root, SourcePos{1, 1}), "",
                        "the file is " + std::string(kind_name(root)) +
                            ", not a mapping of keys (a pipeline starts with version: 1)");
        return fail_with(diagnostics);
    }
    if (!options.overrides.empty()) {
        // `--set` edits the path it names only: aliases become copies first. The budget
        // check comes before, as the copies are as large as the expanded tree.
        TreeBudget before;
        if (!before.walk(root, 0)) {
            diagnostics.add(position_of(before.where(), SourcePos{1, 1}), "", before.problem());
            return fail_with(diagnostics);
        }
        resolve_aliases(root);
    }
    for (const auto& text : options.overrides) {
        apply_override(root, text, diagnostics);
    }
    TreeBudget budget;
    if (!budget.walk(root, 0)) {
        diagnostics.add(position_of(budget.where(), SourcePos{1, 1}), "", budget.problem());
        return fail_with(diagnostics);
    }

    EnvLookup lookup = options.getenv ? options.getenv : EnvLookup(environment_lookup);
    YamlReader reader(diagnostics, lookup);
    read_pipeline(reader, Located{root, "", SourcePos{1, 1}}, base_dir,
                  options.executors ? *options.executors : default_executor_sections(), pipeline);
    check_names_hold_no_secret(pipeline, diagnostics);
    if (!diagnostics.empty()) {
        return fail_with(diagnostics);
    }
    if (options.time_scale != 1.0) {
        scale_durations(pipeline, options.time_scale);
    }
    return pipeline;
}

}  // namespace

Result<double> parse_time_scale(std::string_view text) {
    std::string copy(text);
    char* end = nullptr;
    double factor = std::strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !(factor > 0) || factor > 100) {
        return fail(ErrorCode::invalid_input,
                    "--time-scale " + copy +
                        ": use a number above 0 and at most 100, e.g. 0.1 for a run ten "
                        "times shorter");
    }
    return factor;
}

std::string Diagnostic::format() const {
    std::string out = file;
    if (pos.line > 0) {
        out += ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
    }
    out += ": ";
    if (!path.empty()) {
        out += path + ": ";
    }
    return out + message;
}

Error to_error(const LoadFailure& failure, const std::string& file_label) {
    std::size_t count = failure.problems.size();
    std::string context;
    for (const auto& problem : failure.problems) {
        context += (context.empty() ? "" : "\n") + problem.format();
    }
    return Error{
        ErrorCode::invalid_input,
        redact(file_label) + ": " + std::to_string(count) + (count == 1 ? " problem" : " problems"),
        context};
}

tl::expected<Pipeline, LoadFailure> load_pipeline_text_diagnostics(std::string_view yaml,
                                                                   const std::string& file_label,
                                                                   const LoadOptions& options) {
    try {
        return load(yaml, file_label, options);
    } catch (const std::exception& e) {
        // A bug or a library surprise: still a diagnostic, never an exception out of here.
        return tl::unexpected(LoadFailure{{Diagnostic{
            file_label, SourcePos{1, 1}, "",
            redact(std::string("internal error while reading the pipeline: ") + e.what())}}});
    }
}

tl::expected<Pipeline, LoadFailure> load_pipeline_diagnostics(const std::filesystem::path& file,
                                                              const LoadOptions& options) {
    std::string label = file.string();
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    if (!ec && size > k_max_file_bytes) {
        return tl::unexpected(LoadFailure{{Diagnostic{
            label, SourcePos{}, "", "the file is larger than 16 MB: is this a pipeline?"}}});
    }
    std::ifstream in(file, std::ios::binary);
    if (!in || std::filesystem::is_directory(file, ec)) {
        return tl::unexpected(LoadFailure{{Diagnostic{
            label, SourcePos{}, "",
            std::filesystem::exists(file, ec) ? "cannot read the file" : "no such file"}}});
    }
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return load_pipeline_text_diagnostics(bytes.str(), label, options);
}

Result<Pipeline> load_pipeline_text(std::string_view yaml, const std::string& file_label,
                                    const LoadOptions& options) {
    auto loaded = load_pipeline_text_diagnostics(yaml, file_label, options);
    if (!loaded) {
        return tl::unexpected(to_error(loaded.error(), file_label));
    }
    return std::move(*loaded);
}

Result<Pipeline> load_pipeline(const std::filesystem::path& file, const LoadOptions& options) {
    auto loaded = load_pipeline_diagnostics(file, options);
    if (!loaded) {
        return tl::unexpected(to_error(loaded.error(), file.string()));
    }
    return std::move(*loaded);
}

}  // namespace orch
