package mtasts_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/mtasts/mtasts/clients/go/mtasts"
	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

// labInfo is client_lab's JSON line (tests/clientlab/README.md).
type labInfo struct {
	Plaintext  string   `json:"plaintext"`
	Plaintext2 string   `json:"plaintext2"`
	TLS        string   `json:"tls"`
	MTLS       string   `json:"mtls"`
	ServerName string   `json:"server_name"`
	CAFile     string   `json:"ca_file"`
	ClientCert string   `json:"client_cert"`
	ClientKey  string   `json:"client_key"`
	Healthy    string   `json:"healthy"`
	NoTXT      string   `json:"no_txt"`
	Fleet      []string `json:"fleet"`
	Slow       []string `json:"slow"`
}

// The checks that PASS for a healthy lab domain (dnssec is INCONCLUSIVE there).
var labChecks = []string{"txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt", "mx_tls"}

var (
	labOnce  sync.Once
	lab      *labInfo
	labErr   error
	labStdin io.WriteCloser
	labCmd   *exec.Cmd
)

// The lab is started by the first test that needs it and stopped by TestMain.
func TestMain(m *testing.M) {
	code := m.Run()
	if labCmd != nil {
		labStdin.Close() // client_lab stops its servers at EOF
		labCmd.Wait()
	}
	os.Exit(code)
}

// needLab returns the running lab. Without MTASTS_CLIENT_LAB (set by the
// Bazel test //clients/go:go_test) the test is skipped, or fails under CI=true.
func needLab(t *testing.T) *labInfo {
	t.Helper()
	bin, server, pki := os.Getenv("MTASTS_CLIENT_LAB"), os.Getenv("MTASTS_SERVER"), os.Getenv("MTASTS_PKI")
	if bin == "" || server == "" || pki == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MTASTS_CLIENT_LAB, MTASTS_SERVER and MTASTS_PKI are required under CI=true (run bazel test //clients/go:go_test)")
		}
		t.Skip("MTASTS_CLIENT_LAB, MTASTS_SERVER, MTASTS_PKI not set: run bazel test //clients/go:go_test")
	}
	labOnce.Do(func() { lab, labErr = startLab(bin, server, pki) })
	if labErr != nil {
		t.Fatal(labErr)
	}
	return lab
}

func startLab(bin, server, pki string) (*labInfo, error) {
	cmd := exec.Command(bin, "--server="+server, "--pki="+pki)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	labCmd, labStdin = cmd, stdin
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		var info labInfo
		if err := json.Unmarshal([]byte(l), &info); err != nil {
			return nil, fmt.Errorf("client_lab printed %q: %v", l, err)
		}
		return &info, nil
	case <-time.After(60 * time.Second):
		return nil, fmt.Errorf("client_lab did not print its line within 60 s")
	}
}

