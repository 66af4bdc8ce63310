// The c-ares side of the resolver: a channel shared by the sessions of one
// reactor, its sockets on the reactor's epoll loop and its timeouts on a
// reactor timer. Internal to the dns_resolver library.
#ifndef MTASTS_NET_DNS_RESOLVER_CHANNEL_H_
#define MTASTS_NET_DNS_RESOLVER_CHANNEL_H_

#include <ares.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/dns_resolver.h"
#include "net/lifetime.h"
#include "net/reactor.h"

namespace mtasts::net {

// One c-ares channel shared by the sessions of one reactor with the same
// resolver configuration. c-ares 1.18 allocates and zeroes two tables of
// 3,072 list heads (about 74 KiB) in every ares_init_options: with a channel
// per run that was most of a run's memory and a visible share of its CPU
// (docs/performance.md). The channel's sockets are watched on the reactor and
// its timeouts run on one reactor timer.
//
// c-ares 1.18 cannot cancel one query. A session that cancels or goes away
// detaches its queries (their answers are dropped) and, so that a cancelled
// run still stops its network work, the channel does not send UDP retries of
// a question that only detached queries ask.
//
// Sharing a UDP socket means one source port for many queries; to keep the
// port's share of spoofing resistance (RFC 5452 §9.2), a channel takes at most
// kSessionsPerChannel sessions and the next session gets a fresh channel
// (c-ares 1.20 calls this udp_max_queries).
class AresChannel final : public FdHandler,
                          public std::enable_shared_from_this<AresChannel> {
 public:
  static constexpr int kSessionsPerChannel = 64;

  class Client;

  // A query handed to c-ares; owned by c-ares' callback, which deletes it.
  struct Pending {
    AresChannel* channel = nullptr;
    Client* client = nullptr;  // the session; null once detached
    void* lookup = nullptr;    // the session's Lookup, or null (probe)
    std::pair<std::string, int> question;
  };

  // Where an answer came from (DnsSession::AnsweredBy): the peer of the
  // socket c-ares read it from, which c-ares connected to one server.
  struct Source {
    std::string server;       // "ip:port", spelled as in DnsOptions::servers when one
    uint16_t local_port = 0;  // our end of the socket (for answer_origin)
  };

  // The session side of a channel: told of its queries' ends.
  class Client {
   public:
    // `pending`'s query ended (c-ares' status and answer; `source` null when
    // no socket delivered it).
    virtual void OnPendingDone(Pending* pending, int status, int timeouts,
                               const unsigned char* abuf, int alen, const Source* source) = 0;
    // A UDP reply to `pending`'s question came back truncated: c-ares retries
    // it over TCP.
    virtual void NoteTruncated(Pending* pending) = 0;

   protected:
    ~Client() = default;
  };

  // The reactor's channel for `options` (servers, attempt timeout, tries),
  // made when there is none or the current one has taken its share of
  // sessions. Reactor thread only.
  static absl::StatusOr<std::shared_ptr<AresChannel>> Get(Reactor* reactor,
                                                           const DnsOptions& options);

  AresChannel(Reactor* reactor, const DnsOptions& options)
      : reactor_(reactor), options_(options) {}

  ~AresChannel() override;

  absl::Status Init();

  // Sends `name`/`type` for `client`; the answer goes to
  // Client::OnPendingDone (possibly before this returns, for a name c-ares
  // cannot encode).
  Pending* Query(Client* client, void* lookup, const std::string& name, int type);

  // The session no longer wants `pending`'s answer.
  void Detach(Pending* pending);

  bool TakeSession() { return ++sessions_ <= kSessionsPerChannel; }

 private:
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

  void Unlive(Pending* pending);
  void Forget(Pending* pending);

  // Arms the reactor timer for c-ares' next timeout; after every call into
  // c-ares, since any of them can add, end or retry queries.
  void RearmTimer();

  void OnFdReady(int fd, uint32_t events) override;

  // ARES_OPT_SOCK_STATE_CB: c-ares says which of its sockets it wants to read
  // or write; (0, 0) comes just before it closes one.
  static void OnSockState(void* data, ares_socket_t fd, int readable, int writable);

  // --- ares_set_socket_functions: plain syscalls, plus a look at UDP
  // datagrams.
  //
  // `used_tcp` must say that a query's UDP answer was truncated. c-ares does
  // not tell, so we read the header of every UDP reply it receives: TC set
  // (or a reply over 512 bytes, c-ares' other trigger for TCP) means c-ares
  // retries that question over TCP. Matching is by question (name and type),
  // so lookups of the same name and type on one channel are marked together.
  static ares_socket_t SocketFn(int domain, int type, int protocol, void* data);
  static int CloseFn(ares_socket_t fd, void* data);
  // c-ares connects every socket, UDP too, to one server, and for UDP drops
  // datagrams from any other address: the peer named here is who answers
  // what is read from `fd`.
  static int ConnectFn(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void* data);
  static ares_ssize_t RecvFromFn(ares_socket_t fd, void* buf, size_t len, int flags,
                                 sockaddr* from, ares_socklen_t* from_len, void* data);
  static ares_ssize_t SendvFn(ares_socket_t fd, const iovec* iov, int iovcnt, void* data);
  static const ares_socket_functions kSocketFunctions;

  // The first question of a DNS message (name as ExpandName gives it, type).
  static bool ReadQuestion(const unsigned char* buf, size_t len,
                           std::pair<std::string, int>* question);

  void NoteUdpReply(const unsigned char* buf, size_t len);

  // The source of the answer c-ares is handing to a callback now, or null
  // (no read in this call into c-ares; a UDP datagram with another ID).
  const Source* SourceOf(const unsigned char* abuf, int alen) const;

  Reactor* const reactor_;
  const DnsOptions options_;
  ares_channel channel_ = nullptr;
  int sessions_ = 0;
  // Queries whose answer a session waits for, and those detached, by question.
  absl::flat_hash_map<std::pair<std::string, int>, absl::flat_hash_set<Pending*>> live_;
  absl::flat_hash_map<std::pair<std::string, int>, int> detached_;
  absl::flat_hash_set<int> watched_fds_;
  absl::flat_hash_set<int> udp_fds_;
  absl::flat_hash_map<int, Source> sources_;  // by socket, from ConnectFn
  int last_read_fd_ = -1;  // within one ares_process_fd: the socket last read
  int last_udp_id_ = -1;   // the ID of the datagram last read, if UDP
  ReactorTimer timer_{reactor_};
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_RESOLVER_CHANNEL_H_
