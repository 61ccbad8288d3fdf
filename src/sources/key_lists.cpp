#include "cachewarm/sources/key_lists.hpp"

#include "key_lists_detail.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

namespace cachewarm::sources {

namespace {

core::Result<void>
check_options(const KeyListOptions& options)
{
  if (options.field.empty()) {
    if (options.format == KeyListFormat::jsonl) {
      return core::fail(core::Errc::manifest,
                        "format jsonl needs a field (the member that holds each key)");
    }
    if (options.format == KeyListFormat::csv) {
      return core::fail(core::Errc::manifest,
                        "format csv needs a field (the column that holds each key)");
    }
  }
  return {};
}

core::Result<std::string>
read_whole_file(const std::string& path, std::ifstream& in)
{
  std::string document;
  std::vector<char> chunk(detail::k_chunk_size);
  for (;;) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const std::streamsize got = in.gcount();
    if (in.bad()) {
      return core::fail(core::Errc::source, path + ": read error");
    }
    if (got <= 0) {
      return document;
    }
    document.append(chunk.data(), static_cast<std::size_t>(got));
  }
}

} // namespace

namespace detail {

core::Result<std::unique_ptr<std::ifstream>>
open_file(const std::string& path)
{
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return core::fail(core::Errc::source, path + ": cannot open: is a directory");
  }
  errno = 0;
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    const int error = errno;
    std::string reason = error != 0 ? std::strerror(error) : "cannot open";
    if (!reason.empty()) {
      reason.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(reason.front())));
    }
    return core::fail(core::Errc::source, path + ": cannot open: " + reason);
  }
  return in;
}

} // namespace detail

core::Result<std::unique_ptr<KeySource>>
open_key_file(const std::string& path, const KeyListOptions& options)
{
  CW_TRY(check_options(options));
  CW_TRY_ASSIGN(std::unique_ptr<std::ifstream> in, detail::open_file(path));
  if (options.format == KeyListFormat::json || options.format == KeyListFormat::sitemap) {
    CW_TRY_ASSIGN(std::string document, read_whole_file(path, *in));
    return parse_key_document(std::move(document), path, options);
  }
  return detail::open_streamed(std::move(in), path, options);
}

core::Result<std::unique_ptr<KeySource>>
parse_key_document(std::string document, const std::string& origin, const KeyListOptions& options)
{
  CW_TRY(check_options(options));
  switch (options.format) {
  case KeyListFormat::json:
    return detail::parse_json_array(document, origin, options);
  case KeyListFormat::sitemap:
    return detail::parse_sitemap(document, origin, options);
  case KeyListFormat::lines:
  case KeyListFormat::jsonl:
  case KeyListFormat::csv:
    break;
  }
  return detail::open_streamed(
      std::make_unique<std::istringstream>(std::move(document)), origin, options);
}

} // namespace cachewarm::sources
