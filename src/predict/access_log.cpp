// The access-log reader: a LogSpec compiled once (templates bound to field ids, regexes built,
// filters resolved), then one line at a time: parse, filter, time, key, client, segment.

#include "cachewarm/predict/access_log.hpp"

#include "log_detail.hpp"

#include "cachewarm/core/template.hpp"

#include <algorithm>
#include <regex>
#include <utility>

namespace cachewarm::predict {

namespace {

using core::Errc;

constexpr std::array<std::string_view, 6> k_format_names = {
    "combined", "common", "jsonl", "csv", "tsv", "fields"};
constexpr std::array<std::string_view, 7> k_unit_names = {
    "clf", "iso8601", "s", "ms", "us", "ns", "filetime"};
constexpr std::array<std::string_view, 5> k_reason_names = {
    "unparsed", "bad_time", "filtered", "no_rule", "no_key"};

// The index of `word` in `names`, or a usage error listing them (`unknown <what> "x" (accepted:
// a, b)`).
template <std::size_t N>
core::Result<std::size_t>
index_of_word(std::string_view word,
              const std::array<std::string_view, N>& names,
              std::string_view what)
{
  const auto* found = std::find(names.begin(), names.end(), word);
  if (found != names.end()) {
    return static_cast<std::size_t>(found - names.begin());
  }
  std::string message =
      "unknown " + std::string(what) + " \"" + std::string(word) + "\" (accepted: ";
  for (std::size_t i = 0; i < N; ++i) {
    message.append(i == 0 ? "" : ", ").append(names[i]);
  }
  return core::fail(Errc::usage, message + ")");
}

// libstdc++'s regex_error text in our style: lowercase first letter, no trailing period.
std::string
regex_reason(const std::regex_error& error)
{
  std::string reason = error.what();
  if (!reason.empty() && reason.front() >= 'A' && reason.front() <= 'Z') {
    reason.front() = static_cast<char>(reason.front() - 'A' + 'a');
  }
  if (reason.ends_with('.')) {
    reason.pop_back();
  }
  return reason;
}

// A blank line: empty, or spaces and tabs only.
bool
is_blank(std::string_view text)
{
  return text.find_first_not_of(" \t") == std::string_view::npos;
}

} // namespace

core::Result<LogFormat>
parse_log_format(std::string_view word)
{
  CW_TRY_ASSIGN(const std::size_t index, index_of_word(word, k_format_names, "log format"));
  return static_cast<LogFormat>(index);
}

core::Result<TimeUnit>
parse_time_unit(std::string_view word)
{
  CW_TRY_ASSIGN(const std::size_t index, index_of_word(word, k_unit_names, "time unit"));
  return static_cast<TimeUnit>(index);
}

std::string_view
skip_reason_name(SkipReason reason)
{
  return k_reason_names.at(static_cast<std::size_t>(reason));
}

namespace detail {

// Where a template variable's value comes from: a field of the line, or a rule's capture.
struct Source {
  bool group = false;
  std::size_t index = 0; // field id, or capture index
};

// A template bound to its own variables, rendered from a parsed line (and a rule's match) into a
// caller's string; its slots are reused, so rendering allocates only while they grow.
class Renderer {
public:
  Renderer(core::BoundTemplate bound, std::vector<Source> sources)
      : m_bound(std::move(bound))
      , m_sources(std::move(sources))
      , m_slots(m_sources.size())
  {}

  // Renders into `out` (cleared first); false, with `out` unspecified, if a variable's value is
  // missing or empty. `match` gives the groups' values (nullptr when there are none).
  bool render(FormatParser& parser, const std::cmatch* match, std::string& out)
  {
    for (std::size_t i = 0; i < m_sources.size(); ++i) {
      const Source& source = m_sources[i];
      std::string_view value;
      if (!source.group) {
        value = parser.get(source.index);
      } else if (match != nullptr) {
        if (const std::csub_match& group = (*match)[source.index]; group.matched) {
          value = std::string_view(group.first, static_cast<std::size_t>(group.length()));
        }
      }
      if (value.empty()) {
        return false;
      }
      if (m_slots[i]) {
        m_slots[i]->assign(value);
      } else {
        m_slots[i].emplace(value);
      }
    }
    out.clear();
    return m_bound.render_to(out, m_slots);
  }

private:
  core::BoundTemplate m_bound;
  std::vector<Source> m_sources;
  std::vector<std::optional<std::string>> m_slots; // by variable, as the template was bound
};

struct Rule {
  std::regex regex;
  Renderer field; // what the regex is matched against
  Renderer key;
};

// Everything a LogReader holds: the compiled spec, the input, per-line buffers and the counts.
struct ReaderState {
  // --- The compiled spec
  std::unique_ptr<FormatParser> parser;
  bool header = false;
  std::vector<std::string> names; // the fields used, by id
  // Each use of a field with its option, checked again against every header.
  std::vector<std::pair<std::string, std::string>> uses;
  TimeUnit unit = TimeUnit::clf;
  std::size_t time_id = 0;
  std::optional<Renderer> key; // without rules
  std::vector<Rule> rules;
  std::optional<Renderer> client;
  std::optional<Renderer> segment;
  PrefixTable prefixes; // maps the rendered segment (an address) to a region, when not empty
  std::array<bool, 10> status_kept{}; // by first digit, when `status_filter`
  bool status_filter = false;
  std::size_t status_id = 0;
  std::vector<std::string> methods;
  std::size_t method_id = 0;
  std::optional<std::regex> path_filter;
  std::size_t path_id = 0;

