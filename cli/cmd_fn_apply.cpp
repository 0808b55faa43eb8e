// fnq fn apply -f FILE: register the definitions in a JSON file, after
// checking all of them.
#include <set>

#include "cli/commands.h"
#include "cli/output.h"
#include "common/json_fields.h"

namespace fnq::cli {

namespace {

std::string where(const std::string& label, bool is_array, std::size_t index) {
  return is_array ? label + " at index " + std::to_string(index) : label;
}

}  // namespace

CLI::App* add_fn_apply_command(CLI::App& fn, FnApplyOptions& o) {
  auto* cmd = fn.add_subcommand("apply", "Register or replace functions from a JSON file");
  cmd->add_option("-f,--file", o.file, "One definition, or an array of them ('-': stdin)")
      ->required()
      ->type_name("FILE");
  cmd->footer(
      "Every definition is checked before any is sent; an invalid one is reported by index\n"
      "and field, and nothing is applied (exit 65). Says \"created\" or \"updated\" per\n"
      "function on stderr; --json prints {\"functions\": [definition, ...]}.\n"
      "The format is that of 'fnq fn show' (see fnq-function(5)).\n\n"
      "Example:\n"
      "  fnq fn apply -f functions.json");
  return cmd;
}

FunctionFile parse_function_file(const std::string& label, const std::string& text) {
  FunctionFile file;
  auto parsed = parse_json_text(text);
  if (!parsed.ok()) {
    // "malformed JSON: parse error at ...", or a field's number past a double
    const std::string& message = parsed.error().message;
    const std::string prefix = "malformed JSON: ";
    bool malformed = message.rfind(prefix, 0) == 0;
    file.failures.push_back(
        Failure{k_exit_bad_input,
                (malformed ? "malformed JSON in " : "invalid function definition in ") + label,
                malformed ? message.substr(prefix.size()) : message, ""});
    return file;
  }
  json doc = std::move(*parsed);
  if (!doc.is_object() && !doc.is_array()) {
    file.failures.push_back(
        Failure{k_exit_bad_input, "cannot apply " + label,
                "expected a function definition (an object) or an array of them", ""});
    return file;
  }
  bool is_array = doc.is_array();
  json list = is_array ? doc : json::array({doc});
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto f = function_from_json(list[i]);
    if (!f.ok()) {
      file.failures.push_back(Failure{k_exit_bad_input,
                                      "invalid function definition in " + where(label, is_array, i),
                                      f.error().message, "nothing was applied"});
      continue;
    }
    if (!names.insert(f->name).second) {
      file.failures.push_back(
          Failure{k_exit_bad_input, "invalid function definition in " + where(label, is_array, i),
                  "name: '" + f->name + "' is defined twice", "nothing was applied"});
      continue;
    }
    file.functions.push_back(std::move(*f));
  }
  return file;
}

Outcome run_fn_apply(Context& ctx, const FnApplyOptions& o) {
  auto text = read_file_or_stdin(o.file, ctx.in());
  if (!text.ok()) {
    return text.failure();
  }
  FunctionFile file = parse_function_file(o.file == "-" ? "stdin" : o.file, *text);
  Outcome outcome;
  if (!file.failures.empty()) {
    for (auto& failure : file.failures) {
      outcome.add(std::move(failure));
    }
    return outcome;
  }
  json saved = json::array();
  for (const auto& f : file.functions) {
    auto reply = put_function(ctx, f, outcome);
    if (!reply.ok()) {
      Failure failure = reply.failure();
      if (saved.size() > 0) {
        failure.hint += (failure.hint.empty() ? "" : "; ") + std::to_string(saved.size()) + " of " +
                        std::to_string(file.functions.size()) + " were applied before it";
      }
      outcome.add(std::move(failure));
      break;
    }
    saved.push_back(std::move(*reply));
  }
  if (file.functions.empty()) {
    outcome.notes.push_back("no function definitions in " + o.file);
  }
  if (ctx.json()) {
    write_json(ctx.out(), json{{"functions", saved}});
  }
  return outcome;
}

}  // namespace fnq::cli
