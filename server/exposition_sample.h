// Reading a Prometheus text exposition in tests: the value of one sample.
#ifndef MTASTS_SERVER_EXPOSITION_SAMPLE_H_
#define MTASTS_SERVER_EXPOSITION_SAMPLE_H_

#include <string>

namespace mtasts::server {

// The value of the sample line `series` (name with labels, exactly as
// exposed) in `text`, or -1 when no line begins with it.
inline double SampleValue(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const size_t end = text.find('\n', at);
      return std::stod(text.substr(at + prefix.size(), end - at - prefix.size()));
    }
    at += prefix.size();
  }
  return -1;
}

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_EXPOSITION_SAMPLE_H_
