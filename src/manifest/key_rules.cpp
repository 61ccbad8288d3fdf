#include "cachewarm/manifest/key_rules.hpp"

#include "parse_detail.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace cachewarm::manifest {

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
  std::optional<std::vector<AccessLogRule>> rules =
      detail::read_access_log_rules(reader, root, Location{1, 1}, "rules");
  std::vector<Diagnostic> diagnostics = reader.take_diagnostics();
  if (!rules || !diagnostics.empty()) {
    return KeyRulesLoad{std::nullopt, std::move(diagnostics)};
  }
  return KeyRulesLoad{std::move(*rules), {}};
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
