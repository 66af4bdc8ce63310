// A TCP relay on 127.0.0.1 in front of a test server (unbound's DoT or DoH
// listener): counts the connections the server sees, can hold what clients
// send (their requests then sit in flight unanswered) and can cut every
// connection at once (a server that closes mid-run).
//
//   CountingProxy proxy(unbound_port);      // its own thread
//   ... connect clients to proxy.port() ...
//   proxy.accepted();                        // connections so far
//   proxy.Hold(true); proxy.CutAll();
#ifndef MTASTS_TESTS_FAKES_COUNTING_PROXY_H_
#define MTASTS_TESTS_FAKES_COUNTING_PROXY_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {

class CountingProxy {
 public:
  explicit CountingProxy(int target_port) : target_port_(target_port) {
    listen_fd_ = ListenOnLoopback(64, &port_);
    pipe(wake_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~CountingProxy() {
    stop_ = true;
    Wake();
    thread_.join();
    for (auto& p : pairs_) {
      close(p.client);
      close(p.server);
    }
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  // Connections open now.
  int open() const { return open_.load(); }
  // Bytes received from clients (held or relayed).
  int64_t client_bytes() const { return client_bytes_.load(); }
  // While holding, client bytes are read and discarded, never relayed.
  void Hold(bool on) {
    hold_ = on;
    Wake();
  }
  // Closes every current connection (both sides).
  void CutAll() {
    cut_ = true;
    Wake();
    while (cut_) usleep(1000);  // the proxy thread acknowledges the cut
  }

 private:
  struct Pair {
    int client;
    int server;
  };
  void Wake() {
    char b = 1;
    (void)!write(wake_[1], &b, 1);
  }
  void Loop() {
    char buf[16384];
    while (!stop_) {
      if (cut_) {
        for (auto& p : pairs_) {
          close(p.client);
          close(p.server);
        }
        pairs_.clear();
        open_ = 0;
        cut_ = false;
      }
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      for (auto& p : pairs_) {
        fds.push_back({p.client, POLLIN, 0});
        fds.push_back({p.server, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 1000) <= 0) continue;
      if (fds[1].revents) (void)!read(wake_[0], buf, sizeof(buf));
      if (fds[0].revents & POLLIN) {
        const int c = accept(listen_fd_, nullptr, nullptr);
        const int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = LoopbackAddress(target_port_);
        if (c >= 0 && connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
          pairs_.push_back({c, s});
          accepted_.fetch_add(1);
          open_ = static_cast<int>(pairs_.size());
        } else {
          if (c >= 0) close(c);
          close(s);
        }
        continue;  // fds no longer match pairs_
      }
      std::vector<size_t> dead;
      for (size_t i = 0; i < pairs_.size(); ++i) {
        const pollfd& cf = fds[2 + 2 * i];
        const pollfd& sf = fds[3 + 2 * i];
        bool closed = false;
        if (cf.revents) {
          const ssize_t n = read(pairs_[i].client, buf, sizeof(buf));
          if (n <= 0) {
            closed = true;
          } else {
            client_bytes_.fetch_add(n);
            if (!hold_ && write(pairs_[i].server, buf, n) != n) closed = true;
          }
        }
        if (!closed && sf.revents) {
          const ssize_t n = read(pairs_[i].server, buf, sizeof(buf));
          if (n <= 0 || write(pairs_[i].client, buf, n) != n) closed = true;
        }
        if (closed) dead.push_back(i);
      }
      for (auto it = dead.rbegin(); it != dead.rend(); ++it) {
        close(pairs_[*it].client);
        close(pairs_[*it].server);
        pairs_.erase(pairs_.begin() + *it);
      }
      open_ = static_cast<int>(pairs_.size());
    }
  }

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::vector<Pair> pairs_;
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int64_t> client_bytes_{0};
  std::atomic<bool> hold_{false}, cut_{false}, stop_{false};
  std::thread thread_;
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_COUNTING_PROXY_H_
