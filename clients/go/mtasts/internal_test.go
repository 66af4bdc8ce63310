package mtasts

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	mtastsv1 "github.com/mtasts/mtasts/clients/go/mtastsv1"
)

func TestParseAddressList(t *testing.T) {
	good := []struct {
		scheme, list string
		want         []string
	}{
		{"ipv4", "127.0.0.1:50051", []string{"127.0.0.1:50051"}},
		{"ipv4", "127.0.0.1:1,10.0.0.2:2", []string{"127.0.0.1:1", "10.0.0.2:2"}},
		{"ipv4", "127.0.0.1", []string{"127.0.0.1:443"}},
		{"ipv6", "[::1]:50051,[2001:db8::1]:7", []string{"[::1]:50051", "[2001:db8::1]:7"}},
		{"ipv6", "::1", []string{"[::1]:443"}},
	}
	for _, c := range good {
		got, err := parseAddressList(c.scheme, c.list)
		if err != nil {
			t.Errorf("parseAddressList(%q, %q): %v", c.scheme, c.list, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("parseAddressList(%q, %q) = %v, want %v", c.scheme, c.list, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Addr != c.want[i] {
				t.Errorf("parseAddressList(%q, %q)[%d] = %q, want %q", c.scheme, c.list, i, got[i].Addr, c.want[i])
			}
		}
	}
	bad := []struct{ scheme, list string }{
		{"ipv4", ""},
		{"ipv4", "localhost:1"},
		{"ipv4", "[::1]:1"},
		{"ipv4", "127.0.0.1:0"},
		{"ipv4", "127.0.0.1:65536"},
		{"ipv4", "127.0.0.1:https"},
		{"ipv4", "127.0.0.1:1,"},
		{"ipv6", "127.0.0.1:1"},
	}
	for _, c := range bad {
		if got, err := parseAddressList(c.scheme, c.list); err == nil {
			t.Errorf("parseAddressList(%q, %q) = %v, want an error", c.scheme, c.list, got)
		}
	}
	many := "127.0.0.1:1"
	for i := 0; i < maxStaticAddresses; i++ {
		many += ",127.0.0.1:1"
	}
	if _, err := parseAddressList("ipv4", many); err == nil {
		t.Errorf("a list of %d addresses was accepted", maxStaticAddresses+1)
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Multiplier: 2}
	for attempt, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 5: time.Second, 9: time.Second} {
		for i := 0; i < 20; i++ {
			if d := p.backoff(attempt); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}

// fakeChecker is an in-process server whose answers the test scripts: the
// live server cannot be made to refuse on demand.
type fakeChecker struct {
	mtastsv1.UnimplementedMtaStsCheckerServer
	calls    atomic.Int32
	failures int32 // the first calls that fail with code
	code     codes.Code
	fleet    func(mtastsv1.MtaStsChecker_StreamFleetServer) error
}

func (f *fakeChecker) CheckDomain(_ context.Context, req *mtastsv1.CheckDomainRequest) (*mtastsv1.DomainReport, error) {
	if n := f.calls.Add(1); n <= f.failures {
		return nil, status.Errorf(f.code, "refused (call %d)", n)
	}
	return &mtastsv1.DomainReport{Domain: req.GetDomain(), Grade: mtastsv1.Grade_GRADE_A}, nil
}

func (f *fakeChecker) StreamFleet(s mtastsv1.MtaStsChecker_StreamFleetServer) error {
	return f.fleet(s)
}

func startFake(t *testing.T, f *fakeChecker) *Client {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	mtastsv1.RegisterMtaStsCheckerServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	c, err := Dial(context.Background(), lis.Addr().String(), WithRetry(RetryPolicy{
		MaxAttempts: 4, InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Multiplier: 2}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCheckRetriesRefusals(t *testing.T) {
	for _, code := range []codes.Code{codes.ResourceExhausted, codes.Unavailable} {
		f := &fakeChecker{failures: 2, code: code}
		c := startFake(t, f)
		r, err := c.Check(context.Background(), "example.com")
		if err != nil {
			t.Fatalf("%v twice then OK: Check: %v", code, err)
		}
		if r.GetDomain() != "example.com" || f.calls.Load() != 3 {
			t.Errorf("%v twice then OK: report for %q after %d calls, want example.com after 3", code, r.GetDomain(), f.calls.Load())
		}
	}
}

func TestCheckGivesUpAfterMaxAttempts(t *testing.T) {
	f := &fakeChecker{failures: 100, code: codes.ResourceExhausted}
	c := startFake(t, f)
	_, err := c.Check(context.Background(), "example.com")
	if status.Code(err) != codes.ResourceExhausted || f.calls.Load() != 4 {
		t.Errorf("always refused: %v after %d calls, want ResourceExhausted after 4", err, f.calls.Load())
	}
}

func TestCheckDoesNotRetryOtherErrors(t *testing.T) {
	f := &fakeChecker{failures: 100, code: codes.InvalidArgument}
	c := startFake(t, f)
	_, err := c.Check(context.Background(), "example.com")
	if status.Code(err) != codes.InvalidArgument || f.calls.Load() != 1 {
		t.Errorf("InvalidArgument: %v after %d calls, want InvalidArgument after 1", err, f.calls.Load())
	}
}

func TestCheckRetryStopsAtCancel(t *testing.T) {
	f := &fakeChecker{failures: 100, code: codes.Unavailable}
	c := startFake(t, f)
	c.retry = RetryPolicy{MaxAttempts: 100, InitialBackoff: 10 * time.Second, MaxBackoff: 10 * time.Second, Multiplier: 1}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Check(ctx, "example.com")
	if status.Code(err) != codes.Canceled || time.Since(start) > 3*time.Second {
		t.Errorf("cancelled during backoff: %v after %v, want Canceled at once", err, time.Since(start))
	}
}

func TestFleetSurfacesRefusal(t *testing.T) {
	f := &fakeChecker{fleet: func(mtastsv1.MtaStsChecker_StreamFleetServer) error {
		return status.Error(codes.ResourceExhausted, "too many streams")
	}}
	c := startFake(t, f)
	s, err := c.Fleet(context.Background(), make(chan Entry))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.Recv()
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("refused stream: Recv = %v, %v; want ResourceExhausted", ev, err)
	}
	if _, err2 := s.Recv(); status.Code(err2) != codes.ResourceExhausted {
		t.Errorf("Recv after the end = %v, want the same error again", err2)
	}
}

func TestFleetWithoutSummaryIsAnError(t *testing.T) {
	f := &fakeChecker{fleet: func(s mtastsv1.MtaStsChecker_StreamFleetServer) error {
		req, err := s.Recv()
		if err != nil {
			return err
		}
		return s.Send(&mtastsv1.FleetEvent{Event: &mtastsv1.FleetEvent_Result{
			Result: &mtastsv1.FleetResult{Tag: req.GetTag(), Report: &mtastsv1.DomainReport{Domain: req.GetDomain()}}}})
	}}
	c := startFake(t, f)
	entries := make(chan Entry, 1)
	entries <- Entry{Domain: "example.com", Tag: "t"}
	close(entries)
	s, err := c.Fleet(context.Background(), entries)
	if err != nil {
		t.Fatal(err)
	}
	if ev, err := s.Recv(); err != nil || ev.GetResult().GetTag() != "t" {
		t.Fatalf("first event = %v, %v; want the result for tag t", ev, err)
	}
	if _, err := s.Recv(); status.Code(err) != codes.Internal {
		t.Errorf("stream ended without summary: Recv = %v, want Internal", err)
	}
}

func TestEventError(t *testing.T) {
	ev := &mtastsv1.FleetEvent{Event: &mtastsv1.FleetEvent_Error{Error: &mtastsv1.FleetError{
		Tag: "t", Domain: "bad name", Code: int32(codes.InvalidArgument), Message: "not a host name"}}}
	if err := EventError(ev); status.Code(err) != codes.InvalidArgument {
		t.Errorf("EventError = %v, want InvalidArgument", err)
	}
	if err := EventError(&mtastsv1.FleetEvent{}); err != nil {
		t.Errorf("EventError(no error) = %v, want nil", err)
	}
}
