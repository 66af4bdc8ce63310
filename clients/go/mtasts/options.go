package mtasts

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

// Option configures Dial.
type Option func(*dialConfig)

type dialConfig struct {
	tls        bool
	caFile     string
	certFile   string
	keyFile    string
	serverName string
	retry      RetryPolicy
	dialOpts   []grpc.DialOption
}

// WithTLS makes the connection use TLS, verifying the server against the
// system's roots unless WithCAFile names others. Without any TLS option the
// connection is plaintext, as the server's default listener is.
func WithTLS() Option {
	return func(c *dialConfig) { c.tls = true }
}

// WithCAFile verifies the server's certificate against the PEM certificates
// in path instead of the system's roots. Implies WithTLS.
func WithCAFile(path string) Option {
	return func(c *dialConfig) { c.tls = true; c.caFile = path }
}

// WithClientCert presents the PEM certificate and key for mutual TLS.
// Implies WithTLS.
func WithClientCert(certFile, keyFile string) Option {
	return func(c *dialConfig) { c.tls = true; c.certFile = certFile; c.keyFile = keyFile }
}

// WithServerName sets the name the server's certificate must carry when it
// differs from the target's host (e.g. when dialing an IP address).
// Implies WithTLS.
func WithServerName(name string) Option {
	return func(c *dialConfig) { c.tls = true; c.serverName = name }
}

// WithRetry replaces DefaultRetryPolicy for Check. RetryPolicy{MaxAttempts: 1}
// turns retries off.
func WithRetry(p RetryPolicy) Option {
	return func(c *dialConfig) { c.retry = p }
}

// WithDialOptions passes extra options to grpc.DialContext, after the ones
// Dial sets (so they can override them), e.g. grpc.WithBlock().
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(c *dialConfig) { c.dialOpts = append(c.dialOpts, opts...) }
}

// CheckOption configures one Check, or every entry of a Fleet that carries no
// options of its own.
type CheckOption func(*checkConfig)

type checkConfig struct {
	checks      []string
	timeout     time.Duration
	skipMXProbe bool
	callOpts    []grpc.CallOption
}

// WithChecks runs only the named checks (txt, policy_fetch, policy_content,
// mx_match, mx_tls, tls_rpt, dnssec); by default all run. Unknown names are
// codes.InvalidArgument.
func WithChecks(names ...string) CheckOption {
	return func(c *checkConfig) { c.checks = append([]string(nil), names...) }
}

// WithTimeout is the time the server may spend on the domain (capped by the
// server's own limit). For Check the call's deadline is also set, a little
// later, so that a slow domain comes back as a report with inconclusive
// findings rather than as codes.DeadlineExceeded.
func WithTimeout(d time.Duration) CheckOption {
	return func(c *checkConfig) { c.timeout = d }
}

// SkipMXProbe does not connect to the MX hosts on port 25 (mx_tls is NOT_RUN).
func SkipMXProbe() CheckOption {
	return func(c *checkConfig) { c.skipMXProbe = true }
}

// WithCallOptions passes gRPC call options to the RPC, e.g. grpc.Peer or
// grpc.Header to learn which server answered.
func WithCallOptions(opts ...grpc.CallOption) CheckOption {
	return func(c *checkConfig) { c.callOpts = append(c.callOpts, opts...) }
}

func newCheckConfig(opts []CheckOption) checkConfig {
	var c checkConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// proto returns the wire options, nil when every option is the default.
func (c *checkConfig) proto() *mtastsv1.CheckOptions {
	if len(c.checks) == 0 && c.timeout <= 0 && !c.skipMXProbe {
		return nil
	}
	o := &mtastsv1.CheckOptions{Checks: c.checks, SkipMxProbe: c.skipMXProbe}
	if c.timeout > 0 {
		o.Timeout = durationpb.New(c.timeout)
	}
	return o
}
