#include "support/key_lists.hpp"
#include "support/results.hpp"
#include "support/sources.hpp"
#include "support/temp_files.hpp"

#include "cachewarm/sources/key_lists.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

using cachewarm::core::Errc;
using cachewarm::sources::KeyListFormat;
using cachewarm::sources::open_key_file;
using namespace cachewarm::test;

// open_key_file and parse_key_document: options checked up front, files opened (or read whole
// for json and sitemap), documents in memory. The formats have their own tests
// (test_sources_streamed_keys.cpp, test_sources_json_keys.cpp, test_sources_sitemap_keys.cpp).
TEST_SUITE("sources::key_lists")
{
  TEST_CASE("jsonl: without a field is a manifest error")
  {
    const TempFile file("{}\n");
    CHECK(
        error_message(open_key_file(file.path(), key_options(KeyListFormat::jsonl)), Errc::manifest)
        == "format jsonl needs a field (the member that holds each key)");
  }

  TEST_CASE("csv: without a field is a manifest error")
  {
    const TempFile file("id\n1\n");
    CHECK(error_message(open_key_file(file.path(), key_options(KeyListFormat::csv)), Errc::manifest)
          == "format csv needs a field (the column that holds each key)");
  }

  TEST_CASE("errors: a missing file is a source error naming the path")
  {
    const TempPath missing(".txt");
    const std::string& path = missing.path();
    CHECK(error_message(open_key_file(path, key_options(KeyListFormat::lines)), Errc::source)
          == path + ": cannot open: no such file or directory");

    // json and sitemap files are read whole, through the same open.
    CHECK(error_message(open_key_file(path, key_options(KeyListFormat::sitemap)), Errc::source)
          == path + ": cannot open: no such file or directory");
  }

  TEST_CASE("errors: a directory is a source error")
  {
    const std::string path = std::filesystem::temp_directory_path().string();
    CHECK(error_message(open_key_file(path, key_options(KeyListFormat::lines)), Errc::source)
          == path + ": cannot open: is a directory");
  }

  TEST_CASE("documents: lines, jsonl and csv documents in memory are read like files")
  {
    CHECK(keys_of(drain(*parse_ok("a\n#c\nb\n", key_options(KeyListFormat::lines))).rows)
          == Strings{"a", "b"});
    CHECK(keys_of(drain(*parse_ok("{\"k\":\"x\"}\n", key_options(KeyListFormat::jsonl, "k"))).rows)
          == Strings{"x"});
    CHECK(keys_of(drain(*parse_ok("k,v\n\"q,1\",2\n", key_options(KeyListFormat::csv, "k"))).rows)
          == Strings{"q,1"});
  }
}
