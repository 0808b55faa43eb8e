#pragma once
// A pipeline file (fnq-pipeline(5)), YAML or JSON (JSON is YAML), read into
// the body of POST /v1/pipelines: `file:` of a stage read into its data, and
// ${NAME} in data replaced by a variable. Checked whole (common/pipeline.h)
// before anything is sent.
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>

#include "cli/failure.h"
#include "common/model.h"

namespace fnq::cli {

// Looks a variable up: --set NAME=VALUE first, then the environment.
using VariableLookup = std::function<std::optional<std::string>(const std::string&)>;

// YAML text as JSON: plain scalars that read as null, booleans, integers or
// numbers become those; quoted scalars and everything else stay strings.
// Malformed YAML: exit 65 naming the line.
Checked<json> yaml_text_to_json(const std::string& label, const std::string& text);

// Replaces ${NAME} (NAME: letters, digits, '_', not starting with a digit)
// by its value; $${ stands for a literal ${. Nothing else is evaluated. An
// unknown or malformed variable: exit 65, `where` naming the place.
Checked<std::string> substitute_variables(const std::string& text, const VariableLookup& lookup,
                                          const std::string& where);

// "NAME=VALUE" of each --set; exit 64 when malformed.
Checked<std::map<std::string, std::string>> parse_set_options(
    const std::vector<std::string>& texts);

// Reads the file ("-": stdin) and makes the request body. `file:` paths are
// relative to the pipeline file's directory (stdin: the working directory).
Checked<json> load_pipeline_file(const std::string& path, std::istream& in,
                                 const VariableLookup& lookup);

}  // namespace fnq::cli
