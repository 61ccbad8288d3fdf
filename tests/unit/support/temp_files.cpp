#include "temp_files.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <ios>
#include <system_error>

namespace cachewarm::test {

namespace {

std::string
unique_temp_path(std::string_view suffix)
{
  static std::atomic<int> counter{0};
  const std::string name = "cachewarm_unit_" + std::to_string(::getpid()) + "_"
                           + std::to_string(++counter) + std::string(suffix);
  return (std::filesystem::temp_directory_path() / name).string();
}

void
write(const std::string& path, std::string_view content, std::ios::openmode mode)
{
  std::ofstream out(path, mode);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  REQUIRE(out.good());
}

} // namespace

TempPath::TempPath(std::string_view suffix)
    : m_path(unique_temp_path(suffix))
{
  std::error_code ignored;
  std::filesystem::remove(m_path, ignored);
}

TempPath::~TempPath()
{
  std::error_code ignored;
  std::filesystem::remove(m_path, ignored);
}

TempFile::TempFile(std::string_view content, std::string_view suffix)
    : m_path(suffix)
{
  write(m_path.path(), content, std::ios::binary | std::ios::trunc);
}

void
TempFile::append(std::string_view content)
{
  write(m_path.path(), content, std::ios::binary | std::ios::app);
}

} // namespace cachewarm::test