func dial(t *testing.T, target string, opts ...mtasts.Option) *mtasts.Client {
	t.Helper()
	c, err := mtasts.Dial(context.Background(), target, opts...)
	if err != nil {
		t.Fatalf("Dial(%q): %v", target, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// assertHealthy checks what a user reads from a healthy domain's report.
func assertHealthy(t *testing.T, r *mtastsv1.DomainReport, domain string) {
	t.Helper()
	if r.GetDomain() != domain || r.GetState() != mtastsv1.MtaStsState_MTA_STS_STATE_ENFORCED {
		t.Errorf("report for %q in state %v, want %q ENFORCED", r.GetDomain(), r.GetState(), domain)
	}
	status := map[string]mtastsv1.CheckStatus{}
	for _, c := range r.GetChecks() {
		status[c.GetCheck()] = c.GetStatus()
	}
	for _, name := range labChecks {
		if status[name] != mtastsv1.CheckStatus_CHECK_STATUS_PASS {
			t.Errorf("%s: check %s is %v, want PASS", domain, name, status[name])
		}
	}
}

func TestCheckHealthy(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.Plaintext)
	r, err := c.Check(ctxFor(t, 60*time.Second), l.Healthy, mtasts.WithChecks(labChecks...), mtasts.WithTimeout(30*time.Second))
	if err != nil {
		t.Fatalf("Check(%s): %v", l.Healthy, err)
	}
	assertHealthy(t, r, l.Healthy)
	if r.GetGrade() == mtastsv1.Grade_GRADE_UNSPECIFIED || r.GetScore() <= 0 {
		t.Errorf("healthy domain: grade %v score %d, want a grade and a score", r.GetGrade(), r.GetScore())
	}
}

func TestCheckNoTXTIsNotEnforced(t *testing.T) {
	l := needLab(t)
	r, err := dial(t, l.Plaintext).Check(ctxFor(t, 60*time.Second), l.NoTXT, mtasts.WithChecks("txt"))
	if err != nil {
		t.Fatalf("Check(%s): %v", l.NoTXT, err)
	}
	if r.GetState() == mtastsv1.MtaStsState_MTA_STS_STATE_ENFORCED {
		t.Errorf("%s without a TXT record is ENFORCED", l.NoTXT)
	}
}

func TestCheckInvalidDomain(t *testing.T) {
	l := needLab(t)
	_, err := dial(t, l.Plaintext).Check(ctxFor(t, 30*time.Second), "not a domain!")
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("Check(\"not a domain!\") = %v, want InvalidArgument", err)
	}
	if msg := status.Convert(err).Message(); msg == "" {
		t.Errorf("InvalidArgument without a message")
	}
}

// feed sends entries on a channel, stopping when ctx ends; produced counts
// the entries taken by the stream.
func feed(ctx context.Context, n int, entry func(i int) mtasts.Entry, produced *atomic.Int64) <-chan mtasts.Entry {
	ch := make(chan mtasts.Entry)
	go func() {
		defer close(ch)
		for i := 0; i < n; i++ {
			select {
			case ch <- entry(i):
				produced.Add(1)
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func TestFleetEveryEntryOnceThenSummary(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.Plaintext)
	ctx := ctxFor(t, 120*time.Second)
	var produced atomic.Int64
	entries := feed(ctx, len(l.Fleet)+1, func(i int) mtasts.Entry {
		if i == len(l.Fleet) {
			return mtasts.Entry{Domain: "not a domain!", Tag: "bad"}
		}
		return mtasts.Entry{Domain: l.Fleet[i], Tag: fmt.Sprintf("cust-%d", i)}
	}, &produced)
	s, err := c.Fleet(ctx, entries, mtasts.WithChecks(labChecks...))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var summary *mtastsv1.FleetSummary
	for {
		ev, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Recv after %d events: %v", len(seen), err)
		}
		switch {
		case ev.GetResult() != nil:
			tag := ev.GetResult().GetTag()
			seen[tag]++
			var i int
			if _, err := fmt.Sscanf(tag, "cust-%d", &i); err != nil || i < 0 || i >= len(l.Fleet) {
				t.Fatalf("result with unknown tag %q", tag)
			}
			assertHealthy(t, ev.GetResult().GetReport(), l.Fleet[i])
		case ev.GetError() != nil:
			seen[ev.GetError().GetTag()]++
			if err := mtasts.EventError(ev); status.Code(err) != codes.InvalidArgument || ev.GetError().GetTag() != "bad" {
				t.Errorf("error event %v, want InvalidArgument for tag bad", err)
			}
		case ev.GetSummary() != nil:
			if summary != nil {
				t.Fatal("two summaries")
			}
			summary = ev.GetSummary()
		}
	}
	if len(seen) != len(l.Fleet)+1 {
		t.Errorf("%d distinct tags answered, want %d", len(seen), len(l.Fleet)+1)
	}
	for tag, n := range seen {
		if n != 1 {
			t.Errorf("tag %s answered %d times", tag, n)
		}
	}
	if summary == nil || s.Summary() != summary {
		t.Fatalf("no summary (Summary() = %v)", s.Summary())
	}
	if summary.GetReceived() != int32(len(l.Fleet)+1) || summary.GetReported() != int32(len(l.Fleet)) || summary.GetErrors() != 1 {
		t.Errorf("summary received %d reported %d errors %d, want %d %d 1",
			summary.GetReceived(), summary.GetReported(), summary.GetErrors(), len(l.Fleet)+1, len(l.Fleet))
	}
	for _, sc := range summary.GetByState() {
		if sc.GetState() == mtastsv1.MtaStsState_MTA_STS_STATE_ENFORCED && sc.GetCount() != int32(len(l.Fleet)) {
			t.Errorf("summary: %d ENFORCED, want %d", sc.GetCount(), len(l.Fleet))
		}
	}
}

// slowEntry keeps the lab's slow domains (DNS answers held 30 s) in flight;
// the long tag makes each entry weigh on HTTP/2 flow control.
func slowEntry(l *labInfo) func(int) mtasts.Entry {
	pad := strings.Repeat("x", 200)
	return func(i int) mtasts.Entry {
		return mtasts.Entry{Domain: l.Slow[i%len(l.Slow)], Tag: fmt.Sprintf("%d-%s", i, pad)}
	}
}

func TestFleetCancelEndsPromptly(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.Plaintext)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var produced atomic.Int64
	entries := feed(ctx, len(l.Slow), slowEntry(l), &produced)
	s, err := c.Fleet(ctx, entries)
	if err != nil {
		t.Fatal(err)
	}
	for produced.Load() < int64(len(l.Slow)) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the server has them in flight
	got := make(chan error, 1)
	go func() {
		for {
			ev, err := s.Recv()
			if err != nil {
				got <- err
				return
			}
			if ev.GetResult() != nil {
				got <- fmt.Errorf("a slow domain was answered before the cancel: %v", ev)
				return
			}
		}
	}()
	start := time.Now()
	cancel()
	select {
	case err := <-got:
		if status.Code(err) != codes.Canceled {
			t.Errorf("Recv after cancel = %v, want Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("cancelled fleet ended after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled fleet did not end within 5 s")
	}
}

func TestFleetTakesEntriesLazily(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.Plaintext)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const total = 1000000 // ~230 MB of requests if read up front
	var produced atomic.Int64
	s, err := c.Fleet(ctx, feed(ctx, total, slowEntry(l), &produced))
	if err != nil {
		t.Fatal(err)
	}
	// The server holds its per-stream limit of slow entries and stops
	// reading; HTTP/2 windows fill; then the stream stops taking entries.
	last, stableSince, deadline := int64(-1), time.Now(), time.Now().Add(25*time.Second)
	for time.Now().Before(deadline) {
		n := produced.Load()
		if n != last {
			last, stableSince = n, time.Now()
		} else if time.Since(stableSince) > 1500*time.Millisecond {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if time.Since(stableSince) < 1500*time.Millisecond {
		t.Fatalf("entries still being taken after 25 s (%d of %d)", produced.Load(), total)
	}
	if last < 100 || last > 100000 {
		t.Errorf("the stream took %d entries and stopped, want it held back by the server (100 in flight plus transport buffers)", last)
	}
	t.Logf("stream took %d of %d entries while the server was at its limit", last, total)
	cancel()
	for {
		if _, err := s.Recv(); err != nil {
			if status.Code(err) != codes.Canceled {
				t.Errorf("Recv after cancel = %v, want Canceled", err)
			}
			break
		}
	}
}

func TestTLS(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.TLS, mtasts.WithCAFile(l.CAFile), mtasts.WithServerName(l.ServerName))
	r, err := c.Check(ctxFor(t, 60*time.Second), l.Healthy, mtasts.WithChecks(labChecks...))
	if err != nil {
		t.Fatalf("Check over TLS: %v", err)
	}
	assertHealthy(t, r, l.Healthy)

	// Without the lab CA the server's certificate is not trusted.
	plainRoots := dial(t, l.TLS, mtasts.WithTLS(), mtasts.WithServerName(l.ServerName),
		mtasts.WithRetry(mtasts.RetryPolicy{MaxAttempts: 1}))
	if _, err := plainRoots.Check(ctxFor(t, 30*time.Second), l.Healthy, mtasts.WithChecks("txt")); status.Code(err) != codes.Unavailable {
		t.Errorf("TLS with the system roots against the lab CA = %v, want Unavailable", err)
	}
}

func TestMutualTLS(t *testing.T) {
	l := needLab(t)
	c := dial(t, l.MTLS, mtasts.WithCAFile(l.CAFile), mtasts.WithServerName(l.ServerName),
		mtasts.WithClientCert(l.ClientCert, l.ClientKey))
	r, err := c.Check(ctxFor(t, 60*time.Second), l.Healthy, mtasts.WithChecks(labChecks...))
	if err != nil {
		t.Fatalf("Check over mutual TLS: %v", err)
	}
	assertHealthy(t, r, l.Healthy)

	// A fleet over mutual TLS too.
	entries := make(chan mtasts.Entry, 1)
	entries <- mtasts.Entry{Domain: l.Healthy, Tag: "one"}
	close(entries)
	s, err := c.Fleet(ctxFor(t, 60*time.Second), entries, mtasts.WithChecks(labChecks...))
	if err != nil {
		t.Fatal(err)
	}
	var events int
	for {
		ev, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("fleet over mutual TLS: %v", err)
		}
		events++
		if ev.GetSummary() == nil && ev.GetResult().GetTag() != "one" {
			t.Errorf("unexpected event %v", ev)
		}
	}
	if events != 2 {
		t.Errorf("fleet of one over mutual TLS: %d events, want result and summary", events)
	}

	noCert := dial(t, l.MTLS, mtasts.WithCAFile(l.CAFile), mtasts.WithServerName(l.ServerName),
		mtasts.WithRetry(mtasts.RetryPolicy{MaxAttempts: 1}))
	if _, err := noCert.Check(ctxFor(t, 30*time.Second), l.Healthy, mtasts.WithChecks("txt")); err == nil {
		t.Error("mutual TLS server answered a client without a certificate")
	} else if code := status.Code(err); code != codes.Unavailable {
		t.Errorf("no client certificate: %v, want Unavailable", err)
	}
}

func TestRoundRobinOverTwoAddresses(t *testing.T) {
	l := needLab(t)
	c := dial(t, "ipv4:"+l.Plaintext+","+l.Plaintext2)
	seen := map[string]int{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		var p peer.Peer
		if _, err := c.Check(ctxFor(t, 30*time.Second), l.Healthy, mtasts.WithChecks("txt"),
			mtasts.WithCallOptions(grpc.Peer(&p))); err != nil {
			t.Fatalf("Check via ipv4 target: %v", err)
		}
		seen[p.Addr.String()]++
		time.Sleep(50 * time.Millisecond) // round_robin picks among ready connections
	}
	if seen[l.Plaintext] == 0 || seen[l.Plaintext2] == 0 {
		t.Errorf("calls went to %v, want both %s and %s", seen, l.Plaintext, l.Plaintext2)
	}
}

func TestDNSTarget(t *testing.T) {
	l := needLab(t)
	port := l.Plaintext[strings.LastIndex(l.Plaintext, ":")+1:]
	c := dial(t, "dns:///localhost:"+port)
	if _, err := c.Check(ctxFor(t, 30*time.Second), l.Healthy, mtasts.WithChecks("txt")); err != nil {
		t.Fatalf("Check via dns:///localhost:%s: %v", port, err)
	}
}

func TestBadTargetsAndFiles(t *testing.T) {
	l := needLab(t)
	for _, target := range []string{"ipv4:localhost:1", "ipv4:", "ipv6:127.0.0.1:1", ""} {
		if c, err := mtasts.Dial(context.Background(), target); err == nil {
			c.Close()
			t.Errorf("Dial(%q) succeeded", target)
		}
	}
	if _, err := mtasts.Dial(context.Background(), l.TLS, mtasts.WithCAFile(l.ClientKey)); err == nil {
		t.Error("a key file was accepted as CA file")
	}
	if _, err := mtasts.Dial(context.Background(), l.TLS, mtasts.WithClientCert(l.ClientCert, "")); err == nil {
		t.Error("a client certificate without a key was accepted")
	}
}

// The example programs, as the README runs them (built by go_test.sh).
func TestExamples(t *testing.T) {
	l := needLab(t)
	dir := os.Getenv("MTASTS_EXAMPLES")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("MTASTS_EXAMPLES is required under CI=true")
		}
		t.Skip("MTASTS_EXAMPLES not set: run bazel test //clients/go:go_test")
	}
	out, err := exec.Command(dir+"/check", "-target", l.TLS, "-ca", l.CAFile, "-server-name", l.ServerName, l.Healthy).CombinedOutput()
	if err != nil || !strings.Contains(string(out), l.Healthy+": grade A, score 100, MTA-STS ENFORCED") ||
		!strings.Contains(string(out), "TXT_VALID") {
		t.Errorf("examples/check %s: %v\n%s", l.Healthy, err, out)
	}
	// No record: the report's actions say what to publish, most urgent first.
	out, err = exec.Command(dir+"/check", "-target", l.Plaintext, l.NoTXT).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "What to do, most urgent first:\n  [") {
		t.Errorf("examples/check %s: %v\n%s", l.NoTXT, err, out)
	}
	out, err = exec.Command(dir+"/check", "-target", l.Plaintext, "not a domain!").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "InvalidArgument") {
		t.Errorf("examples/check on an invalid name: %v\n%s", err, out)
	}

	list := t.TempDir() + "/domains.txt"
	if err := os.WriteFile(list, []byte(l.Fleet[0]+" cust-0\n# a comment\n"+l.Fleet[1]+"\nbad! cust-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(dir+"/fleet", "-target", "ipv4:"+l.Plaintext+","+l.Plaintext2, list).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "3 domains: 2 reported, 1 errors") ||
		!strings.Contains(string(out), "cust-0") || !strings.Contains(string(out), "InvalidArgument") {
		t.Errorf("examples/fleet: %v\n%s", err, out)
	}
}