  // --- Input
  std::vector<std::string> files;
  std::size_t next_file = 0;
  std::unique_ptr<InputFile> input;
  bool header_pending = false;

  // --- Per line
  std::string last_time_text; // and its value, parsed
  double last_time = 0;
  std::string rule_field;
  std::cmatch match;
  SkipCounts counts;

  // The id of field `name`, used by `label` (e.g. `--key {x}`). Error (Errc::usage): `label:
  // unknown field x (available: ...)`.
  core::Result<std::size_t> add_field(std::string label, const std::string& name);

  // Parses template `text` of option `label` and binds its variables: a group of `groups` if it
  // has one of that name, else a field. Errors (Errc::usage): `label text: <why>`.
  core::Result<Renderer>
  compile(const std::string& label, const std::string& text, const NamedPattern* groups);

  core::Result<void> add_rule(const KeyRule& rule, std::size_t number);
  core::Result<void> add_filters(const LogSpec& spec);

  // The next non-blank data line of the files (headers applied), or nullopt after the last.
  core::Result<std::optional<RawLine>> next_line();
  core::Result<void> apply_header(const RawLine& line);

  // Why `text` gives no request, or nullopt with `request` filled.
  std::optional<SkipReason> process(std::string_view text, Request& request);
  std::optional<SkipReason> apply_rules(std::string& key);
  bool kept();
  void skip(SkipReason reason, const RawLine& line);
};

core::Result<std::size_t>
ReaderState::add_field(std::string label, const std::string& name)
{
  if (const std::optional<std::string> why = parser->check(name)) {
    return core::fail(Errc::usage, label + ": " + *why);
  }
  uses.emplace_back(std::move(label), name);
  const auto found = std::find(names.begin(), names.end(), name);
  if (found != names.end()) {
    return static_cast<std::size_t>(found - names.begin());
  }
  names.push_back(name);
  return names.size() - 1;
}

core::Result<Renderer>
ReaderState::compile(const std::string& label, const std::string& text, const NamedPattern* groups)
{
  const std::string where = label + " " + text;
  core::Result<core::Template> parsed = core::Template::parse(text);
  if (!parsed) {
    return core::fail(Errc::usage, where + ": " + parsed.error().message);
  }
  std::vector<Source> sources;
  for (const std::string& name : parsed->variables()) {
    if (groups != nullptr) {
      const auto group = std::find(groups->names.begin(), groups->names.end(), name);
      if (group != groups->names.end()) {
        sources.push_back(
            Source{true, groups->groups[static_cast<std::size_t>(group - groups->names.begin())]});
        continue;
      }
    }
    CW_TRY_ASSIGN(const std::size_t id, add_field(where, name));
    sources.push_back(Source{false, id});
  }
  // Bound to its own variables, so a variable's index is its slot in the Renderer.
  core::Result<core::BoundTemplate> bound = parsed->bind(parsed->variables());
  if (!bound) {
    return core::fail(Errc::internal, where + ": " + bound.error().message);
  }
  return Renderer(std::move(*bound), std::move(sources));
}

core::Result<void>
ReaderState::add_rule(const KeyRule& rule, std::size_t number)
{
  const std::string label = "rule " + std::to_string(number);
  core::Result<NamedPattern> pattern = translate_named_groups(rule.match);
  if (!pattern) {
    return core::fail(Errc::usage,
                      label + ": match " + rule.match + ": " + pattern.error().message);
  }
  std::regex regex;
  try {
    regex = std::regex(pattern->pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    return core::fail(Errc::usage, label + ": match " + rule.match + ": " + regex_reason(error));
  }
  if (rule.key.empty()) {
    return core::fail(Errc::usage, label + ": no key template");
  }
  CW_TRY_ASSIGN(Renderer field,
                compile(label + " field", rule.field.empty() ? "{path}" : rule.field, nullptr));
  CW_TRY_ASSIGN(Renderer rule_key, compile(label + " key", rule.key, &*pattern));
  rules.push_back(Rule{std::move(regex), std::move(field), std::move(rule_key)});
  return {};
}

core::Result<void>
ReaderState::add_filters(const LogSpec& spec)
{
  for (const int status_class : spec.status_classes) {
    if (status_class < 1 || status_class > 5) {
      return core::fail(Errc::usage,
                        "status class " + std::to_string(status_class) + " is not 1 to 5");
    }
    status_kept.at(static_cast<std::size_t>(status_class)) = true;
    status_filter = true;
  }
  if (status_filter) {
    CW_TRY_ASSIGN(status_id, add_field("status filter", "status"));
  }
  if (!spec.methods.empty()) {
    methods = spec.methods;
    CW_TRY_ASSIGN(method_id, add_field("method filter", "method"));
  }
  if (!spec.path_regex.empty()) {
    try {
      path_filter.emplace(spec.path_regex, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      return core::fail(Errc::usage, "path filter " + spec.path_regex + ": " + regex_reason(error));
    }
    CW_TRY_ASSIGN(path_id, add_field("path filter", "path"));
  }
  return {};
}

// Compiles `spec` into `state` (whose parser is set).
core::Result<void>
compile_spec(ReaderState& state, const LogSpec& spec)
{
  const bool clf = spec.format == LogFormat::combined || spec.format == LogFormat::common;
  const std::string_view format_name = k_format_names.at(static_cast<std::size_t>(spec.format));
  if (spec.header && (clf || spec.format == LogFormat::jsonl)) {
    return core::fail(Errc::usage,
                      "--header: the " + std::string(format_name) + " format has no header");
  }
  state.header = spec.header;
  state.unit = spec.time_unit.value_or(clf ? TimeUnit::clf : TimeUnit::s);
  const std::string time_field = spec.time_field.empty() && clf ? "time" : spec.time_field;
  if (time_field.empty()) {
    return core::fail(Errc::usage,
                      "--time-field is required for the " + std::string(format_name) + " format");
  }
  CW_TRY_ASSIGN(state.time_id, state.add_field("--time-field " + time_field, time_field));
  if (spec.key.empty() && spec.rules.empty()) {
    return core::fail(Errc::usage, "--key or --rules is required");
  }
  if (spec.rules.empty()) {
    CW_TRY_ASSIGN(state.key, state.compile("--key", spec.key, nullptr));
  }
  for (std::size_t i = 0; i < spec.rules.size(); ++i) {
    CW_TRY(state.add_rule(spec.rules[i], i + 1));
  }
  const std::string client = spec.client.empty() && clf ? "{host}" : spec.client;
  if (!client.empty()) {
    CW_TRY_ASSIGN(state.client, state.compile("--client", client, nullptr));
  }
  if (!spec.segment.empty()) {
    CW_TRY_ASSIGN(state.segment, state.compile("--by", spec.segment, nullptr));
  }
  if (!spec.segment_prefixes.empty()) {
    if (spec.segment.empty()) {
      return core::fail(core::Errc::usage, "address prefixes need a --by template (the address)");
    }
    CW_TRY_ASSIGN(state.prefixes, PrefixTable::make(spec.segment_prefixes));
  }
  CW_TRY(state.add_filters(spec));
  state.parser->bind(state.names);
  return {};
}

core::Result<std::optional<RawLine>>
ReaderState::next_line()
{
  for (;;) {
    if (!input) {
      if (next_file == files.size()) {
        return std::nullopt;
      }
      // Moved on first, so that after an error the next call reads the next file.
      const std::string& path = files[next_file++];
      CW_TRY_ASSIGN(input, InputFile::open(path));
      header_pending = header;
    }
    core::Result<std::optional<RawLine>> line = input->next();
    if (!line || !*line) {
      input.reset();
      if (!line) {
        return tl::unexpected(std::move(line.error()));
      }
      continue;
    }
    RawLine raw = **line;
    if (!raw.too_long && raw.text.ends_with('\r')) {
      raw.text.remove_suffix(1);
    }
    if (!raw.too_long && is_blank(raw.text)) {
      continue;
    }
    if (header_pending) {
      header_pending = false;
      core::Result<void> applied = apply_header(raw);
      if (!applied) {
        input.reset();
        return tl::unexpected(std::move(applied.error()));
      }
      continue;
    }
    return raw;
  }
}

core::Result<void>
ReaderState::apply_header(const RawLine& line)
{
  if (line.too_long || !parser->read_header(line.text)) {
    return core::fail(Errc::io,
                      input->name() + ":" + std::to_string(line.number) + ": malformed header");
  }
  for (const auto& [label, name] : uses) {
    if (const std::optional<std::string> why = parser->check(name)) {
      return core::fail(Errc::usage, input->name() + ": " + label + ": " + *why);
    }
  }
  parser->bind(names);
  return {};
}

bool
ReaderState::kept()
{
  if (status_filter) {
    const std::string_view status = parser->get(status_id);
    if (status.empty() || status[0] < '0' || status[0] > '9'
        || !status_kept.at(static_cast<std::size_t>(status[0] - '0'))) {
      return false;
    }
  }
  if (!methods.empty()
      && std::find(methods.begin(), methods.end(), parser->get(method_id)) == methods.end()) {
    return false;
  }
  if (path_filter) {
    const std::string_view path = parser->get(path_id);
    if (path.empty() || !std::regex_search(path.begin(), path.end(), *path_filter)) {
      return false;
    }
  }
  return true;
}

std::optional<SkipReason>
ReaderState::apply_rules(std::string& out)
{
  // A rule whose field is missing does not match; if no rule matched, a missing field is the
  // better reason (a `"-"` request has no path to match).
  bool missing = false;
  for (Rule& rule : rules) {
    if (!rule.field.render(*parser, nullptr, rule_field)) {
      missing = true;
      continue;
    }
    const char* begin = rule_field.data();
    if (std::regex_search(begin, begin + rule_field.size(), match, rule.regex)) {
      return rule.key.render(*parser, &match, out) ? std::nullopt
                                                   : std::optional(SkipReason::no_key);
    }
  }
  return missing ? SkipReason::no_key : SkipReason::no_rule;
}

std::optional<SkipReason>
ReaderState::process(std::string_view text, Request& request)
{
  if (!parser->parse(text)) {
    return SkipReason::unparsed;
  }
  if (!kept()) {
    return SkipReason::filtered;
  }
  // Lines come in time order, many in the same second: parse only a time not seen last.
  const std::string_view time_text = parser->get(time_id);
  if (time_text.empty() || time_text != last_time_text) {
    const std::optional<double> time = parse_time(time_text, unit);
    if (!time) {
      return SkipReason::bad_time;
    }
    last_time_text.assign(time_text);
    last_time = *time;
  }
  request.time = last_time;
  if (key) {
    if (!key->render(*parser, nullptr, request.key)) {
      return SkipReason::no_key;
    }
  } else if (const std::optional<SkipReason> reason = apply_rules(request.key)) {
    return reason;
  }
  request.client.clear();
  request.segment.clear();
  if (request.key.empty() || (client && !client->render(*parser, nullptr, request.client))
      || (segment && !segment->render(*parser, nullptr, request.segment))) {
    return SkipReason::no_key;
  }
  if (!prefixes.empty()) {
    request.segment.assign(prefixes.lookup(request.segment));
  }
  return std::nullopt;
}

void
ReaderState::skip(SkipReason reason, const RawLine& line)
{
  ++counts.skipped.at(static_cast<std::size_t>(reason));
  if (reason != SkipReason::filtered && counts.examples.size() < k_max_examples) {
    counts.examples.push_back(skip_example(input->name(), line.number, reason, line.text));
  }
}

} // namespace detail

LogReader::LogReader(std::unique_ptr<detail::ReaderState> state)
    : m_state(std::move(state))
{}

LogReader::~LogReader() = default;

core::Result<std::unique_ptr<LogReader>>
LogReader::open(LogSpec spec, std::vector<std::string> files)
{
  if (files.empty()) {
    return core::fail(Errc::usage, "no log files");
  }
  auto state = std::make_unique<detail::ReaderState>();
  state->parser = detail::make_parser(spec.format, spec.header);
  CW_TRY(detail::compile_spec(*state, spec));
  state->files = std::move(files);
  CW_TRY_ASSIGN(state->input, detail::InputFile::open(state->files.front()));
  state->next_file = 1;
  state->header_pending = state->header;
  return std::unique_ptr<LogReader>(new LogReader(std::move(state)));
}

core::Result<bool>
LogReader::next(Request& request)
{
  detail::ReaderState& state = *m_state;
  for (;;) {
    CW_TRY_ASSIGN(const std::optional<detail::RawLine> line, state.next_line());
    if (!line) {
      return false;
    }
    ++state.counts.lines;
    const std::optional<SkipReason> reason =
        line->too_long ? SkipReason::unparsed : state.process(line->text, request);
    if (!reason) {
      ++state.counts.requests;
      return true;
    }
    state.skip(*reason, *line);
  }
}

const SkipCounts&
LogReader::counts() const
{
  return m_state->counts;
}

} // namespace cachewarm::predict
