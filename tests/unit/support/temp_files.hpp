#pragma once

// Files in the temp directory for unit tests that read from disk (key files, SQLite databases).

#include <string>
#include <string_view>

namespace cachewarm::test {

// A path in the temp directory unique to this process and object
// (`cachewarm_unit_<pid>_<n><suffix>`). Nothing is there when it is made (a leftover of an earlier
// run is removed); whatever is there when it is destroyed is removed, errors ignored.
class TempPath {
public:
  explicit TempPath(std::string_view suffix = {});
  ~TempPath();

  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;

  const std::string& path() const { return m_path; }

private:
  std::string m_path;
};

// A file at a TempPath holding `content` (written as bytes, no newline translation), removed
// with the object. Writing failures fail the test case.
class TempFile {
public:
  explicit TempFile(std::string_view content, std::string_view suffix = ".txt");

  const std::string& path() const { return m_path.path(); }

  // Appends `content` to the file.
  void append(std::string_view content);

private:
  TempPath m_path;
};

} // namespace cachewarm::test
