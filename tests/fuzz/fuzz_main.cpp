// Replays a corpus without libFuzzer: each argument is a file or a directory
// of files, and every file is passed once to LLVMFuzzerTestOneInput. This is
// how the normal (gcc, ASan+UBSan) test suite runs each fuzz target's seeds
// and the inputs fuzzing found, as cpp-httplib's standalone runner does.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void collect(const std::string& path, std::vector<std::string>& files) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "fuzz replay: cannot read %s\n", path.c_str());
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    files.push_back(path);
    return;
  }
  DIR* dir = opendir(path.c_str());
  while (dir != nullptr) {
    dirent* e = readdir(dir);
    if (e == nullptr) {
      break;
    }
    if (e->d_name[0] != '.') {
      collect(path + "/" + e->d_name, files);
    }
  }
  if (dir != nullptr) {
    closedir(dir);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    collect(argv[i], files);
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  }
  std::printf("fuzz replay: %zu inputs\n", files.size());
  return files.empty() ? 1 : 0;
}
