#include "cli/pipeline_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>

#include "cli/input.h"
#include "common/encoding.h"
#include "common/pipeline.h"

namespace fnq::cli {

namespace {

Failure bad_file(const std::string& label, const std::string& why) {
  return Failure{k_exit_bad_input, "invalid pipeline file " + label, why, "see fnq-pipeline(5)"};
}

// A plain scalar as YAML 1.2's core schema reads it.
json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return nullptr;
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return false;
  }
  json number = json::parse(text, nullptr, false);
  if (!number.is_discarded() && number.is_number()) {
    return number;
  }
  return text;
}

json node_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      json list = json::array();
      for (const auto& item : node) {
        list.push_back(node_to_json(item));
      }
      return list;
    }
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& kv : node) {
        object[kv.first.as<std::string>()] = node_to_json(kv.second);
      }
      return object;
    }
    case YAML::NodeType::Scalar:
      return node.Tag() == "!" ? json(node.Scalar()) : plain_scalar(node.Scalar());
    default: return nullptr;
  }
}

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Substitutes in every string of a stage's data, whatever its shape.
std::optional<Failure> substitute_in(json& value, const VariableLookup& lookup,
                                     const std::string& where) {
  if (value.is_string()) {
    auto text = substitute_variables(value.get<std::string>(), lookup, where);
    if (!text.ok()) {
      return text.failure();
    }
    value = std::move(*text);
  } else if (value.is_structured()) {
    for (auto& item : value) {
      if (auto bad = substitute_in(item, lookup, where)) {
        return bad;
      }
    }
  }
  return std::nullopt;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return path == "-" || slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// A stage's `file:` becomes its data (data_base64 for bytes that are not UTF-8).
std::optional<Failure> read_stage_file(json& stage, const std::string& dir, std::istream& in) {
  auto file = stage.find("file");
  if (file == stage.end()) {
    return std::nullopt;
  }
  std::string label = "stage '" + stage.value("id", std::string("?")) + "'";
  if (!file->is_string() || file->get<std::string>().empty()) {
    return Failure{k_exit_bad_input, label, "file: expected a path", "see fnq-pipeline(5)"};
  }
  if (stage.contains("data") || stage.contains("data_base64")) {
    return Failure{k_exit_bad_input, label, "give data or file, not both", "see fnq-pipeline(5)"};
  }
  std::string path = file->get<std::string>();
  auto bytes = read_file_or_stdin(path[0] == '/' || path == "-" ? path : dir + path, in);
  if (!bytes.ok()) {
    return bytes.failure();
  }
  stage.erase("file");
  if (is_valid_utf8(*bytes)) {
    stage["data"] = std::move(*bytes);
  } else {
    stage["data_base64"] = base64_encode(*bytes);
  }
  return std::nullopt;
}

// Variables in the pipeline's name and key (a key per day: `key: etl-${day}`)
// and in each stage's data; a stage's file is read in.
std::optional<Failure> prepare_stages(json& body, const std::string& dir, std::istream& in,
                                      const VariableLookup& lookup) {
  for (const char* field : {"name", "key"}) {
    if (auto value = body.find(field); value != body.end() && value->is_string()) {
      if (auto bad = substitute_in(*value, lookup, std::string("pipeline ") + field)) {
        return bad;
      }
    }
  }
  auto stages = body.find("stages");
  if (stages == body.end() || !stages->is_array()) {
    return std::nullopt;  // the check below names it
  }
  for (auto& stage : *stages) {
    if (!stage.is_object()) {
      continue;
    }
    std::string where = "stage '" + stage.value("id", std::string("?")) + "'";
    if (auto data = stage.find("data"); data != stage.end()) {
      if (auto bad = substitute_in(*data, lookup, where + ": data")) {
        return bad;
      }
    }
    if (auto bad = read_stage_file(stage, dir, in)) {
      return bad;
    }
  }
  return std::nullopt;
}

}  // namespace

Checked<json> yaml_text_to_json(const std::string& label, const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    return node_to_json(root);
  } catch (const YAML::Exception& e) {
    return bad_file(label, "line " + std::to_string(e.mark.line + 1) + ", column " +
                               std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Checked<std::string> substitute_variables(const std::string& text, const VariableLookup& lookup,
                                          const std::string& where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 2;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i];
      continue;
    }
    std::size_t end = text.find('}', i + 2);
    std::string name = end == std::string::npos ? "" : text.substr(i + 2, end - i - 2);
    bool valid = !name.empty() && is_name_start(name[0]) &&
                 std::all_of(name.begin(), name.end(), is_name_char);
    if (!valid) {
      return Failure{
          k_exit_bad_input, where,
          "malformed variable '" + text.substr(i, std::min<std::size_t>(40, end - i + 1)) + "'",
          "write ${NAME}, or $${ for a literal ${"};
    }
    auto value = lookup(name);
    if (!value) {
      return Failure{k_exit_bad_input, where, "unknown variable '" + name + "'",
                     "set it with --set " + name + "=VALUE or in the environment"};
    }
    out += *value;
    i = end;
  }
  return out;
}

Checked<std::map<std::string, std::string>> parse_set_options(
    const std::vector<std::string>& texts) {
  std::map<std::string, std::string> vars;
  for (const auto& text : texts) {
    auto eq = text.find('=');
    std::string name = text.substr(0, eq);
    bool valid = eq != std::string::npos && !name.empty() && is_name_start(name[0]) &&
                 std::all_of(name.begin(), name.end(), is_name_char);
    if (!valid) {
      return usage_failure("invalid --set '" + text + "'", "expected NAME=VALUE",
                           "e.g. --set day=2026-11-30");
    }
    vars[name] = text.substr(eq + 1);
  }
  return vars;
}

Checked<json> load_pipeline_file(const std::string& path, std::istream& in,
                                 const VariableLookup& lookup) {
  auto text = read_file_or_stdin(path, in);
  if (!text.ok()) {
    return text.failure();
  }
  std::string label = path == "-" ? "on stdin" : "'" + path + "'";
  auto body = yaml_text_to_json(label, *text);
  if (!body.ok()) {
    return body.failure();
  }
  if (!body->is_object()) {
    return bad_file(label, "expected a mapping with \"stages\"");
  }
  if (auto bad = prepare_stages(*body, directory_of(path), in, lookup)) {
    return *bad;
  }
  auto checked = parse_pipeline_definition(*body);
  if (!checked.ok()) {
    return bad_file(label, checked.error().message);
  }
  return body;
}

}  // namespace fnq::cli
