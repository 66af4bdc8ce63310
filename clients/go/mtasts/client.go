package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

// roundRobin spreads calls over every address a target resolves to (the
// default, pick_first, would send everything to one of them).
const roundRobin = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// checkGrace is how much later than WithTimeout's server-side limit a
// Check's call deadline falls, for the report to travel back.
const checkGrace = 2 * time.Second

// maxCertFileBytes bounds the PEM files read for TLS.
const maxCertFileBytes = 1 << 20

// Client calls one mtasts.v1 service (one target, possibly several
// addresses). It is safe for concurrent use; Close it when done.
type Client struct {
	conn  *grpc.ClientConn
	rpc   mtastsv1.MtaStsCheckerClient
	retry RetryPolicy
}

// Dial connects to target: "host:port", "dns:///host:port" (every address
// the name resolves to), "ipv4:a:port,b:port" or "ipv6:[a]:port,[b]:port".
// Calls are spread round-robin over the addresses. Dial does not wait for a
// connection (add WithDialOptions(grpc.WithBlock()) for that, bounded by
// ctx); connection failures show up as codes.Unavailable from the calls.
func Dial(ctx context.Context, target string, opts ...Option) (*Client, error) {
	cfg := dialConfig{retry: DefaultRetryPolicy}
	for _, o := range opts {
		o(&cfg)
	}
	dialTarget, dopts, err := resolveTarget(target)
	if err != nil {
		return nil, err
	}
	if cfg.tls {
		tc, err := cfg.tlsConfig()
		if err != nil {
			return nil, err
		}
		dopts = append(dopts, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	} else {
		dopts = append(dopts, grpc.WithInsecure())
	}
	dopts = append(dopts, grpc.WithDefaultServiceConfig(roundRobin))
	dopts = append(dopts, cfg.dialOpts...)
	conn, err := grpc.DialContext(ctx, dialTarget, dopts...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, rpc: mtastsv1.NewMtaStsCheckerClient(conn), retry: cfg.retry}, nil
}

func (c *dialConfig) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.serverName}
	if c.caFile != "" {
		pem, err := readBounded(c.caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mtasts: no PEM certificate in CA file %s", c.caFile)
		}
		tc.RootCAs = pool
	}
	if c.certFile != "" || c.keyFile != "" {
		if c.certFile == "" || c.keyFile == "" {
			return nil, fmt.Errorf("mtasts: a client certificate needs both a certificate and a key file")
		}
		certPEM, err := readBounded(c.certFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := readBounded(c.keyFile)
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("mtasts: client certificate %s / key %s: %w", c.certFile, c.keyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func readBounded(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("mtasts: %w", err)
	}
	if st.Size() > maxCertFileBytes {
		return nil, fmt.Errorf("mtasts: %s is larger than %d bytes", path, maxCertFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mtasts: %w", err)
	}
	return b, nil
}

// Close closes the connection; calls still running fail with codes.Canceled.
func (c *Client) Close() error { return c.conn.Close() }

// Conn is the underlying connection, e.g. for the health service.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Check checks one domain and returns its report. Problems with the domain
// are findings in the report, not errors; errors are gRPC statuses
// (codes.InvalidArgument for a name that is not a host name, ...). Calls the
// server refuses for load (codes.ResourceExhausted) or that reach no server
// (codes.Unavailable) are retried with backoff per the client's RetryPolicy.
func (c *Client) Check(ctx context.Context, domain string, opts ...CheckOption) (*mtastsv1.DomainReport, error) {
	cfg := newCheckConfig(opts)
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout+checkGrace)
		defer cancel()
	}
	req := &mtastsv1.CheckDomainRequest{Domain: domain, Options: cfg.proto()}
	var report *mtastsv1.DomainReport
	err := c.retry.do(ctx, func() error {
		var err error
		report, err = c.rpc.CheckDomain(ctx, req, cfg.callOpts...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return report, nil
}
