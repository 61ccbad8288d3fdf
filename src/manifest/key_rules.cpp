#include "cachewarm/manifest/key_rules.hpp"

#include "yaml_reader_detail.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace cachewarm::manifest {

namespace {

constexpr std::array<std::string_view, 3> k_rule_fields = {"match", "key", "field"};

} // namespace

KeyRulesLoad
parse_key_rules(std::string_view text, std::string_view file_name)
{
  // Rules are not a manifest: no `${VAR}` expansion.
  const EnvLookup no_env = [](std::string_view) -> std::optional<std::string> {
    return std::nullopt;
  };
  detail::YamlReader reader(file_name, no_env);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Location loc = detail::location_of(e.mark);
    reader.error(loc.line == 0 ? Location{1, 1} : loc, e.msg);
    return KeyRulesLoad{std::nullopt, reader.take_diagnostics()};
  }
  if (!root.IsSequence() || root.size() == 0) {
    reader.error(detail::location_or(root, Location{1, 1}),
                 "expected a non-empty list of rules ({match: REGEX, key: TEMPLATE}), got "
                     + detail::describe(root));
    return KeyRulesLoad{std::nullopt, reader.take_diagnostics()};
  }
  std::vector<KeyRuleText> rules;
  for (std::size_t i = 0; i < root.size(); ++i) {
    const YAML::Node node = root[i];
    const std::string path = "rules" + detail::one_based(i);
    const Location loc = detail::location_or(node, Location{1, 1});
    if (!reader.expect_mapping(node, loc, path, "a mapping {match: REGEX, key: TEMPLATE}")) {
      continue;
    }
    const detail::Fields fields = reader.read_fields(node, k_rule_fields, "in " + path);
    KeyRuleText rule{{}, {}, {}, loc};
    bool complete = true;
    for (const std::string_view name : {std::string_view("match"), std::string_view("key")}) {
      const detail::Entry* entry = fields.find(name);
      if (entry == nullptr) {
        reader.error(loc, path + ": missing \"" + std::string(name) + "\"");
        complete = false;
        continue;
      }
      std::optional<std::string> value =
          reader.read_nonempty(*entry, path + "." + std::string(name));
      if (!value) {
        complete = false;
        continue;
      }
      (name == "match" ? rule.match : rule.key) = std::move(*value);
    }
    if (const detail::Entry* field = fields.find("field")) {
      if (std::optional<std::string> value = reader.read_nonempty(*field, path + ".field")) {
        rule.field = std::move(*value);
      }
    }
    if (complete) {
      rules.push_back(std::move(rule));
    }
  }
  std::vector<Diagnostic> diagnostics = reader.take_diagnostics();
  if (!diagnostics.empty()) {
    return KeyRulesLoad{std::nullopt, std::move(diagnostics)};
  }
  return KeyRulesLoad{std::move(rules), {}};
}

KeyRulesLoad
load_key_rules(std::string_view path)
{
  const std::string file(path);
  auto unreadable = [&](std::string reason) {
    return KeyRulesLoad{
        std::nullopt,
        {Diagnostic{file, Location{}, "cannot read the rules: " + std::move(reason)}}};
  };
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    return unreadable("is a directory");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::string reason = std::generic_category().message(errno);
    if (!reason.empty()) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    return unreadable(std::move(reason));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return parse_key_rules(content.str(), file);
}

} // namespace cachewarm::manifest
